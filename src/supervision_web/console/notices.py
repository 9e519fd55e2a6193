"""What the desk is told and what it must tell: the inbox and the call tasks.

- ``/console/inbox``: the notices addressed to the user's center — objections to a
  dispatch (派单异议), 催办 and 督办, reminders, documents to review — newest first,
  the unread marked; staff mark them read. The menu shows the unread count.
- ``/console/calls`` (待电话告知): notices that no transport could carry to a
  supervisor who has a phone number. Each shows the text to read and the number to
  call — in full to the staff of the task's center (the view is logged), masked to
  anyone else — and staff record 已电话告知 with the time of the call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from supervision_core import (
    SHANGHAI,
    InvalidInput,
    InvalidTransition,
    Ledger,
    NotFound,
    Role,
    StaffUser,
    mask_phone,
)

from ..app import desk_of, posted_fields, render, require_user
from .access import centers_of, require_staff

__all__ = ["call_badge", "console_calls", "console_inbox", "inbox_badge"]


def inbox_badge(ledger: Ledger, user: StaffUser) -> int:
    """The menu's count beside 收件箱: notices to the user's center not yet read."""
    if user.role not in (Role.STAFF, Role.AUDITOR):
        return 0
    return ledger.unread_count(user.center)


def call_badge(ledger: Ledger, user: StaffUser) -> int:
    """The menu's count beside 待电话告知: the calls the user's center has to make."""
    if user.role is not Role.STAFF:
        return 0
    return ledger.call_task_count(centers=[user.center])


async def console_inbox(request: Request) -> Response:
    """The inbox of the user's center; staff mark notices read (one, or all)."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        fields = await posted_fields(request)

        def mark() -> None:
            actor = f"user:{user.username}"
            if fields.get("action") == "all":
                ids = [e.id for e in desk.ledger.inbox(user.center, unread=True, limit=1000)]
            else:
                ids = [int(fields["id"])] if fields.get("id", "").isdigit() else []
            for entry_id in ids:
                try:
                    desk.ledger.mark_read(entry_id, center=user.center, actor=actor)
                except (NotFound, InvalidInput):
                    raise HTTPException(404, "本中心的收件箱中没有这条通知。") from None

        await desk.call(mark)
        return RedirectResponse("/console/inbox", status_code=303)

    def load() -> Any:
        ledger = desk.ledger
        center = ledger.center(user.center)
        entries = ledger.inbox(user.center, limit=200)
        numbers = {}
        for issue_id in {e.issue_id for e in entries if e.issue_id is not None}:
            with contextlib.suppress(NotFound):  # an import rolled back
                numbers[issue_id] = ledger.issue(issue_id).number
        return center.name, entries, numbers

    center_name, entries, numbers = await desk.call(load)
    context = {
        "center_name": center_name,
        "entries": entries,
        "numbers": numbers,
        "unread": sum(1 for e in entries if e.read_at is None),
        "can_act": user.role is Role.STAFF,
    }
    return render(request, "console/inbox.html", context)


def _called_at(text: str) -> dt.datetime:
    """The time of a call from the form (``2026-03-02T10:30``, Beijing time)."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("请填写通话时间（年-月-日 时:分）") from None
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


async def console_calls(request: Request) -> Response:
    """The call tasks of the user's centers; the task's own staff record the call."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    message, status = None, 200
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        fields = await posted_fields(request)

        def record() -> None:
            entry_id = fields.get("id", "")
            if not entry_id.isdigit():
                raise HTTPException(400, "缺少任务编号。")
            try:
                entry = desk.ledger.outbox_entry(int(entry_id))
            except NotFound:
                raise HTTPException(404, "没有这项电话告知任务。") from None
            if entry.notice.center != user.center:
                raise HTTPException(403, "只有本中心的工作人员可以记录电话告知。")
            desk.ledger.record_call(
                entry.id,
                called_at=_called_at(fields.get("called_at", "")),
                actor=f"user:{user.username}",
                center=user.center,
            )

        try:
            await desk.call(record)
            return RedirectResponse("/console/calls?done=1", status_code=303)
        except (InvalidInput, InvalidTransition) as e:
            message, status = str(e), 400

    def load() -> Any:
        ledger = desk.ledger
        tasks = ledger.call_tasks(centers=centers_of(ledger, user))
        shown = []
        for task in tasks:
            own = user.role is Role.STAFF and task.entry.notice.center == user.center
            phones = task.phones if own else tuple(mask_phone(p) for p in task.phones)
            if own and task.phones:
                ledger.log_access(
                    user=user.username,
                    action="view_call_task",
                    purpose=f"网页 {request.url.path}",
                    supervisors=[task.supervisor_id],
                    target=f"outbox:{task.entry.id}",
                )
            shown.append((task, phones, own))
        names = {c.code: c.name for c in ledger.centers()}
        return shown, names, ledger.clock()

    shown, names, now = await desk.call(load)
    context = {
        "tasks": shown,
        "centers": names,
        "now": now.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
        "message": message,
        "done": request.query_params.get("done") == "1",
    }
    return render(request, "console/calls.html", context, status_code=status)

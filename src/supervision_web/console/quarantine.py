"""Reports kept aside (``/console/quarantine``): filed as a supervisor's issue, or dismissed."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from supervision_core import (
    CONTACT_LABELS,
    InvalidInput,
    InvalidTransition,
    NotFound,
    Role,
    can_see_center,
)

from ..app import desk_of, posted_fields, render, require_user
from ..typed import form_id, query_id, refuse_nul, said
from .access import PAGE, centers_of, require_staff

__all__ = ["COUNT_UP_TO", "console_quarantine"]

COUNT_UP_TO = 10_000  # the quarantine's count, beyond which a page says 'more than'


async def console_quarantine(request: Request) -> Response:
    """Reports kept aside: file one as a supervisor's issue, or dismiss it with a note."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    message, status = None, 200
    typed: dict[str, str] = {}
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        fields = await posted_fields(request)

        def act() -> None:
            ledger = desk.ledger
            refuse_nul(fields)
            qid = form_id(fields.get("id"), "反馈") or 0
            try:
                held = ledger.report_summary(qid)
            except NotFound:
                raise HTTPException(404, "没有这条反馈。") from None
            if held.status != "quarantined" or not can_see_center(user, held.center):
                raise HTTPException(403, "您无权处理这条反馈。")
            actor = f"user:{user.username}"
            if fields.get("action") == "assign":
                sid = form_id(fields.get("supervisor_id"), "监督员")
                if sid is None:
                    raise InvalidInput("请选择监督员")
                # Only a supervisor of a center the user sees: a township's staff cannot
                # file a report under another center's supervisor (and so learn the name).
                brief = ledger.supervisor_brief(sid)
                if brief is None or not can_see_center(user, brief[1]):
                    raise InvalidInput("请从列表中选择本中心的监督员")
                ledger.assign_quarantined(qid, supervisor_id=sid, actor=actor)
            elif fields.get("action") == "dismiss":
                ledger.dismiss_quarantined(qid, note=fields.get("note", ""), actor=actor)
            else:
                raise InvalidInput("未知的操作")

        try:
            await desk.call(act)
            return RedirectResponse("/console/quarantine", status_code=303)
        except (InvalidInput, InvalidTransition, NotFound, ValueError) as e:
            message, status, typed = said(e), 400, fields

    after = query_id(request, "after")

    def load() -> Any:
        ledger = desk.ledger
        centers = centers_of(ledger, user)
        # A page at a time: a hotline's export can leave most of its calls here.
        held = ledger.quarantine(centers=centers, after=after, limit=PAGE + 1)
        total = ledger.quarantine_count(centers=centers, up_to=COUNT_UP_TO + 1)
        supervisors = [
            s for s in ledger.supervisors() if s.center in centers and s.status.value == "active"
        ]
        # The page offers these supervisors by name, to file a held report under one.
        ledger.log_access(
            user=user.username,
            action="quarantine_picker",
            purpose=f"网页 {request.url.path}",
            supervisors=[s.id for s in supervisors],
            target=f"隔离区 {len(held)} 件",
        )
        return held, total, supervisors

    held, total, supervisors = await desk.call(load)
    more = len(held) > PAGE
    held = held[:PAGE]
    context = {
        "held": held,
        "contact_labels": CONTACT_LABELS,
        "total": f"{COUNT_UP_TO} 余条" if total > COUNT_UP_TO else f"{total} 条",
        "next_after": held[-1].id if more else None,
        "supervisors": supervisors,
        "message": message,
        "typed": typed,
        "can_act": user.role is Role.STAFF,
    }
    return render(request, "console/quarantine.html", context, status_code=status)

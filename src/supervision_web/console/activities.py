"""Activities (``/console/activities``, 监督员活动): announce, see who signed up, record who came.

Staff of a center announce an activity (培训、座谈交流、集中体验、调研) with its start,
sign-up deadline and places; its supervisors sign up on ``/me``. An activity's page
lists who signed up (names, phone numbers masked; viewing it is written to the access
log), lets staff cancel it before it starts (whoever signed up is told), and after it
record each one's attendance: the same record the annual evaluation counts. Auditors
only read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from supervision_core import (
    SHANGHAI,
    ActivityKind,
    AttendanceStatus,
    ContactKind,
    InvalidInput,
    InvalidTransition,
    NotFound,
    Role,
    can_see_center,
    mask_phone,
)

from ..app import desk_of, form_or_400, render, require_csrf, require_user
from ..typed import form_id, form_number, path_id, refuse_nul, said
from .access import centers_of, require_staff

__all__ = ["console_activities", "console_activity"]


def _moment(value: str | None, what: str) -> dt.datetime:
    """A ``datetime-local`` field (``YYYY-MM-DDTHH:MM``), read in Asia/Shanghai."""
    text = (value or "").strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"请填写{what}（年-月-日 时:分）") from None
    if moment.tzinfo is not None:
        raise InvalidInput(f"请填写{what}（年-月-日 时:分）")
    return moment.replace(tzinfo=SHANGHAI)


async def console_activities(request: Request) -> Response:
    """The activities of one of the user's centers, with sign-ups; staff announce new ones."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    message, status = None, 200
    typed: dict[str, str] = {}
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        form = await form_or_400(request)
        require_csrf(request, form)
        typed = {k: v for k, v in form.multi_items() if isinstance(v, str)}

        def announce() -> int:
            refuse_nul(typed)
            center = typed.get("center", "")
            if center not in centers_of(desk.ledger, user):
                raise HTTPException(403, "不能为其他中心发布活动。")
            capacity = form_number(typed.get("capacity"), "名额", high=10_000)
            activity = desk.ledger.announce_activity(
                center=center,
                kind=typed.get("kind", ""),
                title=typed.get("title", ""),
                place=typed.get("place", ""),
                starts_at=_moment(typed.get("starts_at"), "开始时间"),
                signup_deadline=_moment(typed.get("signup_deadline"), "报名截止时间"),
                capacity=capacity,
                description=typed.get("description", ""),
                actor=f"user:{user.username}",
            )
            return activity.id

        try:
            activity_id = await desk.call(announce)
            return RedirectResponse(f"/console/activities/{activity_id}", status_code=303)
        except (InvalidInput, NotFound) as e:
            message, status = said(e), 400

    def load() -> Any:
        ledger = desk.ledger
        centers = centers_of(ledger, user)
        center = typed.get("center") if typed.get("center") in centers else None
        center = center or request.query_params.get("center") or user.center
        if center not in centers:
            raise HTTPException(403, "您无权查看其他中心的活动。")
        found = ledger.activities(center=center)
        names = {c.code: c.name for c in ledger.centers() if c.code in centers}
        return center, list(reversed(found)), names

    center, found, names = await desk.call(load)
    context = {
        "center": center,
        "centers": names,
        "found": found,
        "present": {
            a.id: sum(1 for _, s in a.attendance if s is AttendanceStatus.PRESENT) for a in found
        },
        "kinds": list(ActivityKind),
        "message": message,
        "typed": typed,
        "now": desk.ledger.clock(),
        "can_act": user.role is Role.STAFF,
    }
    return render(request, "console/activities.html", context, status_code=status)


async def console_activity(request: Request) -> Response:
    """One activity: who signed up (phones masked); cancel it; record attendance after it."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    activity_id = path_id(request, "activity_id", "没有这项活动。")
    message, status = None, 200

    def visible() -> Any:
        try:
            found = desk.ledger.activity(activity_id)
        except NotFound:
            raise HTTPException(404, "没有这项活动。") from None
        if not can_see_center(user, found.center):
            raise HTTPException(403, "您无权查看其他中心的活动。")
        return found

    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        form = await form_or_400(request)
        require_csrf(request, form)
        typed = {k: v for k, v in form.multi_items() if isinstance(v, str)}

        def act() -> str:
            refuse_nul(typed)
            found = visible()
            actor = f"user:{user.username}"
            action = typed.get("action")
            if action == "cancel":
                desk.ledger.cancel_activity(
                    activity_id, reason=typed.get("reason", ""), actor=actor
                )
                return "cancelled"
            if action == "attend":
                sid = form_id(typed.get("supervisor"), "监督员")
                if sid is None:
                    raise InvalidInput("请选择监督员")
                brief = desk.ledger.supervisor_brief(sid)
                if brief is None or brief[1] != found.center:
                    # Attendance only at the supervisor's own center's activities.
                    raise InvalidInput(f"本中心没有编号为 {sid} 的监督员")
                desk.ledger.record_attendance(
                    activity_id, sid, typed.get("status", ""), actor=actor
                )
                return f"attended-{sid}"
            raise InvalidInput("未知的操作")

        try:
            done = await desk.call(act)
            return RedirectResponse(
                f"/console/activities/{activity_id}?done={done}", status_code=303
            )
        except (InvalidInput, InvalidTransition, NotFound) as e:
            message, status = said(e), 400

    def load() -> Any:
        ledger = desk.ledger
        activity = visible()
        attendance = dict(activity.attendance)
        # Who signed up, then anyone else recorded (a supervisor who came unannounced).
        ids = list(activity.signed_up) + [i for i in attendance if i not in activity.signed_up]
        rows = []
        for sid in ids:
            sup = ledger.supervisor(sid)
            phone = next((i.value for i in sup.identities if i.kind is ContactKind.PHONE), "")
            rows.append(
                {
                    "id": sid,
                    "name": sup.name,
                    "phone": mask_phone(phone) if phone else "—",
                    "signed_up": sid in activity.signed_up,
                    "attendance": attendance.get(sid),
                }
            )
        if ids:
            ledger.log_access(
                user=user.username,
                action="activity_signups",
                purpose=f"网页 {request.url.path}",
                supervisors=ids,
                target=f"activity:{activity.id}",
            )
        return activity, rows, ledger.center(activity.center).name

    activity, rows, center_name = await desk.call(load)
    now = desk.ledger.clock()
    context = {
        "activity": activity,
        "rows": rows,
        "center_name": center_name,
        "statuses": list(AttendanceStatus),
        "message": message,
        "done": request.query_params.get("done", "") if status == 200 else "",
        "can_act": user.role is Role.STAFF,
        "started": activity.starts_at is None or activity.starts_at <= now,
        "signup_open": activity.signup_open(now),
    }
    return render(request, "console/activity.html", context, status_code=status)

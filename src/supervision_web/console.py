"""The operator console (a built-in plugin): the ledger's daily work in the browser.

- ``/console``: a center's queue — to screen, open, due soon, overdue — with search by
  number or text; bookmarkable filters; keyset pagination (fast on a million issues).
- ``/console/issues/{number}``: an issue, its history, the screening checks' proposals,
  and the actions its state allows, with the library's own rules (a refused step says
  why). Every step is an event with the acting user. Viewing the supervisor's details
  is written to the access log.
- ``/unit``: a unit's own portal — only the issues dispatched to it, never the
  supervisor's identity — where it records its plan, progress and completion.

Roles are checked on the server for every page and action: a center's staff act on
their center's issues (the banner center's on all), auditors only read, units only see
their portal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from supervision_core import (
    OPEN_STATES,
    ActivityKind,
    AttendanceStatus,
    ContactKind,
    DisciplineKind,
    Identity,
    InvalidInput,
    InvalidTransition,
    Issue,
    IssueState,
    Ledger,
    NewSupervisor,
    NotAcceptedReason,
    NotFound,
    Origin,
    ProblemType,
    RectificationTrack,
    Revocation,
    Role,
    RouteRegistry,
    StaffUser,
    Stage,
    can_see_center,
    hookimpl,
    mask_phone,
)

from .app import desk_of, posted_fields, render, require_user

__all__ = [
    "console_dashboard",
    "console_issue",
    "console_quarantine",
    "console_queue",
    "console_supervisor",
    "console_supervisors",
    "unit_issue",
    "unit_notice",
    "unit_portal",
]

PAGE = 50
_COUNT_UP_TO = 10_000  # the quarantine's count, beyond which a page says 'more than'
_VIEWS = {
    "screen": "待审查",
    "open": "办理中",
    "due": "即将到期",
    "overdue": "已逾期",
    "all": "全部",
}


def _centers(ledger: Ledger, user: StaffUser) -> list[str]:
    return [c.code for c in ledger.centers() if can_see_center(user, c.code)]


def _staff(user: StaffUser) -> None:
    if user.role not in (Role.STAFF, Role.AUDITOR):
        raise HTTPException(403, "此页面仅供中心工作人员使用。")


async def console_queue(request: Request) -> Response:
    """The queue: issues of the user's centers by view, searchable, a page at a time."""
    user = await require_user(request)
    _staff(user)
    desk = desk_of(request)
    view = request.query_params.get("view", "screen")
    view = view if view in _VIEWS else "screen"
    query = request.query_params.get("q", "").strip()
    after = request.query_params.get("after", "")

    filters = _filters(request)

    def load() -> Any:
        ledger = desk.ledger
        centers = _centers(ledger, user)
        wanted = request.query_params.get("center") or None
        if wanted is not None and wanted not in centers:
            raise HTTPException(403, "您无权查看其他中心的问题。")
        rows = []
        for center in [wanted] if wanted else centers:
            kwargs: dict[str, Any] = {
                "center": center,
                "limit": PAGE,
                "after": int(after) if after.isdigit() else None,
                **filters,
            }
            if view == "screen":
                kwargs["state"] = IssueState.RECEIVED
            elif view == "due":
                kwargs["due_within"] = ledger.limits.reminder_before
            elif view == "overdue":
                kwargs["overdue"] = True
            rows += ledger.issues(**kwargs)
        if view == "open":
            rows = [r for r in rows if r.state in {s.value for s in OPEN_STATES}]
        if query:
            by_number = [r for r in rows if query in r.number]
            rows = by_number or [
                r
                for center in ([wanted] if wanted else centers)
                for r in ledger.issues(center=center, text=query, limit=PAGE, **filters)
            ]
        rows.sort(key=lambda r: r.id)
        rows = rows[:PAGE]
        # The screening checks' advice, next to each report waiting for screening.
        advice = {r.id: ledger.proposals(r.id) for r in rows if view == "screen"}
        return rows, ledger.today(), advice

    rows, today, advice = await desk.call(load)
    context = {
        "rows": rows,
        "advice": advice,
        "filters": {
            k: request.query_params.get(k, "") for k in ("supervisor", "unit", "from", "to")
        },
        "view": view,
        "views": _VIEWS,
        "q": query,
        "today": today,
        "states": {s.value: s.label for s in IssueState},
        "next_after": rows[-1].id if len(rows) == PAGE else None,
    }
    return render(request, "console/queue.html", context)


def _filters(request: Request) -> dict[str, Any]:
    """The queue's optional filters from the query string (bookmarkable); bad ones ignored."""
    q = request.query_params
    found: dict[str, Any] = {}
    if q.get("supervisor", "").isdigit():
        found["supervisor"] = int(q["supervisor"])
    if q.get("unit"):
        found["unit"] = q["unit"]
    for key, name in (("from", "received_from"), ("to", "received_to")):
        with contextlib.suppress(ValueError):
            found[name] = dt.date.fromisoformat(q.get(key, ""))
    return found


def _visible_issue(ledger: Ledger, user: StaffUser, number: str) -> Issue:
    try:
        issue = ledger.issue(number)
    except NotFound:
        raise HTTPException(404, "没有这件问题。") from None
    if not can_see_center(user, issue.center):
        raise HTTPException(403, "您无权查看其他中心的问题。")
    return issue


async def console_issue(request: Request) -> Response:
    """An issue with its history, proposals and the actions its state allows."""
    user = await require_user(request)
    _staff(user)
    desk = desk_of(request)
    number = request.path_params["number"]
    message = None
    status = 200
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        fields = await posted_fields(request)
        try:
            await desk.call(_act, desk.ledger, user, number, fields)
            return RedirectResponse(f"/console/issues/{number}", status_code=303)
        except (InvalidInput, InvalidTransition, ValueError) as e:
            message, status = str(e), 400

    def load() -> Any:
        ledger = desk.ledger
        issue = _visible_issue(ledger, user, number)
        supervisor = ledger.supervisor(issue.supervisor_id)
        ledger.users.log_access(
            user.username, "view_issue", f"{issue.number} supervisor:{supervisor.id}"
        )
        phone = next((i.value for i in supervisor.identities if i.kind.value == "phone"), "")
        return (
            issue,
            ledger.history(issue.id),
            ledger.proposals(issue.id),
            supervisor,
            mask_phone(phone),
            [u for u in ledger.units(issue.center)],
        )

    issue, history, proposals, supervisor, phone, units = await desk.call(load)
    context = {
        "issue": issue,
        "history": history,
        "proposals": proposals,
        "supervisor_name": supervisor.name,
        "supervisor_phone": phone,
        "units": units,
        "reasons": list(NotAcceptedReason),
        "tracks": list(RectificationTrack),
        "message": message,
        "can_act": user.role is Role.STAFF,
    }
    return render(request, "console/issue.html", context, status_code=status)


def _act(ledger: Ledger, user: StaffUser, number: str, f: dict[str, str]) -> None:
    issue = _visible_issue(ledger, user, number)
    actor = f"user:{user.username}"
    action = f.get("action", "")
    if action == "accept":
        ledger.accept(issue.number, actor=actor, note=f.get("note") or None)
    elif action == "not_accept":
        ledger.not_accept(
            issue.number, reason=f.get("reason", ""), note=f.get("note", ""), actor=actor
        )
    elif action == "dispatch":
        unit = f.get("unit", "")
        if unit not in {u.code for u in ledger.units(issue.center)}:
            raise InvalidInput("请选择本中心的承办单位")
        ledger.dispatch(
            issue.number, unit=unit, responsible_person=f.get("person", ""), actor=actor
        )
    elif action == "extend":
        days = f.get("days", "")
        ledger.extend(
            issue.number,
            days=int(days) if days.isdigit() else 0,
            reason=f.get("reason", ""),
            actor=actor,
        )
    elif action == "close":
        ledger.close_issue(issue.number, note=f.get("note", ""), actor=actor)
    elif action == "merge":
        target = _visible_issue(ledger, user, f.get("into", "").strip())
        ledger.merge(issue.number, into=target.number, actor=actor, note=f.get("note") or None)
    elif not _rectification_step(ledger, issue.number, f, actor):
        raise InvalidInput(f"未知的操作：{action}")


# ---------------------------------------------------------------- the unit's portal


def _unit_user(user: StaffUser) -> str:
    if user.role is not Role.UNIT or not user.unit:
        raise HTTPException(403, "此页面仅供承办单位使用。")
    return user.unit


async def unit_portal(request: Request) -> Response:
    """The issues dispatched to the user's unit."""
    user = await require_user(request)
    unit = _unit_user(user)
    desk = desk_of(request)

    def load() -> Any:
        rows = desk.ledger.issues(center=user.center, unit=unit)
        return [desk.ledger.unit_view(r.id) for r in rows[-200:]]

    views = await desk.call(load)
    return render(
        request,
        "console/unit.html",
        {"views": views, "states": {s.value: s.label for s in IssueState}},
    )


async def unit_issue(request: Request) -> Response:
    """One dispatched issue as the unit sees it; the unit records its work here."""
    user = await require_user(request)
    unit = _unit_user(user)
    desk = desk_of(request)
    number = request.path_params["number"]
    message, status = None, 200

    def check() -> Issue:
        try:
            issue = desk.ledger.issue(number)
        except NotFound:
            raise HTTPException(404, "没有这件问题。") from None
        if issue.center != user.center or issue.unit != unit:
            raise HTTPException(403, "这件问题没有派给您的单位。")
        return issue

    if request.method == "POST":
        fields = await posted_fields(request)
        if fields.get("action") not in ("plan", "progress", "complete", "explain", "object"):
            raise HTTPException(
                403, "承办单位只能确定整改方式、报送进展、完成整改、作出说明或提出异议。"
            )

        def act() -> None:
            check()
            _act_unit(desk.ledger, user, number, fields)

        try:
            await desk.call(act)
            return RedirectResponse(f"/unit/issues/{number}", status_code=303)
        except (InvalidInput, InvalidTransition, ValueError) as e:
            message, status = str(e), 400

    def load() -> Any:
        check()
        return desk.ledger.unit_view(number)

    view = await desk.call(load)
    context = {"view": view, "tracks": list(RectificationTrack), "message": message}
    return render(request, "console/unit_issue.html", context, status_code=status)


async def unit_notice(request: Request) -> Response:
    """The unit's copy of a dispatched issue (派单通知) as a download, from its own view."""
    from supervision_core import unit_copy

    user = await require_user(request)
    unit = _unit_user(user)
    desk = desk_of(request)
    number = request.path_params["number"]

    def load() -> str:
        try:
            issue = desk.ledger.issue(number)
        except NotFound:
            raise HTTPException(404, "没有这件问题。") from None
        if issue.center != user.center or issue.unit != unit:
            raise HTTPException(403, "这件问题没有派给您的单位。")
        center = desk.ledger.center(issue.center)
        names = {u.code: u.name for u in desk.ledger.units(issue.center)}
        return unit_copy(
            desk.ledger.unit_view(number), center_name=center.name, unit_name=names.get(unit)
        )

    text = await desk.call(load)
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(number)}.md"},
    )


def _act_unit(ledger: Ledger, user: StaffUser, number: str, f: dict[str, str]) -> None:
    actor = f"unit:{user.unit}:{user.username}"
    if f["action"] == "object":
        ledger.object_dispatch(number, reason=f.get("reason", ""), actor=actor)
    else:
        _rectification_step(ledger, number, f, actor)


def _rectification_step(ledger: Ledger, number: str, f: dict[str, str], actor: str) -> bool:
    """A step staff and units both take: plan, progress, complete, explain.

    Returns False when ``f`` asks for something else.
    """
    action = f.get("action")
    if action == "plan":
        days = f.get("days", "")
        ledger.plan(
            number,
            track=f.get("track", ""),
            measures=f.get("measures") or None,
            days=int(days) if days.isdigit() else None,
            actor=actor,
        )
    elif action == "progress":
        ledger.progress(number, note=f.get("note", ""), actor=actor)
    elif action == "complete":
        ledger.complete(number, evidence=f.get("evidence", ""), actor=actor)
    elif action == "explain":
        ledger.explain(number, explanation=f.get("explanation", ""), actor=actor)
    else:
        return False
    return True


async def console_quarantine(request: Request) -> Response:
    """Reports kept aside: file one as a supervisor's issue, or dismiss it with a note."""
    user = await require_user(request)
    _staff(user)
    desk = desk_of(request)
    message, status = None, 200
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        fields = await posted_fields(request)

        def act() -> None:
            ledger = desk.ledger
            qid = int(fields.get("id", "0") or 0)
            try:
                held = ledger.report_summary(qid)
            except NotFound:
                raise HTTPException(404, "没有这条反馈。") from None
            if held.status != "quarantined" or not can_see_center(user, held.center):
                raise HTTPException(403, "您无权处理这条反馈。")
            actor = f"user:{user.username}"
            if fields.get("action") == "assign":
                sid = fields.get("supervisor_id", "")
                ledger.assign_quarantined(
                    qid, supervisor_id=int(sid) if sid.isdigit() else 0, actor=actor
                )
            elif fields.get("action") == "dismiss":
                ledger.dismiss_quarantined(qid, note=fields.get("note", ""), actor=actor)
            else:
                raise InvalidInput("未知的操作")

        try:
            await desk.call(act)
            return RedirectResponse("/console/quarantine", status_code=303)
        except (InvalidInput, InvalidTransition, NotFound, ValueError) as e:
            message, status = str(e), 400

    after = request.query_params.get("after", "")

    def load() -> Any:
        ledger = desk.ledger
        centers = _centers(ledger, user)
        # A page at a time: a hotline's export can leave most of its calls here.
        held = ledger.quarantine(
            centers=centers, after=int(after) if after.isdigit() else None, limit=PAGE + 1
        )
        total = ledger.quarantine_count(centers=centers, up_to=_COUNT_UP_TO + 1)
        ledger.users.log_access(user.username, "view_quarantine", f"{len(held)} reports")
        supervisors = [
            s for s in ledger.supervisors() if s.center in centers and s.status.value == "active"
        ]
        return held, total, supervisors

    held, total, supervisors = await desk.call(load)
    more = len(held) > PAGE
    held = held[:PAGE]
    context = {
        "held": held,
        "total": f"{_COUNT_UP_TO} 余条" if total > _COUNT_UP_TO else f"{total} 条",
        "next_after": held[-1].id if more else None,
        "supervisors": supervisors,
        "message": message,
        "can_act": user.role is Role.STAFF,
    }
    return render(request, "console/quarantine.html", context, status_code=status)


async def console_dashboard(request: Request) -> Response:
    """Intake by channel over time, open and overdue issues, by problem type and stage."""
    user = await require_user(request)
    _staff(user)
    desk = desk_of(request)

    def load() -> Any:
        ledger = desk.ledger
        centers = _centers(ledger, user)
        return ledger.dashboard(centers), {
            c.code: c.name for c in ledger.centers() if c.code in centers
        }

    data, centers = await desk.call(load)
    channels = sorted({ch for week in data["by_week"].values() for ch in week})
    peak = max((sum(w.values()) for w in data["by_week"].values()), default=1) or 1
    labels = {p.value: p.label for p in ProblemType} | {s.value: s.label for s in Stage}
    context = {
        "data": data,
        "centers": centers,
        "channels": channels,
        "peak": peak,
        "labels": labels,
        "type_peak": max(data["by_type"].values(), default=1) or 1,
        "stage_peak": max(data["by_stage"].values(), default=1) or 1,
    }
    return render(request, "console/dashboard.html", context)


async def console_supervisors(request: Request) -> Response:
    """The supervisors' register of the user's centers; staff appoint new ones here."""
    user = await require_user(request)
    _staff(user)
    desk = desk_of(request)
    message, status = None, 200
    values: dict[str, str] = {}
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        values = await posted_fields(request)

        def add() -> int:
            center = values.get("center", "")
            if values.get("action") == "activity":
                if center not in _centers(desk.ledger, user):
                    raise HTTPException(403, "不能为其他中心安排活动。")
                try:
                    held_on = dt.date.fromisoformat(values.get("held_on", ""))
                except ValueError:
                    raise InvalidInput("请填写活动日期（年-月-日）") from None
                desk.ledger.add_activity(
                    center=center,
                    kind=values.get("kind", ""),
                    title=values.get("title", ""),
                    held_on=held_on,
                    place=values.get("place", ""),
                    organizer=values.get("organizer", ""),
                )
                return 0
            if center not in _centers(desk.ledger, user):
                raise HTTPException(403, "不能为其他中心聘任监督员。")
            identities = [
                Identity(kind, values[field])
                for kind, field in ((ContactKind.PHONE, "phone"), (ContactKind.EMAIL, "email"))
                if values.get(field, "").strip()
            ]
            try:
                new = NewSupervisor(
                    name=values.get("name", "").strip(),
                    center=center,
                    origin=values.get("origin", "experience_officer"),
                    letter_number=values.get("letter_number") or None,
                    identities=identities,
                )
            except ValueError as e:
                raise InvalidInput(str(e)) from None
            return desk.ledger.add_supervisor(new).id

        try:
            supervisor_id = await desk.call(add)
            target = (
                f"/console/supervisors/{supervisor_id}" if supervisor_id else "/console/supervisors"
            )
            return RedirectResponse(target, status_code=303)
        except (InvalidInput, ValueError) as e:
            message, status = str(e), 400

    def load() -> Any:
        ledger = desk.ledger
        centers = _centers(ledger, user)
        rows = [s for s in ledger.supervisors() if s.center in centers]
        activities = [
            a for c in centers for a in ledger.activities(center=c, year=ledger.today().year)
        ]
        return rows, {c.code: c.name for c in ledger.centers() if c.code in centers}, activities

    rows, centers, activities = await desk.call(load)
    listed = [
        (s, next((mask_phone(i.value) for i in s.identities if i.kind is ContactKind.PHONE), ""))
        for s in rows
    ]
    context = {
        "listed": listed,
        "centers": centers,
        "origins": list(Origin),
        "activities": activities,
        "activity_kinds": list(ActivityKind),
        "message": message,
        "values": values,
        "can_act": user.role is Role.STAFF,
    }
    return render(request, "console/supervisors.html", context, status_code=status)


async def console_supervisor(request: Request) -> Response:
    """One supervisor and what staff do about them.

    Contact details (the view is logged), a messenger link code, suspend or reinstate,
    revoke, discipline records, attendance at the center's activities.
    """
    user = await require_user(request)
    _staff(user)
    desk = desk_of(request)
    supervisor_id = int(request.path_params["supervisor_id"])
    message, status, link_code = None, 200, None

    def visible() -> Any:
        try:
            supervisor = desk.ledger.supervisor(supervisor_id)
        except NotFound:
            raise HTTPException(404, "没有这位监督员。") from None
        if not can_see_center(user, supervisor.center):
            raise HTTPException(403, "您无权查看其他中心的监督员。")
        return supervisor

    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        f = await posted_fields(request)

        def act() -> str | None:
            visible()
            ledger, actor = desk.ledger, f"user:{user.username}"
            action = f.get("action")
            if action == "link_code":
                return ledger.messengers.issue_link_code(supervisor_id).code
            if action == "suspend":
                ledger.suspend(supervisor_id, reason=f.get("reason", ""))
            elif action == "reinstate":
                ledger.reinstate(supervisor_id, reason=f.get("reason", ""))
            elif action == "revoke":
                ledger.revoke(
                    supervisor_id,
                    Revocation(
                        on=ledger.today(),
                        reason=f.get("reason", ""),
                        letter_returned=f.get("letter_returned") == "yes",
                        card_returned=f.get("card_returned") == "yes",
                    ),
                )
            elif action == "discipline":
                ledger.record_discipline(
                    supervisor_id, kind=f.get("kind", ""), reason=f.get("reason", ""), actor=actor
                )
            elif action == "edit":

                def day(key: str) -> dt.date | None:
                    value = f.get(key, "").strip()
                    if not value:
                        return None
                    try:
                        return dt.date.fromisoformat(value)
                    except ValueError:
                        raise InvalidInput(f"日期格式应为 年-月-日：{value}") from None

                ledger.update_supervisor(
                    supervisor_id,
                    name=f.get("name"),
                    letter_number=f.get("letter_number"),
                    card_number=f.get("card_number"),
                    term_start=day("term_start"),
                    term_end=day("term_end"),
                )
            elif action == "add_contact":
                kind = ContactKind(f.get("kind", "phone"))
                ledger.add_identity(supervisor_id, Identity(kind, f.get("value", "")))
            elif action == "attendance":
                activity = f.get("activity", "")
                ledger.record_attendance(
                    int(activity) if activity.isdigit() else 0, supervisor_id, f.get("status", "")
                )
            else:
                raise InvalidInput("未知的操作")
            return None

        try:
            link_code = await desk.call(act)
            if link_code is None:
                return RedirectResponse(f"/console/supervisors/{supervisor_id}", status_code=303)
        except (InvalidInput, InvalidTransition, NotFound, ValueError) as e:
            message, status = str(e), 400

    def load() -> Any:
        supervisor = visible()
        ledger = desk.ledger
        ledger.users.log_access(user.username, "view_supervisor", f"supervisor:{supervisor.id}")
        activities = ledger.activities(center=supervisor.center, year=ledger.today().year)
        return supervisor, ledger.discipline(supervisor.id), activities

    supervisor, discipline, activities = await desk.call(load)
    context = {
        "s": supervisor,
        "discipline": discipline,
        "activities": activities,
        "kinds": list(DisciplineKind),
        "attendance": list(AttendanceStatus),
        "message": message,
        "link_code": link_code,
        "can_act": user.role is Role.STAFF,
    }
    return render(request, "console/supervisor.html", context, status_code=status)


@hookimpl(trylast=True)  # after the front desk's pages: its menu comes first
def supervision_register_routes(register: RouteRegistry) -> None:
    """The console and the unit's portal."""
    register.add_nav("/console", "问题台账")
    register.add(Route("/console", console_queue))
    register.add(Route("/console/issues/{number}", console_issue, methods=["GET", "POST"]))
    register.add(Route("/console/quarantine", console_quarantine, methods=["GET", "POST"]))
    register.add(Route("/console/dashboard", console_dashboard))
    register.add(Route("/console/supervisors", console_supervisors, methods=["GET", "POST"]))
    register.add(
        Route(
            "/console/supervisors/{supervisor_id:int}", console_supervisor, methods=["GET", "POST"]
        )
    )
    register.add(Route("/unit", unit_portal))
    register.add(Route("/unit/issues/{number}", unit_issue, methods=["GET", "POST"]))
    register.add(Route("/unit/issues/{number}/notice", unit_notice))

"""The supervisors' register (``/console/supervisors``) and one supervisor's page.

Staff appoint supervisors and plan the center's activities; on a supervisor's page they
see the contact details (the view is logged), issue a messenger link code, suspend,
reinstate or revoke, record discipline and attendance, and record a service experience
or inspection that found nothing. A township's staff propose their own hire into the
营商环境体验官 team on the hire's page; the banner center's staff accept or decline there.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from supervision_core import (
    VISIT_METHODS,
    Activity,
    ActivityKind,
    AttendanceStatus,
    CenterLevel,
    ContactKind,
    DisciplineKind,
    Identity,
    IdentityTaken,
    InvalidInput,
    InvalidTransition,
    Ledger,
    NewSupervisor,
    NotFound,
    OfficerRecommendation,
    Origin,
    Revocation,
    Role,
    StaffUser,
    can_see_center,
    mask_phone,
)

from ..app import desk_of, posted_fields, render, require_user
from ..typed import form_date, form_id, path_id, refuse_nul, said
from .access import centers_of, require_staff

__all__ = ["console_supervisor", "console_supervisors"]


async def console_supervisors(request: Request) -> Response:
    """The supervisors' register of the user's centers; staff appoint new ones here."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    message, status = None, 200
    values: dict[str, str] = {}
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        values = await posted_fields(request)

        def add() -> int:
            refuse_nul(values)
            center = values.get("center", "")
            if values.get("action") == "activity":
                if center not in centers_of(desk.ledger, user):
                    raise HTTPException(403, "不能为其他中心安排活动。")
                held_on = form_date(values.get("held_on"), "活动日期")
                if held_on is None:
                    raise InvalidInput("请填写活动日期（年-月-日）")
                desk.ledger.add_activity(
                    center=center,
                    kind=values.get("kind", ""),
                    title=values.get("title", ""),
                    held_on=held_on,
                    place=values.get("place", ""),
                    organizer=values.get("organizer", ""),
                )
                return 0
            if center not in centers_of(desk.ledger, user):
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
            try:
                return desk.ledger.add_supervisor(new).id
            except IdentityTaken as taken:
                raise InvalidInput(_taken(desk.ledger, user, taken)) from None

        try:
            supervisor_id = await desk.call(add)
            target = (
                f"/console/supervisors/{supervisor_id}" if supervisor_id else "/console/supervisors"
            )
            return RedirectResponse(target, status_code=303)
        except (InvalidInput, NotFound, ValueError) as e:
            message, status = said(e), 400

    def load() -> Any:
        ledger = desk.ledger
        centers = centers_of(ledger, user)
        rows = [s for s in ledger.supervisors() if s.center in centers]
        ledger.log_access(
            user=user.username,
            action="view_supervisors",
            purpose=f"网页 {request.url.path}",
            supervisors=[s.id for s in rows],
        )
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
        "typed": values,
        "can_act": user.role is Role.STAFF,
    }
    return render(request, "console/supervisors.html", context, status_code=status)


async def console_supervisor(request: Request) -> Response:
    """One supervisor and what staff do about them.

    Contact details (the view is logged), a messenger link code, suspend or reinstate,
    revoke, discipline records, attendance at the center's activities.
    """
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    supervisor_id = path_id(request, "supervisor_id", "没有这位监督员。")
    message, status, link_code = None, 200, None
    typed: dict[str, str] = {}

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
            refuse_nul(f)
            supervisor = visible()
            ledger, actor = desk.ledger, f"user:{user.username}"
            action = f.get("action")
            if action == "link_code":
                return ledger.messengers.issue_link_code(supervisor_id).code
            if action == "end_me_sessions":  # a lost phone: signed out of /me everywhere
                ledger.end_supervisor_sessions(supervisor_id, actor=actor)
                return None
            if action == "suspend":
                ledger.suspend(supervisor_id, reason=f.get("reason", ""), actor=actor)
            elif action == "reinstate":
                ledger.reinstate(supervisor_id, reason=f.get("reason", ""), actor=actor)
            elif action == "revoke":
                override = f.get("override", "").strip() or None
                if override and user.center_level is not CenterLevel.BANNER:
                    raise InvalidInput("未经批评教育直接取消资格，须由旗政务服务中心决定")
                ledger.revoke(
                    supervisor_id,
                    Revocation(
                        on=ledger.today(),
                        reason=f.get("reason", ""),
                        letter_returned=f.get("letter_returned") == "yes",
                        card_returned=f.get("card_returned") == "yes",
                        admonitions=_record_ids(f.get("admonitions", "")),
                        override=override,
                        decided_by=f.get("decided_by") or None,
                    ),
                    actor=actor,
                )
            elif action == "papers_returned":
                ledger.record_papers_returned(
                    supervisor_id,
                    letter=f.get("letter_returned") == "yes",
                    card=f.get("card_returned") == "yes",
                    actor=actor,
                )
            elif action == "discipline":
                ledger.record_discipline(
                    supervisor_id,
                    kind=f.get("kind", ""),
                    reason=f.get("reason", ""),
                    actor=actor,
                    response=f.get("response") or None,
                )
            elif action == "edit":
                ledger.update_supervisor(
                    supervisor_id,
                    name=f.get("name"),
                    letter_number=f.get("letter_number"),
                    card_number=f.get("card_number"),
                    term_start=form_date(f.get("term_start"), "聘期开始"),
                    term_end=form_date(f.get("term_end"), "聘期结束"),
                )
            elif action == "add_contact":
                kind = _contact_kind(f.get("kind", "phone"))
                try:
                    ledger.add_identity(supervisor_id, Identity(kind, f.get("value", "")))
                except IdentityTaken as taken:
                    raise InvalidInput(_taken(ledger, user, taken)) from None
            elif action == "attendance":
                activity_id = form_id(f.get("activity"), "活动")
                # Only the activities of the supervisor's own center, which the form
                # offers: not another center's, by a changed id.
                activity = _activity(ledger, activity_id)
                if activity is None or activity.center != supervisor.center:
                    raise InvalidInput("请从列表中选择本中心的活动")
                ledger.record_attendance(
                    activity.id,
                    supervisor_id,
                    f.get("status", ""),
                    actor=actor,
                    note=f.get("note") or None,
                )
            elif action == "field_visit":
                on = form_date(f.get("on"), "日期")
                if on is None:
                    raise InvalidInput("请填写体验或暗访的日期")
                ledger.record_field_visit(
                    supervisor_id,
                    method=f.get("method", ""),
                    venue=f.get("venue", ""),
                    on=on,
                    note=f.get("note") or None,
                    actor=actor,
                )
            elif action == "propose_officer":
                if user.center != supervisor.center:
                    raise InvalidInput("只有监督员所在的苏木镇中心可以推荐本中心聘用的监督员")
                ledger.propose_officer(supervisor_id, reason=f.get("reason", ""), actor=actor)
            elif action == "decide_officer":
                if not _is_banner(user):
                    raise InvalidInput("只有旗政务服务中心可以决定是否纳入营商环境体验官队伍")
                pending = _pending(ledger, supervisor)
                if pending is None or str(pending.id) != f.get("recommendation", ""):
                    raise InvalidInput("该推荐已有决定或不存在，请刷新页面")
                ledger.decide_officer_recommendation(
                    pending.id,
                    accept=f.get("decision") == "accept",
                    note=f.get("note") or None,
                    actor=actor,
                )
            else:
                raise InvalidInput("未知的操作")
            return None

        try:
            link_code = await desk.call(act)
            if link_code is None:
                return RedirectResponse(f"/console/supervisors/{supervisor_id}", status_code=303)
        except (InvalidInput, InvalidTransition, NotFound, ValueError) as e:
            message, status, typed = said(e), 400, f

    def load() -> Any:
        supervisor = visible()
        ledger = desk.ledger
        ledger.log_access(
            user=user.username,
            action="view_supervisor",
            purpose=f"网页 {request.url.path}",
            supervisors=[supervisor.id],
        )
        activities = ledger.activities(center=supervisor.center, year=ledger.today().year)
        visits = ledger.field_visits(supervisor_id=supervisor.id, year=ledger.today().year)
        recommendations = [
            r
            for r in ledger.officer_recommendations(center=supervisor.center)
            if r.supervisor_id == supervisor.id
        ]
        officer = {
            "recommendations": recommendations,
            "pending": _pending(ledger, supervisor),
            "can_propose": user.center == supervisor.center
            and ledger.center(supervisor.center).level is CenterLevel.TOWNSHIP
            and supervisor.origin is Origin.TOWNSHIP_HIRED,
            "can_decide": _is_banner(user),
        }
        sessions = ledger.supervisor_sessions(supervisor.id)
        return supervisor, ledger.discipline(supervisor.id), activities, visits, officer, sessions

    supervisor, discipline, activities, visits, officer, sessions = await desk.call(load)
    now = desk.ledger.clock()
    context = {
        "visits": visits,
        "visit_methods": VISIT_METHODS,
        "officer": officer,
        "s": supervisor,
        "discipline": discipline,
        "activities": activities,
        "kinds": list(DisciplineKind),
        "attendance": list(AttendanceStatus),
        "message": message,
        "typed": typed,
        "link_code": link_code,
        "can_act": user.role is Role.STAFF,
        "me_sessions": [m for m in sessions if m.is_active(now)],
    }
    return render(request, "console/supervisor.html", context, status_code=status)


def _is_banner(user: StaffUser) -> bool:
    return user.center_level is CenterLevel.BANNER


def _pending(ledger: Ledger, supervisor: Any) -> OfficerRecommendation | None:
    """The supervisor's recommendation into the officer team awaiting the banner's decision."""
    return next(
        (
            r
            for r in ledger.officer_recommendations(center=supervisor.center, status="proposed")
            if r.supervisor_id == supervisor.id
        ),
        None,
    )


def _record_ids(value: str) -> list[int]:
    """The admonition record numbers typed in the revocation form ("3, 5" or "#3，#5")."""
    found = []
    for part in value.replace("，", ",").replace("、", ",").split(","):
        part = part.strip().lstrip("#")
        if not part:
            continue
        if not part.isdigit():
            raise InvalidInput(f"批评教育记录编号应为数字：{part}")
        found.append(int(part))
    return found


def _contact_kind(value: str) -> ContactKind:
    try:
        return ContactKind(value)
    except ValueError:
        raise InvalidInput("请选择联系方式的类型（手机号或电子邮箱）") from None


def _activity(ledger: Ledger, activity_id: int | None) -> Activity | None:
    if activity_id is None:
        return None
    try:
        return ledger.activity(activity_id)
    except NotFound:
        return None


def _taken(ledger: Ledger, user: StaffUser, taken: IdentityTaken) -> str:
    """Who already has a phone or address: named only to staff who may see that supervisor."""
    owner = ledger.supervisor_brief(taken.supervisor_id)
    if owner is not None and can_see_center(user, owner[1]):
        return f"该联系方式已登记给监督员 #{taken.supervisor_id}（{owner[0]}）"
    return "该联系方式已登记给其他中心的监督员，请核实后再填写"

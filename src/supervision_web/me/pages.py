"""The pages of ``/me``: home, my reports, report a problem, notices, my year.

Every page is for the signed-in supervisor only (:func:`~.auth.signed_in`), and shows
what is theirs: another supervisor's report is "not found" (404), never "forbidden",
so that the page does not even tell that it exists.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import quote

import attrs
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import supervision_web as web
from supervision_core import (
    OPEN_STATES,
    CenterLevel,
    InvalidInput,
    InvalidTransition,
    Issue,
    IssueState,
    IssueSummary,
    Ledger,
    Method,
    NotFound,
    OutboxEntry,
    ProblemType,
    RecipientKind,
    RouteRegistry,
    Satisfaction,
    Stage,
    Supervisor,
    Topic,
    local_date,
)

from . import CHANNEL, activities, work
from .auth import (
    COOKIE,
    SignInRequired,
    login,
    logout,
    signed_in,
    signed_in_hop,
)
from .form import FormLimits, Photo, valid_form_key, validate_report

__all__ = ["register_routes"]

#: Where the supervisor's page's photos may come from: the phone's camera, or its gallery.
_ACCEPT = "image/*"


def _not_found(what: str = "没有找到这条反馈。") -> HTTPException:
    return HTTPException(404, what)


def _centers(ledger: Ledger, supervisor: Supervisor) -> dict[str, str]:
    """Where a supervisor may report: their own center first, then the banner's hall."""
    centers = ledger.centers()
    names = {c.code: c.name for c in centers}
    codes = [supervisor.center]
    codes += [c.code for c in centers if c.level is CenterLevel.BANNER and c.code not in codes]
    return {c: names[c] for c in codes if c in names}


def _unit_names(ledger: Ledger, center: str) -> dict[str, str]:
    return {u.code: u.name for u in ledger.units(center)}


# ---------------------------------------------------------------- home


def _home(ledger: Ledger, supervisor: Supervisor) -> dict[str, Any]:
    return {
        "center_name": ledger.center(supervisor.center).name,
        "counts": ledger.supervisor_issue_counts(supervisor.id),
        "activities": activities.upcoming(ledger, supervisor, limit=3),
    }


@signed_in
async def home(request: Request, supervisor: Supervisor) -> Response:
    """The supervisor's home: what waits for them, and the way to everything else."""
    desk = web.desk_of(request)
    context = await desk.call(_home, desk.ledger, supervisor)
    return web.render(request, "me/home.html", {"me": supervisor, **context})


# ---------------------------------------------------------------- my reports


_OPEN = frozenset(s.value for s in OPEN_STATES)
_TO_EVALUATE = frozenset({IssueState.COMPLETED.value, IssueState.EXPLAINED.value})
_STATE_LABELS = {s.value: s.label for s in IssueState}


@attrs.frozen(slots=True)
class ReportLine:
    """One line of "my reports", its text ready to show.

    Computed in Python so that the template's loop only prints attributes: filters,
    method calls and a dict's keys per row took most of the page's time (bench_me.py).
    """

    number: str
    state: str  # the state's label
    when: str  # "2026-12-01 反映 · 期限 2026-12-10"
    overdue: bool
    evaluate: bool


#: Reports shown at a time on a phone; older ones a tap away ("更早的反馈").
PAGE_SIZE = 50


def _line(issue: IssueSummary, today: dt.date) -> ReportLine:
    state, due = issue.state.value, issue.due_on
    when = f"{local_date(issue.received_at).isoformat()} 反映"
    if due is not None:
        when += f" · 期限 {due.isoformat()}"
    return ReportLine(
        number=issue.number,
        state=_STATE_LABELS.get(state, state),
        when=when,
        overdue=state in _OPEN and due is not None and due < today,
        evaluate=state in _TO_EVALUATE,
    )


def _reports_page(
    supervisor: Supervisor, mine: list[IssueSummary], before: int | None, today: dt.date
) -> dict[str, Any]:
    return {
        "me": supervisor,
        "rows": [_line(i, today) for i in mine],
        "older": mine[-1].id if len(mine) == PAGE_SIZE else None,
        "first_page": before is None,
    }


@signed_in_hop
async def reports(request: Request) -> Response:
    """My reports, newest first, a page at a time: number, state, when, deadline, overdue.

    The session and the page of issues are read on one connection in one worker thread
    (:meth:`~supervision_core.Ledger.supervisor_page`), as every page checks the session.
    """
    desk = web.desk_of(request)
    before = web.query_id(request, "before")
    token = request.cookies.get(COOKIE, "")
    found = await desk.call(desk.ledger.supervisor_page, token, before=before, limit=PAGE_SIZE)
    if found is None:
        raise SignInRequired
    request.state.supervisor, mine = found
    context = _reports_page(found[0], mine, before, desk.ledger.today())
    return web.render(request, "me/reports.html", context)


def _own_issue(ledger: Ledger, supervisor: Supervisor, number: str) -> Issue:
    """The supervisor's own issue ``number``; anyone else's is not found."""
    try:
        issue = ledger.issue(number)
    except (NotFound, InvalidInput, ValueError):
        raise _not_found() from None
    if issue.supervisor_id != supervisor.id:
        raise _not_found()
    return issue


def _steps(ledger: Ledger, issue: Issue) -> list[OutboxEntry]:
    """What the supervisor was told of each step, oldest first: the notices they were sent."""
    return [
        e
        for e in reversed(ledger.outbox(issue=issue.id, limit=500))
        if e.notice.recipient_kind is RecipientKind.SUPERVISOR
        and e.notice.recipient == str(issue.supervisor_id)
    ]


def _report_context(ledger: Ledger, supervisor: Supervisor, number: str) -> dict[str, Any]:
    issue = _own_issue(ledger, supervisor, number)
    units = _unit_names(ledger, issue.center)
    summary = ledger.report_summary(issue.report_id)
    today = ledger.today()
    return {
        "issue": issue,
        "unit_name": units.get(issue.unit or "", issue.unit),
        "center_name": ledger.center(issue.center).name,
        "steps": _steps(ledger, issue),
        "late": issue.is_late(today),
        "overdue": issue.is_overdue(today),
        "photos": [a for a in summary.attachments if a.content_type.startswith("image/")],
        "files": summary.attachments,
        "can_evaluate": issue.state in {IssueState.COMPLETED, IssueState.EXPLAINED},
        "satisfactions": list(Satisfaction),
    }


@signed_in
async def report(request: Request, supervisor: Supervisor) -> Response:
    """One of my reports: its state, steps, deadline, the unit's answer, and my evaluation."""
    desk = web.desk_of(request)
    number = request.path_params["number"]
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        typed = await web.posted_fields(request)
        satisfaction = typed.get("satisfaction", "")
        note = typed.get("note", "").strip()
        if satisfaction not in {s.value for s in Satisfaction}:
            errors["satisfaction"] = "请选择满意、基本满意或不满意"
        elif satisfaction == Satisfaction.NOT_SATISFIED.value and not note:
            errors["note"] = "不满意的，请写明理由"
        elif len(note) > 2000 or "\x00" in note:
            errors["note"] = "理由不能超过 2000 个字符"
        if not errors:

            def evaluate() -> None:
                _own_issue(desk.ledger, supervisor, number)
                desk.ledger.evaluate(
                    number,
                    satisfaction=satisfaction,
                    actor=f"supervisor:{supervisor.id}",
                    note=note or None,
                )

            try:
                await desk.call(evaluate)
            except (InvalidTransition, InvalidInput) as e:
                errors["satisfaction"] = f"未能记录评价：{e}"
            else:
                return RedirectResponse(
                    f"/me/reports/{quote(number)}?evaluated=1#evaluation", status_code=303
                )
        status = 422
    context = await desk.call(_report_context, desk.ledger, supervisor, number)
    context |= {
        "me": supervisor,
        "errors": errors,
        "typed": typed,
        "evaluated": request.query_params.get("evaluated") == "1",
    }
    return web.render(request, "me/report.html", context, status_code=status)


@signed_in
async def report_file(request: Request, supervisor: Supervisor) -> Response:
    """A photo or file the supervisor sent with their own report (to them only)."""
    desk = web.desk_of(request)
    number = request.path_params["number"]
    attachment_id = web.path_id(request, "attachment_id", "没有这个附件。")

    def load() -> tuple[Any, bytes]:
        issue = _own_issue(desk.ledger, supervisor, number)
        try:
            info, content = desk.ledger.attachment(attachment_id)
        except NotFound:
            raise _not_found("没有这个附件。") from None
        if info.report_id != issue.report_id:
            raise _not_found("没有这个附件。")
        return info, content

    info, content = await desk.call(load)
    inline = info.content_type in {"image/jpeg", "image/png", "image/webp", "image/gif"}
    return Response(
        content,
        media_type=info.content_type if inline else "application/octet-stream",
        headers={
            "content-disposition": (
                f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(info.filename)}"
            ),
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": "private, no-store",
        },
    )


# ---------------------------------------------------------------- report a problem


def _form_context(ledger: Ledger, supervisor: Supervisor, limits: FormLimits) -> dict[str, Any]:
    return {
        "centers": limits.centers,
        "topics": list(Topic),
        "stages": list(Stage),
        "problem_types": list(ProblemType),
        "methods": list(Method),
        "max_file_mb": limits.max_file_bytes // (1024 * 1024),
        "max_files": limits.max_files,
        "accept": _ACCEPT,
    }


def _limits(request: Request, ledger: Ledger, supervisor: Supervisor) -> FormLimits:
    settings = web.desk_of(request).settings
    return FormLimits(
        centers=_centers(ledger, supervisor),
        max_file_bytes=settings.max_file_bytes,
        max_files=settings.max_files,
    )


def _file(
    ledger: Ledger,
    supervisor: Supervisor,
    fields: dict[str, str],
    photos: list[Photo],
    limits: FormLimits,
) -> int | dict[str, str]:
    """File the form (one blocking call): the report's id, or the errors by field."""
    key = fields.get("form_key", "")
    if valid_form_key(key):  # sent twice (a double tap, a resend on a weak line): once
        earlier = ledger.find_report(CHANNEL, f"form:{key}")
        if earlier is not None:
            if earlier.sender_value != str(supervisor.id):
                return {"form_key": "表单已失效，请重新打开“反映问题”页面"}
            return earlier.id
    report, errors = validate_report(supervisor, fields, photos, limits, received_at=ledger.clock())
    if report is None:
        return errors
    return ledger.receive(report).report_id


@signed_in
async def new_report(request: Request, supervisor: Supervisor) -> Response:
    """GET: an empty form with a fresh key; POST: file it once, or show it again with errors."""
    desk = web.desk_of(request)
    limits = await desk.call(_limits, request, desk.ledger, supervisor)
    if request.method == "GET":
        values = {"form_key": secrets.token_urlsafe(24), "center": supervisor.center}
        task = request.query_params.get("task", "")
        if task.isdigit() and len(task) <= 10:  # a report for a task's visit
            values["task"] = task
            values["venue"] = request.query_params.get("venue", "")[:200]
            method = request.query_params.get("method", "")
            if method in {m.value for m in Method}:
                values["method"] = method
        context = {"me": supervisor, "values": values, "errors": {}}
        context |= _form_context(desk.ledger, supervisor, limits)
        return web.render(request, "me/new_report.html", context)
    form = await web.form_or_400(request)
    web.require_csrf(request, form)
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    photos: list[Photo] = []
    for item in form.getlist("photos"):
        if isinstance(item, UploadFile) and item.filename:
            photos.append(Photo(item.filename, await item.read(limits.max_file_bytes + 1)))
    outcome = await desk.call(_file, desk.ledger, supervisor, fields, photos, limits)
    if isinstance(outcome, int):
        target = f"/me/filed/{outcome}"
        if fields.get("task", "").isdigit():
            target += f"?task={fields['task']}"
        return RedirectResponse(target, status_code=303)
    context = {
        "me": supervisor,
        "values": fields,
        "errors": outcome,
        "dropped_files": [p.filename for p in photos],
    }
    context |= _form_context(desk.ledger, supervisor, limits)
    return web.render(request, "me/new_report.html", context, status_code=422)


@signed_in
async def filed(request: Request, supervisor: Supervisor) -> Response:
    """After filing: the report's number (or that it waits to be checked)."""
    desk = web.desk_of(request)
    report_id = web.path_id(request, "report_id", "没有这条反馈。")
    try:
        summary = await desk.call(desk.ledger.report_summary, report_id)
    except NotFound:
        raise _not_found() from None
    if summary.channel != CHANNEL or summary.sender_value != str(supervisor.id):
        raise _not_found()
    context = {"me": supervisor, "summary": summary, "task": request.query_params.get("task")}
    return web.render(request, "me/filed.html", context)


# ---------------------------------------------------------------- notices


@signed_in
async def notices(request: Request, supervisor: Supervisor) -> Response:
    """Every notice I was sent (newest first), and my center's half-year briefings."""
    desk = web.desk_of(request)
    entries = await desk.call(desk.ledger.notices_to_supervisor, supervisor.id)
    briefings = [e for e in entries if e.notice.key.startswith("briefing:")]
    context = {"me": supervisor, "entries": entries, "briefings": briefings}
    return web.render(request, "me/notices.html", context)


@signed_in
async def notice_file(request: Request, supervisor: Supervisor) -> Response:
    """A file sent with one of my notices (the briefing's PDF)."""
    desk = web.desk_of(request)
    entry_id = web.path_id(request, "entry_id", "没有这条通知。")
    number = web.path_id(request, "number", "没有这个文件。")
    try:
        entry = await desk.call(desk.ledger.outbox_entry, entry_id)
    except NotFound:
        raise _not_found("没有这条通知。") from None
    notice = entry.notice
    if notice.recipient_kind is not RecipientKind.SUPERVISOR or notice.recipient != str(
        supervisor.id
    ):
        raise _not_found("没有这条通知。")
    if not 1 <= number <= len(notice.attachments):
        raise _not_found("没有这个文件。")
    attachment = notice.attachments[number - 1]
    return Response(
        attachment.content,
        media_type="application/octet-stream",
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{quote(attachment.filename)}",
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": "private, no-store",
        },
    )


# ---------------------------------------------------------------- my year


def _year(ledger: Ledger, supervisor: Supervisor, year: int) -> dict[str, Any]:
    facts = ledger.supervisor_year(supervisor.id, year)
    score = ledger.supervisor_score(supervisor.id, year)
    activities = []
    for a in ledger.activities(center=supervisor.center, year=year):
        mine = dict(a.attendance).get(supervisor.id)
        if mine is not None:
            activities.append((a, mine))
    # The one official version (a preview is never shown as a result).
    published = ledger.official_evaluation(center=supervisor.center, year=year)
    entry = None
    if published is not None:
        entry = next((e for e in published.entries if e.supervisor_id == supervisor.id), None)
    return {
        "year": year,
        "facts": facts,
        "score": score,
        "activities": activities,
        "published": published,
        "entry": entry,
        "today": ledger.today(),
    }


@signed_in
async def my_year(request: Request, supervisor: Supervisor) -> Response:
    """My year: activities attended, reports verified, the score so far, the published result."""
    desk = web.desk_of(request)
    this_year = desk.ledger.today().year
    raw = request.query_params.get("year", "")
    year = (
        int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= this_year else this_year
    )
    context = await desk.call(_year, desk.ledger, supervisor, year)
    context |= {"me": supervisor, "years": list(range(this_year, max(this_year - 5, 2019), -1))}
    return web.render(request, "me/year.html", context)


def register_routes(register: RouteRegistry) -> None:
    """Add the supervisor's pages (no link in the staff's menu: they are not for staff)."""
    register.add(Route("/me", home))
    register.add(Route("/me/login", login, methods=["GET", "POST"]))
    register.add(Route("/me/logout", logout, methods=["POST"]))
    register.add(Route("/me/reports", reports))
    register.add(Route("/me/reports/{number}", report, methods=["GET", "POST"]))
    register.add(Route("/me/reports/{number}/files/{attachment_id:int}", report_file))
    register.add(Route("/me/report", new_report, methods=["GET", "POST"]))
    register.add(Route("/me/filed/{report_id:int}", filed))
    register.add(Route("/me/notices", notices))
    register.add(Route("/me/notices/{entry_id:int}/files/{number:int}", notice_file))
    register.add(Route("/me/year", my_year))
    register.add(Route("/me/tasks", work.tasks))
    register.add(Route("/me/tasks/{task_id:int}", work.task, methods=["GET", "POST"]))
    register.add(Route("/me/activities", activities.activities))
    register.add(
        Route("/me/activities/{activity_id:int}", activities.activity, methods=["GET", "POST"])
    )
    register.add(Route("/me/documents", work.documents))
    register.add(Route("/me/documents/{document_id:int}", work.document))

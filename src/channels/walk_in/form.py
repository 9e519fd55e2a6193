"""The front desk's web form for walk-in and letter reports (来访、来信).

Staff at a center's desk, or a supervisor on the hall's tablet, enter a report that
came in person or by letter. The form's rules are plain functions over the submitted
values (:func:`validate_walk_in`, in :mod:`channels.walk_in.rules`, importable from here
too); this module holds the pages, routes on the web desk.

Submitting the same form twice files one report: every form carries a random key that
becomes the report's external id, so a double click or a resubmission after "back"
finds the report already received and shows its receipt.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import supervision_web as web
from channels.walk_in.channel import CHANNEL, WalkInChannel
from channels.walk_in.rules import (
    ALLOWED_TYPES,
    LETTER_MAX_AGE,
    FormChoices,
    Upload,
    WalkInMode,
    chosen_supervisor_id,
    validate_walk_in,
)
from supervision_core import (
    ContactKind,
    Ledger,
    Method,
    NotFound,
    ProblemType,
    Report,
    Role,
    RouteRegistry,
    StaffUser,
    Stage,
    SupervisorStatus,
    Topic,
    can_enter_reports,
    can_see_center,
    local_date,
    mask_name,
    mask_phone,
)
from supervision_web import WebSettings

__all__ = [
    "ALLOWED_TYPES",
    "CHANNEL",
    "LETTER_MAX_AGE",
    "FormChoices",
    "Upload",
    "WalkInChannel",
    "WalkInMode",
    "fingerprint",
    "register_routes",
    "validate_walk_in",
]


_TEMPLATES = Path(__file__).parent / "templates"


# ---------------------------------------------------------------- pages


_Brief = tuple[float, tuple[str, str, SupervisorStatus] | None]
_BRIEFS: weakref.WeakKeyDictionary[Ledger, dict[int, _Brief]] = weakref.WeakKeyDictionary()
_BRIEF_SECONDS = 60.0


def _brief(ledger: Ledger, supervisor_id: int) -> tuple[str, str, SupervisorStatus] | None:
    """A supervisor's name, center and status, remembered for a minute.

    Only the form's own check uses it (is this supervisor of this center, in office?):
    intake looks the status up again and keeps a suspended supervisor's report aside.
    """
    briefs = _BRIEFS.setdefault(ledger, {})
    now = time.monotonic()
    held = briefs.get(supervisor_id)
    if held is None or now - held[0] > _BRIEF_SECONDS:
        if len(briefs) > 10_000:
            briefs.clear()
        held = briefs[supervisor_id] = (now, ledger.supervisor_brief(supervisor_id))
    return held[1]


def _load_choices(
    ledger: Ledger, settings: WebSettings, user: StaffUser, *, only: Mapping[str, str] | None = None
) -> FormChoices:
    """What ``user`` may choose from; with ``only`` (a submitted form), just what it names."""
    # Only centers that enable this channel in supdesk.toml take walk-in reports.
    enabled = {c.center.code for c in ledger.settings.centers if CHANNEL in c.channels}
    centers = {
        c.code: c.name
        for c in ledger.centers()
        if c.code in enabled and can_enter_reports(user, c.code)
    }
    supervisors: dict[int, tuple[str, str]] = {}
    appointed: dict[int, dt.date] = {}
    if only is None:
        for s in ledger.supervisors(status=SupervisorStatus.ACTIVE):
            if s.center in centers:
                supervisors[s.id] = (s.name, s.center)
                if s.term_start is not None:
                    appointed[s.id] = s.term_start
        units = {(u.center, u.code): u.name for u in ledger.units() if u.center in centers}
    else:
        raw_id = only.get("supervisor_id", "")
        chosen_id = chosen_supervisor_id(raw_id)
        brief = _brief(ledger, chosen_id) if chosen_id is not None else None
        active = brief is not None and brief[2] is SupervisorStatus.ACTIVE
        if chosen_id is not None and brief is not None and active and brief[1] in centers:
            supervisors[chosen_id] = (brief[0], brief[1])
            if only.get("mode") == WalkInMode.LETTER.value:  # a letter's date is checked
                term_start = ledger.supervisor(chosen_id).term_start
                if term_start is not None:
                    appointed[chosen_id] = term_start
        center = only.get("center", "")
        units = (
            {(u.center, u.code): u.name for u in ledger.units(center)}
            if only.get("unit") and center in centers
            else {}
        )
    return FormChoices(
        centers=centers,
        supervisors=supervisors,
        units=units,
        max_file_bytes=settings.max_file_bytes,
        max_files=settings.max_files,
        today=ledger.today(),
        appointed=appointed,
    )


async def _form_context(request: Request, choices: FormChoices) -> dict[str, Any]:
    desk = web.desk_of(request)
    supervisors = await desk.call(desk.ledger.supervisors, status=SupervisorStatus.ACTIVE)
    # The picker shows each supervisor's name and (masked) phone: in the access log.
    user: StaffUser | None = getattr(request.state, "user", None)
    if user is not None:
        await desk.call(
            desk.ledger.log_access,
            user=user.username,
            action="walk_in_picker",
            purpose=f"网页 {request.url.path}",
            supervisors=list(choices.supervisors),
        )
    phones = {
        s.id: next((mask_phone(i.value) for i in s.identities if i.kind is ContactKind.PHONE), "")
        for s in supervisors
    }
    return {
        "choices": choices,
        "supervisor_options": [
            (sid, name, center, phones.get(sid, ""))
            for sid, (name, center) in sorted(choices.supervisors.items(), key=lambda x: x[1])
        ],
        "topics": list(Topic),
        "stages": list(Stage),
        "problem_types": list(ProblemType),
        "methods": list(Method),
        "allowed": sorted(set(ALLOWED_TYPES.values())),
        "max_file_mb": choices.max_file_bytes // (1024 * 1024),
    }


def fingerprint(report: Report) -> str:
    """What a report says, as a short digest: the same form filled in again has the same."""
    h = report.hints
    parts = [
        report.center,
        report.sender.kind.value,
        report.sender.value,
        report.sender.display_name or "",
        report.subject or "",
        report.text,
        *(str(v or "") for v in (h.method, h.stage, h.topic, h.problem_type, h.venue, h.unit)),
        *sorted(a.sha256 for a in report.attachments),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


_RECENT_FORMS = 10  # fingerprints of a session's last filings, kept in its cookie


def _file(
    ledger: Ledger,
    settings: WebSettings,
    user: StaffUser,
    fields: Mapping[str, str],
    uploads: Sequence[Upload],
    recent: Mapping[str, int],
) -> tuple[int, str | None] | dict[str, str]:
    """File a submitted form (one blocking call): (report id, fingerprint), or the errors.

    Intake itself is idempotent on the form's key, so a resubmitted form that is valid
    files nothing new; one that is not valid any more (its supervisor suspended since,
    say) is looked up by its key before its errors are shown. ``recent`` holds the
    session's last filings by fingerprint: the same report filled in again and
    submitted after the browser's "back" (the page may come with a new key) is found
    there.
    """
    choices = _load_choices(ledger, settings, user, only=fields)
    report, errors = validate_walk_in(fields, uploads, choices, received_at=ledger.clock())
    if report is None:
        if "form_key" in errors:  # a key no form ever had: nothing filed under it
            return errors
        earlier = ledger.find_report(CHANNEL, f"form:{fields.get('form_key', '')}")
        if earlier is not None and can_see_center(user, earlier.center):
            return earlier.id, None
        return errors
    digest = fingerprint(report)
    if digest in recent:
        return recent[digest], None
    return ledger.receive(report).report_id, digest


def _refuse_unless_staff(user: StaffUser) -> None:
    if user.role is not Role.STAFF:
        raise HTTPException(403, "您的账号不能录入反馈（只有中心工作人员可以录入）。")


async def walk_in_form(request: Request) -> Response:
    """GET: an empty form with a fresh key; POST: file it, or show it again with errors."""
    desk = web.desk_of(request)
    if request.method == "GET":
        user = await web.require_user(request)
        _refuse_unless_staff(user)
        choices = await desk.call(_load_choices, desk.ledger, desk.settings, user)
        if not choices.centers:
            raise HTTPException(403, "您所在的中心没有开通来访来信登记。")
        values = {"form_key": secrets.token_urlsafe(24), "reporter": "supervisor", "mode": "visit"}
        if len(choices.centers) == 1 or user.center in choices.centers:
            values["center"] = (
                user.center if user.center in choices.centers else next(iter(choices.centers))
            )
        context = {"values": values, "errors": {}, **await _form_context(request, choices)}
        return web.render(request, "walk_in/form.html", context)

    form = await web.form_or_400(request)
    web.require_csrf(request, form)
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    uploads: list[Upload] = []
    limit = desk.settings.max_file_bytes
    for field in ("files", "scan"):
        for item in form.getlist(field):
            if isinstance(item, UploadFile) and item.filename:
                content = await item.read(limit + 1)
                uploads.append(Upload(item.filename, content, field))

    recent_list = request.session.get("recent_forms")
    recent = {fp: rid for fp, rid in recent_list} if isinstance(recent_list, list) else {}

    def file_as(user: StaffUser) -> tuple[int, str | None] | dict[str, str]:
        _refuse_unless_staff(user)
        return _file(desk.ledger, desk.settings, user, fields, uploads, recent)

    # Group commit files clerks' posts together; a redirect shows no menu (no counts).
    outcome = await web.call_as_user(request, file_as, counted=False)
    if isinstance(outcome, tuple):
        report_id, digest = outcome
        if digest is not None:
            kept = [[fp, rid] for fp, rid in recent.items()][-(_RECENT_FORMS - 1) :]
            request.session["recent_forms"] = [*kept, [digest, report_id]]
        return RedirectResponse(f"/walk-in/receipt/{report_id}", status_code=303)
    load = functools.partial(_load_choices, desk.ledger, desk.settings)
    choices = await web.call_as_user(request, load)  # the menu's counts for the page
    context = {
        "values": fields,
        "errors": outcome,
        "dropped_files": [u.filename for u in uploads],
        **await _form_context(request, choices),
    }
    return web.render(request, "walk_in/form.html", context, status_code=422)


async def _visible_report(request: Request, user: StaffUser) -> Any:
    desk = web.desk_of(request)
    try:
        summary = await desk.call(
            desk.ledger.report_summary, web.path_id(request, "report_id", "没有这条反馈。")
        )
    except NotFound:
        raise HTTPException(404, "没有这条反馈。") from None
    if not can_see_center(user, summary.center):
        raise HTTPException(403, "您无权查看其他中心的反馈。")
    return summary


async def receipt(request: Request) -> Response:
    """The receipt (回执) for a filed report, printable, personal data masked."""
    user = await web.require_user(request)
    summary = await _visible_report(request, user)
    desk = web.desk_of(request)
    report = await desk.call(desk.ledger.report, summary.id)
    centers = {c.code: c.name for c in await desk.call(desk.ledger.centers)}
    phone = ""
    if summary.supervisor_id is not None:
        supervisor = await desk.call(desk.ledger.supervisor, summary.supervisor_id)
        await desk.call(
            desk.ledger.log_access,
            user=user.username,
            action="view_receipt",
            purpose=f"网页 {request.url.path}",
            supervisors=[supervisor.id],
            target=f"report:{summary.id}",
        )
        phone = next((i.value for i in supervisor.identities if i.kind is ContactKind.PHONE), "")
        who = mask_name(supervisor.name)
        kind = "监督员"
    else:
        phone = summary.sender_value if summary.sender_kind == ContactKind.PHONE else ""
        who = mask_name(summary.sender_name or "")
        kind = "来访群众"
    context = {
        "summary": summary,
        "report": report,
        "center_name": centers.get(summary.center, summary.center),
        "who": who,
        "who_kind": kind,
        "phone": mask_phone(phone) if phone else "",
        "received_on": local_date(summary.received_at),
    }
    return web.render(request, "walk_in/receipt.html", context)


_STATUS = {
    "filed": "已登记",
    "quarantined": "待甄别",
    "released": "已转登记",
    "dismissed": "不予登记",
}


async def desk_list(request: Request) -> Response:
    """The center's recent reports (all channels), newest first, with their status."""
    user = await web.require_user(request)
    desk = web.desk_of(request)
    centers = [c.code for c in await desk.call(desk.ledger.centers) if can_see_center(user, c.code)]
    if not centers:
        raise HTTPException(403, "您的账号不能查看前台登记。")
    before = web.query_id(request, "before")
    rows = await desk.call(desk.ledger.recent_reports, centers=centers, before=before, limit=50)
    channels = desk.ledger.host.channels()
    labels = {name: channels[name].label for name in channels}
    from supervision_core import IssueState

    states = {s.value: s.label for s in IssueState}
    context = {
        "rows": rows,
        "channel_labels": labels,
        "status_labels": _STATUS,
        "state_labels": states,
        "next_before": rows[-1].id if len(rows) == 50 else None,
    }
    return web.render(request, "walk_in/desk.html", context)


def register_routes(register: RouteRegistry) -> None:
    """Add the front desk's pages: the form, receipts, and the list of recent reports."""
    register.add_templates(_TEMPLATES)
    register.add_nav("/walk-in", "来访来信登记")
    register.add_nav("/desk", "最近登记")
    register.add(Route("/walk-in", walk_in_form, methods=["GET", "POST"]))
    register.add(Route("/walk-in/receipt/{report_id:int}", receipt))
    register.add(Route("/desk", desk_list))

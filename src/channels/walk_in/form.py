"""The front desk's web form for walk-in and letter reports (来访、来信).

Staff at a center's desk, or a supervisor on the hall's tablet, enter a report that
came in person or by letter. The form's rules are plain functions over the submitted
values (:func:`validate_walk_in`); the pages are routes on the web desk.

Submitting the same form twice files one report: every form carries a random key that
becomes the report's external id, so a double click or a resubmission after "back"
finds the report already received and shows its receipt.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import secrets
import time
import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import filetype
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import supervision_web as web
from channels.walk_in.channel import CHANNEL, WalkInChannel
from supervision_core import (
    Attachment,
    ContactKind,
    Ledger,
    Method,
    NotFound,
    ProblemType,
    Report,
    ReportHints,
    Role,
    RouteRegistry,
    Sender,
    StaffUser,
    Stage,
    SupervisorStatus,
    Topic,
    can_enter_reports,
    can_see_center,
    local_date,
    mask_name,
    mask_phone,
    normalize_identity,
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


#: What may be attached, by the type read from the file's first bytes (never the
#: browser's claim): photos, scans, documents and recordings.
ALLOWED_TYPES: Mapping[str, str] = {
    "image/jpeg": "JPEG 图片",
    "image/png": "PNG 图片",
    "image/gif": "GIF 图片",
    "image/webp": "WebP 图片",
    "image/heic": "HEIC 照片",
    "image/tiff": "TIFF 扫描件",
    "application/pdf": "PDF 文件",
    "application/msword": "Word 文档",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
    "audio/mpeg": "MP3 录音",
    "audio/mp4": "M4A 录音",
    "audio/amr": "AMR 录音",
    "audio/x-wav": "WAV 录音",
    "audio/ogg": "OGG 录音",
    "video/mp4": "MP4 视频",
}

_TEMPLATES = Path(__file__).parent / "templates"
_MAX_TEXT = 5000
_MAX_SHORT = 200


class WalkInMode(enum.StrEnum):
    """How the report reached the desk."""

    VISIT = "visit"
    LETTER = "letter"

    @property
    def label(self) -> str:
        """The way in Chinese."""
        return {"visit": "来访", "letter": "来信"}[self.value]


@attrs.frozen
class Upload:
    """A file as submitted: its name and bytes (read within the size limit)."""

    filename: str
    content: bytes = attrs.field(repr=False)
    field: str = "files"


@attrs.frozen(kw_only=True)
class FormChoices:
    """What the signed-in user may choose from: centers, supervisors, units, limits."""

    centers: Mapping[str, str]  # code -> name
    supervisors: Mapping[int, tuple[str, str]]  # id -> (name, center)
    units: Mapping[tuple[str, str], str]  # (center, code) -> name
    max_file_bytes: int = 10 * 1024 * 1024
    max_files: int = 10
    today: dt.date
    # id -> the first day of the term (聘期开始), for the supervisors whose is known:
    # they cannot have written as supervisors before it
    appointed: Mapping[int, dt.date] = attrs.Factory(dict)


#: How far back a letter's date may go: an older one is surely a mistyped date.
LETTER_MAX_AGE = dt.timedelta(days=366)


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return base[:200] or "附件"


def _text_error(value: str, *, required: bool, limit: int) -> str | None:
    if required and not value.strip():
        return "此项必填"
    if "\x00" in value:
        return "含有空字符（\\0），无法保存，请删除后重试"
    if len(value) > limit:
        return f"不能超过 {limit} 个字符（现有 {len(value)} 个）"
    return None


def _chosen_id(raw: str) -> int | None:
    """A supervisor's id as the form's list gives it (ASCII digits, a 32-bit id), else None."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or int(raw) > 2**31 - 1:
        return None
    return int(raw)


def _term(kind: type[enum.StrEnum], value: str, errors: dict[str, str], field: str) -> Any:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        errors[field] = "请从列表中选择"
        return None


def _letter_date_error(
    written_on: dt.date, today: dt.date, appointed: dt.date | None
) -> str | None:
    """Why a letter's date is not plausible, or ``None``."""
    if written_on > today:
        return "写信日期不能晚于今天"
    if appointed is not None and written_on < appointed:
        return f"写信日期早于该监督员的聘期开始日（{appointed:%Y年%m月%d日}），请核对"
    earliest = today - LETTER_MAX_AGE
    if written_on < earliest:
        return f"写信日期不能早于 {earliest:%Y年%m月%d日}（一年以前），请核对年份"
    return None


def validate_walk_in(
    fields: Mapping[str, str],
    uploads: Sequence[Upload],
    choices: FormChoices,
    *,
    received_at: dt.datetime,
) -> tuple[Report | None, dict[str, str]]:
    """The report a submitted form describes, or the errors by field name (in Chinese).

    Text is kept exactly as typed (it is only checked); attachments are typed by their
    content and refused outside :data:`ALLOWED_TYPES` or over the size limit.
    """
    errors: dict[str, str] = {}

    def get(name: str) -> str:
        return fields.get(name, "")

    center = get("center")
    if center not in choices.centers:
        errors["center"] = "请选择您所在的中心"

    reporter = get("reporter")
    sender: Sender | None = None
    if reporter == "supervisor":
        raw_id = get("supervisor_id")
        chosen_id = _chosen_id(raw_id)
        chosen = choices.supervisors.get(chosen_id) if chosen_id is not None else None
        if chosen is None:
            errors["supervisor_id"] = "请选择反映问题的监督员"
        elif center in choices.centers and chosen[1] != center:
            errors["supervisor_id"] = "该监督员不属于所选中心"
        else:
            sender = Sender(ContactKind.REGISTER, raw_id, chosen[0])
    elif reporter == "visitor":
        name, phone = get("visitor_name"), get("visitor_phone")
        if problem := _text_error(name, required=True, limit=_MAX_SHORT):
            errors["visitor_name"] = problem
        digits = normalize_identity(ContactKind.PHONE, phone)
        if not phone.strip():
            errors["visitor_phone"] = "此项必填，以便告知处理结果"
        elif not 7 <= len(digits) <= 12 or any(c not in "0123456789+- ()" for c in phone):
            errors["visitor_phone"] = "请填写正确的手机号或带区号的固定电话"
        if "visitor_name" not in errors and "visitor_phone" not in errors:
            sender = Sender(ContactKind.PHONE, phone, name)
    else:
        errors["reporter"] = "请选择反映人是否为监督员"

    mode_value = get("mode")
    mode = WalkInMode(mode_value) if mode_value in {"visit", "letter"} else None
    subject = None
    if mode is None:
        errors["mode"] = "请选择来访或来信"
    elif mode is WalkInMode.LETTER:
        written = get("letter_date")
        try:
            written_on = dt.date.fromisoformat(written)
        except ValueError:
            errors["letter_date"] = "请填写写信日期（年-月-日）"
        else:
            picked = _chosen_id(get("supervisor_id")) if reporter == "supervisor" else None
            appointed = choices.appointed.get(picked) if picked is not None else None
            if problem := _letter_date_error(written_on, choices.today, appointed):
                errors["letter_date"] = problem
            else:
                subject = f"来信（写于 {written_on:%Y年%m月%d日}）"
    else:
        subject = "来访"

    unit = get("unit") or None
    if unit is not None and (center, unit) not in choices.units:
        errors["unit"] = "所选单位不属于该中心"
    venue = get("venue")
    if problem := _text_error(venue, required=False, limit=_MAX_SHORT):
        errors["venue"] = problem
    description = get("description")
    if problem := _text_error(description, required=True, limit=_MAX_TEXT):
        errors["description"] = problem
    topic = _term(Topic, get("topic"), errors, "topic")
    stage = _term(Stage, get("stage"), errors, "stage")
    problem_type = _term(ProblemType, get("problem_type"), errors, "problem_type")
    method = _term(Method, get("method"), errors, "method")

    attachments: list[Attachment] = []
    if len(uploads) > choices.max_files:
        errors["files"] = f"附件最多 {choices.max_files} 个"
    for upload in uploads:
        name = _clean_filename(upload.filename)
        if len(upload.content) > choices.max_file_bytes:
            limit_mb = choices.max_file_bytes // (1024 * 1024)
            errors[upload.field] = f"“{name}”超过 {limit_mb} MB，请压缩后再上传"
            continue
        kind = filetype.guess(upload.content) if upload.content else None
        if kind is None or kind.mime not in ALLOWED_TYPES:
            errors[upload.field] = f"“{name}”不是允许的文件类型（照片、PDF、Word 文档或录音）"
            continue
        attachments.append(Attachment(name, kind.mime, upload.content))
    if mode is WalkInMode.LETTER and not any(u.field == "scan" for u in uploads):
        errors.setdefault("scan", "请上传来信的扫描件或照片")

    form_key = get("form_key")
    if len(form_key) < 16 or not form_key.replace("-", "").replace("_", "").isalnum():
        errors["form_key"] = "表单已失效，请重新打开录入页面"
    if errors or sender is None:
        return None, errors
    report = Report(
        channel=CHANNEL,
        external_id=f"form:{form_key}",
        center=center,
        received_at=received_at,
        sender=sender,
        subject=subject,
        text=description,
        attachments=attachments,
        hints=ReportHints(
            method=method,
            stage=stage,
            topic=topic,
            problem_type=problem_type,
            venue=venue or None,
            unit=unit,
        ),
    )
    return report, {}


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
        chosen_id = _chosen_id(raw_id)
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

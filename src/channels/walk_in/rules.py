"""The rules of the walk-in and letter form (来访、来信): what a submitted form may say.

:func:`validate_walk_in` turns the submitted fields and files into a
:class:`~supervision_core.Report` of the walk-in channel, or errors by field (in
Chinese): who reported (a supervisor of the center, or a visitor with a phone), how
(a visit, or a letter with a plausible date and its scan), the hints, and the files
(typed by their content). The checks the supervisor's own form shares (text, lists,
file names) are ``supervision_web``'s report-field checks. Plain functions over
values: the pages (:mod:`channels.walk_in.form`) call them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence

import attrs
import filetype

import supervision_web as web
from channels.walk_in.channel import CHANNEL
from supervision_core import (
    Attachment,
    ContactKind,
    Method,
    ProblemType,
    Report,
    ReportHints,
    Sender,
    Stage,
    Topic,
    normalize_identity,
)

__all__ = [
    "ALLOWED_TYPES",
    "LETTER_MAX_AGE",
    "FormChoices",
    "Upload",
    "WalkInMode",
    "chosen_supervisor_id",
    "letter_date_error",
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


def chosen_supervisor_id(raw: str) -> int | None:
    """A supervisor's id as the form's list gives it (ASCII digits, a 32-bit id), else None."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or int(raw) > 2**31 - 1:
        return None
    return int(raw)


def letter_date_error(written_on: dt.date, today: dt.date, appointed: dt.date | None) -> str | None:
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
        chosen_id = chosen_supervisor_id(raw_id)
        chosen = choices.supervisors.get(chosen_id) if chosen_id is not None else None
        if chosen is None:
            errors["supervisor_id"] = "请选择反映问题的监督员"
        elif center in choices.centers and chosen[1] != center:
            errors["supervisor_id"] = "该监督员不属于所选中心"
        else:
            sender = Sender(ContactKind.REGISTER, raw_id, chosen[0])
    elif reporter == "visitor":
        name, phone = get("visitor_name"), get("visitor_phone")
        if problem := web.field_text_error(name, required=True, limit=web.MAX_SHORT_TEXT):
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
            picked = (
                chosen_supervisor_id(get("supervisor_id")) if reporter == "supervisor" else None
            )
            appointed = choices.appointed.get(picked) if picked is not None else None
            if problem := letter_date_error(written_on, choices.today, appointed):
                errors["letter_date"] = problem
            else:
                subject = f"来信（写于 {written_on:%Y年%m月%d日}）"
    else:
        subject = "来访"

    unit = get("unit") or None
    if unit is not None and (center, unit) not in choices.units:
        errors["unit"] = "所选单位不属于该中心"
    venue = get("venue")
    if problem := web.field_text_error(venue, required=False, limit=web.MAX_SHORT_TEXT):
        errors["venue"] = problem
    description = get("description")
    if problem := web.field_text_error(description, required=True, limit=web.MAX_TEXT):
        errors["description"] = problem
    topic = web.field_choice(Topic, get("topic"), errors, "topic")
    stage = web.field_choice(Stage, get("stage"), errors, "stage")
    problem_type = web.field_choice(ProblemType, get("problem_type"), errors, "problem_type")
    method = web.field_choice(Method, get("method"), errors, "method")

    attachments: list[Attachment] = []
    if len(uploads) > choices.max_files:
        errors["files"] = f"附件最多 {choices.max_files} 个"
    for upload in uploads:
        name = web.clean_filename(upload.filename, fallback="附件")
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

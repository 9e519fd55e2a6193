"""The report form of ``/me``: the rules of every channel, for a signed-in supervisor.

:func:`validate_report` turns the submitted fields and photos into a
:class:`~supervision_core.Report` of the ``me`` channel, or errors by field (in
Chinese). The sender is the supervisor themself (their register id): intake matches
them, and a suspended supervisor's report is kept aside as from any channel.
Submitting the same form twice files one report: the form's random key is the
report's external id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs
import filetype

from supervision_core import (
    Attachment,
    ContactKind,
    Method,
    ProblemType,
    Report,
    ReportHints,
    Sender,
    Stage,
    Supervisor,
    Topic,
)
from supervision_web.report_fields import (
    MAX_SHORT_TEXT,
    MAX_TEXT,
    clean_filename,
    field_choice,
    field_text_error,
)

__all__ = ["PHOTO_TYPES", "FormLimits", "Photo", "validate_report"]

#: What may be attached from the page: photos (read from the file's first bytes).
PHOTO_TYPES: Mapping[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
}
_CHANNEL = "me"


@attrs.frozen
class Photo:
    """A photo as submitted: its name and bytes (read within the size limit)."""

    filename: str
    content: bytes = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class FormLimits:
    """Where the supervisor may report to, and how much may be attached."""

    centers: Mapping[str, str]  # code -> name: their own center, and the banner's
    max_file_bytes: int
    max_files: int


def valid_form_key(key: str) -> bool:
    """Whether ``key`` is one a form of this page could carry."""
    return 16 <= len(key) <= 64 and key.replace("-", "").replace("_", "").isalnum()


def validate_report(
    supervisor: Supervisor,
    fields: Mapping[str, str],
    photos: Sequence[Photo],
    limits: FormLimits,
    *,
    received_at: dt.datetime,
) -> tuple[Report | None, dict[str, str]]:
    """The report a submitted form describes, or the errors by field name (in Chinese)."""
    errors: dict[str, str] = {}
    center = fields.get("center", "")
    if center not in limits.centers:
        errors["center"] = "请选择反映到哪个中心"
    venue = fields.get("venue", "")
    if problem := field_text_error(venue, required=False, limit=MAX_SHORT_TEXT):
        errors["venue"] = problem
    description = fields.get("description", "")
    if problem := field_text_error(description, required=True, limit=MAX_TEXT):
        errors["description"] = problem
    topic = field_choice(Topic, fields.get("topic", ""), errors, "topic")
    stage = field_choice(Stage, fields.get("stage", ""), errors, "stage")
    problem_type = field_choice(ProblemType, fields.get("problem_type", ""), errors, "problem_type")
    method = field_choice(Method, fields.get("method", ""), errors, "method")
    attachments: list[Attachment] = []
    if len(photos) > limits.max_files:
        errors["photos"] = f"照片最多 {limits.max_files} 张"
    for photo in photos:
        name = clean_filename(photo.filename, fallback="照片")
        if len(photo.content) > limits.max_file_bytes:
            limit_mb = limits.max_file_bytes // (1024 * 1024)
            errors["photos"] = f"“{name}”超过 {limit_mb} MB，请压缩后再上传"
            continue
        kind = filetype.guess(photo.content) if photo.content else None
        if kind is None or kind.mime not in PHOTO_TYPES:
            errors["photos"] = f"“{name}”不是照片（可上传 JPEG、PNG、GIF、WebP、HEIC）"
            continue
        attachments.append(Attachment(name, kind.mime, photo.content))
    form_key = fields.get("form_key", "")
    if not valid_form_key(form_key):
        errors["form_key"] = "表单已失效，请重新打开“反映问题”页面"
    if errors:
        return None, errors
    task = fields.get("task", "")
    report = Report(
        channel=_CHANNEL,
        external_id=f"form:{form_key}",
        center=center,
        received_at=received_at,
        sender=Sender(ContactKind.REGISTER, str(supervisor.id), supervisor.name),
        subject=f"明察暗访/体验任务 {task}" if task.isdigit() else None,
        text=description,
        attachments=attachments,
        hints=ReportHints(
            method=method,
            stage=stage,
            topic=topic,
            problem_type=problem_type,
            venue=venue or None,
        ),
    )
    return report, {}

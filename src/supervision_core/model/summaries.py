"""Lean rows for listings: what a ledger view or a benchmark fetches by the thousand."""

from __future__ import annotations

import datetime as dt

import attrs

from supervision_core.model.issues import IssueState

__all__ = ["AttachmentInfo", "IssueSummary", "ReportSummary"]


@attrs.frozen(slots=True)
class IssueSummary:
    """One line of an issue listing.

    ``state`` is an :class:`IssueState`, as ``Ledger.issue()`` gives it (a ``StrEnum``: it
    still equals its code, ``"received"``).
    """

    id: int
    number: str
    center: str
    supervisor_id: int
    state: IssueState = attrs.field(converter=IssueState)
    received_at: dt.datetime
    due_on: dt.date | None
    due_confirmed: bool
    unit: str | None
    problem_type: str | None


@attrs.frozen(slots=True)
class ReportSummary:
    """One received report as the front desk lists it: where it went, and its state now.

    ``status`` is the report's (filed, quarantined, released, dismissed); ``issue_state``
    that of the issue it became, if any. ``sender_name`` is as the channel gave it.
    """

    id: int
    channel: str
    center: str
    received_at: dt.datetime
    subject: str | None
    sender_kind: str
    sender_value: str
    sender_name: str | None
    supervisor_id: int | None
    supervisor_name: str | None
    status: str
    quarantine_reason: str | None
    issue_id: int | None
    issue_number: str | None
    issue_state: str | None
    attachments: tuple[AttachmentInfo, ...] = ()


@attrs.frozen(slots=True)
class AttachmentInfo:
    """An attachment's description, without its content."""

    id: int
    report_id: int
    filename: str
    content_type: str
    size: int
    sha256: str

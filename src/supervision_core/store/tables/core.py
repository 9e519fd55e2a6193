"""The ledger's own tables, which every command that opens the ledger loads.

Centers, units, supervisors and their contacts, reports and their attachments, issues,
their events and proposals, the counters, import batches, the outbox, the webhooks' queue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from supervision_core.store.tables.base import when as _when


class CenterRow(SQLModel, table=True):
    __tablename__ = "center"

    code: str = Field(primary_key=True, max_length=40)
    name: str
    level: str = Field(max_length=16)


class UnitRow(SQLModel, table=True):
    __tablename__ = "unit"
    __table_args__ = (sa.UniqueConstraint("center_code", "code", name="uq_unit_center_code"),)

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    code: str = Field(max_length=40)
    name: str
    active: bool = True


class SupervisorRow(SQLModel, table=True):
    __tablename__ = "supervisor"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    center_code: str = Field(foreign_key="center.code", max_length=40, index=True)
    origin: str = Field(max_length=32)
    status: str = Field(max_length=16, default="active")
    letter_number: str | None = None
    card_number: str | None = None
    term_start: dt.date | None = None
    term_end: dt.date | None = None
    status_note: str | None = None
    revoked_on: dt.date | None = None
    revocation_reason: str | None = None
    letter_returned: bool | None = None
    card_returned: bool | None = None
    created_at: dt.datetime = _when()
    # The revocation's grounds: the admonitions before it, or the banner center's override.
    revocation_admonitions: list[int] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    revocation_override: str | None = None
    revocation_decided_by: str | None = Field(default=None, max_length=200)


class IdentityRow(SQLModel, table=True):
    __tablename__ = "supervisor_identity"
    __table_args__ = (sa.UniqueConstraint("kind", "value", name="uq_identity_kind_value"),)

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    kind: str = Field(max_length=16)
    value: str = Field(max_length=320)
    raw: str


class ReportRow(SQLModel, table=True):
    __tablename__ = "report"
    __table_args__ = (
        sa.UniqueConstraint("channel", "external_id", name="uq_report_channel_external"),
        sa.Index("ix_report_status_center", "status", "center_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=40)
    external_id: str = Field(max_length=512)
    center_code: str = Field(max_length=40)
    received_at: dt.datetime = _when()
    sender_kind: str = Field(max_length=16)
    sender_value: str
    sender_name: str | None = None
    subject: str | None = None
    text: str
    method: str | None = None
    stage: str | None = None
    topic: str | None = None
    problem_type: str | None = None
    venue: str | None = None
    unit_hint: str | None = None
    supervisor_id: int | None = Field(default=None, foreign_key="supervisor.id")
    # filed: an issue was made; quarantined: kept aside; released: an operator filed
    # it later; dismissed: an operator decided it is not a report (kept, never deleted).
    status: str = Field(max_length=16)
    quarantine_reason: str | None = Field(default=None, max_length=32)
    quarantine_detail: str | None = None
    issue_id: int | None = None
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)
    resolved_by: str | None = None
    resolved_note: str | None = None
    stored_at: dt.datetime = _when()


class AttachmentRow(SQLModel, table=True):
    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    filename: str
    content_type: str = Field(max_length=255)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))


class IssueRow(SQLModel, table=True):
    __tablename__ = "issue"
    __table_args__ = (
        sa.Index("ix_issue_center_state_due", "center_code", "state", "due_on"),
        sa.Index("ix_issue_state_due", "state", "due_on"),
        sa.Index("ix_issue_supervisor_received", "supervisor_id", "received_at"),
        # A supervisor's issues newest first, 50 at a time (/me/reports, ?before=).
        sa.Index("ix_issue_supervisor_id", "supervisor_id", "id"),
        # Duplicate candidates: a center's latest issues of one problem type, newest first.
        sa.Index("ix_issue_center_type_id", "center_code", "problem_type", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    report_id: int = Field(foreign_key="report.id", unique=True)
    supervisor_id: int = Field(foreign_key="supervisor.id")
    received_at: dt.datetime = _when()
    subject: str | None = None
    text: str
    method: str | None = Field(default=None, max_length=32)
    stage: str | None = Field(default=None, max_length=32)
    topic: str | None = Field(default=None, max_length=32)
    problem_type: str | None = Field(default=None, max_length=32)
    venue: str | None = None
    unit_hint: str | None = Field(default=None, max_length=40)
    state: str = Field(max_length=16)
    not_accepted_reason: str | None = Field(default=None, max_length=32)
    screening_note: str | None = None
    unit_code: str | None = Field(default=None, max_length=40)
    responsible_person: str | None = None
    track: str | None = Field(default=None, max_length=16)
    measures: str | None = None
    due_on: dt.date | None = None
    due_confirmed: bool = True
    original_due_on: dt.date | None = None
    rectification_due_on: dt.date | None = None
    missed_due_on: dt.date | None = None
    extensions: int = 0
    progress_count: int = 0
    completed_at: dt.datetime | None = _when(nullable=True)
    completed_on_time: bool | None = None
    late_working_days: int | None = None
    evidence: str | None = None
    explanation: str | None = None
    satisfaction: str | None = Field(default=None, max_length=32)
    reopen_count: int = 0
    closed_at: dt.datetime | None = _when(nullable=True)
    closed_by: str | None = None
    merged_into: int | None = Field(default=None, foreign_key="issue.id")
    possible_duplicate_of: int | None = Field(default=None, foreign_key="issue.id")
    duplicate_score: float | None = None


class EventRow(SQLModel, table=True):
    __tablename__ = "issue_event"
    __table_args__ = (sa.Index("ix_issue_event_issue", "issue_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issue.id")
    kind: str = Field(max_length=32)
    at: dt.datetime = _when()
    actor: str
    note: str | None = None
    data: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )


class ProposalRow(SQLModel, table=True):
    """A screening check's proposal, kept next to the issue for the operator to confirm."""

    __tablename__ = "screening_proposal"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issue.id", index=True)
    check_name: str = Field(max_length=80)
    reason: str = Field(max_length=32)
    evidence: str


class CounterRow(SQLModel, table=True):
    """The last issue number handed out per center and year."""

    __tablename__ = "issue_counter"

    center_code: str = Field(primary_key=True, max_length=40)
    year: int = Field(primary_key=True)
    value: int = 0


class OutboxRow(SQLModel, table=True):
    """A notice to one recipient, waiting for (or done with) delivery.

    Written in the same transaction as the event that causes it, so a notice is
    never lost; ``key`` stays the same across retries, for transports that
    deduplicate. ``status`` is an :class:`~supervision_core.model.outbox.OutboxStatus`;
    ``notifier`` names what carried it (a notifier, ``console``, ``phone``), or is
    null while nothing has.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_inbox", "recipient_kind", "recipient", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    issue_id: int | None = Field(default=None, index=True)
    center_code: str = Field(max_length=40)
    status: str = Field(default="pending", max_length=16)
    notifier: str | None = Field(default=None, max_length=80)
    recipient_kind: str = Field(max_length=16)
    recipient: str = Field(max_length=80)
    addresses: list[dict[str, str]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    subject: str
    body: str
    # What the notice is about (a NoticeKind code) and its facts, for templated
    # transports (SMS, WeChat templates) that cannot send the body.
    kind: str = Field(default="", max_length=40)
    fields: dict[str, str] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    # Files sent with the notice (the briefing's PDF): filename, content_type and the
    # content in base64. NULL for the notices that carry none.
    attachments: list[dict[str, str]] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    created_at: dt.datetime = _when()
    attempts: int = 0
    next_attempt_at: dt.datetime = _when()
    delivered_at: dt.datetime | None = _when(nullable=True)
    dead_at: dt.datetime | None = _when(nullable=True)
    last_error: str | None = None
    called_by: str | None = Field(default=None, max_length=120)
    read_at: dt.datetime | None = _when(nullable=True)
    read_by: str | None = Field(default=None, max_length=120)
    # The provider's delivery receipt (an SMS 回执): reached the phone or not, when, why.
    receipt_ok: bool | None = None
    receipt_at: dt.datetime | None = _when(nullable=True)
    receipt_detail: str | None = None


class ImportBatchRow(SQLModel, table=True):
    """One import of a file (a hotline export, a mailbox): what, who, when, and the counts."""

    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=40)
    source_name: str
    checksum: str = Field(max_length=64, index=True)
    profile: str | None = Field(default=None, max_length=80)
    center_code: str | None = Field(default=None, max_length=40)
    actor: str
    started_at: dt.datetime = _when()
    finished_at: dt.datetime | None = _when(nullable=True)
    counts: dict[str, int] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    rolled_back_at: dt.datetime | None = _when(nullable=True)
    rolled_back_by: str | None = None


class IssuePurgeRow(SQLModel, table=True):
    """A permit, inside one transaction, to delete an issue's events (an import rolled back).

    The append-only triggers on ``issue_event`` refuse every delete without one.
    """

    __tablename__ = "issue_purge"

    issue_id: int = Field(primary_key=True)


class WebhookRow(SQLModel, table=True):
    """A webhook subscription; its signing secret is kept to sign (shown once at creation)."""

    __tablename__ = "webhook"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=500)
    secret: str = Field(max_length=100)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    unit_code: str | None = Field(default=None, max_length=40)
    events: str = Field(max_length=300)  # comma-separated WebhookEvent values
    created_at: dt.datetime = _when()
    disabled: bool = False


class WebhookDeliveryRow(SQLModel, table=True):
    """One event to one subscription and its delivery record (the delivery log)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.UniqueConstraint("webhook_id", "dedupe_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id", index=True)
    event: str = Field(max_length=40)
    #: Unique per subscription: an event (an issue's step, an overdue deadline) is queued once.
    dedupe_key: str = Field(max_length=200)
    body: str
    status: str = Field(max_length=16)
    attempts: int = 0
    created_at: dt.datetime = _when()
    next_attempt_at: dt.datetime | None = _when(nullable=True)
    delivered_at: dt.datetime | None = _when(nullable=True)
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)


class CatalogVersionRow(SQLModel, table=True):
    """One row, bumped by triggers on every change to what filing keeps per process.

    The triggers are on centers, supervisors, their identities and webhook subscriptions
    (migration 0027); store/catalog.py checks the value before using what it kept.
    """

    __tablename__ = "catalog_version"

    id: int = Field(primary_key=True)
    value: int = 0

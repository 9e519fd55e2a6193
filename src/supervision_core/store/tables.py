"""Database tables (SQLModel ``table=True`` rows only).

Rows are converted to domain values by the store; nothing outside the store sees them.
Indexes follow the ledger's queries: a center's open issues by deadline, a supervisor's
issues by date, intake idempotency on (channel, external id), an issue's events in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware datetime stored in UTC; SQLite, which keeps no zone, gets it back aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = f"naive datetime refused: {value.isoformat()}"
            raise ValueError(msg)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(
        self, dialect: sa.Dialect, coltype: object
    ) -> Callable[[Any], dt.datetime | None] | None:
        if dialect.name == "postgresql":
            # The driver already returns aware values (in the session's zone); aware
            # datetimes compare by instant, so converting each to UTC is wasted work.
            return None
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        # SQLite hands back the stored text ("YYYY-MM-DD HH:MM:SS.ffffff", UTC): one
        # C-level parse to an aware value instead of a parse and a replace (3x faster
        # listings, bench/bench_ledger.py).
        parse = dt.datetime.fromisoformat

        def process(value: Any) -> dt.datetime | None:
            return None if value is None else parse(value + "+00:00")

        return process

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table of a SQLModel class, for bulk statements."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


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


class WorkPlanRow(SQLModel, table=True):
    __tablename__ = "work_plan"

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40, index=True)
    year: int
    title: str
    responsible_staff: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    content: str
    created_at: dt.datetime = _when()


class ActivityRow(SQLModel, table=True):
    __tablename__ = "activity"
    __table_args__ = (sa.Index("ix_activity_center_held", "center_code", "held_on"),)

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    kind: str = Field(max_length=32)
    title: str
    held_on: dt.date
    place: str
    organizer: str
    # An announced activity (sign-up on /me): when it starts, until when supervisors
    # sign up, how many places (NULL: no limit); NULL for one only recorded afterwards.
    starts_at: dt.datetime | None = _when(nullable=True)
    signup_deadline: dt.datetime | None = _when(nullable=True)
    capacity: int | None = None
    description: str | None = None
    announced_by: str | None = Field(default=None, max_length=200)
    announced_at: dt.datetime | None = _when(nullable=True)
    cancelled_at: dt.datetime | None = _when(nullable=True)
    cancelled_by: str | None = Field(default=None, max_length=200)
    cancel_reason: str | None = None


class ActivitySignupRow(SQLModel, table=True):
    """A supervisor signed up for an announced activity; withdrawing deletes the row."""

    __tablename__ = "activity_signup"

    activity_id: int = Field(foreign_key="activity.id", primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", primary_key=True, index=True)
    signed_up_at: dt.datetime = _when()


class AttendanceRow(SQLModel, table=True):
    __tablename__ = "attendance"

    activity_id: int = Field(foreign_key="activity.id", primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", primary_key=True, index=True)
    status: str = Field(max_length=16)


class DisciplineRow(SQLModel, table=True):
    __tablename__ = "discipline"

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    kind: str = Field(max_length=32)
    on: dt.date
    reason: str
    authority: str | None = None
    actor: str
    recorded_at: dt.datetime = _when()
    response: str | None = None  # the supervisor's response (表态) to an admonition


class FindingRow(SQLModel, table=True):
    """What a center found about an issue (adopted, changed a rule, false): kept apart from its life."""

    __tablename__ = "issue_finding"
    __table_args__ = (sa.UniqueConstraint("issue_id", "kind", name="uq_finding_issue_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issue.id", index=True)
    kind: str = Field(max_length=32)
    note: str | None = None
    actor: str
    at: dt.datetime = _when()


class EvaluationRow(SQLModel, table=True):
    """A published annual evaluation; never changed (triggers refuse it), only superseded."""

    __tablename__ = "evaluation"
    __table_args__ = (
        sa.UniqueConstraint("center_code", "year", "version", name="uq_evaluation_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    year: int
    version: int
    policy: str = Field(max_length=80)
    quota: int
    quota_ratio: float
    tie_rule: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    published_at: dt.datetime = _when()
    actor: str
    entries: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    # A later publication supersedes the official one, with the reason; the latest is official.
    supersedes: int | None = None
    reason: str | None = None


class BriefingOpinionRow(SQLModel, table=True):
    """An opinion a supervisor gave at a semi-annual briefing (听取意见、建议)."""

    __tablename__ = "briefing_opinion"
    __table_args__ = (sa.Index("ix_briefing_opinion_center_period", "center_code", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    period: str = Field(max_length=8)
    supervisor_id: int | None = Field(default=None, foreign_key="supervisor.id")
    text: str
    actor: str
    recorded_at: dt.datetime = _when()


class BriefingMeetingRow(SQLModel, table=True):
    """The briefing meeting (通报会) of a center's half year: one per period.

    The opinions heard there are the period's ``briefing_opinion`` rows.
    """

    __tablename__ = "briefing_meeting"
    __table_args__ = (
        sa.UniqueConstraint("center_code", "period", name="uq_briefing_meeting_center_period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    period: str = Field(max_length=8)
    held_on: dt.date
    place: str
    chair: str | None = None
    note: str | None = None
    actor: str
    recorded_at: dt.datetime = _when()


class BriefingAttendanceRow(SQLModel, table=True):
    """Whether an invited supervisor came to a briefing meeting."""

    __tablename__ = "briefing_attendance"

    meeting_id: int = Field(foreign_key="briefing_meeting.id", primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", primary_key=True, index=True)
    status: str = Field(max_length=16)


class StaffUserRow(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True)
    display_name: str
    password_hash: str
    role: str = Field(max_length=16)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    unit_code: str | None = Field(default=None, max_length=40)
    disabled: bool = False
    failed_attempts: int = 0
    locked_until: dt.datetime | None = _when(nullable=True)
    last_login_at: dt.datetime | None = _when(nullable=True)
    created_at: dt.datetime = _when()
    session_version: int = 0  # raised to end every session of the account


class LinkCodeRow(SQLModel, table=True):
    __tablename__ = "link_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    created_at: dt.datetime = _when()
    expires_at: dt.datetime = _when()
    used_at: dt.datetime | None = _when(nullable=True)
    used_by: str | None = Field(default=None, max_length=320)


class MessengerSessionRow(SQLModel, table=True):
    __tablename__ = "messenger_session"

    account: str = Field(primary_key=True, max_length=320)  # "telegram:12345"
    state: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    last_update_id: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    updated_at: dt.datetime = _when()


class ChannelCursorRow(SQLModel, table=True):
    __tablename__ = "channel_cursor"

    name: str = Field(primary_key=True, max_length=80)  # "telegram:getUpdates"
    value: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    updated_at: dt.datetime = _when()


class LeaseRow(SQLModel, table=True):
    """Who holds a single-reader job (an IMAP folder, Telegram polling) until when."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=120)
    holder: str = Field(max_length=200)
    expires_at: dt.datetime = _when()


class AccessLogRow(SQLModel, table=True):
    """Every view of a supervisor's personal data: who, when, what, whose, and why.

    Append-only (a trigger refuses UPDATE and DELETE). One row per supervisor seen:
    a list of twenty supervisors is twenty rows, so each supervisor's can be listed.
    """

    __tablename__ = "access_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _when(index=True)
    username: str = Field(max_length=40, index=True)
    action: str = Field(max_length=40)
    target: str = Field(max_length=200)
    supervisor_id: int | None = Field(default=None, index=True)
    center_code: str | None = Field(default=None, max_length=40, index=True)
    purpose: str | None = Field(default=None, max_length=200)  # the page or the command


class SupervisorChangeRow(SQLModel, table=True):
    """A supervisor's status changes and attendance records, as they happened (append-only)."""

    __tablename__ = "supervisor_change"

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    at: dt.datetime = _when()
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=32)  # suspended, reinstated, revoked, attendance
    before: str | None = Field(default=None, max_length=32)
    after: str | None = Field(default=None, max_length=32)
    activity_id: int | None = Field(default=None, foreign_key="activity.id")
    note: str | None = None


class SignInCodeRow(SQLModel, table=True):
    """A one-time code asked for on the supervisor's page, kept as a salted digest only.

    A request for a contact nobody registered is kept too (no supervisor, no code): the
    limit per network address counts it.
    """

    __tablename__ = "sign_in_code"
    __table_args__ = (
        sa.Index("ix_sign_in_code_supervisor", "supervisor_id", "created_at"),
        sa.Index("ix_sign_in_code_ip", "ip", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int | None = Field(default=None, foreign_key="supervisor.id")
    ip: str | None = Field(default=None, max_length=64)
    salt: str | None = Field(default=None, max_length=32)
    code_hash: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = _when()
    expires_at: dt.datetime = _when()
    used_at: dt.datetime | None = _when(nullable=True)
    tries: int = 0


class SupervisorSessionRow(SQLModel, table=True):
    """A supervisor's signed-in browser on their page (/me); the token kept as a digest."""

    __tablename__ = "supervisor_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    via: str = Field(max_length=32)
    created_at: dt.datetime = _when()
    expires_at: dt.datetime = _when()
    last_seen_at: dt.datetime = _when()
    revoked_at: dt.datetime | None = _when(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=200)


class TaskRow(SQLModel, table=True):
    """A task (服务体验, 明察暗访) a center gives to supervisors."""

    __tablename__ = "task"
    __table_args__ = (sa.Index("ix_task_center_ends", "center_code", "ends_on"),)

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    kind: str = Field(max_length=16)
    place: str
    service: str
    instructions: str
    starts_on: dt.date
    ends_on: dt.date
    created_by: str = Field(max_length=200)
    created_at: dt.datetime = _when()


class TaskAssignmentRow(SQLModel, table=True):
    """One supervisor's part in a task: the answer, then the visit."""

    __tablename__ = "task_assignment"

    task_id: int = Field(foreign_key="task.id", primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", primary_key=True, index=True)
    status: str = Field(max_length=16)
    responded_at: dt.datetime | None = _when(nullable=True)
    decline_reason: str | None = None
    visited_on: dt.date | None = None
    found_nothing: bool | None = None
    note: str = ""
    issue_id: int | None = Field(default=None, foreign_key="issue.id", unique=True)
    recorded_at: dt.datetime | None = _when(nullable=True)


class LibraryDocumentRow(SQLModel, table=True):
    """A document of the library; the content is read only when it is opened."""

    __tablename__ = "library_document"
    __table_args__ = (sa.Index("ix_library_document_center", "center_code", "withdrawn_at"),)

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    category: str = Field(max_length=16)
    title: str = Field(max_length=200)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    published_at: dt.datetime = _when()
    published_by: str = Field(max_length=200)
    withdrawn_at: dt.datetime | None = _when(nullable=True)
    withdrawn_by: str | None = Field(default=None, max_length=200)


class ApiTokenRow(SQLModel, table=True):
    """An API token: its secret's SHA-256 only, its center (and unit), scopes and expiry."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=30, unique=True)
    secret_hash: str = Field(max_length=64, unique=True)
    hint: str = Field(max_length=12)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    unit_code: str | None = Field(default=None, max_length=40)
    scopes: str = Field(max_length=200)  # comma-separated Scope values
    created_at: dt.datetime = _when()
    expires_at: dt.datetime | None = _when(nullable=True)
    revoked_at: dt.datetime | None = _when(nullable=True)


class IdempotencyRow(SQLModel, table=True):
    """The first answer to a POST with an ``Idempotency-Key``, per token, replayed after."""

    __tablename__ = "api_idempotency"

    token_id: int = Field(foreign_key="api_token.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    status: int
    content_type: str = Field(max_length=100)
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: dt.datetime = _when()


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


class FieldVisitRow(SQLModel, table=True):
    """A supervisor's service experience or inspection that found no problem."""

    __tablename__ = "field_visit"

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    method: str = Field(max_length=32)
    venue: str
    on: dt.date = Field(index=True)
    note: str | None = None
    task_id: int | None = None
    recorded_by: str = Field(max_length=200)
    recorded_at: dt.datetime = _when()


class CommendationRow(SQLModel, table=True):
    """An excellent supervisor commended by a decision (文号), once per center and year."""

    __tablename__ = "commendation"
    __table_args__ = (
        sa.UniqueConstraint(
            "center_code", "year", "supervisor_id", name="uq_commendation_supervisor"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    year: int
    supervisor_id: int = Field(foreign_key="supervisor.id")
    name: str
    decision_number: str = Field(max_length=80)
    decided_on: dt.date
    decided_by: str = Field(max_length=200)
    evaluation_id: int = Field(foreign_key="evaluation.id")
    recorded_at: dt.datetime = _when()


class OfficerRecommendationRow(SQLModel, table=True):
    """A township's proposal of its supervisor into the 营商环境体验官 team, and the decision."""

    __tablename__ = "officer_recommendation"

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    reason: str
    proposed_by: str = Field(max_length=200)
    proposed_at: dt.datetime = _when()
    status: str = Field(max_length=16, default="proposed")
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: dt.datetime | None = _when(nullable=True)
    decision_note: str | None = None


class CatalogVersionRow(SQLModel, table=True):
    """One row, bumped by triggers on every change to what filing keeps per process.

    The triggers are on centers, supervisors, their identities and webhook subscriptions
    (migration 0028); store/catalog.py checks the value before using what it kept.
    """

    __tablename__ = "catalog_version"

    id: int = Field(primary_key=True)
    value: int = 0

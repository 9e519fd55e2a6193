"""Row <-> value conversion, shared by the store modules, and the issue table's columns.

Everything here is public inside ``store``: the aggregates (issues, quarantine, outbox,
...) read and write rows through these functions only.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa
from sqlmodel import Session

from supervision_core.errors import NotFound
from supervision_core.model.batches import ImportBatch
from supervision_core.model.issues import (
    OPEN_STATES,
    Issue,
    IssueEvent,
    IssueState,
    NotAcceptedReason,
    RectificationTrack,
    Satisfaction,
)
from supervision_core.model.notifications import Notice
from supervision_core.model.outbox import OutboxEntry, OutboxStatus
from supervision_core.model.reports import (
    Attachment,
    QuarantinedReport,
    QuarantineReason,
    ReportHints,
    Sender,
)
from supervision_core.model.supervisors import (
    Identity,
    Origin,
    Revocation,
    Supervisor,
    SupervisorStatus,
)
from supervision_core.store.tables import (
    EventRow,
    IdentityRow,
    ImportBatchRow,
    IssueRow,
    OutboxRow,
    ReportRow,
    SupervisorRow,
    table_of,
)

IssueRef = int | str  # an issue's id, or its number such as "wushenzhao-2026-00012"

MAX_ROW_ID = 2**31 - 1
"""The largest id a row can have (PostgreSQL's ``integer``): beyond it, nothing is found."""

OPEN = [s.value for s in OPEN_STATES]
"""The open states' values, for ``IN`` clauses."""

# Plain table columns: SQLModel's annotated ones cost a comparison per column on every
# execution of a cached statement (measured in bench/bench_ledger.py).
ISSUE: sa.Table = table_of(IssueRow)
SUMMARY_COLUMNS = (
    ISSUE.c.id,
    ISSUE.c.number,
    ISSUE.c.center_code,
    ISSUE.c.supervisor_id,
    ISSUE.c.state,
    ISSUE.c.received_at,
    ISSUE.c.due_on,
    ISSUE.c.due_confirmed,
    ISSUE.c.unit_code,
    ISSUE.c.problem_type,
)
"""The columns of an :class:`IssueSummary`, in its order."""

RowT = TypeVar("RowT")


def get_row(s: Session, model: type[RowT], key: object, missing: str) -> RowT:
    """The row of ``model`` with primary key ``key``, or :class:`NotFound` saying ``missing``."""
    if isinstance(key, int) and not 0 <= key <= MAX_ROW_ID:  # the database would refuse it
        raise NotFound(missing)
    row = s.get(model, key)
    if row is None:
        raise NotFound(missing)
    return row


def hints_of(row: IssueRow | ReportRow) -> ReportHints:
    """The hints a report or issue was stored with."""
    return ReportHints(
        method=row.method,
        stage=row.stage,
        topic=row.topic,
        problem_type=row.problem_type,
        venue=row.venue,
        unit=row.unit_hint,
    )


def seed_of(row: IssueRow) -> Issue:
    """The issue as first filed, before any event: what ``replay`` starts from."""
    assert row.id is not None
    return Issue(
        id=row.id,
        number=row.number,
        center=row.center_code,
        report_id=row.report_id,
        supervisor_id=row.supervisor_id,
        received_at=row.received_at,
        subject=row.subject,
        text=row.text,
        hints=hints_of(row),
        possible_duplicate_of=row.possible_duplicate_of,
    )


def issue_of(row: IssueRow) -> Issue:
    """The issue a row holds."""
    return attrs.evolve(
        seed_of(row),
        state=IssueState(row.state),
        not_accepted_reason=NotAcceptedReason(row.not_accepted_reason)
        if row.not_accepted_reason
        else None,
        screening_note=row.screening_note,
        unit=row.unit_code,
        responsible_person=row.responsible_person,
        track=RectificationTrack(row.track) if row.track else None,
        measures=row.measures,
        due_on=row.due_on,
        due_confirmed=row.due_confirmed,
        original_due_on=row.original_due_on,
        rectification_due_on=row.rectification_due_on,
        missed_due_on=row.missed_due_on,
        extensions=row.extensions,
        progress_count=row.progress_count,
        completed_at=row.completed_at,
        completed_on_time=row.completed_on_time,
        late_working_days=row.late_working_days,
        evidence=row.evidence,
        explanation=row.explanation,
        satisfaction=Satisfaction(row.satisfaction) if row.satisfaction else None,
        reopen_count=row.reopen_count,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        merged_into=row.merged_into,
    )


def write_issue(row: IssueRow, issue: Issue) -> None:
    """Write ``issue``'s current state into its row."""
    row.state = issue.state.value
    row.not_accepted_reason = issue.not_accepted_reason.value if issue.not_accepted_reason else None
    row.screening_note = issue.screening_note
    row.unit_code = issue.unit
    row.responsible_person = issue.responsible_person
    row.track = issue.track.value if issue.track else None
    row.measures = issue.measures
    row.due_on = issue.due_on
    row.due_confirmed = issue.due_confirmed
    row.original_due_on = issue.original_due_on
    row.rectification_due_on = issue.rectification_due_on
    row.missed_due_on = issue.missed_due_on
    row.extensions = issue.extensions
    row.progress_count = issue.progress_count
    row.completed_at = issue.completed_at
    row.completed_on_time = issue.completed_on_time
    row.late_working_days = issue.late_working_days
    row.evidence = issue.evidence
    row.explanation = issue.explanation
    row.satisfaction = issue.satisfaction.value if issue.satisfaction else None
    row.reopen_count = issue.reopen_count
    row.closed_at = issue.closed_at
    row.closed_by = issue.closed_by
    row.merged_into = issue.merged_into


def event_of(row: EventRow) -> IssueEvent:
    """The event a row holds."""
    return IssueEvent(
        id=row.id, kind=row.kind, at=row.at, actor=row.actor, note=row.note, data=row.data
    )


def sender_of(row: ReportRow) -> Sender:
    """Who sent a stored report."""
    return Sender(kind=row.sender_kind, value=row.sender_value, display_name=row.sender_name)


def quarantined_of(row: ReportRow) -> QuarantinedReport:
    """A quarantined report as the desk shows it."""
    assert row.id is not None and row.quarantine_reason is not None
    return QuarantinedReport(
        id=row.id,
        channel=row.channel,
        external_id=row.external_id,
        center=row.center_code,
        received_at=row.received_at,
        sender=sender_of(row),
        subject=row.subject,
        text=row.text,
        reason=QuarantineReason(row.quarantine_reason),
        detail=row.quarantine_detail,
        resolved_issue=row.issue_id,
    )


def supervisor_of(row: SupervisorRow, identities: Sequence[IdentityRow]) -> Supervisor:
    """The supervisor a row holds, with their identities."""
    assert row.id is not None
    revocation = None
    if row.revoked_on is not None:
        revocation = Revocation(
            on=row.revoked_on,
            reason=row.revocation_reason or "",
            letter_returned=bool(row.letter_returned),
            card_returned=bool(row.card_returned),
        )
    return Supervisor(
        id=row.id,
        name=row.name,
        center=row.center_code,
        origin=Origin(row.origin),
        status=SupervisorStatus(row.status),
        letter_number=row.letter_number,
        card_number=row.card_number,
        term_start=row.term_start,
        term_end=row.term_end,
        identities=tuple(Identity(kind=i.kind, value=i.raw) for i in identities),
        revocation=revocation,
        status_note=row.status_note,
    )


def notice_of(row: OutboxRow) -> Notice:
    """The notice an outbox row carries."""
    return Notice(
        key=row.key,
        center=row.center_code,
        recipient_kind=row.recipient_kind,
        recipient=row.recipient,
        addresses=tuple(Identity(kind=a["kind"], value=a["value"]) for a in row.addresses),
        subject=row.subject,
        body=row.body,
        kind=row.kind,
        fields=row.fields,
        attachments=tuple(
            Attachment(a["filename"], a["content_type"], base64.b64decode(a["content"]))
            for a in row.attachments or ()
        ),
    )


def notice_attachments(notice: Notice) -> list[dict[str, str]] | None:
    """A notice's files as the outbox stores them (``notice_of`` reads them back)."""
    if not notice.attachments:
        return None
    return [
        {
            "filename": a.filename,
            "content_type": a.content_type,
            "content": base64.b64encode(a.content).decode("ascii"),
        }
        for a in notice.attachments
    ]


def outbox_entry_of(row: OutboxRow) -> OutboxEntry:
    """An outbox row as an operator sees it."""
    assert row.id is not None
    return OutboxEntry(
        id=row.id,
        notice=notice_of(row),
        status=OutboxStatus(row.status),
        transport=row.notifier,
        issue_id=row.issue_id,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        called_by=row.called_by,
        read_at=row.read_at,
        read_by=row.read_by,
    )


def batch_of(row: ImportBatchRow) -> ImportBatch:
    """The import batch a row holds."""
    assert row.id is not None
    return ImportBatch(
        id=row.id,
        channel=row.channel,
        source_name=row.source_name,
        checksum=row.checksum,
        profile=row.profile,
        center=row.center_code,
        actor=row.actor,
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts=dict(row.counts),
        rolled_back_at=row.rolled_back_at,
        rolled_back_by=row.rolled_back_by,
    )


def hint_values(hints: ReportHints) -> dict[str, Any]:
    """The hint columns of a report or issue row."""
    return {
        "method": hints.method,
        "stage": hints.stage,
        "topic": hints.topic,
        "problem_type": hints.problem_type,
        "venue": hints.venue,
        "unit_hint": hints.unit,
    }

"""What the unit's view of an issue is made from: the reporter's identifiers, the progress, the files.

Read in the caller's session, so a step's notice to the unit is redacted with what the
same transaction sees.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import NotFound
from supervision_core.model.issues import EventKind, Issue
from supervision_core.model.reporters import Reporter
from supervision_core.store.rows import sender_of, supervisor_of
from supervision_core.store.tables import (
    AttachmentRow,
    EventRow,
    IdentityRow,
    ReportRow,
    SupervisorRow,
)

__all__ = ["attachment_in", "files_in", "progress_in", "reporter_in"]


def _reports_of(issue: Issue) -> sa.ColumnElement[bool]:
    # The report that opened the issue, and those attached to it later (supplements,
    # a quarantined report an operator released into it).
    return sa.or_(col(ReportRow.id) == issue.report_id, col(ReportRow.issue_id) == issue.id)


def reporter_in(s: Session, issue: Issue) -> Reporter:
    """The identifiers of whoever reported ``issue``: the supervisor and every sender."""
    row = s.get(SupervisorRow, issue.supervisor_id)
    supervisor = None
    if row is not None:
        identities = s.exec(
            select(IdentityRow).where(IdentityRow.supervisor_id == issue.supervisor_id)
        ).all()
        supervisor = supervisor_of(row, identities)
    reports = s.exec(select(ReportRow).where(_reports_of(issue))).all()
    colleagues = s.exec(
        select(SupervisorRow.name).where(
            SupervisorRow.center_code == issue.center, SupervisorRow.id != issue.supervisor_id
        )
    ).all()
    return Reporter.of(supervisor, [sender_of(r) for r in reports], colleagues=colleagues)


def progress_in(s: Session, issue: Issue) -> list[str]:
    """The notes of the issue's progress entries (整改进展), oldest first."""
    notes = s.exec(
        select(EventRow.note)
        .where(EventRow.issue_id == issue.id, EventRow.kind == EventKind.PROGRESS.value)
        .order_by(col(EventRow.id))
    ).all()
    return [n for n in notes if n]


def files_in(s: Session, issue: Issue) -> list[tuple[int, str]]:
    """``(attachment id, content type)`` of the issue's files, in the order the unit numbers them."""
    rows = s.exec(
        select(AttachmentRow.id, AttachmentRow.content_type)
        .join(ReportRow, col(ReportRow.id) == AttachmentRow.report_id)
        .where(_reports_of(issue))
        .order_by(col(AttachmentRow.report_id), col(AttachmentRow.id))
    ).all()
    return [(int(i), t) for i, t in rows if i is not None]


def attachment_in(s: Session, issue: Issue, number: int) -> tuple[str, bytes]:
    """The content type and content of the issue's file ``number`` (from 1)."""
    files = files_in(s, issue)
    if not 1 <= number <= len(files):
        msg = f"问题 {issue.number} 没有附件 {number}"
        raise NotFound(msg)
    row = s.get(AttachmentRow, files[number - 1][0])
    assert row is not None
    return row.content_type, row.content

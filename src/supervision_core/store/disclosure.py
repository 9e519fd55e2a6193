"""What the unit's view of an issue is made from: the reporter's identifiers, the progress, the files.

Read in the caller's session, so a step's notice to the unit is redacted with what the
same transaction sees; for many issues at once (the unit's list) in a few queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import NotFound
from supervision_core.model.issues import EventKind, Issue, Satisfaction, UnitView
from supervision_core.model.reporters import Reporter
from supervision_core.rules.disclosure import unit_files, unit_view
from supervision_core.store.rows import sender_of, supervisor_of
from supervision_core.store.tables import (
    AttachmentRow,
    EventRow,
    IdentityRow,
    ReportRow,
    SupervisorRow,
)

__all__ = [
    "attachment_in",
    "files_in",
    "progress_in",
    "reporter_in",
    "reporters_in",
    "unit_views_in",
]


def _reports_of(issues: Sequence[Issue]) -> sa.ColumnElement[bool]:
    # The report that opened each issue, and those attached to it later (supplements,
    # a quarantined report an operator released into it).
    return sa.or_(
        col(ReportRow.id).in_([i.report_id for i in issues]),
        col(ReportRow.issue_id).in_([i.id for i in issues]),
    )


def reporters_in(s: Session, issues: Sequence[Issue]) -> dict[int, Reporter]:
    """The identifiers of whoever reported each issue (by issue id): supervisor and senders."""
    if not issues:
        return {}
    ids = {i.supervisor_id for i in issues}
    rows = {r.id: r for r in s.exec(select(SupervisorRow).where(col(SupervisorRow.id).in_(ids)))}
    identities: dict[int, list[IdentityRow]] = defaultdict(list)
    for identity in s.exec(select(IdentityRow).where(col(IdentityRow.supervisor_id).in_(ids))):
        identities[identity.supervisor_id].append(identity)
    senders = defaultdict(list)
    by_report = {i.report_id: i.id for i in issues}
    for report in s.exec(select(ReportRow).where(_reports_of(issues))):
        issue_id = report.issue_id if report.issue_id is not None else by_report.get(report.id or 0)
        if issue_id is not None:
            senders[issue_id].append(sender_of(report))
    names: dict[str, list[tuple[int, str]]] = defaultdict(list)
    centers = {i.center for i in issues}
    query = select(SupervisorRow.id, SupervisorRow.name, SupervisorRow.center_code)
    for supervisor_id, name, center in s.exec(
        query.where(col(SupervisorRow.center_code).in_(centers))
    ):
        names[center].append((supervisor_id or 0, name))
    reporters = {}
    for issue in issues:
        row = rows.get(issue.supervisor_id)
        supervisor = supervisor_of(row, identities[issue.supervisor_id]) if row else None
        colleagues = [n for sid, n in names[issue.center] if sid != issue.supervisor_id]
        reporters[issue.id] = Reporter.of(supervisor, senders[issue.id], colleagues=colleagues)
    return reporters


def reporter_in(s: Session, issue: Issue) -> Reporter:
    """The identifiers of whoever reported ``issue``: the supervisor and every sender."""
    return reporters_in(s, [issue])[issue.id]


def progress_in(s: Session, issues: Sequence[Issue]) -> dict[int, list[str]]:
    """The notes of each issue's progress entries (整改进展), oldest first, by issue id."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = s.exec(
        select(EventRow.issue_id, EventRow.note)
        .where(
            col(EventRow.issue_id).in_([i.id for i in issues]),
            EventRow.kind == EventKind.PROGRESS.value,
        )
        .order_by(col(EventRow.id))
    )
    for issue_id, note in rows:
        if note:
            found[issue_id].append(note)
    return found


def files_in(s: Session, issues: Sequence[Issue]) -> dict[int, list[tuple[int, str]]]:
    """``(attachment id, content type)`` of each issue's files, in the order the unit numbers them."""
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not issues:
        return found
    by_report = {i.report_id: i.id for i in issues}
    rows = s.exec(
        select(AttachmentRow.id, AttachmentRow.content_type, ReportRow.id, ReportRow.issue_id)
        .join(ReportRow, col(ReportRow.id) == AttachmentRow.report_id)
        .where(_reports_of(issues))
        .order_by(col(AttachmentRow.report_id), col(AttachmentRow.id))
    )
    for attachment_id, content_type, report_id, issue_id in rows:
        owner = issue_id if issue_id is not None else by_report.get(report_id or 0)
        if owner is not None and attachment_id is not None:
            found[owner].append((attachment_id, content_type))
    return found


def attachment_in(s: Session, issue: Issue, number: int) -> tuple[str, bytes]:
    """The content type and content of the issue's file ``number`` (from 1)."""
    files = files_in(s, [issue])[issue.id]
    if not 1 <= number <= len(files):
        msg = f"问题 {issue.number} 没有附件 {number}"
        raise NotFound(msg)
    row = s.get(AttachmentRow, files[number - 1][0])
    assert row is not None
    return row.content_type, row.content


def unit_views_in(s: Session, issues: Sequence[Issue]) -> list[UnitView]:
    """The unit's view of each issue (redacted, without the reporter), in their order."""
    reporters = reporters_in(s, issues)
    progress = progress_in(s, issues)
    files = files_in(s, issues)
    return [
        unit_view(
            issue,
            reporters[issue.id],
            progress=progress[issue.id],
            files=unit_files(t for _, t in files[issue.id]),
            dissatisfaction=_dissatisfaction(s, issue),
        )
        for issue in issues
    ]


def _dissatisfaction(s: Session, issue: Issue) -> str | None:
    """The reason of the evaluation that reopened ``issue``, while it is rectified again."""
    if not (issue.reopen_count and issue.is_open):
        return None
    last = s.exec(
        select(EventRow)
        .where(EventRow.issue_id == issue.id, EventRow.kind == EventKind.EVALUATED.value)
        .order_by(col(EventRow.id).desc())
        .limit(1)
    ).first()
    if last is None or last.data.get("satisfaction") != Satisfaction.NOT_SATISFIED:
        return None
    return last.note

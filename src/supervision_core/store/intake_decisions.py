"""What each report of an intake chunk is, before anything is written.

A delivery seen before (the same channel and external id) gets its first result
again; a new report is quarantined (unknown center, unmatched, suspended or revoked
sender, out of the sender's term) or accepted with its supervisor; an accepted report
that follows up an issue of its own sender is attached to that issue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

from supervision_core.model.clock import local_date
from supervision_core.model.reports import IntakeResult, QuarantineReason, Report
from supervision_core.model.supervisors import SupervisorStatus
from supervision_core.store.driver import Statement
from supervision_core.store.lookups import EXISTING_REPORT, EXISTING_REPORTS, Lookups
from supervision_core.store.tables import IssueRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.session import Database

_ISSUE: sa.Table = table_of(IssueRow)

# The supervisor a report is from (if known), why it is quarantined, and the detail.
Decision = tuple[int | None, QuarantineReason | None, str | None]


def earlier_deliveries(s: Session, chunk: Sequence[Report]) -> dict[tuple[str, str], IntakeResult]:
    """The results of the chunk's reports delivered before, by (channel, external id)."""
    found: dict[tuple[str, str], IntakeResult] = {}
    by_channel: dict[str, set[str]] = {}
    for report in chunk:
        by_channel.setdefault(report.channel, set()).add(report.external_id)
    for channel, ids in by_channel.items():
        if len(ids) == 1:
            (only,) = ids
            rows: Iterable[Any] = EXISTING_REPORT.rows(s, {"channel": channel, "id": only})
        else:
            params = {"channel": channel, "ids": sorted(ids)}
            rows = s.connection().execute(EXISTING_REPORTS, params)
        for rid, ext, issue_id, reason, number, dup in rows:
            if issue_id is not None:
                result = IntakeResult(
                    report_id=rid,
                    issue_id=issue_id,
                    issue_number=number,
                    duplicate_delivery=True,
                    possible_duplicate_of=dup,
                )
            else:
                result = IntakeResult(
                    report_id=rid,
                    quarantine_id=rid,
                    quarantine_reason=QuarantineReason(reason or "unparseable"),
                    duplicate_delivery=True,
                )
            found[(channel, ext)] = result
    return found


def classify(db: Database, report: Report, lookups: Lookups) -> Decision:
    """Whether ``report`` is quarantined, and why; else the supervisor it is from."""
    if report.quarantine is not None:
        detail = report.quarantine_detail
        return None, report.quarantine, detail
    center = lookups.center(report.center)
    if center is None:
        return None, QuarantineReason.UNKNOWN_CENTER, f"中心代码 {report.center!r} 未配置"
    supervisor_id = db.host.match_sender(sender=report.sender, center=center, directory=lookups)
    if supervisor_id is None:
        return (
            None,
            QuarantineReason.UNMATCHED_SENDER,
            (f"{report.sender.kind.value}:{report.sender.value} 未登记"),
        )
    status = lookups.status(supervisor_id)
    if status is None:
        return (
            None,
            QuarantineReason.UNMATCHED_SENDER,
            f"插件给出的监督员编号 {supervisor_id} 不存在",
        )
    if status[0] == SupervisorStatus.SUSPENDED:
        return supervisor_id, QuarantineReason.SUSPENDED_SENDER, status[1]
    if status[0] == SupervisorStatus.REVOKED:
        return supervisor_id, QuarantineReason.REVOKED_SENDER, status[1]
    start, end = lookups.term(supervisor_id)
    if start is not None or end is not None:
        day = local_date(report.received_at)
        if (start is not None and day < start) or (end is not None and day > end):
            detail = f"聘期 {start or '—'} 至 {end or '—'}，反馈收到于 {day}"
            return supervisor_id, QuarantineReason.OUT_OF_TERM, detail
    return supervisor_id, None, None


_FOLLOWED = Statement(
    sa.select(_ISSUE.c.id, _ISSUE.c.center_code, _ISSUE.c.supervisor_id).where(
        _ISSUE.c.number == sa.bindparam("number")
    )
)


def find_follow_ups(
    s: Session,
    chunk: list[Report],
    fresh: list[int],
    decisions: dict[int, Decision],
) -> dict[int, int]:
    """The reports that follow up an issue of their own sender, with that issue's id."""
    found: dict[int, int] = {}
    for i in fresh:
        report, (supervisor_id, reason, _) = chunk[i], decisions[i]
        if report.follows_up is None or reason is not None:
            continue
        row = _FOLLOWED.first(s, {"number": report.follows_up})
        # Only the same supervisor's issue in the same center: a reply cannot be used
        # to write into somebody else's issue.
        if row is not None and row[1] == report.center and row[2] == supervisor_id:
            found[i] = row[0]
    return found

"""Revocation review: the supervisors a person should consider for revocation, and why.

Only a list with reasons (discipline, findings, last year's band, inactivity, absences);
nothing here revokes anyone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

import sqlalchemy as sa

from supervision_core.model.clock import SHANGHAI
from supervision_core.model.scoring import Band
from supervision_core.model.supervisors import SupervisorStatus
from supervision_core.model.year import AttendanceStatus, DisciplineRecord, FindingKind
from supervision_core.rules.discipline import discipline_reasons
from supervision_core.store.conduct import discipline_record
from supervision_core.store.evaluation import evaluations
from supervision_core.store.tables import (
    ActivityRow,
    AttendanceRow,
    DisciplineRow,
    FindingRow,
    IssueRow,
    SupervisorRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = ["revocation_candidates"]

_ISSUE = table_of(IssueRow)


def revocation_candidates(
    db: Database, *, center: str, as_of: dt.date | None = None
) -> list[tuple[int, str, list[str]]]:
    """Supervisors a person should consider for revocation, with the reasons. Never acted on.

    The notice's rule first (rules/discipline.py): a confidentiality breach or an
    unlawful act (referral) is always listed; an admonished supervisor with a new breach
    after it (a later record, a report found false) is listed. Then the signs worth a
    look: an unsatisfactory band last year, six months without a report or an activity,
    two or more unexcused absences this year.
    """
    as_of = as_of or db.today()
    since = as_of - dt.timedelta(days=183)
    found: list[tuple[int, str, list[str]]] = []
    latest = [e for e in evaluations(db, center=center) if e.year == as_of.year - 1]
    bands = {x.supervisor_id: x.score.band for x in latest[-1].entries} if latest else {}
    # Core aggregates, as supervisor_years (bench/bench_evaluation.py).
    with db.engine.connect() as c:
        active = [
            (r.id, r.name)
            for r in c.execute(
                sa.select(table_of(SupervisorRow).c.id, table_of(SupervisorRow).c.name).where(
                    table_of(SupervisorRow).c.center_code == center,
                    table_of(SupervisorRow).c.status != SupervisorStatus.REVOKED,
                )
            )
        ]
        since_at = dt.datetime.combine(since, dt.time(), tzinfo=SHANGHAI)
        reported = {
            sid
            for (sid,) in c.execute(
                sa.select(_ISSUE.c.supervisor_id).where(_ISSUE.c.received_at >= since_at).distinct()
            )
        }
        a, t = table_of(ActivityRow), table_of(AttendanceRow)
        attended: set[int] = set()
        absences: dict[int, int] = defaultdict(int)
        for sid, status, held in c.execute(
            sa.select(t.c.supervisor_id, t.c.status, a.c.held_on).select_from(
                t.join(a, a.c.id == t.c.activity_id)
            )
        ):
            if status == AttendanceStatus.PRESENT and held >= since:
                attended.add(sid)
            if status == AttendanceStatus.UNEXCUSED and held.year == as_of.year:
                absences[sid] += 1
        records: dict[int, list[DisciplineRecord]] = defaultdict(list)
        d = table_of(DisciplineRow)
        for row in c.execute(sa.select(d).where(d.c.on <= as_of)):
            records[row.supervisor_id].append(discipline_record(row))
        false_reports: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
        f = table_of(FindingRow)
        for sid, number, received in c.execute(
            sa.select(_ISSUE.c.supervisor_id, _ISSUE.c.number, _ISSUE.c.received_at)
            .select_from(f.join(_ISSUE, _ISSUE.c.id == f.c.issue_id))
            .where(f.c.kind == FindingKind.FALSE_REPORT.value)
        ):
            local = received.astimezone(SHANGHAI) if received.tzinfo else received
            false_reports[sid].append((local.date(), number))
    for sid, name in active:
        reasons, _ = discipline_reasons(records.get(sid, ()), false_reports.get(sid, ()))
        if bands.get(sid) is Band.UNSATISFACTORY:
            reasons.append(f"{as_of.year - 1} 年度评估为不合格")
        if sid not in reported and sid not in attended:
            reasons.append(f"{since} 以来无反馈、无活动")
        if absences.get(sid, 0) >= 2:
            reasons.append(f"本年度无故缺席 {absences[sid]} 次")
        if reasons:
            found.append((sid, name, reasons))
    return found

"""The facts of a supervisor's year: who a center evaluates, and what each did in the year.

A supervisor's year is built for a whole center at once from a few set-based
queries (never one query per supervisor), so evaluating thousands of supervisors
over a million issues stays close to one aggregate query (bench/bench_evaluation.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.model.clock import SHANGHAI
from supervision_core.model.issues import IssueState, RectificationTrack
from supervision_core.model.scoring import SupervisorYear
from supervision_core.model.vocabulary import Method
from supervision_core.model.year import ActivityKind, AttendanceStatus, DisciplineKind, FindingKind
from supervision_core.store.calendar_year import check_year, dates_in_year, year_bounds
from supervision_core.store.tables import (
    ActivityRow,
    AttendanceRow,
    DisciplineRow,
    FieldVisitRow,
    FindingRow,
    IssueRow,
    SupervisorRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = ["evaluated_supervisors", "supervisor_years"]

_ISSUE = table_of(IssueRow)
_VERIFIED = {
    IssueState.ACCEPTED,
    IssueState.DISPATCHED,
    IssueState.RECTIFYING,
    IssueState.COMPLETED,
    IssueState.EXPLAINED,
    IssueState.REOPENED,
    IssueState.CLOSED,
}
_FIXED_TRACKS = {RectificationTrack.IMMEDIATE.value, RectificationTrack.SCHEDULED.value}
_FIXED_STATES = {IssueState.COMPLETED.value, IssueState.CLOSED.value}
_EXPERIENCE = {
    m.value for m in (Method.SIMULATED, Method.ACCOMPANYING, Method.IN_PERSON, Method.OVERSEEING)
}
_SCORED_ACTIVITIES = {ActivityKind.GROUP_EXPERIENCE, ActivityKind.FORUM, ActivityKind.RESEARCH}


def evaluated_supervisors(db: Database, center: str, year: int) -> list[SupervisorRow]:
    """Who a center evaluates for a year: appointed by it, with a term (聘期) overlapping it.

    The term decides, not when the row was entered: a term that ended before the year
    or starts after it leaves the supervisor out. A term not recorded is taken to start
    on the day the supervisor was entered and to be open-ended. One revoked before the
    year is out; one revoked in it, or suspended, is listed (with the status).
    """
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    check_year(year)
    with db.session() as s:
        rows = s.exec(
            select(SupervisorRow)
            .where(SupervisorRow.center_code == center)
            .order_by(col(SupervisorRow.id))
        ).all()
    found = []
    for r in rows:
        starts = r.term_start or r.created_at.astimezone(SHANGHAI).date()
        if starts > last or (r.term_end is not None and r.term_end < first):
            continue
        if r.revoked_on is not None and r.revoked_on < first:
            continue
        found.append(r)
    return found


def supervisor_years(
    db: Database, supervisor_ids: Sequence[int], year: int
) -> dict[int, SupervisorYear]:
    """Each supervisor's year, for many supervisors at once."""
    start, end = year_bounds(year)
    facts: dict[int, dict[str, list[str]]] = {i: defaultdict(list) for i in supervisor_ids}
    wanted = set(supervisor_ids)
    verified = {s.value for s in _VERIFIED}
    # Core aggregates over a year of issues (bench/bench_evaluation.py).
    with db.engine.connect() as c:
        findings: dict[int, set[str]] = defaultdict(set)
        f = table_of(FindingRow)
        for issue_id, kind in c.execute(
            sa.select(f.c.issue_id, f.c.kind)
            .select_from(f.join(_ISSUE, _ISSUE.c.id == f.c.issue_id))
            .where(_ISSUE.c.received_at >= start, _ISSUE.c.received_at < end)
        ):
            findings[issue_id].add(kind)
        query = sa.select(
            _ISSUE.c.id,
            _ISSUE.c.supervisor_id,
            _ISSUE.c.number,
            _ISSUE.c.state,
            _ISSUE.c.track,
            _ISSUE.c.method,
        ).where(_ISSUE.c.received_at >= start, _ISSUE.c.received_at < end)
        if len(wanted) <= 500:
            query = query.where(_ISSUE.c.supervisor_id.in_(wanted))
        for issue_id, sid, number, state, track, method in c.execute(query):
            if sid not in wanted:
                continue
            mine = facts[sid]
            found = findings.get(issue_id, ())
            if FindingKind.FALSE_REPORT in found:
                # Found false: no point for the experience either (docs/annual_evaluation.md).
                mine["false_reports"].append(number)
                continue
            if method in _EXPERIENCE:
                mine["service_experiences"].append(number)
            if state in verified:
                mine["verified_reports"].append(number)
                if track in _FIXED_TRACKS and state in _FIXED_STATES:
                    mine["led_to_fix"].append(number)
            if FindingKind.ADOPTED_SUGGESTION in found:
                mine["adopted_suggestions"].append(number)
            if FindingKind.RULE_CHANGE in found:
                mine["rule_changes"].append(number)
        a, t = table_of(ActivityRow), table_of(AttendanceRow)
        for sid, activity_id, kind, status in c.execute(
            sa.select(t.c.supervisor_id, a.c.id, a.c.kind, t.c.status)
            .select_from(t.join(a, a.c.id == t.c.activity_id))
            .where(dates_in_year(a.c.held_on, year))
        ):
            if sid not in wanted:
                continue
            ref = f"活动#{activity_id}"
            if kind not in _SCORED_ACTIVITIES:
                continue  # training is a right, not scored: neither attending nor missing it
            if status == AttendanceStatus.UNEXCUSED:
                facts[sid]["unexcused_absences"].append(ref)
            elif status == AttendanceStatus.PRESENT:
                facts[sid]["activities_attended"].append(ref)
        d = table_of(DisciplineRow)
        for sid, record_id in c.execute(
            sa.select(d.c.supervisor_id, d.c.id).where(
                d.c.kind == DisciplineKind.CONFIDENTIALITY_BREACH, dates_in_year(d.c.on, year)
            )
        ):
            if sid in wanted:
                facts[sid]["confidentiality_breaches"].append(f"处理#{record_id}")
        v = table_of(FieldVisitRow)  # experiences and inspections that found nothing
        visits = (
            sa.select(v.c.supervisor_id, v.c.id)
            .where(dates_in_year(v.c.on, year))
            .order_by(v.c.on, v.c.id)
        )
        if len(wanted) <= 500:
            visits = visits.where(v.c.supervisor_id.in_(wanted))
        for sid, visit_id in c.execute(visits):
            if sid in wanted:
                facts[sid]["field_visits"].append(f"体验#{visit_id}")
    return {
        sid: SupervisorYear(supervisor_id=sid, year=year, **{k: tuple(v) for k, v in mine.items()})
        for sid, mine in facts.items()
    }

"""Storing the supervisors' year and publishing the annual evaluation.

A supervisor's year is built for a whole center at once from a few set-based
queries (never one query per supervisor), so evaluating thousands of supervisors
over a million issues stays close to one aggregate query (bench/bench_evaluation.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidInput, InvalidTransition, NotFound
from supervision_core.model.clock import SHANGHAI
from supervision_core.model.issues import IssueState, RectificationTrack
from supervision_core.model.scoring import Band, Score, ScoreItem, SupervisorYear
from supervision_core.model.supervisors import ChangeKind, SupervisorStatus
from supervision_core.model.vocabulary import Method
from supervision_core.model.year import (
    DEFAULT_TIE_RULE,
    Activity,
    ActivityKind,
    AttendanceStatus,
    DisciplineKind,
    DisciplineRecord,
    Evaluation,
    EvaluationEntry,
    FindingKind,
    WorkPlan,
    excellent_quota,
    rank_entries,
)
from supervision_core.rules.discipline import discipline_reasons
from supervision_core.store.activities import load_activities
from supervision_core.store.centers import require_center
from supervision_core.store.rows import MAX_ROW_ID
from supervision_core.store.tables import (
    ActivityRow,
    AttendanceRow,
    DisciplineRow,
    EvaluationRow,
    FieldVisitRow,
    FindingRow,
    IssueRow,
    SupervisorChangeRow,
    SupervisorRow,
    WorkPlanRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.store.rows import IssueRef
    from supervision_core.store.session import Database

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


_FIRST_YEAR = 2000  # no supervision before this (the programme, the ledgers)


def check_year(year: int, latest: int = 2100) -> int:
    """``year``, if a plausible one for the ledger; else :class:`InvalidInput` in Chinese."""
    if not _FIRST_YEAR <= year <= latest:
        msg = f"年份 {year} 不在合理范围内（应为 {_FIRST_YEAR} 至 {latest} 年）"
        raise InvalidInput(msg)
    return year


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The year in Asia/Shanghai, as aware instants [start, end)."""
    check_year(year)
    return (
        dt.datetime(year, 1, 1, tzinfo=SHANGHAI),
        dt.datetime(year + 1, 1, 1, tzinfo=SHANGHAI),
    )


def add_work_plan(
    db: Database,
    *,
    center: str,
    year: int,
    title: str,
    responsible_staff: Sequence[str],
    content: str,
) -> WorkPlan:
    require_center(db, center)
    check_year(year, db.today().year + 1)  # next year's plan may be made now
    if not responsible_staff:
        msg = "工作计划必须指定负责的专人"
        raise InvalidInput(msg)
    with db.session() as s:
        row = WorkPlanRow(
            center_code=center,
            year=year,
            title=title,
            responsible_staff=list(responsible_staff),
            content=content,
            created_at=db.clock(),
        )
        s.add(row)
        s.commit()
        assert row.id is not None
        return WorkPlan(
            id=row.id,
            center=center,
            year=year,
            title=title,
            responsible_staff=tuple(responsible_staff),
            content=content,
        )


def work_plans(
    db: Database, *, center: str | None = None, year: int | None = None
) -> list[WorkPlan]:
    query = select(WorkPlanRow)
    if center:
        query = query.where(WorkPlanRow.center_code == center)
    if year:
        query = query.where(WorkPlanRow.year == year)
    with db.session() as s:
        return [
            WorkPlan(
                id=r.id or 0,
                center=r.center_code,
                year=r.year,
                title=r.title,
                responsible_staff=tuple(r.responsible_staff),
                content=r.content,
            )
            for r in s.exec(query.order_by(col(WorkPlanRow.id)))
        ]


def add_activity(
    db: Database,
    *,
    center: str,
    kind: ActivityKind | str,
    title: str,
    held_on: dt.date,
    place: str,
    organizer: str,
) -> Activity:
    require_center(db, center)
    try:
        kind = ActivityKind(kind)
    except ValueError as exc:
        msg = f"活动类型只能是：{'、'.join(f'{k.value}（{k.label}）' for k in ActivityKind)}"
        raise InvalidInput(msg) from exc
    with db.session() as s:
        row = ActivityRow(
            center_code=center,
            kind=kind.value,
            title=title,
            held_on=held_on,
            place=place,
            organizer=organizer,
        )
        s.add(row)
        s.commit()
    return activity(db, row.id or 0)


def record_attendance(
    db: Database,
    activity_id: int,
    supervisor_id: int,
    status: AttendanceStatus | str,
    *,
    actor: str,
    note: str | None = None,
) -> Activity:
    """Record (or correct) whether a supervisor attended an activity.

    Every record and correction is kept in the supervisor's history with ``actor`` and
    the time; a correction shows what it replaced.
    """
    try:
        status = AttendanceStatus(status)
    except ValueError as exc:
        msg = "出席情况只能是 present（出席）、excused（请假）或 unexcused（无故缺席）"
        raise InvalidInput(msg) from exc
    if not actor or not actor.strip():
        msg = "必须指明操作人（actor）"
        raise InvalidInput(msg)
    with db.session() as s:
        found = s.get(ActivityRow, activity_id) if 0 < activity_id <= MAX_ROW_ID else None
        if found is None:
            msg = f"没有编号为 {activity_id} 的活动"
            raise NotFound(msg)
        if found.cancelled_at is not None:
            msg = f"活动 #{activity_id} 已取消，不能记录出席情况"
            raise InvalidTransition(msg)
        if found.starts_at is not None and found.starts_at > db.clock():
            msg = f"活动 #{activity_id} 尚未开始，活动结束后再记录出席情况"
            raise InvalidTransition(msg)
        db.supervisor_row(s, supervisor_id)
        row = s.get(AttendanceRow, (activity_id, supervisor_id))
        before = None if row is None else row.status
        if before == status.value:
            return activity(db, activity_id)  # nothing changes, nothing to record
        if row is None:
            s.add(
                AttendanceRow(
                    activity_id=activity_id, supervisor_id=supervisor_id, status=status.value
                )
            )
        else:
            row.status = status.value
        s.add(
            SupervisorChangeRow(
                supervisor_id=supervisor_id,
                at=db.clock(),
                actor=actor.strip()[:200],
                kind=ChangeKind.ATTENDANCE.value,
                before=before,
                after=status.value,
                activity_id=activity_id,
                note=note.strip() if note and note.strip() else None,
            )
        )
        s.commit()
    return activity(db, activity_id)


def activity(db: Database, activity_id: int) -> Activity:
    """The activity ``activity_id`` with its attendance and sign-ups, or :class:`NotFound`."""
    with db.engine.connect() as c:
        found = load_activities(c, [activity_id]) if 0 < activity_id <= MAX_ROW_ID else []
    if not found:
        msg = f"没有编号为 {activity_id} 的活动"
        raise NotFound(msg)
    return found[0]


def activities(
    db: Database, *, center: str | None = None, year: int | None = None
) -> list[Activity]:
    query = select(ActivityRow.id)
    if center:
        query = query.where(ActivityRow.center_code == center)
    if year:
        query = query.where(
            col(ActivityRow.held_on) >= dt.date(year, 1, 1),
            col(ActivityRow.held_on) < dt.date(year + 1, 1, 1),
        )
    with db.session() as s:
        ids = [
            i or 0 for i in s.exec(query.order_by(col(ActivityRow.held_on), col(ActivityRow.id)))
        ]
        return load_activities(s.connection(), ids)


def record_discipline(
    db: Database,
    supervisor_id: int,
    *,
    kind: DisciplineKind | str,
    reason: str,
    actor: str,
    on: dt.date | None = None,
    authority: str | None = None,
    response: str | None = None,
) -> DisciplineRecord:
    """Record 批评教育 or a breach: the facts (``reason``), who (``actor``), the response.

    ``response`` is what the supervisor said to it (本人表态), kept with the record.
    """
    try:
        kind = DisciplineKind(kind)
    except ValueError as exc:
        msg = f"处理类型只能是：{'、'.join(f'{k.value}（{k.label}）' for k in DisciplineKind)}"
        raise InvalidInput(msg) from exc
    if not reason.strip():
        msg = "必须写明理由"
        raise InvalidInput(msg)
    if kind is DisciplineKind.REFERRAL and not (authority or "").strip():
        msg = "移交处理必须写明接收的部门"
        raise InvalidInput(msg)
    with db.session() as s:
        db.supervisor_row(s, supervisor_id)
        row = DisciplineRow(
            supervisor_id=supervisor_id,
            kind=kind.value,
            on=on or db.today(),
            reason=reason.strip(),
            authority=authority,
            actor=actor,
            recorded_at=db.clock(),
            response=response.strip() if response and response.strip() else None,
        )
        s.add(row)
        s.commit()
        return _discipline(row)


def _discipline(row: DisciplineRow) -> DisciplineRecord:
    return DisciplineRecord(
        id=row.id or 0,
        supervisor_id=row.supervisor_id,
        kind=row.kind,
        on=row.on,
        reason=row.reason,
        actor=row.actor,
        authority=row.authority,
        response=row.response,
    )


def discipline(db: Database, supervisor_id: int) -> list[DisciplineRecord]:
    with db.session() as s:
        rows = s.exec(
            select(DisciplineRow)
            .where(DisciplineRow.supervisor_id == supervisor_id)
            .order_by(col(DisciplineRow.on), col(DisciplineRow.id))
        ).all()
        return [_discipline(r) for r in rows]


def record_finding(
    db: Database, ref: IssueRef, kind: FindingKind | str, *, actor: str, note: str | None = None
) -> None:
    try:
        kind = FindingKind(kind)
    except ValueError as exc:
        msg = f"认定只能是：{'、'.join(f'{k.value}（{k.label}）' for k in FindingKind)}"
        raise InvalidInput(msg) from exc
    with db.session() as s:
        issue = db.issue_row(s, ref)
        if issue.state in (IssueState.RECEIVED, IssueState.NOT_ACCEPTED, IssueState.MERGED):
            msg = (
                f"问题 {issue.number} 当前状态为“{IssueState(issue.state).label}”，尚不能作出此认定"
            )
            raise InvalidInput(msg)
        number = issue.number  # read now: a failed commit expires the row
        s.add(
            FindingRow(
                issue_id=issue.id or 0, kind=kind.value, note=note, actor=actor, at=db.clock()
            )
        )
        try:
            s.commit()
        except sa.exc.IntegrityError as exc:
            msg = f"问题 {number} 已有“{kind.label}”的认定"
            raise InvalidInput(msg) from exc


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
            .where(a.c.held_on >= dt.date(year, 1, 1), a.c.held_on < dt.date(year + 1, 1, 1))
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
                d.c.kind == DisciplineKind.CONFIDENTIALITY_BREACH,
                d.c.on >= dt.date(year, 1, 1),
                d.c.on < dt.date(year + 1, 1, 1),
            )
        ):
            if sid in wanted:
                facts[sid]["confidentiality_breaches"].append(f"处理#{record_id}")
        v = table_of(FieldVisitRow)  # experiences and inspections that found nothing
        visits = (
            sa.select(v.c.supervisor_id, v.c.id)
            .where(v.c.on >= dt.date(year, 1, 1), v.c.on < dt.date(year + 1, 1, 1))
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


def _score_json(score: Score) -> dict[str, Any]:
    return {
        "total": score.total,
        "band": score.band.value,
        "revocation_review": score.revocation_review,
        "items": [
            {"label": i.label, "points": i.points, "refs": list(i.refs)} for i in score.items
        ],
    }


def _score(data: dict[str, Any]) -> Score:
    return Score(
        total=data["total"],
        band=Band(data["band"]),
        items=tuple(ScoreItem(i["label"], i["points"], tuple(i["refs"])) for i in data["items"]),
        revocation_review=data["revocation_review"],
    )


def _year_discipline(
    db: Database, supervisor_ids: Sequence[int], year: int
) -> dict[int, list[str]]:
    """Each supervisor's discipline flags for the year (rules/discipline.py), in Chinese."""
    wanted = set(supervisor_ids)
    records: dict[int, list[DisciplineRecord]] = defaultdict(list)
    with db.session() as s:
        for row in s.exec(
            select(DisciplineRow).where(
                col(DisciplineRow.on) >= dt.date(year, 1, 1),
                col(DisciplineRow.on) < dt.date(year + 1, 1, 1),
            )
        ):
            if row.supervisor_id in wanted:
                records[row.supervisor_id].append(_discipline(row))
    return {sid: discipline_reasons(found)[0] for sid, found in records.items()}


def evaluate(
    db: Database,
    year: int,
    *,
    center: str,
    actor: str,
    quota_ratio: float = 0.2,
    tie_rule: Sequence[str] = DEFAULT_TIE_RULE,
    publish: bool = False,
    reason: str | None = None,
) -> Evaluation:
    """Score every supervisor of ``center`` for ``year``: a preview, or with ``publish`` a version.

    A preview stores nothing (``published`` false, ``id`` 0). Publishing makes the
    official version of the year and center; when one exists already, the new one
    supersedes it and ``reason`` is required; both stay readable. An evaluation with
    nobody to evaluate is not published.
    """
    require_center(db, center)
    check_year(year, db.today().year)
    if not 0 < quota_ratio <= 1:
        msg = f"优秀名额比例应在 0 到 1 之间：{quota_ratio}"
        raise InvalidInput(msg)
    settings = db.settings.center(center)
    policy_name = settings.scoring_policy if settings else "default"
    policy = db.host.scoring_policies()[policy_name]
    supervisors = evaluated_supervisors(db, center, year)
    ids = [s.id or 0 for s in supervisors]
    years = supervisor_years(db, ids, year)
    flags = _year_discipline(db, ids, year)
    entries = []
    for sup in supervisors:
        sid = sup.id or 0
        status = SupervisorStatus(sup.status)
        mine = list(flags.get(sid, ()))
        if status is SupervisorStatus.REVOKED:
            mine.insert(0, f"已于 {sup.revoked_on} 取消资格，不参评优秀")
        elif status is SupervisorStatus.SUSPENDED:
            mine.insert(0, "资格暂停中，不参评优秀")
        entries.append(
            EvaluationEntry(
                supervisor_id=sid,
                name=sup.name,
                rank=0,
                score=policy.score(years[sid]),
                excellent=False,
                year_facts=years[sid],
                status=status,
                term_start=sup.term_start,
                term_end=sup.term_end,
                flags=tuple(mine),
            )
        )
    quota = excellent_quota(sum(1 for e in entries if e.eligible), quota_ratio)
    try:
        ranked = rank_entries(entries, tie_rule=tie_rule, quota=quota)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    with db.session() as s:
        latest = s.exec(
            select(EvaluationRow)
            .where(EvaluationRow.center_code == center, EvaluationRow.year == year)
            .order_by(col(EvaluationRow.version).desc())
        ).first()
        reason = (reason or "").strip() or None
        if publish and not ranked:
            msg = f"中心 {center} {year} 年度没有参评的监督员，不发布评估"
            raise InvalidInput(msg)
        if publish and latest is not None and reason is None:
            msg = (
                f"中心 {center} {year} 年度已有正式发布的评估（第 {latest.version} 版）；"
                "重新发布将取代它，请写明理由（--reason）"
            )
            raise InvalidInput(msg)
        row = EvaluationRow(
            center_code=center,
            year=year,
            version=(latest.version if latest else 0) + 1,
            policy=policy_name,
            quota=quota,
            quota_ratio=quota_ratio,
            tie_rule=list(tie_rule),
            published_at=db.clock(),
            actor=actor,
            entries=[_entry_json(e) for e in ranked],
            supersedes=latest.id if latest else None,
            reason=reason,
        )
        if not publish:
            return attrs.evolve(_evaluation(row), published=False, official=False)
        s.add(row)
        s.commit()
        return attrs.evolve(_evaluation(row), official=True)


def _entry_json(e: EvaluationEntry) -> dict[str, Any]:
    return {
        "supervisor_id": e.supervisor_id,
        "name": e.name,
        "rank": e.rank,
        "excellent": e.excellent,
        "tie_note": e.tie_note,
        "score": _score_json(e.score),
        "facts": {
            k: list(v) for k, v in attrs.asdict(e.year_facts).items() if isinstance(v, tuple)
        },
        "status": e.status.value,
        "term_start": e.term_start.isoformat() if e.term_start else None,
        "term_end": e.term_end.isoformat() if e.term_end else None,
        "flags": list(e.flags),
    }


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _evaluation(row: EvaluationRow, *, official: bool = False) -> Evaluation:
    return Evaluation(
        id=row.id or 0,
        center=row.center_code,
        year=row.year,
        version=row.version,
        policy=row.policy,
        quota=row.quota,
        quota_ratio=row.quota_ratio,
        tie_rule=tuple(row.tie_rule),
        published_at=row.published_at,
        actor=row.actor,
        official=official,
        supersedes=row.supersedes,
        reason=row.reason,
        entries=tuple(
            EvaluationEntry(
                supervisor_id=e["supervisor_id"],
                name=e["name"],
                rank=e["rank"],
                excellent=e["excellent"],
                tie_note=e["tie_note"],
                score=_score(e["score"]),
                year_facts=SupervisorYear(
                    supervisor_id=e["supervisor_id"],
                    year=row.year,
                    **{k: tuple(v) for k, v in e["facts"].items()},
                ),
                # Versions published before 0018 knew no status: they ranked the active.
                status=e.get("status", SupervisorStatus.ACTIVE.value),
                term_start=_date(e.get("term_start")),
                term_end=_date(e.get("term_end")),
                flags=tuple(e.get("flags", ())),
            )
            for e in row.entries
        ),
    )


def evaluations(
    db: Database, *, center: str | None = None, year: int | None = None
) -> list[Evaluation]:
    query = select(EvaluationRow)
    if center:
        query = query.where(EvaluationRow.center_code == center)
    if year:
        query = query.where(EvaluationRow.year == year)
    with db.session() as s:
        rows = list(s.exec(query.order_by(col(EvaluationRow.id))))
        newest: dict[tuple[str, int], int] = {}
        for r in rows:
            key = (r.center_code, r.year)
            newest[key] = max(newest.get(key, 0), r.version)
        return [_evaluation(r, official=newest[(r.center_code, r.year)] == r.version) for r in rows]


def official_evaluation(db: Database, *, center: str, year: int) -> Evaluation | None:
    """The official (latest published) evaluation of ``center`` for ``year``, or ``None``."""
    found = [e for e in evaluations(db, center=center, year=year) if e.official]
    return found[0] if found else None


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
            records[row.supervisor_id].append(
                DisciplineRecord(
                    id=row.id,
                    supervisor_id=row.supervisor_id,
                    kind=row.kind,
                    on=row.on,
                    reason=row.reason,
                    actor=row.actor,
                    authority=row.authority,
                    response=row.response,
                )
            )
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

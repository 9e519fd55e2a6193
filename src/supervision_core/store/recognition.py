"""Storing field visits, commendations and recommendations into the officer team.

Values in :mod:`supervision_core.model.recognition`; the joint analysis of reason six
is kept with the not-accepted event itself (``store.issues``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlmodel import col, select

from supervision_core.errors import InvalidInput, InvalidTransition, NotFound
from supervision_core.model.centers import CenterLevel
from supervision_core.model.recognition import (
    VISIT_METHODS,
    Commendation,
    FieldVisit,
    OfficerRecommendation,
    RecommendationStatus,
)
from supervision_core.model.supervisors import ChangeKind, Origin, SupervisorStatus
from supervision_core.model.vocabulary import Method, parse_term
from supervision_core.store.calendar_year import by_center_and_year, dates_in_year
from supervision_core.store.centers import require_center
from supervision_core.store.evaluation import official_evaluation
from supervision_core.store.tables import (
    CommendationRow,
    FieldVisitRow,
    OfficerRecommendationRow,
    SupervisorChangeRow,
)

if TYPE_CHECKING:
    from supervision_core.model.year import Evaluation
    from supervision_core.store.session import Database

__all__ = [
    "commend",
    "commendations",
    "decide_officer_recommendation",
    "field_visits",
    "officer_recommendations",
    "propose_officer",
    "published_excellent",
    "record_field_visit",
]


def _actor(actor: str) -> str:
    if not actor or not actor.strip():
        msg = "必须指明操作人（actor）"
        raise InvalidInput(msg)
    return actor.strip()[:200]


# ---------------------------------------------------------------- field visits


def _visit(row: FieldVisitRow) -> FieldVisit:
    return FieldVisit(
        id=row.id or 0,
        supervisor_id=row.supervisor_id,
        center=row.center_code,
        method=row.method,
        venue=row.venue,
        on=row.on,
        note=row.note,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        task_id=row.task_id,
    )


def record_field_visit(
    db: Database,
    supervisor_id: int,
    *,
    method: Method | str,
    venue: str,
    on: dt.date,
    actor: str,
    note: str | None = None,
    task_id: int | None = None,
) -> FieldVisit:
    """Record a service experience or inspection of ``supervisor_id`` that found no problem.

    ``method`` is one of :data:`VISIT_METHODS` (code or Chinese label); ``task_id`` names
    the supervisor's task the visit answered, if any. Only an active supervisor's visit is
    recorded, and not one dated in the future.
    """
    found: Method | None
    try:
        found = parse_term(Method, str(method))
    except ValueError:
        found = None
    if found is None or found not in VISIT_METHODS:
        allowed = "、".join(f"{m.value}（{m.label}）" for m in VISIT_METHODS)
        msg = f"体验或暗访的方式只能是：{allowed}"
        raise InvalidInput(msg)
    venue = venue.strip()
    if not venue:
        msg = "必须写明体验或暗访的场所"
        raise InvalidInput(msg)
    if on > db.today():
        msg = f"体验或暗访的日期 {on} 晚于今天"
        raise InvalidInput(msg)
    who = _actor(actor)
    with db.session() as s:
        supervisor = db.supervisor_row(s, supervisor_id)
        if supervisor.status != SupervisorStatus.ACTIVE:
            label = SupervisorStatus(supervisor.status).label
            msg = f"监督员 #{supervisor_id} 当前状态为“{label}”，不能记录体验或暗访"
            raise InvalidTransition(msg)
        row = FieldVisitRow(
            supervisor_id=supervisor_id,
            center_code=supervisor.center_code,
            method=found.value,
            venue=venue,
            on=on,
            note=note.strip() if note and note.strip() else None,
            task_id=task_id,
            recorded_by=who,
            recorded_at=db.clock(),
        )
        s.add(row)
        s.commit()
        return _visit(row)


def field_visits(
    db: Database,
    *,
    supervisor_id: int | None = None,
    center: str | None = None,
    year: int | None = None,
) -> list[FieldVisit]:
    """Recorded field visits, oldest first, by supervisor, center or year."""
    query = select(FieldVisitRow)
    if supervisor_id is not None:
        query = query.where(FieldVisitRow.supervisor_id == supervisor_id)
    if center:
        query = query.where(FieldVisitRow.center_code == center)
    if year:
        query = query.where(dates_in_year(col(FieldVisitRow.on), year))
    with db.session() as s:
        rows = s.exec(query.order_by(col(FieldVisitRow.on), col(FieldVisitRow.id))).all()
        return [_visit(r) for r in rows]


# ---------------------------------------------------------------- commendation


def published_excellent(db: Database, center: str, year: int) -> Evaluation:
    """The official evaluation whose excellent supervisors are commended.

    The one version ``evaluate --publish`` made official for the center and year (a
    later publication supersedes it); a preview is never commended.
    """
    found = official_evaluation(db, center=center, year=year)
    if found is None:
        msg = f"中心 {center} 尚未发布 {year} 年度评估结果，不能表彰"
        raise InvalidInput(msg)
    return found


def _commendation(row: CommendationRow) -> Commendation:
    return Commendation(
        id=row.id or 0,
        center=row.center_code,
        year=row.year,
        supervisor_id=row.supervisor_id,
        name=row.name,
        decision_number=row.decision_number,
        decided_on=row.decided_on,
        decided_by=row.decided_by,
        evaluation_id=row.evaluation_id,
        recorded_at=row.recorded_at,
    )


def commend(
    db: Database,
    *,
    center: str,
    year: int,
    decision_number: str,
    decided_on: dt.date,
    actor: str,
) -> list[Commendation]:
    """Commend the published excellent supervisors of ``center`` for ``year`` (予以表彰奖励).

    One record each, with the decision's number (文号) and date and who decided; a year
    is commended once.
    """
    require_center(db, center)
    decision_number = decision_number.strip()
    if not decision_number:
        msg = "必须写明表彰决定的文号"
        raise InvalidInput(msg)
    if decided_on > db.today():
        msg = f"表彰决定日期 {decided_on} 晚于今天"
        raise InvalidInput(msg)
    who = _actor(actor)
    evaluation = published_excellent(db, center, year)
    if not evaluation.excellent:
        msg = f"{year} 年度评估（第 {evaluation.version} 版）没有优秀监督员"
        raise InvalidInput(msg)
    with db.session() as s:
        for e in evaluation.excellent:
            if db.supervisor_row(s, e.supervisor_id).status == SupervisorStatus.REVOKED:
                msg = (
                    f"优秀监督员 {e.name}（#{e.supervisor_id}）的资格已取消，不能表彰；"
                    "请先重新评估并发布"
                )
                raise InvalidTransition(msg)
        done = s.exec(
            select(CommendationRow.decision_number).where(
                CommendationRow.center_code == center, CommendationRow.year == year
            )
        ).first()
        if done is not None:
            msg = f"中心 {center} 已表彰 {year} 年度优秀监督员（{done}）"
            raise InvalidTransition(msg)
        rows = [
            CommendationRow(
                center_code=center,
                year=year,
                supervisor_id=e.supervisor_id,
                name=e.name,
                decision_number=decision_number,
                decided_on=decided_on,
                decided_by=who,
                evaluation_id=evaluation.id,
                recorded_at=db.clock(),
            )
            for e in evaluation.excellent
        ]
        s.add_all(rows)
        s.commit()
        return [_commendation(r) for r in rows]


def commendations(
    db: Database, *, center: str | None = None, year: int | None = None
) -> list[Commendation]:
    """Commendation records, by center and year, in the evaluation's order."""
    query = by_center_and_year(select(CommendationRow), CommendationRow, center, year)
    with db.session() as s:
        return [_commendation(r) for r in s.exec(query.order_by(col(CommendationRow.id)))]


# ---------------------------------------------------------------- the officer team


def _recommendation(row: OfficerRecommendationRow) -> OfficerRecommendation:
    return OfficerRecommendation(
        id=row.id or 0,
        supervisor_id=row.supervisor_id,
        center=row.center_code,
        reason=row.reason,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
    )


def propose_officer(
    db: Database, supervisor_id: int, *, reason: str, actor: str
) -> OfficerRecommendation:
    """A township center proposes its own hired supervisor into the 营商环境体验官 team."""
    reason = reason.strip()
    if not reason:
        msg = "推荐必须写明理由"
        raise InvalidInput(msg)
    who = _actor(actor)
    with db.session() as s:
        supervisor = db.supervisor_row(s, supervisor_id)
        center = supervisor.center_code
    if require_center(db, center).level is not CenterLevel.TOWNSHIP:
        msg = "只有苏木镇便民服务中心可以推荐本中心聘用的监督员"
        raise InvalidInput(msg)
    with db.session() as s:
        supervisor = db.supervisor_row(s, supervisor_id)
        if supervisor.origin != Origin.TOWNSHIP_HIRED:
            msg = f"监督员 #{supervisor_id} 已是营商环境体验官（{Origin(supervisor.origin).label}）"
            raise InvalidTransition(msg)
        if supervisor.status != SupervisorStatus.ACTIVE:
            label = SupervisorStatus(supervisor.status).label
            msg = f"监督员 #{supervisor_id} 当前状态为“{label}”，不能推荐"
            raise InvalidTransition(msg)
        pending = s.exec(
            select(OfficerRecommendationRow.id).where(
                OfficerRecommendationRow.supervisor_id == supervisor_id,
                OfficerRecommendationRow.status == RecommendationStatus.PROPOSED,
            )
        ).first()
        if pending is not None:
            msg = f"监督员 #{supervisor_id} 已有待旗中心决定的推荐（#{pending}）"
            raise InvalidTransition(msg)
        row = OfficerRecommendationRow(
            supervisor_id=supervisor_id,
            center_code=center,
            reason=reason,
            proposed_by=who,
            proposed_at=db.clock(),
            status=RecommendationStatus.PROPOSED.value,
        )
        s.add(row)
        s.commit()
        return _recommendation(row)


def decide_officer_recommendation(
    db: Database,
    recommendation_id: int,
    *,
    accept: bool,
    actor: str,
    note: str | None = None,
) -> OfficerRecommendation:
    """The banner center accepts or declines (with a reason) a township's recommendation.

    Accepting makes the supervisor an experience officer (体验官兼任); the change is kept
    in the supervisor's history with ``actor`` and the time.
    """
    who = _actor(actor)
    note = note.strip() if note and note.strip() else None
    if not accept and not note:
        msg = "不予纳入必须写明理由"
        raise InvalidInput(msg)
    with db.session() as s:
        row = s.get(OfficerRecommendationRow, recommendation_id)
        if row is None:
            msg = f"没有编号为 {recommendation_id} 的推荐"
            raise NotFound(msg)
        if row.status != RecommendationStatus.PROPOSED:
            label = RecommendationStatus(row.status).label
            msg = f"推荐 #{recommendation_id} 已有决定（{label}）"
            raise InvalidTransition(msg)
        now = db.clock()
        status = RecommendationStatus.ACCEPTED if accept else RecommendationStatus.DECLINED
        row.status, row.decided_by, row.decided_at, row.decision_note = (
            status.value,
            who,
            now,
            note,
        )
        if accept:
            supervisor = db.supervisor_row(s, row.supervisor_id)
            s.add(
                SupervisorChangeRow(
                    supervisor_id=row.supervisor_id,
                    at=now,
                    actor=who,
                    kind=ChangeKind.ORIGIN.value,
                    before=supervisor.origin,
                    after=Origin.EXPERIENCE_OFFICER.value,
                    note=f"推荐 #{recommendation_id} 经旗政务服务中心同意纳入营商环境体验官队伍"
                    + (f"：{note}" if note else ""),
                )
            )
            supervisor.origin = Origin.EXPERIENCE_OFFICER.value
        s.commit()
        return _recommendation(row)


def officer_recommendations(
    db: Database,
    *,
    center: str | None = None,
    status: RecommendationStatus | str | None = None,
) -> list[OfficerRecommendation]:
    """Recommendations into the officer team, oldest first, by township and status."""
    query = select(OfficerRecommendationRow)
    if center:
        query = query.where(OfficerRecommendationRow.center_code == center)
    if status:
        try:
            status = RecommendationStatus(status)
        except ValueError as exc:
            choices = "、".join(f"{x.value}（{x.label}）" for x in RecommendationStatus)
            msg = f"推荐状态只能是：{choices}"
            raise InvalidInput(msg) from exc
        query = query.where(OfficerRecommendationRow.status == status.value)
    with db.session() as s:
        rows = s.exec(query.order_by(col(OfficerRecommendationRow.id))).all()
        return [_recommendation(r) for r in rows]

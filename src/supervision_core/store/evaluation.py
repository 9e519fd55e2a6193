"""The annual evaluation: scoring a center's year as a preview, publishing it, its versions.

A preview stores nothing; publishing makes the official version of a center's year and
a later publication supersedes it (both stay readable). The facts scored are
``store/year_facts.py``'s; the scoring policy is the center's (plugins may add one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
from sqlmodel import col, select

from supervision_core.errors import InvalidInput
from supervision_core.model.scoring import Band, Score, ScoreItem, SupervisorYear
from supervision_core.model.supervisors import SupervisorStatus
from supervision_core.model.year import (
    DEFAULT_TIE_RULE,
    Evaluation,
    EvaluationEntry,
    excellent_quota,
    rank_entries,
)
from supervision_core.store.calendar_year import by_center_and_year, check_year
from supervision_core.store.centers import require_center
from supervision_core.store.conduct import year_discipline_flags
from supervision_core.store.tables import EvaluationRow
from supervision_core.store.year_facts import evaluated_supervisors, supervisor_years

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = ["evaluate", "evaluations", "official_evaluation"]


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
    flags = year_discipline_flags(db, ids, year)
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
    query = by_center_and_year(select(EvaluationRow), EvaluationRow, center, year)
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

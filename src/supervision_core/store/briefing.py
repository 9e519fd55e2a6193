"""The semi-annual briefing (每半年通报): what a center did with its supervisors' reports.

Figures are computed for issues received in the half year (Asia/Shanghai), from
their current state and their events, so they always agree with the ledger.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidInput
from supervision_core.model.briefing import Briefing, BriefingOpinion, briefing_period
from supervision_core.rules.briefing import briefing_figures
from supervision_core.store.centers import require_center
from supervision_core.store.tables import (
    BriefingOpinionRow,
    EventRow,
    IssueRow,
    ReportRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = ["add_opinion", "build_briefing"]


def build_briefing(db: Database, center: str, period: str, *, top: int = 5) -> Briefing:
    """Read the half year's issues, plans and opinions; the figures are computed in rules."""
    year, half, start, end = briefing_period(period)
    name = require_center(db, center).name
    issue, event, report = table_of(IssueRow), table_of(EventRow), table_of(ReportRow)
    today = db.today()
    # Core: a half year of issues read as plain rows, not ORM objects (bench/bench_evaluation.py).
    with db.engine.connect() as c:
        rows = list(
            c.execute(
                sa.select(
                    issue.c.id,
                    issue.c.number,
                    issue.c.state,
                    issue.c.not_accepted_reason,
                    issue.c.track,
                    issue.c.due_on,
                    issue.c.completed_at,
                    issue.c.satisfaction,
                    issue.c.problem_type,
                    issue.c.stage,
                    issue.c.text,
                    issue.c.measures,
                    issue.c.evidence,
                    issue.c.received_at,
                ).where(
                    issue.c.center_code == center,
                    issue.c.received_at >= start,
                    issue.c.received_at < end,
                )
            )
        )
        ids = [r.id for r in rows]
        accepted_ids: set[int] = set()
        deadline: dict[int, str] = {}
        for chunk_start in range(0, len(ids), 900):
            chunk = ids[chunk_start : chunk_start + 900]
            for issue_id, kind, data in c.execute(
                sa.select(event.c.issue_id, event.c.kind, event.c.data)
                .where(
                    event.c.issue_id.in_(chunk),
                    event.c.kind.in_(["accepted", "planned", "extended"]),
                )
                .order_by(event.c.id)
            ):
                if kind == "accepted":
                    accepted_ids.add(issue_id)
                elif isinstance(data, dict) and data.get("due_on"):
                    deadline[issue_id] = data["due_on"]  # the last plan or extension wins
        quarantined = c.execute(
            sa.select(sa.func.count())
            .select_from(report)
            .where(
                report.c.center_code == center,
                report.c.quarantine_reason.is_not(None),
                report.c.received_at >= start,
                report.c.received_at < end,
            )
        ).scalar_one()
    with db.session() as s:
        opinions = [
            BriefingOpinion(o.supervisor_id, o.text, o.recorded_at)
            for o in s.exec(
                select(BriefingOpinionRow)
                .where(
                    BriefingOpinionRow.center_code == center,
                    BriefingOpinionRow.period == f"{year}H{half}",
                )
                .order_by(col(BriefingOpinionRow.id))
            )
        ]
    return briefing_figures(
        rows,
        accepted_ids=accepted_ids,
        deadlines=deadline,
        quarantined=quarantined,
        opinions=opinions,
        center=center,
        center_name=name,
        year=year,
        half=half,
        today=today,
        top=top,
    )


def add_opinion(
    db: Database,
    center: str,
    period: str,
    text: str,
    *,
    actor: str,
    supervisor_id: int | None = None,
) -> BriefingOpinion:
    year, half, _, _ = briefing_period(period)
    require_center(db, center)
    if not text.strip():
        msg = "意见内容不能为空"
        raise InvalidInput(msg)
    with db.session() as s:
        if supervisor_id is not None:
            db.supervisor_row(s, supervisor_id)
        row = BriefingOpinionRow(
            center_code=center,
            period=f"{year}H{half}",
            supervisor_id=supervisor_id,
            text=text.strip(),
            actor=actor,
            recorded_at=db.clock(),
        )
        s.add(row)
        s.commit()
        return BriefingOpinion(row.supervisor_id, row.text, row.recorded_at)

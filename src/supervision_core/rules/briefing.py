"""The semi-annual briefing's figures, computed from the half year's issues (pure).

The store reads the rows; this counts them, so the rules of the count (what is on
time, which cases are typical) are tested without a database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from supervision_core.model.briefing import Briefing, BriefingOpinion
from supervision_core.model.clock import local_date
from supervision_core.model.issues import IssueState, NotAcceptedReason
from supervision_core.model.vocabulary import ProblemType, Stage
from supervision_core.rules.masking import mask_personal_data

__all__ = ["briefing_figures"]


def briefing_figures(
    rows: Sequence[Any],
    *,
    accepted_ids: set[int],
    deadlines: dict[int, str],
    quarantined: int,
    opinions: list[BriefingOpinion],
    center: str,
    center_name: str,
    year: int,
    half: int,
    today: dt.date,
    top: int = 5,
) -> Briefing:
    """The briefing of issues ``rows`` received in the half year.

    :param rows: issues with ``id``, ``number``, ``state``, ``not_accepted_reason``, ``track``,
        ``completed_at``, ``satisfaction``, ``problem_type``, ``stage``, ``text``,
        ``measures``, ``evidence`` and ``received_at`` attributes
    :param accepted_ids: the issues that were ever accepted
    :param deadlines: the last deadline a plan or extension set, ISO date by issue id
    :param quarantined: how many reports of the half year were kept in quarantine
    """
    not_accepted: Counter[str] = Counter()
    satisfaction: Counter[str] = Counter()
    types: Counter[str] = Counter()
    months: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    counts = Counter[str]()
    typical: list[dict[str, Any]] = []
    for r in rows:
        months[f"{local_date(r.received_at).month}月"] += 1
        if r.problem_type:
            types[ProblemType(r.problem_type).label] += 1
        if r.stage:
            stages[Stage(r.stage).label] += 1
        if r.state == IssueState.NOT_ACCEPTED and r.not_accepted_reason:
            not_accepted[NotAcceptedReason(r.not_accepted_reason).label] += 1
        if r.satisfaction:
            satisfaction[r.satisfaction] += 1
        if r.state == IssueState.CLOSED:
            counts["closed"] += 1
        done = r.state in (IssueState.COMPLETED, IssueState.CLOSED)
        if r.track == "immediate" and done:
            counts["immediate"] += 1
        elif r.track == "explained" and r.state in (IssueState.EXPLAINED, IssueState.CLOSED):
            counts["explained"] += 1
        elif r.track == "scheduled":
            due = dt.date.fromisoformat(deadlines[r.id]) if r.id in deadlines else None
            if done and r.completed_at is not None:
                finished = local_date(r.completed_at)
                counts["on_time" if due is None or finished <= due else "overdue"] += 1
            else:
                counts["open"] += 1
                if due is not None and due < today:
                    counts["open_overdue"] += 1
        if done and r.satisfaction == "satisfied" and len(typical) < 3:
            typical.append(
                {
                    "number": r.number,
                    "text": mask_personal_data(r.text)[:120],
                    "measures": r.measures,
                    "evidence": r.evidence,
                }
            )
    return Briefing(
        by_month=[
            (f"{m}月", months[f"{m}月"]) for m in (range(1, 7) if half == 1 else range(7, 13))
        ],
        center=center,
        center_name=center_name,
        period=f"{year}H{half}",
        received=len(rows),
        quarantined=quarantined,
        accepted=len(accepted_ids),
        not_accepted=dict(not_accepted),
        immediate=counts["immediate"],
        scheduled_on_time=counts["on_time"],
        scheduled_overdue=counts["overdue"],
        scheduled_open=counts["open"],
        scheduled_open_overdue=counts["open_overdue"],
        explained=counts["explained"],
        closed=counts["closed"],
        satisfaction=dict(satisfaction),
        problem_types=types.most_common(top),
        stages=stages.most_common(top),
        typical_cases=typical,
        opinions=opinions,
    )

"""What a supervisor's own page reads of their issues: a page of them, newest first, and counts.

Core statements over plain columns (as :meth:`Issues.find`): the page of a supervisor with
a thousand reports in a ledger of a million stays within 2x of its SQL
(``bench/bench_me.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import sqlalchemy as sa

from supervision_core.model.issues import IssueState
from supervision_core.model.summaries import IssueSummary
from supervision_core.store.rows import ISSUE, OPEN, SUMMARY_COLUMNS

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = [
    "SupervisorIssueCounts",
    "supervisor_issue_counts",
    "supervisor_issues",
    "supervisor_issues_on",
]

_TO_EVALUATE = (IssueState.COMPLETED.value, IssueState.EXPLAINED.value)


@attrs.frozen(kw_only=True)
class SupervisorIssueCounts:
    """A supervisor's issues counted: all, open, overdue now, and waiting for their evaluation."""

    total: int
    open: int
    overdue: int
    to_evaluate: tuple[str, ...]  # the numbers, oldest first


#: A supervisor's newest issues, and those older than one (``before``): statements built
#: once, as this is the query of every "my reports" page.
_MINE = sa.select(*SUMMARY_COLUMNS).where(ISSUE.c.supervisor_id == sa.bindparam("supervisor"))
_LIMIT = sa.bindparam("limit", type_=sa.Integer)
_NEWEST = _MINE.order_by(ISSUE.c.id.desc()).limit(_LIMIT)
_OLDER = _MINE.where(ISSUE.c.id < sa.bindparam("before")).order_by(ISSUE.c.id.desc()).limit(_LIMIT)


def supervisor_issues(
    db: Database, supervisor_id: int, *, before: int | None = None, limit: int = 50
) -> list[IssueSummary]:
    """A supervisor's issues, newest first, ``limit`` at a time (``before``: an issue id)."""
    with db.engine.connect() as connection:
        return supervisor_issues_on(connection, supervisor_id, before=before, limit=limit)


def supervisor_issues_on(
    connection: sa.Connection, supervisor_id: int, *, before: int | None, limit: int
) -> list[IssueSummary]:
    """:func:`supervisor_issues` on a connection the caller holds (the session's, /me)."""
    params = {"supervisor": supervisor_id, "limit": max(1, min(limit, 500))}
    if before is not None:
        params["before"] = before
    rows = connection.execute(_NEWEST if before is None else _OLDER, params).all()
    return [IssueSummary(*row) for row in rows]  # type: ignore[call-arg]


def supervisor_issue_counts(db: Database, supervisor_id: int) -> SupervisorIssueCounts:
    """How many issues a supervisor has, open and overdue, and which wait for their evaluation."""
    today = db.today()
    is_open = ISSUE.c.state.in_(OPEN)
    overdue = sa.and_(is_open, ISSUE.c.due_on < today)
    mine = ISSUE.c.supervisor_id == supervisor_id
    with db.engine.connect() as connection:
        total, open_, late = connection.execute(
            sa.select(
                sa.func.count(),
                sa.func.count().filter(is_open),
                sa.func.count().filter(overdue),
            ).where(mine)
        ).one()
        waiting = connection.execute(
            sa.select(ISSUE.c.number)
            .where(mine, ISSUE.c.state.in_(_TO_EVALUATE))
            .order_by(ISSUE.c.id)
        ).scalars()
        return SupervisorIssueCounts(
            total=int(total),
            open=int(open_ or 0),
            overdue=int(late or 0),
            to_evaluate=tuple(waiting),
        )

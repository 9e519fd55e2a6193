"""issue: original and current rectification deadline, the missed one, working days late

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 09:00:00

The columns are filled from each issue's events, by the same rules as
``rules/lifecycle.py`` (a test replays every issue after the upgrade): the plan sets the
original and current deadline, an extension moves the current one (and, when it came
after the deadline had passed, remembers that deadline as missed), a fix is measured
against the first deadline missed. How many working days late is left empty for a late
fix recorded before this revision: the working calendar (holidays, local closures) is
the deployment's configuration, not the database's.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from supervision_core.store.tables import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SHANGHAI = ZoneInfo("Asia/Shanghai")
_KINDS = ("dispatched", "planned", "extended", "completed", "explained")
_COLUMNS = (
    "original_due_on",
    "rectification_due_on",
    "missed_due_on",
    "completed_on_time",
    "late_working_days",
)


def upgrade() -> None:
    # Plain ADD COLUMNs (as in 0012): a batch copy of the issue table would have to drop
    # a table that every event row refers to.
    op.add_column("issue", sa.Column("original_due_on", sa.Date(), nullable=True))
    op.add_column("issue", sa.Column("rectification_due_on", sa.Date(), nullable=True))
    op.add_column("issue", sa.Column("missed_due_on", sa.Date(), nullable=True))
    op.add_column("issue", sa.Column("late_working_days", sa.Integer(), nullable=True))
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_column("issue", "late_working_days")
    op.drop_column("issue", "missed_due_on")
    op.drop_column("issue", "rectification_due_on")
    op.drop_column("issue", "original_due_on")


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def _fold(events: list[tuple[str, dt.datetime, Any]]) -> dict[str, Any]:
    """The new columns after ``events`` (kind, at, data), as rules/lifecycle.py has them."""
    state: dict[str, Any] = dict.fromkeys(_COLUMNS)
    for kind, at, data in events:
        data = data if isinstance(data, dict) else {}
        day = at.astimezone(_SHANGHAI).date()
        if kind == "dispatched":
            state |= {"original_due_on": None, "rectification_due_on": None, "missed_due_on": None}
        elif kind == "planned":
            due = _date(data.get("due_on"))
            state |= {"original_due_on": due, "rectification_due_on": due, "missed_due_on": None}
        elif kind == "extended":
            deadline = state["rectification_due_on"]
            if deadline is not None and day > deadline and state["missed_due_on"] is None:
                state["missed_due_on"] = deadline
            state["rectification_due_on"] = _date(data.get("due_on"))
        else:  # completed, explained
            deadline = state["missed_due_on"] or state["rectification_due_on"]
            late = deadline is not None and day > deadline
            raw = data.get("late_working_days")
            days = (
                (raw if isinstance(raw, int) and not isinstance(raw, bool) else None) if late else 0
            )
            missed = state["missed_due_on"] or (deadline if late else None)
            if state["completed_on_time"] is False:
                earlier = state["late_working_days"]
                known = [d for d in (earlier, days if late else None) if d is not None]
                late, days = True, max(known) if known else None
            state |= {
                "completed_on_time": not late,
                "late_working_days": days,
                "missed_due_on": missed,
            }
    return state


_EVENT = sa.table(
    "issue_event",
    sa.column("id", sa.Integer()),
    sa.column("issue_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("at", UTCDateTime()),
    sa.column("data", sa.JSON()),
)
_ISSUE = sa.table(
    "issue",
    sa.column("id", sa.Integer()),
    sa.column("original_due_on", sa.Date()),
    sa.column("rectification_due_on", sa.Date()),
    sa.column("missed_due_on", sa.Date()),
    sa.column("completed_on_time", sa.Boolean()),
    sa.column("late_working_days", sa.Integer()),
)
_SPAN = 5000  # issue ids read and written at a time: memory stays flat on a large ledger


def _backfill(connection: sa.Connection) -> None:
    update = (
        _ISSUE.update()
        .where(_ISSUE.c.id == sa.bindparam("issue_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in _COLUMNS})
    )
    last = connection.execute(sa.select(sa.func.max(_ISSUE.c.id))).scalar() or 0
    for low in range(0, last, _SPAN):
        events: dict[int, list[tuple[str, dt.datetime, Any]]] = {}
        for issue_id, kind, at, data in connection.execute(
            sa.select(_EVENT.c.issue_id, _EVENT.c.kind, _EVENT.c.at, _EVENT.c.data)
            .where(
                _EVENT.c.issue_id > low,
                _EVENT.c.issue_id <= low + _SPAN,
                _EVENT.c.kind.in_(_KINDS),
            )
            .order_by(_EVENT.c.issue_id, _EVENT.c.id)
        ).all():
            events.setdefault(issue_id, []).append((kind, at, data))
        rows = [
            {"issue_id": i, **{f"new_{k}": v for k, v in _fold(e).items()}}
            for i, e in events.items()
        ]
        if rows:
            connection.execute(update, rows)

"""Aggregate counts for the dashboard and for an operator's status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from supervision_core.model.clock import SHANGHAI
from supervision_core.rules.workdays import calendar_health
from supervision_core.store.rows import ISSUE, OPEN
from supervision_core.store.tables import OutboxRow, ReportRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.leases import Leases
    from supervision_core.store.session import Database


class Dashboard:
    """Counts over the whole ledger, each one aggregate query."""

    def __init__(self, db: Database, leases: Leases) -> None:
        self.db = db
        self.leases = leases

    def dashboard(self, centers: Sequence[str], *, weeks: int = 12) -> dict[str, Any]:
        """Counts for the dashboard of ``centers``, each an aggregate query.

        Intake by channel and week, open and overdue issues, the share of open issues not
        yet late, the on-time rate of rectifications and explanations (by their deadline
        as it stood), and open issues by problem type and by stage.
        """
        report, issue = table_of(ReportRow), ISSUE
        codes = list(centers)
        today = self.db.today()
        start = dt.datetime.combine(today - dt.timedelta(weeks=weeks), dt.time(), SHANGHAI)
        is_open = sa.and_(issue.c.center_code.in_(codes), issue.c.state.in_(OPEN))
        day = sa.func.date(report.c.received_at)
        # Core aggregates: the dashboard page over a million issues (bench/bench_console.py).
        with self.db.engine.connect() as connection:
            daily = connection.execute(
                sa.select(report.c.channel, day, sa.func.count())
                .where(report.c.center_code.in_(codes), report.c.received_at >= start)
                .group_by(report.c.channel, day)
            ).all()
            open_count, overdue = connection.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.count().filter(issue.c.due_on < today),
                ).where(is_open)
            ).one()
            by_type = connection.execute(
                sa.select(issue.c.problem_type, sa.func.count())
                .where(is_open)
                .group_by(issue.c.problem_type)
            ).all()
            by_stage = connection.execute(
                sa.select(issue.c.stage, sa.func.count()).where(is_open).group_by(issue.c.stage)
            ).all()
            finished, on_time = connection.execute(
                sa.select(
                    sa.func.count(issue.c.completed_on_time),
                    sa.func.count().filter(issue.c.completed_on_time.is_(True)),
                ).where(issue.c.center_code.in_(codes))
            ).one()
        by_week: dict[str, dict[str, int]] = {}
        for channel, on, count in daily:
            on = on if isinstance(on, dt.date) else dt.date.fromisoformat(str(on))
            monday = (on - dt.timedelta(days=on.weekday())).isoformat()
            week = by_week.setdefault(monday, {})
            week[channel] = week.get(channel, 0) + int(count)
        return {
            "by_week": dict(sorted(by_week.items())),
            "open": int(open_count),
            "overdue": int(overdue),
            "not_late_share": 1.0 if not open_count else 1 - overdue / open_count,
            "finished": int(finished),
            "on_time_rate": None if not finished else on_time / finished,
            "by_type": tally(by_type, "other"),
            "by_stage": tally(by_stage, "—"),
        }

    def status(self) -> dict[str, Any]:
        """What an operator (or /metrics) wants to know at a glance."""
        report, issue, outbox = table_of(ReportRow), ISSUE, table_of(OutboxRow)
        today = self.db.today()
        # Core aggregates, as the dashboard (bench/bench_console.py).
        with self.db.engine.connect() as connection:
            by_channel: dict[str, int] = dict(
                connection.execute(
                    sa.select(report.c.channel, sa.func.count()).group_by(report.c.channel)
                ).all()
            )
            quarantined = connection.execute(
                sa.select(sa.func.count()).where(report.c.status == "quarantined")
            ).scalar_one()
            by_status: dict[str, int] = dict(
                connection.execute(
                    sa.select(outbox.c.status, sa.func.count())
                    .where(outbox.c.status.not_in(("delivered", "done_by_phone")))
                    .group_by(outbox.c.status)
                ).all()
            )
            pending = by_status.get("pending", 0) + by_status.get("retrying", 0)
            dead = by_status.get("dead", 0)
            overdue = connection.execute(
                sa.select(sa.func.count()).where(issue.c.state.in_(OPEN), issue.c.due_on < today)
            ).scalar_one()
            open_issues = connection.execute(
                sa.select(sa.func.count()).where(issue.c.state.in_(OPEN))
            ).scalar_one()
        return {
            "reports_by_channel": {str(k): int(v) for k, v in by_channel.items()},
            "quarantined": int(quarantined),
            "outbox_pending": int(pending),
            "outbox_dead": int(dead),
            "outbox_unreachable": int(by_status.get("unreachable", 0)),
            "outbox_call_tasks": int(by_status.get("call_task", 0)),
            "open_issues": int(open_issues),
            "overdue_issues": int(overdue),
            "leases": [
                {"name": n, "holder": h, "expires_at": e.isoformat()}
                for n, h, e in self.leases.held()
            ],
            # Whether deadlines can be counted this year and, from 1 November, next year.
            "calendar": calendar_health(today, self.db.calendar).as_dict(),
        }


def tally(rows: Iterable[Any], missing: str) -> dict[str, int]:
    """(key, count) rows summed by key, ``missing`` for none, largest first."""
    counts: dict[str, int] = {}
    for key, count in rows:
        counts[key or missing] = counts.get(key or missing, 0) + int(count)
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

"""The outbox: notices written with the steps that cause them, delivered later, retried."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidTransition
from supervision_core.model.centers import CenterLevel
from supervision_core.model.outbox import DeliveryReport, OutboxEntry, OutboxStatus, retry_delay
from supervision_core.model.summaries import IssueSummary
from supervision_core.rules.reminders import routine_steps, routine_text
from supervision_core.store.bulk import insert_or_skip
from supervision_core.store.rows import (
    ISSUE,
    OPEN,
    SUMMARY_COLUMNS,
    get_row,
    notice_of,
    outbox_entry_of,
)
from supervision_core.store.tables import OutboxRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.centers import Centers
    from supervision_core.store.session import Database


class Outbox:
    """Delivering notices through the notifiers, and the routine reminders."""

    def __init__(self, db: Database, centers: Centers) -> None:
        self.db = db
        self.centers = centers

    def deliver_notices(self, *, limit: int = 100) -> DeliveryReport:
        """Deliver the notices that are due, each through its notifier.

        A notice is leased before it is sent, so a process that dies mid-send leaves
        it to be retried after the lease instead of lost; a notifier that raises is
        retried with exponential backoff, and after ``delivery_attempts`` failures the
        notice is dead-lettered for an operator (``supdesk outbox``).
        """
        now = self.db.clock()
        with self.db.session() as s:
            rows = s.exec(
                select(OutboxRow)
                .where(
                    col(OutboxRow.delivered_at).is_(None),
                    col(OutboxRow.dead_at).is_(None),
                    col(OutboxRow.next_attempt_at) <= now,
                )
                .order_by(col(OutboxRow.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.next_attempt_at = now + dt.timedelta(
                    seconds=self.db.settings.delivery_lease_seconds
                )
            s.commit()
        notifiers = self.db.host.notifiers()
        delivered = retrying = dead = 0
        for row in rows:
            error: str | None = None
            if row.notifier not in notifiers:
                error = f"通知方式 {row.notifier!r} 未安装"
            else:
                try:
                    notifiers.configured(row.notifier, self.db.settings).deliver(notice_of(row))
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
            with self.db.session() as s:
                fresh = s.get(OutboxRow, row.id)
                assert fresh is not None
                done = self.db.clock()
                if error is None:
                    fresh.delivered_at = done
                    delivered += 1
                else:
                    fresh.attempts += 1
                    fresh.last_error = error[:2000]
                    if fresh.attempts >= self.db.settings.delivery_attempts:
                        fresh.dead_at = done
                        dead += 1
                    else:
                        fresh.next_attempt_at = done + retry_delay(fresh.attempts)
                        retrying += 1
                s.commit()
        return DeliveryReport(delivered=delivered, retrying=retrying, dead=dead)

    def run_routine(self, *, today: dt.date | None = None) -> dict[str, int]:
        """Write today's 催办 (before a deadline), 督办 (after it) and unscreened nudges to the outbox, once each.

        Safe to run as often as liked and from several daemons at once: a notice's key
        names the step, the issue, its deadline, the recipient and the notifier, and
        a key already in the outbox is not written again. Returns how many notices
        were added, by step.
        """
        today = today or self.db.today()
        horizon = self.db.calendar.add_working_days(today, self.db.limits.reminder_before).due_on
        c = ISSUE.c
        query = (
            sa.select(*SUMMARY_COLUMNS)
            .where(c.state.in_(OPEN), c.due_on.is_not(None), c.due_on <= horizon)
            .order_by(c.id)
        )
        # Core over plain columns, as the issue queries (bench/bench_ledger.py).
        with self.db.engine.connect() as connection:
            summaries = [IssueSummary(*row) for row in connection.execute(query)]  # type: ignore[call-arg]
        banner = next(
            (x.code for x in self.centers.centers() if x.level is CenterLevel.BANNER), None
        )
        steps = routine_steps(
            summaries, today, self.db.calendar, self.db.limits, banner_center=banner
        )
        now = self.db.clock()
        rows = []
        for step in steps:
            center = self.db.settings.center(
                step.recipient if step.recipient_kind == "center" else step.center
            )
            subject, body = routine_text(step)
            for notifier in center.notifiers if center else ():
                rows.append(
                    {
                        "key": f"{step.key}:{notifier}",
                        "issue_id": step.issue_id,
                        "center_code": step.center,
                        "notifier": notifier,
                        "recipient_kind": step.recipient_kind,
                        "recipient": step.recipient,
                        "addresses": [],
                        "subject": subject,
                        "body": body,
                        "created_at": now,
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                )
        added: dict[str, int] = {}
        for key in self._insert_notices(rows):
            kind = key.split(":")[1]
            added[kind] = added.get(kind, 0) + 1
        return added

    def notify_center(self, center: str, *, key: str, subject: str, body: str) -> int:
        """Write a notice to a center's staff through its notifiers, once per ``key``."""
        settings = self.db.settings.center(center)
        now = self.db.clock()
        rows: list[dict[str, Any]] = [
            {
                "key": f"{key}:{notifier}",
                "issue_id": None,
                "center_code": center,
                "notifier": notifier,
                "recipient_kind": "center",
                "recipient": center,
                "addresses": [],
                "subject": subject,
                "body": body,
                "created_at": now,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for notifier in (settings.notifiers if settings else ())
        ]
        return len(self._insert_notices(rows))

    def _insert_notices(self, rows: list[dict[str, Any]]) -> list[str]:
        """Insert notices whose key is not in the outbox yet; the keys added."""
        if not rows:
            return []
        insert = insert_or_skip(self.db.engine, table_of(OutboxRow), "key")
        added = []
        # Core: INSERT ... ON CONFLICT DO NOTHING (a key written once) has no ORM spelling.
        with self.db.engine.begin() as connection:
            for row in rows:
                if connection.execute(insert, row).rowcount:
                    added.append(str(row["key"]))
        return added

    def entries(
        self, *, status: OutboxStatus | str | None = None, limit: int = 200
    ) -> list[OutboxEntry]:
        """Notices in the outbox, newest first, optionally by status."""
        query = select(OutboxRow)
        if status is not None:
            status = OutboxStatus(status)
            if status is OutboxStatus.DELIVERED:
                query = query.where(col(OutboxRow.delivered_at).is_not(None))
            elif status is OutboxStatus.DEAD:
                query = query.where(col(OutboxRow.dead_at).is_not(None))
            else:
                query = query.where(
                    col(OutboxRow.delivered_at).is_(None), col(OutboxRow.dead_at).is_(None)
                )
        with self.db.session() as s:
            rows = s.exec(query.order_by(col(OutboxRow.id).desc()).limit(limit)).all()
        return [outbox_entry_of(r) for r in rows]

    def retry_notice(self, entry_id: int) -> OutboxEntry:
        """Put a dead-lettered notice back in line, with its attempts reset."""
        with self.db.session() as s:
            row = get_row(s, OutboxRow, entry_id, f"发送队列中没有编号为 {entry_id} 的通知")
            if row.dead_at is None:
                msg = f"通知 {entry_id} 不在发送失败列表中"
                raise InvalidTransition(msg)
            row.dead_at, row.attempts, row.next_attempt_at = None, 0, self.db.clock()
            s.commit()
            return outbox_entry_of(row)

"""The outbox: notices written with the steps that cause them, delivered later, retried.

This module writes notices (the routine's 催办 and 督办, a notice to a center's staff),
once per key, and holds :class:`Outbox`, the store the ledger uses. Delivering them is
in :mod:`supervision_core.store.outbox_delivery`; listing and retrying them, the
console's inbox and the call tasks in :mod:`supervision_core.store.outbox_desk`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from supervision_core.model.centers import CenterLevel
from supervision_core.model.notifications import RecipientKind
from supervision_core.model.outbox import OutboxStatus
from supervision_core.model.summaries import IssueSummary
from supervision_core.rules.reminders import routine_steps, routine_text
from supervision_core.store.bulk import insert_or_skip
from supervision_core.store.outbox_delivery import OutboxDelivery
from supervision_core.store.outbox_desk import OutboxDesk
from supervision_core.store.rows import ISSUE, OPEN, SUMMARY_COLUMNS
from supervision_core.store.tables import OutboxRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.centers import Centers
    from supervision_core.store.session import Database


class Outbox(OutboxDelivery, OutboxDesk):
    """Delivering notices through the notifiers, call tasks, the inbox, and the routine."""

    def __init__(self, db: Database, centers: Centers) -> None:
        self.db = db
        self.centers = centers

    # ------------------------------------------------------------ writing notices

    def run_routine(self, *, today: dt.date | None = None) -> dict[str, int]:
        """Write today's 催办 (before a deadline), 督办 (after it) and unscreened nudges to the outbox, once each.

        Safe to run as often as liked and from several daemons at once: a notice's key
        names the step, the issue, its deadline and the recipient, and a key already in
        the outbox is not written again. Returns how many notices were added, by step.
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
            subject, body = routine_text(step)
            rows.append(
                _row(
                    key=step.key,
                    issue_id=step.issue_id,
                    center=step.center,
                    recipient_kind=step.recipient_kind,
                    recipient=step.recipient,
                    subject=subject,
                    body=body,
                    now=now,
                    kind=step.kind.value,
                    fields={
                        "number": step.number,
                        "due_on": step.due_on.isoformat(),
                        "late_days": str(step.late_days),
                        "center": step.center,
                        "step": step.kind.label,
                    },
                )
            )
        added: dict[str, int] = {}
        for key in self._insert_notices(rows):
            kind = key.split(":")[1]
            added[kind] = added.get(kind, 0) + 1
        return added

    def notify_center(
        self, center: str, *, key: str, subject: str, body: str, kind: str = "center_message"
    ) -> int:
        """Write a notice to a center's staff, once per ``key``; how many were written (0 or 1).

        It lands in the console's inbox of ``center`` and goes by the center's
        notifiers too (by e-mail where the center has an ``email`` address).
        """
        row = _row(
            key=key,
            issue_id=None,
            center=center,
            recipient_kind=RecipientKind.CENTER.value,
            recipient=center,
            subject=subject,
            body=body,
            now=self.db.clock(),
            kind=kind,
            fields={"subject": subject},
        )
        return len(self._insert_notices([row]))

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


def _row(
    *,
    key: str,
    issue_id: int | None,
    center: str,
    recipient_kind: str,
    recipient: str,
    subject: str,
    body: str,
    now: dt.datetime,
    kind: str,
    fields: dict[str, str],
) -> dict[str, Any]:
    """An outbox row for a notice without addresses (to a unit or a center's staff)."""
    return {
        "key": key,
        "issue_id": issue_id,
        "center_code": center,
        "status": OutboxStatus.PENDING.value,
        "notifier": None,
        "recipient_kind": recipient_kind,
        "recipient": recipient,
        "addresses": [],
        "subject": subject,
        "body": body,
        "kind": kind,
        "fields": fields or None,
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }

"""The ledger workbook's rows, read a page at a time (``documents/ledger_workbook.py`` writes them).

Core SQL over plain table columns, a page of 2,000 issues at a time with the latest
progress note and notice of each: a million-row export runs in bounded memory
(bench/bench_export.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from supervision_core.model.clock import SHANGHAI
from supervision_core.store.rows import ISSUE, OPEN
from supervision_core.store.tables import EventRow, OutboxRow, SupervisorRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = ["LedgerPage", "ledger_pages", "overdue_by_center"]

_PAGE = 2000


@attrs.frozen
class LedgerPage:
    """Issues in id order with what the workbook shows beside them.

    :param rows: the issue rows, every column of the issue table and ``supervisor_name``
    :param progress: the latest progress note, by issue id
    :param told: the latest notice that reached the supervisor: when (Asia/Shanghai,
        naive) and the transport that carried it (a notifier, or ``phone`` for a call the
        desk recorded), by issue id
    :param dispatch_note: the note of the latest dispatch, by issue id
    :param close_note: why it was closed without the supervisor's evaluation, by issue id
    :param merged_into: the number of the issue it was merged into, by issue id
    """

    rows: Sequence[Any]
    progress: dict[int, str]
    told: dict[int, tuple[dt.datetime, str]]
    dispatch_note: dict[int, str] = attrs.field(factory=dict)
    close_note: dict[int, str] = attrs.field(factory=dict)
    merged_into: dict[int, str] = attrs.field(factory=dict)


def _filters(center: str | None, start: dt.date | None, end: dt.date | None) -> list[Any]:
    where: list[Any] = []
    if center:
        where.append(ISSUE.c.center_code == center)
    if start:
        where.append(ISSUE.c.received_at >= dt.datetime.combine(start, dt.time(), tzinfo=SHANGHAI))
    if end:
        where.append(
            ISSUE.c.received_at
            < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
        )
    return where


def ledger_pages(
    db: Database,
    *,
    center: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Iterator[LedgerPage]:
    """The ledger's rows for a workbook, a page at a time, in id order.

    :param start: first day (Asia/Shanghai) of reports to include
    :param end: last day, inclusive
    """
    issue, sup = ISSUE, table_of(SupervisorRow)
    event, outbox = table_of(EventRow), table_of(OutboxRow)
    where = _filters(center, start, end)
    after = 0
    while True:
        # Core pages, not ORM objects: a million-row export (bench/bench_export.py).
        with db.engine.connect() as c:
            page = list(
                c.execute(
                    sa.select(issue, sup.c.name.label("supervisor_name"))
                    .select_from(issue.join(sup, sup.c.id == issue.c.supervisor_id))
                    .where(issue.c.id > after, *where)
                    .order_by(issue.c.id)
                    .limit(_PAGE)
                )
            )
            if not page:
                return
            ids = [r.id for r in page]
            progress: dict[int, str] = {}
            dispatch_note: dict[int, str] = {}
            close_note: dict[int, str] = {}
            merged_into: dict[int, str] = {}
            for issue_id, kind, note, data in c.execute(
                sa.select(event.c.issue_id, event.c.kind, event.c.note, event.c.data)
                .where(
                    event.c.issue_id.in_(ids),
                    event.c.kind.in_(["progress", "dispatched", "closed", "merged"]),
                )
                .order_by(event.c.id)
            ):
                # The latest of each kind wins; a new dispatch without a note clears it.
                if kind == "progress":
                    progress[issue_id] = note or ""
                elif kind == "dispatched":
                    dispatch_note[issue_id] = note or ""
                elif kind == "closed":
                    close_note[issue_id] = note or ""
                elif isinstance(data, dict):
                    merged_into[issue_id] = str(data.get("into_number") or "")
            told: dict[int, tuple[dt.datetime, str]] = {}
            for issue_id, delivered, notifier in c.execute(
                sa.select(outbox.c.issue_id, outbox.c.delivered_at, outbox.c.notifier)
                .where(
                    outbox.c.issue_id.in_(ids),
                    outbox.c.recipient_kind == "supervisor",
                    outbox.c.status.in_(("delivered", "done_by_phone")),
                )
                .order_by(outbox.c.delivered_at, outbox.c.id)
            ):
                when = delivered.astimezone(SHANGHAI).replace(tzinfo=None)
                told[issue_id] = (when, notifier)  # the latest wins
        yield LedgerPage(
            rows=page,
            progress=progress,
            told=told,
            dispatch_note=dispatch_note,
            close_note=close_note,
            merged_into=merged_into,
        )
        after = ids[-1]


def overdue_by_center(db: Database) -> dict[str, int]:
    """How many open issues are past their deadline today, by center (one count each)."""
    with db.engine.connect() as connection:
        return dict(
            connection.execute(
                sa.select(ISSUE.c.center_code, sa.func.count())
                .where(ISSUE.c.state.in_(OPEN), ISSUE.c.due_on < db.today())
                .group_by(ISSUE.c.center_code)
            ).all()
        )

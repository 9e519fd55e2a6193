"""Fast writes for intake: plain executemany, ids allocated ahead, SQLite's write lock.

Core and driver SQL, not the ORM: SQLAlchemy's per-row parameter processing cost more
than the insert itself (bench/bench_phone_import.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

from supervision_core.store.driver import Statement, sqlite_connection
from supervision_core.store.tables import EventRow, IssueRow, ReportRow, table_of

if TYPE_CHECKING:
    pass

_REPORT: sa.Table = table_of(ReportRow)
_ISSUE: sa.Table = table_of(IssueRow)
_EVENT: sa.Table = table_of(EventRow)
_WRITE_LOCK = Statement(sa.text("UPDATE issue_counter SET value = value WHERE 0"))
_MAX_IDS = ("report", "issue", "issue_event")
_ALL_MAX_IDS = Statement(
    sa.select(
        *(sa.select(sa.func.max(t.c.id)).scalar_subquery() for t in (_REPORT, _ISSUE, _EVENT))
    )
)
_NEXT_IDS = sa.text(
    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
)

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


def _sqlite_converter(column: sa.Column[Any]) -> Any:
    """How one column's values must be changed before the driver sees them, or None."""
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.DateTime):
        return lambda v: v.astimezone(dt.UTC).strftime(SQLITE_TIME)
    if isinstance(kind, sa.Date):
        return dt.date.isoformat
    if isinstance(kind, sa.JSON):
        return json.dumps
    if isinstance(kind, sa.Boolean):
        return int
    return None


@functools.cache
def _sqlite_insert(table: sa.Table, names: tuple[str, ...]) -> tuple[str, list[tuple[int, Any]]]:
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    converters = [
        (i, convert)
        for i, name in enumerate(names)
        if (convert := _sqlite_converter(table.c[name])) is not None
    ]
    return sql, converters


def bulk_insert(s: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) in one executemany.

    On SQLite the rows go straight to the driver, converted as SQLAlchemy would
    store them: its per-row parameter processing cost more than the insert itself
    (bench/bench_phone_import.py). Elsewhere SQLAlchemy's executemany is used.
    """
    if not rows:
        return
    raw = sqlite_connection(s)
    if raw is None:
        s.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    sql, converters = _sqlite_insert(table, tuple(names))
    pick = operator.itemgetter(*names)
    params = []
    for row in rows:
        values = list(pick(row))
        for i, convert in converters:
            if values[i] is not None:
                values[i] = convert(values[i])
        params.append(tuple(values))
    # On the driver's connection itself: SQLAlchemy's exec_driver_sql still cost more
    # than a one-row insert (bench/bench_receive.py).
    if len(params) == 1:
        raw.execute(sql, params[0])
    else:
        raw.executemany(sql, params)


def take_write_lock(s: Session) -> None:
    """On SQLite, start writing now, so ids read next cannot be taken by another writer."""
    if sqlite_connection(s) is not None:
        _WRITE_LOCK.rows(s, {})


def allocate_ids(s: Session, table: sa.Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, so rows go in by plain executemany.

    (With RETURNING, SQLAlchemy inserts row by row on SQLite to keep the order.)
    PostgreSQL takes them from the table's sequence; SQLite, under the write lock,
    after the largest id in use.
    """
    if count == 0:
        return []
    if sqlite_connection(s) is None:
        rows = s.connection().execute(_NEXT_IDS, {"table": table.name, "n": count})
        return [r[0] for r in rows]
    # Under the write lock, the largest ids of the three tables intake writes are read
    # in one statement, once a transaction; later allocations count on from there.
    transaction = s.get_transaction()
    held = s.info.get("supdesk_top_ids")
    if held is None or held[0] is not transaction:
        held = s.info["supdesk_top_ids"] = (transaction, {})
    top: dict[str, int | None] = held[1]
    if table.name not in top:
        if table.name in _MAX_IDS:
            top.update(zip(_MAX_IDS, _ALL_MAX_IDS.rows(s, {})[0], strict=True))
        else:
            top[table.name] = s.connection().execute(sa.select(sa.func.max(table.c.id))).scalar()
    first = (top[table.name] or 0) + 1
    top[table.name] = first + count - 1
    return list(range(first, first + count))


def insert_or_skip(engine: sa.Engine, table: sa.Table, key: str) -> Any:
    """INSERT that leaves a row whose ``key`` is taken alone (SQLite and PostgreSQL)."""
    # Each dialect's module loads with its engine, not for every ledger (bench/bench_cli.py).
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=[key])
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert(table).on_conflict_do_nothing(index_elements=[key])

"""The bulk path of a large import: reports known to go to quarantine, as plain rows.

Driver SQL and, for a staged file, SQLite's ``ATTACH``: a hotline's export is a million
calls, mostly from citizens, and this keeps their import at the rate of a raw
``executemany`` of the same rows (bench/bench_phone_import.py). On PostgreSQL the rows
go in by ``COPY``: straight into ``report``, repeats left out; should one of them be
stored already (an import run again, another process), the copy is undone to a
savepoint and the rows go by a temporary table and one ``INSERT ... SELECT ... ON
CONFLICT DO NOTHING`` instead, the rule of the ``executemany`` it replaces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from supervision_core.model.reports import (
    QuarantinedReport,
    QuarantineReason,
    Report,
    ReportHints,
    Sender,
)
from supervision_core.store.bulk import SQLITE_TIME, take_write_lock
from supervision_core.store.lookups import EXISTING_REPORTS
from supervision_core.store.staging import (
    BULK_COLUMNS,
    STAGE_TABLE,
    BulkQuarantine,
    CopyText,
    read_stage,
)

if TYPE_CHECKING:
    from supervision_core.store.session import Database

#: PostgreSQL: the rows of one bulk call, copied in, then inserted into ``report``.
_PG_ROWS = "supdesk_bulk_rows"
_PG_ROWS_TABLE = (
    f"CREATE TEMPORARY TABLE {_PG_ROWS} (n bigint GENERATED ALWAYS AS IDENTITY, "
    + ", ".join(f"{c} text" for c in BULK_COLUMNS)
    + ") ON COMMIT DROP"
)
_PG_COPY = f"COPY {_PG_ROWS} ({', '.join(BULK_COLUMNS)}) FROM STDIN"

_BULK_CONSTANTS = ("channel", "sender_kind", "status", "quarantine_reason", "batch_id", "stored_at")


def _literal(value: str | int | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def _bulk_sql(
    db: Database,
    channel: str,
    sender_kind: str,
    reason: QuarantineReason,
    batch_id: int | None,
    *,
    staged: bool = False,
    copied: bool = False,
) -> str:
    """The insert of one bulk call, what every row shares written into the statement.

    Then the rows go to the driver as they came (no tuple is built per row), or, with
    ``staged``, come from the attached file ``supdesk_stage`` without passing through
    Python at all, or, with ``copied`` (PostgreSQL), from the temporary table ``COPY``
    filled, in the order they were copied (the first of a repeated id is kept, as with
    ``executemany``).
    """
    dialect = db.engine.dialect.name
    stored_at = db.clock().astimezone(dt.UTC).strftime(SQLITE_TIME)
    constants = (channel, sender_kind, "quarantined", reason.value, batch_id, stored_at)
    shared = [_literal(v) for v in constants]
    mark = "?" if dialect == "sqlite" else "%s"
    values = list(BULK_COLUMNS) if staged or copied else [mark] * len(BULK_COLUMNS)
    if dialect != "sqlite":  # the UTC texts become timestamptz
        at = BULK_COLUMNS.index("received_at")
        values[at] = f"CAST({values[at]} AS TIMESTAMP) AT TIME ZONE 'UTC'"
        shared[-1] = f"CAST({shared[-1]} AS TIMESTAMP) AT TIME ZONE 'UTC'"
    columns = ", ".join(_BULK_CONSTANTS + BULK_COLUMNS)
    if staged:
        source = f"SELECT {', '.join(shared + values)} FROM supdesk_stage.{STAGE_TABLE} WHERE true"
    elif copied:
        source = f"SELECT {', '.join(shared + values)} FROM {_PG_ROWS} ORDER BY n"
    else:
        source = f"VALUES ({', '.join(shared + values)})"
    return f"INSERT INTO report ({columns}) {source} ON CONFLICT (channel, external_id) DO NOTHING"


def _constants(
    db: Database, channel: str, sender_kind: str, reason: QuarantineReason, batch_id: int | None
) -> tuple[str | int | None, ...]:
    stored_at = db.clock().astimezone(dt.UTC).strftime(SQLITE_TIME)
    return (channel, sender_kind, "quarantined", reason.value, batch_id, stored_at)


_PG_COPY_REPORTS = f"COPY report ({', '.join(BULK_COLUMNS + _BULK_CONSTANTS)}) FROM STDIN"


def _copy(
    cursor: Any,
    insert_copied: str,
    constants: tuple[str | int | None, ...],
    rows: Sequence[tuple[Any, ...]] | CopyText,
) -> int:
    """PostgreSQL: the rows by ``COPY``, the first of a repeated id kept; how many were stored.

    Straight into ``report`` first: a fresh export's rows are all new. If one of them is
    stored already (an import run again, another process), the copy is undone to a
    savepoint and the rows go by a temporary table and ``ON CONFLICT DO NOTHING``.
    """
    import psycopg.errors

    # The UTC texts (received_at, stored_at) read as UTC by the copy.
    cursor.execute("SET LOCAL TIME ZONE 'UTC'")
    cursor.execute("SAVEPOINT supdesk_copy")
    text = rows if isinstance(rows, CopyText) else None
    plain: Sequence[tuple[Any, ...]] = [] if isinstance(rows, CopyText) else rows
    # What every row shares, written after each line's own values.
    shared = "".join("\t" + ("\\N" if v is None else str(v)) for v in constants)
    seen: set[str] = set()
    stored = 0
    try:
        with cursor.copy(_PG_COPY_REPORTS) as copy:
            if text is not None:
                copy.write(text.data.replace(b"\n", shared.encode() + b"\n"))
                stored = text.rows
            else:
                for row in plain:
                    if row[0] in seen:
                        continue
                    seen.add(row[0])
                    copy.write_row((*row, *constants))
                    stored += 1
    except psycopg.errors.UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT supdesk_copy")
        cursor.execute(_PG_ROWS_TABLE)
        with cursor.copy(_PG_COPY) as copy:
            if text is not None:
                copy.write(text.data)
            else:
                for row in plain:
                    copy.write_row(row)
        cursor.execute(insert_copied)
        stored = int(cursor.rowcount)
    cursor.execute("RELEASE SAVEPOINT supdesk_copy")
    return stored


def quarantine_many(
    db: Database,
    channel: str,
    sender_kind: str,
    reason: QuarantineReason,
    rows: Sequence[tuple[Any, ...]] | CopyText,
    *,
    batch_id: int | None,
    dry_run: bool = False,
) -> int:
    """Keep ``rows`` (:class:`BulkQuarantine`) in quarantine, in one transaction.

    ``rows`` may come as :class:`CopyText` (from a reading process): on PostgreSQL its
    text goes to ``COPY`` as it is.

    A row whose ``(channel, external_id)`` is stored already is left alone, as
    :func:`receive_many` would. Returns how many rows were stored; with ``dry_run``,
    how many would have been (the transaction is rolled back).
    """
    copied = db.engine.dialect.name == "postgresql"
    listening = db.host.listens("supervision_report_quarantined") and not dry_run
    if isinstance(rows, CopyText) and (listening or not copied):
        rows = rows.tuples()  # plugins are told of each row; SQLite takes tuples
    plain = [] if isinstance(rows, CopyText) else rows  # as tuples, unless COPY text
    if not (rows.rows if isinstance(rows, CopyText) else rows):
        return 0
    sql = _bulk_sql(db, channel, sender_kind, reason, batch_id, copied=copied)
    with db.write_lock, db.session() as s:
        take_write_lock(s)
        before = _stored_ids(s, channel, plain) if listening else {}
        cursor = s.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if copied:
                constants = _constants(db, channel, sender_kind, reason, batch_id)
                stored = _copy(cursor, sql, constants, rows)
            else:
                cursor.executemany(sql, plain)
                stored = int(cursor.rowcount)
        finally:
            cursor.close()
        after = _stored_ids(s, channel, plain) if listening else {}
        if dry_run:
            s.rollback()
        else:
            s.commit()
    if listening:
        _tell_quarantined(db, channel, sender_kind, reason, plain, before, after)
    return stored


def quarantine_staged(
    db: Database,
    channel: str,
    sender_kind: str,
    reason: QuarantineReason,
    path: str,
    *,
    batch_id: int | None,
    dry_run: bool = False,
) -> int:
    """Like :func:`quarantine_many`, the rows read from a file :func:`stage_quarantine` wrote.

    On SQLite the rows go from file to ledger in one ``INSERT ... SELECT``: no Python
    object per row in this process (a reading process wrote the file meanwhile).
    Returns how many rows were stored.
    """
    if db.engine.dialect.name != "sqlite" or db.host.listens("supervision_report_quarantined"):
        return quarantine_many(
            db,
            channel,
            sender_kind,
            reason,
            read_stage(path),
            batch_id=batch_id,
            dry_run=dry_run,
        )
    sql = _bulk_sql(db, channel, sender_kind, reason, batch_id, staged=True)
    with db.write_lock:
        raw = db.engine.raw_connection()
        cursor = raw.cursor()
        try:
            # Attached outside any transaction (SQLite allows it only there).
            cursor.execute("ATTACH DATABASE ? AS supdesk_stage", (path,))
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(sql)
                stored = int(cursor.rowcount)
                (raw.rollback if dry_run else raw.commit)()
            except BaseException:
                raw.rollback()
                raise
            finally:
                cursor.execute("DETACH DATABASE supdesk_stage")
        finally:
            cursor.close()
            raw.close()
    return stored


def _stored_ids(s: Session, channel: str, rows: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    ids = sorted({r[0] for r in rows})
    found: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        params = {"channel": channel, "ids": ids[start : start + 500]}
        for rid, ext, *_ in s.connection().execute(EXISTING_REPORTS, params):
            found[ext] = rid
    return found


def _tell_quarantined(
    db: Database,
    channel: str,
    sender_kind: str,
    reason: QuarantineReason,
    rows: Sequence[tuple[Any, ...]],
    before: dict[str, int],
    after: dict[str, int],
) -> None:
    """Tell plugins, after the commit, as :func:`receive_many` does for each report."""
    for row in rows:
        r = BulkQuarantine(*row)
        rid = after.get(r.external_id)
        if rid is None or r.external_id in before:
            continue
        before[r.external_id] = rid  # the same id twice in the rows: told once
        received = dt.datetime.strptime(r.received_at, SQLITE_TIME).replace(tzinfo=dt.UTC)
        report = Report(
            channel=channel,
            external_id=r.external_id,
            center=r.center,
            received_at=received,
            sender=Sender(sender_kind, r.sender_value, r.sender_name),
            text=r.text,
            subject=r.subject,
            hints=ReportHints(problem_type=r.problem_type, venue=r.venue),
        )
        quarantined = QuarantinedReport.of(rid, report, reason, r.detail)
        db.host.report_quarantined(report=report, quarantined=quarantined)

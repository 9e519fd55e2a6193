"""Bulk rows: a report kept in quarantine as a plain row, and files that stage such rows.

The reading process of a large import needs these and nothing of the database layer:
this module imports only the standard library.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = [
    "BULK_COLUMNS",
    "STAGE_TABLE",
    "BulkQuarantine",
    "CopyText",
    "StageFile",
    "copy_text",
    "read_stage",
    "stage_quarantine",
]


class BulkQuarantine(NamedTuple):
    """A report kept in quarantine, as a plain row: the bulk path of a large import.

    A file of a million calls is mostly from people who are not supervisors; each such
    call is stored as it would be one at a time, without building a report object for
    it. Plain tuples in this order are accepted too (they cross a process boundary
    cheaply). ``received_at`` is UTC, written ``YYYY-MM-DD HH:MM:SS.ffffff``.
    """

    external_id: str
    center: str
    received_at: str
    sender_value: str
    sender_name: str | None
    subject: str | None
    text: str
    problem_type: str | None
    venue: str | None
    detail: str | None


BULK_COLUMNS = (
    "external_id",
    "center_code",
    "received_at",
    "sender_value",
    "sender_name",
    "subject",
    "text",
    "problem_type",
    "venue",
    "quarantine_detail",
)


STAGE_TABLE = "bulk_quarantine"


class StageFile:
    """A SQLite file of quarantine rows, written a batch at a time (scratch: no journal).

    The ledger copies it with :meth:`Ledger.quarantine_staged`.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.rows = 0
        self._connection = sqlite3.connect(path, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=OFF")
        self._connection.execute("PRAGMA synchronous=OFF")
        self._connection.execute(f"CREATE TABLE {STAGE_TABLE} ({', '.join(BULK_COLUMNS)})")
        self._connection.execute("BEGIN")
        self._insert = f"INSERT INTO {STAGE_TABLE} VALUES ({', '.join('?' * len(BULK_COLUMNS))})"

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Add rows (:class:`BulkQuarantine`)."""
        self._connection.executemany(self._insert, rows)
        self.rows += len(rows)

    def close(self) -> None:
        """Commit and close: the file is ready to be copied."""
        self._connection.execute("COMMIT")
        self._connection.close()


def stage_quarantine(path: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Write ``rows`` (:class:`BulkQuarantine`) to a new SQLite file, all at once."""
    stage = StageFile(path)
    stage.add(rows)
    stage.close()


def read_stage(path: str) -> list[tuple[Any, ...]]:
    """The rows of a file :func:`stage_quarantine` wrote."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f"SELECT * FROM {STAGE_TABLE} ORDER BY rowid").fetchall()
    finally:
        connection.close()


class CopyText(NamedTuple):
    """Quarantine rows as PostgreSQL ``COPY`` text: how a reading process hands them over.

    ``data`` holds one line a row, the :data:`BULK_COLUMNS` tab-separated and escaped
    as ``COPY ... FROM STDIN`` reads them; ``rows`` lines, made from ``given`` rows (the
    first of a repeated id kept, as :meth:`Ledger.quarantine_many` keeps it). The
    ledger sends ``data`` to the server as it is: no Python object per row there.
    """

    data: bytes
    rows: int
    given: int

    def tuples(self) -> list[tuple[str | None, ...]]:
        """The rows again (for a ledger that cannot take the text as it is)."""
        lines = self.data.decode().split("\n")[:-1]
        return [tuple(_unescape(v) for v in line.split("\t")) for line in lines]


# COPY's text format: a backslash, a tab, a newline or a carriage return in a value is
# escaped; a missing value is \N.
_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_MISSING = "\x00"  # a missing value while a row is joined (no stored text holds a NUL)
_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def copy_text(rows: Sequence[tuple[Any, ...]]) -> CopyText:
    """``rows`` (:class:`BulkQuarantine`) as :class:`CopyText`, the first of a repeated id kept."""
    seen: set[str] = set()
    lines = []
    tabs = len(BULK_COLUMNS) - 1
    for row in rows:
        if row[0] in seen:
            continue
        seen.add(row[0])
        # Most rows need no escape: joined, then checked at C speed (str.translate goes
        # character by character through Chinese text: slower than the reading).
        line = "\t".join([_MISSING if v is None else v for v in row])
        if (
            "\\" in line
            or "\n" in line
            or "\r" in line
            or line.count("\t") != tabs
            or line.count("\x00") != row.count(None)
        ):
            line = "\t".join(["\\N" if v is None else v.translate(_ESCAPES) for v in row])
        else:
            line = line.replace(_MISSING, "\\N")
        lines.append(line)
    lines.append("")
    return CopyText("\n".join(lines).encode(), len(lines) - 1, len(rows))


def _unescape(value: str) -> str | None:
    if value == "\\N":
        return None
    if "\\" not in value:
        return value
    out, chars = [], iter(value)
    for c in chars:
        out.append(_UNESCAPES.get(next(chars, ""), "") if c == "\\" else c)
    return "".join(out)

"""Filing's statements on SQLite's own driver: compiled once, run on the DBAPI connection.

A fast path (bench/bench_receive.py): filing one report runs about a dozen small
statements, and going through SQLAlchemy's execution (compiled-cache look-up, execution
context, result object) cost several times what SQLite spent running them. On SQLite
the statements below are compiled once to the driver's SQL and executed on the session's
own ``sqlite3`` connection, inside the session's transaction (the driver begins it on the
first write, as under SQLAlchemy; the session commits it). On any other database they go
through SQLAlchemy as before. Values are handed to the driver as they are: only strings
and integers go in here, and callers convert what comes out (dates are text on SQLite).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

__all__ = ["Statement", "sqlite_connection"]

_DIALECT = sqlite.dialect(paramstyle="qmark")


def sqlite_connection(s: Session) -> sqlite3.Connection | None:
    """The ``sqlite3`` connection of ``s``'s transaction (begun if need be), or None elsewhere.

    Kept in the session for the transaction: asking the session for its connection costs
    more than most of the statements run on it.
    """
    held = s.info.get("supdesk_dbapi")
    if held is not None and held[0] is s.get_transaction():
        raw: sqlite3.Connection | None = held[1]
        return raw
    connection = s.connection()
    raw = None
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        raw = driver
    s.info["supdesk_dbapi"] = (s.get_transaction(), raw)
    return raw


class Statement:
    """A Core statement, run through SQLAlchemy or, on SQLite, as compiled driver SQL.

    Only plain bind parameters (no expanding ones): their values, and the statement's own
    constants (a LIMIT, a list of states), are put in the driver's order.
    """

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement

    @functools.cached_property
    def _sqlite(self) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        compiled = self.statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
        sql = compiled.string
        assert "POSTCOMPILE" not in sql, "an expanding parameter cannot run as driver SQL"
        names = tuple(compiled.positiontup or ())
        constants = compiled.construct_params(_check=False)
        return sql, names, constants

    def rows(self, s: Session, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Every row the statement returns, as tuples."""
        raw = sqlite_connection(s)
        if raw is None:
            return s.connection().execute(self.statement, dict(params)).all()
        sql, names, constants = self._sqlite
        values = tuple(params[n] if n in params else constants[n] for n in names)
        return raw.execute(sql, values).fetchall()

    def first(self, s: Session, params: Mapping[str, Any]) -> Sequence[Any] | None:
        """The first row, or None."""
        raw = sqlite_connection(s)
        if raw is None:
            return s.connection().execute(self.statement, dict(params)).first()
        sql, names, constants = self._sqlite
        values = tuple(params[n] if n in params else constants[n] for n in names)
        # fetchall, not fetchone: a statement left unfinished would keep SQLite busy.
        rows = raw.execute(sql, values).fetchall()
        return rows[0] if rows else None

    def scalar(self, s: Session, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None."""
        row = self.first(s, params)
        return None if row is None else row[0]

"""What the table modules share: the UTC datetime column type, ``table_of``, ``when``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware datetime stored in UTC; SQLite, which keeps no zone, gets it back aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = f"naive datetime refused: {value.isoformat()}"
            raise ValueError(msg)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(
        self, dialect: sa.Dialect, coltype: object
    ) -> Callable[[Any], dt.datetime | None] | None:
        if dialect.name == "postgresql":
            # The driver already returns aware values (in the session's zone); aware
            # datetimes compare by instant, so converting each to UTC is wasted work.
            return None
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        # SQLite hands back the stored text ("YYYY-MM-DD HH:MM:SS.ffffff", UTC): one
        # C-level parse to an aware value instead of a parse and a replace (3x faster
        # listings, bench/bench_ledger.py).
        parse = dt.datetime.fromisoformat

        def process(value: Any) -> dt.datetime | None:
            return None if value is None else parse(value + "+00:00")

        return process

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table of a SQLModel class, for bulk statements."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


def when(*, nullable: bool = False, index: bool = False) -> Any:
    """A column of aware datetimes stored in UTC."""
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))

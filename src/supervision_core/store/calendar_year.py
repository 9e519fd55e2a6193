"""The calendar year the ledger counts in: a plausible year, its bounds, and the filters by year.

Shared by the year's records (work plans, activities, discipline, field visits), the
evaluation and the commendations, so each asks "in this year" the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from supervision_core.errors import InvalidInput
from supervision_core.model.clock import SHANGHAI
from supervision_core.store.tables import CommendationRow, EvaluationRow, WorkPlanRow

if TYPE_CHECKING:
    from sqlmodel.sql.expression import SelectOfScalar

__all__ = ["by_center_and_year", "check_year", "dates_in_year", "year_bounds"]

_FIRST_YEAR = 2000  # no supervision before this (the programme, the ledgers)


def check_year(year: int, latest: int = 2100) -> int:
    """``year``, if a plausible one for the ledger; else :class:`InvalidInput` in Chinese."""
    if not _FIRST_YEAR <= year <= latest:
        msg = f"年份 {year} 不在合理范围内（应为 {_FIRST_YEAR} 至 {latest} 年）"
        raise InvalidInput(msg)
    return year


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The year in Asia/Shanghai, as aware instants [start, end)."""
    check_year(year)
    return (
        dt.datetime(year, 1, 1, tzinfo=SHANGHAI),
        dt.datetime(year + 1, 1, 1, tzinfo=SHANGHAI),
    )


def dates_in_year(column: Any, year: int) -> sa.ColumnElement[bool]:
    """``column`` (a date column, of a table or a row class) falls in ``year``."""
    return sa.and_(column >= dt.date(year, 1, 1), column < dt.date(year + 1, 1, 1))


YearRow = TypeVar("YearRow", WorkPlanRow, EvaluationRow, CommendationRow)


def by_center_and_year(
    query: SelectOfScalar[YearRow],
    row: type[YearRow],
    center: str | None,
    year: int | None,
) -> SelectOfScalar[YearRow]:
    """``query`` over a center's records of a year (work plans, evaluations, commendations).

    Either filter is left out when not given.
    """
    if center:
        query = query.where(row.center_code == center)
    if year:
        query = query.where(row.year == year)
    return query

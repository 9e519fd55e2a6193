"""Chinese working days: statutory holidays, make-up working days (调休) and local closures.

The State Council sets each year's holidays and make-up days in a notice, usually in
November of the year before. Only years whose notice is in :data:`CONFIRMED_YEARS`
are known; for any other year the calendar counts weekends only and says so, so a
deadline computed there is visibly *unconfirmed* rather than silently guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

__all__ = ["CONFIRMED_YEARS", "Deadline", "WorkCalendar", "china_calendar"]


def _span(first: str, last: str | None = None) -> list[dt.date]:
    start = dt.date.fromisoformat(first)
    end = dt.date.fromisoformat(last) if last else start
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


# 国务院办公厅关于部分节假日安排的通知 for 2025 and 2026.
_HOLIDAYS: dict[int, list[dt.date]] = {
    2025: [
        *_span("2025-01-01"),
        *_span("2025-01-28", "2025-02-04"),
        *_span("2025-04-04", "2025-04-06"),
        *_span("2025-05-01", "2025-05-05"),
        *_span("2025-05-31", "2025-06-02"),
        *_span("2025-10-01", "2025-10-08"),
    ],
    2026: [
        *_span("2026-01-01", "2026-01-03"),
        *_span("2026-02-15", "2026-02-23"),
        *_span("2026-04-04", "2026-04-06"),
        *_span("2026-05-01", "2026-05-05"),
        *_span("2026-06-19", "2026-06-21"),
        *_span("2026-09-25", "2026-09-27"),
        *_span("2026-10-01", "2026-10-07"),
    ],
}
_MAKEUP_WORKDAYS: dict[int, list[dt.date]] = {
    2025: _span("2025-01-26")
    + _span("2025-02-08")
    + _span("2025-04-27")
    + _span("2025-09-28")
    + _span("2025-10-11"),
    2026: _span("2026-01-04")
    + _span("2026-02-14")
    + _span("2026-02-28")
    + _span("2026-05-09")
    + _span("2026-09-20")
    + _span("2026-10-10"),
}
CONFIRMED_YEARS: frozenset[int] = frozenset(_HOLIDAYS)


@attrs.frozen
class Deadline:
    """A due date, and whether every day counted to reach it came from confirmed data."""

    due_on: dt.date
    confirmed: bool

    def label(self) -> str:
        """The due date as shown to people; an unconfirmed one says so."""
        text = self.due_on.isoformat()
        return text if self.confirmed else f"{text}（未确认：该年节假日安排未录入，仅按周末计算）"


def _dates(values: Iterable[dt.date]) -> frozenset[dt.date]:
    return frozenset(values)


def _years(values: Iterable[int]) -> frozenset[int]:
    return frozenset(values)


@attrs.frozen
class WorkCalendar:
    """Which days a government-service center works.

    A day is a working day when it is a make-up working day, or a weekday that is
    neither a statutory holiday nor a local closure. Saturday opening hours
    (延时服务) do not make Saturday a working day.
    """

    holidays: frozenset[dt.date] = attrs.field(converter=_dates, factory=frozenset)
    makeup_workdays: frozenset[dt.date] = attrs.field(converter=_dates, factory=frozenset)
    confirmed_years: frozenset[int] = attrs.field(converter=_years, factory=frozenset)
    closures: frozenset[dt.date] = attrs.field(converter=_dates, factory=frozenset)

    def with_closures(self, days: Iterable[dt.date]) -> WorkCalendar:
        """The same calendar with extra local closure days (ethnic festivals, say)."""
        return attrs.evolve(self, closures=self.closures | frozenset(days))

    def is_confirmed(self, day: dt.date) -> bool:
        """Whether ``day``'s year has a confirmed holiday notice in this calendar."""
        return day.year in self.confirmed_years

    def is_working_day(self, day: dt.date) -> bool:
        """Whether the center works on ``day``."""
        if day in self.closures:
            return False
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: dt.date, days: int, *, count_start: bool = False) -> Deadline:
        """The end of the ``days``-th working day after ``start``.

        By default the start day does not count (DOMAIN: counting). With
        ``count_start`` a start that is itself a working day is day one.
        ``days`` of 0 means the start day itself.
        """
        if days < 0:
            msg = f"工作日数不能为负数：{days}"
            raise ValueError(msg)
        confirmed = self.is_confirmed(start)
        day = start
        remaining = days
        if count_start and remaining and self.is_working_day(start):
            remaining -= 1
        while remaining:
            day += dt.timedelta(days=1)
            confirmed = confirmed and self.is_confirmed(day)
            if self.is_working_day(day):
                remaining -= 1
        return Deadline(due_on=day, confirmed=confirmed)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + dt.timedelta(days=offset))
        )


def china_calendar(closures: Iterable[dt.date] = ()) -> WorkCalendar:
    """The mainland calendar with every confirmed year, plus local ``closures``."""
    holidays = [d for year in _HOLIDAYS.values() for d in year]
    makeup = [d for year in _MAKEUP_WORKDAYS.values() for d in year]
    return WorkCalendar(
        holidays=holidays,
        makeup_workdays=makeup,
        confirmed_years=CONFIRMED_YEARS,
        closures=closures,
    )

"""Chinese working days: statutory holidays, make-up working days (调休) and local closures.

The State Council sets each year's holidays and make-up days in a notice, usually in
November of the year before. A year is *confirmed* when its notice is known: built into
this code (:data:`CONFIRMED_YEARS`) or given in ``supdesk.toml`` as ``[calendar.YYYY]``
(a :class:`YearSchedule`; the configured year wins over the built-in one).

The calendar fails closed: counting a day of a year that is not confirmed raises
:class:`~supervision_core.errors.CalendarUnconfirmed`, naming the year and what to add
to ``supdesk.toml``, rather than guessing from weekends. :func:`calendar_health` says
ahead of time (from 1 November) that next year's notice is still missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

import attrs

from supervision_core.errors import CalendarUnconfirmed

__all__ = [
    "BUILT_IN",
    "CONFIGURED",
    "CONFIRMED_YEARS",
    "CalendarHealth",
    "Deadline",
    "WorkCalendar",
    "YearSchedule",
    "calendar_health",
    "china_calendar",
    "year_schedules",
]

#: Where a year's schedule comes from: this code, or ``supdesk.toml``.
BUILT_IN = "built-in"
CONFIGURED = "config"

#: From this day of the year on (1 November), next year's notice is expected.
WARN_FROM = (11, 1)


def _span(first: str, last: str | None = None) -> list[dt.date]:
    start = dt.date.fromisoformat(first)
    end = dt.date.fromisoformat(last) if last else start
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


# 国务院办公厅关于部分节假日安排的通知 for 2025 and 2026. Kept by hand: a few lines a
# year, each checked day by day against `chinesecalendar` in tests/core/test_workdays.py.
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
_NOTICES = {year: f"国务院办公厅关于{year}年部分节假日安排的通知" for year in _HOLIDAYS}
#: The years whose holidays and make-up working days are built into this code.
CONFIRMED_YEARS: frozenset[int] = frozenset(_HOLIDAYS)

_WEEKDAYS = "一二三四五六日"


def _dates(values: Iterable[dt.date]) -> frozenset[dt.date]:
    return frozenset(values)


def _years(values: Iterable[int]) -> frozenset[int]:
    return frozenset(values)


def _check_schedule(schedule: YearSchedule) -> None:
    year = schedule.year
    for name, days in (("holidays", schedule.holidays), ("workdays", schedule.workdays)):
        stray = sorted(d for d in days if d.year != year)
        if stray:
            msg = f"{name} 中的 {stray[0].isoformat()} 不在 {year} 年"
            raise ValueError(msg)
    if not schedule.holidays:
        msg = f"{year} 年的 holidays 不能为空（至少有元旦）"
        raise ValueError(msg)
    both = sorted(schedule.holidays & schedule.workdays)
    if both:
        msg = f"{both[0].isoformat()} 不能既是放假日（holidays）又是调休上班日（workdays）"
        raise ValueError(msg)
    weekday = sorted(d for d in schedule.workdays if d.weekday() < 5)
    if weekday:
        day = weekday[0]
        msg = (
            f"调休上班日（workdays）应为周六或周日：{day.isoformat()} 是星期"
            f"{_WEEKDAYS[day.weekday()]}，本来就是工作日"
        )
        raise ValueError(msg)


@attrs.frozen
class YearSchedule:
    """One year's holiday notice: the days off and the make-up working days (调休上班).

    ``holidays`` are the days off the notice lists (a weekend day inside a holiday may
    be listed or not: a weekend is a rest day anyway); ``workdays`` the Saturdays and
    Sundays worked instead. ``source`` is :data:`BUILT_IN` or :data:`CONFIGURED`;
    ``notice`` names the notice, when known. Checked on creation (``ValueError``, in
    Chinese): every day in ``year``, no day both off and worked, make-up days on
    weekends only, at least one holiday.
    """

    year: int
    holidays: frozenset[dt.date] = attrs.field(converter=_dates)
    workdays: frozenset[dt.date] = attrs.field(converter=_dates)
    source: str = BUILT_IN
    notice: str = ""

    def __attrs_post_init__(self) -> None:
        _check_schedule(self)


def _built_in() -> dict[int, YearSchedule]:
    return {
        year: YearSchedule(
            year, _HOLIDAYS[year], _MAKEUP_WORKDAYS[year], BUILT_IN, _NOTICES.get(year, "")
        )
        for year in sorted(_HOLIDAYS)
    }


def year_schedules(configured: Iterable[YearSchedule] = ()) -> dict[int, YearSchedule]:
    """Every confirmed year's schedule by year: the built-in ones, then ``configured`` over them.

    A configured year replaces the built-in one whole (a correction, or a year that
    came after this version of the code).
    """
    schedules = _built_in()
    for schedule in configured:
        schedules[schedule.year] = schedule
    return dict(sorted(schedules.items()))


@attrs.frozen
class Deadline:
    """A due date, and whether every day counted to reach it came from confirmed data.

    A deadline the calendar computes is always confirmed (an unconfirmed year raises
    instead); ``confirmed`` is False only on deadlines recorded by earlier versions,
    which counted weekends only.
    """

    due_on: dt.date
    confirmed: bool

    def label(self) -> str:
        """The due date as shown to people; an unconfirmed one says so."""
        text = self.due_on.isoformat()
        return text if self.confirmed else f"{text}（未确认：该年节假日安排未录入，仅按周末计算）"


@attrs.frozen
class WorkCalendar:
    """Which days a government-service center works.

    A day is a working day when it is a make-up working day, or a weekday that is
    neither a statutory holiday nor a local closure. Saturday opening hours
    (延时服务) do not make Saturday a working day. Asking about a day of a year
    outside ``confirmed_years`` raises :class:`CalendarUnconfirmed` (a local closure
    excepted: it is closed whatever the year).
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

    def require_confirmed(self, day: dt.date) -> None:
        """Raise :class:`CalendarUnconfirmed` unless ``day``'s year is confirmed."""
        if day.year not in self.confirmed_years:
            raise CalendarUnconfirmed(day.year)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether the center works on ``day``.

        :raises CalendarUnconfirmed: ``day``'s year is not confirmed
        """
        if day in self.closures:
            return False
        self.require_confirmed(day)
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: dt.date, days: int, *, count_start: bool = False) -> Deadline:
        """The end of the ``days``-th working day after ``start``.

        By default the start day does not count (DOMAIN: counting). With
        ``count_start`` a start that is itself a working day is day one.
        ``days`` of 0 means the start day itself.

        :raises CalendarUnconfirmed: ``start``, or a day counted after it, falls in a
            year that is not confirmed
        """
        if days < 0:
            msg = f"工作日数不能为负数：{days}"
            raise ValueError(msg)
        self.require_confirmed(start)
        day = start
        remaining = days
        if count_start and remaining and self.is_working_day(start):
            remaining -= 1
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return Deadline(due_on=day, confirmed=True)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end < start).

        :raises CalendarUnconfirmed: a day counted falls in a year that is not confirmed
        """
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + dt.timedelta(days=offset))
        )


def china_calendar(
    closures: Iterable[dt.date] = (), *, years: Iterable[YearSchedule] = ()
) -> WorkCalendar:
    """The mainland calendar: built-in years, ``years`` (``supdesk.toml``) over them, ``closures``.

    A configured year replaces the built-in one of the same year whole.
    """
    schedules = year_schedules(years).values()
    return WorkCalendar(
        holidays=[d for s in schedules for d in s.holidays],
        makeup_workdays=[d for s in schedules for d in s.workdays],
        confirmed_years=[s.year for s in schedules],
        closures=closures,
    )


# ---------------------------------------------------------------- health


@attrs.frozen
class CalendarHealth:
    """Whether the calendar covers this year and, from 1 November, next year.

    ``status`` is ``"error"`` when this year is not confirmed (no deadline can be
    counted), ``"warning"`` from 1 November while next year is not (deadlines
    reaching into January will be refused), else ``"ok"``; ``missing`` lists those
    years and ``message`` says in Chinese what to add to ``supdesk.toml``.
    """

    today: dt.date
    status: Literal["ok", "warning", "error"]
    confirmed_years: tuple[int, ...]
    missing: tuple[int, ...] = ()
    message: str = ""

    def as_dict(self) -> dict[str, object]:
        """The health as JSON-ready data (``/healthz``, ``supdesk status --json``)."""
        return {
            "status": self.status,
            "today": self.today.isoformat(),
            "confirmed_years": list(self.confirmed_years),
            "missing": list(self.missing),
            "message": self.message,
        }


def calendar_health(today: dt.date, calendar: WorkCalendar) -> CalendarHealth:
    """How ready ``calendar`` is on ``today``: this year confirmed, next year from 1 November."""
    years = tuple(sorted(calendar.confirmed_years))
    this, following = today.year, today.year + 1
    warn_next = (today.month, today.day) >= WARN_FROM
    missing = tuple(y for y in (this, following) if y not in years and (y == this or warn_next))
    if not missing:
        return CalendarHealth(today, "ok", years)
    tables = "、".join(f"[calendar.{y}]" for y in missing)
    add = (
        f"请按国务院办公厅公布的放假安排，在 supdesk.toml 中加入 {tables}"
        "（holidays = 放假日期，workdays = 调休上班日期），然后重启服务"
    )
    if this in missing:
        message = (
            f"{this} 年的节假日安排尚未确认：无法按工作日计算期限，受理、派单、整改计划和延期"
            f"都会被拒绝，到期提醒和催办也已停止。{add}。"
        )
        return CalendarHealth(today, "error", years, missing, message)
    message = (
        f"{following} 年的节假日安排尚未录入：跨入 {following} 年的期限将被拒绝。"
        f"国务院办公厅公布 {following} 年放假安排后，{add}。"
    )
    return CalendarHealth(today, "warning", years, missing, message)

"""The working-day calendar, with the 2025 and 2026 holiday and make-up-day edges."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision_core import CONFIRMED_YEARS, WorkCalendar, china_calendar

# The years whose holidays and make-up days DOMAIN.md lists (the State Council's notices).
DOMAIN_YEARS = (2025, 2026)

D = dt.date


@pytest.fixture
def cal() -> WorkCalendar:
    return china_calendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 1), False),  # New Year
        (D(2025, 1, 26), True),  # Sunday make-up day before Spring Festival
        (D(2025, 1, 28), False),  # Spring Festival eve holiday
        (D(2025, 2, 4), False),
        (D(2025, 2, 5), True),
        (D(2025, 2, 8), True),  # Saturday make-up day
        (D(2025, 4, 27), True),  # Sunday make-up before May Day
        (D(2025, 5, 5), False),
        (D(2025, 5, 31), False),  # Dragon Boat, on a Saturday
        (D(2025, 6, 2), False),  # Dragon Boat Monday
        (D(2025, 9, 28), True),  # Sunday make-up before National Day
        (D(2025, 10, 8), False),
        (D(2025, 10, 11), True),
        (D(2026, 1, 2), False),
        (D(2026, 1, 4), True),  # Sunday make-up
        (D(2026, 2, 14), True),  # Saturday make-up
        (D(2026, 2, 16), False),
        (D(2026, 2, 23), False),  # last day of Spring Festival
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),
        (D(2026, 4, 6), False),
        (D(2026, 5, 9), True),
        (D(2026, 6, 19), False),
        (D(2026, 9, 20), True),
        (D(2026, 9, 25), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),
        (D(2026, 10, 11), False),  # an ordinary Sunday
        (D(2026, 3, 7), False),  # an ordinary Saturday: 延时服务 does not make it a working day
    ],
)
def test_working_days_of_confirmed_years(cal: WorkCalendar, day: dt.date, working: bool) -> None:
    assert cal.is_working_day(day) is working
    assert cal.is_confirmed(day)


def test_agrees_with_chinesecalendar_for_every_day_of_both_years(cal: WorkCalendar) -> None:
    import chinese_calendar  # of the test extra: a dependency, never skipped

    assert set(DOMAIN_YEARS) <= CONFIRMED_YEARS
    for year in DOMAIN_YEARS:
        day = D(year, 1, 1)
        while day.year == year:
            assert cal.is_working_day(day) is chinese_calendar.is_workday(day), day
            day += dt.timedelta(days=1)


def test_start_day_does_not_count_by_default(cal: WorkCalendar) -> None:
    # Monday 2026-03-02: one working day later is Tuesday.
    assert cal.add_working_days(D(2026, 3, 2), 1).due_on == D(2026, 3, 3)
    assert cal.add_working_days(D(2026, 3, 2), 1, count_start=True).due_on == D(2026, 3, 2)


def test_count_start_on_a_rest_day_changes_nothing(cal: WorkCalendar) -> None:
    saturday = D(2026, 3, 7)
    assert cal.add_working_days(saturday, 1, count_start=True) == cal.add_working_days(saturday, 1)
    assert cal.add_working_days(saturday, 1).due_on == D(2026, 3, 9)


def test_deadline_skips_spring_festival_and_uses_make_up_days(cal: WorkCalendar) -> None:
    # Friday 2026-02-13; Saturday 02-14 is a make-up working day, then the holiday
    # runs 02-15..02-23.
    assert cal.add_working_days(D(2026, 2, 13), 1).due_on == D(2026, 2, 14)
    assert cal.add_working_days(D(2026, 2, 13), 2).due_on == D(2026, 2, 24)
    # 02-14, 02-24..27, Saturday 02-28 (make-up), 03-02..05: ten working days.
    assert cal.add_working_days(D(2026, 2, 13), 10).due_on == D(2026, 3, 5)


def test_national_day_2025(cal: WorkCalendar) -> None:
    # Friday 2025-09-26 + 2: Sunday 09-28 is a make-up day, then Monday 09-29.
    assert cal.add_working_days(D(2025, 9, 26), 1).due_on == D(2025, 9, 28)
    assert cal.add_working_days(D(2025, 9, 30), 1).due_on == D(2025, 10, 9)
    assert cal.add_working_days(D(2025, 9, 30), 2).due_on == D(2025, 10, 10)
    assert cal.add_working_days(D(2025, 9, 30), 3).due_on == D(2025, 10, 11)


def test_unconfirmed_year_counts_weekends_only_and_says_so(cal: WorkCalendar) -> None:
    # 2027 has no confirmed notice here: 2027-01-01 is a Friday; no holiday is guessed.
    deadline = cal.add_working_days(D(2026, 12, 31), 1)
    assert deadline.due_on == D(2027, 1, 1)
    assert deadline.confirmed is False
    assert "未确认" in deadline.label()
    inside = cal.add_working_days(D(2026, 12, 28), 2)
    assert inside.confirmed is True
    assert "未确认" not in inside.label()
    assert cal.add_working_days(D(2027, 3, 5), 1).due_on == D(2027, 3, 8)


def test_local_closures_are_never_working_days(cal: WorkCalendar) -> None:
    closed = cal.with_closures([D(2026, 3, 3), D(2026, 1, 4)])
    assert not closed.is_working_day(D(2026, 3, 3))
    assert not closed.is_working_day(D(2026, 1, 4))  # even a make-up day
    assert closed.add_working_days(D(2026, 3, 2), 1).due_on == D(2026, 3, 4)


def test_working_days_between(cal: WorkCalendar) -> None:
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert cal.working_days_between(D(2026, 2, 24), D(2026, 2, 13)) == -2
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0


def test_negative_days_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="负数"):
        cal.add_working_days(D(2026, 3, 2), -1)


def test_zero_days_is_the_start_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(D(2026, 3, 7), 0).due_on == D(2026, 3, 7)

"""The working-day calendar, with the 2025 and 2026 holiday and make-up-day edges."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision_core import (
    CONFIRMED_YEARS,
    CalendarUnconfirmed,
    Deadline,
    InvalidInput,
    WorkCalendar,
    YearSchedule,
    china_calendar,
)
from supervision_core.rules.workdays import BUILT_IN, CONFIGURED, calendar_health, year_schedules

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


def test_an_unconfirmed_year_is_refused_not_guessed(cal: WorkCalendar) -> None:
    # 2027 has no notice here: Friday 2027-01-01 is neither counted as a working day
    # nor skipped as a weekend would be; the counting stops and says what to add.
    with pytest.raises(CalendarUnconfirmed, match=r"\[calendar\.2027\]") as refused:
        cal.add_working_days(D(2026, 12, 31), 1)
    assert refused.value.year == 2027
    assert "2027 年的节假日安排尚未确认" in str(refused.value)
    assert isinstance(refused.value, InvalidInput)  # shown as a message on every form
    with pytest.raises(CalendarUnconfirmed):
        cal.is_working_day(D(2027, 3, 1))
    with pytest.raises(CalendarUnconfirmed):
        cal.add_working_days(D(2027, 3, 5), 0)  # even the start day alone
    with pytest.raises(CalendarUnconfirmed):
        cal.working_days_between(D(2026, 12, 30), D(2027, 1, 4))
    with pytest.raises(CalendarUnconfirmed):
        cal.is_working_day(D(2024, 12, 31))  # before the built-in years too
    # Within the confirmed year, to its last day, nothing is refused.
    inside = cal.add_working_days(D(2026, 12, 28), 2)
    assert inside == Deadline(D(2026, 12, 30), confirmed=True)
    assert "未确认" not in inside.label()
    assert cal.add_working_days(D(2026, 12, 30), 1).due_on == D(2026, 12, 31)
    assert cal.working_days_between(D(2026, 12, 28), D(2026, 12, 31)) == 3


def test_a_closure_is_closed_even_in_an_unconfirmed_year(cal: WorkCalendar) -> None:
    assert not cal.with_closures([D(2027, 6, 1)]).is_working_day(D(2027, 6, 1))


# A 2027 schedule as supdesk.toml would give it (test data, not the State Council's):
# Friday 01-01 off; 02-06..02-12 off; Sunday 02-14 and Saturday 02-20 worked instead.
HOLIDAYS_2027 = [D(2027, 1, 1), *(D(2027, 2, d) for d in range(6, 13))]
MAKEUP_2027 = [D(2027, 2, 14), D(2027, 2, 20)]


def test_a_configured_year_is_counted_by_its_schedule() -> None:
    cal = china_calendar(years=[YearSchedule(2027, HOLIDAYS_2027, MAKEUP_2027, CONFIGURED)])
    assert cal.confirmed_years == {2025, 2026, 2027}
    assert not cal.is_working_day(D(2027, 1, 1))
    assert cal.add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 4), confirmed=True)
    # From Friday 02-05: the holiday, then Saturday 02-13 is a rest day, Sunday 02-14
    # a make-up working day.
    assert cal.add_working_days(D(2027, 2, 5), 1).due_on == D(2027, 2, 14)
    assert cal.add_working_days(D(2027, 2, 5), 2).due_on == D(2027, 2, 15)
    assert cal.is_working_day(D(2027, 2, 20)) and not cal.is_working_day(D(2027, 2, 21))
    assert cal.working_days_between(D(2027, 2, 5), D(2027, 2, 15)) == 2
    with pytest.raises(CalendarUnconfirmed, match="2028"):
        cal.add_working_days(D(2027, 12, 31), 1)


def test_a_configured_year_replaces_the_built_in_one_whole() -> None:
    # A correction: 2026-03-02 made a holiday, and no make-up days at all.
    fixed = YearSchedule(2026, [D(2026, 1, 1), D(2026, 3, 2)], [], CONFIGURED, "更正")
    schedules = year_schedules([fixed])
    assert schedules[2026] is fixed and schedules[2025].source == BUILT_IN
    cal = china_calendar(years=[fixed])
    assert not cal.is_working_day(D(2026, 3, 2))
    assert not cal.is_working_day(D(2026, 1, 4))  # the built-in make-up Sunday is gone
    assert cal.is_working_day(D(2026, 2, 16))  # and so is the built-in Spring Festival
    assert china_calendar().is_working_day(D(2026, 3, 2))  # the built-in data is untouched


@pytest.mark.parametrize(
    ("holidays", "workdays", "problem"),
    [
        ([D(2027, 1, 1), D(2026, 12, 31)], [], "holidays 中的 2026-12-31 不在 2027 年"),
        ([D(2027, 1, 1)], [D(2028, 1, 1)], "workdays 中的 2028-01-01 不在 2027 年"),
        ([], [], "holidays 不能为空"),
        ([D(2027, 1, 1), D(2027, 2, 14)], [D(2027, 2, 14)], "不能既是放假日"),
        ([D(2027, 1, 1)], [D(2027, 2, 15)], "2027-02-15 是星期一"),
    ],
)
def test_a_year_schedule_is_checked(
    holidays: list[dt.date], workdays: list[dt.date], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        YearSchedule(2027, holidays, workdays, CONFIGURED)


@pytest.mark.parametrize(
    ("today", "status", "missing"),
    [
        (D(2026, 10, 31), "ok", ()),  # next year's notice is not expected yet
        (D(2026, 11, 1), "warning", (2027,)),
        (D(2026, 12, 31), "warning", (2027,)),
        (D(2027, 1, 1), "error", (2027,)),
        (D(2027, 11, 2), "error", (2027, 2028)),
    ],
)
def test_calendar_health_warns_from_november_and_fails_in_the_year(
    cal: WorkCalendar, today: dt.date, status: str, missing: tuple[int, ...]
) -> None:
    health = calendar_health(today, cal)
    assert (health.status, health.missing) == (status, missing)
    assert health.confirmed_years == (2025, 2026)
    for year in missing:
        assert f"[calendar.{year}]" in health.message
    assert (health.message == "") is (status == "ok")
    if status == "error":
        assert "会被拒绝" in health.message


def test_calendar_health_is_ok_once_next_year_is_given() -> None:
    configured = china_calendar(years=[YearSchedule(2027, HOLIDAYS_2027, MAKEUP_2027)])
    assert calendar_health(D(2026, 11, 1), configured).status == "ok"
    assert calendar_health(D(2027, 3, 1), configured).as_dict() == {
        "status": "ok",
        "today": "2027-03-01",
        "confirmed_years": [2025, 2026, 2027],
        "missing": [],
        "message": "",
    }


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

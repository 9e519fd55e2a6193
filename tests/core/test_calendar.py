"""The calendar fails closed, on SQLite and PostgreSQL, and supdesk.toml extends it.

A deadline reaching into a year without a holiday schedule is refused (never guessed
from weekends) until ``[calendar.YYYY]`` gives the year; then it is counted by it.
``supdesk calendar show`` prints a year; ``supdesk status`` warns from 1 November.
"""

from __future__ import annotations

import calendar as monthly
import datetime as dt
import functools
import json
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from supervision_core import (
    SHANGHAI,
    CalendarUnconfirmed,
    ContactKind,
    Identity,
    IssueState,
    Ledger,
    NewSupervisor,
    Report,
    Sender,
    Settings,
    open_ledger,
    parse_settings,
)
from supervision_core.cli import cli
from supervision_core.demo import demo_config_text
from supervision_core.testing import FrozenClock

OP = "operator:calendar-test"

# What an operator adds once the State Council's notice is out. Test data: the real
# notice for 2027 is not known to this code. Friday 2027-01-01 and 02-06..02-12 off;
# Sunday 02-14 and Saturday 02-20 worked instead.
TOML_2027 = """
[calendar.2027]
notice = "测试用 2027 年放假安排"
holidays = ["2027-01-01", "2027-02-06..2027-02-12"]
workdays = ["2027-02-14", "2027-02-20"]
"""


def at(*moment: int) -> dt.datetime:
    return dt.datetime(*moment, tzinfo=SHANGHAI)


def settings_with(extra: str = "") -> Settings:
    return parse_settings(tomllib.loads(demo_config_text() + extra), "supdesk.toml")


@pytest.fixture
def clock() -> FrozenClock:
    # Thursday 2026-12-31, the last working day of 2026.
    return FrozenClock(at(2026, 12, 31, 9, 0))


@pytest.fixture
def file_report(clock: FrozenClock) -> Callable[[Ledger, str], str]:
    """File a report at the clock's time; its issue number."""

    def file(ledger: Ledger, external_id: str) -> str:
        if not ledger.supervisors():
            ledger.add_supervisor(
                NewSupervisor(
                    name="测试监督员",
                    center="banner",
                    identities=[Identity(ContactKind.EMAIL, "reporter@example.cn")],
                )
            )
        result = ledger.receive(
            Report(
                channel="test",
                external_id=external_id,
                center="banner",
                received_at=clock(),
                sender=Sender(ContactKind.EMAIL, "reporter@example.cn"),
                text="不动产登记窗口没有一次性告知所需材料。",
            )
        )
        assert result.filed and result.issue_number
        return result.issue_number

    return file


def test_a_2027_deadline_is_refused_until_supdesk_toml_gives_2027(
    supdesk_database_url: str, clock: FrozenClock, file_report: Callable[[Ledger, str], str]
) -> None:
    with open_ledger(
        supdesk_database_url, settings=settings_with(), create=True, clock=clock
    ) as ledger:
        number = file_report(ledger, "new-year")
        issue = ledger.issue(number)
        # The report is filed (never turned away), without a guessed screening deadline.
        assert issue.state is IssueState.RECEIVED and issue.due_on is None
        (received,) = ledger.history(issue.id)
        assert received.data["calendar_unconfirmed"] == 2027 and "due_on" not in received.data
        # Screening would make dispatch due in 2027: refused, nothing recorded.
        with pytest.raises(CalendarUnconfirmed) as refused:
            ledger.accept(number, actor=OP)
        assert refused.value.year == 2027
        assert "[calendar.2027]" in str(refused.value) and "supdesk.toml" in str(refused.value)
        assert ledger.issue(number).state is IssueState.RECEIVED
        assert len(ledger.history(issue.id)) == 1
        assert ledger.status()["calendar"]["status"] == "warning"

    # The operator adds 2027's schedule to supdesk.toml and restarts.
    with open_ledger(
        supdesk_database_url, settings=settings_with(TOML_2027), clock=clock
    ) as ledger:
        assert ledger.status()["calendar"] == {
            "status": "ok",
            "today": "2026-12-31",
            "confirmed_years": [2025, 2026, 2027],
            "missing": [],
            "message": "",
        }
        # 2027-01-01 is a holiday, then a weekend: dispatch is due Monday 01-04.
        accepted = ledger.accept(number, actor=OP)
        assert (accepted.due_on, accepted.due_confirmed) == (dt.date(2027, 1, 4), True)
        # Dispatched on Friday 02-05: the plan is due one working day later, on the
        # make-up Sunday 02-14 (02-06..02-12 off, 02-13 a Saturday).
        clock.set(at(2027, 2, 5, 10, 0))
        dispatched = ledger.dispatch(number, unit="realty", responsible_person="赵主任", actor=OP)
        assert dispatched.due_on == dt.date(2027, 2, 14)
        planned = ledger.plan(
            number, track="scheduled", measures="制定一次性告知清单", days=3, actor="unit:realty"
        )
        assert planned.due_on == dt.date(2027, 2, 16)  # 02-14, 02-15, 02-16
        extended = ledger.extend(number, days=2, reason="清单需会签", actor=OP)
        assert extended.due_on == dt.date(2027, 2, 18)

        # At the end of 2027, 2028 is not confirmed: each step reaching into it is refused.
        clock.set(at(2027, 12, 27, 9, 0))  # a Monday
        late = file_report(ledger, "year-end")
        assert ledger.issue(late).due_on == dt.date(2027, 12, 28)
        ledger.accept(late, actor=OP)
        ledger.dispatch(late, unit="realty", responsible_person="赵主任", actor=OP)
        with pytest.raises(CalendarUnconfirmed, match=r"\[calendar\.2028\]"):
            ledger.plan(late, track="scheduled", measures="整改", days=5, actor=OP)
        assert ledger.plan(late, track="scheduled", measures="整改", days=3, actor=OP).due_on == (
            dt.date(2027, 12, 30)
        )
        with pytest.raises(CalendarUnconfirmed, match="2028"):
            ledger.extend(late, days=2, reason="延期", actor=OP)
        assert ledger.issue(late).extensions == 0
        clock.set(at(2027, 12, 30, 9, 0))
        waiting = file_report(ledger, "year-end-2")
        ledger.accept(waiting, actor=OP)  # dispatch due Friday 12-31
        clock.set(at(2027, 12, 31, 9, 0))
        with pytest.raises(CalendarUnconfirmed, match="2028"):
            ledger.dispatch(waiting, unit="realty", responsible_person="赵主任", actor=OP)
        assert ledger.issue(waiting).state is IssueState.ACCEPTED
        assert ledger.status()["calendar"]["missing"] == [2028]


# ---------------------------------------------------------------- the command line


def _supdesk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FrozenClock
) -> Callable[..., Result]:
    import supervision_core.ledger

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_ACTOR", OP)
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    opened = supervision_core.ledger.open_ledger
    monkeypatch.setattr(
        supervision_core.ledger, "open_ledger", functools.partial(opened, clock=clock)
    )
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def run(
    supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FrozenClock
) -> Callable[..., Result]:
    """``supdesk`` in a folder of its own, its ledger on ``clock``, on both databases."""
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    return _supdesk(tmp_path, monkeypatch, clock)


@pytest.fixture
def show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FrozenClock
) -> Callable[..., Result]:
    """``supdesk calendar show ...``, which needs no database."""
    monkeypatch.setenv("SUPDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'never-opened.db'}")
    supdesk = _supdesk(tmp_path, monkeypatch, clock)
    return lambda *args: supdesk("calendar", "show", *args)


def write_config(extra: str = "", *, closures: str = "") -> None:
    text = demo_config_text()
    assert "\nclosures = []" in text
    text = text.replace("\nclosures = []", f"\nclosures = [{closures}]")
    Path("supdesk.toml").write_text(text + extra, encoding="utf-8")


def test_a_step_in_an_unconfirmed_year_exits_with_one_line_until_configured(
    run: Callable[..., Result],
    supdesk_database_url: str,
    clock: FrozenClock,
    file_report: Callable[[Ledger, str], str],
) -> None:
    write_config()
    with open_ledger(
        supdesk_database_url, settings=settings_with(), create=True, clock=clock
    ) as ledger:
        number = file_report(ledger, "cli")
    refused = run("issues", "screen", number, "--accept")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("错误：2027 年的节假日安排尚未确认")
    assert "[calendar.2027]" in refused.stderr and "Traceback" not in refused.output
    assert '"state": "received"' in run("issues", "show", number, "--json").output

    write_config(TOML_2027)
    accepted = run("issues", "screen", number, "--accept")
    assert accepted.exit_code == 0, accepted.output
    shown = json.loads(run("issues", "show", number, "--json").output)["issue"]
    assert (shown["state"], shown["due_on"]) == ("accepted", "2027-01-04")


def _expected_working_days(year: int, off: set[dt.date], worked: set[dt.date]) -> int:
    days = (dt.date(year, 1, 1) + dt.timedelta(n) for n in range(365 + monthly.isleap(year)))
    return sum(1 for d in days if d in worked or (d.weekday() < 5 and d not in off))


def test_calendar_show_says_a_year_is_unconfirmed_and_what_to_add(
    show: Callable[..., Result],
) -> None:
    human = show("2027")
    assert human.exit_code == 0, human.output
    assert human.output.startswith("2027 年工作日历：未确认")
    assert "[calendar.2027]" in human.output and 'workdays = ["2027-MM-DD"]' in human.output
    assert "2027 年 12 月" in human.output
    data = json.loads(show("2027", "--json").output)
    assert (data["confirmed"], data["source"], data["working_days"]) == (False, None, None)
    days = [d for m in data["months"] for d in m["days"]]
    assert len(days) == 365 and {d["kind"] for d in days} == {"unconfirmed"}
    assert {d["working"] for d in days} == {None}


def test_calendar_show_prints_a_configured_year_month_by_month(
    show: Callable[..., Result],
) -> None:
    write_config(TOML_2027, closures='"2027-07-15"')
    human = show("2027")
    assert human.exit_code == 0, human.output
    lines = human.output.splitlines()
    assert lines[0] == "2027 年工作日历：已确认，来源：supdesk.toml（supdesk.toml）"
    assert "依据：测试用 2027 年放假安排" in lines
    assert "放假：1月1日、2月6日至2月12日（7 天）" in lines
    assert "调休上班：2月14日（星期日）、2月20日（星期六）" in lines
    assert "本地闭馆：7月15日" in lines
    # January: Friday the 1st is off; February: Sunday the 14th is worked.
    january = lines.index("2027 年 1 月")
    assert lines[january + 1].split() == list("一二三四五六日")
    assert lines[january + 2].split() == ["1休", "2", "3"]
    february = lines.index("2027 年 2 月")
    assert lines[february + 3].split() == ["8休", "9休", "10休", "11休", "12休", "13", "14班"]

    data = json.loads(show("2027", "--json").output)
    assert (data["confirmed"], data["source"], data["overrides_built_in"]) == (
        True,
        "config",
        False,
    )
    assert data["workdays"] == ["2027-02-14", "2027-02-20"]
    assert data["closures"] == ["2027-07-15"]
    by_date = {d["date"]: d for m in data["months"] for d in m["days"]}
    assert by_date["2027-01-01"] | {"date": None} == {
        "date": None, "weekday": 5, "kind": "holiday", "working": False
    }  # fmt: skip
    assert (by_date["2027-02-14"]["kind"], by_date["2027-02-14"]["working"]) == ("makeup", True)
    assert (by_date["2027-07-15"]["kind"], by_date["2027-07-15"]["working"]) == ("closure", False)
    assert by_date["2027-02-13"]["kind"] == "rest" and by_date["2027-03-01"]["kind"] == "workday"
    off = {dt.date.fromisoformat(d) for d in data["holidays"] + data["closures"]}
    worked = {dt.date.fromisoformat(d) for d in data["workdays"]}
    assert data["working_days"] == _expected_working_days(2027, off, worked)


def test_calendar_show_says_where_a_built_in_year_comes_from_and_an_override(
    show: Callable[..., Result],
) -> None:
    built_in = show("2026")
    assert built_in.output.splitlines()[0] == "2026 年工作日历：已确认，来源：内置"
    data = json.loads(show("2026", "--json").output)
    assert (data["source"], data["overrides_built_in"]) == ("built-in", False)
    assert "2026-01-04" in data["workdays"] and "2026-10-01" in data["holidays"]
    write_config('\n[calendar.2026]\nholidays = ["2026-01-01"]\nworkdays = []\n')
    overridden = show("2026")
    assert "来源：supdesk.toml（supdesk.toml，覆盖内置数据）" in overridden.output
    data = json.loads(show("2026", "--json").output)
    assert (data["source"], data["overrides_built_in"]) == ("config", True)
    assert (data["holidays"], data["workdays"]) == (["2026-01-01"], [])


def test_a_wrong_year_table_stops_calendar_show_with_one_line(show: Callable[..., Result]) -> None:
    write_config('\n[calendar.2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-04"]\n')
    result = show("2027")
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：配置文件 supdesk.toml 中 calendar.2027：")
    assert "2027-01-04 是星期一" in result.stderr


@pytest.fixture
def status_at(
    run: Callable[..., Result], clock: FrozenClock
) -> Iterator[Callable[[dt.datetime], tuple[Result, dict[str, object]]]]:
    def status(moment: dt.datetime) -> tuple[Result, dict[str, object]]:
        clock.set(moment)
        human = run("status")
        assert human.exit_code == 0, human.output
        data = json.loads(run("status", "--json").stdout)
        calendar = data["calendar"]
        assert isinstance(calendar, dict)
        return human, calendar

    write_config()
    run("init")
    yield status


def test_status_warns_from_november_and_fails_loudly_in_an_unconfirmed_year(
    status_at: Callable[[dt.datetime], tuple[Result, dict[str, object]]],
) -> None:
    human, calendar = status_at(at(2026, 10, 31, 9, 0))
    assert "工作日历：已确认 2025、2026 年" in human.stdout and human.stderr == ""
    assert calendar["status"] == "ok"
    human, calendar = status_at(at(2026, 11, 1, 9, 0))
    assert human.stderr.startswith("【警告】2027 年的节假日安排尚未录入")
    assert "[calendar.2027]" in human.stderr
    assert (calendar["status"], calendar["missing"]) == ("warning", [2027])
    human, calendar = status_at(at(2027, 1, 4, 9, 0))
    assert human.stderr.startswith("【错误】2027 年的节假日安排尚未确认")
    assert (calendar["status"], calendar["missing"]) == ("error", [2027])

    write_config(TOML_2027)
    human, calendar = status_at(at(2027, 1, 4, 9, 0))
    assert "已确认 2025、2026、2027 年" in human.stdout and human.stderr == ""
    human, calendar = status_at(at(2027, 11, 1, 9, 0))
    assert (calendar["status"], calendar["missing"]) == ("warning", [2028])

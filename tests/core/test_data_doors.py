"""Every door holds, in the ledger and on the command line (issue #19), on both databases.

The demo stays out of a ledger in use; an evaluation comes from the supervisor or on
their word; a supervisor's status and attendance keep their history; every look at a
supervisor's personal data is in the access log; the SQLite files are the owner's
alone; and errors are Chinese sentences, never SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from supervision_core import (
    SHANGHAI,
    AccessEntry,
    ChangeKind,
    FrozenClock,
    InvalidInput,
    InvalidTransition,
    Ledger,
    Report,
    Revocation,
    Satisfaction,
    create_engine,
    migrate,
)
from supervision_core.cli import cli

OP = "operator:doors"


@pytest.fixture
def run(
    supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.setenv("SUPDESK_ACTOR", OP)
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    from supervision_core.demo import demo_config_text

    (tmp_path / "supdesk.toml").write_text(demo_config_text(), encoding="utf-8")
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


# ---------------------------------------------------------------- the demo


def test_init_demo_refuses_a_ledger_that_holds_data(run: Callable[..., Result]) -> None:
    assert run("init").exit_code == 0
    added = run("supervisors", "add", "张三", "--center", "banner", "--phone", "13900001111")
    assert added.exit_code == 0, added.output
    Path("supdesk.toml").unlink()  # init --demo would write its own
    refused = run("init", "--demo")
    assert refused.exit_code == 1
    assert "数据库中已有实际数据（监督员 1 名）" in refused.output
    assert "不能载入演示数据" in refused.output and "Traceback" not in refused.output
    assert not Path("supdesk.toml").exists()  # nothing of the demo written, its file neither
    listed = json.loads(run("supervisors", "list", "--json").stdout)
    assert [s["name"] for s in listed] == ["张三"]
    assert "banner-desk" not in run("users", "list").output
    assert "demo-desk-2026" not in refused.output


def test_the_demo_refuses_a_ledger_with_a_supervisor_of_its_own(
    supdesk_ledger: Ledger, supdesk_report: Callable[..., Report]
) -> None:
    from supervision_core.demo import foreign_data, load_demo

    assert foreign_data(supdesk_ledger) == ["监督员 1 名"]  # the fixture's supervisor
    with pytest.raises(InvalidInput, match="不能载入演示数据"):
        load_demo(supdesk_ledger)
    assert supdesk_ledger.users.list() == []


def test_the_demo_twice_into_an_empty_ledger(supdesk_ledger: Ledger) -> None:
    from supervision_core.demo import foreign_data, load_demo

    counts = load_demo(supdesk_ledger)
    assert foreign_data(supdesk_ledger) == []
    assert load_demo(supdesk_ledger) == counts
    supdesk_ledger.users.add(
        username="real-desk",
        display_name="真实账号",
        password="correct horse battery",
        role="staff",
        center="banner",
    )
    with pytest.raises(InvalidInput, match="工作人员账号 1 个"):
        load_demo(supdesk_ledger)


# ---------------------------------------------------------------- the supervisor's evaluation


@pytest.fixture
def completed(supdesk_ledger: Ledger, supdesk_report: Callable[..., Report]) -> str:
    ledger = supdesk_ledger
    number = ledger.receive(supdesk_report()).issue_number
    assert number is not None
    ledger.accept(number, actor=OP)
    ledger.dispatch(number, unit="realty", responsible_person="赵主任", actor=OP)
    ledger.plan(number, track="immediate", actor=OP)
    ledger.complete(number, evidence="已张贴告知清单", actor="unit:realty")
    return number


@pytest.mark.parametrize(
    ("actor", "on_behalf", "message"),
    [
        ("unit:realty", None, "承办单位不能评价"),
        ("unit:realty:zhao", "电话", "承办单位不能评价"),
        ("supervisor:999", None, "只有反映问题"),
        ("supervisor", None, "只有反映问题"),
        (OP, None, "请说明监督员以何种方式告知评价"),
        (OP, "  ", "请说明监督员以何种方式告知评价"),
    ],
)
def test_an_evaluation_comes_only_from_the_supervisor_or_on_their_word(
    supdesk_ledger: Ledger, completed: str, actor: str, on_behalf: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        supdesk_ledger.evaluate(
            completed, satisfaction="satisfied", actor=actor, on_behalf=on_behalf
        )
    assert [e.kind.value for e in supdesk_ledger.history(completed)][-1] == "completed"
    assert supdesk_ledger.verify(completed)


def test_the_supervisor_evaluates_and_staff_record_it_as_such(
    supdesk_ledger: Ledger, completed: str, supdesk_report: Callable[..., Report]
) -> None:
    ledger = supdesk_ledger
    reporter = ledger.issue(completed).supervisor_id
    issue = ledger.evaluate(completed, satisfaction="satisfied", actor=f"supervisor:{reporter}")
    assert issue.satisfaction is Satisfaction.SATISFIED
    evaluated = ledger.history(completed)[-1]
    assert evaluated.actor == f"supervisor:{reporter}" and "relayed_by" not in evaluated.data
    # Another issue, evaluated by phone and entered by staff: 代录, with the staff member.
    other = ledger.receive(supdesk_report("自助终端故障")).issue_number
    assert other is not None
    ledger.accept(other, actor=OP)
    ledger.dispatch(other, unit="realty", responsible_person="赵主任", actor=OP)
    ledger.plan(other, track="immediate", actor=OP)
    ledger.complete(other, evidence="已修复", actor="unit:realty")
    ledger.evaluate(
        other, satisfaction="not_satisfied", actor=OP, on_behalf="电话", note="还是坏的"
    )
    relayed = ledger.history(other)[-1]
    assert relayed.actor == OP
    assert relayed.data["recorded_for"] == reporter and relayed.data["relayed_by"] == "电话"
    assert relayed.note == "（工作人员代录，监督员电话告知）还是坏的"
    assert ledger.verify(other)


# ---------------------------------------------------------------- the supervisor's history


def test_status_and_attendance_changes_keep_who_when_and_what_before(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    from supervision_core import NewSupervisor

    sid = ledger.add_supervisor(NewSupervisor(name="哈斯", center="wushenzhao")).id
    with pytest.raises(InvalidInput, match="操作人"):
        ledger.suspend(sid, reason="调查中", actor=" ")
    ledger.suspend(sid, reason="调查中", actor="user:town-desk")
    supdesk_clock.advance(days=1)
    ledger.reinstate(sid, reason="调查结束", actor="cli:admin")
    forum = ledger.add_activity(
        center="wushenzhao",
        kind="forum",
        title="座谈会",
        held_on=dt.date(2026, 3, 1),
        place="镇政府",
        organizer="乌审召镇",
    )
    ledger.record_attendance(forum.id, sid, "unexcused", actor="user:town-desk")
    ledger.record_attendance(forum.id, sid, "unexcused", actor="user:town-desk")  # no change
    supdesk_clock.advance(hours=2)
    ledger.record_attendance(
        forum.id, sid, "excused", actor="user:banner-desk", note="补交了请假条"
    )
    ledger.revoke(
        sid,
        Revocation(
            on=dt.date(2026, 3, 3),
            reason="本人申请",
            letter_returned=True,
            card_returned=True,
            override="本人申请退出，旗中心同意",
        ),
        actor="user:banner-desk",
    )
    with pytest.raises(InvalidTransition):
        ledger.reinstate(sid, reason="x", actor="cli:admin")
    history = ledger.supervisor_history(sid)
    assert [(c.kind, c.actor, c.before, c.after) for c in history] == [
        (ChangeKind.SUSPENDED, "user:town-desk", "active", "suspended"),
        (ChangeKind.REINSTATED, "cli:admin", "suspended", "active"),
        (ChangeKind.ATTENDANCE, "user:town-desk", None, "unexcused"),
        (ChangeKind.ATTENDANCE, "user:banner-desk", "unexcused", "excused"),
        (ChangeKind.REVOKED, "user:banner-desk", "active", "revoked"),
    ]
    assert history[1].at - history[0].at == dt.timedelta(days=1)
    assert history[3].activity_id == forum.id and history[3].note == "补交了请假条"
    assert history[0].note == "调查中"
    assert dict(ledger.activities(center="wushenzhao")[0].attendance)[sid] == "excused"


def test_the_history_and_the_access_log_cannot_be_edited(supdesk_ledger: Ledger) -> None:
    from supervision_core import NewSupervisor

    sid = supdesk_ledger.add_supervisor(NewSupervisor(name="哈斯", center="wushenzhao")).id
    supdesk_ledger.suspend(sid, reason="调查中", actor=OP)
    supdesk_ledger.log_access(user="u", action="view_supervisor", purpose="p", supervisors=[sid])
    for statement in (
        "UPDATE supervisor_change SET actor = 'someone else'",
        "DELETE FROM supervisor_change",
        "UPDATE access_log SET username = 'someone else'",
        "DELETE FROM access_log",
    ):
        with pytest.raises(sa.exc.DatabaseError), supdesk_ledger.engine.begin() as connection:
            connection.execute(sa.text(statement))
    assert supdesk_ledger.supervisor_history(sid)[0].actor == OP
    assert supdesk_ledger.access_log()[0].user == "u"


def test_supervisors_show_lists_the_history(run: Callable[..., Result]) -> None:
    run("init")
    added = json.loads(
        run("supervisors", "add", "巴特尔", "--center", "wushenzhao", "--json").stdout
    )
    sid = str(added["id"])
    assert run("supervisors", "suspend", sid, "--reason", "调查中").exit_code == 0
    assert (
        run("supervisors", "reinstate", sid, "--reason", "误会", "--actor", "cli:chief").exit_code
        == 0
    )
    activity = json.loads(
        run(
            "activities", "add", "--center", "wushenzhao", "--kind", "forum", "--title", "座谈",
            "--date", "2026-03-01", "--place", "镇政府", "--organizer", "乌审召镇", "--json",
        ).stdout
    )  # fmt: skip
    attend = ["activities", "attend", str(activity["id"]), sid]
    assert run(*attend, "--status", "unexcused").exit_code == 0
    assert run(*attend, "--status", "excused", "--note", "补假").exit_code == 0
    shown = run("supervisors", "show", sid)
    assert shown.exit_code == 0, shown.output
    lines = shown.output.split("变更记录：")[1]
    assert "暂停资格  在职 → 暂停  （operator:doors）：调查中" in lines
    assert "恢复资格  暂停 → 在职  （cli:chief）：误会" in lines
    assert f"出席记录（活动 #{activity['id']}）  （无） → 无故缺席  （operator:doors）" in lines
    assert "无故缺席 → 请假  （operator:doors）：补假" in lines
    data = json.loads(run("supervisors", "show", sid, "--json").stdout)
    assert [c["kind"] for c in data["history"]] == [
        "suspended",
        "reinstated",
        "attendance",
        "attendance",
    ]


# ---------------------------------------------------------------- the access log


def test_every_command_that_shows_a_supervisor_is_in_the_access_log(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    assert run("init", "--demo").exit_code == 0
    numbers = {i["number"]: i for i in json.loads(run("issues", "list", "--json").stdout)}
    number = sorted(numbers)[0]
    issue_supervisor = numbers[number]["supervisor_id"]
    assert run("supervisors", "list", "--center", "banner").exit_code == 0
    assert run("supervisors", "show", "3").exit_code == 0
    assert run("issues", "show", number).exit_code == 0
    out = tmp_path / "台账.csv"
    assert run("export", "ledger", "--format", "csv", "--out", str(out)).exit_code == 0
    entries = json.loads(run("access-log", "--json").stdout)
    assert {e["user"] for e in entries} == {OP}, entries
    by_action: dict[str, list[Any]] = {}
    for e in entries:
        by_action.setdefault(e["action"], []).append(e)
    banner = json.loads(run("supervisors", "list", "--center", "banner", "--json").stdout)
    listed = by_action["list_supervisors"]
    assert sorted(e["supervisor_id"] for e in listed) == sorted(s["id"] for s in banner)
    assert {e["purpose"] for e in listed} == {"命令 supdesk supervisors list --center banner"}
    assert {e["center"] for e in listed} == {"banner"}
    (shown,) = by_action["view_supervisor"]
    assert shown["supervisor_id"] == 3 and shown["purpose"] == "命令 supdesk supervisors show 3"
    (viewed,) = by_action["view_issue"]
    assert viewed["supervisor_id"] == issue_supervisor and number in viewed["target"]
    assert viewed["purpose"] == f"命令 supdesk issues show {number}"
    exported = by_action["export_ledger"]
    every_reporter = {i["supervisor_id"] for i in numbers.values()}
    assert {e["supervisor_id"] for e in exported} == every_reporter
    assert all("--format csv" in e["purpose"] for e in exported)


def test_the_annual_evaluation_is_in_the_access_log(run: Callable[..., Result]) -> None:
    assert run("init", "--demo").exit_code == 0
    ranked = json.loads(run("evaluate", "2026", "--center", "wushenzhao", "--json").stdout)
    ids = sorted(e["supervisor_id"] for e in ranked["entries"])
    assert ids
    logged = [
        e
        for e in json.loads(run("access-log", "--json").stdout)
        if e["action"] == "annual_evaluation"
    ]
    assert sorted(e["supervisor_id"] for e in logged) == ids
    assert all(
        e["purpose"].startswith("命令 supdesk evaluate 2026 --center wushenzhao") for e in logged
    )


def test_access_log_filters_by_user_supervisor_center_and_dates(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    from supervision_core import NewSupervisor

    ledger = supdesk_ledger
    a = ledger.add_supervisor(NewSupervisor(name="甲", center="wushenzhao")).id
    b = ledger.add_supervisor(NewSupervisor(name="乙", center="galutu")).id
    assert ledger.log_access(user="u1", action="view", purpose="p", supervisors=[]) == 0
    ledger.log_access(user="u1", action="list_supervisors", purpose="网页 /x", supervisors=[a, b])
    supdesk_clock.advance(days=2)
    ledger.log_access(user="u2", action="view_supervisor", purpose="网页 /y", supervisors=[b])
    every = ledger.access_log()
    assert [(e.user, e.supervisor_id) for e in every] == [("u2", b), ("u1", b), ("u1", a)]
    assert all(isinstance(e, AccessEntry) for e in every)
    assert [e.supervisor_id for e in ledger.access_log(user="u1")] == [b, a]
    assert [e.user for e in ledger.access_log(supervisor=b)] == ["u2", "u1"]
    assert [e.supervisor_id for e in ledger.access_log(centers=["wushenzhao"])] == [a]
    today = supdesk_clock().astimezone(SHANGHAI).date()
    assert [e.user for e in ledger.access_log(since=today)] == ["u2"]
    assert [e.user for e in ledger.access_log(until=today - dt.timedelta(days=1))] == ["u1", "u1"]
    with pytest.raises(InvalidInput, match="早于开始日期"):
        ledger.access_log(since=today, until=today - dt.timedelta(days=1))


def test_the_access_log_command_filters_and_speaks_json(run: Callable[..., Result]) -> None:
    run("init", "--demo")
    run("supervisors", "show", "1")
    run("supervisors", "list", "--center", "galutu")
    galutu = json.loads(run("access-log", "--center", "galutu", "--json").stdout)
    assert galutu and {e["center"] for e in galutu} == {"galutu"}
    one = run("access-log", "--supervisor", "1")
    assert one.exit_code == 0 and "监督员 #1" in one.output and "监督员详情" in one.output
    assert "命令 supdesk supervisors show 1" in one.output and "共 1 条" in one.output
    assert "没有符合条件" in run("access-log", "--user", "nobody").output
    today = dt.datetime.now(SHANGHAI).date()
    later = (today + dt.timedelta(days=1)).isoformat()
    assert json.loads(run("access-log", "--since", later, "--json").stdout) == []
    assert len(json.loads(run("access-log", "--until", today.isoformat(), "--json").stdout)) > 1
    unknown = run("access-log", "--center", "nosuch")
    assert unknown.exit_code == 2 and "nosuch" in unknown.output  # a usage error, named


# ---------------------------------------------------------------- files and errors


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the usual umask: new files world-readable
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_sqlite_ledger_and_its_wal_and_shm_are_the_owners_alone(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "supdesk.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as connection:  # WAL: the -wal and -shm files exist while open
        connection.execute(sa.text("SELECT count(*) FROM supervisor")).scalar()
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(f.exists() for f in files)
        modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files}
    engine.dispose()
    assert modes == {f.name: 0o600 for f in files}


def test_an_older_world_readable_ledger_is_made_private_by_init(
    tmp_path: Path, umask_022: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # as SQLite makes it: 0644 under this umask
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--database", f"sqlite:///{path}", "init"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_session_secret_file_is_the_owners_alone(
    tmp_path: Path, umask_022: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supervision_web import load_secret_key

    monkeypatch.delenv("SUPDESK_SECRET_KEY", raising=False)
    path = tmp_path / "keys" / "supdesk-secret.key"
    key = load_secret_key(path)
    assert len(key) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(path) == key


def test_an_implausible_year_is_a_chinese_sentence_not_sql(run: Callable[..., Result]) -> None:
    run("init", "--demo")
    for args in (["evaluate", "1"], ["evaluate", "9999"], ["evaluations", "--year", "1"]):
        result = run(*args)
        text = result.output
        assert "SELECT" not in text and "[SQL" not in text and "Traceback" not in text, text
    result = run("evaluate", "1")
    assert result.exit_code == 1
    assert "错误：年份 1 不在合理范围内（应为 2000 至" in result.output
    assert "不在合理范围内" in run("evaluate", "2999").output


def test_a_database_error_never_shows_the_statement_nor_its_parameters() -> None:
    from supervision_core.cli.root import _database_error

    wrapped = sa.exc.StatementError(
        "(builtins.OverflowError) date value out of range",
        "SELECT name FROM supervisor WHERE phone = ?",
        ("13812341234",),
        OverflowError("date value out of range"),
    )
    assert _database_error(wrapped) == "数据库错误：date value out of range"
    operational = sa.exc.OperationalError(
        "SELECT 1", ("13812341234",), Exception("database is locked\nmore")
    )
    assert _database_error(operational) == "数据库操作失败：database is locked"

"""The supdesk command line, on both databases; bad input gives one line, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from supervision_core.cli import cli
from supervision_core.testing import skip_or_fail


@pytest.fixture
def run(supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.setenv("SUPDESK_ACTOR", "operator:cli-test")
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def _json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _demo_numbers(run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The demo issues' numbers by their state (the year in a number is the demo's)."""
    return {
        i["state"] + ":" + i["center"]: i["number"] for i in _json(run("issues", "list", "--json"))
    }  # type: ignore[union-attr]


def test_init_demo_and_tour(run) -> None:  # type: ignore[no-untyped-def]
    result = run("init", "--demo")
    assert result.exit_code == 0, result.output
    assert "乌审旗政务服务中心" in result.output and "演示数据" in result.output
    assert Path("supdesk.toml").exists()
    listing = run("issues", "list")
    assert "共 7 件" in listing.output and "【逾期】" in listing.output
    numbers = _demo_numbers(run)
    overdue = _json(run("issues", "list", "--overdue", "--json"))
    # The scheduled fix ran out, and the report nobody screened is past its day.
    assert sorted(i["number"] for i in overdue) == sorted(  # type: ignore[union-attr]
        [numbers["rectifying:banner"], numbers["received:sulide"]]
    )
    show = run("issues", "show", numbers["closed:banner"])
    assert "办理记录" in show.output and "监督员评价" in show.output
    again = run("init", "--demo")  # idempotent
    assert again.exit_code == 0 and "问题 7 件" in again.output


def test_every_step_from_the_command_line(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    ref = _demo_numbers(run)["received:sulide"]
    assert run("issues", "screen", ref, "--accept").exit_code == 0
    assert (
        run("issues", "dispatch", ref, "--unit", "sulide-window", "--person", "娜仁").exit_code == 0
    )
    assert (
        run(
            "issues", "plan", ref, "--track", "scheduled", "--measures", "维修终端", "--days", "3"
        ).exit_code
        == 0
    )
    assert run("issues", "progress", ref, "--note", "已报修").exit_code == 0
    assert run("issues", "extend", ref, "--days", "2", "--reason", "等待配件").exit_code == 0
    assert run("issues", "complete", ref, "--evidence", "终端已修复").exit_code == 0
    refused = run("issues", "evaluate", ref, "--satisfaction", "satisfied")
    assert refused.exit_code == 1 and "监督员" in refused.output  # staff, not on anyone's word
    data = _json(
        run(
            "issues",
            "evaluate",
            ref,
            "--satisfaction",
            "satisfied",
            "--on-behalf",
            "电话",
            "--json",
        )
    )
    assert data["state"] == "closed"  # type: ignore[index]
    history = _json(run("issues", "show", ref, "--json"))["history"]  # type: ignore[index]
    assert [e["kind"] for e in history] == [
        "received",
        "accepted",
        "dispatched",
        "planned",
        "progress",
        "extended",
        "completed",
        "evaluated",
    ]
    assert {e["actor"] for e in history[1:]} == {"operator:cli-test"}


def test_supervisors_and_quarantine(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    added = _json(
        run("supervisors", "add", "张三", "--center", "tuke", "--phone", "13900001111", "--json")
    )
    assert added["identities"] == [{"kind": "phone", "value": "139****1111"}]  # type: ignore[index]
    listing = run("supervisors", "list")
    assert "139****1111" in listing.output and "13900001111" not in listing.output
    held = _json(run("quarantine", "list", "--json"))
    assert held[0]["sender"]["value"] == "139****1111"  # type: ignore[index]
    assigned = _json(
        run("quarantine", "assign", str(held[0]["id"]), "--supervisor", str(added["id"]), "--json")
    )  # type: ignore[index]
    assert assigned["issue_number"].startswith("banner-2026-")  # type: ignore[index]
    assert run("supervisors", "suspend", str(added["id"]), "--reason", "核查").exit_code == 0  # type: ignore[index]
    sid = str(added["id"])  # type: ignore[index]
    revoke = ("supervisors", "revoke", sid, "--reason", "违反保密义务")
    papers = ("--letter-returned", "--card-not-returned")
    refused = run(*revoke, *papers)  # no admonition before it, no override
    assert refused.exit_code == 1 and "--admonition" in refused.output
    told = run("supervisors", "discipline", sid, "--reason", "泄露申请人信息", "--response", "承认")
    record = told.output.split("处理 #")[1].split("：")[0]
    listed = run("supervisors", "discipline-list", sid).output
    assert "泄露申请人信息" in listed and "本人表态：承认" in listed
    revoked = run(*revoke, *papers, "--admonition", record, "--decided-by", "主任 王")
    assert "聘书已收回" in revoked.output and "工作证未收回" in revoked.output
    assert f"批评教育记录 #{record}" in revoked.output and "决定人：主任 王" in revoked.output
    assert "待收回：工作证" in revoked.output
    assert "待收回：工作证" in run("supervisors", "papers-outstanding").output
    returned = run("supervisors", "papers-returned", sid, "--card", "--note", "本人交回")
    assert "聘书和工作证均已收回" in returned.output
    assert "没有待收回" in run("supervisors", "papers-outstanding").output
    assert "收回证件" in run("supervisors", "show", sid).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("issues", "show", "999"), "没有编号为 999 的问题"),
        (("issues", "complete", "{received:sulide}", "--evidence", "x"), "不能执行“整改完成”"),
        (
            ("issues", "dispatch", "{accepted:banner}", "--unit", "nope", "--person", "x"),
            "没有代码为 'nope' 的单位",
        ),
        (("issues", "screen", "{received:sulide}"), "请二选一"),
        (
            ("issues", "screen", "{received:sulide}", "--reject", "petition"),
            "必须填写告知监督员的说明",
        ),
        (
            ("issues", "list", "--center", "mars"),
            "--center 的值无效：没有名为或代码为“mars”的服务中心",
        ),
        (("supervisors", "show", "77"), "没有编号为 77 的监督员"),
        (
            ("issues", "extend", "{rectifying:banner}", "--days", "9", "--reason", "x"),
            "每次延期 1 到 5 个工作日",
        ),
        (  # the demo's scheduled fix has run out: past its deadline only the banner center
            ("issues", "extend", "{rectifying:banner}", "--days", "2", "--reason", "x"),
            "逾期后延期须经旗政务服务中心批准",
        ),
        (
            (
                "issues",
                "extend",
                "{rectifying:banner}",
                "--days",
                "2",
                "--reason",
                "x",
                "--granted-by",
                "tuke",
            ),
            "逾期后延期须经旗政务服务中心批准",
        ),
        (
            ("issues", "plan", "{accepted:banner}", "--track", "sometime"),
            "--track 的值无效：无法识别“sometime”",
        ),
    ],
)
def test_bad_input_is_one_clear_line(run, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    numbers = _demo_numbers(run)
    result = run(*(numbers[a[1:-1]] if a.startswith("{") else a for a in args))
    usage = "的值无效" in message  # click's usage errors: status 2 and the help hint
    assert result.exit_code == (2 if usage else 1)
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    if usage:
        assert "--help”查看用法" in result.output


def test_show_tells_the_deadlines_and_a_late_fix_stays_late(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    ref = _demo_numbers(run)["rectifying:banner"]  # planned 25 days ago, extended once in time
    before = _json(run("issues", "show", ref, "--json"))
    planned = before["issue"]["original_due_on"]  # type: ignore[index]
    in_force = before["issue"]["rectification_due_on"]  # type: ignore[index]
    extensions = before["issue"]["extensions"]  # type: ignore[index]
    assert before["late"] is True and in_force >= planned
    extend = ("issues", "extend", ref, "--days", "2", "--reason", "证书待签发")
    assert run(*extend, "--granted-by", "banner").exit_code == 0
    assert run("issues", "complete", ref, "--evidence", "证书已更换").exit_code == 0
    data = _json(run("issues", "show", ref, "--json"))
    issue = data["issue"]  # type: ignore[index]
    assert data["late"] is True and issue["state"] == "completed"  # type: ignore[index]
    # Lateness is measured against the deadline that was in force when it passed.
    assert issue["original_due_on"] == planned and issue["missed_due_on"] == in_force
    assert issue["rectification_due_on"] > in_force and issue["extensions"] == extensions + 1
    assert issue["completed_on_time"] is False and issue["late_working_days"] >= 5
    shown = run("issues", "show", ref).output
    assert f"原定：{planned}" in shown and f"延期次数：{extensions + 1}" in shown
    assert f"（逾期 {issue['late_working_days']} 个工作日）" in shown


def test_uninitialised_database_says_what_to_do(run) -> None:  # type: ignore[no-untyped-def]
    result = run("issues", "list")
    assert result.exit_code == 1 and "supdesk init" in result.output


def test_bad_config_is_one_clear_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "supdesk.toml").write_text(
        '[[centers]]\ncode = "Bad Code"\nname = "x"\n', encoding="utf-8"
    )
    result = run("init")
    assert result.exit_code == 1
    assert "centers[0]" in result.output and "Traceback" not in result.output
    (tmp_path / "supdesk.toml").write_text("[desk\n", encoding="utf-8")
    assert "不是合法的 TOML" in run("init").output


def test_unknown_policy_in_config_is_a_start_up_error(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "supdesk.toml").write_text(
        '[[centers]]\ncode = "tuke"\nname = "图克镇便民服务中心"\nscoring_policy = "nope"\n',
        encoding="utf-8",
    )
    result = run("init")
    assert result.exit_code == 1 and "评分办法 'nope'" in result.output


def test_plugins_command_lists_builtins(run) -> None:  # type: ignore[no-untyped-def]
    data = _json(run("plugins", "--all", "--json"))
    names = {p["name"]: p for p in data}  # type: ignore[union-attr]
    assert names["supervision_core.rules.screening"]["hooks"] == [
        "supervision_register_screening_checks"
    ]


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    exe = shutil.which("supdesk", path=str(Path(sys.executable).parent)) or shutil.which("supdesk")
    if exe is None:
        skip_or_fail("supdesk is not installed as a console script")
    env = {**os.environ, "SUPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    ok = subprocess.run(
        [exe, "init", "--demo"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [exe, "issues", "show", "nope-1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        bad.returncode == 1
        and "Traceback" not in bad.stderr
        and "没有编号为 nope-1 的问题" in bad.stderr
    )


def test_the_year_from_the_command_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    run("init", "--demo")
    numbers = _demo_numbers(run)
    activity = _json(
        run(
            "activities",
            "add",
            "--center",
            "banner",
            "--kind",
            "forum",
            "--title",
            "座谈会",
            "--date",
            "2026-11-10",
            "--place",
            "旗中心",
            "--organizer",
            "旗政务服务中心",
            "--json",
        )
    )
    for sid, status in (("1", "present"), ("2", "unexcused")):
        assert (
            run("activities", "attend", str(activity["id"]), sid, "--status", status).exit_code == 0
        )  # type: ignore[index]
    assert "出席 1/2" in run("activities", "list").output
    assert (
        run("issues", "finding", numbers["closed:banner"], "--kind", "adopted_suggestion").exit_code
        == 0
    )
    assert "批评教育" in run("supervisors", "discipline", "2", "--reason", "无故缺席").output
    book = tmp_path / "评估.xlsx"
    data = _json(run("evaluate", "2026", "--center", "banner", "--xlsx", str(book), "--json"))
    assert data["published"] is False and data["quota"] == 1  # type: ignore[index]
    assert "还没有发布的评估" in run("evaluations", "list").output  # a preview stores nothing
    entries = data["entries"]  # type: ignore[index]
    assert [e["name"] for e in entries] == ["王建国", "李秀英"]
    # 王建国: 60 + 2 verified ×2 + 1 fix + 5 adopted + 3 forum + 1 service experience = 74
    assert (
        entries[0]["score"]["total"] == 74 and entries[0]["excellent"] is False
    )  # below the excellent band
    sheet = openpyxl.load_workbook(book).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        (e["rank"], e["name"], "在职", e["score"]["total"]) for e in entries
    ]
    assert sheet.freeze_panes == "A4" and "2026年度" in str(sheet["A1"].value)
    assert "预览，未发布" in run("evaluate", "2026", "--center", "banner").output
    assert "第 1 版，正式版本" in run("evaluate", "2026", "--center", "banner", "--publish").output
    again = run("evaluate", "2026", "--center", "banner", "--publish")
    assert again.exit_code == 1 and "--reason" in again.output
    assert "--center" in run("evaluate", "2026", "--publish").output
    second = run("evaluate", "2026", "--center", "banner", "--publish", "--reason", "补录")
    assert "第 2 版，正式版本" in second.output and "取代评估 #1，理由：补录" in second.output
    listed = run("evaluations", "list")
    assert "第 1 版（已取代）" in listed.output and "第 2 版（正式）" in listed.output
    assert "王建国" in run("evaluations", "show", "1").output
    bad = run("evaluate", "2026", "--center", "banner", "--tie-rule", "coin_toss")
    assert bad.exit_code == 1 and "未知的并列规则" in bad.output


def test_briefing_from_the_command_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    out = tmp_path / "通报.md"
    text = run(
        "briefing",
        "2026H2",
        "--center",
        "banner",
        "--add-opinion",
        "建议延长周六服务时间",
        "--supervisor",
        "1",
        "--out",
        str(out),
    ).output
    assert text.strip() == f"已写入通报：{out}"  # where it went, not the text again
    assert "乌审旗政务服务中心2026年下半年政务服务监督工作情况通报" in out.read_text(
        encoding="utf-8"
    )
    assert "建议延长周六服务时间" in out.read_text(encoding="utf-8")
    shown = run("briefing", "2026H2", "--center", "banner").output
    assert "乌审旗政务服务中心2026年下半年政务服务监督工作情况通报" in shown
    data = _json(run("briefing", "2026H2", "--center", "banner", "--json"))
    # Three supervisors' reports and a caller's in quarantine, each in one line.
    assert data["received"] == 4 and data["accepted"] == 3 and data["closed"] == 1  # type: ignore[index]
    assert sum(line["count"] for line in data["lines"]) == 4  # type: ignore[index]
    assert run("briefing", "2026", "--center", "banner").exit_code == 1


def test_work_plans_from_the_command_line(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    added = run(
        "workplans",
        "add",
        "--center",
        "tuke",
        "--year",
        "2026",
        "--title",
        "图克镇2026年监督工作计划",
        "--staff",
        "张主任",
        "--staff",
        "李干事",
        "--content",
        "每季度集中体验一次",
    )
    assert "负责：张主任、李干事" in added.output
    assert "图克镇2026年监督工作计划" in run("workplans", "list", "--year", "2026").output


def test_evaluate_every_center(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    data = _json(run("evaluate", "2026", "--xlsx", str(tmp_path / "e.xlsx"), "--json"))
    assert [e["center"] for e in data][:2] == ["banner", "galutu"] and len(data) == 7  # type: ignore[index, union-attr]
    assert (tmp_path / "e-wushenzhao.xlsx").exists()


# ------------------------------------------------------------------ start-up: what loads

# Libraries a command loads only when it runs (bench/bench_cli.py times the start-up).
_HEAVY = ("telegram", "matplotlib", "openpyxl", "uvicorn", "starlette", "argon2")
_HEAVY_FOR_THE_CORE = (*_HEAVY, "sqlalchemy", "sqlmodel", "alembic", "fpdf", "docx", "jinja2")

_REPORT_MODULES = """
import json, sys
sys.stderr.write("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})) + "\\n")
"""


def _modules_loaded(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", code + _REPORT_MODULES],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "用法：supdesk" in done.stdout, done.stdout
    line = [x for x in done.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return set(json.loads(line.removeprefix("MODULES ")))


def test_help_of_the_core_and_of_every_command_module_loads_no_heavy_library() -> None:
    """The core's commands and the commands modules of channels, web and daemon are light."""
    loaded = _modules_loaded(
        """
from supervision_core.cli import cli
import channels.email.commands, channels.phone.commands, channels.telegram.commands
import supervision_daemon.commands, supervision_web.commands
for module in (channels.email.commands, channels.phone.commands, channels.telegram.commands,
               supervision_daemon.commands, supervision_web.commands):
    module.supervision_register_commands(cli=cli)
for args in (["--help"], ["import", "--help"], ["issues", "--help"], ["daemon", "--help"]):
    try:
        cli.main(args, prog_name="supdesk")
    except SystemExit as exit:
        assert exit.code == 0, args
"""
    )
    assert {"click", "supervision_core"} <= loaded
    assert loaded.isdisjoint(_HEAVY_FOR_THE_CORE), sorted(loaded & set(_HEAVY_FOR_THE_CORE))


def test_supdesk_help_loads_no_heavy_library() -> None:
    """``supdesk --help``, plugins and all, imports none of the heavy libraries."""
    loaded = _modules_loaded(
        """
import sys
from supervision_core.cli import main
try:
    main(["--help"])
except SystemExit as exit:
    assert exit.code == 0
"""
    )
    assert "supervision_core" in loaded
    assert loaded.isdisjoint(_HEAVY), sorted(loaded & set(_HEAVY))


def test_a_command_on_the_ledger_checks_the_schema_without_alembic(tmp_path: Path) -> None:
    """``supdesk issues list`` reads the ledger; Alembic (and Mako) load only to migrate."""
    env = {**os.environ, "SUPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    env.pop("SUPDESK_CONFIG", None)
    code = """
from supervision_core.cli import main
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
"""
    tables = """
from sqlmodel import SQLModel
sys.stderr.write("\\nTABLES " + json.dumps(sorted(SQLModel.metadata.tables)) + "\\n")
"""
    for args, report in ((["init", "--demo"], ""), (["issues", "list"], _REPORT_MODULES + tables)):
        done = subprocess.run(
            [sys.executable, "-c", code + report, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert "共 " in done.stdout
    line = [x for x in done.stderr.splitlines() if x.startswith("MODULES ")][-1]
    loaded = set(json.loads(line.removeprefix("MODULES ")))
    assert "sqlalchemy" in loaded
    assert loaded.isdisjoint({"alembic", "mako", *_HEAVY}), sorted(loaded & {"alembic", "mako"})
    # It builds the ledger's own table classes, not the year's, the tasks' or the accounts'.
    line = [x for x in done.stderr.splitlines() if x.startswith("TABLES ")][-1]
    built = set(json.loads(line.removeprefix("TABLES ")))
    assert {"center", "unit", "supervisor", "issue"} <= built
    assert built.isdisjoint({"evaluation", "task", "staff_user", "access_log", "activity"}), built


def test_an_out_of_date_schema_is_still_refused(run, supdesk_database_url: str) -> None:  # type: ignore[no-untyped-def]
    """A database one migration behind: SchemaError naming both revisions, and one line."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from supervision_core import SchemaError, Settings, create_engine, open_ledger
    from supervision_core.store.engine import _alembic_config, head_revision

    scripts = ScriptDirectory.from_config(_alembic_config())
    head = scripts.get_current_head()
    assert head is not None and head_revision() == head  # the file names agree with Alembic
    previous = scripts.get_revision(head).down_revision
    assert isinstance(previous, str)
    engine = create_engine(supdesk_database_url)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), previous)
    engine.dispose()
    with pytest.raises(SchemaError, match=f"结构版本为 {previous}，本程序需要 {head}"):
        open_ledger(supdesk_database_url, settings=Settings())
    result = run("issues", "list")
    assert result.exit_code == 1 and "请运行 supdesk init 升级" in result.output
    assert run("init").exit_code == 0  # and migrating it still works
    assert run("issues", "list").exit_code == 0


def test_main_hands_its_plugin_manager_to_the_ledger(
    run,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The ledger a command opens uses the manager main() built, not a second one."""
    from supervision_core import ledger
    from supervision_core.cli import main

    assert run("init", "--demo").exit_code == 0

    def second(**kwargs: object) -> None:
        raise AssertionError("open_ledger built a second plugin manager")

    monkeypatch.setattr(ledger, "get_plugin_manager", second)
    with pytest.raises(SystemExit) as exit:
        main(["issues", "list"])
    assert exit.value.code == 0, capsys.readouterr()
    assert "共 " in capsys.readouterr().out


# ------------------------------------------------------------------ commands from plugins


def test_commands_come_from_the_web_the_daemon_and_the_channels() -> None:
    """The core's root has its own groups and an empty ``import``; the rest is contributed."""
    from supervision_core.cli.root import SupdeskGroup
    from supervision_core.plugins import PluginHost, get_plugin_manager

    # In a fresh interpreter: tests in this process add plugins' commands to `cli`.
    code = """
import json, sys
from supervision_core.cli import cli
print(json.dumps({"commands": sorted(cli.commands), "modules": sorted(sys.modules)}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    core = json.loads(done.stdout)
    assert {"issues", "supervisors", "import", "init", "status", "plugins"} <= set(core["commands"])
    assert {"serve", "daemon", "email", "telegram"}.isdisjoint(core["commands"])
    assert not [
        m
        for m in core["modules"]
        if m.split(".")[0] in {"channels", "supervision_web", "supervision_daemon"}
    ]

    root = SupdeskGroup("supdesk", commands={"import": click.Group("import")})
    host = PluginHost(get_plugin_manager(load_entrypoints=False))
    host.register_commands(root)
    assert host.failures == []
    assert {"serve", "daemon", "email", "telegram"} <= set(root.commands)
    group = root.commands["import"]
    assert isinstance(group, click.Group)
    assert set(group.commands) == {"calls", "batches", "rollback", "email"}


def test_a_plugin_adds_to_the_shared_import_group() -> None:
    """A township's plugin adds ``supdesk import roster`` beside the channels' imports."""
    from supervision_core import hookimpl
    from supervision_core.plugins import PluginHost, get_plugin_manager

    class Township:
        @hookimpl
        def supervision_register_commands(self, cli: click.Group) -> None:
            group = cli.commands["import"]
            assert isinstance(group, click.Group)

            @group.command("roster")
            def roster() -> None:
                """导入花名册。"""
                click.echo("已导入花名册")

    root = click.Group("supdesk", commands={"import": click.Group("import")})
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=[(Township(), "township")])
    PluginHost(pm).register_commands(root)
    result = CliRunner().invoke(root, ["import", "--help"])
    assert result.exit_code == 0
    for name in ("calls", "email", "roster"):
        assert f"  {name} " in result.output
    assert CliRunner().invoke(root, ["import", "roster"]).output == "已导入花名册\n"


def test_a_plugin_whose_commands_fail_is_reported_and_skipped(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One plugin's broken registration is logged with its name; supdesk still runs."""
    from supervision_core import hookimpl, plugins
    from supervision_core.cli import main

    class Broken:
        @hookimpl
        def supervision_register_commands(self, cli: click.Group) -> None:
            msg = "坏了"
            raise RuntimeError(msg)

    real = plugins.get_plugin_manager

    def with_broken(**kwargs: object) -> plugins.PluginManager:
        return real(load_entrypoints=False, extra_plugins=[(Broken(), "broken")])

    monkeypatch.setattr(plugins, "get_plugin_manager", with_broken)
    with pytest.raises(SystemExit) as exit:
        main(["--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert "issues" in out and "serve" in out  # the core's and the other plugins' commands
    assert any("broken" in r.getMessage() and "坏了" in r.getMessage() for r in caplog.records)


def test_outbox_list_says_how_each_notice_went(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    waiting = _json(run("outbox", "list", "--json", "--limit", "500"))
    assert waiting and {e["status"] for e in waiting} == {"pending"}  # type: ignore[union-attr]
    report = _json(run("outbox", "deliver", "--json"))
    # The demo's centers configure no notifier: nothing is said to be delivered to anyone.
    assert report["delivered"] == 0 and report["call_tasks"] > 0 and report["unreachable"] > 0  # type: ignore[index]
    entries = _json(run("outbox", "list", "--json", "--limit", "500"))
    kinds = {(e["notice"]["recipient_kind"], e["status"], e["transport"]) for e in entries}  # type: ignore[union-attr,index]
    # Supervisors (with a phone) are for the desk to call; units nothing reaches.
    assert kinds == {("supervisor", "call_task", None), ("unit", "unreachable", None)}
    phones = [a["value"] for e in entries for a in e["notice"]["addresses"] if a["kind"] == "phone"]  # type: ignore[union-attr,index]
    assert phones and all("****" in p for p in phones)  # masked, as every listing
    task = next(e for e in entries if e["status"] == "call_task")  # type: ignore[union-attr,index]
    done = _json(run("outbox", "called", str(task["id"]), "--json"))  # type: ignore[index]
    assert done["status"] == "done_by_phone" and done["transport"] == "phone"  # type: ignore[index]
    assert done["called_by"] == "operator:cli-test"  # type: ignore[index]
    assert [
        e["id"] for e in _json(run("outbox", "list", "--status", "done_by_phone", "--json"))
    ] == [task["id"]]  # type: ignore[union-attr,index]
    listing = run("outbox", "list", "--status", "done_by_phone")
    assert "已电话告知" in listing.output and "电话告知" in listing.output
    assert "phone" not in listing.output  # transports by their Chinese names
    again = run("outbox", "called", str(task["id"]))
    assert again.exit_code == 1 and "不是待电话告知的任务" in again.output
    wrong = run("outbox", "called", str(task["id"]), "--at", "昨天下午")
    assert wrong.exit_code == 1 and "通话时间格式" in wrong.output
    status = run("status")
    assert "待电话告知" in status.output and "无法送达" in status.output

"""The whole ``supdesk`` tree, walked: ``--json`` everywhere, names for codes, Chinese help.

Each test walks the click tree (with the installed plugins' commands), so a command
added later is held to the same rules or fails here until it is.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from supervision_core.cli import cli
from supervision_core.cli.context import CenterType, UnitType, _TermChoice

ROOT = Path(__file__).resolve().parents[2]

#: Commands that print no data: services that run until stopped (a start line, then
#: their log). ``--json`` is accepted by every command, but means nothing here.
SERVICES = {
    "serve": "网页前台：一直运行，只打印启动行和日志",
    "daemon": "守护进程：一直运行，只打印启动行和日志",
    "telegram poll": "长轮询：一直运行",
    "email lmtp": "邮件投递接收：一直运行",
}
#: Commands that print data in JSON but need a server this test does not start; their
#: ``--json`` is checked by reading them (below) and by their own tests.
NOT_RUN_HERE = {
    "telegram set-webhook": "needs the Bot API stand-in (tests/channels/test_telegram.py)",
    "email poll": "needs an IMAP server (tests/channels/test_email.py)",
    "webhooks replay": "needs a delivery given up or delivered (tests/web/test_webhooks.py)",
    "sms receipts": "needs the Tencent Cloud stand-in (the SMS plugin's tests)",
}
#: The helpers through which a command answers in JSON when asked.
_JSON_HELPERS = ("show(", "emit(", "wants_json()", "_step_output(")


def _register_plugins() -> None:
    from supervision_core.plugins import PluginHost, get_plugin_manager

    PluginHost(get_plugin_manager()).register_commands(cli)


def _walk(group: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    yield path, group
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from _walk(command, [*path, name])


def _leaves() -> dict[str, click.Command]:
    return {
        " ".join(path): command
        for path, command in _walk(cli, [])
        if path and not isinstance(command, click.Group)
    }


def _command_of(args: tuple[str, ...]) -> str:
    """The leaf command ``args`` run: ``("issues", "show", "x")`` is ``issues show``."""
    command: click.Command = cli
    path = []
    for arg in args:
        if not isinstance(command, click.Group) or arg not in command.commands:
            break
        command = command.commands[arg]
        path.append(arg)
    return " ".join(path)


@pytest.fixture
def run(supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.setenv("SUPDESK_ACTOR", "operator:cli-audit")
    monkeypatch.setenv("SUPDESK_NEW_PASSWORD", "a long enough password")
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    _register_plugins()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


class JsonRun:
    """Runs commands with ``--json``; each must exit 0 with JSON on stdout, nothing on stderr."""

    def __init__(self, run: Any) -> None:
        self.run = run
        self.ran: set[str] = set()

    def __call__(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        self.ran.add(_command_of(args))
        assert result.exit_code == 0, (args, result.output)
        assert result.stderr == "", (args, result.stderr)
        try:
            return json.loads(result.stdout)
        except ValueError:
            pytest.fail(f"{' '.join(args)} --json printed no JSON: {result.stdout[:300]}")


def test_every_command_that_prints_data_answers_in_json_and_nothing_else(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    leaves = _leaves()
    # Read: every command but the services has its own --json and answers through the
    # JSON helpers (a command printing text whatever it is asked fails here).
    for name, command in leaves.items():
        if name in SERVICES:
            continue
        assert any(p.name == "json_" for p in command.params), f"{name} has no --json"
        source = inspect.getsource(command.callback)  # type: ignore[arg-type]
        assert any(h in source for h in _JSON_HELPERS), f"{name} never answers in JSON"

    # Run: every other command, on the demo, with --json.
    j = JsonRun(run)
    j("init", "--demo")
    numbers = {i["state"] + ":" + i["center"]: i["number"] for i in j("issues", "list")}
    added = j("supervisors", "add", "测试员", "--center", "乌审召镇")
    assert added["center"] == "wushenzhao"
    sid = str(added["id"])
    for args in (
        ("supervisors", "show", sid),
        ("supervisors", "link-code", sid),
        ("supervisors", "suspend", sid, "--reason", "外出学习"),
        ("supervisors", "reinstate", sid, "--reason", "学习结束"),
        ("supervisors", "discipline", sid, "--kind", "admonition", "--reason", "迟到"),
        ("supervisors", "discipline-list", sid),
        ("supervisors", "candidates", "--center", "乌审旗"),
        ("supervisors", "revoke", sid, "--reason", "违反纪律", "--letter-not-returned",
         "--card-not-returned", "--override", "旗政务服务中心决定"),
        ("supervisors", "papers-returned", sid, "--letter", "--card"),
        ("supervisors", "papers-outstanding"),
    ):  # fmt: skip
        j(*args)
    supervisors = j("supervisors", "list")
    town = str(
        next(s["id"] for s in supervisors if s["status"] == "active" and s["center"] != "banner")
    )

    shutil.copy(ROOT / "docs" / "examples" / "hotline-export-gbk.csv", tmp_path / "calls.csv")
    imported = j("import", "calls", "calls.csv", "--center", "乌审旗")
    assert imported["rejects_file"] == str(tmp_path / "calls.csv.rejects.csv")
    batch = str(j("import", "batches")[0]["id"])
    assert j("import", "rollback", batch) == {"batch": int(batch), "removed": 3}

    ref = numbers["received:sulide"]
    for args in (
        ("issues", "show", ref),
        ("issues", "screen", ref, "--accept"),
        ("issues", "dispatch", ref, "--unit", "苏力德苏木综合窗口", "--person", "娜仁"),
        ("issues", "unit-copy", ref),
        ("issues", "plan", ref, "--track", "scheduled", "--measures", "维修", "--days", "3"),
        ("issues", "progress", ref, "--note", "已报修"),
        ("issues", "extend", ref, "--days", "2", "--reason", "等待配件"),
        ("issues", "complete", ref, "--evidence", "已修复"),
        ("issues", "evaluate", ref, "--satisfaction", "satisfied", "--on-behalf", "电话"),
        ("issues", "finding", numbers["closed:banner"], "--kind", "rule_change"),
        ("issues", "finding", numbers["closed:banner"], "--kind", "adopted_suggestion"),
        ("issues", "close", numbers["explained:wushenzhao"], "--note", "监督员未回复"),
    ):
        j(*args)
    accepted = numbers["accepted:banner"]
    j("issues", "dispatch", accepted, "--unit", "不动产登记窗口", "--person", "王")

    (tmp_path / "m.eml").write_text(
        "From: a@example.cn\nTo: desk@example.cn\nSubject: 问题\n"
        "Content-Type: text/plain; charset=utf-8\n\n窗口人员不在岗\n",
        encoding="utf-8",
    )
    assert j("import", "email", "m.eml", "--center", "乌审召镇")["read"] == 1
    quarantined = {q["channel"]: q["id"] for q in j("quarantine", "list")}
    bateer = str(next(s["id"] for s in supervisors if s["name"] == "巴特尔"))
    j("quarantine", "assign", str(quarantined["email"]), "--supervisor", bateer)
    j("quarantine", "dismiss", str(quarantined["demo"]), "--note", "重复来电")
    (mailed,) = j("issues", "list", "--center", "乌审召镇", "--status", "待审查")
    explained = mailed["number"]
    j("issues", "screen", explained, "--accept")
    j("issues", "dispatch", explained, "--unit", "乌审召镇综合窗口", "--person", "其木格")
    j("issues", "plan", explained, "--track", "explained", "--measures", "说明")
    j("issues", "explain", explained, "--text", "依法无法整改")
    j("outbox", "deliver")
    entries = j("outbox", "list")
    j("outbox", "retry", str(next(e["id"] for e in entries if e["status"] == "unreachable")))
    j("outbox", "called", str(next(e["id"] for e in entries if e["status"] == "call_task")))

    # 王建国 (#1) excellent in 乌审旗, as in test_recognition_cli.
    for day in ("2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"):
        j("activities", "record", "1", "--method", "模拟办", "--venue", "大厅", "--date", day)
    j("evaluate", "2026", "--center", "乌审召镇")
    evaluation = j("evaluate", "2026", "--center", "乌审旗", "--publish", "--xlsx", "评估.xlsx")
    assert evaluation["files"] == [str(tmp_path / "评估.xlsx")]
    shown = j("evaluations", "show", str(j("evaluations", "list")[0]["id"]), "--xlsx", "e.xlsx")
    assert shown["files"] == [str(tmp_path / "e.xlsx")]
    commended = j("commendations", "record", "2026", "--center", "乌审旗", "--number",
                  "乌政服发〔2026〕12号", "--date", "2026-11-30")  # fmt: skip
    assert [c["center"] for c in commended] == ["banner"]
    assert j(
        "commendations", "certificates", "2026", "--center", "乌审旗", "--pdf", "证书.pdf"
    ) == {
        "certificates": 1,
        "pdf": str(tmp_path / "证书.pdf"),
    }
    notice = j("commendations", "notice", "2026", "--center", "乌审旗", "--pdf", "n.pdf",
               "--docx", "n.docx")  # fmt: skip
    assert notice == {"pdf": str(tmp_path / "n.pdf"), "docx": str(tmp_path / "n.docx")}
    assert (tmp_path / "n.pdf").exists() and (tmp_path / "n.docx").exists()

    # After the evaluation: a merged report no longer counts for 王建国.
    j("issues", "merge", accepted, "--into", numbers["rectifying:banner"])

    j("workplans", "add", "--center", "乌审召镇", "--year", "2026", "--title", "年度计划",
      "--staff", "张敏", "--content", "每季度一次座谈")  # fmt: skip
    activity = j("activities", "add", "--center", "乌审召镇", "--kind", "forum", "--title",
                 "座谈", "--date", "2026-11-02", "--place", "镇政府", "--organizer", "乌审召镇")  # fmt: skip
    j("activities", "attend", str(activity["id"]), town)
    briefing = j("briefing", "show", "2026H2", "--center", "乌审召镇", "--pdf", "通报.pdf")
    assert briefing["files"] == [str(tmp_path / "通报.pdf")] and briefing["center"] == "wushenzhao"
    j("briefing", "meeting", "record", "2026H2", "--center", "乌审召镇", "--date", "2026-11-20",
      "--place", "会议室")  # fmt: skip
    j("briefing", "meeting", "show", "2026H2", "--center", "乌审召镇")

    task = j("tasks", "add", "--center", "乌审召镇", "--kind", "experience", "--place", "大厅",
             "--service", "不动产登记", "--from", "2026-12-01", "--to", "2026-12-10",
             "--supervisor", town)  # fmt: skip
    assert task["center"] == "wushenzhao"
    j("tasks", "show", str(task["id"]))
    assert [t["task"]["id"] for t in j("tasks", "list", "--center", "乌审召镇")] == [task["id"]]
    (tmp_path / "规则.pdf").write_bytes((tmp_path / "通报.pdf").read_bytes())
    document = j("documents", "publish", "规则.pdf", "--center", "乌审召镇", "--category",
                 "rules", "--title", "监督员守则")  # fmt: skip
    assert document["center"] == "wushenzhao"
    j("documents", "withdraw", str(document["id"]))
    soon = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=7)
    announced = j("activities", "announce", "--center", "乌审召镇", "--kind", "forum",
                  "--title", "座谈会", "--place", "会议室", "--start", soon.strftime("%Y-%m-%d %H:%M"),
                  "--deadline", (soon - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))  # fmt: skip
    assert announced["center"] == "wushenzhao"
    j("activities", "signup", str(announced["id"]), town)
    assert len(j("activities", "signups", str(announced["id"]))["signups"]) == 1
    j("activities", "withdraw", str(announced["id"]), town)
    j("activities", "cancel", str(announced["id"]), "--reason", "改期")
    recommendation = j("officers", "propose", town, "--reason", "反映问题准确")
    j("officers", "decide", str(recommendation["id"]), "--accept")

    j("users", "add", "new-desk", "--name", "新同事", "--center", "乌审召镇")
    j("users", "disable", "new-desk")
    j("users", "enable", "new-desk")
    role = j("users", "role", "new-desk", "--role", "unit", "--unit", "乌审召镇综合窗口")
    assert role["unit"] == "wushenzhao-window"
    assert j("users", "password", "new-desk") == {"username": "new-desk", "password_reset": True}
    token = j("tokens", "add", "t1", "--center", "乌审召镇", "--scope", "read")
    assert token["center"] == "wushenzhao"
    j("tokens", "revoke", "t1")
    assert j("webhooks", "deliver") == {"delivered": 0, "failed": 0}
    hook = j("webhooks", "add", "http://127.0.0.1:9/hook", "--events", "issue.accepted",
             "--center", "乌审旗", "--unit", "不动产登记窗口")  # fmt: skip
    assert (hook["center"], hook["unit"]) == ("banner", "realty")
    assert j("webhooks", "disable", str(hook["id"]))["disabled"] is True

    # Every command without a required option or argument, as it is.
    for name, command in leaves.items():
        if name in SERVICES or name in NOT_RUN_HERE or name in j.ran:
            continue
        if not any(p.required for p in command.params):
            j(*name.split())
    missing = set(leaves) - set(SERVICES) - set(NOT_RUN_HERE) - j.ran
    assert not missing, f"run these with --json here, or say why not: {sorted(missing)}"


#: Options naming a center, a unit or a state, and the types that take a Chinese name.
_NAMED = {
    "center": CenterType,
    "granted_by": CenterType,
    "unit": UnitType,
    "status": _TermChoice,
    "state": _TermChoice,
}


def test_every_center_unit_or_state_option_takes_a_chinese_name() -> None:
    _register_plugins()
    checked = 0
    for name, command in _leaves().items():
        for param in command.params:
            wanted = _NAMED.get(param.name or "")
            if wanted is not None:
                assert isinstance(param.type, wanted), (name, param.name, param.type)
                checked += 1
    assert checked > 40


#: Read-only commands whose ``--center``/``--unit`` took codes only; by name and by code
#: they must answer alike.
_BY_NAME = [
    ("supervisors", "papers-outstanding", "--center", "{c}"),
    ("activities", "visits", "--center", "{c}"),
    ("tasks", "list", "--center", "{c}"),
    ("documents", "list", "--center", "{c}"),
    ("commendations", "list", "--center", "{c}"),
    ("officers", "list", "--center", "{c}"),
    ("tokens", "list", "--center", "{c}"),
    ("issues", "list", "--center", "{c}", "--status", "{s}"),
    ("outbox", "list", "--center", "{c}", "--status", "{o}"),
]


@pytest.mark.parametrize("args", _BY_NAME, ids=lambda a: " ".join(a[:2]))
def test_a_fixed_option_takes_the_name_as_the_code(run, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    assert run("init", "--demo").exit_code == 0
    run(
        "activities", "record", "3", "--method", "模拟办", "--venue", "大厅", "--date", "2026-11-20"
    )

    def answer(center: str, state: str, outbox: str) -> str:
        filled = [a.format(c=center, s=state, o=outbox) for a in args]
        result = run(*filled, "--json")
        assert result.exit_code == 0, (filled, result.output)
        return result.stdout

    by_code = answer("wushenzhao", "received", "call_task")
    assert answer("乌审召镇", "待审查", "待电话告知") == by_code
    assert answer("乌审召镇便民服务中心", "received", "call_task") == by_code
    refused = run(*[a.format(c="北京", s="received", o="call_task") for a in args])
    assert refused.exit_code == 2 and "没有名为或代码为“北京”的服务中心" in refused.output


def test_import_email_takes_the_center_by_name(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    mail = tmp_path / "m.eml"
    mail.write_text(
        "From: nobody@example.cn\nTo: desk@example.cn\nSubject: 问题\n"
        "Content-Type: text/plain; charset=utf-8\n\n窗口人员不在岗\n",
        encoding="utf-8",
    )
    done = run("import", "email", str(mail), "--center", "乌审召镇", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["quarantined"] == 1
    (entry,) = [
        q for q in json.loads(run("quarantine", "list", "--json").stdout) if q["channel"] == "email"
    ]
    assert entry["center"] == "wushenzhao"
    wrong = run("import", "email", str(mail), "--center", "北京")
    assert wrong.exit_code == 2 and "没有名为或代码为“北京”的服务中心" in wrong.output


#: Click's English placeholders and words, none of which may show in a help page.
_ENGLISH = re.compile(
    r"\b(INTEGER|FLOAT|BOOLEAN|TEXT|PATH|FILENAME|FILE|DIRECTORY|DATE|DATETIME|RANGE|"
    r"CENTER|UNIT|REF|YEAR|PERIOD|NAME|USERNAME|[A-Z]+_ID|Usage|Options|Commands|"
    r"Arguments|Show this message|default|required|env var)\b|%Y|%m|%d"
)


def test_no_help_page_shows_clicks_english(run) -> None:  # type: ignore[no-untyped-def]
    pages = 0
    for path, _command in _walk(cli, []):
        page = run(*path, "--help")
        assert page.exit_code == 0, (path, page.output)
        assert page.output.startswith("用法："), path
        for line in page.output.splitlines():
            assert not _ENGLISH.search(line), (" ".join(path), line)
        pages += 1
    assert pages > 90
    show = run("issues", "show", "--help").output
    assert show.splitlines()[0].endswith("issues show [选项] 问题编号")
    assert "--limit 整数" in run("issues", "list", "--help").output
    assert "--since YYYY-MM-DD" in run("access-log", "--help").output
    assert "--xlsx 文件" in run("evaluate", "--help").output
    assert "用法：" in run("calendar", "show", "--help").output.splitlines()[0]
    assert "[年度]" in run("calendar", "show", "--help").output.splitlines()[0]


def test_usage_errors_name_arguments_in_chinese(run) -> None:  # type: ignore[no-untyped-def]
    for args, message in {
        ("issues", "show"): "缺少参数 问题编号",
        ("supervisors", "show"): "缺少参数 监督员编号",
        ("supervisors", "show", "x"): "监督员编号 的值无效：“x”不是整数",
        ("tasks", "add", "--from", "明天"): "“明天”不是 YYYY-MM-DD 格式的日期",
    }.items():
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        (line,) = result.output.strip().splitlines()
        assert message in line and "--help”查看用法" in line, line
        assert not _ENGLISH.search(line), line


def test_exports_name_the_scoring_policy_and_who_closed_in_chinese(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    import csv

    from docx import Document
    from openpyxl import load_workbook
    from pypdf import PdfReader

    run("init", "--demo")
    written = run("evaluate", "2026", "--center", "乌审召镇", "--xlsx", "e.xlsx", "--pdf", "e.pdf",
                  "--docx", "e.docx")  # fmt: skip
    assert written.exit_code == 0, written.output
    for name in ("e.xlsx", "e.pdf", "e.docx"):
        assert f"已另存为 {tmp_path / name}" in written.output
    policy = "乌审召镇监督员评分办法（2026）"
    sheet = load_workbook(tmp_path / "e.xlsx").active
    assert sheet is not None and f"评分办法：{policy}" in str(sheet["A2"].value)
    pdf = "".join(page.extract_text() for page in PdfReader(tmp_path / "e.pdf").pages)
    assert policy in pdf.replace("\n", "")
    docx = "".join(p.text for p in Document(str(tmp_path / "e.docx")).paragraphs)
    assert f"评分办法：{policy}" in docx
    for text in (str(sheet["A2"].value), pdf, docx):
        assert "wushenzhao-2026" not in text and "default" not in text
    assert run("export", "ledger", "--format", "csv", "--out", "l.csv").exit_code == 0
    with (tmp_path / "l.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    closers = {row["办结人"] for row in rows if row["办结人"]}
    assert closers and not any(":" in who for who in closers), closers


def test_no_command_but_init_creates_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run outside a ledger's folder, every command says so in one line and leaves nothing."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUPDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    _register_plugins()
    runner = CliRunner()
    refused = 0
    for name, command in _leaves().items():
        if name in SERVICES or name == "init" or any(p.required for p in command.params):
            continue
        result = runner.invoke(cli, name.split())
        assert list(tmp_path.iterdir()) == [], name
        if result.exit_code == 0:  # needs no ledger (plugins, calendar show)
            continue
        assert result.exit_code == 1, (name, result.output)
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("错误："), (name, line)
        assert result.stdout == "", (name, result.stdout)
        refused += "supdesk init" in line
    assert refused > 20


def test_the_api_gives_states_as_enums_in_lists_and_single_issues(supdesk_ledger) -> None:  # type: ignore[no-untyped-def]
    from supervision_core import IssueState
    from supervision_core.demo import load_demo

    load_demo(supdesk_ledger)
    listed = supdesk_ledger.issues()
    assert listed and all(isinstance(i.state, IssueState) for i in listed)
    for summary in listed:
        assert supdesk_ledger.issue(summary.number).state is summary.state

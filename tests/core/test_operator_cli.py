"""An operator's first hour at the command line: Chinese names accepted and shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from supervision_core import IssueState, ProblemType, Vocabulary, parse_term
from supervision_core.cli import cli


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


def test_a_center_and_a_state_by_chinese_name_equal_their_codes(run) -> None:  # type: ignore[no-untyped-def]
    assert run("init", "--demo").exit_code == 0
    by_name = run("issues", "list", "--center", "乌审召镇", "--status", "待审查")
    by_code = run("issues", "list", "--center", "wushenzhao", "--status", "received")
    assert by_name.exit_code == 0, by_name.output
    assert by_name.output == by_code.output
    assert _json(run("issues", "list", "--center", "苏力德苏木", "--status", "待审查", "--json"))
    explained = run("issues", "list", "--center", "乌审召镇", "--status", "已说明待评价")
    assert "共 1 件" in explained.output
    assert (
        explained.output
        == run("issues", "list", "--center", "wushenzhao", "--status", "explained").output
    )
    assert "单位 乌审召镇综合窗口" in explained.output  # the unit by its name
    full = run("issues", "list", "--center", "乌审召镇便民服务中心", "--json")
    assert _json(full) == _json(run("issues", "list", "--center", "wushenzhao", "--json"))


def test_an_unknown_or_ambiguous_center_is_one_chinese_line(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    unknown = run("issues", "list", "--center", "北京")
    assert unknown.exit_code == 2
    assert "没有名为或代码为“北京”的服务中心" in unknown.output
    assert "乌审召镇便民服务中心（wushenzhao）" in unknown.output
    ambiguous = run("issues", "list", "--center", "乌审")
    assert ambiguous.exit_code == 2 and "可指多个服务中心" in ambiguous.output
    state = run("issues", "list", "--status", "不存在")
    assert state.exit_code == 2 and "待审查(received)" in state.output


def test_dispatch_by_unit_name_and_show_names_the_unit_and_person(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--demo")
    found = _json(run("issues", "list", "--center", "苏力德苏木", "--status", "待审查", "--json"))
    ref = found[0]["number"]  # type: ignore[index]
    assert run("issues", "screen", ref, "--accept").exit_code == 0
    sent = run("issues", "dispatch", ref, "--unit", "苏力德苏木综合窗口", "--person", "娜仁")
    assert sent.exit_code == 0, sent.output
    shown = run("issues", "show", ref)
    assert "派往 苏力德苏木综合窗口，责任人 娜仁" in shown.output
    assert "sulide-window" not in shown.output.split("办理记录")[1]


def test_vocabulary_names_and_finds() -> None:
    vocabulary = Vocabulary(
        centers={"banner": "乌审旗政务服务中心", "wushenzhao": "乌审召镇便民服务中心"},
        units={"banner": {"market": "市场监管局窗口"}},
        channels={"walk_in": "来访来信（前台录入）"},
        policies={"wushenzhao": "乌审召镇评分办法"},
    )
    assert vocabulary.center("banner") == "乌审旗政务服务中心"
    assert vocabulary.unit("market") == "市场监管局窗口"
    assert vocabulary.unit("gone") == "gone" and vocabulary.unit(None) == "—"
    assert vocabulary.channel("walk_in") == "来访来信（前台录入）"
    assert vocabulary.channel("demo") == "演示数据"  # built-in, no plugin registers it
    assert vocabulary.channel("phone_log") == "来电"
    assert vocabulary.policy("wushenzhao") == "乌审召镇评分办法（wushenzhao）"
    assert vocabulary.find_center("乌审召镇") == "wushenzhao"
    assert vocabulary.find_center("banner") == "banner"
    assert vocabulary.find_unit("市场监管局窗口") == "market"
    with pytest.raises(ValueError, match="可指多个"):
        vocabulary.find_center("乌审")
    assert parse_term(IssueState, "待审查") is IssueState.RECEIVED
    assert parse_term(ProblemType, "一次性告知") is ProblemType.TELL_ONCE


def test_global_options_before_or_after_the_subcommand(  # type: ignore[no-untyped-def]
    run, supdesk_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("init", "--demo")
    monkeypatch.delenv("SUPDESK_DATABASE_URL")
    before = run("--database", supdesk_database_url, "--json", "issues", "list")
    after = run("issues", "list", "--database", supdesk_database_url, "--json")
    mixed = run("--json", "issues", "list", f"--database={supdesk_database_url}")
    assert _json(before) == _json(after) == _json(mixed)
    assert len(_json(before)) == 7  # type: ignore[arg-type]
    # --json after a command that answers in JSON, for one that had no --json of its own.
    status = run("status", "--database", supdesk_database_url, "--json")
    assert isinstance(_json(status), dict)


def test_usage_errors_are_one_chinese_line_with_the_help_hint(run) -> None:  # type: ignore[no-untyped-def]
    cases = {
        ("issues", "list", "--statu", "x"): "没有选项 --statu（是否想用 --status？）",
        ("issues", "show"): "缺少参数 问题编号",
        ("issues", "list", "--limit", "0"): "--limit 的值无效",
        ("issues", "list", "--due-within", "abc"): "“abc”不是整数",
        ("access-log", "--since", "2026/03/01"): "不是 YYYY-MM-DD 格式的日期",
        ("nope",): "没有命令 nope",
        ("issues", "list", "extra"): "多余的参数：extra",
    }
    for args, message in cases.items():
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert message in lines[0] and "--help”查看用法" in lines[0], lines[0]
        assert not any(w in lines[0] for w in ("Usage", "Error", "Invalid", "Missing", "Try"))


def test_help_shows_dates_and_every_option_has_help(run) -> None:  # type: ignore[no-untyped-def]
    from supervision_core.plugins import PluginHost, get_plugin_manager

    PluginHost(get_plugin_manager()).register_commands(cli)
    assert "--since YYYY-MM-DD" in run("access-log", "--help").output
    assert "%Y" not in run("export", "ledger", "--help").output
    # Click's own words in Chinese too: the usage line, the headings, the help option.
    page = run("issues", "--help").output
    assert page.startswith("用法：") and " issues [选项] 命令 [参数]..." in page.splitlines()[0]
    assert "选项：" in page and "命令：" in page and "显示本帮助并退出。" in page
    for english in ("Usage:", "Options:", "Commands:", "Show this message"):
        assert english not in page, english
    link = run("supervisors", "link-code", "--help").output
    assert "[默认：30]" in link and "default" not in link

    def leaves(group, path):  # type: ignore[no-untyped-def]
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from leaves(command, [*path, name])
            else:
                yield [*path, name], command

    for path, command in leaves(cli, []):
        for param in command.params:
            if param.name in ("format", "fmt", "limit"):
                assert getattr(param, "help", None), (path, param.name)


def test_shell_completion_is_clicks_own_and_documented(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "_SUPDESK_COMPLETE": "bash_source"}
    done = subprocess.run(
        [sys.executable, "-c", "from supervision_core.cli import main; main()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert "_SUPDESK_COMPLETE=bash_complete" in done.stdout, done.stderr
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "_SUPDESK_COMPLETE=bash_source supdesk" in doc


def test_init_writes_a_commented_configuration_and_says_where(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    first = run("init")
    assert first.exit_code == 0, first.output
    written = tmp_path / "supdesk.toml"
    assert f"已写入带注释的配置文件：{written}" in first.output
    text = written.read_text(encoding="utf-8")
    assert "# [[centers]]" in text and "docs/deployment.md" in text
    again = run("init")
    assert "已写入" not in again.output and written.read_text(encoding="utf-8") == text


def test_a_read_only_command_creates_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUPDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    runner = CliRunner()
    for args in (["issues", "list"], ["status"], ["supervisors", "list"], ["outbox", "list"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert "数据库文件" in result.output and "supdesk init" in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_the_demo_signs_in_four_roles_and_uses_wushenzhaos_policy(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    from supervision_core import load_settings

    done = run("init", "--demo")
    for username, where in (
        ("banner-desk", "/console"),
        ("wushenzhao-desk", "/console"),
        ("realty-window", "/unit"),
        ("banner-auditor", "/console"),
    ):
        line = next(x for x in done.output.splitlines() if x.strip().startswith(username))
        assert where in line
    users = {u["username"]: u for u in _json(run("users", "list", "--json"))}  # type: ignore[union-attr]
    assert users["realty-window"]["role"] == "unit" and users["realty-window"]["unit"] == "realty"
    assert users["banner-auditor"]["role"] == "auditor"
    settings = load_settings(tmp_path / "supdesk.toml")
    wushenzhao = settings.center("wushenzhao")
    assert wushenzhao is not None and wushenzhao.scoring_policy == "wushenzhao-2026"
    assert run("init", "--demo").exit_code == 0  # its own accounts do not make it "in use"
    evaluation = run("evaluate", "2026", "--center", "乌审召镇")
    assert evaluation.exit_code == 0, evaluation.output
    assert evaluation.output.startswith("乌审召镇便民服务中心 2026 年度监督员评估")
    assert "评分办法 乌审召镇" in evaluation.output and "（wushenzhao-2026）" in evaluation.output


def test_rejects_go_to_the_working_folder_not_the_inputs(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    import shutil

    run("init", "--demo")
    source = tmp_path / "source"
    source.mkdir()
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "hotline-export-gbk.csv"
    shutil.copy(example, source / "calls.csv")
    done = run("import", "calls", str(source / "calls.csv"))
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in source.iterdir()) == ["calls.csv"]
    rejects = tmp_path / "calls.csv.rejects.csv"
    assert rejects.exists() and f"被拒的行已写入 {rejects}" in done.output

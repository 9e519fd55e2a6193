"""``supdesk tasks`` and ``supdesk documents``, on both databases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from supervision_core import SHANGHAI
from supervision_core.cli import cli

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def run(supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.setenv("SUPDESK_ACTOR", "operator:cli-test")
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    assert invoke("init", "--demo").exit_code == 0
    return invoke


def _json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_tasks_add_list_and_show(run) -> None:  # type: ignore[no-untyped-def]
    # The command line runs on the real clock: the task's days are counted from today
    # (no working-day arithmetic is involved).
    today = dt.datetime.now(SHANGHAI).date()
    people = {s["name"]: s["id"] for s in _json(run("supervisors", "list", "--json"))}  # type: ignore[union-attr]
    bateer = str(people["巴特尔"])
    added = _json(
        run(
            "tasks",
            "add",
            "--center",
            "wushenzhao",
            "--kind",
            "inspection",
            "--place",
            "乌审召镇便民服务中心",
            "--service",
            "不动产登记",
            "--instructions",
            "咨询办理流程",
            "--from",
            str(today),
            "--to",
            str(today + dt.timedelta(days=7)),
            "--supervisor",
            bateer,
            "--supervisor",
            str(people["王建国"]),
            "--json",
        )
    )
    assert added["kind"] == "inspection" and added["created_by"] == "operator:cli-test"  # type: ignore[index]
    listing = run("tasks", "list", "--center", "wushenzhao")
    assert (
        "明察暗访" in listing.output
        and "待答复 2" in listing.output
        and "共 1 项" in listing.output
    )
    (item,) = _json(run("tasks", "list", "--center", "wushenzhao", "--open", "--json"))  # type: ignore[misc]
    assert [a["status"] for a in item["assignments"]] == ["assigned", "assigned"]
    assert "task" not in item["assignments"][0]
    shown = run("tasks", "show", str(added["id"]))  # type: ignore[index]
    assert "巴特尔" in shown.output and "咨询办理流程" in shown.output
    log = _json(run("access-log", "--json"))
    assert any(e["action"] == "view_task" for e in log)  # type: ignore[union-attr]
    assert "没有任务" in run("tasks", "list", "--center", "galutu").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "tasks",
                "add",
                "--center",
                "wushenzhao",
                "--kind",
                "inspection",
                "--place",
                "某地",
                "--service",
                "某事",
                "--from",
                "2026-03-02",
                "--to",
                "2026-03-01",
                "--supervisor",
                "3",
            ],
            "早于开始日期",
        ),
        (
            [
                "tasks",
                "add",
                "--center",
                "wushenzhao",
                "--kind",
                "inspection",
                "--place",
                "某地",
                "--service",
                "某事",
                "--from",
                "2020-03-02",
                "--to",
                "2030-03-01",
                "--supervisor",
                "4",
            ],
            "不属于",
        ),
        (["tasks", "show", "999"], "没有编号为 999 的任务"),
        (["documents", "withdraw", "999"], "没有编号为 999 的资料"),
    ],
)
def test_bad_input_is_one_chinese_line(run, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = run(*args)
    assert result.exit_code == 1 and message in result.output


def test_an_unknown_center_is_a_usage_error_naming_the_choices(run) -> None:  # type: ignore[no-untyped-def]
    result = run("tasks", "list", "--center", "nowhere")
    assert result.exit_code == 2
    assert "没有名为或代码为“nowhere”的服务中心" in result.output
    assert "乌审召镇便民服务中心（wushenzhao）" in result.output
    assert "Traceback" not in result.output


def test_documents_publish_list_withdraw(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "办法.pdf").write_bytes(PDF)
    (tmp_path / "病毒.pdf").write_bytes(b"MZ\x90\x00not a pdf")
    published = _json(
        run(
            "documents",
            "publish",
            str(tmp_path / "办法.pdf"),
            "--center",
            "banner",
            "--category",
            "rules",
            "--title",
            "监督员管理办法",
            "--json",
        )
    )
    assert published["media_type"] == "application/pdf" and published["size"] == len(PDF)  # type: ignore[index]
    refused = run(
        "documents",
        "publish",
        str(tmp_path / "病毒.pdf"),
        "--center",
        "banner",
        "--category",
        "rules",
        "--title",
        "假的",
    )
    assert refused.exit_code == 1 and "只收 PDF" in refused.output
    listing = run("documents", "list")
    assert "管理制度" in listing.output and "监督员管理办法" in listing.output
    assert "下载 0 次" in listing.output
    withdrawn = run("documents", "withdraw", str(published["id"]))  # type: ignore[index]
    assert withdrawn.exit_code == 0 and "已撤回" in withdrawn.output
    assert "资料库中没有资料" in run("documents", "list").output
    (again,) = _json(run("documents", "list", "--all", "--json"))  # type: ignore[misc]
    assert again["document"]["withdrawn_at"] and again["downloads"] == 0

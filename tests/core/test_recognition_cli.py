"""Field visits, reason six, commendation and the officer team from the command line.

On both databases; on the demo ledger (``init --demo``). Dates are in the past of any
run of these tests (2026), never the real date.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

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

    invoke("init", "--demo")
    return invoke


def _json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _number(run, state: str) -> str:  # type: ignore[no-untyped-def]
    issues = _json(run("issues", "list", "--json"))
    return next(i["number"] for i in issues if f"{i['state']}:{i['center']}" == state)  # type: ignore[union-attr]


def test_visits_are_recorded_listed_and_scored(run) -> None:  # type: ignore[no-untyped-def]
    recorded = _json(
        run(
            "activities", "record", "1", "--method", "明察暗访", "--venue", "旗政务服务大厅",
            "--date", "2026-11-20", "--task", "4", "--note", "窗口秩序良好", "--json",
        )
    )  # fmt: skip
    assert recorded["method"] == "inspection" and recorded["task_id"] == 4  # type: ignore[index]
    assert recorded["recorded_by"] == "operator:cli-test"  # type: ignore[index]
    listing = run("activities", "visits", "--supervisor", "1", "--year", "2026")
    assert (
        "明察暗访" in listing.output and "任务 #4" in listing.output and "共 1 条" in listing.output
    )
    bad = run(
        "activities", "record", "1", "--method", "forum", "--venue", "x", "--date", "2026-11-20"
    )
    assert bad.exit_code == 1 and "体验或暗访的方式只能是" in bad.output
    assert "Traceback" not in bad.output
    entries = _json(run("evaluate", "2026", "--center", "banner", "--json"))["entries"]  # type: ignore[index]
    wang = next(e for e in entries if e["name"] == "王建国")
    # the demo's 60 + 2 verified × 2 + 1 fix + 1 experience (an issue) = 66, and the
    # inspection that found nothing +1 = 67
    assert wang["score"]["total"] == 67
    (item,) = [i for i in wang["score"]["items"] if i["label"] == "办事体验记录"]
    assert f"体验#{recorded['id']}" in item["refs"]  # type: ignore[index]


def test_reason_six_needs_the_analysis_on_the_command_line(run) -> None:  # type: ignore[no-untyped-def]
    ref = _number(run, "received:sulide")
    refused = run("issues", "screen", ref, "--reject", "impractical", "--note", "感谢建议")
    assert refused.exit_code == 1 and "分析研判" in refused.output
    no_supervisor = run(
        "issues", "screen", ref, "--reject", "impractical", "--note", "感谢建议",
        "--analysis-date", "2026-11-20", "--participant", "管理部门:张主任", "--conclusion", "不可行",
    )  # fmt: skip
    assert no_supervisor.exit_code == 1 and "至少一名监督员" in no_supervisor.output
    done = run(
        "issues", "screen", ref, "--reject", "impractical", "--note", "感谢建议",
        "--analysis-date", "2026-11-20", "--participant", "管理部门:张主任",
        "--participant", "服务部门:李科长", "--participant", "监督员:2",
        "--conclusion", "该建议须修改上位法，暂不具备条件",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    shown = run("issues", "show", ref).output
    assert "分析研判：2026-11-20 经分析研判" in shown and "监督员 李秀英（#2）" in shown
    assert "该建议须修改上位法" in shown


def test_commendation_from_the_command_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document
    from pypdf import PdfReader

    missing = run("commendations", "certificates", "2026", "--center", "banner", "--pdf", "x.pdf")
    assert missing.exit_code == 1 and "尚无 2026 年度的表彰记录" in missing.output
    # 王建国: the demo's 66, a rule changed (+10), a suggestion adopted (+5), five visits
    # that found nothing (+5) = 86
    closed = _number(run, "closed:banner")
    for kind in ("rule_change", "adopted_suggestion"):
        assert run("issues", "finding", closed, "--kind", kind).exit_code == 0
    for day in ("2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"):
        assert (
            run(
                "activities", "record", "1", "--method", "simulated", "--venue", "大厅",
                "--date", day,
            ).exit_code
            == 0
        )  # fmt: skip
    evaluation = _json(run("evaluate", "2026", "--center", "banner", "--json", "--publish"))
    assert [e["name"] for e in evaluation["entries"] if e["excellent"]] == ["王建国"]  # type: ignore[index]
    recorded = run(
        "commendations", "record", "2026", "--center", "banner",
        "--number", "乌政服发〔2026〕12号", "--date", "2026-11-30",
    )  # fmt: skip
    assert recorded.exit_code == 0 and "王建国" in recorded.output
    again = run(
        "commendations", "record", "2026", "--center", "banner",
        "--number", "另一号", "--date", "2026-11-30",
    )  # fmt: skip
    assert again.exit_code == 1 and "已表彰" in again.output
    assert "乌政服发〔2026〕12号" in run("commendations", "list", "--year", "2026").output
    pdf = tmp_path / "证书.pdf"
    assert (
        run(
            "commendations", "certificates", "2026", "--center", "banner", "--pdf", str(pdf)
        ).exit_code
        == 0
    )
    (page,) = PdfReader(pdf).pages
    assert "王建国" in page.extract_text()
    notice_pdf, notice_docx = tmp_path / "通报.pdf", tmp_path / "通报.docx"
    made = run(
        "commendations", "notice", "2026", "--center", "banner",
        "--pdf", str(notice_pdf), "--docx", str(notice_docx),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "王建国" in "".join(p.extract_text() for p in PdfReader(notice_pdf).pages)
    assert "王建国。" in [p.text for p in Document(str(notice_docx)).paragraphs]


def test_the_officer_team_from_the_command_line(run) -> None:  # type: ignore[no-untyped-def]
    # 巴特尔 (#3) was hired by 乌审召镇; 王建国 (#1) is already an officer.
    refused = run("officers", "propose", "1", "--reason", "x")
    assert refused.exit_code == 1 and "只有苏木镇便民服务中心可以推荐" in refused.output
    proposed = _json(run("officers", "propose", "3", "--reason", "熟悉牧区政策", "--json"))
    rid = str(proposed["id"])  # type: ignore[index]
    assert "待旗中心决定" in run("officers", "list", "--status", "proposed").output
    neither = run("officers", "decide", rid)
    assert neither.exit_code == 1 and "请二选一" in neither.output
    no_reason = run("officers", "decide", rid, "--decline")
    assert no_reason.exit_code == 1 and "不予纳入必须写明理由" in no_reason.output
    assert "已纳入" in run("officers", "decide", rid, "--accept").output
    shown = run("supervisors", "show", "3").output
    assert "身份来源变更" in shown and "苏木镇聘用 → 体验官兼任" in shown

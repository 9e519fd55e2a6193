"""Printable documents, read back with independent readers and rendered to PNG."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from supervision_core.cli import cli
from supervision_core.documents.printable import find_cjk_font
from supervision_core.testing import require, skip_or_fail


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    try:
        find_cjk_font()
    except Exception as exc:
        skip_or_fail(f"no CJK font installed (scripts/setup installs fonts-wqy-microhei): {exc}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'd.db'}")
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    invoke("init", "--demo")
    return invoke


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _missing_glyphs(text: str) -> set[str]:
    from fontTools.ttLib import TTCollection, TTFont

    font_path = find_cjk_font()
    font = (
        TTCollection(str(font_path)).fonts[0]
        if font_path.suffix == ".ttc"
        else TTFont(str(font_path))
    )
    cmap = font.getBestCmap()
    return {ch for ch in text if not ch.isspace() and ord(ch) not in cmap}


def _render(pdf: Path, tmp_path: Path) -> list[Path]:
    require(shutil.which("pdftoppm"), "pdftoppm (poppler-utils) not installed")
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page-*.png"))


def test_briefing_pdf_and_docx_carry_the_json_figures(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    figures = json.loads(
        run(
            "briefing",
            "2026H2",
            "--center",
            "banner",
            "--pdf",
            "b.pdf",
            "--docx",
            "b.docx",
            "--add-opinion",
            "建议延长周六服务时间",
            "--json",
        ).output
    )
    text = _pdf_text(tmp_path / "b.pdf")
    assert "乌审旗政务服务中心" in text and "关于2026年下半年政务服务监督工作情况的通报" in text
    for expected in (
        f"本期共收到反馈 {figures['received']} 件",
        f"受理 {figures['accepted']} 件",
        f"以上合计 {figures['received']} 件，与收到件数 {figures['received']} 件一致",
        f"已办结 {figures['closed']} 件",
        "建议延长周六服务时间",
    ):
        assert expected in text.replace("\n", ""), expected
    assert _missing_glyphs(text) == set()
    pages = _render(tmp_path / "b.pdf", tmp_path)
    assert pages and all(p.stat().st_size > 5000 for p in pages)  # text and charts drawn, not blank
    document = Document(str(tmp_path / "b.docx"))
    body = "\n".join(p.text for p in document.paragraphs)
    assert f"本期共收到反馈 {figures['received']} 件" in body and "建议延长周六服务时间" in body
    assert len(document.inline_shapes) == 4  # the four charts
    months = dict(figures["by_month"])
    assert sum(months.values()) == figures["received"] and next(iter(months)) == "7月"


def test_evaluation_pdf_and_docx(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    data = json.loads(
        run(
            "evaluate", "2026", "--center", "banner", "--pdf", "e.pdf", "--docx", "e.docx", "--json"
        ).output
    )
    text = _pdf_text(tmp_path / "e.pdf").replace("\n", "")
    assert "（草稿，未发布）" in text  # a preview: `--publish` makes the official version
    for entry in data["entries"]:
        term = f"聘期 {entry['term_start']} 至 {entry['term_end']}"
        line = (
            f"第 {entry['rank']} 名  {entry['name']}  在职  {term}  {entry['score']['total']:g} 分"
        )
        assert line in text
    assert _missing_glyphs(text) == set()
    table = Document(str(tmp_path / "e.docx")).tables[0]
    assert [c.text for c in table.rows[0].cells][:3] == ["排名", "监督员", "状态"]
    first = data["entries"][0]
    assert [c.text for c in table.rows[1].cells] == [
        "1",
        first["name"],
        "在职",
        f"{first['term_start']} 至 {first['term_end']}",
        f"{first['score']['total']:g}",
        "合格",
        "",
    ]
    assert _render(tmp_path / "e.pdf", tmp_path)


def test_unit_copy_command(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    numbers = {
        i["state"] + ":" + i["center"]: i["number"]
        for i in json.loads(run("issues", "list", "--json").output)
    }
    text = run("issues", "unit-copy", numbers["rectifying:banner"]).output
    assert "派单通知" in text and "旗政务服务网" in text and "李秀英" not in text
    saved = run("issues", "unit-copy", numbers["rectifying:banner"], "--out", "copy.md").output
    assert saved.strip() == f"已写入派单通知：{tmp_path / 'copy.md'}"  # where, not the text
    assert (tmp_path / "copy.md").read_text(encoding="utf-8") == text
    ledger_file = run("export", "ledger", "--out", "台账.xlsx").output
    assert "已导出 7 件问题" in ledger_file

"""Printable documents: the semi-annual briefing and the annual evaluation, as PDF and DOCX.

Laid out like a government notice (title, issuing center, date, numbered sections).
Every figure and chart comes from the same ``Briefing`` or ``Evaluation`` value the
``--json`` output prints, so the paper and the data cannot disagree. Chinese needs a CJK
font: ``SUPDESK_CJK_FONT``, or one the install step provides (WenQuanYi Micro Hei or
Noto Sans CJK from Debian's packages).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

from supervision_core.documents.briefing import SUB, briefing_sections, briefing_title
from supervision_core.errors import ConfigError
from supervision_core.model.briefing import Briefing, Standing
from supervision_core.model.year import Evaluation

__all__ = [
    "briefing_charts",
    "briefing_pdf",
    "find_cjk_font",
    "write_briefing_docx",
    "write_briefing_pdf",
    "write_evaluation_docx",
    "write_evaluation_pdf",
]

_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def find_cjk_font() -> Path:
    """The CJK font documents are set in."""
    configured = os.environ.get("SUPDESK_CJK_FONT")
    for candidate in ([configured] if configured else []) + list(_FONTS):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    msg = (
        "找不到中文字体：请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei），"
        "或用环境变量 SUPDESK_CJK_FONT 指定字体文件"
    )
    raise ConfigError(msg)


def _chart(title: str, labels: list[str], values: list[int], font: Path) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    props = FontProperties(fname=str(font))
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    bars = ax.bar(labels or ["—"], values or [0], color="#B22222")
    ax.set_title(title, fontproperties=props)
    for label in ax.get_xticklabels():
        label.set_fontproperties(props)
    ax.bar_label(bars, labels=[str(v) for v in (values or [0])])
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    plt.close(fig)
    return buffer.getvalue()


def briefing_charts(b: Briefing, font: Path | None = None) -> list[tuple[str, bytes]]:
    """The briefing's four charts as PNG: by month, by problem type, by stage, on time."""
    font = font or find_cjk_font()
    specs = [
        ("按月份统计的反馈问题", b.by_month),
        ("按问题类型统计", b.problem_types),
        ("按办理环节统计", b.stages),
        (
            "受理问题整改情况",
            [
                (Standing.ON_TIME.label, sum(r.on_time for r in b.rectification)),
                (Standing.LATE.label, sum(r.late for r in b.rectification)),
                (Standing.OPEN.label, sum(r.open for r in b.rectification)),
                (Standing.OPEN_OVERDUE.label, sum(r.open_overdue for r in b.rectification)),
            ],
        ),
    ]
    return [
        (title, _chart(title, [k for k, _ in data], [v for _, v in data], font))
        for title, data in specs
    ]


def _issued(today: dt.date) -> str:
    return f"{today.year}年{today.month}月{today.day}日"


class _Notice:
    """A page set like a government notice, in fpdf2."""

    def __init__(self, font: Path) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(25, 25, 25)
        self.pdf.set_auto_page_break(True, margin=22)
        self.pdf.add_font("CJK", "", str(font))
        self.pdf.add_page()

    def heading(self, issuer: str, title: str) -> None:
        pdf = self.pdf
        pdf.set_font("CJK", size=20)
        pdf.set_text_color(178, 34, 34)
        pdf.multi_cell(0, 12, issuer, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(178, 34, 34)
        pdf.set_line_width(0.8)
        pdf.line(25, pdf.get_y() + 2, 185, pdf.get_y() + 2)
        pdf.ln(8)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("CJK", size=16)
        pdf.multi_cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

    def section(self, title: str, lines: list[str]) -> None:
        pdf = self.pdf
        pdf.set_font("CJK", size=13)
        pdf.multi_cell(0, 9, title, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("CJK", size=11)
        for line in lines:
            # Left-aligned: justifying stretches the spaces around numbers in Chinese text.
            # An item under the line before it (documents.briefing.SUB) is set further in.
            pdf.set_x(pdf.l_margin + (16 if line.startswith(SUB) else 8))
            pdf.multi_cell(0, 7, line.lstrip(), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def image(self, png: bytes) -> None:
        self.pdf.image(io.BytesIO(png), w=150, x=30)
        self.pdf.ln(2)

    def sign(self, issuer: str, on: dt.date) -> None:
        pdf = self.pdf
        pdf.ln(8)
        pdf.set_font("CJK", size=12)
        pdf.multi_cell(0, 8, issuer, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 8, _issued(on), align="R", new_x="LMARGIN", new_y="NEXT")

    def save(self, path: Path) -> Path:
        self.pdf.output(str(path))
        return path

    def content(self) -> bytes:
        return bytes(self.pdf.output())


def _briefing_notice(b: Briefing, on: dt.date, font: Path | None) -> _Notice:
    font = font or find_cjk_font()
    notice = _Notice(font)
    notice.heading(b.center_name, briefing_title(b))
    for title, lines in briefing_sections(b):
        notice.section(title, lines)
    notice.section("附：统计图", [])
    for _title_text, png in briefing_charts(b, font):
        notice.image(png)
    notice.sign(b.center_name, on)
    return notice


def briefing_pdf(b: Briefing, *, on: dt.date, font: Path | None = None) -> bytes:
    """The briefing as a PDF notice, with its four charts, as bytes (to send)."""
    return _briefing_notice(b, on, font).content()


def write_briefing_pdf(
    b: Briefing, path: str | Path, *, on: dt.date, font: Path | None = None
) -> Path:
    """The briefing as a PDF notice, with its four charts."""
    return _briefing_notice(b, on, font).save(Path(path))


def _docx_document(font_name: str) -> Any:
    from docx import Document
    from docx.oxml.ns import qn

    document = Document()
    style = document.styles["Normal"]
    style.font.name = font_name
    style.element.rPr.rFonts.set(qn("w:eastAsia"), font_name)  # Chinese text uses it too
    return document


def write_briefing_docx(b: Briefing, path: str | Path, *, on: dt.date) -> Path:
    """The briefing as an editable DOCX (offices edit before sending), with its charts."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt, RGBColor

    document = _docx_document("宋体")
    issuer = document.add_paragraph()
    issuer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = issuer.add_run(b.center_name)
    run.font.size, run.font.color.rgb, run.bold = Pt(20), RGBColor(0xB2, 0x22, 0x22), True
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(briefing_title(b)).font.size = Pt(16)
    for heading, lines in briefing_sections(b):
        document.add_paragraph().add_run(heading).bold = True
        for line in lines:
            paragraph = document.add_paragraph(line.lstrip())
            if line.startswith(SUB):
                paragraph.paragraph_format.left_indent = Pt(24)
    document.add_paragraph().add_run("附：统计图").bold = True
    for _t, png in briefing_charts(b):
        document.add_picture(io.BytesIO(png), width=Inches(5.8))
    for text in (b.center_name, _issued(on)):
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    target = Path(path)
    document.save(str(target))
    return target


def _evaluation_lines(e: Evaluation) -> list[str]:
    lines = []
    for x in e.entries:
        lines.append(
            f"第 {x.rank} 名  {x.name}  {x.status.label}  聘期 {x.term_start or '—'} 至 "
            f"{x.term_end or '—'}  {x.score.total:g} 分  {x.score.band.label}"
            + ("  优秀监督员" if x.excellent else "")
            + (f"（{x.tie_note}）" if x.tie_note else "")
        )
        lines += [f"    ※ {flag}" for flag in x.flags]  # WenQuanYi has no ⚑
    return lines


def _evaluation_title(e: Evaluation) -> str:
    which = f"第 {e.version} 版" if e.published else "草稿，未发布"
    return f"关于{e.year}年度政务服务监督员评估评价结果的通报（{which}）"


def write_evaluation_pdf(
    e: Evaluation,
    path: str | Path,
    *,
    center_name: str,
    on: dt.date,
    font: Path | None = None,
    policy_name: str | None = None,
) -> Path:
    """The annual evaluation as a PDF notice.

    ``policy_name`` is the scoring policy's Chinese name (``Vocabulary.policy_name``);
    without it the notice shows the policy's code.
    """
    notice = _Notice(font or find_cjk_font())
    notice.heading(center_name, _evaluation_title(e))
    excellent = "、".join(x.name for x in e.excellent) or "无"
    notice.section(
        "一、评估情况",
        [
            f"参评监督员 {len(e.entries)} 名，评分办法：{policy_name or e.policy}。优秀名额 {e.quota} 名"
            f"（不超过参评人数的 {e.quota_ratio:.0%}，向下取整，至少 1 名）。",
            f"{e.year}年度优秀监督员：{excellent}。",
        ],
    )
    notice.section("二、评估结果", _evaluation_lines(e))
    notice.sign(center_name, on)
    return notice.save(Path(path))


def write_evaluation_docx(
    e: Evaluation,
    path: str | Path,
    *,
    center_name: str,
    on: dt.date,
    policy_name: str | None = None,
) -> Path:
    """The annual evaluation as an editable DOCX, with a results table."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = _docx_document("宋体")
    head = document.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.add_run(center_name).font.size = Pt(20)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(_evaluation_title(e)).font.size = Pt(16)
    document.add_paragraph(
        f"参评监督员 {len(e.entries)} 名，评分办法：{policy_name or e.policy}，"
        f"优秀名额 {e.quota} 名；{e.year}年度优秀监督员："
        f"{'、'.join(x.name for x in e.excellent) or '无'}。"
    )
    table = document.add_table(rows=1, cols=7)
    for cell, text in zip(
        table.rows[0].cells,
        ("排名", "监督员", "状态", "聘期", "总分", "等次", "优秀"),
        strict=True,
    ):
        cell.text = text
    for x in e.entries:
        cells = table.add_row().cells
        for cell, text in zip(
            cells,
            (
                str(x.rank),
                x.name,
                x.status.label,
                f"{x.term_start or '—'} 至 {x.term_end or '—'}",
                f"{x.score.total:g}",
                x.score.band.label,
                "是" if x.excellent else "",
            ),
            strict=True,
        ):
            cell.text = text
    for text in (center_name, _issued(on)):
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    target = Path(path)
    document.save(str(target))
    return target

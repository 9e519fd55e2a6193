"""The commendation's papers: a certificate (荣誉证书) per supervisor and the notice (表彰通报).

Made from the :class:`~supervision_core.model.recognition.Commendation` records, so the
paper names exactly who was commended, by which decision (文号). Set in the CJK font of
:func:`~supervision_core.documents.printable.find_cjk_font`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from supervision_core.documents.printable import _docx_document, _issued, _Notice, find_cjk_font
from supervision_core.errors import InvalidInput
from supervision_core.model.recognition import Commendation

__all__ = [
    "certificate_text",
    "commendation_certificates_pdf",
    "commendation_notice_docx",
    "commendation_notice_pdf",
]


def _check(commended: Sequence[Commendation]) -> Commendation:
    if not commended:
        msg = "没有表彰记录，无法生成证书或通报"
        raise InvalidInput(msg)
    return commended[0]


def certificate_text(c: Commendation) -> str:
    """The certificate's body, for one commended supervisor."""
    return (
        f"{c.name}同志：在{c.year}年度政务服务监督工作中表现突出，"
        "被评为优秀政务服务监督员，特发此证，以资鼓励。"
    )


def commendation_certificates_pdf(
    commended: Sequence[Commendation], *, center_name: str, font: Path | None = None
) -> bytes:
    """The certificates (荣誉证书) as one PDF, one landscape page per supervisor."""
    from fpdf import FPDF

    _check(commended)
    pdf = FPDF(orientation="L", format="A4")
    pdf.add_font("CJK", "", str(font or find_cjk_font()))
    pdf.set_auto_page_break(False)
    for c in commended:
        pdf.add_page()
        pdf.set_draw_color(178, 34, 34)
        pdf.set_line_width(2)
        pdf.rect(12, 12, 273, 186)
        pdf.set_line_width(0.6)
        pdf.rect(17, 17, 263, 176)
        pdf.set_text_color(178, 34, 34)
        pdf.set_font("CJK", size=40)
        pdf.set_xy(20, 38)
        pdf.cell(257, 20, "荣 誉 证 书", align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("CJK", size=28)
        pdf.set_xy(20, 75)
        pdf.cell(257, 16, c.name, align="C")
        pdf.set_font("CJK", size=16)
        pdf.set_xy(45, 102)
        pdf.multi_cell(207, 11, certificate_text(c), align="L")
        pdf.set_font("CJK", size=14)
        pdf.set_xy(150, 150)
        pdf.cell(110, 9, center_name, align="R")
        pdf.set_xy(150, 160)
        pdf.cell(110, 9, _issued(c.decided_on), align="R")
        pdf.set_font("CJK", size=11)
        pdf.set_xy(30, 172)
        pdf.cell(120, 8, f"表彰决定：{c.decision_number}", align="L")
    return bytes(pdf.output())


def _notice_title(c: Commendation) -> str:
    return f"关于表彰{c.year}年度优秀政务服务监督员的通报"


def _notice_lines(commended: Sequence[Commendation], center_name: str) -> list[str]:
    first = commended[0]
    return [
        f"{first.year}年度，全体政务服务监督员认真履行职责，积极反馈问题、建言献策。"
        f"经年度评估评价，{center_name}决定对以下{len(commended)}名表现突出的监督员"
        "予以通报表彰，授予“优秀政务服务监督员”称号：",
        "、".join(c.name for c in commended) + "。",
        "希望受表彰的同志珍惜荣誉、再接再厉；全体监督员以先进为榜样，"
        "共同推动政务服务质量持续提升。",
    ]


def commendation_notice_pdf(
    commended: Sequence[Commendation], *, center_name: str, font: Path | None = None
) -> bytes:
    """The commendation notice (表彰通报) listing the commended supervisors, as a PDF."""
    first = _check(commended)
    notice = _Notice(font or find_cjk_font())
    notice.heading(center_name, _notice_title(first))
    notice.section(first.decision_number, _notice_lines(commended, center_name))
    notice.sign(center_name, first.decided_on)
    return notice.content()


def commendation_notice_docx(
    commended: Sequence[Commendation], path: str | Path, *, center_name: str
) -> Path:
    """The commendation notice as an editable DOCX."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    first = _check(commended)
    document = _docx_document("宋体")
    head = document.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(center_name)
    run.font.size, run.font.color.rgb, run.bold = Pt(20), RGBColor(0xB2, 0x22, 0x22), True
    document.add_paragraph(first.decision_number).alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(_notice_title(first)).font.size = Pt(16)
    for line in _notice_lines(commended, center_name):
        document.add_paragraph(line)
    for text in (center_name, _issued(first.decided_on)):
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    target = Path(path)
    document.save(str(target))
    return target

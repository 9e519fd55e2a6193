"""The dispatch notice (派单通知) a unit prints: PDF and DOCX, from the unit's view only.

Laid out like the center's other printable documents (:mod:`.printable`): the issuing
center, the title, the unit addressed, then every fact in its own place. Whatever the
report said stays inside its field: the short facts (number, dates, unit, deadline) are
cells of a table set before any free text, and each free text (the description, the
measures, the progress, the evidence) is a framed box under its own label, so a
description cannot add a line that passes for the notice's own ("期限：2099-12-31").
Characters that could reorder or hide text (controls, bidirectional overrides) are
dropped. The view is already redacted (:func:`~supervision_core.rules.disclosure.unit_view`):
nothing here names the supervisor.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from supervision_core.documents.printable import _docx_document, _issued, _Notice, find_cjk_font
from supervision_core.model.issues import UnitView

__all__ = ["dispatch_notice_docx", "dispatch_notice_fields", "dispatch_notice_pdf"]

TITLE = "派单通知"
# C0/C1 controls but newline, bidirectional embeddings, overrides and isolates, and
# what XML 1.0 cannot carry.
_UNPRINTABLE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]"
)
_LONG = 80  # a "short" fact longer than this is set as a framed text instead


def _clean(text: str) -> str:
    return _UNPRINTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))


def _due(view: UnitView) -> str:
    if view.due_on is None:
        return "按规定期限"
    due = f"{view.due_on.year}年{view.due_on.month}月{view.due_on.day}日"
    return due if view.due_confirmed else due + "（节假日安排未确认，以中心通知为准）"


def dispatch_notice_fields(
    view: UnitView, *, unit_name: str | None = None
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The notice's facts ``(label, value)``: the short ones for the table, the free texts."""
    facts = [
        ("问题编号", view.number),
        (
            "反馈日期",
            f"{view.received_on.year}年{view.received_on.month}月{view.received_on.day}日",
        ),
        ("责任单位", unit_name or view.unit or "—"),
        ("责任人", view.responsible_person or "—"),
        ("整改期限", _due(view)),
        ("办理状态", view.state.label),
    ]
    if view.hints.problem_type:
        facts.append(("问题类型", view.hints.problem_type.label))
    if view.track:
        facts.append(("整改方式", view.track.label))
    texts = [("问题描述", view.text)]
    if view.hints.venue:
        texts.insert(0, ("涉及场所", view.hints.venue))
    if view.measures:
        texts.append(("整改措施", view.measures))
    if view.progress:
        texts.append(
            ("整改进展", "\n".join(f"{n}. {p}" for n, p in enumerate(view.progress, start=1)))
        )
    if view.evidence:
        texts.append(("整改结果及佐证", view.evidence))
    if view.explanation:
        texts.append(("说明", view.explanation))
    if view.files:
        texts.append(("附件", "、".join(f.filename for f in view.files)))
    # A short fact stays in the table only while it is short.
    long = [(k, v) for k, v in facts if len(v) > _LONG]
    facts = [(k, _clean(v)) for k, v in facts if len(v) <= _LONG]
    return facts, [(k, _clean(v)) for k, v in long + texts]


def _lead(view: UnitView, center_name: str, unit_name: str | None) -> tuple[str, str]:
    return (
        f"{_clean(unit_name or view.unit or '责任单位')}：",
        f"{_clean(center_name)}收到政务服务监督员反馈的问题，经审查予以受理，现派至你单位办理。"
        "请按下列事项确定整改方式、落实整改，并于整改期限前通过承办单位页面报送整改进展和结果。",
    )


def dispatch_notice_pdf(
    view: UnitView,
    *,
    center_name: str,
    unit_name: str | None = None,
    on: dt.date,
    font: Path | None = None,
) -> bytes:
    """The dispatch notice as a printable PDF."""
    facts, texts = dispatch_notice_fields(view, unit_name=unit_name)
    notice = _Notice(font or find_cjk_font())
    notice.heading(_clean(center_name), TITLE)
    pdf = notice.pdf
    pdf.set_draw_color(0, 0, 0)  # the heading's rule is red; the table and boxes are not
    pdf.set_line_width(0.2)
    salutation, lead = _lead(view, center_name, unit_name)
    pdf.set_font("CJK", size=12)
    pdf.multi_cell(0, 8, salutation, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 8, lead, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("CJK", size=11)
    with pdf.table(
        col_widths=(32, 128), first_row_as_headings=False, line_height=7, text_align="LEFT"
    ) as table:
        for label, value in facts:
            row = table.row()
            row.cell(label)
            row.cell(value)
    for label, value in texts:
        pdf.ln(3)
        pdf.set_font("CJK", size=12)
        pdf.multi_cell(0, 8, f"{label}：", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("CJK", size=11)
        # A framed box: the text is inside the frame, whatever lines it has.
        pdf.multi_cell(0, 7, value or "—", border=1, padding=2, new_x="LMARGIN", new_y="NEXT")
    notice.sign(_clean(center_name), on)
    return bytes(pdf.output())


def dispatch_notice_docx(
    view: UnitView, *, center_name: str, unit_name: str | None = None, on: dt.date
) -> bytes:
    """The dispatch notice as an editable DOCX: every fact and text in a cell of one table."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    facts, texts = dispatch_notice_fields(view, unit_name=unit_name)
    document = _docx_document("宋体")
    properties = document.core_properties
    properties.author = properties.last_modified_by = _clean(center_name)
    properties.title = f"{TITLE}（{view.number}）"
    properties.comments = properties.keywords = properties.subject = ""
    issuer = document.add_paragraph()
    issuer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = issuer.add_run(_clean(center_name))
    run.font.size, run.font.color.rgb, run.bold = Pt(20), RGBColor(0xB2, 0x22, 0x22), True
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(TITLE).font.size = Pt(16)
    salutation, lead = _lead(view, center_name, unit_name)
    document.add_paragraph(salutation)
    document.add_paragraph(lead).paragraph_format.first_line_indent = Pt(24)
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in [*facts, *texts]:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(3.2), Cm(12.8)
        cells[0].paragraphs[0].add_run(label).bold = True
        # One paragraph a line, all inside the cell: the table keeps them in their place.
        lines = (value or "—").split("\n")
        cells[1].paragraphs[0].add_run(lines[0])
        for line in lines[1:]:
            cells[1].add_paragraph(line)
    for text in (_clean(center_name), _issued(on)):
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

"""The annual evaluation as a workbook a center can print (openpyxl)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from supervision_core.model.year import Evaluation

__all__ = ["write_evaluation_xlsx"]

_HEADER = [
    "排名",
    "监督员",
    "状态",
    "聘期",
    "总分",
    "等次",
    "优秀监督员",
    "提示（须审查等）",
    "得分明细",
    "并列说明",
]


def write_evaluation_xlsx(
    evaluation: Evaluation, path: str | Path, *, center_name: str, policy_name: str | None = None
) -> Path:
    """Write ``evaluation`` to ``path``: a title, a frozen header, one row a supervisor.

    ``policy_name`` is the scoring policy's Chinese name (``Vocabulary.policy_name``);
    without it the workbook shows the policy's code.
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{evaluation.year}年度评估"
    which = (
        f"第 {evaluation.version} 版{'' if evaluation.official else '，已被取代'}"
        if evaluation.published
        else "草稿，未发布"
    )
    title = f"{center_name}{evaluation.year}年度政务服务监督员评估评价（{which}）"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(_HEADER))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(
        [
            f"评分办法：{policy_name or evaluation.policy}；优秀名额：{evaluation.quota} 名（不超过参评人数的 "
            f"{evaluation.quota_ratio:.0%}，向下取整，至少 1 名；已取消资格、暂停的不占名额）；"
            f"{'发布' if evaluation.published else '生成'}：{evaluation.actor} "
            f"{evaluation.published_at:%Y-%m-%d %H:%M} UTC"
        ]
    )
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(_HEADER))
    sheet.append(_HEADER)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    highlight = PatternFill("solid", fgColor="FFF2CC")
    for entry in evaluation.entries:
        details = "；".join(
            f"{i.label} {i.points:+g}" if i.label != "基础分" else f"基础分 {i.points:g}"
            for i in entry.score.items
        )
        sheet.append(
            [
                entry.rank,
                entry.name,
                entry.status.label,
                f"{entry.term_start or '—'} 至 {entry.term_end or '—'}",
                entry.score.total,
                entry.score.band.label,
                "是" if entry.excellent else "",
                "；".join(entry.flags),
                details,
                entry.tie_note or "",
            ]
        )
        if entry.excellent:
            for cell in sheet[sheet.max_row]:
                cell.fill = highlight
    sheet.freeze_panes = "A4"
    widths = (6, 12, 12, 24, 8, 10, 10, 40, 70, 36)
    for letter, width in zip("ABCDEFGHIJ", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.print_title_rows = "3:3"
    target = Path(path)
    book.save(target)
    return target

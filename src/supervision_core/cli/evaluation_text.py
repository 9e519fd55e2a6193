"""The annual evaluation at the command line: its lines of text, and its files.

The workbook, PDF and DOCX writers load only when a command writes one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from supervision_core.cli.output import pad

if TYPE_CHECKING:
    from supervision_core.model.vocabulary import Vocabulary
    from supervision_core.model.year import Evaluation

__all__ = ["evaluation_lines", "write_evaluation"]


def evaluation_lines(e: Evaluation, vocabulary: Vocabulary) -> list[str]:
    """An evaluation as the lines ``evaluate`` and ``evaluations show`` print."""
    from supervision_core.model.year import TIE_RULES

    if not e.published:
        which = "预览，未发布"
    else:
        which = f"第 {e.version} 版，{'正式版本' if e.official else '已被后续版本取代'}"
    lines = [
        f"{vocabulary.center(e.center)} {e.year} 年度监督员评估"
        f"（{which}，评分办法 {vocabulary.policy(e.policy)}，"
        f"优秀名额 {e.quota} 名，并列规则：{' > '.join(TIE_RULES[r][0] for r in e.tie_rule)}）"
    ]
    if e.published and e.supersedes is not None:
        lines.append(f"  取代评估 #{e.supersedes}，理由：{e.reason or '—'}")
    if not e.entries:
        lines.append("  （本年度没有参评的监督员）")
    for entry in e.entries:
        star = " ★优秀" if entry.excellent else ""
        tie = f"  （{entry.tie_note}）" if entry.tie_note else ""
        term = f"{entry.term_start or '—'} 至 {entry.term_end or '—'}"
        lines.append(
            f"{entry.rank:>3}. {pad(entry.name, 12)} {pad(entry.status.label, 10)} "
            f"{entry.score.total:>6g}  {pad(entry.score.band.label, 8)}  聘期 {term}{star}{tie}"
        )
        lines += [f"       ⚑ {flag}" for flag in entry.flags]
    if not e.published:
        lines.append("这是预览，没有保存。确认无误后加 --publish 发布正式版本。")
    return lines


def write_evaluation(
    kind: str,
    evaluation: Evaluation,
    target: Path,
    *,
    vocabulary: Vocabulary,
    on: dt.date,
) -> Path:
    """Write ``evaluation`` as ``kind`` (xlsx, pdf, docx) to ``target``; its full path.

    The center and the scoring policy by their Chinese names, from ``vocabulary``.
    """
    center_name = vocabulary.center(evaluation.center)
    policy_name = vocabulary.policy_name(evaluation.policy)
    if kind == "xlsx":
        from supervision_core.documents.evaluation_workbook import write_evaluation_xlsx

        write_evaluation_xlsx(evaluation, target, center_name=center_name, policy_name=policy_name)
        return target.resolve()
    from supervision_core.documents.printable import write_evaluation_docx, write_evaluation_pdf

    write = write_evaluation_pdf if kind == "pdf" else write_evaluation_docx
    write(evaluation, target, center_name=center_name, on=on, policy_name=policy_name)
    return target.resolve()

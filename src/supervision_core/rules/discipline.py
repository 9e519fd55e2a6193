"""Discipline as the notice orders it (四（三）): who is to be considered for revocation.

批评教育 first; revocation for those who, admonished, still do not correct themselves
(a new breach after an admonition). A confidentiality breach or an unlawful act
(a referral) is always listed for review, whatever came before. Pure: the store
gathers the records and the breaches, this says which ones count and why, in Chinese.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from supervision_core.model.year import DisciplineKind, DisciplineRecord

__all__ = ["discipline_reasons"]


def discipline_reasons(
    records: Sequence[DisciplineRecord], false_reports: Sequence[tuple[dt.date, str]] = ()
) -> tuple[list[str], bool]:
    """The reasons one supervisor's discipline gives for a revocation review, and if it is due.

    ``records`` are the supervisor's discipline records; ``false_reports`` the reports
    found false, as (date received, issue number). A review is due when a confidentiality
    breach or a referral was recorded, or when a breach (a later record of any kind, or a
    report found false) came after an admonition. One admonition alone is not a reason.
    """
    ordered = sorted(records, key=lambda r: (r.on, r.id))
    reasons: list[str] = []
    for r in ordered:
        if r.kind.always_reviewed:
            reasons.append(f"{r.kind.label}（{r.on}，处理#{r.id}），须审查")
    admonitions = [r for r in ordered if r.kind is DisciplineKind.ADMONITION]
    if admonitions:
        first = admonitions[0]
        later = [
            f"{r.kind.label}（{r.on}，处理#{r.id}）"
            for r in ordered
            if (r.on, r.id) > (first.on, first.id)
        ]
        later += [
            f"反馈不实（{on}，{number}）" for on, number in sorted(false_reports) if on > first.on
        ]
        if later:
            reasons.append(
                f"经批评教育（{first.on}，处理#{first.id}）后仍有违反义务的行为：{'；'.join(later)}"
            )
    return reasons, bool(reasons)

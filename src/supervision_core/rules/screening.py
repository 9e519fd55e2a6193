"""Screening checks: advice on whether a new report falls under a not-accepted reason.

A check only proposes; the operator decides (受理审查 is a person's judgement). The
built-in checks below are registered as a default plugin, through the same hook a
township package uses.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from supervision_core.hookspecs import hookimpl
from supervision_core.model.issues import NotAcceptedReason
from supervision_core.model.reports import Report
from supervision_core.model.screening import ScreeningProposal
from supervision_core.rules.masking import mask_id_number

if TYPE_CHECKING:
    from supervision_core.registries import CheckRegistry

__all__ = [
    "check_id_numbers",
    "check_legal_procedure",
    "check_petition",
    "check_substance",
    "valid_id_number",
]


_LEGAL_WORDS = (
    "诉讼",
    "起诉",
    "上诉",
    "法院",
    "仲裁",
    "纪检",
    "监察委",
    "行政复议",
    "政府信息公开申请",
    "依申请公开",
)
_PETITION_WORDS = ("信访", "上访", "信访局", "信访件")
_MIN_MEANINGFUL = 6
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _context(text: str, start: int, end: int, width: int = 12) -> str:
    return text[max(0, start - width) : end + width].replace("\n", " ")


def _find_words(text: str, words: tuple[str, ...]) -> list[tuple[str, str]]:
    found = []
    for word in words:
        at = text.find(word)
        if at >= 0:
            found.append((word, _context(text, at, at + len(word))))
    return found


def check_legal_procedure(report: Report) -> ScreeningProposal | None:
    """Words that point to litigation, arbitration, discipline or disclosure procedures."""
    found = _find_words(report.text, _LEGAL_WORDS)
    if not found:
        return None
    evidence = "；".join(f"“{w}”：…{ctx}…" for w, ctx in found)
    return ScreeningProposal(NotAcceptedReason.LEGAL_PROCEDURE, evidence)


def check_petition(report: Report) -> ScreeningProposal | None:
    """Words that say the matter is already in the petition (信访) channel."""
    found = _find_words(report.text, _PETITION_WORDS)
    if not found:
        return None
    evidence = "；".join(f"“{w}”：…{ctx}…" for w, ctx in found)
    return ScreeningProposal(NotAcceptedReason.PETITION, evidence)


def check_substance(report: Report) -> ScreeningProposal | None:
    """Empty or nearly empty text, or text with no letters at all (unintelligible)."""
    if report.attachments:
        return None
    meaningful = 0
    for ch in report.text:  # stop as soon as there is enough: most reports are long
        if unicodedata.category(ch)[0] in "LN":
            meaningful += 1
            if meaningful >= _MIN_MEANINGFUL:
                return None
    shown = report.text.strip()[:40] or "（空）"
    return ScreeningProposal(
        NotAcceptedReason.NO_SUBSTANCE,
        f"正文仅有 {meaningful} 个有效字符：{shown}",
    )


def valid_id_number(value: str) -> bool:
    """Whether ``value`` is an 18-character resident ID number with a valid check digit."""
    if not re.fullmatch(r"\d{17}[\dXx]", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def check_id_numbers(report: Report) -> ScreeningProposal | None:
    """Personal ID numbers in the text: personal privacy (the evidence is masked)."""
    found = [m.group(1) for m in _ID_NUMBER.finditer(report.text) if valid_id_number(m.group(1))]
    if not found:
        return None
    masked = "、".join(mask_id_number(v) for v in found)
    return ScreeningProposal(
        NotAcceptedReason.CONFIDENTIAL, f"正文含身份证号码 {len(found)} 个：{masked}"
    )


@hookimpl
def supervision_register_screening_checks(register: CheckRegistry) -> None:
    """Register the built-in checks."""
    register.add("substance", check_substance)
    register.add("legal_procedure", check_legal_procedure)
    register.add("petition", check_petition)
    register.add("id_numbers", check_id_numbers)

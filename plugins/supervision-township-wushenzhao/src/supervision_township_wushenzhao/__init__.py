"""乌审召镇's supervision-desk plugin: its scoring policy and a screening check."""

from __future__ import annotations

import re

import attrs

from supervision_core import (
    CheckRegistry,
    DefaultPolicy,
    NotAcceptedReason,
    PolicyRegistry,
    Report,
    Score,
    ScreeningProposal,
    SupervisorYear,
    hookimpl,
)

__all__ = ["WushenzhaoPolicy", "check_bank_card_numbers", "luhn_valid"]

_CARD = re.compile(r"(?<!\d)(\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?:[ -]?\d{1,3})?)(?!\d)")


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` passes the Luhn check that bank card numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _mask_card(digits: str) -> str:
    return f"{digits[:4]} **** **** {digits[-4:]}"


def check_bank_card_numbers(report: Report) -> ScreeningProposal | None:
    """Bank card numbers in the text: personal privacy (evidence masked)."""
    found = []
    for match in _CARD.finditer(report.text):
        digits = re.sub(r"\D", "", match.group(1))
        if 16 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(_mask_card(digits))
    if not found:
        return None
    return ScreeningProposal(
        NotAcceptedReason.CONFIDENTIAL,
        f"正文含银行卡号 {len(found)} 个：{'、'.join(found)}（涉及个人隐私，建议请监督员删去后重新反馈）",
    )


# Immutable, so one instance can be every policy's default.
_TABLE = DefaultPolicy(
    label="乌审召镇监督员评分办法（2026）",
    base=60,
    per_verified_report=4,
    per_fix=2,
    per_adopted_suggestion=6,
    per_activity=4,
    per_service_experience=2,
    service_experience_cap=12,
    per_unexcused_absence=-6,
    excellent_from=80,
)


@attrs.frozen(kw_only=True)
class WushenzhaoPolicy:
    """乌审召镇's table: fewer reports a year, so each one and each activity weighs more."""

    label: str = "乌审召镇监督员评分办法（2026）"
    table: DefaultPolicy = _TABLE

    def score(self, year: SupervisorYear) -> Score:
        """Score ``year`` with the township's table."""
        return self.table.score(year)


@hookimpl
def supervision_register_scoring_policies(register: PolicyRegistry) -> None:
    """Register ``wushenzhao-2026``."""
    register.add("wushenzhao-2026", WushenzhaoPolicy())


@hookimpl
def supervision_register_screening_checks(register: CheckRegistry) -> None:
    """Register ``bank_card_numbers``."""
    register.add("bank_card_numbers", check_bank_card_numbers)

"""Scoring a supervisor's year: the built-in default policy (values in ``model.scoring``).

The default policy is itself a plugin (it registers through the same hook a
township package uses), so a township's policy is a peer of it, not a special case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from supervision_core.hookspecs import hookimpl
from supervision_core.model.scoring import Band, Score, ScoreItem, SupervisorYear

if TYPE_CHECKING:
    from supervision_core.registries import PolicyRegistry

__all__ = ["DefaultPolicy", "supervision_register_scoring_policies"]


@attrs.frozen(kw_only=True)
class DefaultPolicy:
    """The default points table of DOMAIN.md; every number is a setting."""

    label: str = "默认评分办法"
    base: float = 60
    per_verified_report: float = 2
    per_fix: float = 1
    per_adopted_suggestion: float = 5
    per_rule_change: float = 10
    per_activity: float = 3
    per_service_experience: float = 1
    service_experience_cap: float = 10
    per_unexcused_absence: float = -5
    per_false_report: float = -10
    per_confidentiality_breach: float = -20
    excellent_from: float = 85
    satisfactory_from: float = 60

    def score(self, year: SupervisorYear) -> Score:
        """Score ``year`` with this table."""
        items = [ScoreItem("基础分", self.base)]

        def add(label: str, refs: tuple[str, ...], each: float, cap: float | None = None) -> None:
            if refs:
                points = each * len(refs)
                if cap is not None:
                    points = min(points, cap)
                items.append(ScoreItem(label, points, refs))

        add("反馈问题经核实", year.verified_reports, self.per_verified_report)
        add("反馈问题促成整改", year.led_to_fix, self.per_fix)
        add("意见建议被采纳", year.adopted_suggestions, self.per_adopted_suggestion)
        add("推动制度或流程改进", year.rule_changes, self.per_rule_change)
        add("参加集中体验、座谈", year.activities_attended, self.per_activity)
        add(
            "办事体验记录",
            # A visit that found nothing is a recorded experience too: one cap for both.
            year.service_experiences + year.field_visits,
            self.per_service_experience,
            cap=self.service_experience_cap,
        )
        add("无故缺席活动", year.unexcused_absences, self.per_unexcused_absence)
        add("反馈不实或恶意", year.false_reports, self.per_false_report)
        add("违反保密义务", year.confidentiality_breaches, self.per_confidentiality_breach)
        total = sum(item.points for item in items)
        if total >= self.excellent_from:
            band = Band.EXCELLENT
        elif total >= self.satisfactory_from:
            band = Band.SATISFACTORY
        else:
            band = Band.UNSATISFACTORY
        return Score(
            total=total,
            band=band,
            items=tuple(items),
            revocation_review=bool(year.confidentiality_breaches),
        )


@hookimpl
def supervision_register_scoring_policies(register: PolicyRegistry) -> None:
    """Register the built-in ``default`` policy."""
    register.add("default", DefaultPolicy())

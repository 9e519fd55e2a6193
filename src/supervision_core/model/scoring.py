"""Scores of a supervisor's year: the values a scoring policy takes and gives, and its protocol.

Values only: the built-in policy lives in :mod:`supervision_core.rules.scoring`.
"""

from __future__ import annotations

import enum
from typing import Protocol

import attrs

__all__ = ["Band", "Score", "ScoreItem", "ScoringPolicy", "SupervisorYear"]


class Band(enum.StrEnum):
    """The evaluation band a score falls in."""

    EXCELLENT = "excellent"
    SATISFACTORY = "satisfactory"
    UNSATISFACTORY = "unsatisfactory"

    @property
    def label(self) -> str:
        """The band in Chinese."""
        return {"excellent": "优秀候选", "satisfactory": "合格", "unsatisfactory": "不合格"}[
            self.value
        ]


@attrs.frozen(kw_only=True)
class SupervisorYear:
    """What a supervisor did in a year, with references to the issues and activities."""

    supervisor_id: int
    year: int
    verified_reports: tuple[str, ...] = ()  # issue numbers accepted and found true
    led_to_fix: tuple[str, ...] = ()  # of those, fixed immediately or on schedule
    adopted_suggestions: tuple[str, ...] = ()
    rule_changes: tuple[str, ...] = ()
    activities_attended: tuple[str, ...] = ()  # group experience, forums
    service_experiences: tuple[str, ...] = ()  # issues found by a service experience
    field_visits: tuple[str, ...] = ()  # experiences and inspections that found no problem
    unexcused_absences: tuple[str, ...] = ()
    false_reports: tuple[str, ...] = ()
    confidentiality_breaches: tuple[str, ...] = ()


@attrs.frozen
class ScoreItem:
    """One line of a score's breakdown, pointing to what earned it."""

    label: str
    points: float
    refs: tuple[str, ...] = ()


@attrs.frozen
class Score:
    """A supervisor's score for a year, itemised, with its band."""

    total: float
    band: Band
    items: tuple[ScoreItem, ...]
    revocation_review: bool = False


class ScoringPolicy(Protocol):
    """Turns a supervisor's year into a score."""

    @property
    def label(self) -> str: ...

    def score(self, year: SupervisorYear) -> Score:
        """The score, with an itemised breakdown."""
        ...

"""The semi-annual briefing (每半年通报): its period and figures, as values."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs

from supervision_core.errors import InvalidInput
from supervision_core.model.clock import SHANGHAI

__all__ = ["Briefing", "BriefingOpinion", "briefing_period"]

_PERIOD = re.compile(r"^(\d{4})H([12])$")


def briefing_period(period: str) -> tuple[int, int, dt.datetime, dt.datetime]:
    """``2026H1`` -> (2026, 1, start, end) in Asia/Shanghai."""
    m = _PERIOD.match(period.strip().upper())
    if not m:
        msg = f"通报期应写作 2026H1（上半年）或 2026H2（下半年）：{period!r}"
        raise InvalidInput(msg)
    year, half = int(m.group(1)), int(m.group(2))
    start = dt.datetime(year, 1 if half == 1 else 7, 1, tzinfo=SHANGHAI)
    end = (
        dt.datetime(year, 7, 1, tzinfo=SHANGHAI)
        if half == 1
        else dt.datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    )
    return year, half, start, end


@attrs.frozen
class BriefingOpinion:
    """One opinion recorded at a briefing."""

    supervisor_id: int | None
    text: str
    recorded_at: dt.datetime


@attrs.frozen(kw_only=True)
class Briefing:
    """The figures of a half year for one center."""

    center: str
    center_name: str
    period: str
    received: int
    quarantined: int
    accepted: int
    not_accepted: dict[str, int]
    immediate: int
    scheduled_on_time: int
    scheduled_overdue: int
    scheduled_open: int
    scheduled_open_overdue: int
    explained: int
    closed: int
    satisfaction: dict[str, int]
    problem_types: list[tuple[str, int]]
    stages: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    typical_cases: list[dict[str, Any]]
    opinions: list[BriefingOpinion]

"""Lean rows for listings: what a ledger view or a benchmark fetches by the thousand."""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["IssueSummary"]


@attrs.frozen(slots=True)
class IssueSummary:
    """One line of an issue listing."""

    id: int
    number: str
    center: str
    supervisor_id: int
    state: str
    received_at: dt.datetime
    due_on: dt.date | None
    due_confirmed: bool
    unit: str | None
    problem_type: str | None

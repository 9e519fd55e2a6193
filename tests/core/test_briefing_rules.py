"""The briefing's figures as a pure function: no database, rows as plain objects."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from supervision_core.model.clock import SHANGHAI
from supervision_core.rules.briefing import briefing_figures


def _row(issue_id: int, **fields: object) -> SimpleNamespace:
    base: dict[str, object] = {
        "id": issue_id,
        "number": f"wushenzhao-2026-{issue_id:05d}",
        "state": "received",
        "not_accepted_reason": None,
        "track": None,
        "completed_at": None,
        "satisfaction": None,
        "problem_type": None,
        "stage": None,
        "text": "窗口午间无人值守",
        "measures": None,
        "evidence": None,
        "received_at": dt.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI),
    }
    return SimpleNamespace(**(base | fields))


def test_scheduled_rectifications_are_judged_by_their_last_deadline() -> None:
    # DOMAIN: a scheduled rectification (限时整改) is on time when completed by the deadline
    # its plan or last extension set; one still open past it is overdue.
    done_on_time = _row(
        1,
        state="closed",
        track="scheduled",
        completed_at=dt.datetime(2026, 4, 10, 10, tzinfo=SHANGHAI),
        satisfaction="satisfied",
        measures="午间轮岗值守",
    )
    done_late = _row(
        2,
        state="completed",
        track="scheduled",
        completed_at=dt.datetime(2026, 4, 20, 10, tzinfo=SHANGHAI),
    )
    open_late = _row(3, state="planned", track="scheduled")
    not_accepted = _row(4, state="not_accepted", not_accepted_reason="petition")
    briefing = briefing_figures(
        [done_on_time, done_late, open_late, not_accepted],
        accepted_ids={1, 2, 3},
        deadlines={1: "2026-04-15", 2: "2026-04-15", 3: "2026-05-01"},
        quarantined=7,
        opinions=[],
        center="wushenzhao",
        center_name="乌审召镇",
        year=2026,
        half=1,
        today=dt.date(2026, 6, 1),
    )
    assert (briefing.received, briefing.accepted, briefing.quarantined) == (4, 3, 7)
    assert briefing.scheduled_on_time == 1
    assert briefing.scheduled_overdue == 1
    assert (briefing.scheduled_open, briefing.scheduled_open_overdue) == (1, 1)
    assert briefing.closed == 1
    assert sum(briefing.not_accepted.values()) == 1
    assert [c["number"] for c in briefing.typical_cases] == ["wushenzhao-2026-00001"]
    assert briefing.by_month[2] == ("3月", 4) and len(briefing.by_month) == 6

"""The briefing's figures as pure functions: no database, rows as plain objects."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from supervision_core.model.briefing import ReceivedLine, Standing
from supervision_core.model.clock import SHANGHAI
from supervision_core.model.issues import IssueState, NotAcceptedReason, RectificationTrack
from supervision_core.rules.briefing import (
    briefing_figures,
    first_deadline,
    received_line,
    redispatched,
    standing,
)

TODAY = dt.date(2026, 7, 2)


def _at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("status", "state", "reason", "expected"),
    [
        ("attached", None, None, (ReceivedLine.FOLLOW_UP, None)),
        ("quarantined", None, None, (ReceivedLine.QUARANTINED, None)),
        # A dismissed quarantine item is no longer waiting for anyone.
        ("dismissed", None, None, (ReceivedLine.DISMISSED, None)),
        ("filed", "received", None, (ReceivedLine.PENDING, None)),
        ("filed", "merged", None, (ReceivedLine.MERGED, None)),
        (
            "filed",
            "not_accepted",
            "petition",
            (ReceivedLine.NOT_ACCEPTED, NotAcceptedReason.PETITION),
        ),
        # Released from quarantine: counted by its issue, not as quarantine.
        ("released", "rectifying", None, (ReceivedLine.ACCEPTED, None)),
    ]
    + [
        ("filed", state.value, None, (ReceivedLine.ACCEPTED, None))
        for state in (
            IssueState.ACCEPTED,
            IssueState.DISPATCHED,
            IssueState.RECTIFYING,
            IssueState.COMPLETED,
            IssueState.EXPLAINED,
            IssueState.REOPENED,
            IssueState.CLOSED,
        )
    ],
)
def test_every_report_has_exactly_one_line(
    status: str, state: str | None, reason: str | None, expected: object
) -> None:
    assert received_line(status, state, reason) == expected


def test_every_issue_state_has_a_line() -> None:
    # A state added to the lifecycle later must not fall out of the briefing.
    for state in IssueState:
        reason = "petition" if state is IssueState.NOT_ACCEPTED else None
        line, _ = received_line("filed", state, reason)
        assert line in ReceivedLine


@pytest.mark.parametrize(
    ("status", "state", "reason"),
    [("stored", None, None), ("filed", None, None), ("filed", "not_accepted", None)],
)
def test_a_report_the_rules_cannot_place_is_an_error_not_a_gap(
    status: str, state: str | None, reason: str | None
) -> None:
    with pytest.raises(ValueError):
        received_line(status, state, reason)


def test_the_first_deadline_is_the_first_plans() -> None:
    events = [
        ("dispatched", {"due_on": "2026-03-03"}),  # the plan's own deadline: not a fix's
        ("planned", {"track": "scheduled", "due_on": "2026-03-16"}),
        ("extended", {"due_on": "2026-03-20"}),
        ("planned", {"track": "scheduled", "due_on": "2026-04-01"}),  # after a reopening
    ]
    assert first_deadline(events) == dt.date(2026, 3, 16)
    assert first_deadline([("dispatched", {"due_on": "2026-03-03"})]) is None
    assert first_deadline([("planned", None), ("planned", {"due_on": "2026-05-06"})]) == dt.date(
        2026, 5, 6
    )


def test_redispatched_after_an_objection_or_a_second_dispatch() -> None:
    assert redispatched(["dispatched", "objected"])
    assert redispatched(["dispatched", "planned", "dispatched"])
    assert not redispatched(["dispatched", "planned", "completed"])
    assert not redispatched([])


def test_a_late_fix_stays_late_after_a_reopening_and_a_new_plan() -> None:
    # First plan due Mar 16; done Mar 20 (late), reopened, re-planned to Apr 1 and done
    # Mar 30: on time against the new plan, late against the first deadline.
    assert standing(
        state="closed",
        track="scheduled",
        first_due=dt.date(2026, 3, 16),
        due_on=None,
        completed_at=_at(3, 30),
        today=TODAY,
    ) == (RectificationTrack.SCHEDULED, Standing.LATE)
    assert standing(
        state="completed",
        track="immediate",
        first_due=dt.date(2026, 3, 16),
        due_on=None,
        completed_at=_at(3, 16),
        today=TODAY,
    ) == (RectificationTrack.IMMEDIATE, Standing.ON_TIME)


def test_open_issues_are_overdue_past_their_first_deadline_or_the_one_in_force() -> None:
    reopened = standing(
        state="reopened",
        track="scheduled",
        first_due=dt.date(2026, 6, 1),
        due_on=dt.date(2026, 7, 10),  # the deadline for a new plan: later
        completed_at=_at(5, 30),
        today=TODAY,
    )
    assert reopened == (RectificationTrack.SCHEDULED, Standing.OPEN_OVERDUE)
    # Dispatched again after a reopening: its track is chosen anew, its deadline is not.
    assert standing(
        state="dispatched",
        track=None,
        first_due=dt.date(2026, 6, 1),
        due_on=dt.date(2026, 7, 3),
        completed_at=None,
        today=TODAY,
    ) == (None, Standing.OPEN_OVERDUE)
    assert standing(
        state="accepted",
        track=None,
        first_due=None,
        due_on=dt.date(2026, 7, 3),
        completed_at=None,
        today=TODAY,
    ) == (None, Standing.OPEN)
    assert standing(
        state="rectifying",
        track="explained",
        first_due=dt.date(2026, 7, 2),
        due_on=dt.date(2026, 7, 2),
        completed_at=None,
        today=TODAY,
    ) == (RectificationTrack.EXPLAINED, Standing.OPEN)  # due today: not yet overdue


def _row(issue_id: int, state: str, **fields: object) -> SimpleNamespace:
    base: dict[str, object] = {
        "id": issue_id,
        "number": f"wushenzhao-2026-{issue_id:05d}",
        "state": state,
        "not_accepted_reason": None,
        "track": None,
        "due_on": None,
        "missed_due_on": None,
        "completed_on_time": None,
        "completed_at": None,
        "satisfaction": None,
        "reopen_count": 0,
        "problem_type": None,
        "stage": None,
        "text": "窗口午间无人值守，电话13812345678",
        "measures": None,
        "evidence": None,
        "received_at": _at(3, 2),
        "report_status": "filed",
    }
    return SimpleNamespace(**(base | fields))


def _figures(rows: list[SimpleNamespace], **kwargs: object):  # type: ignore[no-untyped-def]
    defaults: dict[str, object] = {
        "others": {},
        "first_due": {},
        "redispatched_ids": set(),
        "opinions": [],
        "meeting": None,
        "center": "wushenzhao",
        "center_name": "乌审召镇便民服务中心",
        "year": 2026,
        "half": 1,
        "today": TODAY,
    }
    others = kwargs.get("others", {})
    received = len(rows) + sum(others.values())  # type: ignore[attr-defined]
    return briefing_figures(rows, received=received, **(defaults | kwargs))  # type: ignore[arg-type]


def test_the_lines_add_up_to_every_report_received() -> None:
    rows = [
        _row(
            1,
            "closed",
            track="scheduled",
            completed_at=_at(4, 10),
            satisfaction="satisfied",
            measures="午间轮岗值守",
        ),
        _row(
            2,
            "closed",
            track="scheduled",
            completed_at=_at(4, 20),
            satisfaction="satisfied",
            reopen_count=1,
        ),
        _row(3, "rectifying", track="scheduled", due_on=dt.date(2026, 5, 1)),
        _row(4, "reopened", track="immediate", completed_at=_at(3, 3), reopen_count=1),
        _row(5, "accepted", due_on=dt.date(2026, 7, 3)),  # a unit objected: back to the center
        _row(6, "not_accepted", not_accepted_reason="petition"),
        _row(7, "not_accepted", not_accepted_reason="legal_procedure"),
        _row(8, "not_accepted", not_accepted_reason="petition"),
        _row(9, "received", received_at=_at(6, 30)),
        _row(10, "merged"),
        _row(11, "explained", track="explained", completed_at=_at(5, 5), report_status="released"),
    ]
    others = {("quarantined", 3): 4, ("dismissed", 2): 2, ("attached", 3): 1}
    b = _figures(
        rows,
        others=others,
        first_due={1: dt.date(2026, 4, 15), 2: dt.date(2026, 4, 15), 3: dt.date(2026, 5, 1)},
        redispatched_ids={5},
    )
    assert b.received == 18 and b.lines_total == 18 and b.adds_up
    counts = {(line.line, line.reason): line.count for line in b.lines}
    assert counts == {
        (ReceivedLine.ACCEPTED, None): 6,
        (ReceivedLine.NOT_ACCEPTED, NotAcceptedReason.LEGAL_PROCEDURE): 1,
        (ReceivedLine.NOT_ACCEPTED, NotAcceptedReason.PETITION): 2,
        (ReceivedLine.PENDING, None): 1,
        (ReceivedLine.MERGED, None): 1,
        (ReceivedLine.FOLLOW_UP, None): 1,
        (ReceivedLine.QUARANTINED, None): 4,
        (ReceivedLine.DISMISSED, None): 2,
    }
    # Reasons in the notice's order, then the other lines: the order the document prints.
    assert [line.reason for line in b.lines[1:3]] == [
        NotAcceptedReason.LEGAL_PROCEDURE,
        NotAcceptedReason.PETITION,
    ]
    assert (b.accepted, b.pending, b.merged, b.follow_ups) == (6, 1, 1, 1)
    assert (b.quarantined, b.dismissed) == (4, 2)
    assert b.not_accepted == {
        NotAcceptedReason.PETITION.label: 2,
        "应当通过诉讼、仲裁、纪检监察、行政复议、政府信息公开等程序解决": 1,
    }
    table = {r.track: r for r in b.rectification}
    scheduled = table[RectificationTrack.SCHEDULED]
    assert [scheduled.on_time, scheduled.late, scheduled.open, scheduled.open_overdue] == [
        1,
        1,
        0,
        1,
    ]
    assert table[RectificationTrack.IMMEDIATE].open_overdue == 0  # no deadline ever planned
    assert table[RectificationTrack.IMMEDIATE].open == 1
    assert table[RectificationTrack.EXPLAINED].on_time == 1
    assert table[None].open == 1
    assert sum(r.total for r in b.rectification) == b.accepted
    assert (b.reopened, b.redispatched, b.closed) == (2, 1, 2)
    assert b.satisfaction == {"satisfied": 2}
    assert [c["number"] for c in b.typical_cases] == [
        "wushenzhao-2026-00001",
        "wushenzhao-2026-00002",
    ]
    assert "13812345678" not in b.typical_cases[0]["text"]  # masked
    months = dict(b.by_month)
    assert sum(months.values()) == b.received and len(months) == 6
    assert (months["2月"], months["3月"], months["6月"]) == (2, 15, 1)


def test_a_briefing_that_does_not_add_up_says_so() -> None:
    rows = [_row(1, "received")]
    b = briefing_figures(
        rows,
        others={},
        received=2,  # a report arrived between the count and the rows
        first_due={},
        redispatched_ids=set(),
        opinions=[],
        meeting=None,
        center="wushenzhao",
        center_name="乌审召镇便民服务中心",
        year=2026,
        half=1,
        today=TODAY,
    )
    assert not b.adds_up and b.lines_total == 1
    from supervision_core.documents.briefing import render_markdown

    assert "与收到件数 2 件不一致" in render_markdown(b)


def test_an_empty_half_year_still_prints_every_line() -> None:
    b = _figures([], half=2)
    assert b.received == 0 and b.adds_up
    assert [line.line for line in b.lines] == [
        ReceivedLine.ACCEPTED,
        ReceivedLine.PENDING,
        ReceivedLine.MERGED,
        ReceivedLine.FOLLOW_UP,
        ReceivedLine.QUARANTINED,
        ReceivedLine.DISMISSED,
    ]
    assert [m for m, _ in b.by_month] == [f"{m}月" for m in range(7, 13)]


def test_the_ledgers_verdict_of_late_is_never_overruled() -> None:
    # A fix by the deadline now in force, but the ledger found a deadline missed before
    # (an extension granted after it): late in the briefing as in the export.
    done = dict(
        state=IssueState.COMPLETED,
        track=RectificationTrack.SCHEDULED,
        first_due=dt.date(2026, 6, 30),
        due_on=None,
        completed_at=dt.datetime(2026, 6, 10, 9, tzinfo=SHANGHAI),
        today=dt.date(2026, 7, 1),
    )
    assert standing(**done)[1] is Standing.ON_TIME  # type: ignore[arg-type]
    assert standing(**done, late=True)[1] is Standing.LATE  # type: ignore[arg-type]
    still_open = done | {
        "state": IssueState.RECTIFYING,
        "completed_at": None,
        "today": dt.date(2026, 6, 15),
    }
    assert standing(**still_open)[1] is Standing.OPEN  # type: ignore[arg-type]
    assert standing(**still_open, late=True)[1] is Standing.OPEN_OVERDUE  # type: ignore[arg-type]

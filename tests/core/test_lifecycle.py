"""The rules of an issue's life, without a database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supervision_core import (
    EventKind,
    InvalidInput,
    InvalidTransition,
    Issue,
    IssueEvent,
    IssueState,
    ReportHints,
    apply_event,
    replay,
    unit_view,
)

AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def fresh() -> Issue:
    return Issue(
        id=1,
        number="banner-2026-00001",
        center="banner",
        report_id=1,
        supervisor_id=7,
        received_at=AT,
        subject=None,
        text="窗口没有一次性告知",
        hints=ReportHints(),
    )


def ev(kind: str, note: str | None = None, **data: Any) -> IssueEvent:
    return IssueEvent(kind=kind, at=AT, actor="op", note=note, data=data)


def walk(*events: IssueEvent) -> Issue:
    return replay(fresh(), events)


DUE = {"due_on": "2026-03-03", "due_confirmed": True}
RECEIVED = ev("received", **DUE)
ACCEPTED = ev("accepted", **DUE)
DISPATCHED = ev("dispatched", unit="realty", responsible_person="赵", **DUE)
SCHEDULED = ev("planned", track="scheduled", measures="张贴清单", due_on="2026-03-16")
COMPLETED = ev("completed", evidence="已张贴")


def test_full_life_satisfied_closes() -> None:
    issue = walk(
        RECEIVED,
        ACCEPTED,
        DISPATCHED,
        SCHEDULED,
        ev("progress", "起草中"),
        COMPLETED,
        ev("evaluated", satisfaction="satisfied"),
    )
    assert issue.state is IssueState.CLOSED
    assert issue.closed_by == "op"
    assert issue.progress_count == 1
    assert issue.due_on is None


def test_not_satisfied_reopens_and_can_be_planned_again() -> None:
    issue = walk(
        RECEIVED,
        ACCEPTED,
        DISPATCHED,
        SCHEDULED,
        COMPLETED,
        ev("evaluated", satisfaction="not_satisfied", due_on="2026-03-20"),
    )
    assert issue.state is IssueState.REOPENED
    assert issue.reopen_count == 1
    assert issue.due_on == dt.date(2026, 3, 20)
    again = apply_event(issue, ev("planned", track="immediate", due_on="2026-03-21"))
    assert again.state is IssueState.RECTIFYING


def test_completing_an_issue_never_dispatched_is_refused_naming_the_state() -> None:
    with pytest.raises(InvalidTransition) as info:
        walk(RECEIVED, ACCEPTED, COMPLETED)
    message = str(info.value)
    assert "已受理待派单" in message and "accepted" in message
    assert "整改完成" in message


@pytest.mark.parametrize(
    "events",
    [
        (RECEIVED, DISPATCHED),  # dispatch before screening
        (RECEIVED, ev("not_accepted", "诉讼", reason="legal_procedure"), ACCEPTED),  # terminal
        (RECEIVED, ACCEPTED, DISPATCHED, ev("evaluated", satisfaction="satisfied")),
        (RECEIVED, ACCEPTED, DISPATCHED, ev("explained", "说明")),  # no plan yet
    ],
)
def test_invalid_steps_are_refused(events: tuple[IssueEvent, ...]) -> None:
    with pytest.raises(InvalidTransition):
        walk(*events)


def test_not_accepted_needs_a_note_and_a_known_reason() -> None:
    with pytest.raises(InvalidInput, match="说明"):
        walk(RECEIVED, ev("not_accepted", reason="petition"))
    with pytest.raises(ValueError):
        walk(RECEIVED, ev("not_accepted", "x", reason="bogus"))


def test_scheduled_plan_needs_measures() -> None:
    with pytest.raises(InvalidInput, match="措施"):
        walk(RECEIVED, ACCEPTED, DISPATCHED, ev("planned", track="scheduled", due_on="2026-03-16"))


def test_explained_track_takes_an_explanation_not_a_completion() -> None:
    planned = walk(
        RECEIVED, ACCEPTED, DISPATCHED, ev("planned", track="explained", due_on="2026-03-09")
    )
    with pytest.raises(InvalidTransition, match="说明"):
        apply_event(planned, COMPLETED)
    done = apply_event(planned, ev("explained", "不符合实际，理由如下"))
    assert done.state is IssueState.EXPLAINED
    assert done.explanation == "不符合实际，理由如下"


def test_extensions_are_limited_and_need_a_reason() -> None:
    issue = walk(RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED)
    for n in range(3):
        issue = apply_event(
            issue, ev("extended", "材料未到", due_on=f"2026-03-2{n}", max_extensions=3)
        )
    assert issue.extensions == 3
    with pytest.raises(InvalidTransition, match="最多 3 次"):
        apply_event(issue, ev("extended", "再延", due_on="2026-03-30", max_extensions=3))
    fresh_plan = walk(RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED)
    with pytest.raises(InvalidInput, match="理由"):
        apply_event(fresh_plan, ev("extended", due_on="2026-03-30"))


def test_only_scheduled_plans_extend() -> None:
    issue = walk(
        RECEIVED, ACCEPTED, DISPATCHED, ev("planned", track="immediate", due_on="2026-03-03")
    )
    with pytest.raises(InvalidTransition, match="限时整改"):
        apply_event(issue, ev("extended", "x", due_on="2026-03-09"))


def on(day: str, event: IssueEvent) -> IssueEvent:
    """``event`` at 10:00 in Asia/Shanghai on ``day``."""
    return attrs.evolve(event, at=dt.datetime.fromisoformat(f"{day}T10:00+08:00"))


BANNER_RULE = {"max_extensions": 3, "late_extension_by": "banner"}


def test_a_plan_sets_the_original_and_current_deadline_and_an_extension_moves_one() -> None:
    issue = walk(RECEIVED, ACCEPTED, DISPATCHED)
    assert issue.due_on == dt.date(2026, 3, 3) and issue.rectification_due_on is None
    issue = apply_event(issue, SCHEDULED)
    assert issue.original_due_on == issue.rectification_due_on == dt.date(2026, 3, 16)
    issue = apply_event(
        issue, on("2026-03-16", ev("extended", "x", due_on="2026-03-20", **BANNER_RULE))
    )
    assert issue.original_due_on == dt.date(2026, 3, 16) and issue.missed_due_on is None
    assert issue.rectification_due_on == issue.due_on == dt.date(2026, 3, 20)
    done = apply_event(issue, on("2026-03-20", COMPLETED))
    assert done.completed_on_time is True and done.late_working_days == 0
    assert done.due_on is None and done.rectification_due_on == dt.date(2026, 3, 20)
    assert not done.is_late(dt.date(2026, 12, 31))


def test_past_the_deadline_only_the_banner_center_extends_and_the_fix_stays_late() -> None:
    issue = walk(RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED)
    late = on("2026-03-18", ev("extended", "配件未到", due_on="2026-03-25", **BANNER_RULE))
    for granted in ({}, {"granted_by": "wushenzhao", "granted_by_level": "township"}):
        with pytest.raises(InvalidTransition, match="旗政务服务中心"):
            apply_event(issue, attrs.evolve(late, data={**late.data, **granted}))
    granted = {"granted_by": "banner", "granted_by_level": "banner"}
    issue = apply_event(issue, attrs.evolve(late, data={**late.data, **granted}))
    assert issue.missed_due_on == dt.date(2026, 3, 16) and issue.extensions == 1
    assert issue.is_late(dt.date(2026, 3, 18)) and not issue.is_overdue(dt.date(2026, 3, 18))
    # Finished within the extension: late all the same, by the count the store made.
    done = apply_event(
        issue, on("2026-03-24", ev("completed", evidence="好了", late_working_days=6))
    )
    assert done.completed_on_time is False and done.late_working_days == 6
    assert done.missed_due_on == dt.date(2026, 3, 16)


def test_history_from_before_the_rule_replays_but_is_measured_truthfully() -> None:
    # An extension recorded before 0014 carries no rule: it replays as it was taken.
    issue = walk(
        RECEIVED,
        ACCEPTED,
        DISPATCHED,
        SCHEDULED,
        on("2026-03-18", ev("extended", "逾期后延期", due_on="2026-03-25", max_extensions=3)),
        on("2026-03-24", COMPLETED),
    )
    assert issue.missed_due_on == dt.date(2026, 3, 16)
    assert issue.completed_on_time is False and issue.late_working_days is None  # not counted


def test_a_late_fix_stays_late_through_a_reopening_and_a_new_dispatch() -> None:
    issue = walk(
        RECEIVED,
        ACCEPTED,
        DISPATCHED,
        SCHEDULED,
        on("2026-03-17", ev("completed", evidence="晚了", late_working_days=1)),
        ev("evaluated", satisfaction="not_satisfied", due_on="2026-03-20"),
        DISPATCHED,
    )
    assert issue.rectification_due_on is None and issue.original_due_on is None
    assert issue.is_late(dt.date(2026, 3, 2))
    issue = apply_event(issue, ev("planned", track="immediate", due_on="2026-03-19"))
    assert issue.original_due_on == dt.date(2026, 3, 19) and issue.missed_due_on is None
    again = apply_event(issue, on("2026-03-18", COMPLETED))
    assert again.completed_on_time is False and again.late_working_days == 1


def test_merge_rules() -> None:
    merged = walk(RECEIVED, ev("merged", into=2))
    assert merged.state is IssueState.MERGED and merged.merged_into == 2
    with pytest.raises(InvalidInput, match="自身"):
        walk(RECEIVED, ev("merged", into=1))
    with pytest.raises(InvalidTransition):
        apply_event(merged, ACCEPTED)


def test_unit_view_never_contains_the_supervisor() -> None:
    issue = attrs.evolve(
        walk(RECEIVED, ACCEPTED, DISPATCHED), text="我是张三，电话13812341234，窗口态度差"
    )
    view = unit_view(issue)
    fields = {a.name for a in attrs.fields(type(view))}
    assert not fields & {"supervisor_id", "report_id", "id", "subject"}
    assert "13812341234" not in repr(view)


# A random walk over every step: each is either applied or refused, and whatever
# was applied replays to the same issue.
STEPS = [
    ev("accepted", **DUE),
    ev("not_accepted", "不予受理说明", reason="no_substance"),
    DISPATCHED,
    SCHEDULED,
    ev("planned", track="immediate", due_on="2026-03-03"),
    ev("planned", track="explained", due_on="2026-03-09"),
    ev("progress", "进展"),
    ev("extended", "理由", due_on="2026-03-20", max_extensions=3),
    COMPLETED,
    ev("explained", "说明"),
    ev("evaluated", satisfaction="satisfied"),
    ev("evaluated", satisfaction="not_satisfied", due_on="2026-03-20"),
    ev("closed", "未评价"),
    ev("merged", into=9),
    ev("duplicate_attached", source=5),
    on("2026-04-01", ev("extended", "逾期", due_on="2026-04-10", **BANNER_RULE)),
    on(
        "2026-04-01",
        ev("extended", "批准", due_on="2026-04-10", granted_by_level="banner", **BANNER_RULE),
    ),
    on("2026-04-20", ev("completed", evidence="迟了", late_working_days=4)),
    on("2026-04-20", ev("explained", "迟了", late_working_days=4)),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(STEPS), max_size=25))
def test_random_walks_replay_to_the_same_issue(steps: list[IssueEvent]) -> None:
    issue = apply_event(fresh(), RECEIVED)
    applied = [RECEIVED]
    for step in steps:
        try:
            after = apply_event(issue, step)
        except (InvalidTransition, InvalidInput):
            continue
        applied.append(step)
        # A late fix stays late, whatever comes after it.
        assert issue.completed_on_time is not False or after.completed_on_time is False
        issue = after
        if issue.state in (IssueState.CLOSED, IssueState.NOT_ACCEPTED, IssueState.MERGED):
            assert not issue.is_open
    assert replay(fresh(), applied) == issue
    assert sum(e.kind is EventKind.PROGRESS for e in applied) == issue.progress_count

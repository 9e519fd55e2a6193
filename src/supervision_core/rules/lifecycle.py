"""The rules of an issue's life: which step may follow which, as plain functions.

``apply_event(issue, event)`` is the only way an issue changes. The ledger stores the
event and the issue it returns in one transaction, and ``replay`` rebuilds any issue
from its events, so the current state always agrees with the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import attrs

from supervision_core.errors import InvalidInput, InvalidTransition
from supervision_core.model.centers import CenterLevel
from supervision_core.model.clock import local_date
from supervision_core.model.issues import (
    OPEN_STATES,
    EventKind,
    Issue,
    IssueEvent,
    IssueState,
    NotAcceptedReason,
    RectificationTrack,
    Satisfaction,
)

__all__ = ["ALLOWED", "apply_event", "replay"]

S = IssueState
E = EventKind

#: For each step, the states it may be taken from.
ALLOWED: dict[EventKind, frozenset[IssueState]] = {
    E.ACCEPTED: frozenset({S.RECEIVED}),
    E.NOT_ACCEPTED: frozenset({S.RECEIVED}),
    E.DISPATCHED: frozenset({S.ACCEPTED, S.DISPATCHED, S.REOPENED}),
    E.PLANNED: frozenset({S.DISPATCHED, S.REOPENED}),
    E.PROGRESS: frozenset({S.RECTIFYING, S.REOPENED}),
    E.EXTENDED: frozenset({S.RECTIFYING}),
    E.COMPLETED: frozenset({S.RECTIFYING}),
    E.EXPLAINED: frozenset({S.RECTIFYING}),
    E.EVALUATED: frozenset({S.COMPLETED, S.EXPLAINED}),
    E.CLOSED: frozenset({S.COMPLETED, S.EXPLAINED}),
    E.MERGED: frozenset({S.RECEIVED, S.ACCEPTED, S.DISPATCHED}),
    E.DUPLICATE_ATTACHED: OPEN_STATES | {S.COMPLETED, S.EXPLAINED},
    E.OBJECTED: frozenset({S.DISPATCHED}),
    # A follow-up is kept whatever the state: it may matter even after closing.
    E.SUPPLEMENTED: frozenset(S),
}


def _refuse(issue: Issue, event: IssueEvent) -> InvalidTransition:
    allowed = "、".join(sorted(s.label for s in ALLOWED.get(event.kind, frozenset())))
    msg = (
        f"问题 {issue.number} 当前状态为“{issue.state.label}”({issue.state.value})，"
        f"不能执行“{event.kind.label}”({event.kind.value})"
        + (f"；只有在 {allowed} 状态下才可以" if allowed else "")
    )
    return InvalidTransition(msg)


def _require(event: IssueEvent, key: str) -> object:
    value = event.data.get(key)
    if value is None or value == "":
        msg = f"“{event.kind.label}”缺少必填项 {key}"
        raise InvalidInput(msg)
    return value


def _due(event: IssueEvent) -> tuple[dt.date | None, bool]:
    raw = event.data.get("due_on")
    due = dt.date.fromisoformat(raw) if isinstance(raw, str) else None
    return due, bool(event.data.get("due_confirmed", True))


def _received(issue: Issue, event: IssueEvent) -> Issue:
    due, confirmed = _due(event)
    return attrs.evolve(issue, state=S.RECEIVED, due_on=due, due_confirmed=confirmed)


def _accepted(issue: Issue, event: IssueEvent) -> Issue:
    due, confirmed = _due(event)
    return attrs.evolve(
        issue, state=S.ACCEPTED, due_on=due, due_confirmed=confirmed, screening_note=event.note
    )


def _not_accepted(issue: Issue, event: IssueEvent) -> Issue:
    reason = NotAcceptedReason(str(_require(event, "reason")))
    if not (event.note or "").strip():
        msg = "不予受理时必须填写告知监督员的说明"
        raise InvalidInput(msg)
    return attrs.evolve(
        issue,
        state=S.NOT_ACCEPTED,
        not_accepted_reason=reason,
        screening_note=event.note,
        due_on=None,
        closed_at=event.at,
        closed_by=event.actor,
    )


def _dispatched(issue: Issue, event: IssueEvent) -> Issue:
    due, confirmed = _due(event)
    return attrs.evolve(
        issue,
        state=S.DISPATCHED,
        unit=str(_require(event, "unit")),
        responsible_person=str(_require(event, "responsible_person")),
        track=None,
        measures=None,
        due_on=due,
        due_confirmed=confirmed,
        extensions=0,
        # A new dispatch starts the rectification afresh, like the track and measures; a
        # late fix before it stays in completed_on_time and late_working_days.
        original_due_on=None,
        rectification_due_on=None,
        missed_due_on=None,
    )


def _planned(issue: Issue, event: IssueEvent) -> Issue:
    track = RectificationTrack(str(_require(event, "track")))
    measures = event.data.get("measures")
    if track is RectificationTrack.SCHEDULED and not measures:
        msg = "限时整改必须写明整改措施"
        raise InvalidInput(msg)
    due, confirmed = _due(event)
    if due is None:
        msg = "确定整改方式时必须给出期限"
        raise InvalidInput(msg)
    return attrs.evolve(
        issue,
        state=S.RECTIFYING,
        track=track,
        measures=str(measures) if measures else None,
        due_on=due,
        due_confirmed=confirmed,
        extensions=0,
        original_due_on=due,
        rectification_due_on=due,
        missed_due_on=None,
    )


def _progress(issue: Issue, event: IssueEvent) -> Issue:
    if not (event.note or "").strip():
        msg = "整改进展不能为空"
        raise InvalidInput(msg)
    return attrs.evolve(issue, progress_count=issue.progress_count + 1)


def _extended(issue: Issue, event: IssueEvent) -> Issue:
    if issue.track is not RectificationTrack.SCHEDULED:
        msg = f"问题 {issue.number} 不是限时整改，不能延期"
        raise InvalidTransition(msg)
    limit = int(event.data.get("max_extensions", 3))
    if issue.extensions >= limit:
        msg = f"问题 {issue.number} 已延期 {issue.extensions} 次，最多 {limit} 次"
        raise InvalidTransition(msg)
    if not (event.note or "").strip():
        msg = "延期必须说明理由"
        raise InvalidInput(msg)
    due, confirmed = _due(event)
    if due is None:
        msg = "延期必须给出新的期限"
        raise InvalidInput(msg)
    deadline = issue.rectification_due_on
    late = deadline is not None and local_date(event.at) > deadline
    # The rule in force when the step was taken travels with it (as max_extensions does):
    # since 0014, only the banner center (旗级) grants an extension after the deadline.
    if (
        late
        and event.data.get("late_extension_by") == CenterLevel.BANNER.value
        and event.data.get("granted_by_level") != CenterLevel.BANNER.value
    ):
        msg = (
            f"问题 {issue.number} 的整改时限 {deadline} 已过：逾期后延期须经旗政务服务中心批准"
            "（延期不消除逾期）"
        )
        raise InvalidTransition(msg)
    return attrs.evolve(
        issue,
        due_on=due,
        due_confirmed=confirmed,
        rectification_due_on=due,
        # Lateness is measured against the first deadline that was missed: never erased.
        missed_due_on=issue.missed_due_on or (deadline if late else None),
        extensions=issue.extensions + 1,
    )


def _completed(issue: Issue, event: IssueEvent) -> Issue:
    if issue.track is RectificationTrack.EXPLAINED:
        msg = f"问题 {issue.number} 的整改方式为“作出说明”，应提交说明而不是整改完成"
        raise InvalidTransition(msg)
    evidence = str(_require(event, "evidence"))
    return attrs.evolve(_done(issue, event), state=S.COMPLETED, evidence=evidence, due_on=None)


def _done(issue: Issue, event: IssueEvent) -> Issue:
    """The fix (or explanation) at ``event.at``: when, and whether by its deadline.

    Measured against the first deadline that was missed, else the one in force, by the
    end of its day in Asia/Shanghai. How many working days late comes in the event's data
    (``late_working_days``: the calendar is the store's); a fix that came late in an
    earlier round (before a reopening) keeps the issue late.
    """
    deadline = issue.missed_due_on or issue.rectification_due_on
    late = deadline is not None and local_date(event.at) > deadline
    days: int | None = 0
    if late:
        raw = event.data.get("late_working_days")
        days = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    missed = issue.missed_due_on or (deadline if late else None)
    if issue.completed_on_time is False:  # an earlier fix came late, and stays late
        known = [d for d in (issue.late_working_days, days if late else None) if d is not None]
        late, days = True, max(known) if known else None
    return attrs.evolve(
        issue,
        completed_at=event.at,
        completed_on_time=not late,
        late_working_days=days,
        missed_due_on=missed,
    )


def _explained(issue: Issue, event: IssueEvent) -> Issue:
    if issue.track is not RectificationTrack.EXPLAINED:
        msg = f"问题 {issue.number} 的整改方式为“{issue.track.label if issue.track else '未定'}”，不能以说明结案"
        raise InvalidTransition(msg)
    if not (event.note or "").strip():
        msg = "说明内容不能为空"
        raise InvalidInput(msg)
    return attrs.evolve(_done(issue, event), state=S.EXPLAINED, explanation=event.note, due_on=None)


def _evaluated(issue: Issue, event: IssueEvent) -> Issue:
    satisfaction = Satisfaction(str(_require(event, "satisfaction")))
    if satisfaction is Satisfaction.NOT_SATISFIED:
        due, confirmed = _due(event)
        return attrs.evolve(
            issue,
            state=S.REOPENED,
            satisfaction=satisfaction,
            reopen_count=issue.reopen_count + 1,
            due_on=due,
            due_confirmed=confirmed,
        )
    return attrs.evolve(
        issue,
        state=S.CLOSED,
        satisfaction=satisfaction,
        closed_at=event.at,
        closed_by=event.actor,
    )


def _closed(issue: Issue, event: IssueEvent) -> Issue:
    if not (event.note or "").strip():
        msg = "未经监督员评价而办结时必须说明原因"
        raise InvalidInput(msg)
    return attrs.evolve(issue, state=S.CLOSED, closed_at=event.at, closed_by=event.actor)


def _merged(issue: Issue, event: IssueEvent) -> Issue:
    target = int(str(_require(event, "into")))
    if target == issue.id:
        msg = f"问题 {issue.number} 不能并入自身"
        raise InvalidInput(msg)
    return attrs.evolve(
        issue,
        state=S.MERGED,
        merged_into=target,
        due_on=None,
        closed_at=event.at,
        closed_by=event.actor,
    )


def _duplicate_attached(issue: Issue, event: IssueEvent) -> Issue:
    _require(event, "source")
    return issue


def _objected(issue: Issue, event: IssueEvent) -> Issue:
    if not (event.note or "").strip():
        msg = "提出异议时必须说明理由"
        raise InvalidInput(msg)
    due, confirmed = _due(event)
    return attrs.evolve(
        issue,
        state=S.ACCEPTED,
        unit=None,
        responsible_person=None,
        due_on=due,
        due_confirmed=confirmed,
    )


def _supplemented(issue: Issue, event: IssueEvent) -> Issue:
    _require(event, "report_id")
    return issue


_RULES: dict[EventKind, Callable[[Issue, IssueEvent], Issue]] = {
    E.RECEIVED: _received,
    E.ACCEPTED: _accepted,
    E.NOT_ACCEPTED: _not_accepted,
    E.DISPATCHED: _dispatched,
    E.PLANNED: _planned,
    E.PROGRESS: _progress,
    E.EXTENDED: _extended,
    E.COMPLETED: _completed,
    E.EXPLAINED: _explained,
    E.EVALUATED: _evaluated,
    E.CLOSED: _closed,
    E.MERGED: _merged,
    E.DUPLICATE_ATTACHED: _duplicate_attached,
    E.SUPPLEMENTED: _supplemented,
    E.OBJECTED: _objected,
}


def apply_event(issue: Issue, event: IssueEvent) -> Issue:
    """The issue after ``event``, or :class:`InvalidTransition` naming the state.

    Input that breaks a rule of the step itself (no reason, no evidence, a
    scheduled plan without measures) raises :class:`InvalidInput`.
    """
    if event.kind is not E.RECEIVED and issue.state not in ALLOWED[event.kind]:
        raise _refuse(issue, event)
    return _RULES[event.kind](issue, event)


def replay(seed: Issue, events: Iterable[IssueEvent]) -> Issue:
    """Fold ``events`` over the issue as first filed; the result is its current state."""
    issue = seed
    for event in events:
        issue = apply_event(issue, event)
    return issue

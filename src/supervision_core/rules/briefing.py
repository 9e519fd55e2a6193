"""The semi-annual briefing's figures, computed from the half year's reports (pure).

The store reads the rows; these functions decide which line each report is in and
where each accepted issue stands, so the rules of the count are tested without a
database:

- :func:`received_line` puts a report in exactly one :class:`ReceivedLine`;
- :func:`first_deadline` finds, in an issue's events, the deadline its first plan set;
- :func:`standing` judges an accepted issue against that first deadline;
- :func:`briefing_figures` folds them into a :class:`Briefing` whose lines add up.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from supervision_core.model.briefing import (
    Briefing,
    BriefingLine,
    BriefingMeeting,
    BriefingOpinion,
    ReceivedLine,
    RectificationLine,
    Standing,
)
from supervision_core.model.clock import local_date
from supervision_core.model.issues import (
    EventKind,
    IssueState,
    NotAcceptedReason,
    RectificationTrack,
)
from supervision_core.model.vocabulary import ProblemType, Stage
from supervision_core.rules.masking import mask_personal_data

__all__ = [
    "briefing_figures",
    "first_deadline",
    "received_line",
    "redispatched",
    "standing",
]

#: A report's ``status`` when it became an issue of its own: the issue's state decides.
FILED_STATUSES = frozenset({"filed", "released"})
_WITHOUT_ISSUE = {
    "attached": ReceivedLine.FOLLOW_UP,
    "quarantined": ReceivedLine.QUARANTINED,
    "dismissed": ReceivedLine.DISMISSED,
}
#: States in which the fix (or the explanation) has been delivered.
_DONE = frozenset({IssueState.COMPLETED, IssueState.EXPLAINED, IssueState.CLOSED})
#: States before a track is chosen (again): accepted, dispatched.
_AWAITING = frozenset({IssueState.ACCEPTED, IssueState.DISPATCHED})


def received_line(
    report_status: str,
    issue_state: IssueState | str | None = None,
    not_accepted_reason: NotAcceptedReason | str | None = None,
) -> tuple[ReceivedLine, NotAcceptedReason | None]:
    """The one line a received report is counted in, and the reason if not accepted.

    A report that became an issue (``filed``, or ``released`` from quarantine) is
    counted by its issue's state; one that did not is counted by its own status
    (``attached`` to an earlier issue, still ``quarantined``, or ``dismissed``).
    Anything else raises ``ValueError``: a report is never silently left out.
    """
    if report_status in _WITHOUT_ISSUE:
        return _WITHOUT_ISSUE[report_status], None
    if report_status not in FILED_STATUSES:
        msg = f"unknown report status {report_status!r}"
        raise ValueError(msg)
    if issue_state is None:
        msg = f"a {report_status} report without its issue"
        raise ValueError(msg)
    state = IssueState(issue_state)
    if state is IssueState.RECEIVED:
        return ReceivedLine.PENDING, None
    if state is IssueState.MERGED:
        return ReceivedLine.MERGED, None
    if state is IssueState.NOT_ACCEPTED:
        if not_accepted_reason is None:
            msg = "a report not accepted without its reason"
            raise ValueError(msg)
        return ReceivedLine.NOT_ACCEPTED, NotAcceptedReason(not_accepted_reason)
    return ReceivedLine.ACCEPTED, None


def _due(data: Mapping[str, Any] | None) -> dt.date | None:
    raw = (data or {}).get("due_on")
    return dt.date.fromisoformat(raw) if isinstance(raw, str) and raw else None


def first_deadline(events: Iterable[tuple[str, Mapping[str, Any] | None]]) -> dt.date | None:
    """The deadline the first rectification plan set, from ``(kind, data)`` in order.

    Later plans (after a supervisor reopened the issue) and extensions do not move
    it: a fix is late if it came after the deadline first promised.
    """
    for kind, data in events:
        if kind == EventKind.PLANNED:
            due = _due(data)
            if due is not None:
                return due
    return None


def redispatched(kinds: Iterable[str]) -> bool:
    """Whether an issue was dispatched again: a unit objected, or it was dispatched twice."""
    dispatched = 0
    for kind in kinds:
        if kind == EventKind.OBJECTED:
            return True
        if kind == EventKind.DISPATCHED:
            dispatched += 1
    return dispatched > 1


def standing(
    *,
    state: IssueState | str,
    track: RectificationTrack | str | None,
    first_due: dt.date | None,
    due_on: dt.date | None,
    completed_at: dt.datetime | None,
    today: dt.date,
    late: bool = False,
) -> tuple[RectificationTrack | None, Standing]:
    """The track an accepted issue is counted on, and where it stands against its deadline.

    Delivered (completed, explained, closed): on time if the last completion fell by
    the first deadline, else late; a late fix that was reopened and re-planned stays
    late. Still open (being fixed, reopened, or before a track is chosen): overdue
    once today is past the first deadline, or, before any plan, past the deadline in
    force (dispatch or plan). The track is ``None`` until one is chosen (again).
    ``late`` is the ledger's own verdict (a deadline missed, or a fix that came late):
    it is never overruled, so the briefing and the ledger's export agree.
    """
    state = IssueState(state)
    chosen = None if state in _AWAITING or track is None else RectificationTrack(track)
    if state in _DONE:
        finished = local_date(completed_at) if completed_at is not None else None
        late = late or (first_due is not None and finished is not None and finished > first_due)
        return chosen, Standing.LATE if late else Standing.ON_TIME
    deadline = first_due or due_on
    overdue = late or (deadline is not None and deadline < today)
    return chosen, Standing.OPEN_OVERDUE if overdue else Standing.OPEN


_TRACK_ORDER: tuple[RectificationTrack | None, ...] = (
    RectificationTrack.IMMEDIATE,
    RectificationTrack.SCHEDULED,
    RectificationTrack.EXPLAINED,
    None,
)


def briefing_figures(
    issues: Sequence[Any],
    *,
    others: Mapping[tuple[str, int], int],
    received: int,
    first_due: Mapping[int, dt.date],
    redispatched_ids: set[int],
    opinions: list[BriefingOpinion],
    meeting: BriefingMeeting | None,
    center: str,
    center_name: str,
    year: int,
    half: int,
    today: dt.date,
    top: int = 5,
) -> Briefing:
    """The briefing of the half year's reports.

    :param issues: the reports that became issues, with the issue's ``id``, ``number``,
        ``state``, ``not_accepted_reason``, ``track``, ``due_on``, ``missed_due_on``,
        ``completed_on_time``, ``completed_at``,
        ``satisfaction``, ``reopen_count``, ``problem_type``, ``stage``, ``text``,
        ``measures``, ``evidence``, ``received_at`` and the report's ``report_status``
    :param others: the reports that did not become issues, counted by
        ``(report status, month)``
    :param received: every report received in the half year, counted on its own
    :param first_due: the first plan's deadline by issue id (:func:`first_deadline`)
    :param redispatched_ids: the issues dispatched again (:func:`redispatched`)
    """
    lines: Counter[tuple[ReceivedLine, NotAcceptedReason | None]] = Counter()
    cells: dict[RectificationTrack | None, Counter[Standing]] = {t: Counter() for t in _TRACK_ORDER}
    satisfaction: Counter[str] = Counter()
    types: Counter[str] = Counter()
    months: Counter[int] = Counter()
    stages: Counter[str] = Counter()
    counts = Counter[str]()
    typical: list[dict[str, Any]] = []
    for (status, month), n in others.items():
        lines[received_line(status)] += n
        months[month] += n
    for r in issues:
        months[local_date(r.received_at).month] += 1
        placed = received_line(r.report_status, r.state, r.not_accepted_reason)
        lines[placed] += 1
        if r.problem_type:
            types[ProblemType(r.problem_type).label] += 1
        if r.stage:
            stages[Stage(r.stage).label] += 1
        if placed[0] is not ReceivedLine.ACCEPTED:
            continue
        track, where = standing(
            state=r.state,
            track=r.track,
            first_due=first_due.get(r.id),
            due_on=r.due_on,
            completed_at=r.completed_at,
            today=today,
            late=r.completed_on_time is False or r.missed_due_on is not None,
        )
        cells[track][where] += 1
        if r.satisfaction:
            satisfaction[r.satisfaction] += 1
        if r.reopen_count:
            counts["reopened"] += 1
        if r.id in redispatched_ids:
            counts["redispatched"] += 1
        if r.state == IssueState.CLOSED:
            counts["closed"] += 1
        done = r.state in (IssueState.COMPLETED, IssueState.CLOSED)
        if done and r.satisfaction == "satisfied" and len(typical) < 3:
            typical.append(
                {
                    "number": r.number,
                    "text": mask_personal_data(r.text)[:120],
                    "measures": r.measures,
                    "evidence": r.evidence,
                }
            )
    ordered = [BriefingLine(ReceivedLine.ACCEPTED, lines[(ReceivedLine.ACCEPTED, None)])]
    ordered += [
        BriefingLine(ReceivedLine.NOT_ACCEPTED, lines[(ReceivedLine.NOT_ACCEPTED, reason)], reason)
        for reason in NotAcceptedReason
        if lines[(ReceivedLine.NOT_ACCEPTED, reason)]
    ]
    ordered += [
        BriefingLine(line, lines[(line, None)])
        for line in ReceivedLine
        if line not in (ReceivedLine.ACCEPTED, ReceivedLine.NOT_ACCEPTED)
    ]
    by_line = Counter[ReceivedLine]()
    for (kind, _), n in lines.items():
        by_line[kind] += n
    return Briefing(
        center=center,
        center_name=center_name,
        period=f"{year}H{half}",
        received=received,
        lines=tuple(ordered),
        accepted=by_line[ReceivedLine.ACCEPTED],
        not_accepted={
            reason.label: lines[(ReceivedLine.NOT_ACCEPTED, reason)]
            for reason in NotAcceptedReason
            if lines[(ReceivedLine.NOT_ACCEPTED, reason)]
        },
        pending=by_line[ReceivedLine.PENDING],
        merged=by_line[ReceivedLine.MERGED],
        follow_ups=by_line[ReceivedLine.FOLLOW_UP],
        quarantined=by_line[ReceivedLine.QUARANTINED],
        dismissed=by_line[ReceivedLine.DISMISSED],
        rectification=tuple(
            RectificationLine(
                track=track,
                on_time=cells[track][Standing.ON_TIME],
                late=cells[track][Standing.LATE],
                open=cells[track][Standing.OPEN],
                open_overdue=cells[track][Standing.OPEN_OVERDUE],
            )
            for track in _TRACK_ORDER
        ),
        reopened=counts["reopened"],
        redispatched=counts["redispatched"],
        closed=counts["closed"],
        satisfaction=dict(satisfaction),
        problem_types=types.most_common(top),
        stages=stages.most_common(top),
        by_month=[(f"{m}月", months[m]) for m in (range(1, 7) if half == 1 else range(7, 13))],
        typical_cases=typical,
        opinions=opinions,
        meeting=meeting,
    )

"""The centers' routine: 催办 before a deadline, 督办 once it has passed, and escalation.

Plain functions over issue summaries, a day and the working-day calendar; the ledger
turns what they return into notices (:meth:`Ledger.run_routine`), each written to the
outbox once under a key that names the step, the issue and its deadline, so running
the routine again — every minute, on several daemons — sends nothing twice.

The words follow DOMAIN.md and the glossary: 催办 is the reminder as a deadline
approaches, 督办 the supervision of what is overdue.

- **Reminder** (到期催办): a rectification due within ``reminder_before`` working days;
  to the unit.
- **Overdue** (逾期督办): a deadline passed; to the unit and to the center's staff. For
  an issue still waiting on the center (screening, dispatch, a plan), to the center.
- **Escalation** (提级督办): ``escalate_to_banner_after`` working days past the
  deadline; to the banner center.
- **Unscreened** (待审查提醒): a report not screened within its time limit; to the center.

Nothing is sent on a day the centers do not work (weekends, holidays, closures): the
routine waits for the next working day.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from supervision_core.model.issues import OPEN_STATES, IssueState
from supervision_core.model.summaries import IssueSummary
from supervision_core.rules.deadlines import TimeLimits
from supervision_core.rules.workdays import WorkCalendar

__all__ = ["RoutineKind", "RoutineStep", "documents_due", "routine_steps"]


class RoutineKind(enum.StrEnum):
    """The routine's steps."""

    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    UNSCREENED = "unscreened"

    @property
    def label(self) -> str:
        """The step in Chinese."""
        return {
            "reminder": "到期催办",
            "overdue": "逾期督办",
            "escalation": "提级督办",
            "unscreened": "待审查提醒",
        }[self.value]


@attrs.frozen
class RoutineStep:
    """One notice the routine owes: what, for which issue, to whom."""

    kind: RoutineKind
    issue_id: int
    number: str
    center: str
    due_on: dt.date
    recipient_kind: str  # "unit" or "center"
    recipient: str  # a unit code or a center code
    late_days: int = 0  # working days past the deadline

    @property
    def key(self) -> str:
        """The notice's identity: the same step for the same deadline is sent once."""
        return f"routine:{self.kind.value}:{self.issue_id}:{self.due_on.isoformat()}:{self.recipient_kind}:{self.recipient}"


_CENTER_STEPS = {IssueState.ACCEPTED, IssueState.DISPATCHED}
_UNIT_STEPS = {IssueState.RECTIFYING, IssueState.REOPENED}


def routine_steps(
    issues: Iterable[IssueSummary],
    today: dt.date,
    calendar: WorkCalendar,
    limits: TimeLimits,
    *,
    banner_center: str | None,
) -> list[RoutineStep]:
    """The notices owed today for these open issues (each issue's summary as it stands)."""
    if not calendar.is_working_day(today):
        return []
    steps: list[RoutineStep] = []
    for issue in issues:
        if issue.due_on is None:
            continue
        state = IssueState(issue.state)
        if state not in OPEN_STATES:
            continue
        due = issue.due_on
        late = calendar.working_days_between(due, today) if today > due else 0

        def step(
            kind: RoutineKind, recipient_kind: str, recipient: str, i: IssueSummary = issue
        ) -> None:
            assert i.due_on is not None
            late_days = calendar.working_days_between(i.due_on, today) if today > i.due_on else 0
            steps.append(
                RoutineStep(
                    kind, i.id, i.number, i.center, i.due_on, recipient_kind, recipient, late_days
                )
            )

        if state is IssueState.RECEIVED:
            if today > due:
                step(RoutineKind.UNSCREENED, "center", issue.center)
        elif state in _CENTER_STEPS:
            if today > due:
                step(RoutineKind.OVERDUE, "center", issue.center)
        elif state in _UNIT_STEPS:
            if today <= due:
                if (
                    calendar.working_days_between(today, due) <= limits.reminder_before
                    and issue.unit
                ):
                    step(RoutineKind.REMINDER, "unit", issue.unit)
            else:
                if issue.unit:
                    step(RoutineKind.OVERDUE, "unit", issue.unit)
                step(RoutineKind.OVERDUE, "center", issue.center)
        if (
            late >= limits.escalate_to_banner_after
            and banner_center
            and state is not IssueState.RECEIVED
        ):
            step(RoutineKind.ESCALATION, "center", banner_center)
    return steps


def routine_text(step: RoutineStep) -> tuple[str, str]:
    """The notice's subject and body (never naming the supervisor)."""
    n, due = step.number, step.due_on.isoformat()
    subject = f"【{step.kind.label}】问题 {n}"
    match step.kind:
        case RoutineKind.REMINDER:
            body = f"催办：问题 {n} 的整改期限为 {due}，即将到期，请按期完成并报送整改情况。"
        case RoutineKind.OVERDUE:
            body = (
                f"督办：问题 {n} 已超过办理期限（{due}），已逾期 {step.late_days} 个工作日，"
                "请立即办理并说明逾期原因。"
            )
        case RoutineKind.ESCALATION:
            body = (
                f"问题 {n}（{step.center}）已超过办理期限（{due}）{step.late_days} 个工作日仍未办结，"
                "按规定提请旗政务服务中心督办。"
            )
        case RoutineKind.UNSCREENED:
            body = f"反馈 {n} 尚未审查（期限 {due}），请尽快审查并决定是否受理。"
    return subject, body


def documents_due(
    today: dt.date, calendar: WorkCalendar, *, window_days: int = 30
) -> list[tuple[str, str]]:
    """The documents to prepare for review today.

    ("briefing", "2026H1") from the first working day of July; ("briefing", "2025H2")
    and ("evaluation", "2025") from the first working day of January; each for
    ``window_days`` after that day, on working days.
    """
    due: list[tuple[str, str]] = []
    for start, items in (
        (dt.date(today.year, 7, 1), [("briefing", f"{today.year}H1")]),
        (
            dt.date(today.year, 1, 1),
            [("briefing", f"{today.year - 1}H2"), ("evaluation", str(today.year - 1))],
        ),
    ):
        first = (
            start if calendar.is_working_day(start) else calendar.add_working_days(start, 1).due_on
        )
        if first <= today <= first + dt.timedelta(days=window_days) and calendar.is_working_day(
            today
        ):
            due.extend(items)
    return due

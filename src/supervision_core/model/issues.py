"""Issues in the ledger (反馈问题台账) and the events that make up their history."""

from __future__ import annotations

import datetime as dt
import enum
import types
from collections.abc import Mapping
from typing import Any

import attrs

from supervision_core.model.reports import ReportHints

__all__ = [
    "OPEN_STATES",
    "EventKind",
    "Issue",
    "IssueEvent",
    "IssueState",
    "NotAcceptedReason",
    "RectificationTrack",
    "Satisfaction",
    "UnitFile",
    "UnitView",
]


class IssueState(enum.StrEnum):
    """Where an issue stands in its life (DOMAIN: a report's life)."""

    RECEIVED = "received"  # 待审查
    ACCEPTED = "accepted"  # 已受理，待派单
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    DISPATCHED = "dispatched"  # 已派单，待定整改方式
    RECTIFYING = "rectifying"  # 整改中
    COMPLETED = "completed"  # 已整改，待评价
    EXPLAINED = "explained"  # 已说明，待评价
    REOPENED = "reopened"  # 不满意，重新整改
    CLOSED = "closed"  # 已办结
    MERGED = "merged"  # 已并入其他问题

    @property
    def label(self) -> str:
        """The state in Chinese."""
        return _STATE_LABELS[self]


_STATE_LABELS = {
    IssueState.RECEIVED: "待审查",
    IssueState.ACCEPTED: "已受理待派单",
    IssueState.NOT_ACCEPTED: "不予受理",
    IssueState.DISPATCHED: "已派单",
    IssueState.RECTIFYING: "整改中",
    IssueState.COMPLETED: "已整改待评价",
    IssueState.EXPLAINED: "已说明待评价",
    IssueState.REOPENED: "重新整改",
    IssueState.CLOSED: "已办结",
    IssueState.MERGED: "已合并",
}

#: States in which an issue still needs someone to act, and may fall overdue.
OPEN_STATES: frozenset[IssueState] = frozenset(
    {
        IssueState.RECEIVED,
        IssueState.ACCEPTED,
        IssueState.DISPATCHED,
        IssueState.RECTIFYING,
        IssueState.REOPENED,
    }
)


class NotAcceptedReason(enum.StrEnum):
    """The six reasons a report is not accepted (工作指南 四、问题反馈)."""

    LEGAL_PROCEDURE = "legal_procedure"
    PETITION = "petition"
    CONFIDENTIAL = "confidential"
    NO_SUBSTANCE = "no_substance"
    UNLAWFUL = "unlawful"
    IMPRACTICAL = "impractical"

    @property
    def label(self) -> str:
        """The reason in the notice's words."""
        return {
            "legal_procedure": "应当通过诉讼、仲裁、纪检监察、行政复议、政府信息公开等程序解决",
            "petition": "已进入信访渠道",
            "confidential": "涉及国家秘密、商业秘密、个人隐私或违背社会公序良俗",
            "no_substance": "恶意攻击骚扰、诉求表述不清或无实质内容",
            "unlawful": "违反法律法规、规章制度及政策规定",
            "impractical": "经分析研判不符合政务服务改革发展实际",
        }[self.value]


class RectificationTrack(enum.StrEnum):
    """How a dispatched issue is answered."""

    IMMEDIATE = "immediate"  # 立行立改
    SCHEDULED = "scheduled"  # 限时整改
    EXPLAINED = "explained"  # 作出说明

    @property
    def label(self) -> str:
        """The track in Chinese."""
        return {"immediate": "立行立改", "scheduled": "限时整改", "explained": "作出说明"}[
            self.value
        ]


class Satisfaction(enum.StrEnum):
    """The supervisor's evaluation of how an issue was handled."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    NOT_SATISFIED = "not_satisfied"

    @property
    def label(self) -> str:
        """The evaluation in Chinese."""
        return {
            "satisfied": "满意",
            "basically_satisfied": "基本满意",
            "not_satisfied": "不满意",
        }[self.value]


class EventKind(enum.StrEnum):
    """Every step in an issue's life; each is recorded as one event."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    DISPATCHED = "dispatched"
    PLANNED = "planned"
    PROGRESS = "progress"
    EXTENDED = "extended"
    COMPLETED = "completed"
    EXPLAINED = "explained"
    EVALUATED = "evaluated"
    CLOSED = "closed"
    MERGED = "merged"
    DUPLICATE_ATTACHED = "duplicate_attached"
    SUPPLEMENTED = "supplemented"  # the supervisor wrote again about the same issue
    OBJECTED = "objected"  # the unit says the issue is not its to handle; back to the center

    @property
    def label(self) -> str:
        """The step in Chinese."""
        return {
            "received": "收到反馈",
            "accepted": "受理",
            "not_accepted": "不予受理",
            "dispatched": "派单",
            "planned": "确定整改方式",
            "progress": "整改进展",
            "extended": "延期",
            "completed": "整改完成",
            "explained": "作出说明",
            "evaluated": "监督员评价",
            "closed": "办结",
            "merged": "并入其他问题",
            "duplicate_attached": "合并重复反馈",
            "supplemented": "补充反馈",
            "objected": "承办单位提出异议",
        }[self.value]


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(value))


@attrs.frozen(kw_only=True, eq=False)
class IssueEvent:
    """One step: who did what, when and why. Events are only ever appended."""

    kind: EventKind = attrs.field(converter=EventKind)
    at: dt.datetime
    actor: str
    note: str | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    id: int | None = None


@attrs.frozen(kw_only=True)
class Issue:
    """An issue in the ledger: the sum of its events."""

    id: int
    number: str
    center: str
    report_id: int
    supervisor_id: int
    received_at: dt.datetime
    subject: str | None
    text: str
    hints: ReportHints
    state: IssueState = IssueState.RECEIVED
    not_accepted_reason: NotAcceptedReason | None = None
    screening_note: str | None = None
    unit: str | None = None
    responsible_person: str | None = None
    track: RectificationTrack | None = None
    measures: str | None = None
    #: The deadline of the step now pending (screening, dispatch, plan, rectification or
    #: explanation): what reminders and escalation follow. ``None`` when nothing is due.
    due_on: dt.date | None = None
    due_confirmed: bool = True
    #: The rectification deadline (整改时限) as the plan set it, before any extension.
    original_due_on: dt.date | None = None
    #: The rectification deadline in force: the plan's, moved by each extension, and kept
    #: after the fix. ``None`` before a plan (and after a new dispatch, until the next one).
    rectification_due_on: dt.date | None = None
    #: The first rectification deadline that passed before the fix: lateness is measured
    #: against it, whatever extension was granted after it.
    missed_due_on: dt.date | None = None
    #: How many times the rectification deadline was extended (延期次数) in this plan.
    extensions: int = 0
    progress_count: int = 0
    completed_at: dt.datetime | None = None
    #: Whether the rectification (or explanation) came by its deadline. Once a fix came
    #: late the issue stays late, through any later extension or reopening.
    completed_on_time: bool | None = None
    #: Working days the fix came after the deadline it missed: 0 on time; ``None`` while
    #: not done, or for a late fix recorded before the count was kept (before 0014).
    late_working_days: int | None = None
    evidence: str | None = None
    explanation: str | None = None
    satisfaction: Satisfaction | None = None
    reopen_count: int = 0
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    merged_into: int | None = None
    possible_duplicate_of: int | None = None

    @property
    def is_open(self) -> bool:
        """Whether someone still has to act on it."""
        return self.state in OPEN_STATES

    def is_overdue(self, today: dt.date) -> bool:
        """Whether its current deadline passed before ``today`` while still open."""
        return self.is_open and self.due_on is not None and self.due_on < today

    def is_late(self, today: dt.date) -> bool:
        """The ledger's 是否逾期: a fix that came late, a deadline already missed, or overdue now.

        An extension never clears it: a late fix stays late.
        """
        return (
            self.completed_on_time is False
            or self.missed_due_on is not None
            or self.is_overdue(today)
        )


@attrs.frozen(kw_only=True)
class UnitView:
    """An issue as the responsible unit sees it (派单通知).

    It has no supervisor, no sender, no report or issue id that could be traced
    back to one: independence of supervisors is a rule of the notice. Every text in it
    has been through :func:`~supervision_core.rules.redaction.redact_for_unit`. A
    reopened issue carries the supervisor's reason for dissatisfaction, redacted,
    without who gave it.
    """

    number: str
    center: str
    received_on: dt.date
    text: str
    hints: ReportHints
    state: IssueState
    unit: str | None
    responsible_person: str | None
    track: RectificationTrack | None
    measures: str | None
    due_on: dt.date | None
    due_confirmed: bool
    #: Why the supervisor was not satisfied (不满意理由), while the issue is reopened.
    dissatisfaction: str | None = None
    #: The progress entries recorded (整改进展), oldest first.
    progress: tuple[str, ...] = ()
    evidence: str | None = None
    explanation: str | None = None
    #: The report's photos and documents, as the unit may have them.
    files: tuple[UnitFile, ...] = ()


@attrs.frozen(kw_only=True)
class UnitFile:
    """A photo or document of a dispatched issue, as its unit may have it.

    Numbered within the issue (no attachment or report id), its name redacted. A unit
    is served only what can be cleaned of metadata (photos re-encoded, PDFs rewritten);
    ``served`` is false for anything else.
    """

    number: int
    filename: str
    content_type: str
    served: bool

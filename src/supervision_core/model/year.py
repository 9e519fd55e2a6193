"""The supervisors' year: activities, work plans, findings, discipline, evaluation.

Values and the pure rules of the annual evaluation (ranking, bands, the quota of
excellent supervisors and how ties are broken) live here; the ledger stores them.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Callable, Sequence

import attrs

from supervision_core.model.scoring import Band, Score, SupervisorYear
from supervision_core.model.supervisors import SupervisorStatus

__all__ = [
    "DEFAULT_TIE_RULE",
    "TIE_RULES",
    "Activity",
    "ActivityKind",
    "AttendanceStatus",
    "DisciplineKind",
    "DisciplineRecord",
    "Evaluation",
    "EvaluationEntry",
    "FindingKind",
    "WorkPlan",
    "excellent_quota",
    "rank_entries",
]


class ActivityKind(enum.StrEnum):
    """Activities a center organises for its supervisors."""

    GROUP_EXPERIENCE = "group_experience"  # 集中体验
    FORUM = "forum"  # 座谈交流
    RESEARCH = "research"  # 调研
    TRAINING = "training"  # 培训（监督员的权利）

    @property
    def label(self) -> str:
        """The kind in Chinese."""
        return {
            "group_experience": "集中体验",
            "forum": "座谈交流",
            "research": "调研",
            "training": "培训",
        }[self.value]


class AttendanceStatus(enum.StrEnum):
    """How an invited supervisor answered an activity."""

    PRESENT = "present"
    EXCUSED = "excused"
    UNEXCUSED = "unexcused"

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return {"present": "出席", "excused": "请假", "unexcused": "无故缺席"}[self.value]


class FindingKind(enum.StrEnum):
    """What a center found about a reported issue, beyond its rectification."""

    ADOPTED_SUGGESTION = "adopted_suggestion"  # 意见建议被采纳
    RULE_CHANGE = "rule_change"  # 推动制度或流程改进
    FALSE_REPORT = "false_report"  # 反馈不实或恶意

    @property
    def label(self) -> str:
        """The finding in Chinese."""
        return {
            "adopted_suggestion": "意见建议被采纳",
            "rule_change": "推动制度或流程改进",
            "false_report": "反馈不实或恶意",
        }[self.value]


class DisciplineKind(enum.StrEnum):
    """Records of a supervisor's breaches of duty (notice, 三（三）)."""

    ADMONITION = "admonition"  # 批评教育
    CONFIDENTIALITY_BREACH = "confidentiality_breach"  # 违反保密义务
    REFERRAL = "referral"  # 违法违纪，移交有关部门处理

    @property
    def label(self) -> str:
        """The record in Chinese."""
        return {
            "admonition": "批评教育",
            "confidentiality_breach": "违反保密义务",
            "referral": "违法违纪（移交有关部门处理）",
        }[self.value]

    @property
    def always_reviewed(self) -> bool:
        """A breach listed for revocation review whatever came before (notice, 四（三）)."""
        return self is not DisciplineKind.ADMONITION


@attrs.frozen(kw_only=True)
class WorkPlan:
    """A center's yearly supervision work plan (监督工作计划) and its responsible staff."""

    id: int
    center: str
    year: int
    title: str
    responsible_staff: tuple[str, ...]
    content: str


@attrs.frozen(kw_only=True)
class Activity:
    """An activity: what, when, where, who organised it, and who was invited.

    An activity a center *announces* (``starts_at`` set) is open to its supervisors'
    sign-up (报名) until ``signup_deadline``, up to ``capacity`` places (``None``: no
    limit); ``signed_up`` lists who signed up, in the order they did. Signing up is
    not attending: only the ``attendance`` staff record after it counts in the year.
    An activity only recorded after the fact (``supdesk activities add``) has no
    start time and takes no sign-up.
    """

    id: int
    center: str
    kind: ActivityKind = attrs.field(converter=ActivityKind)
    title: str
    held_on: dt.date
    place: str
    organizer: str
    attendance: tuple[tuple[int, AttendanceStatus], ...] = ()
    starts_at: dt.datetime | None = None
    signup_deadline: dt.datetime | None = None
    capacity: int | None = None
    description: str = ""
    announced_by: str | None = None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None
    signed_up: tuple[int, ...] = ()

    @property
    def announced(self) -> bool:
        """Whether the center announced it for sign-up (not only recorded it)."""
        return self.starts_at is not None

    @property
    def cancelled(self) -> bool:
        """Whether the center cancelled it."""
        return self.cancelled_at is not None

    @property
    def places_left(self) -> int | None:
        """Places still free, or ``None`` when there is no limit."""
        if self.capacity is None:
            return None
        return max(0, self.capacity - len(self.signed_up))

    @property
    def full(self) -> bool:
        """Whether every place is taken."""
        return self.places_left == 0

    def signup_open(self, now: dt.datetime) -> bool:
        """Whether a supervisor may still sign up or withdraw at ``now`` (before the deadline)."""
        return (
            self.announced
            and not self.cancelled
            and self.signup_deadline is not None
            and now < self.signup_deadline
        )


@attrs.frozen(kw_only=True)
class DisciplineRecord:
    """One record of discipline, with its reason and date."""

    id: int
    supervisor_id: int
    kind: DisciplineKind = attrs.field(converter=DisciplineKind)
    on: dt.date
    reason: str  # the facts (事实)
    actor: str
    authority: str | None = None
    response: str | None = None  # the supervisor's response to it (本人表态)


@attrs.frozen(kw_only=True)
class EvaluationEntry:
    """One supervisor's line in an annual evaluation."""

    supervisor_id: int
    name: str
    rank: int
    score: Score
    excellent: bool
    year_facts: SupervisorYear
    tie_note: str | None = None
    status: SupervisorStatus = attrs.field(
        default=SupervisorStatus.ACTIVE, converter=SupervisorStatus
    )
    term_start: dt.date | None = None
    term_end: dt.date | None = None
    flags: tuple[str, ...] = ()  # in Chinese: a review due, a referral, admonitions

    @property
    def eligible(self) -> bool:
        """Whether the entry may take a place among the excellent: active supervisors only."""
        return self.status is SupervisorStatus.ACTIVE


@attrs.frozen(kw_only=True)
class Evaluation:
    """An annual evaluation: a preview (nothing stored) or a published version.

    A published version is never changed; publishing again makes a new version that
    supersedes it (with the reason). The latest published version is the official one.
    """

    id: int
    center: str
    year: int
    version: int
    policy: str
    quota: int
    quota_ratio: float
    tie_rule: tuple[str, ...]
    published_at: dt.datetime
    actor: str
    entries: tuple[EvaluationEntry, ...]
    published: bool = True
    official: bool = False
    supersedes: int | None = None  # the id of the version this one replaced
    reason: str | None = None  # why it replaced it

    @property
    def excellent(self) -> tuple[EvaluationEntry, ...]:
        """The year's excellent supervisors (优秀监督员)."""
        return tuple(e for e in self.entries if e.excellent)


#: Ways to order supervisors with equal scores, each a key where smaller ranks higher.
TIE_RULES: dict[str, tuple[str, Callable[[EvaluationEntry], object]]] = {
    "verified_reports": ("经核实的反馈多者在前", lambda e: -len(e.year_facts.verified_reports)),
    "led_to_fix": ("促成整改多者在前", lambda e: -len(e.year_facts.led_to_fix)),
    "activities": ("参加活动多者在前", lambda e: -len(e.year_facts.activities_attended)),
    "fewer_absences": ("无故缺席少者在前", lambda e: len(e.year_facts.unexcused_absences)),
    "appointed_earlier": ("聘任早者（编号小）在前", lambda e: e.supervisor_id),
}
DEFAULT_TIE_RULE: tuple[str, ...] = (
    "verified_reports",
    "activities",
    "fewer_absences",
    "appointed_earlier",
)


def excellent_quota(evaluated: int, ratio: float = 0.2) -> int:
    """At most ``ratio`` of ``evaluated``, rounded down, at least one (none of none).

    The evaluation passes the number of entries that may be chosen (active supervisors).
    """
    if evaluated <= 0:
        return 0
    return max(1, math.floor(evaluated * ratio + 1e-9))


def rank_entries(
    entries: Sequence[EvaluationEntry], *, tie_rule: Sequence[str], quota: int
) -> list[EvaluationEntry]:
    """Rank by total, ties broken by ``tie_rule`` in order; choose the excellent.

    The excellent are the best-ranked eligible (active) entries in the excellent
    band, at most ``quota`` of them: a revoked or suspended supervisor keeps a rank
    but never takes a place. Where two equal totals were ordered by a tie rule, the
    lower-ranked entry says which rule decided (``tie_note``).
    """
    unknown = [r for r in tie_rule if r not in TIE_RULES]
    if unknown:
        msg = f"未知的并列规则 {', '.join(unknown)}；可用：{', '.join(TIE_RULES)}"
        raise ValueError(msg)
    rule = [*tie_rule, *(() if "appointed_earlier" in tie_rule else ("appointed_earlier",))]

    def key(e: EvaluationEntry) -> tuple[object, ...]:
        return (-e.score.total, *(TIE_RULES[r][1](e) for r in rule))

    ordered = sorted(entries, key=key)
    ranked: list[EvaluationEntry] = []
    chosen = 0
    for position, entry in enumerate(ordered, start=1):
        note = None
        if ranked and ranked[-1].score.total == entry.score.total:
            previous = ordered[position - 2]
            for name in rule:
                if TIE_RULES[name][1](previous) != TIE_RULES[name][1](entry):
                    note = f"与第 {position - 1} 名同分，按“{TIE_RULES[name][0]}”排后"
                    break
        excellent = entry.eligible and entry.score.band is Band.EXCELLENT and chosen < quota
        chosen += excellent
        ranked.append(attrs.evolve(entry, rank=position, excellent=excellent, tie_note=note))
    return ranked

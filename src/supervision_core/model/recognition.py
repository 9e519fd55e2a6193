"""Field visits that found nothing, joint analyses, commendations and the officer team.

Values only; the ledger stores them (``store.recognition``):

- :class:`FieldVisit`: a supervisor's service experience (办事体验) or covert inspection
  (明察暗访) that found no problem, which the evaluation counts like a recorded experience;
- :class:`JointAnalysis`: the analysis the notice requires before a suggestion is refused
  as impractical (不予受理理由六：经政务服务管理部门、政务服务部门及社会监督员分析研判);
- :class:`Commendation`: the commendation (予以表彰奖励) of the year's excellent supervisors;
- :class:`OfficerRecommendation`: a township's proposal of its own supervisor into the
  banner's 营商环境体验官 team, and the banner center's decision.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from supervision_core.model.vocabulary import Method

__all__ = [
    "VISIT_METHODS",
    "AnalysisParticipant",
    "AnalysisRole",
    "Commendation",
    "FieldVisit",
    "JointAnalysis",
    "OfficerRecommendation",
    "RecommendationStatus",
]

#: The ways of working a field visit may have: the four service experiences, an inspection.
VISIT_METHODS = (
    Method.SIMULATED,
    Method.ACCOMPANYING,
    Method.IN_PERSON,
    Method.OVERSEEING,
    Method.INSPECTION,
)


@attrs.frozen(kw_only=True)
class FieldVisit:
    """A service experience or inspection by a supervisor that found no problem.

    ``task_id`` refers to the supervisor's task the visit answered, if any.
    """

    id: int
    supervisor_id: int
    center: str
    method: Method = attrs.field(converter=Method)
    venue: str
    on: dt.date
    note: str | None
    recorded_by: str
    recorded_at: dt.datetime
    task_id: int | None = None

    @property
    def ref(self) -> str:
        """How a score's item names it."""
        return f"体验#{self.id}"


class AnalysisRole(enum.StrEnum):
    """Who takes part in the joint analysis of reason six."""

    MANAGEMENT = "management"  # 政务服务管理部门
    SERVICE = "service"  # 政务服务部门
    SUPERVISOR = "supervisor"  # 社会监督员

    @property
    def label(self) -> str:
        """The role in Chinese."""
        return {
            "management": "政务服务管理部门",
            "service": "政务服务部门",
            "supervisor": "监督员",
        }[self.value]

    @classmethod
    def parse(cls, text: str) -> AnalysisRole:
        """A role by its code or Chinese name (``监督员``, ``管理部门``, ``服务部门``...)."""
        text = text.strip()
        aliases = {
            "管理部门": cls.MANAGEMENT,
            "政务服务管理部门": cls.MANAGEMENT,
            "服务部门": cls.SERVICE,
            "政务服务部门": cls.SERVICE,
            "监督员": cls.SUPERVISOR,
            "社会监督员": cls.SUPERVISOR,
        }
        if text in aliases:
            return aliases[text]
        try:
            return cls(text)
        except ValueError:
            msg = (
                f"参加研判人员的身份只能是：管理部门（management）、服务部门（service）"
                f"或监督员（supervisor），而不是“{text[:20]}”"
            )
            raise ValueError(msg) from None


@attrs.frozen
class AnalysisParticipant:
    """One participant of a joint analysis; a supervisor is named by their id too."""

    role: AnalysisRole = attrs.field(converter=AnalysisRole)
    name: str
    supervisor_id: int | None = None


def _participants(values: Iterable[AnalysisParticipant]) -> tuple[AnalysisParticipant, ...]:
    return tuple(values)


def _stripped(text: str) -> str:
    return text.strip()


@attrs.frozen(kw_only=True)
class JointAnalysis:
    """The joint analysis (分析研判) before refusing a suggestion as impractical.

    Needs a date, a conclusion and at least one supervisor among those who took part.
    """

    held_on: dt.date
    participants: tuple[AnalysisParticipant, ...] = attrs.field(converter=_participants)
    conclusion: str = attrs.field(converter=_stripped)

    def __attrs_post_init__(self) -> None:
        if not self.conclusion:
            msg = "分析研判必须写明结论"
            raise ValueError(msg)
        if not any(p.role is AnalysisRole.SUPERVISOR for p in self.participants):
            msg = "分析研判须有至少一名监督员参加"
            raise ValueError(msg)

    def summary(self) -> str:
        """One line for the history and the supervisor's notice (counts, not names)."""
        counts = [
            f"{role.label}{n}人"
            for role in AnalysisRole
            if (n := sum(p.role is role for p in self.participants))
        ]
        return f"{self.held_on} 经分析研判（参加：{'、'.join(counts)}），结论：{self.conclusion}"

    def to_data(self) -> dict[str, Any]:
        """As stored in the not-accepted event's data."""
        return {
            "held_on": self.held_on.isoformat(),
            "conclusion": self.conclusion,
            "participants": [
                {"role": p.role.value, "name": p.name, "supervisor_id": p.supervisor_id}
                for p in self.participants
            ],
        }

    @classmethod
    def parse(
        cls,
        *,
        held_on: dt.date | None,
        participants: Iterable[str],
        conclusion: str | None,
        supervisor_name: Callable[[int], str],
    ) -> JointAnalysis:
        """The analysis as typed: each participant ``身份:姓名``, a supervisor ``监督员:编号``.

        ``supervisor_name`` gives a supervisor's name by id (and raises if there is none).
        Raises ``ValueError`` in Chinese on what cannot be read.
        """
        if held_on is None:
            msg = "必须写明分析研判的日期"
            raise ValueError(msg)
        found = []
        for text in participants:
            if not text.strip():
                continue
            role_text, sep, who = text.replace("：", ":").partition(":")
            who = who.strip()
            if not sep or not who:
                msg = f"参加研判人员应写作“身份:姓名”（监督员写“监督员:编号”），而不是“{text[:40]}”"
                raise ValueError(msg)
            role = AnalysisRole.parse(role_text)
            if role is AnalysisRole.SUPERVISOR:
                if not who.lstrip("#").isdigit():
                    msg = f"参加研判的监督员请写编号，如“监督员:12”，而不是“{who[:20]}”"
                    raise ValueError(msg)
                sid = int(who.lstrip("#"))
                found.append(AnalysisParticipant(role, supervisor_name(sid), sid))
            else:
                found.append(AnalysisParticipant(role, who[:100]))
        return cls(held_on=held_on, participants=found, conclusion=conclusion or "")

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> JointAnalysis:
        """The analysis from an event's data (:meth:`to_data`)."""
        return cls(
            held_on=dt.date.fromisoformat(data["held_on"]),
            conclusion=data["conclusion"],
            participants=[
                AnalysisParticipant(p["role"], p["name"], p.get("supervisor_id"))
                for p in data["participants"]
            ],
        )


@attrs.frozen(kw_only=True)
class Commendation:
    """A supervisor commended as the year's excellent supervisor, by a decision (文号)."""

    id: int
    center: str
    year: int
    supervisor_id: int
    name: str
    decision_number: str  # 文号
    decided_on: dt.date
    decided_by: str
    evaluation_id: int
    recorded_at: dt.datetime


class RecommendationStatus(enum.StrEnum):
    """Where a township's recommendation into the officer team stands."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return {"proposed": "待旗中心决定", "accepted": "已纳入", "declined": "未纳入"}[self.value]


@attrs.frozen(kw_only=True)
class OfficerRecommendation:
    """A township center's proposal of its own supervisor into the 营商环境体验官 team."""

    id: int
    supervisor_id: int
    center: str  # the township that proposes
    reason: str
    proposed_by: str
    proposed_at: dt.datetime
    status: RecommendationStatus = attrs.field(converter=RecommendationStatus)
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str | None = None

"""The domain's controlled vocabulary: how a problem was found, where, and what it is.

Every member has a Chinese label (what people see and type) and an English code
(what is stored). :func:`parse_term` takes either.
"""

from __future__ import annotations

import enum
from typing import TypeVar

__all__ = ["Method", "ProblemType", "Stage", "Topic", "parse_term"]


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return _LABELS[self]


class Method(_Labelled):
    """工作方式: how the supervisor found the problem."""

    SIMULATED = "simulated"  # 模拟办
    ACCOMPANYING = "accompanying"  # 陪同办
    IN_PERSON = "in_person"  # 亲身办
    OVERSEEING = "overseeing"  # 监督办
    INSPECTION = "inspection"  # 明察暗访
    FORUM = "forum"  # 座谈交流
    GROUP_EXPERIENCE = "group_experience"  # 集中体验


class Stage(_Labelled):
    """办理环节: the stage of a service where it went wrong."""

    APPOINTMENT = "appointment"
    CONSULTATION = "consultation"
    ACCEPTANCE = "acceptance"
    APPROVAL = "approval"
    COMPLETION = "completion"
    CERTIFICATE = "certificate"


class Topic(_Labelled):
    """工作内容: the nine areas supervisors look at."""

    REFORM_MEASURES = "reform_measures"
    STAGE_LAWFULNESS = "stage_lawfulness"
    BAD_PRACTICES = "bad_practices"
    WINDOW_STAFF = "window_staff"
    ONLINE_SERVICE = "online_service"
    CONVENIENCE = "convenience"
    SERVICE_RATING = "service_rating"
    RECTIFICATION_FOLLOWUP = "rectification_followup"
    DELEGATED = "delegated"


class ProblemType(_Labelled):
    """问题类型: what kind of problem it is."""

    OFF_SYSTEM = "off_system"
    MANY_OFFICES = "many_offices"
    BACK_AND_FORTH = "back_and_forth"
    HARD_TO_GET_DONE = "hard_to_get_done"
    SLOW = "slow"
    ILLEGAL_FEES = "illegal_fees"
    BROKERS = "brokers"
    ATTITUDE = "attitude"
    COMPETENCE = "competence"
    CONDUCT = "conduct"
    DISCIPLINE = "discipline"
    FIRST_CONTACT = "first_contact"
    TELL_ONCE = "tell_once"
    TIME_LIMIT = "time_limit"
    ONLINE_EXPERIENCE = "online_experience"
    VENUE_ENVIRONMENT = "venue_environment"
    OTHER = "other"


_LABELS: dict[enum.Enum, str] = {
    Method.SIMULATED: "模拟办",
    Method.ACCOMPANYING: "陪同办",
    Method.IN_PERSON: "亲身办",
    Method.OVERSEEING: "监督办",
    Method.INSPECTION: "明察暗访",
    Method.FORUM: "座谈交流",
    Method.GROUP_EXPERIENCE: "集中体验",
    Stage.APPOINTMENT: "预约",
    Stage.CONSULTATION: "咨询",
    Stage.ACCEPTANCE: "受理",
    Stage.APPROVAL: "审批",
    Stage.COMPLETION: "办结",
    Stage.CERTIFICATE: "出证",
    Topic.REFORM_MEASURES: "改革举措落实",
    Topic.STAGE_LAWFULNESS: "办理环节依法依规",
    Topic.BAD_PRACTICES: "不良现象",
    Topic.WINDOW_STAFF: "窗口工作人员",
    Topic.ONLINE_SERVICE: "线上办理",
    Topic.CONVENIENCE: "便民服务举措",
    Topic.SERVICE_RATING: "好差评",
    Topic.RECTIFICATION_FOLLOWUP: "整改跟踪评价",
    Topic.DELEGATED: "委托事务",
    ProblemType.OFF_SYSTEM: "体外循环",
    ProblemType.MANY_OFFICES: "多头跑",
    ProblemType.BACK_AND_FORTH: "来回跑",
    ProblemType.HARD_TO_GET_DONE: "办事难",
    ProblemType.SLOW: "办事慢",
    ProblemType.ILLEGAL_FEES: "乱收费",
    ProblemType.BROKERS: "黄牛",
    ProblemType.ATTITUDE: "服务态度",
    ProblemType.COMPETENCE: "服务能力",
    ProblemType.CONDUCT: "工作作风",
    ProblemType.DISCIPLINE: "工作纪律",
    ProblemType.FIRST_CONTACT: "首问负责",
    ProblemType.TELL_ONCE: "一次性告知",
    ProblemType.TIME_LIMIT: "限时办结",
    ProblemType.ONLINE_EXPERIENCE: "线上办事体验",
    ProblemType.VENUE_ENVIRONMENT: "场所环境",
    ProblemType.OTHER: "其他",
}

E = TypeVar("E", bound=_Labelled)


def parse_term(kind: type[E], text: str) -> E:
    """The member of ``kind`` whose code or Chinese label is ``text``.

    Raises ``ValueError`` naming the accepted words, so a user can correct the input.
    """
    value = text.strip()
    for member in kind:
        if value in (member.value, member.label):
            return member
    choices = "、".join(f"{m.label}({m.value})" for m in kind)
    msg = f"无法识别“{value}”，可选：{choices}"
    raise ValueError(msg)

"""The domain's controlled vocabulary: every code people see, and its Chinese name.

Every member has a Chinese label (what people see and type) and an English code
(what is stored). :func:`parse_term` takes either. The codes a ledger defines itself
(centers, units) or its plugins register (channels, notifiers, scoring policies) are
named by a :class:`Vocabulary`, which ``Ledger.vocabulary()`` builds: pages, exports,
notices and the command line show its names and accept either spelling.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

__all__ = [
    "CHANNEL_LABELS",
    "CONTACT_LABELS",
    "Method",
    "ProblemType",
    "Stage",
    "Topic",
    "Vocabulary",
    "parse_term",
]

#: Channels' names when no registered channel names them: the demo's, the built-in
#: channels' (for a ledger opened without their plugins) and the console's.
CHANNEL_LABELS: Mapping[str, str] = {
    "demo": "演示数据",
    "phone_log": "来电",
    "walk_in": "来访来信",
    "email": "电子邮件",
    "telegram": "Telegram",
    "console": "控制台",
    "wecom": "企业微信",
}

#: How a sender was recognised (``ContactKind``), in Chinese.
CONTACT_LABELS: Mapping[str, str] = {
    "phone": "电话",
    "email": "电子邮件",
    "messenger": "即时通讯",
    "register": "前台登记",
}


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

E = TypeVar("E", bound=enum.Enum)


def _label(member: enum.Enum) -> str:
    return str(getattr(member, "label", member.value))


def parse_term(kind: type[E], text: str) -> E:
    """The member of ``kind`` whose code or Chinese label is ``text``.

    Works for every enum of the model with a ``label`` (states, reasons, tracks...).
    Raises ``ValueError`` naming the accepted words, so a user can correct the input.
    """
    value = text.strip()
    for member in kind:
        if value in (member.value, _label(member)):
            return member
    choices = "、".join(f"{_label(m)}({m.value})" for m in kind)
    msg = f"无法识别“{value}”，可选：{choices}"
    raise ValueError(msg)


def _find(kind: str, names: Mapping[str, str], text: str) -> str:
    """The code in ``names`` whose code or name is ``text``, or whose name starts with it.

    A prefix counts only when one name has it (``乌审召镇`` for 乌审召镇便民服务中心).
    """
    value = text.strip()
    if value in names:
        return value
    exact = [code for code, name in names.items() if name == value]
    if len(exact) == 1:
        return exact[0]
    prefixed = [code for code, name in names.items() if value and name.startswith(value)]
    if len(prefixed) == 1:
        return prefixed[0]
    choices = "、".join(f"{name}（{code}）" for code, name in names.items()) or "（无）"
    if len(prefixed) > 1:
        msg = f"“{value}”可指多个{kind}，请写全称或代码；可选：{choices}"
    else:
        msg = f"没有名为或代码为“{value}”的{kind}；可选：{choices}"
    raise ValueError(msg)


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


@attrs.frozen
class Vocabulary:
    """The Chinese names of one ledger's own codes, and the way back from a name.

    ``units`` maps a center's code to its units (code to name): a unit's code is unique
    only within its center.
    """

    centers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    units: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict, converter=_frozen_map)
    channels: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    notifiers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    policies: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)

    def center(self, code: str | None) -> str:
        """The center's name (its code if unknown, ``—`` for none)."""
        return self.centers.get(code, code) if code else "—"

    def unit(self, code: str | None, center: str | None = None) -> str:
        """The unit's name, looked up in ``center`` first, then in every center."""
        if not code:
            return "—"
        if center and code in self.units.get(center, {}):
            return self.units[center][code]
        for units in self.units.values():
            if code in units:
                return units[code]
        return code

    def channel(self, code: str | None) -> str:
        """The channel's name: the registered channel's label, or the built-in one."""
        if not code:
            return "—"
        return self.channels.get(code) or CHANNEL_LABELS.get(code, code)

    def notifier(self, code: str | None) -> str:
        """The notifier's (transport's) name."""
        if not code:
            return "—"
        return self.notifiers.get(code) or CHANNEL_LABELS.get(code, code)

    def policy(self, code: str | None) -> str:
        """The scoring policy's name, with its code: ``乌审召镇评分办法（wushenzhao）``."""
        if not code:
            return "—"
        name = self.policies.get(code)
        return f"{name}（{code}）" if name else code

    def policy_name(self, code: str | None) -> str:
        """The scoring policy's name alone, for documents: ``乌审召镇监督员评分办法（2026）``."""
        if not code:
            return "—"
        return self.policies.get(code) or code

    def step_detail(self, event: Any, center: str | None = None) -> str:
        """What a step of an issue's history adds in words: the unit and person of a dispatch.

        ``event`` is an ``IssueEvent``; ``""`` for steps with nothing to add.
        """
        data = getattr(event, "data", {}) or {}
        kind = getattr(getattr(event, "kind", None), "value", None)
        if kind == "dispatched" and data.get("unit"):
            unit = self.unit(str(data["unit"]), center)
            person = data.get("responsible_person")
            return f"派往 {unit}，责任人 {person}" if person else f"派往 {unit}"
        return ""

    def find_center(self, text: str) -> str:
        """The code of the center named or coded ``text`` (or a unique name's beginning).

        Raises ``ValueError`` in Chinese, listing the centers there are.
        """
        return _find("服务中心", self.centers, text)

    def find_unit(self, text: str, center: str | None = None) -> str:
        """The code of the unit named or coded ``text``, in ``center`` or anywhere."""
        if center is not None:
            names = dict(self.units.get(center, {}))
        else:
            names = {code: name for units in self.units.values() for code, name in units.items()}
        return _find("承办单位", names, text)

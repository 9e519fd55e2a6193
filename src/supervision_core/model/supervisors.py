"""Supervisors (政务服务监督员): who they are, how they were appointed, how to reach them."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable

import attrs

__all__ = [
    "ChangeKind",
    "ContactKind",
    "Identity",
    "NewSupervisor",
    "Origin",
    "Revocation",
    "Supervisor",
    "SupervisorChange",
    "SupervisorStatus",
    "normalize_identity",
]


class Origin(enum.StrEnum):
    """How a supervisor came to serve (notice, 一、人员组成)."""

    EXPERIENCE_OFFICER = "experience_officer"  # 营商环境体验官兼任
    TOWNSHIP_HIRED = "township_hired"  # 苏木镇另行聘用

    @property
    def label(self) -> str:
        """The origin in Chinese."""
        return {"experience_officer": "体验官兼任", "township_hired": "苏木镇聘用"}[self.value]


class SupervisorStatus(enum.StrEnum):
    """Whether a supervisor may report: only an active one's reports enter the ledger."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return {"active": "在职", "suspended": "暂停", "revoked": "已取消资格"}[self.value]


class ContactKind(enum.StrEnum):
    """The kinds of identity by which a channel recognises a sender."""

    EMAIL = "email"
    PHONE = "phone"
    MESSENGER = "messenger"  # "telegram:12345", "wecom:zhangsan": the messenger names itself
    # A sender that staff picked from the register in person (the front desk): the value
    # is the supervisor's id. Never a stored identity.
    REGISTER = "register"


_NON_DIGIT = re.compile(r"\D")


def normalize_identity(kind: ContactKind, value: str) -> str:
    """The one spelling of an identity under which it is stored and looked up.

    E-mail addresses are compared case-insensitively; phone numbers by their digits,
    without a +86/0086 country code; messenger accounts as given, trimmed.
    """
    value = value.strip()
    if kind is ContactKind.EMAIL:
        return value.lower()
    if kind is ContactKind.PHONE:
        digits = _NON_DIGIT.sub("", value)
        if digits.startswith("0086"):
            digits = digits[4:]
        elif digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        return digits
    return value


@attrs.frozen
class Identity:
    """One way a supervisor can be recognised: an address, a number, an account."""

    kind: ContactKind = attrs.field(converter=ContactKind)
    value: str = attrs.field()

    @value.validator
    def _check(self, attribute: attrs.Attribute[str], value: str) -> None:
        if self.kind is ContactKind.REGISTER:
            msg = "“register” 只用于前台按名册选定的发件人，不能登记为联系方式"
            raise ValueError(msg)
        if not normalize_identity(self.kind, value):
            msg = f"联系方式不能为空（{self.kind.value}）"
            raise ValueError(msg)

    @property
    def normalized(self) -> str:
        """The identity as stored and looked up."""
        return normalize_identity(self.kind, self.value)


def _identities(values: Iterable[Identity]) -> tuple[Identity, ...]:
    return tuple(values)


def _ints(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


@attrs.frozen
class Revocation:
    """A revocation of the supervisor's status, and whether the papers were taken back.

    The notice revokes those who persist after 批评教育: ``admonitions`` names the
    admonition records before it; without any, the banner center's ``override`` (with
    its reason) is required. ``decided_by`` is who decided (not who typed it in).
    """

    on: dt.date
    reason: str
    letter_returned: bool  # 聘书已收回
    card_returned: bool  # 工作证已收回
    admonitions: tuple[int, ...] = attrs.field(default=(), converter=_ints)
    override: str | None = None
    decided_by: str | None = None

    @property
    def papers_outstanding(self) -> tuple[str, ...]:
        """The papers still to be taken back, in Chinese (empty when both are back)."""
        return tuple(
            name
            for name, back in (("聘书", self.letter_returned), ("工作证", self.card_returned))
            if not back
        )


@attrs.frozen(kw_only=True)
class NewSupervisor:
    """What an operator enters to appoint a supervisor."""

    name: str = attrs.field(validator=attrs.validators.min_len(1))
    center: str
    origin: Origin = attrs.field(converter=Origin, default=Origin.EXPERIENCE_OFFICER)
    letter_number: str | None = None  # 聘书编号
    card_number: str | None = None  # 工作证编号
    term_start: dt.date | None = None
    term_end: dt.date | None = attrs.field(default=None)
    identities: tuple[Identity, ...] = attrs.field(converter=_identities, default=())

    @term_end.validator
    def _term(self, attribute: attrs.Attribute[dt.date | None], value: dt.date | None) -> None:
        if value and self.term_start and value < self.term_start:
            msg = f"聘期结束日期 {value} 早于开始日期 {self.term_start}"
            raise ValueError(msg)


@attrs.frozen(kw_only=True)
class Supervisor:
    """An appointed supervisor as the ledger knows them."""

    id: int
    name: str
    center: str
    origin: Origin = attrs.field(converter=Origin)
    status: SupervisorStatus = attrs.field(converter=SupervisorStatus)
    letter_number: str | None
    card_number: str | None
    term_start: dt.date | None
    term_end: dt.date | None
    identities: tuple[Identity, ...]
    revocation: Revocation | None = None
    status_note: str | None = None


class ChangeKind(enum.StrEnum):
    """What changed in a supervisor's record (the history ``supervisors show`` lists)."""

    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    REVOKED = "revoked"
    ATTENDANCE = "attendance"
    ORIGIN = "origin"  # recommended into the officer team and accepted
    PAPERS_RETURNED = "papers_returned"  # 聘书、工作证收回（取消资格后的跟进）
    MEETING_ATTENDANCE = "meeting_attendance"  # 通报会出席记录

    @property
    def label(self) -> str:
        """The change in Chinese."""
        return {
            "suspended": "暂停资格",
            "reinstated": "恢复资格",
            "revoked": "取消资格",
            "attendance": "出席记录",
            "origin": "身份来源变更",
            "papers_returned": "收回证件",
            "meeting_attendance": "通报会出席记录",
        }[self.value]


@attrs.frozen(kw_only=True)
class SupervisorChange:
    """One change of a supervisor's status or attendance: who, when, from what to what.

    ``before`` and ``after`` are a :class:`SupervisorStatus` value, or for attendance (at
    an activity or a briefing meeting) an ``AttendanceStatus`` value (``before`` is
    ``None`` the first time it is recorded), or for the papers' return a sentence;
    ``activity_id`` names the activity of an attendance record, ``note`` the meeting.
    """

    at: dt.datetime
    actor: str
    kind: ChangeKind = attrs.field(converter=ChangeKind)
    before: str | None = None
    after: str | None = None
    activity_id: int | None = None
    note: str | None = None

"""The normalized report: what every channel turns its input into."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from supervision_core.model.supervisors import ContactKind, normalize_identity
from supervision_core.model.vocabulary import Method, ProblemType, Stage, Topic

__all__ = [
    "Attachment",
    "IntakeResult",
    "QuarantineReason",
    "QuarantinedReport",
    "Report",
    "ReportHints",
    "Sender",
]


def _aware(_: object, attribute: attrs.Attribute[dt.datetime], value: dt.datetime) -> None:
    if value.tzinfo is None:
        msg = f"{attribute.name} 必须带时区"
        raise ValueError(msg)


@attrs.frozen
class Sender:
    """Who a report came from, as the channel saw it."""

    kind: ContactKind = attrs.field(converter=ContactKind)
    value: str
    display_name: str | None = None

    @property
    def normalized(self) -> str:
        """The identity as stored and looked up."""
        return normalize_identity(self.kind, self.value)


@attrs.frozen
class Attachment:
    """A photo, document or recording that came with a report.

    The size and SHA-256 are computed from ``content`` so they cannot disagree with it.
    """

    filename: str
    content_type: str
    content: bytes = attrs.field(repr=False)
    size: int = attrs.field(init=False)
    sha256: str = attrs.field(init=False)

    @size.default
    def _size(self) -> int:
        return len(self.content)

    @sha256.default
    def _sha256(self) -> str:
        import hashlib  # on first use: most programs that import the values never hash

        return hashlib.sha256(self.content).hexdigest()


def _attachments(values: Iterable[Attachment]) -> tuple[Attachment, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class ReportHints:
    """What the sender said about the problem, where a channel could tell."""

    method: Method | None = attrs.field(default=None, converter=attrs.converters.optional(Method))
    stage: Stage | None = attrs.field(default=None, converter=attrs.converters.optional(Stage))
    topic: Topic | None = attrs.field(default=None, converter=attrs.converters.optional(Topic))
    problem_type: ProblemType | None = attrs.field(
        default=None, converter=attrs.converters.optional(ProblemType)
    )
    venue: str | None = None
    unit: str | None = None  # a unit code of the report's center


@attrs.frozen(kw_only=True)
class Report:
    """One report as it arrived, channel-independent.

    ``(channel, external_id)`` identifies it: delivering the same pair twice
    yields the one issue already filed.
    """

    channel: str = attrs.field(validator=attrs.validators.min_len(1))
    external_id: str = attrs.field(validator=attrs.validators.min_len(1))
    center: str
    received_at: dt.datetime = attrs.field(validator=_aware)
    sender: Sender
    text: str
    subject: str | None = None
    attachments: tuple[Attachment, ...] = attrs.field(converter=_attachments, default=())
    hints: ReportHints = attrs.field(factory=ReportHints)
    #: The number of an issue this report follows up (a reply to a notice, say). If the
    #: issue is the same sender's, in the same center, the report is attached to it as
    #: a supplement instead of opening a new issue.
    follows_up: str | None = None
    #: Set by a channel that could not make a report of what arrived: it is kept in
    #: quarantine with this reason (and ``quarantine_detail``) whoever sent it.
    quarantine: QuarantineReason | None = None
    quarantine_detail: str | None = None


class QuarantineReason(enum.StrEnum):
    """Why a received report was kept aside instead of entering the ledger."""

    UNMATCHED_SENDER = "unmatched_sender"
    SUSPENDED_SENDER = "suspended_sender"
    REVOKED_SENDER = "revoked_sender"
    UNKNOWN_CENTER = "unknown_center"
    UNPARSEABLE = "unparseable"
    AUTOMATED = "automated"  # an auto-reply, a bounce, a mailing list: nobody wrote it
    TOO_MANY = "too_many"  # one sender, too many messages in a short time
    OUT_OF_TERM = "out_of_term"  # sent before the supervisor's term began or after it ended

    @property
    def label(self) -> str:
        """The reason in Chinese."""
        return {
            "unmatched_sender": "发件人不是登记的监督员",
            "suspended_sender": "监督员资格已暂停",
            "revoked_sender": "监督员资格已取消",
            "unknown_center": "未配置的服务中心",
            "unparseable": "内容无法解析",
            "automated": "自动发送的消息（自动回复、退信、群发）",
            "too_many": "同一发件人短时间内发送过多",
            "out_of_term": "不在监督员聘期内",
        }[self.value]


@attrs.frozen(kw_only=True)
class QuarantinedReport:
    """A report kept in quarantine, with the reason, until an operator decides."""

    id: int
    channel: str
    external_id: str
    center: str
    received_at: dt.datetime
    sender: Sender
    subject: str | None
    text: str
    reason: QuarantineReason
    detail: str | None
    resolved_issue: int | None = None

    @classmethod
    def of(
        cls, report_id: int, report: Report, reason: QuarantineReason, detail: str | None
    ) -> QuarantinedReport:
        """The quarantine record of a stored ``report``."""
        return cls(
            id=report_id,
            channel=report.channel,
            external_id=report.external_id,
            center=report.center,
            received_at=report.received_at,
            sender=report.sender,
            subject=report.subject,
            text=report.text,
            reason=reason,
            detail=detail,
        )


@attrs.frozen(kw_only=True)
class IntakeResult:
    """What happened to a delivered report.

    Exactly one of ``issue_id`` and ``quarantine_id`` is set. ``duplicate_delivery``
    is true when the same (channel, external id) had already been received.
    """

    report_id: int
    issue_id: int | None = None
    issue_number: str | None = None
    quarantine_id: int | None = None
    quarantine_reason: QuarantineReason | None = None
    duplicate_delivery: bool = False
    possible_duplicate_of: int | None = None
    #: The report was attached to an existing issue (``issue_id``) as a follow-up.
    supplement: bool = False

    @property
    def filed(self) -> bool:
        """Whether the report entered the ledger as an issue."""
        return self.issue_id is not None

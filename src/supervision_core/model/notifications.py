"""Notices to supervisors and units, and the notifiers that carry them."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Protocol

import attrs

from supervision_core.errors import SupervisionError
from supervision_core.model.reports import Attachment
from supervision_core.model.supervisors import Identity

__all__ = ["Deferred", "Notice", "NoticeKind", "Notifier", "RecipientKind", "Unreachable"]


class RecipientKind(enum.StrEnum):
    """Who a notice is for."""

    SUPERVISOR = "supervisor"
    UNIT = "unit"
    CENTER = "center"  # a center's staff (the routine's reminders and escalations)


class NoticeKind(enum.StrEnum):
    """What a notice is about: the key a templated transport looks its template up by.

    SMS and WeChat template messages carry no free text, only a pre-approved template
    filled with parameters, so each notifier that needs one maps these codes to its
    template ids in ``supdesk.toml``, and fills them from :attr:`Notice.fields`.
    Plugins may use codes of their own; these are the core's.
    """

    # To the supervisor, one for each step they hear of
    RECEIVED = "received"
    NOT_ACCEPTED = "not_accepted"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    PLANNED = "planned"
    PROGRESS = "progress"
    EXTENDED = "extended"
    COMPLETED = "completed"
    EXPLAINED = "explained"
    REOPENED = "reopened"
    EVALUATED = "evaluated"
    CLOSED = "closed"
    MERGED = "merged"
    DUPLICATE_ATTACHED = "duplicate_attached"
    SUPPLEMENTED = "supplemented"
    BRIEFING = "briefing"
    SIGN_IN_CODE = "sign_in_code"
    ACTIVITY_CANCELLED = "activity_cancelled"
    # To the unit
    UNIT_DISPATCHED = "unit_dispatched"
    UNIT_EXTENDED = "unit_extended"
    UNIT_REOPENED = "unit_reopened"
    # The routine (to units and centers)
    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    UNSCREENED = "unscreened"
    # To a center's staff
    OBJECTION = "objection"
    CENTER_MESSAGE = "center_message"

    @property
    def label(self) -> str:
        """The kind in Chinese."""
        return _NOTICE_KIND_LABELS[self]


_NOTICE_KIND_LABELS = {
    NoticeKind.RECEIVED: "收到反馈",
    NoticeKind.NOT_ACCEPTED: "不予受理",
    NoticeKind.ACCEPTED: "受理",
    NoticeKind.DISPATCHED: "派单",
    NoticeKind.PLANNED: "整改方案",
    NoticeKind.PROGRESS: "整改进展",
    NoticeKind.EXTENDED: "延期",
    NoticeKind.COMPLETED: "整改完成",
    NoticeKind.EXPLAINED: "书面说明",
    NoticeKind.REOPENED: "重新整改",
    NoticeKind.EVALUATED: "评价办结",
    NoticeKind.CLOSED: "未经评价办结",
    NoticeKind.MERGED: "合并办理",
    NoticeKind.DUPLICATE_ATTACHED: "同类反馈合并",
    NoticeKind.SUPPLEMENTED: "补充反馈",
    NoticeKind.BRIEFING: "半年通报",
    NoticeKind.SIGN_IN_CODE: "登录验证码",
    NoticeKind.ACTIVITY_CANCELLED: "活动取消",
    NoticeKind.UNIT_DISPATCHED: "派单通知",
    NoticeKind.UNIT_EXTENDED: "延期通知",
    NoticeKind.UNIT_REOPENED: "重新整改通知",
    NoticeKind.REMINDER: "到期催办",
    NoticeKind.OVERDUE: "逾期督办",
    NoticeKind.ESCALATION: "提级督办",
    NoticeKind.UNSCREENED: "待审查提醒",
    NoticeKind.OBJECTION: "派单异议",
    NoticeKind.CENTER_MESSAGE: "中心消息",
}


def _fields(values: Mapping[str, object] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (values or {}).items() if v is not None}


def _addresses(values: Iterable[Identity]) -> tuple[Identity, ...]:
    return tuple(values)


def _attachments(values: Iterable[Attachment]) -> tuple[Attachment, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class Notice:
    """One message to one recipient.

    ``key`` is unique per notice and stable across retries, so a transport that
    supports idempotency keys can deliver it exactly once. ``attachments`` are files
    sent with it (the semi-annual briefing's PDF); a transport that cannot carry
    files sends the body alone.
    """

    key: str
    center: str
    recipient_kind: RecipientKind = attrs.field(converter=RecipientKind)
    recipient: str  # supervisor id or unit code
    addresses: tuple[Identity, ...] = attrs.field(converter=_addresses, default=())
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = attrs.field(converter=_attachments, default=())
    kind: str = ""
    # Excluded from the hash: a dict is not hashable, and the key identifies a notice.
    fields: dict[str, str] = attrs.field(converter=_fields, factory=dict, hash=False)


class Unreachable(SupervisionError):
    """A notifier cannot reach a notice's recipient at all: nothing was sent.

    Raised by :meth:`Notifier.deliver` when the transport has no way to this
    recipient — no address of its kind (a supervisor without an e-mail address, an
    unlinked Telegram account), or a kind of recipient it does not serve (WeCom's
    group robots reach units only). Trying again will not help, so the outbox does
    not retry: it tries the recipient's next way at once, and when none is left the
    notice becomes ``unreachable`` (or a call task, for a supervisor with a phone
    number). The message says why, in Chinese (``"没有电子邮箱地址"``); the outbox
    records it prefixed with the notifier's name.
    """


class Deferred(SupervisionError):
    """A notifier will carry a notice, but not now: ask again at ``until``. Nothing was sent.

    Raised by :meth:`Notifier.deliver` when the transport may not send at this hour
    (text messages in the quiet hours of the night). Unlike :class:`Unreachable` and
    a failure, the outbox neither tries the next way nor counts a failed attempt: it
    keeps the notice ``pending`` with its next attempt at ``until`` (aware), and
    records the message (in Chinese, ``"夜间免打扰，次日 08:00 发送"``) as its last
    error, so the desk can see why it waits.
    """

    def __init__(self, until: dt.datetime, message: str = "") -> None:
        if until.tzinfo is None:
            msg = "Deferred 的时间必须带时区"
            raise ValueError(msg)
        super().__init__(message or f"延后至 {until.isoformat()} 发送")
        self.until = until


class Notifier(Protocol):
    """A transport that delivers notices (e-mail, a messenger, SMS...).

    ``deliver`` has three outcomes, and the outbox believes what it is told:

    - it returns: the transport accepted the notice for its recipient (the notice
      is ``delivered``, and the ledger says it went this way);
    - it raises :class:`Unreachable`: this transport cannot reach the recipient
      (nothing was sent; the next way is tried);
    - it raises anything else: sending failed for now (the next way is tried, and
      the notice is retried later with backoff if none takes it).

    A notifier must never return quietly without sending. An optional ``label``
    names it in Chinese where people read it (the ledger's 告知监督员 column); without
    one, the label of the channel of the same name is used. A notifier that cannot
    carry ``notice.attachments`` sends the body alone. It must not block the
    event loop for long (it is called from a worker thread).
    """

    @property
    def name(self) -> str: ...

    def deliver(self, notice: Notice) -> None:
        """Send ``notice`` to its recipient; raise :class:`Unreachable` when this transport cannot."""
        ...

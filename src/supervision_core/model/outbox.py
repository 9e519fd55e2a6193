"""The outbox: notices stored with the events that cause them, then delivered with retries.

Each notice is one entry for one recipient. Delivery tries the recipient's ways in
the center's order (``supdesk.toml``) and believes what each notifier says: an
entry is ``delivered`` only when a transport accepted it, and names that transport.
A notice that no transport can carry to a supervisor who has a phone number becomes
a call task for the center's desk (``call_task``, then ``done_by_phone`` when staff
record the call); one that nothing can reach is ``unreachable``, with the reason. A
notice to a center's staff always lands in the console's inbox (:data:`INBOX`).
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from supervision_core.model.notifications import Notice

__all__ = [
    "INBOX",
    "PHONE_CALL",
    "CallTask",
    "DeliveryReceipt",
    "DeliveryReport",
    "OutboxEntry",
    "OutboxStatus",
    "retry_delay",
    "transport_label",
]

#: The transport of a center's notice that no notifier carried: the console's inbox.
INBOX = "console"
#: The transport of a notice the desk told by telephone (a call task done).
PHONE_CALL = "phone"
_LABELS = {INBOX: "控制台收件箱", PHONE_CALL: "电话告知"}


def transport_label(transport: str | None) -> str:
    """How a transport is named to people: ``电话告知``, ``控制台收件箱``, a notifier's name."""
    if transport is None:
        return "—"
    return _LABELS.get(transport, transport)


class OutboxStatus(enum.StrEnum):
    """Where a notice stands."""

    PENDING = "pending"  # not tried yet
    RETRYING = "retrying"  # a transport failed; tried again later
    DELIVERED = "delivered"  # a transport accepted it (``transport`` says which)
    UNREACHABLE = "unreachable"  # no way reaches the recipient (``last_error`` says why)
    CALL_TASK = "call_task"  # a supervisor reachable only by phone: the desk must call
    DONE_BY_PHONE = "done_by_phone"  # the desk told the supervisor by telephone
    DEAD = "dead"  # failed too many times: for an operator (``supdesk outbox retry``)

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return {
            "pending": "待发送",
            "retrying": "待重试",
            "delivered": "已送达",
            "unreachable": "无法送达",
            "call_task": "待电话告知",
            "done_by_phone": "已电话告知",
            "dead": "发送失败",
        }[self.value]

    @property
    def reached(self) -> bool:
        """Whether the recipient was really told (by a transport or by telephone)."""
        return self in (OutboxStatus.DELIVERED, OutboxStatus.DONE_BY_PHONE)

    @property
    def waiting(self) -> bool:
        """Whether delivery will still try it by itself."""
        return self in (OutboxStatus.PENDING, OutboxStatus.RETRYING)


@attrs.frozen
class DeliveryReceipt:
    """A provider's word on whether a notice it accepted reached the recipient (an SMS 回执).

    ``ok`` is ``False`` when it did not (a phone switched off for days, a number out of
    service): ``detail`` says why, in the provider's words, and the notice is not counted
    as told. ``at`` is when the recipient received it, or when the provider gave up.
    """

    ok: bool
    at: dt.datetime
    detail: str = ""

    @property
    def label(self) -> str:
        """The receipt in Chinese: ``已送达`` or ``未送达（原因）``."""
        if self.ok:
            return "已送达"
        return f"未送达（{self.detail}）" if self.detail else "未送达"


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """A notice in the outbox, with its delivery record.

    :param transport: what carried it — a notifier's name, :data:`INBOX` or
        :data:`PHONE_CALL` — or ``None`` while nothing has
    :param delivered_at: when a transport accepted it, or when the desk phoned
    :param last_error: why the preferred ways did not carry it (each prefixed with
        the notifier's name), or why nothing could
    :param called_by: who recorded the telephone call
    :param read_at: when a center's staff marked a center's notice read, and ``read_by`` who
    :param receipt: what the transport's provider reported afterwards (an SMS 回执), if it did
    """

    id: int
    notice: Notice
    status: OutboxStatus
    transport: str | None
    issue_id: int | None
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None
    last_error: str | None
    called_by: str | None = None
    read_at: dt.datetime | None = None
    read_by: str | None = None
    receipt: DeliveryReceipt | None = None

    @property
    def transport_label(self) -> str:
        """The transport as people read it (``电话告知``, ``email``...)."""
        return transport_label(self.transport)


@attrs.frozen(kw_only=True)
class CallTask:
    """A notice the center's desk must read to a supervisor over the telephone.

    ``phones`` are the supervisor's numbers in full: show them to the staff of
    ``entry.notice.center`` only, masked anywhere else.
    """

    entry: OutboxEntry
    supervisor_id: int
    supervisor_name: str
    phones: tuple[str, ...]
    issue_number: str | None = None


@attrs.frozen
class DeliveryReport:
    """What one delivery round did."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    unreachable: int = 0
    call_tasks: int = 0


def retry_delay(attempts: int) -> dt.timedelta:
    """Back off exponentially: 1, 2, 4 ... minutes after each failure, at most 6 hours."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), dt.timedelta(hours=6))

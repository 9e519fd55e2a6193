"""The outbox: notices stored with the events that cause them, then delivered with retries."""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from supervision_core.model.notifications import Notice

__all__ = ["DeliveryReport", "OutboxEntry", "OutboxStatus", "retry_delay"]


class OutboxStatus(enum.StrEnum):
    """Where a notice stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return {"pending": "待发送", "delivered": "已送达", "dead": "发送失败"}[self.value]


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """A notice in the outbox, with its delivery record."""

    id: int
    notifier: str
    notice: Notice
    status: OutboxStatus
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None
    last_error: str | None


@attrs.frozen
class DeliveryReport:
    """What one delivery round did."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0


def retry_delay(attempts: int) -> dt.timedelta:
    """Back off exponentially: 1, 2, 4 ... minutes after each failure, at most 6 hours."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), dt.timedelta(hours=6))

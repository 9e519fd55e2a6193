"""Webhooks out (事件推送): subscriptions, deliveries, and how each post is signed.

Values and rules only; :class:`supervision_core.store.webhooks.WebhookStore` keeps them.
Each post carries ``Supdesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret,
f"{t}.{body}")>`` as Stripe signs its own: a receiver recomputes it with the secret it was
shown once (:func:`verify_signature`) and refuses a post whose signature differs or whose
time is too far from now (a replayed capture).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets

import attrs

__all__ = [
    "SIGNATURE_HEADER",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookStatus",
    "next_attempt",
    "sign_payload",
    "verify_signature",
]

SIGNATURE_HEADER = "Supdesk-Signature"
#: Attempts after which a delivery is given up (dead) until replayed.
MAX_ATTEMPTS = 8


class WebhookEvent(enum.StrEnum):
    """The events an integration may subscribe to."""

    REPORT_RECEIVED = "report.received"
    ISSUE_ACCEPTED = "issue.accepted"
    ISSUE_DISPATCHED = "issue.dispatched"
    ISSUE_COMPLETED = "issue.completed"
    ISSUE_OVERDUE = "issue.overdue"
    ISSUE_EVALUATED = "issue.evaluated"

    @property
    def label(self) -> str:
        """The event in Chinese."""
        return _EVENT_LABELS[self]


_EVENT_LABELS = {
    WebhookEvent.REPORT_RECEIVED: "收到反馈",
    WebhookEvent.ISSUE_ACCEPTED: "已受理",
    WebhookEvent.ISSUE_DISPATCHED: "已派单",
    WebhookEvent.ISSUE_COMPLETED: "已整改",
    WebhookEvent.ISSUE_OVERDUE: "已逾期",
    WebhookEvent.ISSUE_EVALUATED: "已评价",
}


class WebhookStatus(enum.StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # given up after MAX_ATTEMPTS; replay sends it again

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return {"pending": "待发送", "delivered": "已送达", "dead": "已放弃"}[self.value]


@attrs.frozen(kw_only=True)
class Webhook:
    """A subscription: where to post, which events, for a center or one of its units."""

    id: int
    url: str
    center: str
    unit: str | None = None
    events: frozenset[WebhookEvent]
    created_at: dt.datetime
    disabled: bool = False


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """One event to one subscription, with its delivery record (the delivery log)."""

    id: int
    webhook_id: int
    event: WebhookEvent = attrs.field(converter=WebhookEvent)
    body: str
    status: WebhookStatus = attrs.field(converter=WebhookStatus)
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    last_status: int | None = None
    last_error: str | None = None


def new_webhook_secret() -> str:
    """A new signing secret (shown once)."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign_payload(secret: str, timestamp: int, body: str) -> str:
    """The signature header's value: ``t=<timestamp>,v1=<hex HMAC-SHA256>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, header: str, body: str, *, now: int, tolerance: int = 300
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of ``now``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign_payload(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def next_attempt(attempts: int, now: dt.datetime) -> dt.datetime | None:
    """When to try again after ``attempts`` failures: 30 s doubling to an hour; ``None``: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + dt.timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))

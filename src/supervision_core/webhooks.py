"""Webhooks out: the overdue sweep and the sending.

Every step of an issue's life queues the events subscribed to in its own transaction
(:func:`supervision_core.store.webhooks.enqueue_webhooks`, beside its notices), once per
step and subscription in the ``webhook_delivery`` table: a step committed has its
deliveries, whatever happens after. The daemon's delivery loop calls
:meth:`WebhookHub.deliver` (and :meth:`WebhookHub.queue_overdue`): each due post is
signed (:func:`~supervision_core.sign_payload`) and sent; an answer other than 2xx, or
none, is retried with backoff, and given up after eight attempts until replayed.

Payloads follow the redaction rules (:mod:`supervision_core.rules.webhooks`): no
payload names the reporter; a unit's subscription hears only of its unit's issues after
the dispatch, and reads them as the unit's portal does (redacted).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from supervision_core.model.webhooks import SIGNATURE_HEADER, WebhookEvent, sign_payload

__all__ = ["Sender", "WebhookHub", "post_json"]

#: ``send(url, body, headers) -> HTTP status``; raises ``OSError`` when nobody answers.
Sender = Callable[[str, bytes, dict[str, str]], int]


def post_json(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` (10 s at most); the answer's status."""
    # Imported here: every command opens the ledger (which holds the hub), few deliver,
    # and urllib.request brings http.client (bench/bench_cli.py).
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


class WebhookHub:
    """The webhooks of one ledger: the overdue sweep and the sending."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger  # the Ledger (not imported: it imports this module)

    def queue_overdue(self) -> int:
        """Queue ``issue.overdue`` once per issue and deadline passed; how many were queued."""
        events = []
        for summary in self.ledger.overdue():
            issue = self.ledger.issue(summary.id)
            events.append((issue, WebhookEvent.ISSUE_OVERDUE, f"overdue:{issue.id}:{issue.due_on}"))
        return int(self.ledger.webhooks.queue(events)) if events else 0

    def deliver(self, send: Sender | None = None, *, limit: int = 100) -> tuple[int, int]:
        """Send the due posts; (delivered, failed) of this round."""
        send = send or post_json
        store = self.ledger.webhooks
        hooks = {h.id: h for h in store.list()}
        delivered = failed = 0
        for delivery in store.due(limit=limit):
            hook = hooks.get(delivery.webhook_id)
            if hook is None or hook.disabled:
                store.record(delivery.id, status=None, error="订阅已停用")
                failed += 1
                continue
            stamp = int(time.time())  # the receiver compares it with its own clock
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "supervision-desk-webhooks",
                SIGNATURE_HEADER: sign_payload(store.secret(hook.id), stamp, delivery.body),
                "Supdesk-Event": delivery.event.value,
                "Supdesk-Delivery": str(delivery.id),
            }
            try:
                status: int | None = send(hook.url, delivery.body.encode(), headers)
                error = None if status is not None and 200 <= status < 300 else f"HTTP {status}"
            except (OSError, ValueError) as e:
                status, error = None, f"无法连接：{type(e).__name__}"
            record = store.record(delivery.id, status=status, error=error)
            if record.delivered_at is not None and record.status.value == "delivered":
                delivered += 1
            else:
                failed += 1
        return delivered, failed

"""Webhooks out: which subscriptions hear of a step, what they are sent, and the sending.

Every step of an issue's life reaches :meth:`WebhookHub.issue_changed` after its commit
(a listener of the ledger's plugin host); the events subscribed to are queued once per
step and subscription in the ``webhook_delivery`` table. The daemon's delivery loop
calls :meth:`WebhookHub.deliver` (and :meth:`WebhookHub.queue_overdue`): each due post
is signed (:func:`~supervision_core.sign_payload`) and sent; an answer other than 2xx,
or none, is retried with backoff, and given up after eight attempts until replayed.

Payloads follow the redaction rules: no payload names the reporter; a unit's
subscription hears only of its unit's issues after the dispatch, and reads them as the
unit's portal does (:meth:`~supervision_core.Ledger.unit_view`, redacted).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from supervision_core.model.centers import CenterLevel
from supervision_core.model.issues import EventKind, Issue, IssueEvent
from supervision_core.model.webhooks import (
    SIGNATURE_HEADER,
    Webhook,
    WebhookEvent,
    sign_payload,
)
from supervision_core.rules.masking import mask_personal_data

__all__ = ["Sender", "WebhookHub", "post_json"]

#: ``send(url, body, headers) -> HTTP status``; raises ``OSError`` when nobody answers.
Sender = Callable[[str, bytes, dict[str, str]], int]

_KINDS = {
    EventKind.RECEIVED: WebhookEvent.REPORT_RECEIVED,
    EventKind.ACCEPTED: WebhookEvent.ISSUE_ACCEPTED,
    EventKind.DISPATCHED: WebhookEvent.ISSUE_DISPATCHED,
    EventKind.COMPLETED: WebhookEvent.ISSUE_COMPLETED,
    EventKind.EXPLAINED: WebhookEvent.ISSUE_COMPLETED,
    EventKind.EVALUATED: WebhookEvent.ISSUE_EVALUATED,
}


def post_json(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` (10 s at most); the answer's status."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


class WebhookHub:
    """The webhooks of one ledger: queueing after each step, sending, the overdue sweep."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger  # the Ledger (not imported: it imports this module)

    def _subscribers(self, issue: Issue, kind: WebhookEvent) -> list[Webhook]:
        ledger = self.ledger
        levels = {c.code: c.level for c in ledger.centers()}
        found = []
        for hook in ledger.webhooks.active():
            if kind not in hook.events:
                continue
            if hook.unit is not None:
                if hook.center == issue.center and hook.unit == issue.unit:
                    found.append(hook)
            elif hook.center == issue.center or levels.get(hook.center) is CenterLevel.BANNER:
                found.append(hook)
        return found

    def _data(self, issue: Issue, hook: Webhook) -> dict[str, Any]:
        if hook.unit is not None:  # as the unit's portal shows it: never the reporter
            view = self.ledger.unit_view(issue.id)
            return {
                "number": view.number,
                "center": view.center,
                "state": view.state.value,
                "state_label": view.state.label,
                "unit": view.unit,
                "due_on": view.due_on.isoformat() if view.due_on else None,
                "text": view.text,
                "measures": view.measures,
            }
        problem = issue.hints.problem_type
        return {
            "number": issue.number,
            "center": issue.center,
            "state": issue.state.value,
            "state_label": issue.state.label,
            "unit": issue.unit,
            "due_on": issue.due_on.isoformat() if issue.due_on else None,
            "problem_type": problem.value if problem else None,
            "received_at": issue.received_at.isoformat(),
            "text": mask_personal_data(issue.text),
        }

    def _queue(self, issue: Issue, kind: WebhookEvent, dedupe: str) -> int:
        queued = 0
        for hook in self._subscribers(issue, kind):
            body = {
                "id": uuid.uuid4().hex,
                "type": kind.value,
                "type_label": kind.label,
                "created": self.ledger.clock().isoformat(),
                "data": self._data(issue, hook),
            }
            text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            queued += self.ledger.webhooks.enqueue(hook.id, kind, dedupe, text)
        return queued

    def issue_changed(self, issue: Issue, event: IssueEvent) -> None:
        """Queue the event of a step for every subscription that hears of it."""
        kind = _KINDS.get(event.kind)
        if kind is None:
            return
        if kind is WebhookEvent.REPORT_RECEIVED and issue.state.value != "received":
            return
        self._queue(issue, kind, f"event:{event.id or uuid.uuid4().hex}")

    def queue_overdue(self) -> int:
        """Queue ``issue.overdue`` once per issue and deadline passed; how many were queued."""
        queued = 0
        for summary in self.ledger.overdue():
            issue = self.ledger.issue(summary.id)
            queued += self._queue(
                issue, WebhookEvent.ISSUE_OVERDUE, f"overdue:{issue.id}:{issue.due_on}"
            )
        return queued

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

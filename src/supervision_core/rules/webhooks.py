"""Which webhook subscriptions hear of a step, and what each is sent (pure functions).

The store writes what these decide in the step's own transaction
(:func:`supervision_core.store.webhooks.enqueue_webhooks`), so an event is never lost
between a step's commit and its queueing. Payloads follow the redaction rules: no
payload names the reporter; a unit's subscription hears only of its unit's issues after
the dispatch, and reads them as the unit's portal does (a redacted :class:`UnitView`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from supervision_core.model.centers import CenterLevel
from supervision_core.model.issues import EventKind, Issue, IssueEvent, IssueState, UnitView
from supervision_core.model.webhooks import Webhook, WebhookEvent
from supervision_core.rules.masking import mask_personal_data

__all__ = ["step_event", "subscribers", "webhook_body", "webhook_data"]

_KINDS = {
    EventKind.RECEIVED: WebhookEvent.REPORT_RECEIVED,
    EventKind.ACCEPTED: WebhookEvent.ISSUE_ACCEPTED,
    EventKind.DISPATCHED: WebhookEvent.ISSUE_DISPATCHED,
    EventKind.COMPLETED: WebhookEvent.ISSUE_COMPLETED,
    EventKind.EXPLAINED: WebhookEvent.ISSUE_COMPLETED,
    EventKind.EVALUATED: WebhookEvent.ISSUE_EVALUATED,
}


def step_event(issue: Issue, event: IssueEvent) -> WebhookEvent | None:
    """The webhook event a step is, or ``None`` for a step no subscription hears of.

    ``report.received`` only while the issue is still received (a report filed straight
    into a later state is announced by that state's step).
    """
    kind = _KINDS.get(event.kind)
    if kind is WebhookEvent.REPORT_RECEIVED and issue.state is not IssueState.RECEIVED:
        return None
    return kind


def subscribers(
    hooks: Iterable[Webhook],
    issue: Issue,
    kind: WebhookEvent,
    levels: Mapping[str, CenterLevel],
) -> list[Webhook]:
    """The enabled subscriptions to ``kind`` that hear of ``issue``.

    A unit's subscription hears of its own unit's issues only (so never before the
    dispatch); a center's, of its center's issues; the banner center's, of every center.
    ``levels`` is each center's level, by code.
    """
    found = []
    for hook in hooks:
        if hook.disabled or kind not in hook.events:
            continue
        if hook.unit is not None:
            if hook.center == issue.center and hook.unit == issue.unit:
                found.append(hook)
        elif hook.center == issue.center or levels.get(hook.center) is CenterLevel.BANNER:
            found.append(hook)
    return found


def webhook_data(issue: Issue, view: UnitView | None) -> dict[str, Any]:
    """A payload's ``data``: ``view`` (the unit's redacted view) for a unit's subscription.

    Without ``view`` (a center's subscription) the issue's text is masked of personal
    data; neither form has the supervisor, the sender or an id that could trace them.
    """
    if view is not None:  # as the unit's portal shows it: never the reporter
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


def webhook_body(kind: WebhookEvent, data: Mapping[str, Any], created: dt.datetime) -> str:
    """The JSON a post carries: ``{"id", "type", "type_label", "created", "data"}``."""
    body = {
        "id": uuid.uuid4().hex,
        "type": kind.value,
        "type_label": kind.label,
        "created": created.isoformat(),
        "data": dict(data),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

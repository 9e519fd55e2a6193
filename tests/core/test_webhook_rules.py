"""Who hears of a step and what they are sent, without a database (rules/webhooks.py)."""

from __future__ import annotations

import datetime as dt
import json

from supervision_core import (
    CenterLevel,
    Issue,
    IssueEvent,
    ReportHints,
    Webhook,
    WebhookEvent,
    apply_event,
    unit_view,
)
from supervision_core.rules.webhooks import step_event, subscribers, webhook_body, webhook_data

AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
LEVELS = {"banner": CenterLevel.BANNER, "wushenzhao": CenterLevel.TOWNSHIP,
          "galutu": CenterLevel.TOWNSHIP}  # fmt: skip


def hook(n: int, center: str, *events: str, unit: str | None = None, **kw: object) -> Webhook:
    return Webhook(id=n, url=f"https://h/{n}", center=center, unit=unit,
                   events=frozenset(WebhookEvent(e) for e in events), created_at=AT, **kw)  # type: ignore[arg-type]  # fmt: skip


def issue(state_events: list[IssueEvent]) -> Issue:
    found = Issue(id=1, number="wushenzhao-2026-00001", center="wushenzhao", report_id=1,
                  supervisor_id=7, received_at=AT, subject=None,
                  text="我是巴特尔，电话 13912345678，窗口无人", hints=ReportHints())  # fmt: skip
    for event in state_events:
        found = apply_event(found, event)
    return found


def ev(kind: str, **data: object) -> IssueEvent:
    return IssueEvent(kind=kind, at=AT, actor="op", data=data)  # type: ignore[arg-type]


RECEIVED = ev("received")
ACCEPTED = ev("accepted", due_on="2026-03-04", due_confirmed=True)
DISPATCHED = ev("dispatched", unit="window", responsible_person="其木格",
                due_on="2026-03-06", due_confirmed=True)  # fmt: skip


def test_which_step_is_which_event() -> None:
    received = issue([RECEIVED])
    assert step_event(received, RECEIVED) is WebhookEvent.REPORT_RECEIVED
    accepted = issue([RECEIVED, ACCEPTED])
    assert step_event(accepted, ACCEPTED) is WebhookEvent.ISSUE_ACCEPTED
    # A "received" event of an issue no longer received is no report.received.
    assert step_event(accepted, RECEIVED) is None
    assert step_event(accepted, ev("merged", into=2, into_number="x")) is None


def test_who_hears_of_a_step() -> None:
    hooks = [
        hook(1, "wushenzhao", "issue.dispatched"),
        hook(2, "banner", "issue.dispatched"),  # the banner hears of every center
        hook(3, "galutu", "issue.dispatched"),  # another township does not
        hook(4, "wushenzhao", "issue.dispatched", unit="window"),
        hook(5, "wushenzhao", "issue.dispatched", unit="other-unit"),
        hook(6, "wushenzhao", "issue.accepted"),  # not this event
        hook(7, "wushenzhao", "issue.dispatched", disabled=True),
    ]
    dispatched = issue([RECEIVED, ACCEPTED, DISPATCHED])
    found = subscribers(hooks, dispatched, WebhookEvent.ISSUE_DISPATCHED, LEVELS)
    assert [h.id for h in found] == [1, 2, 4]
    # Before the dispatch no unit's subscription hears of the issue.
    accepted = issue([RECEIVED, ACCEPTED])
    unit_hook = hook(8, "wushenzhao", "issue.accepted", unit="window")
    assert subscribers([unit_hook], accepted, WebhookEvent.ISSUE_ACCEPTED, LEVELS) == []


def test_the_payloads_never_name_the_reporter() -> None:
    dispatched = issue([RECEIVED, ACCEPTED, DISPATCHED])
    staff = webhook_data(dispatched, None)
    assert "13912345678" not in json.dumps(staff, ensure_ascii=False)
    unit = webhook_data(dispatched, unit_view(dispatched))
    assert set(unit) == {"number", "center", "state", "state_label", "unit", "due_on", "text",
                         "measures"}  # fmt: skip
    assert unit["unit"] == "window" and "13912345678" not in str(unit["text"])
    body = json.loads(webhook_body(WebhookEvent.ISSUE_DISPATCHED, unit, AT))
    assert (body["type"], body["type_label"], body["created"]) == (
        "issue.dispatched", WebhookEvent.ISSUE_DISPATCHED.label, AT.isoformat())  # fmt: skip
    assert body["data"] == unit

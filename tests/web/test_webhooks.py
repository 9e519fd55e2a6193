"""Webhooks out, to a real receiver on loopback, on both databases.

The receiver is a plain ``http.server`` in a thread that checks each post's signature
the way a receiver would (:func:`supervision_core.verify_signature`, the documented
recipe) and keeps what it got.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner

from supervision_core import SIGNATURE_HEADER, verify_signature

UNIT = "wushenzhao-window"
OP = "operator:test"


class Receiver:
    """Posts received on a loopback port: (event, body, signature header)."""

    def __init__(self) -> None:
        self.got: list[tuple[str, str, str]] = []
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    def start(self, port: int = 0) -> None:
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"])).decode()
                got.append((self.headers["supdesk-event"], body, self.headers[SIGNATURE_HEADER]))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    if r.server is not None:
        r.stop()


def _file(ledger, supdesk_report):
    return ledger.receive(supdesk_report(center="wushenzhao")).issue_number


def test_a_signed_event_for_each_step_and_a_forged_one_is_detected(
    supdesk_ledger, supdesk_report, receiver
):
    ledger = supdesk_ledger
    events = "report.received,issue.accepted,issue.dispatched,issue.completed,issue.evaluated"
    hook, secret = ledger.webhooks.add(
        url=receiver.url, center="wushenzhao", events=events.split(",")
    )
    unit_hook, unit_secret = ledger.webhooks.add(
        url=receiver.url,
        center="wushenzhao",
        unit=UNIT,
        events=["issue.dispatched", "issue.completed"],
    )
    number = _file(ledger, supdesk_report)
    ledger.accept(number, actor=OP)
    ledger.dispatch(number, unit=UNIT, responsible_person="其木格", actor=OP)
    ledger.plan(number, track="immediate", measures="增开窗口", actor=OP)
    ledger.complete(number, evidence="已增开窗口", actor=OP)
    ledger.evaluate(number, satisfaction="satisfied", actor=OP, on_behalf="电话")
    assert ledger.deliver_webhooks() == (7, 0)
    kinds = [event for event, _, _ in receiver.got]
    assert kinds == [
        "report.received",
        "issue.accepted",
        "issue.dispatched",
        "issue.dispatched",
        "issue.completed",
        "issue.completed",
        "issue.evaluated",
    ]
    now = int(time.time())
    secrets_by_hook = {hook.id: secret, unit_hook.id: unit_secret}
    for _, body, signature in receiver.got:
        assert any(verify_signature(s, signature, body, now=now) for s in secrets_by_hook.values())
        payload = json.loads(body)
        assert payload["data"]["number"] == number
        # No payload names the reporter.
        assert "reporter@example.cn" not in body and "测试监督员" not in body
    _, body, signature = receiver.got[0]
    assert not verify_signature(secret, signature, body.replace(number, "forged"), now=now)
    assert not verify_signature("whsec_wrong", signature, body, now=now)
    assert not verify_signature(secret, signature, body, now=now + 3600)  # a replayed capture
    # Delivered once: a second round sends nothing.
    assert ledger.deliver_webhooks() == (0, 0)
    log = ledger.webhooks.deliveries()
    assert {d.status.value for d in log} == {"delivered"}


def test_a_unit_subscription_never_receives_the_reporter(supdesk_ledger, supdesk_report, receiver):
    ledger = supdesk_ledger
    ledger.webhooks.add(
        url=receiver.url, center="wushenzhao", unit=UNIT, events=["issue.dispatched"]
    )
    report = supdesk_report(
        center="wushenzhao",
        text="我是测试监督员，电话 13912345678，邮箱 reporter@example.cn，窗口无人",
    )
    number = ledger.receive(report).issue_number
    ledger.accept(number, actor=OP)
    ledger.dispatch(number, unit=UNIT, responsible_person="其木格", actor=OP)
    assert ledger.deliver_webhooks() == (1, 0)
    [(_, body, _)] = receiver.got
    assert (
        "13912345678" not in body and "reporter@example.cn" not in body and "测试监督员" not in body
    )
    assert "窗口无人" in body


def test_a_receiver_that_is_down_gets_the_event_after_it_comes_back(
    supdesk_ledger, supdesk_report, receiver, supdesk_clock
):
    ledger = supdesk_ledger
    port = receiver.port
    ledger.webhooks.add(url=receiver.url, center="wushenzhao", events=["issue.accepted"])
    receiver.stop()
    receiver.server = None
    number = _file(ledger, supdesk_report)
    ledger.accept(number, actor=OP)
    assert ledger.deliver_webhooks() == (0, 1)
    [delivery] = ledger.webhooks.deliveries()
    assert delivery.status.value == "pending" and delivery.attempts == 1 and delivery.last_error
    # Not due again before its backoff.
    assert ledger.deliver_webhooks() == (0, 0)
    receiver.start(port)
    supdesk_clock.advance(seconds=31)
    assert ledger.deliver_webhooks() == (1, 0)
    assert [event for event, _, _ in receiver.got] == ["issue.accepted"]
    # Replay from the log sends it again.
    ledger.webhooks.replay(delivery.id)
    assert ledger.deliver_webhooks() == (1, 0)
    assert len(receiver.got) == 2


def test_overdue_is_sent_once_per_deadline(supdesk_ledger, supdesk_report, receiver, supdesk_clock):
    ledger = supdesk_ledger
    ledger.webhooks.add(url=receiver.url, center="wushenzhao", events=["issue.overdue"])
    number = _file(ledger, supdesk_report)
    supdesk_clock.advance(days=30)
    assert ledger.issue(number).is_open
    assert ledger.deliver_webhooks() == (1, 0)
    assert ledger.deliver_webhooks() == (0, 0)
    assert [event for event, _, _ in receiver.got] == ["issue.overdue"]


def test_the_webhooks_commands(supdesk_database_url, supdesk_ledger, receiver):
    from supervision_core.cli import cli

    runner = CliRunner()
    base = ["--database", supdesk_database_url]
    added = runner.invoke(
        cli,
        [
            *base,
            "webhooks",
            "add",
            receiver.url,
            "--events",
            "issue.accepted",
            "--center",
            "wushenzhao",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["secret"].startswith("whsec_")
    listed = runner.invoke(cli, [*base, "webhooks", "list"])
    assert receiver.url in listed.output and "whsec_" not in listed.output
    bad = runner.invoke(
        cli, [*base, "webhooks", "add", receiver.url, "--events", "nope", "--center", "wushenzhao"]
    )
    assert bad.exit_code == 1 and "未知的事件" in bad.output
    unit_received = runner.invoke(
        cli,
        [
            *base,
            "webhooks",
            "add",
            receiver.url,
            "--events",
            "report.received",
            "--center",
            "wushenzhao",
            "--unit",
            UNIT,
        ],
    )
    assert unit_received.exit_code == 1 and "派单前" in unit_received.output
    log = runner.invoke(cli, [*base, "webhooks", "log"])
    assert log.exit_code == 0 and "还没有推送记录" in log.output


def test_the_documented_receiver_check_accepts_a_real_post_and_refuses_a_forged_one(
    supdesk_ledger, supdesk_report, receiver
):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "api_http.md").read_text(encoding="utf-8")
    [sample] = [b for b in re.findall(r"```python\n(.*?)```", doc, re.S) if "def verify(" in b]
    namespace: dict[str, Any] = {}
    exec(compile(sample, "api_http.md", "exec"), namespace)
    verify = namespace["verify"]
    _, secret = supdesk_ledger.webhooks.add(
        url=receiver.url, center="wushenzhao", events=["report.received"]
    )
    _file(supdesk_ledger, supdesk_report)
    assert supdesk_ledger.deliver_webhooks() == (1, 0)
    [(_, body, signature)] = receiver.got
    assert verify(secret, signature, body.encode())
    assert not verify(secret, signature, body.encode().replace(b"wushenzhao", b"galutu"))
    assert not verify("whsec_other", signature, body.encode())


def test_the_console_lists_the_deliveries_and_replays_one(
    supdesk_ledger, supdesk_report, receiver, web_client, desk_people
):
    from test_web_desk import login

    from conftest import PASSWORD

    ledger = supdesk_ledger
    hook, _ = ledger.webhooks.add(url=receiver.url, center="wushenzhao", events=["issue.accepted"])
    galutu, _ = ledger.webhooks.add(url=receiver.url, center="galutu", events=["issue.accepted"])
    number = _file(ledger, supdesk_report)
    ledger.accept(number, actor=OP)
    assert ledger.deliver_webhooks() == (1, 0)
    [delivery] = ledger.webhooks.deliveries()
    login(web_client, "town-desk", PASSWORD)
    page = web_client.get("/console/webhooks")
    assert page.status_code == 200
    assert (
        f'data-webhook="{hook.id}"' in page.text and f'data-webhook="{galutu.id}"' not in page.text
    )
    assert f'data-delivery="{delivery.id}"' in page.text and "已送达" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    replayed = web_client.post(
        "/console/webhooks", data={"csrf_token": csrf, "id": str(delivery.id)}
    )
    assert replayed.status_code == 200
    assert ledger.webhooks.delivery(delivery.id).status.value == "pending"
    assert ledger.deliver_webhooks() == (1, 0) and len(receiver.got) == 2
    # Another township's staff cannot replay it; an auditor only reads.
    web_client.post("/logout", data={"csrf_token": csrf})
    login(web_client, "galutu-desk", PASSWORD)
    page = web_client.get("/console/webhooks")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = web_client.post(
        "/console/webhooks", data={"csrf_token": csrf, "id": str(delivery.id)}
    )
    assert refused.status_code == 400 and "没有这条推送记录" in refused.text


def test_subscriptions_are_read_again_for_queueing(
    supdesk_ledger, supdesk_report, receiver, monkeypatch
):
    # Which subscriptions hear of a step is read once a second, not once a step: added
    # or disabled through this ledger it counts at once, through another process
    # (here another engine on the same database) within ACTIVE_SECONDS.
    import sqlalchemy as sa

    from supervision_core.store import webhooks as store

    now = [1000.0]
    monkeypatch.setattr(store, "_monotonic", lambda: now[0])
    ledger = supdesk_ledger
    first, _ = ledger.webhooks.add(url=receiver.url, center="wushenzhao", events=["issue.accepted"])

    def accepted() -> list[int]:
        ledger.accept(_file(ledger, supdesk_report), actor=OP)
        return sorted(d.webhook_id for d in ledger.webhooks.deliveries())

    assert accepted() == [first.id]
    engine = sa.create_engine(ledger.engine.url)
    try:
        other = store.WebhookStore(engine, ledger.clock)
        second, _ = other.add(url=receiver.url, center="wushenzhao", events=["issue.accepted"])
        assert accepted() == [first.id, first.id]  # not read again yet
        now[0] += store.ACTIVE_SECONDS
        assert accepted() == [first.id, first.id, first.id, second.id]
        ledger.webhooks.disable(first.id)  # through this ledger: at once
        assert accepted() == [first.id, first.id, first.id, second.id, second.id]
    finally:
        engine.dispose()

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

from supervision_core import SIGNATURE_HEADER, InvalidTransition, verify_signature

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


def test_a_steps_posts_are_written_with_the_step_before_anything_hears_of_it(
    supdesk_ledger, supdesk_report, receiver, monkeypatch
):
    """The deliveries are in the step's transaction: no listener, no plugin hook needed."""
    ledger = supdesk_ledger
    center_hook, _ = ledger.webhooks.add(
        url=receiver.url,
        center="wushenzhao",
        events=["report.received", "issue.accepted", "issue.dispatched"],
    )
    unit_hook, _ = ledger.webhooks.add(
        url=receiver.url, center="wushenzhao", unit=UNIT, events=["issue.dispatched"]
    )
    heard = []
    # Nothing hears of the steps: neither the plugins' hook nor the host's listeners.
    monkeypatch.setattr(ledger.host, "issue_changed", lambda **kw: heard.append(kw))
    monkeypatch.setattr(ledger.host, "listeners", [])
    report = supdesk_report(
        center="wushenzhao", text="我是测试监督员，电话 13912345678，窗口无人值守"
    )
    number = ledger.receive(report).issue_number

    def queued():
        return sorted((d.webhook_id, d.event.value) for d in ledger.webhooks.deliveries())

    assert queued() == [(center_hook.id, "report.received")]
    ledger.accept(number, actor=OP)
    ledger.dispatch(number, unit=UNIT, responsible_person="其木格", actor=OP)
    assert queued() == [
        (center_hook.id, "issue.accepted"),
        (center_hook.id, "issue.dispatched"),
        (center_hook.id, "report.received"),
        (unit_hook.id, "issue.dispatched"),
    ]
    assert len(heard) == 3  # the steps were taken, but nothing ran after them
    # The unit's post, written in the step's session, is redacted as the portal is.
    [unit_post] = ledger.webhooks.deliveries(webhook_id=unit_hook.id)
    assert "13912345678" not in unit_post.body and "测试监督员" not in unit_post.body
    assert json.loads(unit_post.body)["data"]["unit"] == UNIT
    assert "窗口无人值守" in unit_post.body
    [center_post] = [
        d
        for d in ledger.webhooks.deliveries(webhook_id=center_hook.id)
        if d.event.value == "issue.dispatched"
    ]
    assert "13912345678" not in center_post.body
    assert ledger.deliver_webhooks() == (4, 0) and len(receiver.got) == 4


def test_a_crash_after_the_commit_loses_no_post_and_a_failed_step_queues_none(
    supdesk_ledger, supdesk_report, monkeypatch
):
    import supervision_core.store.webhooks as store

    ledger = supdesk_ledger
    hook, _ = ledger.webhooks.add(
        url="http://127.0.0.1:9/hook", center="wushenzhao", events=["issue.accepted"]
    )
    number = _file(ledger, supdesk_report)

    def crash(**kw):
        raise KeyboardInterrupt  # the process stops right after the step's commit

    with monkeypatch.context() as m:
        m.setattr(ledger.host, "issue_changed", crash)
        with pytest.raises(KeyboardInterrupt):
            ledger.accept(number, actor=OP)
    assert ledger.issue(number).state.value == "accepted"
    [delivery] = ledger.webhooks.deliveries()
    assert (delivery.webhook_id, delivery.event.value) == (hook.id, "issue.accepted")
    # A step refused queues nothing; a failure while queueing undoes the step itself.
    other = ledger.receive(
        supdesk_report(center="wushenzhao", text="第二个问题：材料清单过时")
    ).issue_number
    with pytest.raises(InvalidTransition, match="不能执行“受理”"):
        ledger.accept(number, actor=OP)

    def broken(*args):
        raise RuntimeError("queue failed")

    with monkeypatch.context() as m:
        m.setattr(store, "webhook_body", broken)
        with pytest.raises(RuntimeError):
            ledger.accept(other, actor=OP)
    assert ledger.issue(other).state.value == "received"
    assert len(ledger.webhooks.deliveries()) == 1

    def notices(ref):
        return {e.notice.kind for e in ledger.outbox(issue=ledger.issue(ref).id)}

    assert "accepted" in notices(number)  # the step's notice, in the same transaction
    assert "received" in notices(other) and "accepted" not in notices(other)

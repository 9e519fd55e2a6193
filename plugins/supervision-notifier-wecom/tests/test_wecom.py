"""The WeCom notifier against a real HTTP server on loopback that answers as WeCom does."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import pytest
import supervision_notifier_wecom as plugin

from supervision_core import (
    ConfigError,
    Identity,
    Ledger,
    NewSupervisor,
    Notice,
    PluginHost,
    PluginManager,
    PluginTable,
    Report,
    Sender,
    Settings,
    Unreachable,
    get_plugin_manager,
    hookimpl,
    open_ledger,
)
from supervision_core.testing import FrozenClock


class FakeWeCom:
    """Records posted messages; answers errcode 0, or what it is told to."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.errcode = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.messages.append((self.path, json.loads(body)))
                answer = {
                    "errcode": outer.errcode,
                    "errmsg": "ok" if outer.errcode == 0 else "api freq out of limit",
                }
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def wecom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeCom]:
    fake = FakeWeCom()
    config = tmp_path / "wecom.toml"
    config.write_text(
        f'[units]\nrealty = "{fake.url}/send?key=realty"\ndefault = "{fake.url}/send?key=other"\n',
        encoding="utf-8",
    )
    fake.config = config  # type: ignore[attr-defined]
    yield fake
    fake.close()


@pytest.fixture
def supdesk_plugin_manager(supdesk_plugin_manager: PluginManager) -> PluginManager:
    supdesk_plugin_manager.register(plugin, name="wecom")
    return supdesk_plugin_manager


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings, tmp_path: Path) -> Settings:
    centers = tuple(attrs.evolve(c, notifiers=("wecom",)) for c in supdesk_settings.centers)
    # The webhooks are a secret: referenced from the file the wecom fixture writes.
    table = {"webhooks": {"file": str(tmp_path / "wecom.toml")}}
    return attrs.evolve(supdesk_settings, centers=centers, notifier_options={"wecom": table})


def test_found_through_its_entry_point() -> None:
    notifiers = PluginHost(get_plugin_manager()).notifiers()
    assert "wecom" in notifiers and notifiers.plugin_of("wecom") == "wecom"
    # Named in Chinese where people read it (the ledger's 告知 column).
    assert notifiers["wecom"].label == "企业微信"  # type: ignore[attr-defined]


def test_dispatch_notice_reaches_the_units_group_without_the_supervisor(
    wecom: FakeWeCom, supdesk_ledger: Ledger, supdesk_report: Callable[..., Report]
) -> None:
    ref = (
        supdesk_ledger.receive(
            supdesk_report("我是测试监督员，电话13812341234，不动产窗口让我来回跑")
        ).issue_id
        or 0
    )
    supdesk_ledger.accept(ref, actor="op")
    supdesk_ledger.dispatch(ref, unit="realty", responsible_person="赵主任", actor="op")
    report = supdesk_ledger.deliver_notices()
    # WeCom reaches the unit; the supervisor's three notices are not said to be delivered.
    assert (report.delivered, report.unreachable) == (1, 3)
    (to_unit,) = supdesk_ledger.outbox(status="delivered")
    assert to_unit.notice.recipient_kind == "unit" and to_unit.transport == "wecom"
    for entry in supdesk_ledger.outbox(status="unreachable"):
        assert entry.notice.recipient_kind == "supervisor" and entry.transport is None
        assert entry.last_error == "企业微信：企业微信群机器人只通知承办单位"
    ((path, message),) = wecom.messages
    assert path == "/send?key=realty"
    content = message["text"]["content"]
    assert message["msgtype"] == "text" and "派单通知" in content and "来回跑" in content
    assert "13812341234" not in content and "reporter@example.cn" not in content


def test_wecom_refusal_is_retried(
    wecom: FakeWeCom, supdesk_ledger: Ledger, supdesk_report: Callable[..., Report]
) -> None:
    ref = supdesk_ledger.receive(supdesk_report()).issue_id or 0
    supdesk_ledger.accept(ref, actor="op")
    supdesk_ledger.dispatch(ref, unit="market", responsible_person="钱", actor="op")
    wecom.errcode = 45009
    report = supdesk_ledger.deliver_notices()
    assert report.retrying == 1
    (failed,) = supdesk_ledger.outbox(status="retrying")
    assert "45009" in (failed.last_error or "")
    assert wecom.messages[0][0] == "/send?key=other"  # the default group


def test_long_text_is_cut_to_wecoms_limit(wecom: FakeWeCom) -> None:
    notifier = plugin.WeComNotifier(webhooks=plugin.load_webhooks(wecom.config))  # type: ignore[attr-defined]
    notifier.deliver(
        Notice(
            key="k",
            center="banner",
            recipient_kind="unit",
            recipient="realty",
            subject="【派单通知】",
            body="长" * 3000,
        )
    )
    content = wecom.messages[0][1]["text"]["content"]
    assert len(content.encode()) <= 2048 and content.endswith("…")


def test_missing_configuration_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"\[notifiers\.wecom\]"):
        plugin.WeComNotifier().deliver(
            Notice(key="k", center="c", recipient_kind="unit", recipient="x", subject="s", body="b")
        )
    table = PluginTable(
        {"webhooks": {"env": "WECOM_NOT_SET"}}, where="notifiers.wecom", source="supdesk.toml"
    )
    monkeypatch.delenv("WECOM_NOT_SET", raising=False)
    with pytest.raises(
        ConfigError,
        match=r"supdesk.toml 中 notifiers.wecom.webhooks：环境变量 WECOM_NOT_SET 未设置",
    ):
        plugin.WeComSettings.from_table(table)
    # A unit without a webhook (and no default) cannot be reached this way: said, not retried.
    with pytest.raises(Unreachable, match="单位 x 没有配置企业微信群机器人地址"):
        plugin.WeComNotifier(webhooks={}).deliver(
            Notice(key="k", center="c", recipient_kind="unit", recipient="x", subject="s", body="b")
        )


def test_anything_but_a_unit_is_unreachable_by_wecom(wecom: FakeWeCom) -> None:
    notifier = plugin.WeComNotifier(webhooks=plugin.load_webhooks(wecom.config))  # type: ignore[attr-defined]
    for kind, recipient in (("supervisor", "7"), ("center", "banner")):
        with pytest.raises(Unreachable, match="只通知承办单位"):
            notifier.deliver(
                Notice(key="k", center="banner", recipient_kind=kind, recipient=recipient,
                       subject="s", body="b")
            )  # fmt: skip
    assert wecom.messages == []  # nothing was posted


def test_a_unit_without_a_webhook_falls_through_to_the_next_notifier(
    wecom: FakeWeCom,
    supdesk_settings: Settings,
    supdesk_plugin_manager: PluginManager,
    supdesk_database_url: str,
    supdesk_clock: FrozenClock,
) -> None:
    sent: list[Notice] = []

    class Fax:
        name = "fax"

        def deliver(self, notice: Notice) -> None:
            if notice.recipient_kind != "unit":
                raise Unreachable("只发给单位")
            sent.append(notice)

    class Plugin:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(Fax())

    supdesk_plugin_manager.register(Plugin(), name="fax")
    wecom.config.write_text(f'[units]\nrealty = "{wecom.url}/send?key=realty"\n')  # type: ignore[attr-defined]
    centers = tuple(attrs.evolve(c, notifiers=("wecom", "fax")) for c in supdesk_settings.centers)
    with open_ledger(
        supdesk_database_url,
        settings=attrs.evolve(supdesk_settings, centers=centers),
        plugin_manager=supdesk_plugin_manager,
        create=True,
        clock=supdesk_clock,
    ) as ledger:
        ledger.add_supervisor(
            NewSupervisor(
                name="测试", center="banner", identities=[Identity("email", "t@example.cn")]
            )
        )
        ref = ledger.receive(
            Report(channel="test", external_id="1", center="banner", received_at=supdesk_clock(),
                   sender=Sender("email", "t@example.cn"), text="窗口无人")
        ).issue_id or 0  # fmt: skip
        ledger.accept(ref, actor="op")
        ledger.dispatch(ref, unit="market", responsible_person="钱", actor="op")
        ledger.deliver_notices()
        (to_unit,) = [e for e in ledger.outbox() if e.notice.recipient_kind == "unit"]
    assert to_unit.status == "delivered" and to_unit.transport == "fax"
    assert "企业微信：单位 market 没有配置企业微信群机器人地址" in (to_unit.last_error or "")
    assert [n.recipient for n in sent] == ["market"] and wecom.messages == []

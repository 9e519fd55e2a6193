"""The SMS notifier against a Tencent Cloud SMS stand-in on loopback (tencent_standin.py).

The stand-in checks every request's TC3-HMAC-SHA256 signature as Tencent documents it, and
answers with the API's JSON; the notifier reaches it through the official SDK, its base URL
a setting. Both databases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import supervision_notifier_sms as plugin
from aliyun_standin import AliyunStandIn
from click.testing import CliRunner
from starlette.testclient import TestClient
from supervision_notifier_sms.rules import QuietHours, mobile_number, template_params
from supervision_notifier_sms.tencent import SmsError
from tencent_standin import TencentStandIn, tc3_signature

from supervision_core import (
    CODE_MINUTES,
    SHANGHAI,
    ConfigError,
    ContactKind,
    Deferred,
    Identity,
    Ledger,
    NewSupervisor,
    Notice,
    OutboxStatus,
    PluginHost,
    PluginManager,
    PluginTable,
    Report,
    Sender,
    Settings,
    Unreachable,
    get_plugin_manager,
)
from supervision_core.testing import FrozenClock
from supervision_web import WebSettings, create_app

PHONE = "139 0477 2345"
E164 = "+8613904772345"
SECRET_ID = "AKIDstandin0000000000000000000000000"
SECRET_KEY = "standinsecretkey0000000000000000"
APP_ID = "1400123456"
SIGN = "乌审旗政务服务"
TEMPLATES = {
    "received": {"id": "2000001", "params": ["number"], "text": "您反映的问题已收到，编号{1}。"},
    "not_accepted": {
        "id": "2000002",
        "params": ["number", "reason"],
        "text": "您反映的问题{1}不予受理，原因：{2}。",
    },
    "sign_in_code": {
        "id": "2000003",
        "params": ["code", "minutes"],
        "text": "您的登录验证码为{1}，{2}分钟内有效。",
    },
}


@pytest.fixture(scope="module")
def standin() -> Iterator[TencentStandIn]:
    server = TencentStandIn(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        app_id=APP_ID,
        sign_name=SIGN,
        templates={t["id"]: len(t["params"]) for t in TEMPLATES.values()},
    )
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh(standin: TencentStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    standin.reset()
    standin.daily_limit = 10
    # The loopback stand-in is never reached through a proxy.
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


def sms_table(standin: TencentStandIn, tmp_path: Path, **changes: Any) -> dict[str, Any]:
    key = tmp_path / "tencent-sms.key"
    key.write_text(SECRET_KEY + "\n", encoding="utf-8")
    table: dict[str, Any] = {
        "provider": "tencent",
        "base_url": standin.url,
        "app_id": APP_ID,
        "sign_name": SIGN,
        "secret_id": {"env": "SUPDESK_TEST_SMS_ID"},
        "secret_key": {"file": str(key)},
        "counter_file": str(tmp_path / "sms-counts.json"),
        "templates": TEMPLATES,
    }
    table.update(changes)
    return table


@pytest.fixture
def supdesk_plugin_manager(supdesk_plugin_manager: PluginManager) -> PluginManager:
    supdesk_plugin_manager.register(plugin, name="sms")
    return supdesk_plugin_manager


@pytest.fixture
def sms_changes() -> dict[str, Any]:
    """Changes to ``[notifiers.sms]`` for one test (``parametrize`` it)."""
    return {}


@pytest.fixture
def supdesk_settings(
    supdesk_settings: Settings,
    standin: TencentStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sms_changes: dict[str, Any],
) -> Settings:
    monkeypatch.setenv("SUPDESK_TEST_SMS_ID", SECRET_ID)
    centers = tuple(attrs.evolve(c, notifiers=("sms",)) for c in supdesk_settings.centers)
    return attrs.evolve(
        supdesk_settings,
        centers=centers,
        delivery_attempts=2,
        notifier_options={"sms": sms_table(standin, tmp_path, **sms_changes)},
    )


def changes(**values: Any) -> Any:
    return pytest.mark.parametrize("sms_changes", [values], ids=["sms"])


def phone_only_report(
    ledger: Ledger, clock: FrozenClock, text: str = "窗口午休无人", n: int = 1
) -> int:
    if not ledger.supervisors(center="wushenzhao"):
        ledger.add_supervisor(
            NewSupervisor(name="巴特尔", center="wushenzhao",
                          identities=[Identity(ContactKind.PHONE, PHONE)])
        )  # fmt: skip
    result = ledger.receive(
        Report(channel="test", external_id=f"s-{n}", center="wushenzhao", received_at=clock(),
               sender=Sender(ContactKind.PHONE, PHONE), text=text)
    )  # fmt: skip
    assert result.issue_id is not None
    return result.issue_id


# ---------------------------------------------------------------- through the outbox


def test_a_phone_only_supervisors_non_acceptance_reaches_them_by_sms(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, standin: TencentStandIn
) -> None:
    ledger = supdesk_ledger
    issue = phone_only_report(ledger, supdesk_clock)
    ledger.not_accept(issue, reason="petition", note="已进入信访渠道办理", actor="op")
    outcome = ledger.deliver_notices()
    assert (outcome.delivered, outcome.call_tasks) == (2, 0)
    number = ledger.issue(issue).number
    received, refused = standin.sent
    assert (received.number, received.template_id, received.params) == (E164, "2000001", [number])
    assert refused.template_id == "2000002" and refused.sign_name == SIGN
    (entry,) = [e for e in ledger.outbox(issue=issue) if e.notice.kind == "not_accepted"]
    assert refused.params == [number, entry.notice.fields["reason"]]
    assert "信访" in refused.params[1]
    assert entry.status is OutboxStatus.DELIVERED and entry.transport == "sms"
    assert refused.context == entry.notice.key  # SessionContext: what the receipt carries back
    assert ledger.call_tasks() == []


def test_a_night_time_notice_waits_for_morning(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, standin: TencentStandIn
) -> None:
    ledger = supdesk_ledger
    supdesk_clock.set(dt.datetime(2026, 3, 2, 22, 15, tzinfo=SHANGHAI))
    phone_only_report(ledger, supdesk_clock)
    outcome = ledger.deliver_notices()
    assert outcome == type(outcome)() and standin.sent == []
    (entry,) = ledger.outbox()
    assert entry.status is OutboxStatus.PENDING and entry.attempts == 0
    assert entry.next_attempt_at == dt.datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    assert entry.last_error == "短信：夜间免打扰（21:00-08:00），03-03 08:00 后发送"
    supdesk_clock.set(dt.datetime(2026, 3, 3, 7, 30, tzinfo=SHANGHAI))
    assert ledger.deliver_notices() == type(outcome)() and standin.sent == []
    supdesk_clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI))
    assert ledger.deliver_notices().delivered == 1
    assert [s.template_id for s in standin.sent] == ["2000001"]
    assert ledger.call_tasks() == []


@changes(sign_name="未审核的签名")
def test_a_provider_refusal_falls_through_to_a_call_task(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, standin: TencentStandIn
) -> None:
    ledger = supdesk_ledger
    phone_only_report(ledger, supdesk_clock)
    outcome = ledger.deliver_notices()
    assert (outcome.delivered, outcome.call_tasks) == (0, 1)
    assert standin.refused == ["FailedOperation.SignatureIncorrectOrUnapproved"]
    (task,) = ledger.call_tasks()
    assert task.phones == (PHONE,)
    assert task.entry.last_error == (
        "短信：短信平台拒绝：短信签名未通过审核或填写有误（FailedOperation.SignatureIncorrectOrUnapproved）"
    )


def test_a_provider_failure_is_retried_then_becomes_a_call_task(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, standin: TencentStandIn
) -> None:
    ledger = supdesk_ledger
    phone_only_report(ledger, supdesk_clock)
    standin.fail_next = "InternalError.Timeout"
    assert ledger.deliver_notices().retrying == 1
    (entry,) = ledger.outbox()
    assert "InternalError.Timeout" in (entry.last_error or "") and entry.attempts == 1
    supdesk_clock.advance(hours=1)
    standin.fail_next = "InternalError.Timeout"
    assert ledger.deliver_notices().call_tasks == 1  # delivery_attempts = 2
    assert standin.sent == []


@changes(templates={})
def test_no_template_for_the_kind_is_a_call_task_at_once(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, standin: TencentStandIn
) -> None:
    ledger = supdesk_ledger
    phone_only_report(ledger, supdesk_clock)
    assert ledger.deliver_notices().call_tasks == 1
    (task,) = ledger.call_tasks()
    assert task.entry.last_error == (
        "短信：没有“收到反馈”的短信模板（[notifiers.sms.templates] 中未配置 received）"
    )
    assert standin.refused == standin.sent == []  # nothing was asked of the provider


@changes(daily_cap=2)
def test_the_daily_cap_per_number(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, standin: TencentStandIn, tmp_path: Path
) -> None:
    ledger = supdesk_ledger
    for n in range(1, 4):
        phone_only_report(ledger, supdesk_clock, f"第{n}件事", n=n)
    outcome = ledger.deliver_notices()
    assert (outcome.delivered, outcome.call_tasks) == (2, 1)
    assert len(standin.sent) == 2  # the third was never asked for
    (task,) = ledger.call_tasks()
    assert task.entry.last_error == "短信：今日短信已达上限（每个号码每天 2 条）"
    counts = json.loads((tmp_path / "sms-counts.json").read_text(encoding="utf-8"))
    assert counts == {"2026-03-02": {E164: 2}}
    # The next day counts from zero.
    supdesk_clock.advance(days=1)
    phone_only_report(ledger, supdesk_clock, "第四件事", n=4)
    assert ledger.deliver_notices().delivered == 1


def test_the_providers_own_daily_limit_is_unreachable_too(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, standin: TencentStandIn
) -> None:
    ledger = supdesk_ledger
    standin.daily_limit = 1
    phone_only_report(ledger, supdesk_clock, "第一件事", n=1)
    phone_only_report(ledger, supdesk_clock, "第二件事", n=2)
    outcome = ledger.deliver_notices()
    assert (outcome.delivered, outcome.call_tasks) == (1, 1)
    (task,) = ledger.call_tasks()
    assert task.entry.last_error == (
        "短信：139****2345：今日短信已达上限（LimitExceeded.PhoneNumberDailyLimit）"
    )
    assert PHONE.replace(" ", "") not in (task.entry.last_error or "")


@changes(secret_key={"env": "SUPDESK_TEST_SMS_WRONG_KEY"})
def test_a_wrong_secret_key_is_refused_by_the_signature_check(
    supdesk_ledger: Ledger,
    supdesk_clock: FrozenClock,
    standin: TencentStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger = supdesk_ledger
    monkeypatch.setenv("SUPDESK_TEST_SMS_WRONG_KEY", "not-the-key")
    phone_only_report(ledger, supdesk_clock)
    assert ledger.deliver_notices().retrying == 1
    assert standin.refused == ["AuthFailure.SignatureFailure"] and standin.sent == []
    (entry,) = ledger.outbox()
    assert "AuthFailure.SignatureFailure" in (entry.last_error or "")


def test_the_standin_checks_the_signature_of_exactly_what_was_sent(standin: TencentStandIn) -> None:
    body = json.dumps({"SmsSdkAppId": APP_ID, "SignName": SIGN, "TemplateId": "2000001",
                       "TemplateParamSet": ["J-1"], "PhoneNumberSet": [E164]}).encode()  # fmt: skip
    timestamp = int(time.time())
    host = standin.url.removeprefix("http://")
    headers = {"content-type": "application/json", "host": host}
    signature = tc3_signature(
        SECRET_KEY, method="POST", path="/", query="", headers=headers,
        signed_headers="content-type;host", payload=body, timestamp=timestamp, service="sms",
    )  # fmt: skip
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")

    def post(payload: bytes) -> dict[str, Any]:
        answer = httpx.post(standin.url + "/", content=payload, headers={
            "Content-Type": "application/json", "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11", "X-TC-Timestamp": str(timestamp),
            "Authorization": f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/sms/tc3_request, "
                             f"SignedHeaders=content-type;host, Signature={signature}",
        })  # fmt: skip
        return dict(answer.json()["Response"])

    assert post(body)["SendStatusSet"][0]["Code"] == "Ok"
    tampered = body.replace(b"J-1", b"J-2")
    assert hashlib.sha256(tampered).digest() != hashlib.sha256(body).digest()
    assert post(tampered)["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert len(standin.sent) == 1


def test_receipts_are_pulled_and_a_failed_one_becomes_a_call_task(
    supdesk_ledger: Ledger,
    supdesk_clock: FrozenClock,
    standin: TencentStandIn,
    supdesk_settings: Settings,
    supdesk_database_url: str,
    tmp_path: Path,
) -> None:
    ledger = supdesk_ledger
    issue = phone_only_report(ledger, supdesk_clock)
    assert ledger.deliver_notices().delivered == 1
    standin.switched_off.add(E164)
    ledger.not_accept(issue, reason="petition", note="已进入信访渠道办理", actor="op")
    assert ledger.deliver_notices().delivered == 1
    settings = plugin.SmsSettings.from_table(supdesk_settings.plugin_table("notifiers", "sms"))
    assert plugin.record_receipts(ledger, settings) == plugin.ReceiptRound(recorded=2, failed=1)
    by_kind = {e.notice.kind: e for e in ledger.outbox(issue=issue)}
    told, lost = by_kind["received"], by_kind["not_accepted"]
    assert told.status is OutboxStatus.DELIVERED and told.receipt is not None
    assert told.receipt.label == "已送达"
    # The provider took it, but it never reached the phone: the desk must call after all.
    assert lost.status is OutboxStatus.CALL_TASK and lost.receipt is not None
    assert lost.receipt.label == "未送达（用户手机关机或不在服务区）"
    assert [t.entry.id for t in ledger.call_tasks()] == [lost.id]
    # Each receipt comes once; the command says what it did, in Chinese.
    config = tmp_path / "supdesk.toml"
    config.write_text(
        f"""[[centers]]\ncode = "wushenzhao"\nname = "乌审召镇"\nlevel = "township"\nnotifiers = ["sms"]\n"""
        f"""[notifiers.sms]\nbase_url = "{standin.url}"\napp_id = "{APP_ID}"\nsign_name = "{SIGN}"\n"""
        f"""secret_id = {{ env = "SUPDESK_TEST_SMS_ID" }}\nsecret_key = {{ env = "SUPDESK_TEST_SMS_KEY" }}\n""",
        encoding="utf-8",
    )
    env = {**os.environ, "SUPDESK_TEST_SMS_ID": SECRET_ID, "SUPDESK_TEST_SMS_KEY": SECRET_KEY}
    env.pop("SUPDESK_DISABLE_PLUGINS", None)
    supdesk = Path(sys.executable).parent / "supdesk"
    result = subprocess.run(
        [supdesk, "--config", config, "--database", supdesk_database_url, "sms", "receipts"],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "已记录回执 0 条" in result.stdout
    # The operator's list shows the failed receipt as it is.
    listed = subprocess.run(
        [supdesk, "--config", config, "--database", supdesk_database_url, "outbox", "list"],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert "回执：未送达（用户手机关机或不在服务区）" in listed.stdout, listed.stderr
    assert "回执：已送达" in listed.stdout
    # The provider unreachable: said in Chinese, no traceback.
    config.write_text(config.read_text(encoding="utf-8").replace(standin.url, "http://127.0.0.1:9"),
                      encoding="utf-8")  # fmt: skip
    result = subprocess.run(
        [supdesk, "--config", config, "--database", supdesk_database_url, "sms", "receipts"],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0 and "拉取短信回执失败" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- the notifier itself


def configured(
    standin: TencentStandIn, tmp_path: Path, clock: FrozenClock, **changes: Any
) -> plugin.SmsNotifier:
    table = PluginTable(sms_table(standin, tmp_path, **changes), where="notifiers.sms")
    return plugin.SmsNotifier().configure(plugin.SmsSettings.from_table(table), clock=clock)


def test_the_sign_in_code_goes_at_any_hour(
    standin: TencentStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPDESK_TEST_SMS_ID", SECRET_ID)
    clock = FrozenClock(dt.datetime(2026, 3, 2, 23, 40, tzinfo=SHANGHAI))
    notifier = configured(standin, tmp_path, clock)
    to = (Identity(ContactKind.PHONE, "+86 139-0477-2345"),)
    notifier.deliver(
        Notice(key="code-1", center="banner", recipient_kind="supervisor", recipient="7",
               addresses=to, subject="登录验证码", body="验证码 482913", kind="sign_in_code",
               fields={"code": "482913", "minutes": "10"})
    )  # fmt: skip
    ((sent),) = standin.sent
    assert (sent.number, sent.template_id, sent.params) == (E164, "2000003", ["482913", "10"])
    with pytest.raises(Deferred) as deferred:  # any other kind waits
        notifier.deliver(
            Notice(key="r-1", center="banner", recipient_kind="supervisor", recipient="7",
                   addresses=to, subject="s", body="b", kind="received", fields={"number": "1"})
        )  # fmt: skip
    assert deferred.value.until == dt.datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    with pytest.raises(Unreachable, match="6 位以内的数字"):  # not a code the template allows
        notifier.deliver(
            Notice(key="code-2", center="banner", recipient_kind="supervisor", recipient="7",
                   addresses=to, subject="s", body="b", kind="sign_in_code",
                   fields={"code": "48291377", "minutes": "10"})
        )  # fmt: skip


def test_units_and_centers_by_their_configured_numbers(
    standin: TencentStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPDESK_TEST_SMS_ID", SECRET_ID)
    clock = FrozenClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))
    templates = {**TEMPLATES, "unit_dispatched": {"id": "2000001", "params": ["number"]}}
    notifier = configured(standin, tmp_path, clock, templates=templates,
                          units={"realty": "13812341234"})  # fmt: skip
    notice = Notice(key="u-1", center="banner", recipient_kind="unit", recipient="realty",
                    subject="s", body="b", kind="unit_dispatched", fields={"number": "WS-1"})  # fmt: skip
    notifier.deliver(notice)
    assert [s.number for s in standin.sent] == ["+8613812341234"]
    with pytest.raises(Unreachable, match="没有手机号码"):
        notifier.deliver(attrs.evolve(notice, recipient="market"))


def test_settings_are_checked_in_chinese(
    standin: TencentStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPDESK_TEST_SMS_ID", SECRET_ID)

    def load(**changes: Any) -> plugin.SmsSettings:
        table = PluginTable(sms_table(standin, tmp_path, **changes), where="notifiers.sms")
        return plugin.SmsSettings.from_table(table)

    assert load().quiet_hours == QuietHours()
    assert load(quiet_hours="").quiet_hours is None
    with pytest.raises(ConfigError, match=r"notifiers\.sms\.quiet_hours：.*HH:MM"):
        load(quiet_hours="晚上")
    with pytest.raises(ConfigError, match=r"notifiers\.sms\.provider：暂只支持 tencent、aliyun"):
        load(provider="twilio")
    with pytest.raises(
        ConfigError, match=r"notifiers\.sms\.templates\.received\.id：腾讯云的模板 ID 应为数字"
    ):
        load(templates={"received": {"id": "abc", "params": ["number"]}})
    with pytest.raises(ConfigError, match=r"notifiers\.sms\.units\.realty：应为手机号码"):
        load(units={"realty": "0477-1234567"})
    with pytest.raises(ConfigError, match="密钥不能直接写在配置文件中"):
        load(secret_key="plain")
    with pytest.raises(ConfigError, match=r"\[notifiers\.sms\]"):
        plugin.SmsNotifier().deliver(
            Notice(key="k", center="c", recipient_kind="unit", recipient="x", subject="s", body="b")
        )


# ---------------------------------------------------------------- the rules


def test_a_templates_own_text_counts_toward_the_500_characters() -> None:
    tencent = plugin.Template(
        "2000002", ("number", "reason"), "您反映的问题{1}不予受理，原因：{2}。"
    )
    aliyun = plugin.Template(
        "SMS_1", ("number", "reason"), "您反映的问题${number}不予受理，原因：${reason}。"
    )
    # 15 characters of text, and 【乌审旗政务服务】: 9.
    assert tencent.fixed_length(SIGN) == aliyun.fixed_length(SIGN) == 15 + len(SIGN) + 2


def test_mobile_numbers() -> None:
    assert mobile_number("139 0477 2345") == E164
    assert mobile_number("+86 139-0477-2345") == E164
    assert mobile_number("008613904772345") == E164
    assert mobile_number("１３９０４７７２３４５") == E164
    assert mobile_number("0477-8123456") is None  # a landline: no text message
    assert mobile_number("12904772345") is None


def test_template_params_within_the_documented_limits() -> None:
    # An account certified as a person: at most 12 characters a parameter.
    fields = {
        "number": "WS-2026-0001",
        "reason": "已进入信访渠道办理，详见 https://x.cn/a 【通知】",
    }
    number, reason = template_params(["number", "reason"], fields, max_length=12)
    assert number == "WS-2026-0001"
    assert len(reason) == 12 and reason.endswith("…") and "http" not in reason
    # An issue's number is never cut: refused instead.
    with pytest.raises(ValueError, match="number（wushenzhao-2026-00001）超过 12 字，不能截断"):
        template_params(["number"], {"number": "wushenzhao-2026-00001"}, max_length=12)
    assert "【" not in template_params(["r"], {"r": "【签名】"}, max_length=0)[0]
    (long,) = template_params(["r"], {"r": "长" * 600}, max_length=0, fixed_length=20)
    assert len(long) == 480  # 500 in all, with the template's text and the signature
    with pytest.raises(ValueError, match="缺少短信模板所需的字段：reason"):
        template_params(["number", "reason"], {"number": "1"}, max_length=12)
    with pytest.raises(ValueError, match="6 位以内的数字"):
        template_params(["code"], {"code": "12ab"}, max_length=12, code="code")


def test_quiet_hours() -> None:
    quiet = QuietHours()
    at = dt.datetime
    assert quiet.until(at(2026, 3, 2, 20, 59, tzinfo=SHANGHAI)) is None
    assert quiet.until(at(2026, 3, 2, 21, 0, tzinfo=SHANGHAI)) == at(
        2026, 3, 3, 8, 0, tzinfo=SHANGHAI
    )
    assert quiet.until(at(2026, 3, 3, 7, 59, tzinfo=SHANGHAI)) == at(
        2026, 3, 3, 8, 0, tzinfo=SHANGHAI
    )
    # 23:00 UTC is 07:00 in Shanghai.
    assert quiet.until(at(2026, 3, 2, 23, 0, tzinfo=dt.UTC)) == at(
        2026, 3, 3, 8, 0, tzinfo=SHANGHAI
    )
    lunch = QuietHours.parse("12:00-14:00")
    assert lunch is not None and lunch.until(at(2026, 3, 2, 13, 0, tzinfo=SHANGHAI)) == at(
        2026, 3, 2, 14, 0, tzinfo=SHANGHAI
    )
    assert lunch.until(at(2026, 3, 2, 22, 0, tzinfo=SHANGHAI)) is None


# ---------------------------------------------------------------- installed, or not


def test_found_through_its_entry_point_and_listed_by_supdesk_plugins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    notifiers = PluginHost(get_plugin_manager()).notifiers()
    assert notifiers.plugin_of("sms") == "sms" and notifiers["sms"].label == "短信"  # type: ignore[attr-defined]
    from supervision_core.cli import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    monkeypatch.delenv("SUPDESK_DISABLE_PLUGINS", raising=False)
    shown = CliRunner().invoke(cli, ["plugins", "--json"], catch_exceptions=False)
    (entry,) = [p for p in json.loads(shown.output) if p["name"] == "sms"]
    assert "supervision_register_notifiers" in entry["hooks"] and not entry["blocked"]
    # Kept out, the rest works: the command runs and the notifier is not registered.
    monkeypatch.setenv("SUPDESK_DISABLE_PLUGINS", "sms")
    shown = CliRunner().invoke(cli, ["plugins"], catch_exceptions=False)
    assert shown.exit_code == 0 and "已停用" in shown.output and "wecom" in shown.output
    assert "sms" not in PluginHost(get_plugin_manager(blocked=["sms"])).notifiers()


# ---------------------------------------------------------------- Alibaba Cloud

ALI_ID = "LTAIstandin000000000000"
ALI_SECRET = "aliyun-standin-secret-0000000000"
ALI_TEMPLATES = {
    "received": {"id": "SMS_460001", "params": ["number"]},
    "not_accepted": {"id": "SMS_460002", "params": ["number", "reason"]},
    "sign_in_code": {"id": "SMS_460003", "params": ["code", "minutes"]},
}


@pytest.fixture(scope="module")
def aliyun() -> Iterator[AliyunStandIn]:
    server = AliyunStandIn(
        access_key_id=ALI_ID,
        access_key_secret=ALI_SECRET,
        sign_name=SIGN,
        templates={t["id"]: tuple(t["params"]) for t in ALI_TEMPLATES.values()},
    )
    yield server
    server.close()


def ali_notifier(
    aliyun: AliyunStandIn, clock: FrozenClock, tmp_path: Path, **changes: Any
) -> plugin.SmsNotifier:
    table = {
        "provider": "aliyun",
        "base_url": aliyun.url,
        "sign_name": SIGN,
        "secret_id": {"env": "SUPDESK_TEST_ALI_ID"},
        "secret_key": {"env": "SUPDESK_TEST_ALI_SECRET"},
        "counter_file": str(tmp_path / "ali-counts.json"),
        "templates": ALI_TEMPLATES,
        **changes,
    }
    settings = plugin.SmsSettings.from_table(PluginTable(table, where="notifiers.sms"))
    return plugin.SmsNotifier().configure(settings, clock=clock)


def test_aliyun_sends_named_parameters_and_its_signature_is_checked(
    aliyun: AliyunStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aliyun.reset()
    monkeypatch.setenv("SUPDESK_TEST_ALI_ID", ALI_ID)
    monkeypatch.setenv("SUPDESK_TEST_ALI_SECRET", ALI_SECRET)
    clock = FrozenClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))
    notifier = ali_notifier(aliyun, clock, tmp_path)
    to = (Identity(ContactKind.PHONE, PHONE),)
    notice = Notice(key="n-1", center="banner", recipient_kind="supervisor", recipient="7",
                    addresses=to, subject="s", body="b", kind="not_accepted",
                    fields={"number": "wushenzhao-2026-00001", "reason": "属于信访事项，" * 6})  # fmt: skip
    notifier.deliver(notice)
    (sent,) = aliyun.sent
    assert (sent.number, sent.template_code, sent.out_id) == ("13904772345", "SMS_460002", "n-1")
    assert sent.params["number"] == "wushenzhao-2026-00001"
    assert len(sent.params["reason"]) == 35 and sent.params["reason"].endswith("…")  # 1 to 35
    # A code Alibaba's verification template refuses (4 to 6 digits) is not sent.
    with pytest.raises(Unreachable, match="4 到 6 位的数字"):
        notifier.deliver(
            attrs.evolve(notice, kind="sign_in_code", fields={"code": "123", "minutes": "5"})
        )
    # An unapproved signature is refused for good; a wrong secret is a failure (retried).
    with pytest.raises(Unreachable, match=r"isv\.SMS_SIGNATURE_ILLEGAL"):
        ali_notifier(aliyun, clock, tmp_path, sign_name="未审核的签名").deliver(notice)
    monkeypatch.setenv("SUPDESK_TEST_ALI_SECRET", "wrong")
    with pytest.raises(SmsError, match="SignatureDoesNotMatch"):
        ali_notifier(aliyun, clock, tmp_path).deliver(notice)
    assert aliyun.refused == ["isv.SMS_SIGNATURE_ILLEGAL", "SignatureDoesNotMatch"]
    assert len(aliyun.sent) == 1


def test_aliyun_daily_flow_control_is_unreachable(
    aliyun: AliyunStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aliyun.reset()
    aliyun.daily_limit = 1
    monkeypatch.setenv("SUPDESK_TEST_ALI_ID", ALI_ID)
    monkeypatch.setenv("SUPDESK_TEST_ALI_SECRET", ALI_SECRET)
    clock = FrozenClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))
    notifier = ali_notifier(aliyun, clock, tmp_path)
    notice = Notice(key="n-2", center="banner", recipient_kind="supervisor", recipient="7",
                    addresses=(Identity(ContactKind.PHONE, PHONE),), subject="s", body="b",
                    kind="received", fields={"number": "wushenzhao-2026-00002"})  # fmt: skip
    notifier.deliver(notice)
    with pytest.raises(
        Unreachable, match=r"139\*\*\*\*2345：今日短信已达上限（isv\.DAY_LIMIT_CONTROL）"
    ):
        notifier.deliver(attrs.evolve(notice, key="n-3"))
    # Counted as full for today: the next notice is not even asked for.
    with pytest.raises(Unreachable, match="今日短信已达上限（每个号码每天 10 条）"):
        notifier.deliver(attrs.evolve(notice, key="n-4"))
    assert aliyun.refused == ["isv.BUSINESS_LIMIT_CONTROL"]


# ---------------------------------------------------------------- end to end: /me by SMS


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


@pytest.fixture
def me_client(supdesk_ledger: Ledger) -> Iterator[TestClient]:
    app = create_app(supdesk_ledger, WebSettings(secret_key="k" * 48))
    with TestClient(app, base_url="https://testserver", follow_redirects=True) as client:
        yield client


def test_a_phone_only_supervisor_signs_in_to_me_with_the_code_the_sms_carried(
    supdesk_ledger: Ledger, standin: TencentStandIn, me_client: TestClient
) -> None:
    """Issue #21's first line, through the real notifier and Tencent's API as documented."""
    ledger = supdesk_ledger
    me = ledger.add_supervisor(
        NewSupervisor(name="巴特尔", center="wushenzhao",
                      identities=[Identity(ContactKind.PHONE, PHONE)])
    )  # fmt: skip
    page = me_client.get("/me/login")
    assert page.status_code == 200 and standin.sent == []
    typed = "13904772345"  # as the supervisor types it, not as it was registered
    sent = me_client.post(
        "/me/login", data={"csrf_token": _csrf(page.text), "action": "send", "contact": typed}
    )
    assert sent.status_code == 200 and "验证码已发送" in sent.text
    # What Tencent received: the configured template, its two parameters, the approved sign.
    (message,) = standin.sent
    template = TEMPLATES["sign_in_code"]
    assert (message.number, message.template_id, message.sign_name) == (E164, template["id"], SIGN)
    code, minutes = message.params
    assert re.fullmatch(r"\d{6}", code) and minutes == str(CODE_MINUTES)
    assert standin.refused == []
    # The code is blotted out of the outbox once sent: only the message carries it.
    assert not [e for e in ledger.outbox() if code in e.notice.body]
    # A wrong code is refused; the one the message carried signs the supervisor in.
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = me_client.post(
        "/me/login",
        data={"csrf_token": _csrf(sent.text), "action": "verify", "contact": typed, "code": wrong},
    )
    assert refused.status_code == 401 and "验证码不正确" in refused.text
    done = me_client.post(
        "/me/login",
        data={"csrf_token": _csrf(sent.text), "action": "verify", "contact": typed, "code": code},
    )
    assert done.status_code == 200 and done.url.path == "/me", done.text
    assert "我的反馈" in done.text and "巴特尔，您好" in done.text
    assert [s.via for s in ledger.supervisor_sessions(me.id)] == ["code"]
    # Single use: the same code does not sign in a second browser.
    with TestClient(me_client.app, base_url="https://testserver") as other:
        again = other.get("/me/login")
        reused = other.post(
            "/me/login",
            data={"csrf_token": _csrf(again.text), "action": "verify", "contact": typed,
                  "code": code},
        )  # fmt: skip
        assert (
            reused.status_code == 401
            and other.get("/me", follow_redirects=False).status_code == 303
        )
    assert len(standin.sent) == 1

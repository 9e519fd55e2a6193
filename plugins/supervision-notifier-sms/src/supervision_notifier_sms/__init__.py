"""Tell supervisors (and units, and a center's staff) by text message: 短信.

Through Tencent Cloud SMS (腾讯云短信) or Alibaba Cloud SMS (阿里云短信) and their
official SDKs, by the Chinese rules: a
registered signature (签名), a pre-approved template (模板) per notice kind filled from
``notice.fields`` (never free text), parameters within the provider's limits, a daily cap
per number, and no message in the quiet hours of the night (the notice waits for the
morning, ``Deferred``), except the sign-in code a supervisor asks for right now.
Configured in ``supdesk.toml``::

    [notifiers.sms]
    provider = "tencent"
    app_id = "1400000000"                       # SmsSdkAppId
    sign_name = "乌审旗政务服务"
    secret_id = { env = "TENCENT_SMS_SECRET_ID" }
    secret_key = { file = "/etc/supdesk/tencent-sms.key" }

    [notifiers.sms.templates]
    not_accepted = { id = "2000001", params = ["number", "reason"] }

See ``docs/sms.md`` for every option and the templates to apply for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from supervision_core import (
    ConfigError,
    ContactKind,
    Deferred,
    InvalidInput,
    NotFound,
    Notice,
    NoticeKind,
    NotifierRegistry,
    PluginTable,
    RecipientKind,
    Unreachable,
    hookimpl,
    local_date,
    mask_phone,
    now_utc,
)
from supervision_notifier_sms.aliyun import AliyunSms
from supervision_notifier_sms.counter import DailyCounter
from supervision_notifier_sms.rules import QuietHours, mobile_number, template_params
from supervision_notifier_sms.tencent import (
    Receipt,
    SendResult,
    SmsError,
    SmsRefused,
    TencentSms,
)

if TYPE_CHECKING:
    import click

__all__ = [
    "AliyunSms",
    "DailyCounter",
    "QuietHours",
    "Receipt",
    "ReceiptRound",
    "SmsError",
    "SmsNotifier",
    "SmsSettings",
    "Template",
    "TencentSms",
    "record_receipts",
]

PROVIDERS = ("tencent", "aliyun")
_DEFAULT_URL = {
    "tencent": "https://sms.tencentcloudapi.com",
    "aliyun": "https://dysmsapi.aliyuncs.com",
}
#: Tencent: no limit for an organisation's account (12 for a person's); Alibaba: 1 to 35.
_PARAM_LENGTH = {"tencent": 0, "aliyun": 35}
#: A verification code's digits: Tencent 0 to 6, Alibaba 4 to 6.
_CODE_DIGITS = {"tencent": (0, 6), "aliyun": (4, 6)}


@attrs.frozen
class Template:
    """A pre-approved template: its id, the ``notice.fields`` that fill it, its text."""

    id: str
    params: tuple[str, ...]
    text: str = ""  # the approved text ({1}{2}… or ${name}): for the message's length

    def fixed_length(self, sign_name: str) -> int:
        """Characters of the message besides the parameters: the text and 【签名】."""
        text = self.text
        for n, name in enumerate(self.params, start=1):  # Tencent {1}, Alibaba ${name}
            text = text.replace(f"${{{name}}}", "").replace(f"{{{n}}}", "")
        return len(text) + len(sign_name) + 2


def _template(table: PluginTable, kind: str, provider: str) -> Template:
    raw = table.data[kind]
    if not isinstance(raw, Mapping):
        raise table.fail(kind, '应为 { id = "模板 ID", params = ["字段", …] }')
    entry = PluginTable(raw, where=table.key(kind), source=table.source)
    entry.only("id", "params", "text")
    template_id = entry.text("id")
    if provider == "tencent" and not template_id.isdigit():
        raise entry.fail("id", f"腾讯云的模板 ID 应为数字，实际为 {template_id!r}")
    if provider == "aliyun" and not (template_id.startswith("SMS_") and template_id[4:].isdigit()):
        raise entry.fail("id", f"阿里云的模板 CODE 应形如 SMS_123456789，实际为 {template_id!r}")
    return Template(template_id, entry.texts("params", ()), entry.text("text", ""))


def _phones(table: PluginTable) -> dict[str, str]:
    phones = {}
    for code, value in table.data.items():
        number = mobile_number(value) if isinstance(value, str) else None
        if number is None:
            raise table.fail(code, f"应为手机号码，实际为 {value!r}")
        phones[str(code)] = number
    return phones


@attrs.frozen
class SmsSettings:
    """``[notifiers.sms]``, checked: the provider's account, the templates, the limits."""

    secret_id: str  # Tencent's SecretId, Alibaba's AccessKeyId
    secret_key: str  # Tencent's SecretKey, Alibaba's AccessKeySecret
    app_id: str  # Tencent's SmsSdkAppId ("" for Alibaba)
    sign_name: str
    templates: dict[str, Template]
    provider: str = "tencent"
    base_url: str = "https://sms.tencentcloudapi.com"
    region: str = "ap-guangzhou"
    timeout: float = 10.0
    daily_cap: int = 10
    quiet_hours: QuietHours | None = attrs.field(factory=QuietHours)
    any_hour: tuple[str, ...] = (NoticeKind.SIGN_IN_CODE.value,)
    max_param_length: int = 0  # 12 for an account certified as a person (个人认证)
    counter_file: Path | None = None
    units: dict[str, str] = attrs.field(factory=dict)
    centers: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_table(cls, table: PluginTable) -> SmsSettings:
        """Read and check ``[notifiers.sms]``; the secrets are resolved by the core."""
        table.only(
            "provider", "base_url", "region", "app_id", "sign_name", "secret_id", "secret_key",
            "timeout", "daily_cap", "quiet_hours", "any_hour", "max_param_length",
            "counter_file", "templates", "units", "centers",
        )  # fmt: skip
        provider = table.text("provider", "tencent")
        if provider not in PROVIDERS:
            raise table.fail("provider", f"暂只支持 {'、'.join(PROVIDERS)}，实际为 {provider!r}")
        sign_name = table.text("sign_name").strip().strip("【】")
        if not 2 <= len(sign_name) <= 20:
            raise table.fail("sign_name", "短信签名应为 2 到 20 个字（不含【】）")
        base_url = table.text("base_url", _DEFAULT_URL[provider])
        if not base_url.startswith(("https://", "http://")):
            raise table.fail("base_url", f"应为 https:// 开头的地址，实际为 {base_url!r}")
        try:
            quiet = QuietHours.parse(table.text("quiet_hours", "21:00-08:00"))
        except ValueError as exc:
            raise table.fail("quiet_hours", str(exc)) from exc
        templates_table = table.table("templates")
        templates = {
            kind: _template(templates_table, kind, provider) for kind in templates_table.data
        }
        daily_cap = table.integer("daily_cap", 10)
        if daily_cap < 1:
            raise table.fail("daily_cap", "每个号码每天至少 1 条")
        counter_file = table.text("counter_file", "")
        return cls(
            secret_id=table.secret("secret_id"),
            secret_key=table.secret("secret_key"),
            app_id=table.text("app_id") if provider == "tencent" else table.text("app_id", ""),
            sign_name=sign_name,
            templates=templates,
            provider=provider,
            base_url=base_url,
            region=table.text("region", "ap-guangzhou"),
            timeout=table.number("timeout", 10.0),
            daily_cap=daily_cap,
            quiet_hours=quiet,
            any_hour=table.texts("any_hour", (NoticeKind.SIGN_IN_CODE.value,)),
            max_param_length=table.integer("max_param_length", _PARAM_LENGTH[provider]),
            counter_file=Path(counter_file) if counter_file else None,
            units=_phones(table.table("units")),
            centers=_phones(table.table("centers")),
        )


def _client(settings: SmsSettings) -> TencentSms | AliyunSms:
    if settings.provider == "aliyun":
        return AliyunSms(
            access_key_id=settings.secret_id,
            access_key_secret=settings.secret_key,
            sign_name=settings.sign_name,
            base_url=settings.base_url,
            timeout=settings.timeout,
        )
    return TencentSms(
        secret_id=settings.secret_id,
        secret_key=settings.secret_key,
        app_id=settings.app_id,
        sign_name=settings.sign_name,
        base_url=settings.base_url,
        region=settings.region,
        timeout=settings.timeout,
    )


def _kind_label(kind: str) -> str:
    try:
        return NoticeKind(kind).label
    except ValueError:
        return kind or "未分类"


@attrs.define
class SmsNotifier:
    """Sends a notice's pre-approved template to its recipient's mobile numbers."""

    name: str = "sms"
    settings: SmsSettings | None = None
    clock: Callable[[], dt.datetime] = now_utc
    label = "短信"
    settings_type = SmsSettings

    def configure(
        self, settings: SmsSettings, clock: Callable[[], dt.datetime] = now_utc
    ) -> SmsNotifier:
        """The notifier sending with ``settings``, telling the time by ``clock``."""
        return SmsNotifier(settings=settings, clock=clock)

    def _numbers(self, notice: Notice, settings: SmsSettings) -> list[str]:
        if notice.recipient_kind is RecipientKind.UNIT:
            found = settings.units.get(notice.recipient) or settings.units.get("default")
            return [found] if found else []
        if notice.recipient_kind is RecipientKind.CENTER:
            found = settings.centers.get(notice.recipient)
            return [found] if found else []
        numbers = []
        for address in notice.addresses:
            if address.kind is ContactKind.PHONE:
                number = mobile_number(address.value)
                if number and number not in numbers:
                    numbers.append(number)
        return numbers

    def deliver(self, notice: Notice) -> None:
        """Send ``notice`` by its kind's template; see the module for the rules.

        :raises Unreachable: no template for its kind, no mobile number, every number at
            its daily cap, or the provider refused (a signature or template not approved)
        :raises Deferred: the quiet hours (until their end)
        :raises SmsError: the provider could not take it for now (retried)
        """
        settings = self.settings
        if settings is None:
            msg = "未配置短信：请在 supdesk.toml 的 [notifiers.sms] 中设置签名、模板和密钥（见 docs/sms.md）"
            raise ConfigError(msg)
        template = settings.templates.get(notice.kind)
        if template is None:
            msg = f"没有“{_kind_label(notice.kind)}”的短信模板（[notifiers.sms.templates] 中未配置 {notice.kind or '该类通知'}）"
            raise Unreachable(msg)
        numbers = self._numbers(notice, settings)
        if not numbers:
            raise Unreachable("没有手机号码")
        now = self.clock()
        if settings.quiet_hours is not None and notice.kind not in settings.any_hour:
            until = settings.quiet_hours.until(now)
            if until is not None:
                msg = f"夜间免打扰（{settings.quiet_hours}），{until:%m-%d %H:%M} 后发送"
                raise Deferred(until, msg)
        try:
            params = template_params(
                template.params,
                notice.fields,
                max_length=settings.max_param_length,
                code="code" if notice.kind == NoticeKind.SIGN_IN_CODE else None,
                code_digits=_CODE_DIGITS[settings.provider],
                fixed_length=template.fixed_length(settings.sign_name),
            )
        except ValueError as exc:
            raise Unreachable(str(exc)) from exc
        today = local_date(now)
        counter = DailyCounter(settings.counter_file)
        allowed = [n for n in numbers if counter.count(today, n) < settings.daily_cap]
        if not allowed:
            raise Unreachable(f"今日短信已达上限（每个号码每天 {settings.daily_cap} 条）")
        client = _client(settings)
        try:
            results = client.send(allowed, template.id, template.params, params, context=notice.key)
        except SmsRefused as exc:
            raise Unreachable(f"短信平台拒绝：{exc}") from exc
        self._judge(results, counter, today, settings.daily_cap)

    @staticmethod
    def _judge(results: list[SendResult], counter: DailyCounter, today: dt.date, cap: int) -> None:
        """Count what was sent; return if any number took it, else raise why not."""
        failed = []
        for result in results:
            if result.ok:
                counter.add(today, result.number)
                continue
            if result.daily:
                counter.add(today, result.number, max(cap - counter.count(today, result.number), 0))
            failed.append(result)
        if any(r.ok for r in results):
            return
        if not results:
            msg = "短信平台没有返回发送结果"
            raise SmsError(msg)
        text = "；".join(f"{mask_phone(r.number)}：{r.reason}" for r in failed)
        if all(r.permanent for r in failed):
            raise Unreachable(text)
        raise SmsError(text)


@attrs.frozen
class ReceiptRound:
    """What one pull of receipts did: recorded, of which failed, and not ours."""

    recorded: int = 0
    failed: int = 0
    unknown: int = 0


def record_receipts(ledger: Any, settings: SmsSettings, *, limit: int = 100) -> ReceiptRound:
    """Pull the provider's delivery receipts and record each on its notice.

    A failed receipt makes the notice a call task again (``ledger.record_receipt``).
    A receipt of a message this desk did not send (no such key) is counted and skipped.
    """
    client = _client(settings)
    if not isinstance(client, TencentSms):
        msg = "暂只支持拉取腾讯云短信的回执（阿里云短信的回执尚未接入）"
        raise ConfigError(msg)
    recorded = failed = unknown = 0
    for receipt in client.pull_receipts(limit):
        try:
            ledger.record_receipt(
                receipt.key, notifier="sms", ok=receipt.ok, at=receipt.at, detail=receipt.detail
            )
        except (NotFound, InvalidInput):
            unknown += 1
            continue
        recorded += 1
        failed += not receipt.ok
    return ReceiptRound(recorded, failed, unknown)


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk sms receipts``: pull the delivery receipts (回执) and record them."""
    import click

    from supervision_core.cli import current_ledger, emit, json_option, wants_json

    @cli.group()
    def sms() -> None:
        """短信通知（腾讯云短信）。"""

    @sms.command("receipts")
    @click.option(
        "--limit", type=click.IntRange(1, 100), default=100, help="一次拉取的最大条数（最多 100）。"
    )
    @json_option
    def receipts(limit: int) -> None:
        """拉取短信回执并记录到发送队列；未送达的通知转为待电话告知。"""
        ledger = current_ledger()
        table = ledger.settings.plugin_table("notifiers", "sms")
        try:
            round_ = record_receipts(ledger, SmsSettings.from_table(table), limit=limit)
        except (SmsError, SmsRefused, ConfigError) as exc:
            msg = f"拉取短信回执失败：{exc}"
            raise click.ClickException(msg) from exc
        if wants_json():
            emit(round_)
            return
        click.echo(
            f"已记录回执 {round_.recorded} 条，其中未送达 {round_.failed} 条"
            f"（已转为待电话告知）；无法对应的回执 {round_.unknown} 条"
        )


@hookimpl
def supervision_register_notifiers(register: NotifierRegistry) -> None:
    """Register the ``sms`` notifier."""
    register.add(SmsNotifier())

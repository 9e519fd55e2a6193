"""Post dispatch notices to units' WeCom groups through their robot webhooks.

Configured in ``supdesk.toml``; the webhook addresses carry a key, so they are a secret
referenced from a file (or an environment variable) holding a ``[units]`` table::

    [notifiers.wecom]
    webhooks = { file = "/etc/supdesk/wecom.toml" }   # [units] realty = "https://qyapi…"
    timeout = 10
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

import attrs

from supervision_core import (
    ConfigError,
    Notice,
    NotifierRegistry,
    PluginTable,
    RecipientKind,
    Unreachable,
    hookimpl,
)

__all__ = ["WeComError", "WeComNotifier", "WeComSettings", "load_webhooks", "parse_webhooks"]
_MAX_TEXT = 2048  # WeCom's limit for a text message, in bytes of UTF-8


class WeComError(RuntimeError):
    """WeCom answered, but refused the message."""


def parse_webhooks(text: str, where: str) -> dict[str, str]:
    """The unit-to-webhook map from TOML text with a ``[units]`` table; ``where`` names it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"无法读取企业微信配置 {where}：{exc}"
        raise ConfigError(msg) from exc
    units = data.get("units")
    if not isinstance(units, Mapping) or not all(isinstance(v, str) for v in units.values()):
        msg = f'企业微信配置 {where} 需要 [units] 表：单位代码 = "webhook 地址"'
        raise ConfigError(msg)
    return dict(units)


def load_webhooks(path: str | Path) -> dict[str, str]:
    """The unit-to-webhook map from a TOML file with a ``[units]`` table."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"无法读取企业微信配置 {path}：{exc}"
        raise ConfigError(msg) from exc
    return parse_webhooks(text, str(path))


@attrs.frozen
class WeComSettings:
    """``[notifiers.wecom]``: ``webhooks`` (a secret: TOML with ``[units]``) and ``timeout``."""

    webhooks: dict[str, str]
    timeout: float = 10.0

    @classmethod
    def from_table(cls, table: PluginTable) -> WeComSettings:
        """Read and check the table; the webhooks' secret is resolved by the core."""
        table.only("webhooks", "timeout")
        text = table.secret("webhooks")
        return cls(parse_webhooks(text, table.key("webhooks")), table.number("timeout", 10.0))


def _truncate(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= _MAX_TEXT:
        return text
    return data[: _MAX_TEXT - 3].decode("utf-8", errors="ignore") + "…"


@attrs.define
class WeComNotifier:
    """Posts unit notices to the webhooks of ``[notifiers.wecom]``."""

    name: str = "wecom"
    webhooks: dict[str, str] | None = None
    timeout: float = 10.0
    label = "企业微信"
    settings_type = WeComSettings

    def configure(self, settings: WeComSettings) -> WeComNotifier:
        """The notifier posting to ``settings.webhooks``."""
        return WeComNotifier(webhooks=settings.webhooks, timeout=settings.timeout)

    def _url(self, unit: str) -> str:
        if self.webhooks is None:
            msg = '未配置企业微信群机器人：请在 supdesk.toml 的 [notifiers.wecom] 中设置 webhooks = { file = "配置文件" }'
            raise ConfigError(msg)
        url = self.webhooks.get(unit) or self.webhooks.get("default")
        if not url:
            msg = f"单位 {unit} 没有配置企业微信群机器人地址（也没有 default）"
            raise Unreachable(msg)
        return url

    def deliver(self, notice: Notice) -> None:
        """Post ``notice`` to its unit's group; raise if WeCom does not take it.

        :raises Unreachable: the notice is not for a unit (group robots reach units
            only), or the unit has no webhook and there is no ``default``: nothing sent
        :raises WeComError: WeCom answered but refused the message (retried later)
        """
        if notice.recipient_kind is not RecipientKind.UNIT:
            raise Unreachable("企业微信群机器人只通知承办单位")
        payload = {
            "msgtype": "text",
            "text": {"content": _truncate(f"{notice.subject}\n{notice.body}")},
        }
        import httpx  # on first delivery: `supdesk --help` should not pay for it

        response = httpx.post(self._url(notice.recipient), json=payload, timeout=self.timeout)
        response.raise_for_status()
        answer = response.json()
        if answer.get("errcode") != 0:
            msg = f"企业微信拒绝了消息：errcode={answer.get('errcode')} {answer.get('errmsg')}"
            raise WeComError(msg)


@hookimpl
def supervision_register_notifiers(register: NotifierRegistry) -> None:
    """Register the ``wecom`` notifier."""
    register.add(WeComNotifier())

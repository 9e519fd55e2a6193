"""Post dispatch notices to units' WeCom groups through their robot webhooks."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

import attrs
import httpx

from supervision_core import ConfigError, Notice, NotifierRegistry, RecipientKind, hookimpl

__all__ = ["WeComError", "WeComNotifier", "load_webhooks"]

ENV = "SUPDESK_WECOM_WEBHOOKS"
_MAX_TEXT = 2048  # WeCom's limit for a text message, in bytes of UTF-8


class WeComError(RuntimeError):
    """WeCom answered, but refused the message."""


def load_webhooks(path: str | Path) -> dict[str, str]:
    """The unit-to-webhook map from a TOML file with a ``[units]`` table."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"无法读取企业微信配置 {path}：{exc}"
        raise ConfigError(msg) from exc
    units = data.get("units")
    if not isinstance(units, Mapping) or not all(isinstance(v, str) for v in units.values()):
        msg = f'企业微信配置 {path} 需要 [units] 表：单位代码 = "webhook 地址"'
        raise ConfigError(msg)
    return dict(units)


def _truncate(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= _MAX_TEXT:
        return text
    return data[: _MAX_TEXT - 3].decode("utf-8", errors="ignore") + "…"


@attrs.define
class WeComNotifier:
    """Posts unit notices; ``webhooks`` is read from ``SUPDESK_WECOM_WEBHOOKS`` when not given."""

    name: str = "wecom"
    webhooks: dict[str, str] | None = None
    timeout: float = 10.0

    def _url(self, unit: str) -> str:
        if self.webhooks is None:
            path = os.environ.get(ENV)
            if not path:
                msg = f"未配置企业微信群机器人：请设置环境变量 {ENV} 指向配置文件"
                raise ConfigError(msg)
            self.webhooks = load_webhooks(path)
        url = self.webhooks.get(unit) or self.webhooks.get("default")
        if not url:
            msg = f"单位 {unit} 没有配置企业微信群机器人地址"
            raise ConfigError(msg)
        return url

    def deliver(self, notice: Notice) -> None:
        """Post ``notice`` if it is for a unit; raise if WeCom does not take it."""
        if notice.recipient_kind is not RecipientKind.UNIT:
            return
        payload = {
            "msgtype": "text",
            "text": {"content": _truncate(f"{notice.subject}\n{notice.body}")},
        }
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

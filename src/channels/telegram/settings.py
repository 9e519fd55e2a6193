"""The Telegram channel's settings: ``[channels.telegram]`` and ``[notifiers.telegram]``."""

from __future__ import annotations

import attrs

from supervision_core import ConfigError, Ledger, PluginTable

__all__ = ["CHANNEL", "CURSOR", "TelegramSettings", "settings_of"]

CHANNEL = "telegram"
CURSOR = "telegram:getUpdates"
_NO_TOKEN = (
    "没有 Telegram 机器人令牌：请在 supdesk.toml 的 [channels.telegram]（通知用 [notifiers.telegram]）"
    '中设置 token = { env = "环境变量名" } 或 { file = "文件路径" }'
)


@attrs.frozen(kw_only=True)
class TelegramSettings:
    """The bot's settings: ``[channels.telegram]`` (and ``[notifiers.telegram]``).

    The token and the webhook secret are references (``token = { env = "VAR" }`` or
    ``{ file = "/run/secrets/tg" }``), never written in the file, never logged.
    """

    token: str | None = attrs.field(default=None, repr=False)
    api_url: str = "https://api.telegram.org/bot"
    file_url: str = "https://api.telegram.org/file/bot"
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    poll_timeout: int = 25

    @classmethod
    def from_table(cls, table: PluginTable) -> TelegramSettings:
        """Read ``token``, ``api`` (a Bot API server), ``webhook_secret``, ``poll_timeout``."""
        table.only("token", "api", "webhook_secret", "poll_timeout")
        api = str(table.text("api", "https://api.telegram.org")).rstrip("/")
        return cls(
            token=table.secret("token", None),
            api_url=f"{api}/bot",
            file_url=f"{api}/file/bot",
            webhook_secret=table.secret("webhook_secret", None),
            poll_timeout=table.integer("poll_timeout", 25),
        )

    def required_token(self) -> str:
        """The token, or a clear error where none is configured."""
        if not self.token:
            raise ConfigError(_NO_TOKEN)
        return self.token


def settings_of(ledger: Ledger) -> TelegramSettings:
    """The channel's settings from the ledger's ``[channels.telegram]``."""
    return TelegramSettings.from_table(ledger.settings.plugin_table("channels", CHANNEL))

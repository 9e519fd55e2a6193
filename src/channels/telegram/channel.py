"""The Telegram channel and notifier as registered; python-telegram-bot loads on first use."""

from __future__ import annotations

import attrs

from channels.telegram.settings import CHANNEL, CURSOR, TelegramSettings
from supervision_core import Job, Ledger, Notice

__all__ = ["TelegramChannel", "TelegramNotifier"]


@attrs.frozen
class TelegramChannel:
    """The channel as registered: ``[channels.telegram]`` configures it."""

    name: str = CHANNEL
    label: str = "Telegram"
    settings_type: type[TelegramSettings] = TelegramSettings

    def jobs(self, ledger: Ledger, settings: TelegramSettings) -> list[Job]:
        """Long polling under a lease, when there is a token and no webhook secret.

        With a webhook secret Telegram posts to the web desk instead: no poller.
        """
        if not settings.token or settings.webhook_secret:
            return []
        from channels.telegram.bot import TelegramPoller

        poller = TelegramPoller(ledger, settings)
        # The job, and so its lease, keep the name the offset is stored under: a daemon
        # of an older version polling the same bot holds the same lease.
        return [
            Job(name=CURSOR, poll_once=poller.poll_once, every=0, lease=True, close=poller.close)
        ]


class TelegramNotifier:
    """Delivers notices to supervisors' linked Telegram accounts (the ``telegram`` notifier).

    Configured by ``[notifiers.telegram]`` (``token``, ``api``); a notice asking for an
    evaluation comes with the three buttons.
    """

    name = "telegram"
    label = "Telegram"
    settings_type = TelegramSettings

    def __init__(self, settings: TelegramSettings | None = None) -> None:
        self.settings = settings or TelegramSettings()

    def configure(self, settings: TelegramSettings) -> TelegramNotifier:
        """The notifier sending with ``settings``."""
        return TelegramNotifier(settings)

    def deliver(self, notice: Notice) -> None:
        """Send ``notice`` to every linked Telegram account of its addresses.

        :raises Unreachable: no account is linked (a supervisor who never linked one,
            a unit, a center): nothing was sent
        :raises Exception: the Bot API did not take it (retried later)
        """
        from channels.telegram.bot import send_notice

        send_notice(self.settings, notice)

"""The e-mail channel as registered, and the jobs it runs in the daemon.

Mail comes in three ways, all through :func:`~channels.email.reports.report_from_mail`:
IMAP mailboxes (:mod:`channels.email.imap`), mail a server hands over by LMTP or SMTP
(:mod:`channels.email.lmtp`), and ``supdesk import email PATH``. Answers go out
through the ``email`` notifier (:mod:`channels.email.notifier`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import attrs

from channels.email.options import CHANNEL, EmailOptions
from supervision_core import Job, Ledger

__all__ = ["EmailChannel"]


@attrs.frozen
class EmailChannel:
    """The channel as registered: ``[channels.email]`` configures it."""

    name: str = CHANNEL
    label: str = "电子邮件"
    settings_type: type[EmailOptions] = EmailOptions

    def jobs(self, ledger: Ledger, settings: EmailOptions) -> Iterator[Job]:
        """A poller (under a lease) for each IMAP mailbox, and the LMTP receiver if configured."""
        from channels.email.imap import ImapPoller
        from channels.email.lmtp import LmtpReceiver
        from channels.email.reports import SenderRate

        rate = SenderRate(settings.rate_per_hour)
        for box in settings.mailboxes:
            poller = ImapPoller(ledger, box, settings, rate)
            yield Job(
                name=f"imap:{box.username}@{box.host}/{box.folder}",
                poll_once=poller.poll_once,
                every=box.poll_seconds,
                lease=True,
            )
        if settings.lmtp:
            receiver = LmtpReceiver(ledger, settings)

            async def listen(stop: asyncio.Event) -> None:
                receiver.start()
                try:
                    await stop.wait()
                finally:
                    receiver.stop()

            yield Job(name="lmtp", run=listen)

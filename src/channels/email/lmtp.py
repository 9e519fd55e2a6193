"""Mail a center's server hands over by LMTP (or SMTP), through aiosmtpd."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.email.options import EmailOptions
from channels.email.reports import SenderRate, center_for, report_from_mail
from supervision_core import IntakeResult, Ledger

__all__ = ["LmtpHandler", "LmtpReceiver"]

log = logging.getLogger("channels.email.lmtp")


class LmtpHandler:
    """aiosmtpd handler: a message is answered 250 only after its report is committed."""

    def __init__(
        self, ledger: Ledger, options: EmailOptions, rate: SenderRate | None = None
    ) -> None:
        self.ledger = ledger
        self.options = options
        self.rate = rate or SenderRate(options.rate_per_hour)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if center_for([address], self.options) is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        centers = {center_for([r], self.options) for r in envelope.rcpt_tos} - {None}
        try:
            for center in sorted(c for c in centers if c):
                report = report_from_mail(raw, center=center, options=self.options, rate=self.rate)
                result: IntakeResult = await asyncio.to_thread(self.ledger.receive, report)
        except Exception:
            log.exception("could not store a message from %s", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please try again later"
        return f"250 2.0.0 OK {result.issue_number or f'report {result.report_id}'}"


class LmtpReceiver:
    """The LMTP (or SMTP) receiver on ``host:port``, started and stopped in a thread."""

    def __init__(self, ledger: Ledger, options: EmailOptions, *, smtp: bool = False) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.lmtp import LMTP
        from aiosmtpd.smtp import SMTP

        handler = LmtpHandler(ledger, options)
        protocol = SMTP if smtp else LMTP
        limit = options.max_message_bytes

        class _Controller(Controller):
            def factory(self) -> Any:
                return protocol(
                    self.handler, data_size_limit=limit, enable_SMTPUTF8=True, decode_data=False
                )

        self.controller = _Controller(handler, hostname=options.lmtp_host, port=options.lmtp_port)

    def start(self) -> None:
        """Start listening."""
        self.controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()

"""Mail a center's server hands over by LMTP (or SMTP), through aiosmtpd.

LMTP (RFC 2033) answers the end of a message once per accepted recipient, in the order
they were given: a message for two centers is filed in each, and each recipient hears
whether its copy was stored. SMTP answers once: 250 only when every center has it.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from channels.email.options import EmailOptions
from channels.email.reports import SenderRate, center_for, for_its_center, report_from_mail

if TYPE_CHECKING:
    from supervision_core import IntakeResult, Ledger

__all__ = ["LmtpHandler", "LmtpReceiver"]

log = logging.getLogger("channels.email.lmtp")

_TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"

#: Messages parsed and filed at once, from as many LMTP sessions (a mail server
#: delivers over several connections): their reports are committed together.
FILING_THREADS = 16


def _filing_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(FILING_THREADS, thread_name_prefix="lmtp-filing")


class LmtpHandler:
    """aiosmtpd handler: a message is answered 250 only after its report is committed.

    Each message is parsed and filed in a worker thread of the handler's own pool, so
    the sessions' loop goes on reading the other sessions meanwhile, and messages of
    several sessions that arrive together are committed in one transaction (the
    ledger's group commit) before each is answered.

    :param lmtp: answer one reply per recipient after DATA (LMTP); otherwise one (SMTP)
    """

    def __init__(
        self,
        ledger: Ledger,
        options: EmailOptions,
        rate: SenderRate | None = None,
        *,
        lmtp: bool = True,
    ) -> None:
        self.ledger = ledger
        self.options = options
        self.rate = rate or SenderRate(options.rate_per_hour)
        self.lmtp = lmtp
        self.pool = _filing_pool()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if center_for([address], self.options) is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _file(self, raw: bytes, center: str) -> IntakeResult:
        report = report_from_mail(raw, center=center, options=self.options, rate=self.rate)
        return self.ledger.receive(for_its_center(self.ledger, report))

    async def _deliver(self, raw: bytes, center: str) -> str:
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self.pool, self._file, raw, center)
        except Exception:
            # No address in the log: the center and the error say what failed.
            log.exception("could not store a message for center %s", center)
            return _TEMPORARY_FAILURE
        return f"250 2.0.0 OK {result.issue_number or f'report {result.report_id}'}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        by_center: dict[str, str] = {}  # each center's reply: its copy is filed once
        replies: list[str] = []
        for recipient in envelope.rcpt_tos:
            center = center_for([recipient], self.options)
            if center is None:  # refused at RCPT already; answered all the same
                replies.append("550 5.1.1 No such mailbox here")
                continue
            if center not in by_center:
                by_center[center] = await self._deliver(raw, center)
            replies.append(by_center[center])
        if self.lmtp:
            return "\r\n".join(replies)
        failed = [r for r in replies if not r.startswith("250")]
        return failed[0] if failed else replies[-1]


def _lmtp_protocol() -> Any:
    from aiosmtpd.lmtp import LMTP

    class PerRecipientLMTP(LMTP):
        """LMTP whose own answers after DATA also come once per recipient.

        aiosmtpd answers too much data or a line too long once; RFC 2033 wants a reply
        per recipient, and a client waits for that many.
        """

        _recipients = 0

        async def push(self, status: Any) -> None:
            text = status.decode() if isinstance(status, bytes) else str(status)
            if text.startswith("354") and self.envelope is not None:
                self._recipients = len(self.envelope.rcpt_tos)
            elif self._recipients:
                count, self._recipients = self._recipients, 0
                if "\r\n" not in text:
                    text = "\r\n".join([text] * count)
            await super().push(text)

    return PerRecipientLMTP


class LmtpReceiver:
    """The LMTP (or SMTP) receiver on ``host:port``, started and stopped in a thread."""

    def __init__(self, ledger: Ledger, options: EmailOptions, *, smtp: bool = False) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP

        handler = LmtpHandler(ledger, options, lmtp=not smtp)
        protocol = SMTP if smtp else _lmtp_protocol()
        limit = options.max_message_bytes

        class _Controller(Controller):
            def factory(self) -> Any:
                return protocol(
                    self.handler, data_size_limit=limit, enable_SMTPUTF8=True, decode_data=False
                )

        self.handler = handler
        self.controller = _Controller(handler, hostname=options.lmtp_host, port=options.lmtp_port)

    def start(self) -> None:
        """Start listening."""
        self.controller.start()

    def stop(self) -> None:
        """Stop listening, once the messages being filed are answered."""
        self.controller.stop()
        pool, self.handler.pool = self.handler.pool, _filing_pool()  # for a restart
        pool.shutdown(wait=True)

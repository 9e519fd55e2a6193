"""Mailboxes read over IMAP (IMAPS or STARTTLS; IDLE where offered), through IMAPClient."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import attrs

from channels.email.options import EmailOptions, MailboxOptions
from channels.email.reports import SenderRate, for_its_center, report_from_mail
from supervision_core import Ledger

__all__ = ["ImapPoller", "PollResult"]

log = logging.getLogger("channels.email.imap")


@attrs.frozen
class PollResult:
    """What one pass over a mailbox did."""

    fetched: int
    filed: int
    quarantined: int
    already: int


class ImapPoller:
    r"""Reads one IMAP mailbox: every message not yet handled becomes a report.

    A message is flagged ``$SupdeskFiled`` and ``\Seen`` (or moved to ``done_folder``)
    only after its report is committed. A crash in between leaves it unflagged: it is
    read again next time and, being the same Message-ID, adds nothing.
    """

    FLAG = b"$SupdeskFiled"

    def __init__(
        self,
        ledger: Ledger,
        box: MailboxOptions,
        options: EmailOptions,
        rate: SenderRate | None = None,
    ) -> None:
        self.ledger = ledger
        self.box = box
        self.options = options
        self.rate = rate or SenderRate(options.rate_per_hour)

    def connect(self) -> Any:
        """A logged-in IMAPClient with the folder selected."""
        from imapclient import IMAPClient

        box = self.box
        client = IMAPClient(
            box.host,
            port=box.port,
            ssl=box.security == "ssl",
            ssl_context=box.tls_context() if box.security != "none" else None,
            timeout=60,
        )
        if box.security == "starttls":
            client.starttls(box.tls_context())
        client.login(box.username, box.password or "")
        client.select_folder(box.folder)
        return client

    def poll_once(self, client: Any | None = None, *, batch: int = 50) -> PollResult:
        """Take in every unhandled message of the folder, a batch at a time."""
        own = client is None
        client = client or self.connect()
        fetched = filed = quarantined = already = 0
        try:
            uids = client.search(["NOT", "KEYWORD", self.FLAG.decode()])
            for start in range(0, len(uids), batch):
                chunk = uids[start : start + batch]
                data = client.fetch(chunk, ["BODY.PEEK[]"])
                for uid in chunk:
                    raw = data.get(uid, {}).get(b"BODY[]")
                    if raw is None:
                        continue
                    fetched += 1
                    report = report_from_mail(
                        raw, center=self.box.center, options=self.options, rate=self.rate
                    )
                    # committed when it returns
                    result = self.ledger.receive(for_its_center(self.ledger, report))
                    if result.duplicate_delivery:
                        already += 1
                    elif result.quarantine_id is not None:
                        quarantined += 1
                    else:
                        filed += 1
                    self._mark(client, uid)
        finally:
            if own:
                with contextlib.suppress(Exception):
                    client.logout()
        return PollResult(fetched, filed, quarantined, already)

    def _mark(self, client: Any, uid: int) -> None:
        client.add_flags([uid], [self.FLAG, b"\\Seen"])
        if self.box.done_folder:
            client.move([uid], self.box.done_folder)

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set: IDLE where the server offers it, with backoff on errors."""
        delay = 1.0
        while not stop.is_set():
            try:
                client = self.connect()
                delay = 1.0
                idle = b"IDLE" in client.capabilities()
                while not stop.is_set():
                    self.poll_once(client)
                    if idle:
                        client.idle()
                        client.idle_check(timeout=min(self.box.poll_seconds, 30))
                        client.idle_done()
                    else:
                        stop.wait(self.box.poll_seconds)
            except Exception as exc:
                log.warning(
                    "IMAP %s@%s: %s; retrying in %.0f s",
                    self.box.username,
                    self.box.host,
                    exc,
                    delay,
                )
                stop.wait(delay)
                delay = min(delay * 2, 300)

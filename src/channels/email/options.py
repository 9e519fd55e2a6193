"""The e-mail channel's options: ``[channels.email]`` and ``[notifiers.email]``.

Passwords are never written in ``supdesk.toml``: they are referenced,
``password = { env = "VAR" }`` or ``password = { file = "/run/secrets/x" }``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from supervision_core import Ledger, PluginTable

if TYPE_CHECKING:
    import ssl

__all__ = [
    "CHANNEL",
    "EmailOptions",
    "MailLimits",
    "MailboxOptions",
    "SmtpOptions",
    "options_of",
]

CHANNEL = "email"
_MB = 1024 * 1024


@attrs.frozen(kw_only=True)
class MailLimits:
    """What is kept of a message: attachments over the limits are dropped with a note."""

    max_attachment_bytes: int = 20 * 1024 * 1024
    max_total_bytes: int = 50 * 1024 * 1024
    max_attachments: int = 30


@attrs.frozen(kw_only=True)
class SmtpOptions:
    """Where answers are sent from and through (``[notifiers.email]``)."""

    from_address: str = "supdesk@localhost"
    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    tls: bool = False  # implicit TLS (SMTPS, port 465)
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    timeout: float = 30.0
    cafile: str | None = None

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context: system CAs, or ``cafile`` for a private CA."""
        import ssl  # when a connection is made: listing channels need not load OpenSSL

        return ssl.create_default_context(cafile=self.cafile)

    @classmethod
    def from_table(cls, table: PluginTable) -> SmtpOptions:
        """Read ``[notifiers.email]``."""
        table.only(
            "from_address", "host", "port", "starttls", "tls", "username", "password",
            "timeout", "cafile",
        )  # fmt: skip
        return cls(
            from_address=table.text("from_address", "supdesk@localhost").lower(),
            host=table.text("host", "127.0.0.1"),
            port=table.integer("port", 25),
            starttls=table.flag("starttls", False),
            tls=table.flag("tls", False),
            username=table.text("username", None),
            password=table.secret("password", None),
            timeout=table.number("timeout", 30.0),
            cafile=table.text("cafile", None),
        )


@attrs.frozen(kw_only=True)
class MailboxOptions:
    """One IMAP mailbox that a center's reports are mailed to."""

    center: str
    host: str
    port: int = 993
    security: str = "ssl"  # ssl (IMAPS), starttls, or none (loopback testing only)
    username: str
    password: str | None = attrs.field(default=None, repr=False)
    folder: str = "INBOX"
    done_folder: str | None = None  # move handled mail here; otherwise flag it
    cafile: str | None = None
    poll_seconds: float = 60.0

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context: system CAs, or ``cafile`` for a private CA."""
        import ssl  # when a connection is made: listing channels need not load OpenSSL

        return ssl.create_default_context(cafile=self.cafile)

    @classmethod
    def from_table(cls, table: PluginTable) -> MailboxOptions:
        """Read one ``[[channels.email.mailboxes]]`` table."""
        table.only(
            "center", "host", "port", "security", "username", "password", "folder",
            "done_folder", "cafile", "poll_seconds",
        )  # fmt: skip
        security = table.text("security", "ssl")
        if security not in ("ssl", "starttls", "none"):
            raise table.fail("security", "应为 ssl、starttls 或 none")
        return cls(
            center=table.text("center"),
            host=table.text("host"),
            port=table.integer("port", 993),
            security=security,
            username=table.text("username"),
            password=table.secret("password", None),
            folder=table.text("folder", "INBOX"),
            done_folder=table.text("done_folder", None),
            cafile=table.text("cafile", None),
            poll_seconds=table.number("poll_seconds", 60.0),
        )


@attrs.frozen(kw_only=True)
class EmailOptions:
    """Everything the channel is configured with (``[channels.email]``)."""

    from_address: str = "supdesk@localhost"
    own_addresses: frozenset[str] = frozenset()
    default_center: str | None = None
    recipients: Mapping[str, str] = attrs.field(factory=dict)  # address -> center (LMTP)
    limits: MailLimits = attrs.field(factory=MailLimits)
    max_message_bytes: int = 60 * _MB
    rate_per_hour: int = 30
    mailboxes: tuple[MailboxOptions, ...] = ()
    lmtp: bool = False  # whether the daemon runs the LMTP receiver
    lmtp_host: str = "127.0.0.1"
    lmtp_port: int = 8024

    @classmethod
    def from_table(cls, table: PluginTable) -> EmailOptions:
        """Read ``[channels.email]``; mailbox passwords are references (``{ env = ... }``)."""
        table.only(
            "from_address", "default_center", "recipients", "max_message_mb",
            "max_attachment_mb", "max_attachments_total_mb", "rate_per_hour", "lmtp",
            "mailboxes",
        )  # fmt: skip
        own = table.text("from_address", "supdesk@localhost").lower()
        boxes = tuple(MailboxOptions.from_table(box) for box in table.tables("mailboxes"))
        recipients_table = table.table("recipients")
        recipients = {
            address.lower(): recipients_table.text(address) for address in recipients_table.data
        }
        lmtp = table.table("lmtp")
        lmtp.only("host", "port")
        limits = MailLimits(
            max_attachment_bytes=int(table.number("max_attachment_mb", 20.0) * _MB),
            max_total_bytes=int(table.number("max_attachments_total_mb", 50.0) * _MB),
        )
        return cls(
            from_address=own,
            own_addresses=frozenset(
                [own, *recipients, *(b.username.lower() for b in boxes if "@" in b.username)]
            ),
            default_center=table.text("default_center", None),
            recipients=recipients,
            limits=limits,
            max_message_bytes=int(table.number("max_message_mb", 60.0) * _MB),
            rate_per_hour=table.integer("rate_per_hour", 30),
            mailboxes=boxes,
            lmtp="lmtp" in table,
            lmtp_host=lmtp.text("host", "127.0.0.1"),
            lmtp_port=lmtp.integer("port", 8024),
        )


def options_of(ledger: Ledger) -> EmailOptions:
    """The channel's options from the ledger's settings (``[channels.email]``)."""
    return EmailOptions.from_table(ledger.settings.plugin_table("channels", CHANNEL))

"""The e-mail channel (来信邮件): mail in by IMAP, LMTP/SMTP or a file, answers out by SMTP.

What arrives becomes one report (:func:`report_from_mail`); the parsing is
:mod:`channels.email.mailparse`. Mail comes in three ways, all through the same function:

- :class:`ImapPoller` reads a mailbox over IMAPS or STARTTLS (IDLE where offered) and
  flags a message only after its report is committed;
- :class:`LmtpReceiver` (aiosmtpd) takes mail a center's mail server hands over, and
  answers 250 only after the report is committed;
- ``supdesk import email PATH`` reads an ``.eml`` file, an mbox or a Maildir.

A message seen twice (a crash between commit and flag, a resent export) is one report:
its identity is the Message-ID, or a digest of its bytes where it has none. Answers
(the acknowledgement with the issue number, and every later notice) go out through the
``email`` notifier, with ``Auto-Submitted`` and a Message-ID that names the issue, so a
reply to them is attached to the same issue.

Configuration is ``[channels.email]`` in ``supdesk.toml`` (see ``docs/email.md``);
passwords come from the environment, never from the file.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import hashlib
import logging
import mailbox
import os
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import attrs
import click

from channels.email.mailparse import (
    MailLimits,
    ParsedMail,
    automation_reason,
    content_key,
    parse_mail,
)
from supervision_core import (
    Attachment,
    ChannelRegistry,
    ConfigError,
    ContactKind,
    IntakeResult,
    Ledger,
    Method,
    Notice,
    NotifierRegistry,
    ProblemType,
    QuarantineReason,
    Report,
    ReportHints,
    Sender,
    Stage,
    Topic,
    hookimpl,
    now_utc,
)

__all__ = [
    "CHANNEL",
    "EmailChannel",
    "EmailNotifier",
    "EmailOptions",
    "ImapPoller",
    "LmtpReceiver",
    "MailboxOptions",
    "SenderRate",
    "SmtpOptions",
    "hints_from",
    "iter_messages",
    "report_from_mail",
]

CHANNEL = "email"
log = logging.getLogger("channels.email.channel")

# An issue number as the ledger writes it: "<center>-<year>-<5 digits>".
_ISSUE_NUMBER = re.compile(r"\b([a-z0-9][a-z0-9_-]{0,39}-20\d\d-\d{5})\b")
# The Message-IDs of our notices name the issue: <supdesk.NUMBER.DIGEST@domain>.
_NOTICE_ID = re.compile(r"^supdesk\.([a-z0-9][a-z0-9_-]{0,39}-20\d\d-\d{5})\.")


# ---------------------------------------------------------------- configuration


def _env(name: str | None) -> str | None:
    return os.environ.get(name) if name else None


@attrs.frozen(kw_only=True)
class SmtpOptions:
    """The server answers are sent through."""

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
        return ssl.create_default_context(cafile=self.cafile)


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
        return ssl.create_default_context(cafile=self.cafile)


@attrs.frozen(kw_only=True)
class EmailOptions:
    """Everything the channel is configured with (``[channels.email]``)."""

    from_address: str = "supdesk@localhost"
    own_addresses: frozenset[str] = frozenset()
    default_center: str | None = None
    recipients: Mapping[str, str] = attrs.field(factory=dict)  # address -> center (LMTP)
    limits: MailLimits = attrs.field(factory=MailLimits)
    max_message_bytes: int = 60 * 1024 * 1024
    rate_per_hour: int = 30
    smtp: SmtpOptions = attrs.field(factory=SmtpOptions)
    mailboxes: tuple[MailboxOptions, ...] = ()
    lmtp_host: str = "127.0.0.1"
    lmtp_port: int = 8024

    @classmethod
    def from_settings(cls, raw: Mapping[str, Any], source: str = "supdesk.toml") -> EmailOptions:
        """Read ``[channels.email]``; passwords are named by ``*_password_env`` keys."""

        def fail(key: str, problem: str) -> ConfigError:
            return ConfigError(f"配置文件 {source} 中 channels.email.{key}：{problem}")

        try:
            own = str(
                raw.get("from_address", os.environ.get("SUPDESK_MAIL_FROM", "supdesk@localhost"))
            )
            smtp_raw = dict(raw.get("smtp", {}))
            smtp = SmtpOptions(
                host=str(smtp_raw.get("host", os.environ.get("SUPDESK_SMTP_HOST", "127.0.0.1"))),
                port=int(smtp_raw.get("port", os.environ.get("SUPDESK_SMTP_PORT", 25))),
                starttls=bool(smtp_raw.get("starttls", False)),
                tls=bool(smtp_raw.get("tls", False)),
                username=smtp_raw.get("username"),
                password=_env(smtp_raw.get("password_env", "SUPDESK_SMTP_PASSWORD")),
                cafile=smtp_raw.get("cafile"),
            )
            boxes = []
            for n, box in enumerate(raw.get("mailboxes", [])):
                try:
                    boxes.append(
                        MailboxOptions(
                            center=str(box["center"]),
                            host=str(box["host"]),
                            port=int(box.get("port", 993)),
                            security=str(box.get("security", "ssl")),
                            username=str(box["username"]),
                            password=_env(box.get("password_env")),
                            folder=str(box.get("folder", "INBOX")),
                            done_folder=box.get("done_folder"),
                            cafile=box.get("cafile"),
                            poll_seconds=float(box.get("poll_seconds", 60)),
                        )
                    )
                except KeyError as e:
                    raise fail(f"mailboxes[{n}]", f"缺少 {e.args[0]}") from None
                if boxes[-1].security not in ("ssl", "starttls", "none"):
                    raise fail(f"mailboxes[{n}].security", "应为 ssl、starttls 或 none")
            limits = MailLimits(
                max_attachment_bytes=int(float(raw.get("max_attachment_mb", 20)) * 1024 * 1024),
                max_total_bytes=int(float(raw.get("max_attachments_total_mb", 50)) * 1024 * 1024),
            )
            recipients = {
                str(k).lower(): str(v) for k, v in dict(raw.get("recipients", {})).items()
            }
            lmtp = dict(raw.get("lmtp", {}))
            return cls(
                from_address=own.lower(),
                own_addresses=frozenset(
                    [
                        own.lower(),
                        *recipients,
                        *(b.username.lower() for b in boxes if "@" in b.username),
                    ]
                ),
                default_center=raw.get("default_center"),
                recipients=recipients,
                limits=limits,
                max_message_bytes=int(float(raw.get("max_message_mb", 60)) * 1024 * 1024),
                rate_per_hour=int(raw.get("rate_per_hour", 30)),
                smtp=smtp,
                mailboxes=tuple(boxes),
                lmtp_host=str(lmtp.get("host", "127.0.0.1")),
                lmtp_port=int(lmtp.get("port", 8024)),
            )
        except (TypeError, ValueError) as e:
            raise fail("", f"取值无效：{e}") from None


def options_of(ledger: Ledger) -> EmailOptions:
    """The channel's options from the ledger's settings."""
    raw = ledger.settings.channel_options.get(CHANNEL, {})
    return EmailOptions.from_settings(raw, ledger.settings.source)


# ---------------------------------------------------------------- mail -> report


class SenderRate:
    """At most ``limit`` messages an hour from one sender; the rest are kept aside.

    A runaway auto-responder or a loop must not flood the ledger nor be answered.
    Counted in memory per process: several daemons each allow ``limit``.
    """

    def __init__(self, limit: int, window: float = 3600.0) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, sender: str, now: float | None = None) -> bool:
        """Count a message from ``sender``; whether it is within the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(sender, collections.deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            seen.append(now)
            return len(seen) <= self.limit


_HINT_KEYS: dict[str, str] = {
    "场所": "venue",
    "地点": "venue",
    "窗口": "venue",
    "环节": "stage",
    "办理环节": "stage",
    "类型": "problem_type",
    "问题类型": "problem_type",
    "内容": "topic",
    "工作内容": "topic",
    "方式": "method",
    "工作方式": "method",
}
_HINT_LINE = re.compile(
    r"^\s*(场所|地点|窗口|办理环节|环节|问题类型|类型|工作内容|内容|工作方式|方式)\s*[:：]\s*(.+?)\s*$"
)
_BRACKET = re.compile(r"[【\[]([^】\]]{1,20})[】\]]")
_KINDS: dict[str, type[Any]] = {
    "stage": Stage,
    "problem_type": ProblemType,
    "topic": Topic,
    "method": Method,
}


def _term(kind: type[Any], value: str) -> Any:
    value = value.strip()
    for member in kind:
        if value in (member.value, member.label):
            return member
    return None


def hints_from(subject: str, text: str) -> ReportHints:
    """What the sender said about the problem: ``环节：受理`` lines, or ``【受理】`` tags.

    Only words of the controlled vocabulary are taken; anything else stays in the text.
    """
    found: dict[str, Any] = {}
    for line in text.splitlines()[:40]:
        match = _HINT_LINE.match(line)
        if match:
            key = _HINT_KEYS[match.group(1)]
            value = match.group(2)
            if key == "venue":
                found.setdefault("venue", value[:200])
            elif (term := _term(_KINDS[key], value)) is not None:
                found.setdefault(key, term)
    for tag in _BRACKET.findall(subject):
        for key, kind in _KINDS.items():
            term = _term(kind, tag)
            if term is not None:
                found.setdefault(key, term)
    return ReportHints(**found)


def _follows_up(mail: ParsedMail) -> str | None:
    for ref in mail.references:
        match = _NOTICE_ID.match(ref)
        if match:
            return match.group(1)
    match = _ISSUE_NUMBER.search(mail.subject)
    return match.group(1) if match else None


def _external_id(mail: ParsedMail, raw: bytes) -> str:
    if mail.message_id:
        mid = mail.message_id.strip()
        return (
            f"mid:{mid}"
            if len(mid) <= 480
            else f"mid-sha256:{hashlib.sha256(mid.encode()).hexdigest()}"
        )
    return f"sha256:{content_key(raw)}"


def report_from_mail(
    raw: bytes,
    *,
    center: str,
    options: EmailOptions,
    received_at: dt.datetime | None = None,
    rate: SenderRate | None = None,
) -> Report:
    """The report one raw message makes; never raises.

    Auto-replies, bounces and lists, messages with nothing to report, and senders over
    the rate limit become quarantined reports that keep the raw message.
    """
    received_at = received_at or now_utc()
    mail = parse_mail(raw, options.limits)
    reason: QuarantineReason | None = None
    detail: str | None = None
    automated = automation_reason(mail, own_addresses=options.own_addresses)
    if automated is not None:
        reason, detail = QuarantineReason.AUTOMATED, automated
    elif mail.from_address is None:
        reason, detail = QuarantineReason.UNPARSEABLE, "没有可识别的发件人地址"
    elif not mail.has_content:
        reason, detail = QuarantineReason.UNPARSEABLE, "邮件没有正文，也没有可保存的附件"
    elif rate is not None and not rate.allow(mail.from_address):
        reason = QuarantineReason.TOO_MANY
        detail = f"{mail.from_address} 一小时内发信超过 {rate.limit} 封"
    text = mail.text
    if mail.dropped:
        text += "\n\n（以下附件超过大小限制，未保存：" + "；".join(mail.dropped) + "）"
    attachments = list(mail.attachments)
    if reason is not None:
        # Kept whole, so an operator can see exactly what came.
        attachments.append(Attachment("原始邮件.eml", "message/rfc822", raw))
    if mail.defects and reason is QuarantineReason.UNPARSEABLE:
        detail = f"{detail}（{', '.join(sorted(set(mail.defects))[:5])}）"
    return Report(
        channel=CHANNEL,
        external_id=_external_id(mail, raw),
        center=center,
        received_at=received_at,
        sender=Sender(ContactKind.EMAIL, mail.from_address or "", mail.from_name),
        subject=mail.subject or None,
        text=text or "（无正文）",
        attachments=attachments,
        hints=hints_from(mail.subject, mail.text) if reason is None else ReportHints(),
        follows_up=_follows_up(mail) if reason is None else None,
        quarantine=reason,
        quarantine_detail=detail,
    )


def center_for(recipients: Iterable[str], options: EmailOptions) -> str | None:
    """The center a message is for, by the address it was sent to."""
    for address in recipients:
        center = options.recipients.get(address.lower())
        if center is not None:
            return center
    return options.default_center


# ---------------------------------------------------------------- files


def iter_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) of each message in an ``.eml`` file, an mbox or a Maildir."""
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise click.ClickException(f"{path} 不是 Maildir（没有 cur/ 和 new/）")
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.keys()):
            with box.get_file(key) as f:
                yield f"{path}/{key}", f.read()
        return
    with path.open("rb") as f:
        head = f.read(5)
    if head == b"From ":
        box_m = mailbox.mbox(path, factory=None, create=False)
        for n, key in enumerate(box_m.keys()):
            yield f"{path}#{n + 1}", box_m.get_bytes(key)
        return
    yield str(path), path.read_bytes()


# ---------------------------------------------------------------- answers


class EmailNotifier:
    """Delivers notices to supervisors by e-mail (aiosmtplib), as the ``email`` notifier.

    Every message says it is automatic (``Auto-Submitted: auto-replied``, RFC 3834) and
    names itself (``X-Supdesk-Notice``), so it is never answered by our own channel and
    well-behaved auto-responders leave it alone. Its Message-ID is made from the
    notice's key, the same on every retry.
    """

    name = "email"

    def __init__(self, options: Callable[[], EmailOptions] | None = None) -> None:
        self._options = options or (lambda: EmailOptions.from_settings({}))

    def message(self, notice: Notice, options: EmailOptions) -> EmailMessage | None:
        """The message for ``notice``, or None when it has no e-mail address to go to."""
        to = [a.value for a in notice.addresses if a.kind is ContactKind.EMAIL]
        if not to:
            return None
        msg = EmailMessage()
        msg["From"] = options.from_address
        msg["To"] = ", ".join(to)
        msg["Subject"] = notice.subject
        msg["Date"] = format_datetime(now_utc())
        number = _ISSUE_NUMBER.search(notice.subject)
        digest = hashlib.sha256(notice.key.encode()).hexdigest()[:16]
        domain = options.from_address.rsplit("@", 1)[-1]
        stem = f"supdesk.{number.group(1)}.{digest}" if number else f"supdesk.{digest}"
        msg["Message-ID"] = f"<{stem}@{domain}>"
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
        msg["X-Loop"] = options.from_address
        msg["X-Supdesk-Notice"] = notice.key
        msg.set_content(
            notice.body
            + "\n\n——\n此邮件由政务服务监督工作台自动发送。如需补充情况，请直接回复本邮件。"
        )
        return msg

    def deliver(self, notice: Notice) -> None:
        """Send ``notice`` to the supervisor's e-mail addresses; raise on failure."""
        options = self._options()
        msg = self.message(notice, options)
        if msg is None:
            log.info("notice %s has no e-mail address; skipped", notice.key)
            return
        smtp = options.smtp
        kwargs: dict[str, Any] = {
            "hostname": smtp.host,
            "port": smtp.port,
            "timeout": smtp.timeout,
            "use_tls": smtp.tls,
            "start_tls": smtp.starttls,
        }
        if smtp.tls or smtp.starttls:
            kwargs["tls_context"] = smtp.tls_context()
        if smtp.username:
            kwargs["username"] = smtp.username
            kwargs["password"] = smtp.password or ""
        # deliver() is called from a worker thread, never from the event loop.
        asyncio.run(aiosmtplib.send(msg, **kwargs))


# ---------------------------------------------------------------- LMTP / SMTP


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


# ---------------------------------------------------------------- IMAP


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
                    result = self.ledger.receive(report)  # committed when it returns
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


# ---------------------------------------------------------------- plugin


@attrs.frozen
class EmailChannel:
    """The channel as registered."""

    name: str = CHANNEL
    label: str = "电子邮件"


@hookimpl
def supervision_register_channels(register: ChannelRegistry) -> None:
    """Register the e-mail channel."""
    register.add(EmailChannel())


@hookimpl
def supervision_register_notifiers(register: NotifierRegistry) -> None:
    """Register the ``email`` notifier (answers to supervisors through SMTP)."""
    register.add(EmailNotifier(_notifier_options))


def _notifier_options() -> EmailOptions:
    # The notifier is registered before any ledger exists; it reads the same
    # configuration file the command line does, and the environment.
    from supervision_core import load_settings

    path = Path(os.environ.get("SUPDESK_CONFIG", "supdesk.toml"))
    if path.exists():
        settings = load_settings(path)
        return EmailOptions.from_settings(
            settings.channel_options.get(CHANNEL, {}), settings.source
        )
    return EmailOptions.from_settings({})

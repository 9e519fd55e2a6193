"""The ``email`` notifier: notices by SMTP (aiosmtplib) to supervisors, as answers they can reply to, and to centers' staff."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from channels.email.options import EmailOptions, SmtpOptions
from supervision_core import ContactKind, Notice, RecipientKind, Unreachable, now_utc

__all__ = ["ISSUE_NUMBER", "NOTICE_ID", "EmailNotifier"]

# An issue number as the ledger writes it: "<center>-<year>-<5 digits>".
ISSUE_NUMBER = re.compile(r"\b([a-z0-9][a-z0-9_-]{0,39}-20\d\d-\d{5})\b")
# The Message-IDs of our notices name the issue: <supdesk.NUMBER.DIGEST@domain>; a reply
# that refers to one follows that issue up.
NOTICE_ID = re.compile(r"^supdesk\.([a-z0-9][a-z0-9_-]{0,39}-20\d\d-\d{5})\.")

log = logging.getLogger("channels.email.notifier")

_NO_ADDRESS = {
    RecipientKind.SUPERVISOR: "监督员没有登记电子邮箱",
    RecipientKind.UNIT: "承办单位没有电子邮箱地址",
    RecipientKind.CENTER: "中心没有配置电子邮箱（supdesk.toml 中 [[centers]] 的 email）",
}


class EmailNotifier:
    """Delivers notices by e-mail (aiosmtplib), as the ``email`` notifier.

    A supervisor's notice goes to the supervisor's registered addresses, a center's
    to the center's ``email`` in ``supdesk.toml``; a notice with no e-mail address is
    :class:`~supervision_core.Unreachable` by e-mail.

    Every message says it is automatic (``Auto-Submitted: auto-replied``, RFC 3834) and
    names itself (``X-Supdesk-Notice``), so it is never answered by our own channel and
    well-behaved auto-responders leave it alone. Its Message-ID is made from the
    notice's key, the same on every retry.
    """

    name = "email"
    label = "电子邮件"
    settings_type = SmtpOptions

    def __init__(self, smtp: SmtpOptions | None = None) -> None:
        self.smtp = smtp or SmtpOptions()

    def configure(self, settings: SmtpOptions) -> EmailNotifier:
        """The notifier sending through ``settings`` (``[notifiers.email]``)."""
        return EmailNotifier(settings)

    def message(self, notice: Notice, options: SmtpOptions | EmailOptions) -> EmailMessage | None:
        """The message for ``notice``, or None when it has no e-mail address to go to."""
        to = [a.value for a in notice.addresses if a.kind is ContactKind.EMAIL]
        if not to:
            return None
        msg = EmailMessage()
        msg["From"] = options.from_address
        msg["To"] = ", ".join(to)
        msg["Subject"] = notice.subject
        msg["Date"] = format_datetime(now_utc())
        number = ISSUE_NUMBER.search(notice.subject)
        digest = hashlib.sha256(notice.key.encode()).hexdigest()[:16]
        domain = options.from_address.rsplit("@", 1)[-1]
        stem = f"supdesk.{number.group(1)}.{digest}" if number else f"supdesk.{digest}"
        msg["Message-ID"] = f"<{stem}@{domain}>"
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
        msg["X-Loop"] = options.from_address
        msg["X-Supdesk-Notice"] = notice.key
        footer = (
            "如需补充情况，请直接回复本邮件。"
            if notice.recipient_kind is RecipientKind.SUPERVISOR
            else "请登录工作台办理，勿回复本邮件。"
        )
        msg.set_content(notice.body + f"\n\n——\n此邮件由政务服务监督工作台自动发送。{footer}")
        for a in notice.attachments:  # the semi-annual briefing's PDF
            maintype, _, subtype = a.content_type.partition("/")
            msg.add_attachment(
                a.content, maintype=maintype, subtype=subtype or "octet-stream", filename=a.filename
            )
        return msg

    def deliver(self, notice: Notice) -> None:
        """Send ``notice`` to its recipient's e-mail addresses (a supervisor's, a center's).

        :raises Unreachable: the notice has no e-mail address to go to (nothing sent)
        :raises Exception: the SMTP server did not take it (retried later)
        """
        smtp = self.smtp
        msg = self.message(notice, smtp)
        if msg is None:
            raise Unreachable(_NO_ADDRESS[notice.recipient_kind])
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
        import aiosmtplib  # loaded when a notice is sent, not when the plugin is

        # deliver() is called from a worker thread, never from the event loop.
        asyncio.run(aiosmtplib.send(msg, **kwargs))

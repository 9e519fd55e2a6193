"""Mail to report: one raw message becomes one report, whatever way it came in.

The parsing is :mod:`channels.email.mailparse`; here are the identity of a message
(its Message-ID, or a digest of its bytes), the sender's hints, the follow-up to an
issue, the rate limit per sender, and reading ``.eml`` files, mboxes and Maildirs.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import mailbox
import re
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from channels.email.mailparse import ParsedMail, automation_reason, content_key, parse_mail
from channels.email.notifier import ISSUE_NUMBER, NOTICE_ID
from channels.email.options import CHANNEL, EmailOptions
from supervision_core import (
    Attachment,
    ContactKind,
    InvalidInput,
    Method,
    ProblemType,
    QuarantineReason,
    Report,
    ReportHints,
    Sender,
    Stage,
    Topic,
    now_utc,
)

if TYPE_CHECKING:
    from supervision_core import Ledger

__all__ = [
    "SenderRate",
    "center_for",
    "for_its_center",
    "hints_from",
    "iter_messages",
    "report_from_mail",
]


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
        match = NOTICE_ID.match(ref)
        if match:
            return match.group(1)
    match = ISSUE_NUMBER.search(mail.subject)
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


def for_its_center(ledger: Ledger, report: Report) -> Report:
    """``report`` under an identity of its own center, when another center has the message.

    A message sent to two centers (two recipients, two mailboxes) is one report for
    each: the first center to receive it keeps the message's own identity, any other
    takes it with ``#center`` added. So a second delivery to either center is still
    recognised as the same report, and neither center's copy hides the other's.
    """
    taken = ledger.find_report(report.channel, report.external_id)
    if taken is None or taken.center == report.center:
        return report
    own = f"{report.external_id}#{report.center}"
    if len(own) > 512:
        own = f"sha256:{hashlib.sha256(report.external_id.encode()).hexdigest()}#{report.center}"
    return attrs.evolve(report, external_id=own)


def center_for(recipients: Iterable[str], options: EmailOptions) -> str | None:
    """The center a message is for, by the address it was sent to."""
    for address in recipients:
        center = options.recipients.get(address.lower())
        if center is not None:
            return center
    return options.default_center


def iter_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) of each message in an ``.eml`` file, an mbox or a Maildir."""
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            msg = f"{path} 不是 Maildir（没有 cur/ 和 new/）"
            raise InvalidInput(msg)
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

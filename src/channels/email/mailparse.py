"""Reading real mail: text, sender and attachments out of whatever a mail server hands us.

Python's ``email`` package parses the structure; this module does what it leaves to
the caller on Chinese mail as it is actually sent:

- ``gb2312``/``gbk`` labels are read as GB18030 (their superset: senders label GB18030
  text ``gb2312`` all the time, and the strict codec turns it into U+FFFD);
- raw 8-bit header bytes (no RFC 2047) are recovered and decoded by detection;
- unknown or bogus charsets fall back to detection (charset-normalizer), then to
  UTF-8 with replacement, never to an exception;
- HTML-only mail becomes readable text (selectolax, with block elements as lines);
- multiparts without a usable boundary, broken base64 and nested messages are read
  as far as they go, and what went wrong is kept as a defect note.

:func:`parse_mail` never raises on any input; see ``tests/test_mail_corpora.py``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import hashlib
import re
from collections.abc import Iterator
from email import message_from_bytes
from email import policy as email_policy
from email.header import decode_header
from email.message import Message
from typing import Any

import attrs
from charset_normalizer import from_bytes
from selectolax.lexbor import LexborHTMLParser

from channels.email.options import MailLimits
from supervision_core import Attachment

__all__ = [
    "MailLimits",
    "ParsedMail",
    "automation_reason",
    "decode_bytes",
    "decode_header_value",
    "html_to_text",
    "parse_mail",
]

# Labels whose text is routinely GB18030 in practice.
_GB = {"gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "csgb2312", "x-euc-cn", "gb_2312-80", "chinese"}
_ALIASES = {"unicodebig": "utf-16-be", "unicodelittle": "utf-16-le", "x-unknown": ""}


@attrs.frozen(kw_only=True)
class ParsedMail:
    """A message as a report needs it. ``text`` is never empty when ``has_content``."""

    message_id: str | None
    from_address: str | None
    from_name: str | None
    to: tuple[str, ...]
    subject: str
    text: str
    date: dt.datetime | None
    references: tuple[str, ...]  # In-Reply-To and References, in that order
    attachments: tuple[Attachment, ...]
    dropped: tuple[str, ...]  # attachments not kept, with the reason, in Chinese
    defects: tuple[str, ...]
    headers: dict[str, str] = attrs.field(factory=dict)  # the few loop-safety headers

    @property
    def has_content(self) -> bool:
        """Whether there is anything to report: text or a kept attachment."""
        return bool(self.text.strip() or self.attachments)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    name = label.strip().strip('"').lower()
    if name in _GB:
        return "gb18030"
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, label: str | None = None) -> str:
    """Text from ``data`` labelled ``label`` (possibly wrongly, possibly not at all)."""
    codec = _codec(label)
    if codec is not None:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            # A few stray bytes in text that is otherwise what it says it is (a cut
            # multibyte character, a bad quoted-printable escape) are replaced.
            lenient = data.decode(codec, errors="replace")
            if lenient.count("\ufffd") <= max(2, len(lenient) // 200):
                return lenient
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec is None or codec == "ascii":
        # Unlabelled or mislabelled: a short text is most likely Chinese from the
        # mainland (GB18030); a long one is left to detection, which needs length.
        if len(data) < 200:
            try:
                return data.decode("gb18030")
            except UnicodeDecodeError:
                pass
        best = from_bytes(data[:65536]).best()
        if best is not None and best.encoding:
            name = "gb18030" if best.encoding in ("gb2312", "gbk") else best.encoding
            try:
                return data.decode(name)
            except (UnicodeDecodeError, LookupError):
                pass
    # Chinese mail first: GB18030 accepts almost anything; then keep what we can.
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return data.decode(codec or "utf-8", errors="replace")


def _raw_bytes(value: str) -> bytes | None:
    """The original bytes of a header that held raw 8-bit text (kept as surrogates)."""
    if any("\udc80" <= c <= "\udcff" for c in value):
        return value.encode("ascii", "surrogateescape")
    return None


_HEADER_CANDIDATES = ["gb18030", "big5", "utf_8", "shift_jis", "euc_kr", "cp1251", "cp1252"]


def _decode_raw_header(raw: bytes, hint: str | None) -> str:
    # Raw 8-bit headers carry no label: the body's charset is the best guess (a client
    # writes both the same way), then UTF-8, then detection among likely encodings.
    for codec in (_codec(hint), "utf-8"):
        if codec:
            try:
                return raw.decode(codec)
            except (UnicodeDecodeError, LookupError):
                pass
    best = from_bytes(raw, cp_isolation=_HEADER_CANDIDATES).best()
    if best is not None and best.encoding:
        return str(best)
    return raw.decode("gb18030", errors="replace")


def decode_header_value(value: Any, hint: str | None = None) -> str:
    """A header's text: RFC 2047 words decoded with charset fixes, raw 8-bit recovered.

    :param hint: the charset the message's text declares, for raw 8-bit bytes
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    raw = _raw_bytes(value)
    if raw is not None:
        value = _decode_raw_header(raw, hint)
    if "=?" not in value:
        return _unfold(value)
    # Unfold first (RFC 5322: drop the line break, keep the blank): decode_header reads
    # line by line and would lose the space between a folded line and plain text.
    value = re.sub(r"\r?\n(?=[ \t])", "", value)
    try:
        parts = decode_header(value)
    except Exception:  # a malformed encoded word: keep the header as it came
        return _unfold(value)
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(decode_bytes(chunk, charset))
    return _unfold("".join(out))


def _unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", text).strip()


_BLOCK = (
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "ul", "ol", "blockquote", "pre", "section", "article", "hr",
)  # fmt: skip


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: scripts and styles dropped, blocks as lines."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "head", "title", "noscript", "template"])
    root = tree.body or tree.root
    if root is None:
        return ""
    for tag in _BLOCK:
        for node in root.css(tag):
            node.insert_after("\n")
    text = root.text(separator="", strip=False)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    collapsed: list[str] = []
    for line in lines:
        if line or (collapsed and collapsed[-1]):
            collapsed.append(line)
    return "\n".join(collapsed).strip()


def _header(msg: Message, name: str) -> str:
    """The first ``name`` header as text (raw 8-bit bytes recovered), or ``""``."""
    values = _headers(msg, name)
    return values[0] if values else ""


def _headers(msg: Message, name: str) -> list[str]:
    # raw_items() keeps undecodable bytes as surrogates; get() would turn them into
    # a Header of "unknown-8bit" that prints as U+FFFD.
    wanted = name.lower()
    hint = msg.get("X-Supdesk-Charset-Hint")
    try:
        return [decode_header_value(v, hint) for k, v in msg.raw_items() if k.lower() == wanted]
    except Exception:
        return []


def _text_charset(msg: Message) -> str | None:
    for part in _leaves(msg):
        if part.get_content_maintype() == "text":
            charset = part.get_content_charset()
            if charset:
                return str(charset)
    return None


_HEADER_LINE = re.compile(rb"^([!-9;-~]+:|[ \t])")


def _without_stray_header_lines(raw: bytes) -> bytes | None:
    """The message with non-header lines inside its header block removed, if it has any.

    The stdlib parser ends the headers at the first line that is not one, so a stray
    line (seen in real mail) would push Subject, From and the rest into the body.
    """
    head, sep, body = (
        raw.partition(b"\n\n") if b"\r\n\r\n" not in raw[:65536] else raw.partition(b"\r\n\r\n")
    )
    lines = head.splitlines(keepends=True)
    good = [bool(_HEADER_LINE.match(line)) or line.startswith(b"From ") for line in lines]
    stray = good.count(False)
    # Only a message whose headers go on after one or two stray lines: a file that
    # is not mail at all, or a body that starts early, is left as the parser read it.
    if not lines or not good[0] or not 0 < stray <= 2 or good.index(False) + 2 >= len(lines):
        return None
    last_stray = len(good) - 1 - good[::-1].index(False)
    if sum(good[last_stray + 1 :]) < 2:
        return None
    return b"".join(line for line, ok in zip(lines, good, strict=True) if ok) + sep + body


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    values = _headers(msg, name)
    try:
        return [(n, a) for n, a in email.utils.getaddresses(values) if a]
    except Exception:
        return []


def _ids(value: str) -> tuple[str, ...]:
    return tuple(re.findall(r"<([^<>\s]+)>", value))


def _payload(part: Message, defects: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:  # broken base64/uuencode that the stdlib gives up on
        defects.append(f"{type(exc).__name__}: {exc}")
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    if data is None:
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data if isinstance(data, bytes) else b""


def _leaves(msg: Message) -> Iterator[Message]:
    try:
        yield from (p for p in msg.walk() if not p.is_multipart())
    except Exception:  # a structure too broken to walk: the top part as it is
        yield msg


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        ctype_name = part.get_param("name")
        name = ctype_name if isinstance(ctype_name, str) else None
    if not name:
        return None
    return decode_header_value(name).replace("/", "_").replace("\\", "_")[:200] or None


def parse_mail(raw: bytes, limits: MailLimits | None = None) -> ParsedMail:
    """Everything a report needs from one raw RFC 5322 message; never raises."""
    limits = limits or MailLimits()
    defects: list[str] = []
    # compat32 keeps undecodable header bytes as surrogates (recovered above) and is
    # the more forgiving and the faster of the two policies.
    msg = message_from_bytes(raw, policy=email_policy.compat32)
    if any(type(d).__name__ == "MissingHeaderBodySeparatorDefect" for d in msg.defects):
        cleaned = _without_stray_header_lines(raw)
        if cleaned is not None:
            defects.append("StrayHeaderLineRemoved")
            msg = message_from_bytes(cleaned, policy=email_policy.compat32)
    defects.extend(type(d).__name__ for d in getattr(msg, "defects", []))
    hint = _text_charset(msg)
    if hint:
        msg["X-Supdesk-Charset-Hint"] = hint
    subject = _header(msg, "Subject")
    senders = _addresses(msg, "From") or _addresses(msg, "Sender")
    from_name, from_address = senders[0] if senders else (None, None)
    to = tuple(a for _, a in _addresses(msg, "To") + _addresses(msg, "Cc"))
    message_id = (_ids(_header(msg, "Message-ID")) or (None,))[0]
    references = _ids(_header(msg, "In-Reply-To")) + _ids(_header(msg, "References"))
    date = None
    try:
        parsed_date = email.utils.parsedate_to_datetime(_header(msg, "Date"))
        date = parsed_date if parsed_date.tzinfo else None
    except (TypeError, ValueError, IndexError):
        pass

    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    dropped: list[str] = []
    total = 0
    for part in _leaves(msg):
        ctype = part.get_content_type().lower()
        disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
        filename = _filename(part)
        data = _payload(part, defects)
        is_text = ctype in ("text/plain", "text/html") and disposition != "attachment"
        if is_text and not (filename and disposition == "attachment"):
            text = decode_bytes(data, part.get_content_charset())
            (plain if ctype == "text/plain" else html).append(text)
            continue
        if not data:
            continue
        name = filename or f"附件{len(attachments) + 1}"
        if len(data) > limits.max_attachment_bytes:
            dropped.append(f"{name}（{len(data) // 1024} KB，超过单个附件上限）")
        elif total + len(data) > limits.max_total_bytes:
            dropped.append(f"{name}（附件总量超过上限）")
        elif len(attachments) >= limits.max_attachments:
            dropped.append(f"{name}（附件个数超过上限）")
        else:
            total += len(data)
            attachments.append(Attachment(name, ctype, data))
    body = "\n\n".join(t.strip() for t in plain if t.strip())
    if not body and html:
        body = "\n\n".join(html_to_text(h) for h in html if h.strip())
    wanted = {"auto-submitted", "precedence", "list-id", "list-unsubscribe", "x-loop",
              "x-supdesk-notice", "return-path", "x-autoreply", "x-autorespond"}  # fmt: skip
    headers: dict[str, str] = {}
    for key, value in msg.raw_items():
        if key.lower() in wanted and key.lower() not in headers:
            headers[key.lower()] = decode_header_value(value)
    return ParsedMail(
        message_id=message_id,
        from_address=from_address.strip().lower() if from_address else None,
        from_name=from_name or None,
        to=tuple(a.strip().lower() for a in to),
        subject=subject,
        text=body.replace("\x00", ""),
        date=date,
        references=references,
        attachments=tuple(attachments),
        dropped=tuple(dropped),
        defects=tuple(defects),
        headers=headers,
    )


_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|noreply|no-reply|do-not-reply)@", re.I)


def automation_reason(mail: ParsedMail, *, own_addresses: frozenset[str]) -> str | None:
    """Why a message is not a person writing to us (and must never be answered), or None.

    Auto-replies (RFC 3834 ``Auto-Submitted``, vendor headers), bounces (null
    ``Return-Path``, mailer-daemon), mailing lists (``List-Id``, ``Precedence``),
    and our own notices coming back (``X-Supdesk-Notice``, ``X-Loop``, our address).
    """
    h = mail.headers
    auto = h.get("auto-submitted", "").lower()
    if auto and auto != "no":
        return f"自动发送的邮件（Auto-Submitted: {auto}）"
    if any(k in h for k in ("x-autoreply", "x-autorespond")):
        return "自动回复"
    if h.get("precedence", "").lower() in ("bulk", "list", "junk", "auto_reply"):
        return f"群发或自动邮件（Precedence: {h['precedence']}）"
    if "list-id" in h or "list-unsubscribe" in h:
        return "邮件列表"
    if "x-supdesk-notice" in h or any(a in h.get("x-loop", "").lower() for a in own_addresses):
        return "本系统发出的邮件被退回或转回"
    if "return-path" in h and h["return-path"].strip() in ("<>", ""):
        return "退信（空的 Return-Path）"
    if mail.from_address is None:
        return None
    if mail.from_address in own_addresses:
        return "发件人是本系统自己的地址"
    if _BOUNCE_SENDERS.match(mail.from_address):
        return "退信或系统通知"
    return None


def content_key(raw: bytes) -> str:
    """A message's identity where it has no Message-ID: a digest of its bytes."""
    return hashlib.sha256(raw).hexdigest()

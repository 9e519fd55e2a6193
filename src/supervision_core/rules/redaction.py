"""Redaction of everything a unit can see: the unit never learns who reported (DOMAIN: independence).

:func:`redact_for_unit` is the one pass every unit-facing text goes through (the unit's
view of an issue, hence its pages, its 派单通知 and the notices it is sent):

1. An e-mail's quoted reply (``在 … 巴特尔 <bateer@example.cn> 写道：``, ``On … wrote:``,
   ``-----原始邮件-----``, an Outlook ``From:``/``Sent:`` header, ``>`` lines) and its
   signature (``-- ``, ``发自我的iPhone``, a closing such as ``此致`` or ``Best regards``
   near the end) are cut off.
2. The reporter's own identifiers become ``【监督员】``: their name (spaced out, with a
   honorific, masked as ``巴**``, or the given name alone), the names the channels saw,
   their letter and work-card numbers, and every contact of their identity record, in
   any spelling (``+86 139 4877 2345``, ``１３９…``, ``139****2345``).
3. Whatever still looks personal is hidden whoever it belongs to: phone numbers
   (mobiles, landlines, masked ones, a ``尾号``, numbers written in Chinese numerals),
   e-mail addresses, ``@handles`` and ``t.me`` links, WeChat or QQ ids after their label,
   and ID numbers of 15 and 18 digits. No digit of a phone number is left, masked or not.

The text is matched in its folded twin (:class:`~supervision_core.rules.masking.FoldedText`),
so full-width digits and letters are found like ASCII ones and the rest stays as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from supervision_core.model.reporters import Reporter
from supervision_core.model.supervisors import ContactKind
from supervision_core.rules.masking import ID_NUMBER, LANDLINE, MOBILE, FoldedText, fold

__all__ = [
    "ACCOUNT_HIDDEN",
    "EMAIL_HIDDEN",
    "HIDDEN",
    "ID_HIDDEN",
    "PHONE_HIDDEN",
    "REPORTER",
    "cut_quoted_and_signature",
    "redact_for_unit",
]

#: What a unit reads where the reporter was named, or any identifier of theirs stood.
REPORTER = "【监督员】"
PHONE_HIDDEN = "【电话已隐去】"
EMAIL_HIDDEN = "【邮箱已隐去】"
ACCOUNT_HIDDEN = "【账号已隐去】"
ID_HIDDEN = "【证件号已隐去】"
HIDDEN = "【已隐去】"

# ------------------------------------------------------------ quoted replies, signatures

_I = re.IGNORECASE
# A line from which on everything is an earlier message.
_QUOTE_HEADERS = [
    re.compile(
        r"^\s*-{2,}\s*(?:原始邮件|原邮件|邮件原文|转发邮件|转发的邮件|Original Message|"
        r"Forwarded message|Reply message)\s*-{2,}\s*$",
        _I,
    ),
    re.compile(r"^\s*(?:在|于).{0,160}(?:写道|寫道)\s*:?\s*$"),
    re.compile(r"^\s*On\b.{0,240}\bwrote\s*:\s*$", _I),
    re.compile(r"^\s*Le\b.{0,240}\ba écrit\s*:\s*$", _I),
]
# Gmail wraps a long "On …, Name <address> wrote:" over two lines.
_WROTE_ALONE = re.compile(r"(?:\bwrote|写道|寫道)\s*:?\s*$", _I)
_WROTE_OPENING = re.compile(r"^\s*(?:On\b|在|于)", _I)
# Outlook and Foxmail: "From:" (发件人：) followed within a few lines by the date or subject.
_FROM = re.compile(r"^\s*(?:From|发件人|寄件者|發件人)\s*:", _I)
_HEADER_FIELD = re.compile(
    r"^\s*(?:Sent|Date|To|Cc|Subject|发送时间|时间|日期|收件人|抄送|主题|寄件日期|收件者|主旨)\s*:",
    _I,
)
_QUOTED_LINE = re.compile(r"^\s*>")
_QUOTE_MARKS = re.compile(r"^[\s>]+")
_RULE = re.compile(r"^\s*[_=*~-]{8,}\s*$")
# A line from which on everything is a signature.
_SIGNATURE_START = [
    re.compile(r"^--\s?$"),  # RFC 3676; "——" folds to "--" too
    re.compile(
        r"^\s*(?:发自我的|来自我的|从我的|Sent from my|Sent from|Sent via|Get Outlook for).{0,60}$",
        _I,
    ),
]
# A closing near the end: the name and contacts follow it.
# A valediction: the name and contacts follow it.
_VALEDICTION = re.compile(
    r"^\s*(?:此致(?:\s*敬礼)?|敬礼|顺颂(?:商祺|时祺|安康)?|祝好|祝工作顺利|即颂|"
    r"Best regards|Best wishes|Kind regards|Warm regards|Regards|Sincerely|Yours sincerely|"
    r"Yours truly|Thanks and regards)"
    r"[\s,.!;:，。！；：]*$",
    _I,
)
# A thanks: a signature only if nothing but short lines without a sentence follow it
# ("谢谢！" then "另外，大厅空调也坏了。" is still the report).
_THANKS = re.compile(
    r"^\s*(?:Thanks|Thank you|Many thanks|Best|Cheers|谢谢(?:您)?|多谢|感谢)[\s,.!;:，。！；：]*$",
    _I,
)
_SENTENCE = re.compile(r"[!?;]|[.,](?!\d)")  # in the folded text: 。，！ are .,! there
_CLOSING_WITHIN = 8  # non-empty lines from the end


def _quote_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _QUOTE_HEADERS):
            return i
        if _WROTE_ALONE.search(line) and i > 0 and _WROTE_OPENING.match(lines[i - 1]):
            return i - 1
        if _FROM.match(line) and any(_HEADER_FIELD.match(x) for x in lines[i + 1 : i + 6]):
            return i - 1 if i > 0 and _RULE.match(lines[i - 1]) else i
    return None


def _signature_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _SIGNATURE_START):
            return i
    tail = [i for i, line in enumerate(lines) if line.strip()][-_CLOSING_WITHIN:]
    for k, i in enumerate(tail):
        if _VALEDICTION.match(lines[i]):
            return i
        after = [lines[j].strip() for j in tail[k + 1 :]]
        if _THANKS.match(lines[i]) and all(len(x) <= 30 and not _SENTENCE.search(x) for x in after):
            return i
    return None


def cut_quoted_and_signature(text: str) -> str:
    """``text`` without the earlier messages it quotes and without its signature block.

    Lines quoted with ``>`` go wherever they are. If nothing were left (a message that
    is all quotation), the quoted text is kept without its headers and ``>`` marks.
    """
    lines = text.split("\n")
    folded = fold(text).split("\n")
    keep = [i for i, line in enumerate(folded) if not _QUOTED_LINE.match(line)]
    lines, folded = [lines[i] for i in keep], [folded[i] for i in keep]
    end = _quote_start(folded)
    if end is not None:
        lines, folded = lines[:end], folded[:end]
    end = _signature_start(folded)
    if end is not None:
        lines = lines[:end]
    body = "\n".join(lines).strip()
    if body:
        return body
    # All quotation: the quoted words are the report; drop only what framed them.
    kept = []
    for raw, line in zip(text.split("\n"), fold(text).split("\n"), strict=True):
        framing = any(p.match(line) for p in _QUOTE_HEADERS) or _WROTE_ALONE.search(line)
        if framing or _FROM.match(line) or _HEADER_FIELD.match(line):
            continue
        marks = _QUOTE_MARKS.match(line)
        kept.append(raw[marks.end() if marks else 0 :].rstrip())
    return "\n".join(kept).strip()


# ---------------------------------------------------------------- the reporter's identifiers

_COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "令狐",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
    ]
)
_HONORIFICS = "老师|同志|先生|女士|小姐|师傅|大姐|大哥|大爷|大妈|阿姨|姐|哥"
_NAME_SEPARATORS = r"[\s·•・.\-_]{0,2}"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_GENERIC_LOCAL_PARTS = frozenset(
    [
        "admin",
        "info",
        "mail",
        "email",
        "service",
        "support",
        "office",
        "contact",
        "noreply",
        "reply",
        "help",
        "user",
        "test",
    ]
)


def _spaced(chars: Iterable[str]) -> str:
    """The characters in order, with a space, dot or dash allowed between any two."""
    return _NAME_SEPARATORS.join(re.escape(c) for c in chars)


def _name_patterns(name: str) -> tuple[list[str], list[str]]:
    """The patterns of a name written whole (spaced, reversed), and of its parts."""
    name = fold(name).strip()
    whole: list[str] = []
    parts: list[str] = []
    if _CJK.search(name):
        chars = [c for c in name if not re.match(r"[\s·•・.\-_]", c)]
        if len(chars) < 2:
            return whole, parts
        whole.append(_spaced(chars))
        pieces = [p for p in re.split(r"[\s·•・.\-_]+", name) if len(p) >= 2]
        if len(pieces) > 1:  # 阿依古丽·买买提: each part names her too
            whole += (_spaced(p) for p in pieces)
        surname_length = 2 if "".join(chars[:2]) in _COMPOUND_SURNAMES else 1
        surname, given = chars[:surname_length], chars[surname_length:]
        if len(pieces) <= 1 and len(given) >= 2:
            parts.append(_spaced(given))
        parts.append(_spaced(surname) + rf"\s?(?:{_HONORIFICS}|[*×xX]{{1,3}})")
        return whole, parts
    words = _LATIN_WORD.findall(name)
    if words:
        bounded = r"(?<![A-Za-z0-9_]){}(?![A-Za-z0-9_])"
        whole.append(bounded.format(r"[\s.,_-]{1,3}".join(map(re.escape, words))))
        if len(words) == 2:
            whole.append(bounded.format(r"[\s.,_-]{1,3}".join(map(re.escape, reversed(words)))))
        parts += (_token(w) for w in words if len(w) >= 4)
    return whole, parts


def _digits_pattern(digits: str) -> str:
    """The digits in order, with separators or brackets allowed between any two."""
    return r"[\s().-]{0,3}".join(digits)


def _phone_patterns(value: str) -> Iterator[str]:
    digits = re.sub(r"\D", "", fold(value))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 5:
        return
    country = r"(?:\(?(?:\+|00)?\s?86\)?[\s-]{0,2}|\()?"
    yield rf"(?<![0-9]){country}{_digits_pattern(digits)}(?![0-9])"
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4
        local = digits[area:]
        # +86 477 1234567: the area code without its 0; and the number without it.
        yield rf"(?<![0-9]){country}{_digits_pattern(digits[1:])}(?![0-9])"
        if len(local) >= 7:
            yield rf"(?<![0-9]){_digits_pattern(local)}(?![0-9])"
    if len(digits) >= 8:
        yield rf"(?<![0-9]){digits[:3]}[*×xX]{{2,6}}{digits[-4:]}(?![0-9])"


_TOKEN = r"[A-Za-z0-9_+-]"


def _token(word: str) -> str:
    """``word`` and the whole token it is part of (``bateer`` in ``@bateer_1990``)."""
    part = rf"{_TOKEN}*(?:\.{_TOKEN}+)*"
    return rf"@?(?<![A-Za-z0-9_.%+-]){part}{re.escape(word)}{part}"


def _account_patterns(kind: ContactKind, value: str) -> Iterator[str]:
    value = fold(value).strip()
    if kind is ContactKind.EMAIL:
        yield rf"(?<![A-Za-z0-9._%+-]){re.escape(value)}(?![A-Za-z0-9_-])"
        return
    # A messenger account names its messenger: "telegram:12345", "wecom:zhangsan".
    account = value.split(":", 1)[1] if ":" in value else value
    yield rf"(?<![A-Za-z0-9_]){re.escape(value)}(?![A-Za-z0-9_])"
    if account.isdigit():
        if len(account) >= 5:
            yield rf"(?<![0-9]){_digits_pattern(account)}(?![0-9])"
    elif len(account.lstrip("@")) >= 3:
        yield _token(account.lstrip("@"))


def _words_of_addresses(reporter: Reporter) -> Iterator[str]:
    """The words of the reporter's e-mail addresses (``bateer``, ``jianguo``).

    In a signature, a handle or a WeChat id they name the reporter as well.
    """
    for identity in reporter.contacts:
        if identity.kind is not ContactKind.EMAIL:
            continue
        local = fold(identity.value).strip().split("@", 1)[0]
        for word in {local, *re.split(r"[._+\-\d]+", local)}:
            if len(word) >= 4 and word.lower() not in _GENERIC_LOCAL_PARTS:
                yield _token(word)


def _number_pattern(number: str) -> str | None:
    chars = [c for c in fold(number) if c.isalnum()]
    if len(chars) < 3:
        return None
    # Between any two: up to two signs (乌审召聘字〔2024〕第3号, WSZ-GZ-2024-017).
    inner = r"[^0-9A-Za-z\u3400-\u9fff]{0,2}".join(re.escape(c) for c in chars)
    return rf"(?<![0-9A-Za-z]){inner}(?![0-9A-Za-z])"


@functools.lru_cache(maxsize=256)  # a unit's list redacts many issues of few reporters
def _reporter_patterns(reporter: Reporter) -> tuple[re.Pattern[str], ...]:
    """The patterns of the reporter's identifiers, the most specific first."""
    found: list[str] = []
    for identity in reporter.contacts:
        if identity.kind is ContactKind.PHONE:
            found += _phone_patterns(identity.value)
        else:
            found += _account_patterns(identity.kind, identity.value)
    found += filter(None, (_number_pattern(n) for n in reporter.numbers))
    # Whole names before their parts, so that 巴特尔 is not left as 巴【监督员】.
    parts: list[str] = []
    for name in reporter.names:
        whole, pieces = _name_patterns(name)
        found += whole
        parts += pieces
    for name in reporter.colleagues:
        found += _name_patterns(name)[0]
    found += parts
    found += _words_of_addresses(reporter)
    return tuple(re.compile(p, re.IGNORECASE) for p in dict.fromkeys(found))


# ---------------------------------------------------------------- whatever looks personal

_EMAIL = re.compile(
    # From where an address can start only: a long run of letters is read once, not again
    # from each of its letters.
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+\s?(?:@|\[at\]|\(at\))\s?"
    r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    _I,
)
_TELEGRAM_LINK = re.compile(r"(?:https?://)?(?:t|telegram)\.me/[A-Za-z0-9_]{3,}", _I)
_HANDLE = re.compile(r"(?<![A-Za-z0-9._%+-])@[A-Za-z][A-Za-z0-9_.]{2,31}")
# An id after its label: 微信号：bateer_1990, QQ 12345678, tel: 1234567. A Chinese label
# may run on into the id; an English one needs its colon ("phone calls" is not an id).
_ID = r"(?P<id>[A-Za-z0-9][A-Za-z0-9_+().-]{4,40})"
_LABELLED = [
    re.compile(
        r"(?:微信号?|微信id|企业微信|钉钉号?|电报|QQ号?|联系方式)\s?(?:号码?|账号|ID)?\s?[:是为]?\s?"
        + _ID,
        _I,
    ),
    # A number after a phone's label, from seven digits: 12345 is the public hotline.
    re.compile(
        r"(?:电话号?码?|手机号?码?|座机号?码?|联系电话|分机号?)\s?(?:号码?)?\s?[:是为]?\s?"
        r"(?P<id>\+?[0-9](?:[ ()+-]?[0-9]){6,30})",
        _I,
    ),
    re.compile(
        r"(?<![A-Za-z])(?:vx|wx|wechat|weixin|QQ|tg|telegram|tel|phone|mobile|mob|line|whatsapp)"
        r"\s?(?:id|no\.?|number)?\s?[:#]\s?" + _ID,
        _I,
    ),
    re.compile(r"(?<![A-Za-z])QQ\s?(?P<id>\d{5,12})(?![0-9])", _I),
]
_MASKED_PHONE = re.compile(r"(?<![0-9])\d{3}[*×xX]{3,6}\d{3,4}(?![0-9])")
_TAIL_DIGITS = re.compile(
    r"(?P<label>尾号|末四位|后四位|末尾)\s?[:是为]?\s?(?P<id>[0-9*]{3,4})(?![0-9])"
)
# Numerals in Chinese, plain or financial (大写), alone or mixed with digits
# (``139四八七七2345``): a run of eight or more with at least one Chinese numeral.
_NUMERAL = "0-9〇零一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖"
_CHINESE_DIGITS = re.compile(
    rf"(?=[0-9\s-]*[〇零一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖])"
    rf"[{_NUMERAL}](?:[{_NUMERAL}]|[\s-](?=[{_NUMERAL}])){{6,}}[{_NUMERAL}]"
)


def redact_for_unit(text: str, reporter: Reporter | None = None) -> str:
    """``text`` as a unit may read it: no quoted mail, no signature, nothing that names the reporter.

    :param reporter: the identifiers of the supervisor behind the issue; without it only
        the generic patterns (phones, addresses, accounts, ID numbers) apply.
    """
    if not text:
        return text
    redacted = FoldedText(cut_quoted_and_signature(text))
    if reporter is not None:
        for pattern in _reporter_patterns(reporter):
            redacted.sub(pattern, REPORTER)
    redacted.sub(_EMAIL, EMAIL_HIDDEN)
    redacted.sub(_TELEGRAM_LINK, ACCOUNT_HIDDEN)
    redacted.sub(_HANDLE, ACCOUNT_HIDDEN)
    redacted.sub(ID_NUMBER, ID_HIDDEN)
    redacted.sub(_MASKED_PHONE, PHONE_HIDDEN)
    redacted.sub(MOBILE, PHONE_HIDDEN)
    redacted.sub(LANDLINE, PHONE_HIDDEN)
    redacted.sub(_TAIL_DIGITS, HIDDEN, group="id")
    for pattern in _LABELLED:
        redacted.sub(pattern, HIDDEN, group="id")
    redacted.sub(_CHINESE_DIGITS, PHONE_HIDDEN)
    return redacted.text

"""The rules of a Chinese text message, as pure functions: numbers, parameters, quiet hours.

Tencent Cloud's review standards for body templates (正文模板审核标准) say: a message,
signature and parameters included, is at most 500 characters, every character (Chinese,
letter, digit, punctuation, space) counting one; 【】 are not allowed (they would be taken
for the signature); a parameter may not be a link; a verification-code template's
parameter is 0 to 6 digits; and for an account certified as a person each parameter is at
most 12 characters (an organisation's has no such limit, so the limit is a setting).
An identifier (an issue's number, a date, a code) is never cut: a message that cannot
carry it whole is refused; free text (a reason, a unit's name) is cut with "…".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

import attrs

from supervision_core import SHANGHAI

__all__ = [
    "EXACT",
    "MAX_MESSAGE",
    "QuietHours",
    "mobile_number",
    "template_params",
]

#: The longest message, signature and parameters included (characters).
MAX_MESSAGE = 500
#: Fields that are identifiers: sent whole or not at all.
EXACT = frozenset({"number", "code", "minutes", "due_on", "previous_due_on", "late_days", "period"})
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_FOLD = str.maketrans("０１２３４５６７８９＋", "0123456789+")


def mobile_number(value: str) -> str | None:
    """``value`` as an E.164 mainland mobile number (``+8613904772345``), or ``None``.

    Separators, a full-width spelling and a country code (``+86``, ``0086``, ``86``) are
    accepted; a landline or a number abroad is not a number a domestic message reaches.
    """
    digits = "".join(ch for ch in value.translate(_FOLD) if ch.isdigit())
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return f"+86{digits}" if _MOBILE.fullmatch(digits) else None


def _clean(value: str) -> str:
    value = _LINK.sub("", value)  # never a link as a parameter
    value = value.replace("【", "（").replace("】", "）")  # never taken for a signature
    return " ".join(value.split())


def _cut(value: str, limit: int) -> str:
    if limit <= 0 or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


def template_params(
    names: Sequence[str],
    fields: Mapping[str, str],
    *,
    max_length: int,
    code: str | None = None,
    code_digits: tuple[int, int] = (0, 6),
    fixed_length: int = 0,
) -> list[str]:
    """The template's parameters, in order, from a notice's ``fields``.

    Each value is cleaned (no link, no 【】, one line); free text is cut to ``max_length``
    characters with "…" (0: no limit), an identifier (:data:`EXACT`) is never cut but
    refused when longer; the longest free text is cut further so the message
    (``fixed_length``: the template's own text and the signature) stays within
    :data:`MAX_MESSAGE`. An empty free text is sent as "—" (a variable may not be empty).
    The parameter named ``code`` must be a verification code of ``code_digits`` digits.

    :raises ValueError: a field the template needs is missing, an identifier is longer
        than ``max_length``, or ``code`` is not a code (in Chinese)
    """
    missing = [n for n in names if n not in fields]
    if missing:
        msg = f"通知缺少短信模板所需的字段：{'、'.join(missing)}"
        raise ValueError(msg)
    values = [_clean(fields[n]) or ("" if n in EXACT or n == code else "—") for n in names]
    low, high = code_digits
    for index, name in enumerate(names):
        if name == code and not re.fullmatch(rf"\d{{{low},{high}}}", values[index]):
            span = f"{high} 位以内" if low == 0 else f"{low} 到 {high} 位"
            msg = f"验证码短信的参数只能是 {span}的数字"
            raise ValueError(msg)
        if name in EXACT or name == code:
            if 0 < max_length < len(values[index]):
                msg = f"短信参数 {name}（{values[index]}）超过 {max_length} 字，不能截断"
                raise ValueError(msg)
        else:
            values[index] = _cut(values[index], max_length)
    room = MAX_MESSAGE - fixed_length
    cuttable = [i for i, n in enumerate(names) if n not in EXACT and n != code]
    while sum(len(v) for v in values) > room:
        longest = max(cuttable, key=lambda i: len(values[i]), default=None)
        if longest is None or len(values[longest]) <= 1:
            msg = f"短信内容超过 {MAX_MESSAGE} 字"
            raise ValueError(msg)
        values[longest] = _cut(values[longest], len(values[longest]) - 1)
    return values


def _clock_time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError as exc:
        msg = f"时间 {text!r} 应写成 HH:MM"
        raise ValueError(msg) from exc


@attrs.frozen
class QuietHours:
    """No message from ``start`` to ``end`` (Asia/Shanghai), ``21:00``–``08:00`` by default."""

    start: dt.time = dt.time(21, 0)
    end: dt.time = dt.time(8, 0)

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """``"21:00-08:00"``; an empty string: no quiet hours.

        :raises ValueError: not two times ``HH:MM-HH:MM``, or both the same
        """
        if not text.strip():
            return None
        parts = text.replace("–", "-").split("-")
        if len(parts) != 2:
            msg = f"免打扰时段 {text!r} 应写成 HH:MM-HH:MM"
            raise ValueError(msg)
        start, end = (_clock_time(p.strip()) for p in parts)
        if start == end:
            msg = f"免打扰时段 {text!r} 的起止时间相同"
            raise ValueError(msg)
        return cls(start, end)

    def until(self, now: dt.datetime) -> dt.datetime | None:
        """When sending may resume if ``now`` (aware) is in the quiet hours, else ``None``."""
        local = now.astimezone(SHANGHAI)
        clock = local.time()
        if self.start < self.end:
            quiet = self.start <= clock < self.end
        else:  # over midnight
            quiet = clock >= self.start or clock < self.end
        if not quiet:
            return None
        day = local.date()
        if clock >= self.end:
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, self.end, tzinfo=SHANGHAI)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

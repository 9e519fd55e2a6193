"""One cell of a call log: the time of a call and the caller's number, as people write them.

Times come as spreadsheet serials, ``2026年3月1日 9时``, compact ``20260301 0930``, full-width
punctuation and more; numbers with spaces, dashes, country codes and extension notes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.phone import CHANNEL
from channels.phone.tabular import excel_serial_to_datetime
from supervision_core import (
    SHANGHAI,
    ContactKind,
    normalize_identity,
)

__all__ = ["CHANNEL", "HEAD_ROWS", "parse_phone", "parse_time"]

HEAD_ROWS = 15  # rows searched for the header, below any title rows

_FULLWIDTH = str.maketrans("：／－．　", ":/-. ")
_CN_DATE = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(上午|下午|晚上|凌晨)?\s*(\d{1,2})\s*[:时点]\s*(\d{1,2})?\s*分?"
    r"(?:\s*[:]?\s*(\d{1,2})\s*秒?)?)?\s*$"
)
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:\s*(\d{2}):?(\d{2})(?::?(\d{2}))?)?\s*$")


def parse_time(
    value: Any, formats: tuple[str, ...] = (), *, clock: Any = None
) -> dt.datetime | None:
    """A call's time, aware in Asia/Shanghai, from what a spreadsheet holds.

    Takes datetimes and dates (XLSX), Excel serial numbers, ``2026-03-05 14:30``,
    ``2026/3/5``, ``2026年3月5日 14时30分``, ``2026.3.5 下午2:30``, ``20260305``, and
    ``formats`` (``strptime``) first. ``clock`` is a separate time-of-day cell.
    Returns ``None`` for an empty cell; raises ``ValueError`` saying what it saw.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    moment: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _serial(float(value))
    else:
        text = unicodedata.normalize("NFKC", str(value)).translate(_FULLWIDTH).strip()
        for fmt in formats:
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = _chinese_time(text)
            except ValueError as exc:  # 2026-13-01: the shape of a date, not a date
                msg = f"无法识别的时间：{value!r}（{exc}）"
                raise ValueError(msg) from exc
    if moment is None:
        msg = f"无法识别的时间：{value!r}"
        raise ValueError(msg)
    if clock is not None and moment.time() == dt.time():
        extra = _clock(clock)
        if extra is not None:
            moment = dt.datetime.combine(moment.date(), extra)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    if not 1990 <= moment.year <= 2100:
        msg = f"时间超出合理范围：{value!r}"
        raise ValueError(msg)
    return moment


def _serial(value: float) -> dt.datetime:
    if not 1 <= value < 2958466:
        msg = f"不是有效的 Excel 日期序号：{value!r}"
        raise ValueError(msg)
    return excel_serial_to_datetime(value).replace(microsecond=0)


def _chinese_time(text: str) -> dt.datetime | None:
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if 20000 < number < 80000:  # an Excel serial that came through as text
            return _serial(number)
    m = _CN_DATE.match(text) or None
    if m:
        year, month, day, half, hour, minute, second = m.groups()
        h = int(hour or 0)
        if half in ("下午", "晚上") and h < 12:
            h += 12
        elif half == "凌晨" and h == 12:
            h = 0
        return dt.datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0))
    c = _COMPACT.match(text)
    if c:
        year, month, day, hour, minute, second = c.groups()
        return dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _clock(value: Any) -> dt.time | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, float) and 0 <= value < 1:  # Excel time-of-day fraction
        seconds = round(value * 86400)
        return dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    text = unicodedata.normalize("NFKC", str(value)).translate(_FULLWIDTH).strip()
    m = re.match(
        r"^(上午|下午|晚上)?\s*(\d{1,2})\s*[:时点]\s*(\d{1,2})?\s*分?(?::(\d{1,2}))?$", text
    )
    if not m:
        msg = f"无法识别的时刻：{value!r}"
        raise ValueError(msg)
    half, hour, minute, second = m.groups()
    h = int(hour)
    if half in ("下午", "晚上") and h < 12:
        h += 12
    return dt.time(h, int(minute or 0), int(second or 0))


def parse_phone(value: Any) -> str:
    """A caller's number as stored, from what Excel made of it.

    ``13812341234.0`` (a number cell) and ``1.3812341234E+10`` come back whole;
    ``1.38123E+10`` lost digits when Excel shortened it, so it is refused with a
    note on how to export the column as text. Returns ``""`` for an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        msg = f"号码不是数字：{value!r}"
        raise ValueError(msg)
    if isinstance(value, int):
        return str(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return ""
    if isinstance(value, float) or re.fullmatch(r"[\d.]+[eE][+]?\d+|\d+\.0+", text):
        try:
            number = Decimal(text if not isinstance(value, float) else repr(value))
        except InvalidOperation as exc:
            msg = f"无法识别的号码：{value!r}"
            raise ValueError(msg) from exc
        mantissa = re.sub(r"[eE].*$", "", text).replace(".", "").lstrip("0")
        digits = str(int(number)) if number == number.to_integral_value() else ""
        if not digits or ("e" in text.lower() and len(mantissa) < len(digits)):
            msg = (
                f"号码 {text} 被 Excel 转成了科学计数法，位数已经丢失；请把该列设为“文本”后重新导出"
            )
            raise ValueError(msg)
        return digits
    phone = normalize_identity(ContactKind.PHONE, text)
    if not phone or len(phone) < 5 or len(phone) > 15:
        msg = f"号码位数不对：{value!r}"
        raise ValueError(msg)
    return phone

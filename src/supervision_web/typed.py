"""Numbers, ids and dates typed into forms and query strings, refused in Chinese.

A form's field that is not what it should be is an :class:`~supervision_core.InvalidInput`
(the page is shown again, 400, with the user's values kept); a query parameter that is
not is a 400 page. Nothing typed reaches the database out of its range (a 20-digit id,
the year 9999), where it would be an error of the server instead of the user's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request

from supervision_core import InvalidInput

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "MAX_ID",
    "form_date",
    "form_id",
    "form_number",
    "path_id",
    "query_date",
    "query_id",
    "refuse_nul",
    "said",
]

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def _whole(value: str | None, low: int, high: int) -> int | None:
    """``value`` as a whole number within ``low..high``; None when it is not one."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None


def form_number(value: str | None, what: str, *, low: int = 1, high: int) -> int | None:
    """A whole number typed in a form, ``None`` when left empty.

    :raises InvalidInput: anything but a whole number from ``low`` to ``high``
    """
    if not (value or "").strip():
        return None
    number = _whole(value, low, high)
    if number is None:
        raise InvalidInput(f"{what}应为 {low} 到 {high} 之间的整数：{_shown(value)}")
    return number


def form_id(value: str | None, what: str) -> int | None:
    """An id chosen in a form (a supervisor, an activity), ``None`` when none was chosen.

    :raises InvalidInput: anything but an id
    """
    if not (value or "").strip():
        return None
    number = _whole(value, 1, MAX_ID)
    if number is None:
        raise InvalidInput(f"请从列表中选择{what}")
    return number


def form_date(value: str | None, what: str) -> dt.date | None:
    """A date typed in a form (年-月-日), ``None`` when left empty.

    :raises InvalidInput: not a date, or outside the years 1900 to 2999
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what}的格式应为 年-月-日：{_shown(text)}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(f"{what}不在 {FIRST_DAY.year} 年至 {LAST_DAY.year} 年之间：{text}")
    return day


def path_id(request: Request, name: str, missing: str) -> int:
    """An id in the page's address (``/things/{name:int}``); 404 saying ``missing`` beyond any id."""
    value = request.path_params[name]
    number = value if isinstance(value, int) else _whole(str(value), 0, MAX_ID)
    if number is None or not 0 <= number <= MAX_ID:
        raise HTTPException(404, missing)
    return number


def query_id(request: Request, name: str) -> int | None:
    """An id in the query string (a page's cursor, a filter), ``None`` when absent.

    :raises HTTPException: 400 when it is not an id
    """
    value = request.query_params.get(name, "")
    if not value:
        return None
    number = _whole(value, 0, MAX_ID)
    if number is None:
        raise HTTPException(400, f"链接中的参数 {name} 应为整数编号：{_shown(value)}")
    return number


def query_date(request: Request, name: str) -> dt.date | None:
    """A date in the query string, ``None`` when absent.

    :raises HTTPException: 400 when it is not a date from 1900 to 2999
    """
    try:
        return form_date(request.query_params.get(name), f"链接中的参数 {name} ")
    except InvalidInput as exc:
        raise HTTPException(400, str(exc)) from None


def refuse_nul(fields: Mapping[str, str]) -> None:
    """Refuse a form whose text holds a NUL character, which no database stores.

    :raises InvalidInput: saying so
    """
    if any("\x00" in value for value in fields.values()):
        raise InvalidInput("填写的内容中含有空字符（\\0），无法保存，请删除后重试")


def said(error: Exception) -> str:
    """An error's message for the page: the library's own Chinese words, never Python's.

    A message with no Chinese in it (``invalid literal for int()``) gives way to a
    plain sentence asking to check what was typed.
    """
    text = str(error)
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        return text
    return "填写的内容有误，请检查后重新提交。"


def _shown(value: str | None) -> str:
    """What was typed, short and printable, to quote in a message."""
    text = "".join(c if c.isprintable() else "?" for c in (value or "").strip())
    return text if len(text) <= 20 else text[:20] + "…"

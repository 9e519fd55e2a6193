"""The checks a report form's fields share, wherever the form is served.

The walk-in desk's form (``channels.walk_in``) and the supervisor's own form (``/me``)
ask for the same things: a description and a venue of bounded length, the hints chosen
from lists (topic, stage, problem type, method), and files whose names are shown back.
Their checks, and the Chinese they refuse in, are these; each form keeps its own rules
for what only it asks (who reported, a letter's date, which photos).
"""

from __future__ import annotations

import enum
import unicodedata
from typing import Any

__all__ = [
    "MAX_SHORT_TEXT",
    "MAX_TEXT",
    "clean_filename",
    "field_choice",
    "field_text_error",
]

#: The longest description (characters).
MAX_TEXT = 5000
#: The longest short text: a venue, a name (characters).
MAX_SHORT_TEXT = 200


def field_text_error(value: str, *, required: bool, limit: int) -> str | None:
    """Why a typed text cannot be kept (empty when required, a NUL, too long), or ``None``."""
    if required and not value.strip():
        return "此项必填"
    if "\x00" in value:
        return "含有空字符（\\0），无法保存，请删除后重试"
    if len(value) > limit:
        return f"不能超过 {limit} 个字符（现有 {len(value)} 个）"
    return None


def field_choice(kind: type[enum.StrEnum], value: str, errors: dict[str, str], field: str) -> Any:
    """The member of ``kind`` chosen in ``field`` (``None`` if none), else an error noted."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        errors[field] = "请从列表中选择"
        return None


def clean_filename(name: str, *, fallback: str) -> str:
    """An uploaded file's name as shown and stored: no path, no control characters.

    :param fallback: the name given when nothing is left (e.g. 附件, 照片)
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return base[:200] or fallback

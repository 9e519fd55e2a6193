"""How ``supdesk`` answers: aligned Chinese text for people, JSON for scripts, one line on error."""

from __future__ import annotations

import datetime as dt
import enum
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import attrs
import click

from supervision_core.cli.context import State

__all__ = ["emit", "fail", "pad", "show", "to_json", "width", "with_files"]


def width(text: str) -> int:
    """The terminal columns ``text`` takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` left-aligned in ``columns`` terminal columns (CJK characters take two)."""
    return text + " " * max(columns - width(text), 0)


def fail(message: str) -> NoReturn:
    """Print ``错误：message`` on stderr and exit with status 1."""
    click.echo(f"错误：{message}", err=True)
    sys.exit(1)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def to_json(value: Any) -> Any:
    """``value`` (attrs values, mappings, lists, enums, dates) as JSON-ready data."""
    if attrs.has(type(value)):
        return {k: to_json(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if hasattr(value, "items"):
        return {str(k): to_json(v) for k, v in value.items()}
    return _plain(value)


def _masked(value: Any) -> Any:
    from supervision_core.rules.masking import mask_personal_data

    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def emit(data: Any) -> None:
    """Print ``data`` (attrs values, lists, dicts, dates) as the JSON ``--json`` promises.

    Every phone number and ID number in it is masked, wherever it is (a text, a
    sender, a note, an address): the JSON shows no more than the text output.
    """
    import json  # for --json only, not with every `supdesk` start

    click.echo(json.dumps(_masked(to_json(data)), ensure_ascii=False, indent=2))


def show(state: State, data: Any, human: Callable[[], None]) -> None:
    """``data`` as JSON if the command was asked for ``--json``; else call ``human``."""
    if state.json:
        emit(data)
    else:
        human()


def with_files(data: Any, files: Sequence[Path]) -> Any:
    """``data`` for ``--json``, with ``"files"``: the full paths of the files a command wrote.

    ``data`` as it is when the command wrote none, so its JSON keeps its shape.
    """
    if not files:
        return data
    return {**to_json(data), "files": [str(Path(f).resolve()) for f in files]}

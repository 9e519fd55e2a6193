"""The walk-in and letter channel as registered (no daemon job: the web desk serves it)."""

from __future__ import annotations

import attrs

__all__ = ["CHANNEL", "WalkInChannel"]

CHANNEL = "walk_in"


@attrs.frozen
class WalkInChannel:
    """The channel as registered: its name and label."""

    name: str = CHANNEL
    label: str = "来访来信（前台录入）"

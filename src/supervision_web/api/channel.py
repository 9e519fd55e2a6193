"""The Open311 channel's registration: light, so opening a ledger loads no web library."""

from __future__ import annotations

__all__ = ["CHANNEL", "Open311Channel"]

CHANNEL = "open311"


class Open311Channel:
    """The Open311 channel: reports other systems file through GeoReport v2."""

    name = CHANNEL
    label = "Open311 接口"

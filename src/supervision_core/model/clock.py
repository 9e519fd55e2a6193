"""Time: stored timezone-aware in UTC, shown and counted in the center's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "local_date", "now_utc", "to_local"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_utc() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def to_local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Asia/Shanghai; a naive value is refused rather than guessed."""
    if moment.tzinfo is None:
        msg = f"时间缺少时区：{moment.isoformat()}"
        raise ValueError(msg)
    return moment.astimezone(SHANGHAI)


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Asia/Shanghai on which ``moment`` falls."""
    return to_local(moment).date()

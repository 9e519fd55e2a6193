"""How many messages each number was sent today: the daily cap.

Kept in the process by default (the daemon delivers in one process), or in a small JSON
file shared by every process that sends (``counter_file``), locked while it is read and
written. Only today's counts are kept.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import threading
from pathlib import Path

__all__ = ["DailyCounter"]

_LOCK = threading.Lock()
_MEMORY: dict[str, dict[str, int]] = {}  # date -> number -> count, for counters without a file


class DailyCounter:
    """Counts of messages sent per number on one day; ``path`` or the process's memory."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def count(self, day: dt.date, number: str) -> int:
        """How many messages went to ``number`` on ``day``."""
        return self._update(day, number, 0)

    def add(self, day: dt.date, number: str, n: int = 1) -> int:
        """Count ``n`` more messages to ``number`` on ``day``; the new count."""
        return self._update(day, number, n)

    def _update(self, day: dt.date, number: str, n: int) -> int:
        key = day.isoformat()
        with _LOCK:
            if self.path is None:
                for old in [d for d in _MEMORY if d != key]:
                    del _MEMORY[old]
                counts = _MEMORY.setdefault(key, {})
                counts[number] = counts.get(number, 0) + n
                return counts[number]
            return self._update_file(key, number, n)

    def _update_file(self, key: str, number: str, n: int) -> int:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            text = handle.read()
            try:
                data = json.loads(text) if text.strip() else {}
            except json.JSONDecodeError:
                data = {}  # a damaged file counts from zero rather than stopping every message
            counts = data.get(key, {}) if isinstance(data, dict) else {}
            counts[number] = int(counts.get(number, 0)) + n
            if n:
                handle.seek(0)
                handle.truncate()
                json.dump({key: counts}, handle)
            return int(counts[number])

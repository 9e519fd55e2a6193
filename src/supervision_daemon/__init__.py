"""The intake daemon: every enabled channel, notices, and the routine, in one process.

``supdesk daemon`` runs :class:`Daemon`: the web desk (with the routes plugins register:
the walk-in form, the Telegram webhook; and ``/healthz``, ``/metrics``), every job that the
registered channels enabled in ``supdesk.toml`` declare (IMAP mailboxes, the LMTP
receiver, Telegram long polling, a watched folder of hotline exports, a township's own
channel), outbox delivery and the routine (催办 before a deadline, 督办 after it), each supervised: a job
that fails is retried with backoff and reported, never stopping the others. The daemon
imports no channel: it finds them through the plugin hooks. SIGTERM (or Ctrl+C) finishes what is
in flight and stops cleanly.

Several daemons may share one PostgreSQL database: outbox rows are claimed with
``FOR UPDATE SKIP LOCKED``, routine notices are written once under their keys, and a
job that must have a single reader (an IMAP folder, Telegram polling, a watched folder)
is held through a lease that another daemon takes over when the holder stops renewing.

Names are imported on first use (PEP 562), so that ``supdesk --help`` does not load
the daemon and every channel to learn that a ``daemon`` command exists.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .daemon import Daemon, DaemonOptions, JsonLogFormatter, metrics_text

__all__ = ["Daemon", "DaemonOptions", "JsonLogFormatter", "metrics_text"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(".daemon", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

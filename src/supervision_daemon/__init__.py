"""The intake daemon: every enabled channel, notices, and the routine, in one process.

``supdesk daemon`` runs :class:`Daemon`: the web desk (with the routes plugins register:
the walk-in form, the Telegram webhook; and ``/healthz``, ``/metrics``), every job that the
registered channels enabled in ``supdesk.toml`` declare (IMAP mailboxes, the LMTP
receiver, Telegram long polling, a watched folder of hotline exports, a township's own
channel), outbox delivery and the routine (reminders, 催办, 督办), each supervised: a job
that fails is retried with backoff and reported, never stopping the others. The daemon
imports no channel: it finds them through the plugin hooks. SIGTERM (or Ctrl+C) finishes what is
in flight and stops cleanly.

Several daemons may share one PostgreSQL database: outbox rows are claimed with
``FOR UPDATE SKIP LOCKED``, routine notices are written once under their keys, and a
job that must have a single reader (an IMAP folder, Telegram polling, a watched folder)
is held through a lease that another daemon takes over when the holder stops renewing.
"""

from .daemon import Daemon, DaemonOptions, JsonLogFormatter, metrics_text

__all__ = ["Daemon", "DaemonOptions", "JsonLogFormatter", "metrics_text"]

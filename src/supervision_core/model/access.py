"""The access log (查阅记录): who saw a supervisor's personal data, when, where and why."""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["AccessEntry"]


@attrs.frozen(kw_only=True)
class AccessEntry:
    """One view or export of one supervisor's personal data.

    ``user`` is the staff account (``banner-desk``) or the command line's actor
    (``cli:operator``); ``action`` what was done (``view_supervisor``, ``export_ledger``
    ...); ``purpose`` the page or the command it was done by (``网页 /console/supervisors/3``,
    ``命令 supdesk supervisors show 3``). ``supervisor_id`` and ``center`` are ``None``
    on entries written before they were recorded.
    """

    id: int
    at: dt.datetime
    user: str
    action: str
    target: str
    supervisor_id: int | None = None
    center: str | None = None
    purpose: str | None = None

"""The access log (``/console/access-log``, 查阅记录): who saw the center's supervisors' data.

A center's staff (and its auditors) see the views of their own center's supervisors,
whoever made them; the banner center's see all, entries that name no center too.
Filtered by user, supervisor and days (bookmarkable query parameters); newest first,
at most :data:`LIMIT` entries. A filter typed wrong is a 400 that says which, in
Chinese, with the form as it was typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from supervision_core import ACCESS_ACTIONS, AccessEntry, InvalidInput, to_local

from ..app import desk_of, render, require_user
from ..typed import form_date, form_id, said
from .access import centers_of, require_staff

__all__ = ["LIMIT", "console_access_log"]

LIMIT = 200  # entries on the page
_FIELDS = ("user", "supervisor", "since", "until")


async def console_access_log(request: Request) -> Response:
    """Entries of the access log for the supervisors of the user's centers, filtered."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    typed = {name: request.query_params.get(name, "") for name in _FIELDS}
    message, status = None, 200
    try:
        filters: dict[str, Any] = {
            "user": typed["user"].strip() or None,
            "supervisor": form_id(typed["supervisor"], "监督员编号"),
            "since": form_date(typed["since"], "起始日期"),
            "until": form_date(typed["until"], "截止日期"),
        }
    except InvalidInput as e:
        message, status, filters = said(e), 400, {}

    def load() -> tuple[list[AccessEntry], dict[str, str]]:
        ledger = desk.ledger
        everyone = [c.code for c in ledger.centers()]
        names = {c.code: c.name for c in ledger.centers()}
        if message is not None:
            return [], names
        centers = centers_of(ledger, user)
        # The banner center sees every entry, those written before they named a center too.
        seen = None if set(centers) >= set(everyone) else centers
        return ledger.access_log(centers=seen, limit=LIMIT, **filters), names

    try:
        entries, names = await desk.call(load)
    except InvalidInput as e:  # the last day before the first
        message, status = said(e), 400
        entries, names = [], {}
    rows = [(_when(e.at), ACCESS_ACTIONS.get(e.action, e.action), e) for e in entries]
    context = {
        "rows": rows,
        "centers": names,
        "typed": typed,
        "message": message,
        "limit": LIMIT,
    }
    return render(request, "console/access_log.html", context, status_code=status)


def _when(at: dt.datetime) -> str:
    return to_local(at).strftime("%Y-%m-%d %H:%M:%S")

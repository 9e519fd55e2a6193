"""The queue (``/console``): a center's issues by view, searchable, a page at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from supervision_core import OPEN_STATES, IssueState, ProblemType

from ..app import desk_of, render, require_user
from ..typed import query_date, query_id
from .access import PAGE, centers_of, require_staff

__all__ = ["console_queue"]

_VIEWS = {
    "screen": "待审查",
    "open": "办理中",
    "due": "即将到期",
    "overdue": "已逾期",
    "all": "全部",
}


async def console_queue(request: Request) -> Response:
    """The queue: issues of the user's centers by view, searchable, a page at a time."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    view = request.query_params.get("view", "screen")
    view = view if view in _VIEWS else "screen"
    query = request.query_params.get("q", "").strip()
    after = query_id(request, "after")

    filters = _filters(request)

    def load() -> Any:
        ledger = desk.ledger
        centers = centers_of(ledger, user)
        vocabulary = ledger.vocabulary()
        wanted = _by_name(vocabulary.find_center, request.query_params.get("center"))
        if wanted is not None and wanted not in centers:
            raise HTTPException(403, "您无权查看其他中心的问题。")
        if "unit" in filters and not any(filters["unit"] in u for u in vocabulary.units.values()):
            filters["unit"] = _by_name(vocabulary.find_unit, filters["unit"])
        rows = []
        for center in [wanted] if wanted else centers:
            kwargs: dict[str, Any] = {
                "center": center,
                "limit": PAGE,
                "after": after,
                **filters,
            }
            if view == "screen":
                kwargs["state"] = IssueState.RECEIVED
            elif view == "due":
                kwargs["due_within"] = ledger.limits.reminder_before
            elif view == "overdue":
                kwargs["overdue"] = True
            rows += ledger.issues(**kwargs)
        if view == "open":
            rows = [r for r in rows if r.state in {s.value for s in OPEN_STATES}]
        if query:
            by_number = [r for r in rows if query in r.number]
            rows = by_number or [
                r
                for center in ([wanted] if wanted else centers)
                for r in ledger.issues(center=center, text=query, limit=PAGE, **filters)
            ]
        rows.sort(key=lambda r: r.id)
        rows = rows[:PAGE]
        # The screening checks' advice, next to each report waiting for screening.
        advice = {r.id: ledger.proposals(r.id) for r in rows if view == "screen"}
        return rows, ledger.today(), advice, vocabulary

    rows, today, advice, vocabulary = await desk.call(load)
    context = {
        "rows": rows,
        "advice": advice,
        "filters": {
            k: request.query_params.get(k, "") for k in ("supervisor", "unit", "from", "to")
        },
        "view": view,
        "views": _VIEWS,
        "q": query,
        "today": today,
        "states": {s.value: s.label for s in IssueState},
        "problem_types": {p.value: p.label for p in ProblemType},
        "vocab": vocabulary,
        "next_after": rows[-1].id if len(rows) == PAGE else None,
    }
    return render(request, "console/queue.html", context)


def _by_name(find: Callable[[str], str], text: str | None) -> str | None:
    """The code of a center or unit written by its code or its Chinese name; 400 if none."""
    if not text or not text.strip():
        return None
    try:
        return find(text)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc


def _filters(request: Request) -> dict[str, Any]:
    """The queue's optional filters from the query string (bookmarkable).

    An empty one is no filter; a malformed one (a supervisor's number that is not a
    number, a date that is not one) is a 400 that says which.
    """
    q = request.query_params
    found: dict[str, Any] = {}
    supervisor = query_id(request, "supervisor")
    if supervisor is not None:
        found["supervisor"] = supervisor
    if q.get("unit"):
        found["unit"] = q["unit"]
    for key, name in (("from", "received_from"), ("to", "received_to")):
        day = query_date(request, key)
        if day is not None:
            found[name] = day
    return found

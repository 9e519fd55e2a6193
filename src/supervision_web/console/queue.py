"""The queue (``/console``): a center's issues by view, searchable, a page at a time."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from supervision_core import (
    OPEN_STATES,
    IssueState,
    IssueSummary,
    ProblemType,
    StaffUser,
    Vocabulary,
)

from ..app import call_as_user, desk_of, render
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

_STATES = {s.value: s.label for s in IssueState}
_OPEN = frozenset(s.value for s in OPEN_STATES)
_PROBLEM_TYPES = {p.value: p.label for p in ProblemType}


async def console_queue(request: Request) -> Response:
    """The queue: issues of the user's centers by view, searchable, a page at a time."""
    desk = desk_of(request)
    view = request.query_params.get("view", "screen")
    view = view if view in _VIEWS else "screen"
    query = request.query_params.get("q", "").strip()

    def load(user: StaffUser) -> Any:
        try:
            return find(user)
        except HTTPException as refused:  # shown after the user is known (the menu)
            return refused

    def find(user: StaffUser) -> Any:
        require_staff(user)
        after = query_id(request, "after")
        filters = _filters(request)
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
            rows = [r for r in rows if r.state in _OPEN]
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

    # The user, the page's rows and the menu's counts in one trip to a worker thread.
    found = await call_as_user(request, load)
    if isinstance(found, HTTPException):
        raise found
    rows, today, advice, vocabulary = found
    context = {
        "rows": rows,
        "lines": _lines(rows, today, vocabulary),
        "advice": advice,
        "filters": {
            k: request.query_params.get(k, "") for k in ("supervisor", "unit", "from", "to")
        },
        "view": view,
        "views": _VIEWS,
        "q": query,
        "today": today,
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


def _lines(rows: list[IssueSummary], today: dt.date, vocabulary: Vocabulary) -> list[Markup]:
    """Each row of the table up to its advice cell, as HTML, every value escaped.

    Written here, not by the template: fifty rows cost more in the template's
    look-ups, calls and escapes than the query that found them (bench/bench_console.py).
    """
    lines = []
    for r in rows:
        due = r.due_on
        late = due is not None and due < today and r.state in _OPEN
        css = "overdue" if late else "due" if due is not None and due == today else ""
        problem = _PROBLEM_TYPES.get(r.problem_type, r.problem_type) if r.problem_type else None
        number = escape(r.number)
        lines.append(
            Markup(
                f'<tr class="{css}">\n'
                f'    <td data-label="编号"><a href="/console/issues/{number}">{number}</a></td>\n'
                f'    <td data-label="状态">{_escaped(_STATES[r.state])}</td>\n'
                f'    <td data-label="期限">{escape(due or "—")}'
                f"{_LATE if late else ''}</td>\n"
                f'    <td data-label="承办单位">{_escaped(vocabulary.unit(r.unit, r.center))}</td>\n'
                f'    <td data-label="问题类型">{_escaped(problem or "—")}</td>\n'
                "    "
            )
        )
    return lines


_LATE = ' <strong class="late">逾期</strong>'


@functools.lru_cache(maxsize=1024)
def _escaped(label: str) -> str:
    """A name that many rows share (a state, a unit, a problem type), escaped once."""
    return str(escape(label))


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

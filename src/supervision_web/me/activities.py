"""The pages of ``/me`` for the center's activities (培训、座谈、集中体验……): see them, sign up.

A supervisor sees the activities their own center announced and has not cancelled,
soonest first, and signs up or withdraws until the sign-up deadline: plain forms with
the CSRF token, that work without JavaScript; sending one again changes nothing. Another
center's activity is "not found" (404). Signing up is not attending: the center records
attendance after the activity, and only that shows in "my year".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

import supervision_web as web
from supervision_core import (
    Activity,
    InvalidInput,
    InvalidTransition,
    Ledger,
    NotFound,
    Supervisor,
)

from .auth import signed_in

__all__ = ["activities", "activity", "upcoming"]

_DONE = {"signed_up": "已报名，请按时参加。", "withdrawn": "已取消报名。"}


def _row(a: Activity, supervisor: Supervisor, ledger: Ledger) -> dict[str, Any]:
    attendance = dict(a.attendance).get(supervisor.id)
    return {
        "a": a,
        "mine": supervisor.id in a.signed_up,
        "open": a.signup_open(ledger.clock()),
        "attendance": attendance,
    }


def upcoming(
    ledger: Ledger, supervisor: Supervisor, limit: int | None = None
) -> list[dict[str, Any]]:
    """The supervisor's center's coming activities, each with whether they signed up."""
    found = ledger.supervisor_activities(supervisor.id, limit=limit)
    return [_row(a, supervisor, ledger) for a in found]


@signed_in
async def activities(request: Request, supervisor: Supervisor) -> Response:
    """My center's coming activities: what, when, where, places left, whether I signed up."""
    desk = web.desk_of(request)
    rows = await desk.call(upcoming, desk.ledger, supervisor)
    return web.render(request, "me/activities.html", {"me": supervisor, "rows": rows})


def _mine(ledger: Ledger, supervisor: Supervisor, activity_id: int) -> Activity:
    try:
        return ledger.supervisor_activity(activity_id, supervisor.id)
    except NotFound:
        raise HTTPException(404, "没有这项活动。") from None


@signed_in
async def activity(request: Request, supervisor: Supervisor) -> Response:
    """One activity: its details and places; sign up, or withdraw, before the deadline."""
    desk = web.desk_of(request)
    activity_id = web.path_id(request, "activity_id", "没有这项活动。")
    message: str | None = None
    status = 200
    if request.method == "POST":
        typed = await web.posted_fields(request)
        action = typed.get("action")

        def act() -> str:
            _mine(desk.ledger, supervisor, activity_id)
            if action == "sign_up":
                desk.ledger.sign_up_for_activity(activity_id, supervisor.id)
                return "signed_up"
            if action == "withdraw":
                desk.ledger.withdraw_from_activity(activity_id, supervisor.id)
                return "withdrawn"
            raise InvalidInput("未知的操作")

        try:
            done = await desk.call(act)
        except (InvalidInput, InvalidTransition) as e:
            message, status = str(e), 400
        else:
            return RedirectResponse(
                f"/me/activities/{activity_id}?done={quote(done)}", status_code=303
            )

    def load() -> dict[str, Any]:
        a = _mine(desk.ledger, supervisor, activity_id)
        return _row(a, supervisor, desk.ledger) | {"center_name": desk.ledger.center(a.center).name}

    context = await desk.call(load)
    done = request.query_params.get("done", "") if status == 200 else ""
    context |= {"me": supervisor, "message": message, "done": _DONE.get(done, "")}
    return web.render(request, "me/activity.html", context, status_code=status)

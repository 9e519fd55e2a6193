"""The unit's own portal (``/unit``): only the issues dispatched to it, never the supervisor."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from supervision_core import (
    InvalidInput,
    InvalidTransition,
    Issue,
    IssueState,
    NotFound,
    RectificationTrack,
)

from ..app import desk_of, posted_fields, render, require_user
from ..typed import said
from .access import require_unit, unit_issue_of, unit_issues
from .steps import act_as_unit

__all__ = ["unit_issue", "unit_notice", "unit_portal"]


async def unit_portal(request: Request) -> Response:
    """The issues dispatched to the user's unit."""
    user = await require_user(request)
    unit = require_unit(user)
    desk = desk_of(request)

    def load() -> Any:
        rows = unit_issues(desk.ledger, user, unit)
        return [desk.ledger.unit_view(r.id) for r in rows[-200:]]

    views = await desk.call(load)
    return render(
        request,
        "console/unit.html",
        {"views": views, "states": {s.value: s.label for s in IssueState}},
    )


async def unit_issue(request: Request) -> Response:
    """One dispatched issue as the unit sees it; the unit records its work here."""
    user = await require_user(request)
    require_unit(user)
    desk = desk_of(request)
    number = request.path_params["number"]
    message, status = None, 200
    typed: dict[str, str] = {}

    def check() -> Issue:
        return unit_issue_of(desk.ledger, user, number)

    if request.method == "POST":
        fields = await posted_fields(request)
        if fields.get("action") not in ("plan", "progress", "complete", "explain", "object"):
            raise HTTPException(
                403, "承办单位只能确定整改方式、报送进展、完成整改、作出说明或提出异议。"
            )

        def act() -> None:
            check()
            act_as_unit(desk.ledger, user, number, fields)

        try:
            await desk.call(act)
            return RedirectResponse(f"/unit/issues/{number}", status_code=303)
        except (InvalidInput, InvalidTransition, NotFound, ValueError) as e:
            message, status, typed = said(e), 400, fields

    def load() -> Any:
        check()
        return desk.ledger.unit_view(number)

    view = await desk.call(load)
    context = {
        "view": view,
        "tracks": list(RectificationTrack),
        "message": message,
        "typed": typed,
    }
    return render(request, "console/unit_issue.html", context, status_code=status)


async def unit_notice(request: Request) -> Response:
    """The unit's copy of a dispatched issue (派单通知) as a download, from its own view."""
    from supervision_core import unit_copy

    user = await require_user(request)
    unit = require_unit(user)
    desk = desk_of(request)
    number = request.path_params["number"]

    def load() -> str:
        issue = unit_issue_of(desk.ledger, user, number)
        center = desk.ledger.center(issue.center)
        # The unit's own name: a banner-level unit may work a township's issue.
        names = {u.code: u.name for u in desk.ledger.units(user.center)}
        return unit_copy(
            desk.ledger.unit_view(number), center_name=center.name, unit_name=names.get(unit)
        )

    text = await desk.call(load)
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(number)}.md"},
    )

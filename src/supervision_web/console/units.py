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

__all__ = ["unit_file", "unit_issue", "unit_notice", "unit_portal"]


async def unit_portal(request: Request) -> Response:
    """The issues dispatched to the user's unit."""
    user = await require_user(request)
    unit = require_unit(user)
    desk = desk_of(request)

    def load() -> Any:
        rows = unit_issues(desk.ledger, user, unit)
        return desk.ledger.unit_views([r.id for r in rows[-200:]])

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


_NOTICE_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _download(content: bytes, media_type: str, filename: str, *, inline: bool = False) -> Response:
    # The sandbox keeps a file that pretends to be something else from running as this site.
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        media_type=media_type,
        headers={
            "content-disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": "private, no-store",
        },
    )


async def unit_notice(request: Request) -> Response:
    """The unit's 派单通知 to print (PDF) or edit (DOCX), from its own redacted view."""
    from supervision_core import dispatch_notice_docx, dispatch_notice_pdf

    user = await require_user(request)
    unit = require_unit(user)
    desk = desk_of(request)
    number, fmt = request.path_params["number"], request.path_params["fmt"]
    if fmt not in _NOTICE_TYPES:
        raise HTTPException(404, "派单通知只提供 PDF 和 Word（DOCX）两种格式。")

    def load() -> bytes:
        issue = unit_issue_of(desk.ledger, user, number)
        center = desk.ledger.center(issue.center)
        # The unit's own name: a banner-level unit may work a township's issue.
        names = {u.code: u.name for u in desk.ledger.units(user.center)}
        view = desk.ledger.unit_view(number)
        write = dispatch_notice_pdf if fmt == "pdf" else dispatch_notice_docx
        return write(
            view, center_name=center.name, unit_name=names.get(unit), on=desk.ledger.today()
        )

    content = await desk.call(load)
    return _download(content, _NOTICE_TYPES[fmt], f"派单通知-{number}.{fmt}")


async def unit_file(request: Request) -> Response:
    """A photo or PDF of the unit's issue: renamed, and made anew without its metadata."""
    user = await require_user(request)
    require_unit(user)
    desk = desk_of(request)
    number, file_number = request.path_params["number"], request.path_params["file"]

    def load() -> Any:
        unit_issue_of(desk.ledger, user, number)
        return desk.ledger.unit_file(number, file_number)

    try:
        listed, content = await desk.call(load)
    except NotFound:
        raise HTTPException(404, "没有这个附件。") from None
    except InvalidInput as e:
        raise HTTPException(403, str(e)) from None
    inline = listed.content_type.startswith("image/")
    return _download(content, listed.content_type, listed.filename, inline=inline)

"""The documents library (``/console/library``, 资料库): what a center publishes to supervisors.

Staff publish their center's rules, service guides and forms (PDF, Word, PNG, JPEG,
recognised by the content) and withdraw them; the banner center's documents reach every
center's supervisors. The list shows each document's downloads (from the access log).
Staff open a document at ``/console/library/{id}`` (always as a download, never rendered
by the browser as this site). Auditors only read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from supervision_core import (
    MAX_DOCUMENT_BYTES,
    DocumentCategory,
    InvalidInput,
    NotFound,
    Role,
    can_see_center,
)

from ..app import desk_of, form_or_400, render, require_csrf, require_user
from ..typed import form_id, path_id, refuse_nul, said
from .access import centers_of, require_staff

__all__ = ["console_document", "console_library"]


async def console_library(request: Request) -> Response:
    """The documents of the user's centers; staff publish and withdraw their center's."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    message, status = None, 200
    typed: dict[str, str] = {}
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        form = await form_or_400(request)
        require_csrf(request, form)
        typed = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        upload = form.get("file")
        content, filename, declared = b"", "", None
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(MAX_DOCUMENT_BYTES + 1)
            filename, declared = upload.filename, upload.content_type

        def act() -> str:
            refuse_nul(typed)
            ledger = desk.ledger
            actor = f"user:{user.username}"
            if typed.get("action") == "withdraw":
                document_id = form_id(typed.get("id"), "资料")
                if document_id is None:
                    raise InvalidInput("请选择要撤回的资料")
                try:
                    document = ledger.document(document_id)
                except NotFound:
                    raise HTTPException(404, "没有这份资料。") from None
                if document.center != user.center:
                    raise HTTPException(403, "只能撤回本中心发布的资料。")
                ledger.withdraw_document(document_id, actor)
                return "withdrawn"
            if not content:
                raise InvalidInput("请选择要上传的文件")
            ledger.publish_document(
                user.center,
                typed.get("category", ""),
                typed.get("title", ""),
                filename,
                content,
                declared,
                actor,
            )
            return "published"

        try:
            done = await desk.call(act)
            return RedirectResponse(f"/console/library?done={done}", status_code=303)
        except (InvalidInput, NotFound) as e:
            message, status = said(e), 400

    def load() -> Any:
        ledger = desk.ledger
        centers = centers_of(ledger, user)
        found = [d for d in ledger.documents() if d.center in centers]
        downloads = ledger.document_downloads([d.id for d in found])
        names = {c.code: c.name for c in ledger.centers()}
        return found, downloads, names

    found, downloads, names = await desk.call(load)
    done = request.query_params.get("done")
    context = {
        "documents": found,
        "downloads": downloads,
        "centers": names,
        "categories": list(DocumentCategory),
        "own_center": names.get(user.center, user.center),
        "notice": {"published": "资料已发布。", "withdrawn": "资料已撤回。"}.get(done or ""),
        "message": message,
        "typed": typed if typed.get("action") != "withdraw" else {},
        "max_mb": MAX_DOCUMENT_BYTES // (1024 * 1024),
        "can_act": user.role is Role.STAFF,
        "user_center": user.center,
    }
    return render(request, "console/library.html", context, status_code=status)


async def console_document(request: Request) -> Response:
    """A document's file, for staff who may see its center; always downloaded."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    document_id = path_id(request, "document_id", "没有这份资料。")
    try:
        document, content = await desk.call(desk.ledger.document_content, document_id)
    except NotFound:
        raise HTTPException(404, "没有这份资料。") from None
    if not can_see_center(user, document.center):
        raise HTTPException(403, "您无权查看其他中心的资料。")
    return Response(
        content,
        media_type=document.media_type,
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
        },
    )

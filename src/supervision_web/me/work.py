"""The pages of ``/me`` for what the center gives supervisors: tasks, and the documents library.

Tasks (服务体验、明察暗访): accept or decline, then record the visit — found nothing, or
a report filed through :mod:`.pages`'s form and linked to the task. Documents: the
center's rules, service guides and forms, by category, searched by title, downloaded
(each download is in the access log). A task or document that is not the supervisor's
is "not found" (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

import supervision_web as web
from supervision_core import (
    AssignmentStatus,
    DocumentCategory,
    InvalidInput,
    InvalidTransition,
    IssueState,
    Ledger,
    NotFound,
    Supervisor,
    TaskAssignment,
)

from .auth import signed_in

__all__ = ["document", "documents", "task", "tasks"]


@signed_in
async def tasks(request: Request, supervisor: Supervisor) -> Response:
    """My tasks: open ones first, each with its place, service, days and my answer."""
    desk = web.desk_of(request)
    mine = await desk.call(desk.ledger.task_assignments, supervisor.id)
    context = {"me": supervisor, "assignments": mine, "today": desk.ledger.today()}
    return web.render(request, "me/tasks.html", context)


def _assignment(ledger: Ledger, supervisor: Supervisor, task_id: int) -> TaskAssignment:
    try:
        return ledger.task_assignment(task_id, supervisor.id)
    except NotFound:
        raise HTTPException(404, "没有这项任务。") from None


def _task_context(ledger: Ledger, supervisor: Supervisor, task_id: int) -> dict[str, Any]:
    assignment = _assignment(ledger, supervisor, task_id)
    linked = set()
    for a in ledger.task_assignments(supervisor.id):
        if a.issue_id is not None:
            linked.add(a.issue_id)
    # The reports the visit may name: my own, not linked to another task, newest first.
    candidates = [
        i
        for i in reversed(ledger.issues(supervisor=supervisor.id))
        if i.id not in linked and i.state != IssueState.MERGED.value
    ][:30]
    linked_number = None
    if assignment.issue_id is not None:
        linked_number = ledger.issue(assignment.issue_id).number
    return {
        "a": assignment,
        "t": assignment.task,
        "candidates": candidates,
        "linked_number": linked_number,
        "today": ledger.today(),
    }


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("请填写体验日期（年-月-日）") from None


@signed_in
async def task(request: Request, supervisor: Supervisor) -> Response:
    """One task: what to do; accept or decline it; record the visit."""
    desk = web.desk_of(request)
    task_id = web.path_id(request, "task_id", "没有这项任务。")
    message: str | None = None
    typed: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        typed = await web.posted_fields(request)
        action = typed.get("action")

        def act() -> str:
            _assignment(desk.ledger, supervisor, task_id)
            ledger = desk.ledger
            if action == "accept":
                ledger.respond_to_task(task_id, supervisor.id, accept=True)
                return "已接受任务。"
            if action == "decline":
                reason = typed.get("reason", "").strip()
                if not reason:
                    raise InvalidInput("谢绝任务请写明理由")
                ledger.respond_to_task(task_id, supervisor.id, accept=False, reason=reason)
                return "已谢绝任务。"
            if action == "visit":
                found = typed.get("found")
                if found not in {"nothing", "problem"}:
                    raise InvalidInput("请选择本次走访是否发现问题")
                issue_id = None
                if found == "problem":
                    number = typed.get("issue", "")
                    if not number:
                        raise InvalidInput("发现问题的，请先反映问题，再选择对应的反馈编号")
                    try:
                        issue = ledger.issue(number)
                    except NotFound:
                        raise InvalidInput("请从列表中选择您反映的问题") from None
                    if issue.supervisor_id != supervisor.id:
                        raise InvalidInput("请从列表中选择您反映的问题")
                    issue_id = issue.id
                ledger.record_task_visit(
                    task_id,
                    supervisor.id,
                    visited_on=_date(typed.get("visited_on", "")),
                    found_nothing=found == "nothing",
                    note=typed.get("note", ""),
                    issue_id=issue_id,
                )
                return "已记录本次走访，谢谢！"
            raise InvalidInput("未知的操作")

        try:
            done = await desk.call(act)
        except (InvalidInput, InvalidTransition) as e:
            message, status = str(e), 400
        else:
            return RedirectResponse(f"/me/tasks/{task_id}?done={quote(done)}", status_code=303)
    context = await desk.call(_task_context, desk.ledger, supervisor, task_id)
    context |= {
        "me": supervisor,
        "message": message,
        "done": request.query_params.get("done", "")[:40] if status == 200 else "",
        "typed": typed,
        "chosen_issue": typed.get("issue") or request.query_params.get("issue", ""),
        "statuses": AssignmentStatus,
    }
    return web.render(request, "me/task.html", context, status_code=status)


@signed_in
async def documents(request: Request, supervisor: Supervisor) -> Response:
    """The library: my center's and the banner center's documents, by category, searchable."""
    desk = web.desk_of(request)
    query = request.query_params.get("q", "").strip()[:100]
    raw = request.query_params.get("category", "")
    category = raw if raw in {c.value for c in DocumentCategory} else None
    found = await desk.call(
        lambda: desk.ledger.documents_for_supervisor(
            supervisor.id, query=query or None, category=category
        )
    )
    groups = [(c, [d for d in found if d.category is c]) for c in DocumentCategory]
    context = {
        "me": supervisor,
        "groups": [(c, docs) for c, docs in groups if docs],
        "query": query,
        "category": category or "",
        "categories": list(DocumentCategory),
        "count": len(found),
    }
    return web.render(request, "me/documents.html", context)


@signed_in
async def document(request: Request, supervisor: Supervisor) -> Response:
    """Download a document (logged); another center's or a withdrawn one is not found."""
    desk = web.desk_of(request)
    document_id = web.path_id(request, "document_id", "没有这份资料。")
    try:
        info, content = await desk.call(desk.ledger.open_document, document_id, supervisor.id)
    except NotFound:
        raise HTTPException(404, "没有这份资料，或已撤回。") from None
    return Response(
        content,
        media_type=info.media_type,
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{quote(info.filename)}",
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": "private, no-store",
        },
    )

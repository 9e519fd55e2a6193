"""Tasks (``/console/tasks``, 体验任务): a center hands supervisors experiences and inspections.

Staff of a center see its tasks, each with every assignment's progress (待答复, 已接受,
已谢绝, 已完成), and give a new task to supervisors picked from the center's and the
banner center's active ones; the banner center's staff choose the center. A task's page
names its supervisors, their answers and visits, linking the issue a visit filed
(viewing it is written to the access log, as the supervisors' names are shown).
Auditors only read.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from supervision_core import (
    AssignmentStatus,
    CenterLevel,
    InvalidInput,
    NotFound,
    Role,
    SupervisorStatus,
    TaskKind,
    can_see_center,
)

from ..app import desk_of, form_or_400, render, require_csrf, require_user
from ..typed import form_date, form_id, path_id, refuse_nul, said
from .access import centers_of, require_staff

__all__ = ["console_task", "console_tasks"]


def _chosen_center(request: Request, centers: list[str], default: str) -> str:
    center = request.query_params.get("center") or default
    if center not in centers:
        raise HTTPException(403, "您无权查看其他中心的任务。")
    return center


async def console_tasks(request: Request) -> Response:
    """The tasks of one of the user's centers, with their progress; staff give new ones."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    message, status = None, 200
    typed: dict[str, Any] = {}
    chosen: list[int] = []
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        form = await form_or_400(request)
        require_csrf(request, form)
        typed = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "supervisor"}
        picked = [v for v in form.getlist("supervisor") if isinstance(v, str)]

        def create() -> int:
            refuse_nul(typed)
            refuse_nul({str(i): v for i, v in enumerate(picked)})
            center = typed.get("center", "")
            if center not in centers_of(desk.ledger, user):
                raise HTTPException(403, "不能为其他中心布置任务。")
            ids = [i for i in (form_id(v, "监督员") for v in picked) if i is not None]
            chosen.extend(ids)
            starts_on = form_date(typed.get("starts_on"), "开始日期")
            ends_on = form_date(typed.get("ends_on"), "结束日期")
            if starts_on is None or ends_on is None:
                raise InvalidInput("请填写开始日期和结束日期（年-月-日）")
            task = desk.ledger.create_task(
                center,
                typed.get("kind", ""),
                typed.get("place", ""),
                typed.get("service", ""),
                typed.get("instructions", ""),
                starts_on,
                ends_on,
                ids,
                f"user:{user.username}",
            )
            return task.id

        try:
            task_id = await desk.call(create)
            return RedirectResponse(f"/console/tasks/{task_id}", status_code=303)
        except (InvalidInput, NotFound) as e:
            message, status = said(e), 400

    def load() -> Any:
        ledger = desk.ledger
        centers = centers_of(ledger, user)
        center = typed.get("center") if typed.get("center") in centers else None
        center = center or _chosen_center(request, centers, user.center)
        open_only = request.query_params.get("open") == "1"
        found = ledger.tasks(center, open_only=open_only)
        banner = {c.code for c in ledger.centers() if c.level is CenterLevel.BANNER}
        pickable = [
            s
            for s in ledger.supervisors(status=SupervisorStatus.ACTIVE)
            if s.center == center or s.center in banner
        ]
        if pickable and user.role is Role.STAFF:
            ledger.log_access(
                user=user.username,
                action="task_picker",
                purpose=f"网页 {request.url.path}",
                supervisors=[s.id for s in pickable],
            )
        names = {c.code: c.name for c in ledger.centers() if c.code in centers}
        return center, open_only, found, pickable, names

    center, open_only, found, pickable, names = await desk.call(load)
    rows = [
        (task, {s: sum(1 for a in parts if a.status is s) for s in AssignmentStatus}, len(parts))
        for task, parts in found
    ]
    context = {
        "center": center,
        "centers": names,
        "open_only": open_only,
        "rows": rows,
        "statuses": list(AssignmentStatus),
        "kinds": list(TaskKind),
        "pickable": pickable if user.role is Role.STAFF else [],
        "chosen": set(chosen),
        "message": message,
        "typed": typed,
        "today": desk.ledger.today(),
        "can_act": user.role is Role.STAFF,
    }
    return render(request, "console/tasks.html", context, status_code=status)


async def console_task(request: Request) -> Response:
    """One task: what it asks, and each supervisor's answer and visit."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    task_id = path_id(request, "task_id", "没有这项任务。")

    def load() -> Any:
        ledger = desk.ledger
        try:
            task, parts = ledger.task(task_id)
        except NotFound:
            raise HTTPException(404, "没有这项任务。") from None
        if not can_see_center(user, task.center):
            raise HTTPException(403, "您无权查看其他中心的任务。")
        ledger.log_access(
            user=user.username,
            action="view_task",
            purpose=f"网页 {request.url.path}",
            supervisors=[a.supervisor_id for a in parts],
            target=f"task:{task.id}",
        )
        names = {}
        for a in parts:
            brief = ledger.supervisor_brief(a.supervisor_id)
            names[a.supervisor_id] = brief[0] if brief else "?"
        numbers = {}
        for a in parts:
            if a.issue_id is not None:
                try:
                    numbers[a.issue_id] = ledger.issue(a.issue_id).number
                except NotFound:  # pragma: no cover - an import rolled back
                    continue
        return task, parts, names, numbers, ledger.center(task.center).name

    task, parts, names, numbers, center_name = await desk.call(load)
    context = {
        "task": task,
        "parts": parts,
        "names": names,
        "numbers": numbers,
        "center_name": center_name,
        "today": desk.ledger.today(),
    }
    return render(request, "console/task.html", context)

"""``supdesk tasks`` (体验任务) and ``supdesk documents`` (资料库).

``tasks show`` names the supervisors a task went to: it is logged in the access log
like every command that shows supervisors (``view_task``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from supervision_core.cli.access import log_shown
from supervision_core.cli.context import (
    CENTER,
    DATE,
    State,
    actor_option,
    json_option,
    lazy_choice,
    pass_state,
    resolve_actor,
)
from supervision_core.cli.output import fail, pad, show

if TYPE_CHECKING:
    from supervision_core.ledger import Ledger
    from supervision_core.model.library import LibraryDocument
    from supervision_core.model.tasks import Task, TaskAssignment

__all__ = ["documents", "tasks"]


def _progress(assignments: list[TaskAssignment]) -> str:
    from supervision_core.model.tasks import AssignmentStatus

    counts = {s: sum(1 for a in assignments if a.status is s) for s in AssignmentStatus}
    return "，".join(f"{s.label} {n}" for s, n in counts.items() if n) or "无人"


def _task_line(task: Task, assignments: list[TaskAssignment]) -> str:
    return (
        f"#{task.id:<4} {pad(task.kind.label, 8)} {task.starts_on}~{task.ends_on}  "
        f"{task.place} · {task.service}  （{_progress(assignments)}）"
    )


def _assignment_line(ledger: Ledger, a: TaskAssignment) -> str:
    brief = ledger.supervisor_brief(a.supervisor_id)
    name = brief[0] if brief else "?"
    line = f"  监督员 #{a.supervisor_id:<4} {pad(name, 10)} {pad(a.status.label, 8)}"
    if a.decline_reason:
        line += f" 理由：{a.decline_reason}"
    if a.visited_on:
        found = "未发现问题" if a.found_nothing else f"发现问题（问题编号 {a.issue_id}）"
        line += f" {a.visited_on} 体验，{found}"
        if a.note:
            line += f"；{a.note}"
    return line


@click.group()
def tasks() -> None:
    """体验任务：服务体验、明察暗访，交给监督员并跟踪其进度。"""


@tasks.command("add")
@click.option("--center", type=CENTER, required=True, help="中心（代码或名称）。")
@click.option(
    "--kind",
    type=lazy_choice("supervision_core.model.tasks:TaskKind"),
    required=True,
    help="任务类型：experience 服务体验，inspection 明察暗访。",
)
@click.option("--place", required=True, help="地点（如 乌审召镇便民服务中心）。")
@click.option("--service", required=True, help="体验事项（如 不动产登记）。")
@click.option("--instructions", default="", help="任务要求：体验什么、留意什么。")
@click.option("--from", "starts_on", type=DATE, required=True, help="开始日期。")
@click.option("--to", "ends_on", type=DATE, required=True, help="结束日期（含）。")
@click.option(
    "--supervisor",
    "supervisor_ids",
    type=int,
    multiple=True,
    required=True,
    help="监督员编号；可多次给出。",
)
@actor_option
@json_option
@pass_state
def tasks_add(
    state: State,
    center: str,
    kind: str,
    place: str,
    service: str,
    instructions: str,
    starts_on: dt.datetime,
    ends_on: dt.datetime,
    supervisor_ids: tuple[int, ...],
    actor: str | None,
) -> None:
    """布置一项任务，交给一名或多名监督员。"""
    task = state.ledger().create_task(
        center,
        kind,
        place,
        service,
        instructions,
        starts_on.date(),
        ends_on.date(),
        list(supervisor_ids),
        resolve_actor(actor),
    )
    show(
        state,
        task,
        lambda: click.echo(
            f"已布置任务 #{task.id}：{task.kind.label} {task.place} · {task.service}"
            f"（{task.starts_on} 至 {task.ends_on}，{len(set(supervisor_ids))} 名监督员）"
        ),
    )


@tasks.command("list")
@click.option("--center", type=CENTER, required=True, help="中心（代码或名称）。")
@click.option("--open", "open_only", is_flag=True, help="只列出尚待答复或体验的任务。")
@json_option
@pass_state
def tasks_list(state: State, center: str, open_only: bool) -> None:
    """列出一个中心的任务及其进度。"""
    found = state.ledger().tasks(center, open_only=open_only)

    def human() -> None:
        if not found:
            click.echo("没有任务。")
            return
        for task, assignments in found:
            click.echo(_task_line(task, assignments))
        click.echo(f"共 {len(found)} 项。")

    data: list[dict[str, Any]] = [{"task": t, "assignments": a} for t, a in found]
    for item in data:  # each assignment carries the task already: not twice
        item["assignments"] = [_assignment_json(a) for a in item["assignments"]]
    show(state, data, human)


def _assignment_json(a: TaskAssignment) -> dict[str, Any]:
    from supervision_core.cli.output import to_json

    data: dict[str, Any] = to_json(a)
    data.pop("task", None)
    return data


@tasks.command("show")
@click.argument("task_id", type=int)
@json_option
@pass_state
def tasks_show(state: State, task_id: int) -> None:
    """显示一项任务：内容，以及每名监督员的答复和体验情况。"""
    ledger = state.ledger()
    task, assignments = ledger.task(task_id)
    log_shown(ledger, "view_task", [a.supervisor_id for a in assignments], target=f"task:{task.id}")

    def human() -> None:
        click.echo(_task_line(task, assignments))
        if task.instructions:
            click.echo(f"  任务要求：{task.instructions}")
        click.echo(f"  布置人：{task.created_by}")
        for a in assignments:
            click.echo(_assignment_line(ledger, a))

    show(state, {"task": task, "assignments": [_assignment_json(a) for a in assignments]}, human)


# ---------------------------------------------------------------------- the library


def _document_line(d: LibraryDocument, downloads: int | None = None) -> str:
    size = f"{d.size / 1024:.0f} KB" if d.size < 1024 * 1024 else f"{d.size / 1024 / 1024:.1f} MB"
    gone = "【已撤回】" if d.withdrawn else ""
    times = f"，下载 {downloads} 次" if downloads is not None else ""
    return (
        f"#{d.id:<4} {d.center:<14} {pad(d.category.label, 8)} {gone}{d.title}"
        f"（{d.filename}，{size}{times}）"
    )


@click.group()
def documents() -> None:
    """资料库：向监督员发布管理制度、办事指南和表格（PDF、Word、图片）。"""


@documents.command("publish")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--center",
    type=CENTER,
    required=True,
    help="中心（代码或名称）；旗中心的资料各中心的监督员都能看到。",
)
@click.option(
    "--category",
    type=lazy_choice("supervision_core.model.library:DocumentCategory"),
    required=True,
    help="类别：rules 管理制度，guides 办事指南，forms 表格，other 其他。",
)
@click.option("--title", required=True, help="标题。")
@actor_option
@json_option
@pass_state
def documents_publish(
    state: State, path: Path, center: str, category: str, title: str, actor: str | None
) -> None:
    """发布一份资料（按内容识别 PDF、DOCX、PNG、JPEG）。"""
    from supervision_core.model.library import MAX_DOCUMENT_BYTES

    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        fail(f"文件过大，资料库最多收 {MAX_DOCUMENT_BYTES // 1024 // 1024} MB 的文件")
    document = state.ledger().publish_document(
        center, category, title, path.name, path.read_bytes(), None, resolve_actor(actor)
    )
    show(state, document, lambda: click.echo(f"已发布：{_document_line(document)}"))


@documents.command("list")
@click.option("--center", type=CENTER, help="只列出某个中心发布的资料。")
@click.option("--all", "include_withdrawn", is_flag=True, help="连同已撤回的资料。")
@json_option
@pass_state
def documents_list(state: State, center: str | None, include_withdrawn: bool) -> None:
    """列出资料库中的资料及其下载次数。"""
    ledger = state.ledger()
    found = ledger.documents(center, include_withdrawn=include_withdrawn)
    downloads = ledger.document_downloads([d.id for d in found])

    def human() -> None:
        if not found:
            click.echo("资料库中没有资料。")
            return
        for d in found:
            click.echo(_document_line(d, downloads.get(d.id, 0)))
        click.echo(f"共 {len(found)} 份。")

    data = [{"document": d, "downloads": downloads.get(d.id, 0)} for d in found]
    show(state, data, human)


@documents.command("withdraw")
@click.argument("document_id", type=int)
@actor_option
@json_option
@pass_state
def documents_withdraw(state: State, document_id: int, actor: str | None) -> None:
    """撤回一份资料：监督员不再能看到和下载（记录保留）。"""
    document = state.ledger().withdraw_document(document_id, resolve_actor(actor))
    show(state, document, lambda: click.echo(f"已撤回：{_document_line(document)}"))

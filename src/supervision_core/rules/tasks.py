"""What a supervisor is told when a center gives them a task."""

from __future__ import annotations

from supervision_core.model.tasks import Task

__all__ = ["task_notice_key", "task_notice_text"]


def task_notice_key(task_id: int, supervisor_id: int) -> str:
    """The outbox key of the notice giving task ``task_id`` to ``supervisor_id`` (one each)."""
    return f"task:{task_id}:supervisor:{supervisor_id}"


def task_notice_text(task: Task, center_name: str) -> tuple[str, str]:
    """The notice's subject and body: what, where, when, and how to answer.

    Says nothing of the other supervisors the task went to. A covert inspection
    (明察暗访) is worded as such so the supervisor keeps it to themself.
    """
    subject = f"{center_name}请您参加{task.kind.label}（任务 {task.id}）"
    lines = [
        f"{center_name}请您在 {task.starts_on} 至 {task.ends_on} 期间参加一次{task.kind.label}：",
        f"地点：{task.place}",
        f"体验事项：{task.service}",
    ]
    if task.instructions:
        lines.append(f"任务要求：{task.instructions}")
    if task.kind.value == "inspection":
        lines.append("明察暗访请以普通办事群众身份进行，不要事先告知被访窗口。")
    lines.append(
        "请在监督员页面“我的任务”中答复是否接受；体验后记录情况，发现问题请直接反馈，"
        "并关联到这项任务。如有疑问，请与中心联系。"
    )
    return subject, "\n".join(lines)

"""Which notices a step of an issue's life causes: what the supervisor is told, what the unit gets.

A plain function over values; the store writes what it returns to the outbox in the
same transaction as the step.
"""

from __future__ import annotations

from supervision_core.model.issues import EventKind, Issue, IssueEvent
from supervision_core.model.notifications import Notice, RecipientKind
from supervision_core.model.supervisors import Identity
from supervision_core.rules.disclosure import unit_view

__all__ = ["notices_for"]


def _supervisor_text(issue: Issue, event: IssueEvent) -> str | None:
    n = issue.number
    match event.kind:
        case EventKind.RECEIVED:
            return f"您反馈的问题已收到，编号 {n}。我们将在规定时限内审查并告知处理情况。"
        case EventKind.NOT_ACCEPTED:
            reason = issue.not_accepted_reason.label if issue.not_accepted_reason else ""
            return f"您反馈的问题 {n} 不予受理。原因：{reason}。说明：{event.note or ''}"
        case EventKind.ACCEPTED:
            return f"您反馈的问题 {n} 已受理，将派单至责任单位办理。"
        case EventKind.DISPATCHED:
            return f"您反馈的问题 {n} 已派单至责任单位。"
        case EventKind.PLANNED if issue.track is not None:
            due = issue.due_on.isoformat() if issue.due_on else "待定"
            return f"您反馈的问题 {n} 整改方式：{issue.track.label}，期限 {due}。"
        case EventKind.COMPLETED:
            return f"您反馈的问题 {n} 已整改完成：{issue.evidence or ''}。请对整改结果进行评价（满意/基本满意/不满意）。"
        case EventKind.EXPLAINED:
            return f"关于您反馈的问题 {n} 的说明：{issue.explanation or ''}。请进行评价（满意/基本满意/不满意）。"
        case EventKind.EVALUATED if issue.reopen_count and issue.satisfaction == "not_satisfied":
            return f"您对问题 {n} 的评价为不满意，已重新交办整改。"
        case EventKind.MERGED:
            return f"您反馈的问题 {n} 与已受理的同类问题合并办理，处理结果将一并告知。"
        case EventKind.DUPLICATE_ATTACHED:
            return f"您反馈的问题 {n} 收到其他监督员的同类反馈，已合并办理。"
        case EventKind.SUPPLEMENTED:
            return f"您对问题 {n} 的补充反馈已收到，将一并办理。"
        case _:
            return None


def notices_for(
    issue: Issue, event: IssueEvent, supervisor_addresses: tuple[Identity, ...]
) -> list[Notice]:
    """The notices a step causes: what the supervisor is told, and what the unit gets.

    The unit's notice is built from the unit's view of the issue only, so it never
    names the supervisor.
    """
    notices: list[Notice] = []
    text = _supervisor_text(issue, event)
    key = f"{issue.id}:{event.id}"
    if text is not None:
        notices.append(
            Notice(
                key=f"{key}:supervisor",
                center=issue.center,
                recipient_kind=RecipientKind.SUPERVISOR,
                recipient=str(issue.supervisor_id),
                addresses=supervisor_addresses,
                subject=f"【政务服务监督】问题 {issue.number} {event.kind.label}",
                body=text,
            )
        )
    if event.kind is EventKind.OBJECTED:
        notices.append(
            Notice(
                key=f"{key}:center",
                center=issue.center,
                recipient_kind=RecipientKind.CENTER,
                recipient=issue.center,
                subject=f"【派单异议】问题 {issue.number}",
                body=f"承办单位对问题 {issue.number} 的派单提出异议：{event.note or ''}。请重新派单。",
            )
        )
    if event.kind in (EventKind.DISPATCHED, EventKind.EVALUATED) and issue.unit:
        view = unit_view(issue)
        if event.kind is EventKind.DISPATCHED or view.state == "reopened":
            notices.append(
                Notice(
                    key=f"{key}:unit",
                    center=issue.center,
                    recipient_kind=RecipientKind.UNIT,
                    recipient=issue.unit,
                    subject=f"【派单通知】问题 {view.number}",
                    body=(
                        f"请于 {view.due_on or '规定期限'} 前确定整改方式并办理。"
                        f"问题描述：{view.text}"
                    ),
                )
            )
    return notices

"""Which notices a step of an issue's life causes: what the supervisor is told, what the unit gets.

A plain function over values; the store writes what it returns to the outbox in the
same transaction as the step.

The supervisor hears of every step that changes what they can expect (反馈监督员):
received, accepted or not (with the reason and the note), dispatched (to which unit),
the plan (track, measures, responsible unit, deadline), each extension (new deadline
and reason), progress, completion or explanation (with a request to evaluate), the
evaluation's outcome, a close without their evaluation, merges and supplements. The
unit hears of a dispatch, an extension and a reopening (with the supervisor's reason
for dissatisfaction), always from its own view of the issue, which never names the
supervisor.
"""

from __future__ import annotations

import datetime as dt

from supervision_core.model.issues import (
    EventKind,
    Issue,
    IssueEvent,
    RectificationTrack,
    Satisfaction,
    UnitView,
)
from supervision_core.model.notifications import Notice, NoticeKind, RecipientKind
from supervision_core.model.supervisors import Identity
from supervision_core.rules.disclosure import unit_view

__all__ = ["notices_for"]


def _date(value: object) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value:
        return value
    return None


def _satisfaction(event: IssueEvent) -> Satisfaction | None:
    """The evaluation an ``evaluated`` event records (None for any other event)."""
    if event.kind is not EventKind.EVALUATED:
        return None
    try:
        return Satisfaction(str(event.data.get("satisfaction")))
    except ValueError:
        return None


def _due(issue: Issue | UnitView, fallback: str = "规定期限") -> str:
    if issue.due_on is None:
        return fallback
    return issue.due_on.isoformat() + ("" if issue.due_confirmed else "（节假日安排未确认）")


def _bare(text: str | None) -> str:
    """Free text to quote inside a sentence: without the full stop it may end with."""
    return (text or "").strip().rstrip("。．.；;，, ")


def _note(text: str | None, label: str = "说明") -> str:
    return f"{label}：{_bare(text)}。" if _bare(text) else ""


def _plan_text(issue: Issue, unit: str) -> str:
    n, due = issue.number, _due(issue)
    match issue.track:
        case RectificationTrack.SCHEDULED:
            return (
                f"您反馈的问题 {n} 已制定整改方案：限时整改。责任单位：{unit}。"
                f"整改措施：{_bare(issue.measures) or '—'}。整改期限：{due}。"
            )
        case RectificationTrack.IMMEDIATE:
            measures = _note(issue.measures, "整改措施")
            return f"您反馈的问题 {n} 由{unit}立行立改，{measures}期限 {due}。"
        case _:
            return (
                f"您反馈的问题 {n} 经责任单位{unit}研判，将作出书面说明，"
                f"说明期限 {due}，届时告知您。"
            )


# The kind of notice each step the supervisor hears of sends (a reopening aside).
_STEP_KINDS = {
    k: NoticeKind(k.value) for k in EventKind if k.value in {n.value for n in NoticeKind}
}


def _supervisor_text(
    issue: Issue, event: IssueEvent, unit: str
) -> tuple[NoticeKind, str, str] | None:
    """The notice's kind, the step's label for the subject and the supervisor's text.

    None if the supervisor is not told of this step.
    """
    n, label = issue.number, event.kind.label
    kind = _STEP_KINDS.get(event.kind)
    match event.kind:
        case EventKind.RECEIVED:
            text = f"您反馈的问题已收到，编号 {n}。我们将在规定时限内审查并告知处理情况。"
        case EventKind.NOT_ACCEPTED:
            reason = issue.not_accepted_reason.label if issue.not_accepted_reason else ""
            text = f"您反馈的问题 {n} 不予受理。原因：{reason}。{_note(event.note)}"
        case EventKind.ACCEPTED:
            text = f"您反馈的问题 {n} 已受理，将于 {_due(issue)} 前派单至责任单位办理。" + _note(
                event.note
            )
        case EventKind.DISPATCHED:
            text = (
                f"您反馈的问题 {n} 已派单至{unit}办理，"
                f"责任单位将于 {_due(issue)} 前确定整改方式，届时告知您。"
            )
        case EventKind.PLANNED if issue.track is not None:
            text = _plan_text(issue, unit)
        case EventKind.PROGRESS:
            text = f"您反馈的问题 {n} 有新的整改进展：{_bare(event.note)}。"
        case EventKind.EXTENDED:
            previous = _date(event.data.get("previous_due_on") or event.data.get("from"))
            started = _date(event.data.get("from"))
            # Granted after the deadline had passed: the issue stays late, and says so.
            missed = "（已逾期，仍计逾期）" if previous and started and previous < started else ""
            before = f"原期限 {previous}{missed}，" if previous else ""
            text = (
                f"您反馈的问题 {n} 的整改期限已延长：{before}新期限 {_due(issue)}"
                f"（第 {issue.extensions} 次延期）。延期理由：{_bare(event.note)}。"
            )
        case EventKind.COMPLETED:
            text = (
                f"您反馈的问题 {n} 已由{unit}整改完成：{_bare(issue.evidence)}。"
                "请对整改结果进行评价（满意/基本满意/不满意）；不满意的，请写明理由。"
            )
        case EventKind.EXPLAINED:
            text = (
                f"关于您反馈的问题 {n} 的说明：{_bare(issue.explanation)}。"
                "请进行评价（满意/基本满意/不满意）；不满意的，请写明理由。"
            )
        case EventKind.EVALUATED if _satisfaction(event) is Satisfaction.NOT_SATISFIED:
            kind, label = NoticeKind.REOPENED, "重新整改"
            text = (
                f"您对问题 {n} 的评价为不满意，已重新交办{unit}整改，"
                f"责任单位将于 {_due(issue)} 前重新确定整改方式。" + _note(event.note, "您的意见")
            )
        case EventKind.EVALUATED if (satisfaction := _satisfaction(event)) is not None:
            label = "办结"
            text = f"您对问题 {n} 的评价（{satisfaction.label}）已记录，问题已办结。感谢您的监督。"
        case EventKind.CLOSED:
            label = "未经评价办结"
            text = (
                f"您反馈的问题 {n} 已办结，未经您评价。{_note(event.note, '办结说明')}"
                "如对处理结果有意见，请回复本通知或联系服务中心。"
            )
        case EventKind.MERGED:
            text = f"您反馈的问题 {n} 与已受理的同类问题合并办理，处理结果将一并告知。"
        case EventKind.DUPLICATE_ATTACHED:
            text = f"您反馈的问题 {n} 收到其他监督员的同类反馈，已合并办理。"
        case EventKind.SUPPLEMENTED:
            text = f"您对问题 {n} 的补充反馈已收到，将一并办理。"
        case _:
            return None
    if kind is None:  # every step told above has a kind of its own
        msg = f"no notice kind for the step {event.kind.value!r}"
        raise AssertionError(msg)
    return kind, label, text


def _fields(issue: Issue | UnitView, event: IssueEvent, unit: str | None) -> dict[str, str]:
    """The notice's facts for a templated transport: short, and what the body says too."""
    fields = {"number": issue.number, "step": event.kind.label}
    if issue.due_on is not None:
        fields["due_on"] = issue.due_on.isoformat()
    if unit:
        fields["unit"] = unit
    previous = _date(event.data.get("previous_due_on") or event.data.get("from"))
    if event.kind is EventKind.EXTENDED and previous:
        fields["previous_due_on"] = previous
    if (satisfaction := _satisfaction(event)) is not None:
        fields["satisfaction"] = satisfaction.label
    if isinstance(issue, Issue):
        if event.kind is EventKind.NOT_ACCEPTED and issue.not_accepted_reason is not None:
            fields["reason"] = issue.not_accepted_reason.label
        elif event.kind is EventKind.EXTENDED and _bare(event.note):
            fields["reason"] = _bare(event.note)
    elif event.kind is EventKind.EXTENDED and _bare(event.note):
        fields["reason"] = _bare(event.note)
    elif _satisfaction(event) is Satisfaction.NOT_SATISFIED:
        fields["reason"] = _bare(issue.dissatisfaction) or "未说明"
    return fields


def _unit_text(view: UnitView, event: IssueEvent) -> tuple[NoticeKind, str, str] | None:
    """The unit's subject and text, from its own view only, or None if not told."""
    n = view.number
    match event.kind:
        case EventKind.DISPATCHED:
            return (
                NoticeKind.UNIT_DISPATCHED,
                f"【派单通知】问题 {n}",
                f"请于 {_due(view)} 前确定整改方式并办理。问题描述：{view.text}",
            )
        case EventKind.EXTENDED:
            return (
                NoticeKind.UNIT_EXTENDED,
                f"【延期通知】问题 {n}",
                f"问题 {n} 的整改期限已延长至 {_due(view)}。延期理由：{_bare(event.note)}。"
                "请按新期限完成整改并报送整改情况。",
            )
        case EventKind.EVALUATED if _satisfaction(event) is Satisfaction.NOT_SATISFIED:
            reason = _bare(view.dissatisfaction) or "未说明"
            return (
                NoticeKind.UNIT_REOPENED,
                f"【重新整改通知】问题 {n}",
                f"监督员对问题 {n} 的整改结果不满意，理由：{reason}。"
                f"请于 {_due(view)} 前重新确定整改方式并办理。问题描述：{view.text}",
            )
        case _:
            return None


def notices_for(
    issue: Issue,
    event: IssueEvent,
    supervisor_addresses: tuple[Identity, ...],
    *,
    unit_name: str | None = None,
    supervisor_name: str | None = None,
) -> list[Notice]:
    """The notices a step causes: what the supervisor is told, and what the unit gets.

    ``unit_name`` is the responsible unit's name as the supervisor is told it (the
    unit's code when not given). The unit's notice is built from the unit's view of
    the issue only, so it never names the supervisor: a dissatisfied supervisor's
    reason reaches the unit through that view, masked, with the supervisor's name
    (``supervisor_name``) and addresses blotted out of it.
    """
    notices: list[Notice] = []
    key = f"{issue.id}:{event.id}"
    unit = unit_name or issue.unit or "责任单位"
    told = _supervisor_text(issue, event, unit)
    if told is not None:
        kind, label, text = told
        notices.append(
            Notice(
                key=f"{key}:supervisor",
                kind=kind,
                fields={**_fields(issue, event, unit if issue.unit else None), "step": label},
                center=issue.center,
                recipient_kind=RecipientKind.SUPERVISOR,
                recipient=str(issue.supervisor_id),
                addresses=supervisor_addresses,
                subject=f"【政务服务监督】问题 {issue.number} {label}",
                body=text,
            )
        )
    if event.kind is EventKind.OBJECTED:
        notices.append(
            Notice(
                key=f"{key}:center",
                kind=NoticeKind.OBJECTION,
                fields={"number": issue.number, "reason": _bare(event.note)},
                center=issue.center,
                recipient_kind=RecipientKind.CENTER,
                recipient=issue.center,
                subject=f"【派单异议】问题 {issue.number}",
                body=f"承办单位对问题 {issue.number} 的派单提出异议：{_bare(event.note)}。请重新派单。",
            )
        )
    if issue.unit:
        dissatisfaction = event.note if _satisfaction(event) is Satisfaction.NOT_SATISFIED else None
        conceal = [a.value for a in supervisor_addresses]
        if supervisor_name:
            conceal.append(supervisor_name)
        view = unit_view(issue, dissatisfaction=dissatisfaction, conceal=conceal)
        to_unit = _unit_text(view, event)
        if to_unit is not None:
            kind, subject, body = to_unit
            notices.append(
                Notice(
                    key=f"{key}:unit",
                    kind=kind,
                    fields={**_fields(view, event, None), "step": kind.label},
                    center=issue.center,
                    recipient_kind=RecipientKind.UNIT,
                    recipient=issue.unit,
                    subject=subject,
                    body=body,
                )
            )
    return notices

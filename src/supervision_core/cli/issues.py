"""``supdesk issues ...``: the ledger of reported issues, looked up and worked through."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from supervision_core.cli.context import (
    CENTER,
    DATE,
    UNIT,
    State,
    actor_option,
    json_option,
    lazy_choice,
    pass_state,
    resolve_actor,
)
from supervision_core.cli.output import fail, pad, show, to_json

# The value modules (and the masking rules, which import them) load when a command runs,
# with the ledger, not for `supdesk --help`: annotations only here, choices through lazy_choice.
if TYPE_CHECKING:
    from supervision_core.model.issues import Issue
    from supervision_core.model.summaries import IssueSummary
    from supervision_core.model.vocabulary import Vocabulary

__all__ = ["issues"]


@click.group()
def issues() -> None:
    """反馈问题台账：查询与办理（审查、派单、整改、评价）。"""


def _summary_line(i: IssueSummary, today: dt.date, vocabulary: Vocabulary) -> str:
    from supervision_core.model.issues import OPEN_STATES, IssueState

    state = IssueState(i.state).label
    due = i.due_on.isoformat() if i.due_on else "—"
    if i.due_on and not i.due_confirmed:
        due += "(未确认)"
    late = (
        " 【逾期】" if i.due_on and i.due_on < today and IssueState(i.state) in OPEN_STATES else ""
    )
    unit = vocabulary.unit(i.unit, i.center)
    return f"{pad(i.number, 24)} {pad(state, 14)} 期限 {pad(due, 12)} 单位 {unit}{late}"


@issues.command("list")
@click.option("--center", type=CENTER, help="只看某个中心。")
@click.option(
    "--status", type=lazy_choice("supervision_core.model.issues:IssueState"), help="只看某种状态。"
)
@click.option("--supervisor", type=int, help="只看某位监督员反馈的问题。")
@click.option("--overdue", is_flag=True, help="只看已逾期的问题。")
@click.option(
    "--due-within", type=click.IntRange(min=0), metavar="N", help="只看 N 个工作日内到期的问题。"
)
@click.option("--limit", type=click.IntRange(min=1), help="最多显示几条。")
@json_option
@pass_state
def issues_list(
    state: State,
    center: str | None,
    status: str | None,
    supervisor: int | None,
    overdue: bool,
    due_within: int | None,
    limit: int | None,
) -> None:
    """列出问题。"""
    ledger = state.ledger()
    if center:
        ledger.center(center)
    found = ledger.issues(
        center=center,
        state=status,
        supervisor=supervisor,
        overdue=overdue,
        due_within=due_within,
        limit=limit,
    )
    today = ledger.today()

    def human() -> None:
        if not found:
            click.echo("没有符合条件的问题。")
        vocabulary = ledger.vocabulary()
        for i in found:
            click.echo(_summary_line(i, today, vocabulary))
        click.echo(f"共 {len(found)} 件。")

    show(state, found, human)


def _issue_lines(issue: Issue, today: dt.date, names: dict[str, str] | None = None) -> list[str]:
    """The issue in lines; ``names`` gives centers' and units' names by code."""
    from supervision_core.model.clock import SHANGHAI
    from supervision_core.rules.masking import mask_personal_data

    names = names or {}

    def named(code: str) -> str:
        return f"{names[code]}（{code}）" if code in names else code

    h = issue.hints
    lines = [
        f"问题 {issue.number}（#{issue.id}）  [{issue.state.label}]",
        f"  中心：{named(issue.center)}    反馈时间：{issue.received_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
        f"  监督员：#{issue.supervisor_id}",
        f"  方式：{h.method.label if h.method else '—'}  环节：{h.stage.label if h.stage else '—'}  "
        f"内容：{h.topic.label if h.topic else '—'}  类型：{h.problem_type.label if h.problem_type else '—'}",
        f"  场所：{mask_personal_data(h.venue or '—')}",
        f"  描述：{mask_personal_data(issue.text)}",
    ]
    if issue.not_accepted_reason:
        note = mask_personal_data(issue.screening_note or "")
        lines.append(f"  不予受理：{issue.not_accepted_reason.label}；{note}")
    if issue.unit:
        lines.append(f"  责任单位：{named(issue.unit)}    责任人：{issue.responsible_person}")
    if issue.track:
        measures = mask_personal_data(issue.measures or "—")
        lines.append(f"  整改方式：{issue.track.label}    措施：{measures}")
    if issue.due_on:
        late = "【已逾期】" if issue.is_overdue(today) else ""
        confirmed = "" if issue.due_confirmed else "（未确认：该年节假日安排未录入）"
        lines.append(f"  当前期限：{issue.due_on}{confirmed}{late}")
    lines += _deadline_lines(issue)
    if issue.evidence:
        lines.append(f"  整改结果：{mask_personal_data(issue.evidence)}")
    if issue.explanation:
        lines.append(f"  说明：{mask_personal_data(issue.explanation)}")
    if issue.satisfaction:
        lines.append(f"  监督员评价：{issue.satisfaction.label}")
    if issue.merged_into:
        lines.append(f"  已并入问题 #{issue.merged_into}")
    if issue.possible_duplicate_of:
        lines.append(f"  可能与问题 #{issue.possible_duplicate_of} 重复")
    return lines


def _lateness(issue: Issue) -> str:
    """按期 or how late the fix came, in words."""
    if issue.completed_on_time is not False:
        return "按期"
    days = issue.late_working_days
    return f"逾期 {days} 个工作日" if days else "逾期（逾期天数未记录）"


def _deadline_lines(issue: Issue) -> list[str]:
    """The rectification deadline as planned and as it stands, extensions and lateness."""
    from supervision_core.model.clock import SHANGHAI

    lines = []
    if issue.rectification_due_on:
        lines.append(
            f"  整改时限：{issue.rectification_due_on}    原定：{issue.original_due_on or '—'}"
            f"    延期次数：{issue.extensions}"
        )
    if issue.completed_at and issue.completed_on_time is not None:
        when = issue.completed_at.astimezone(SHANGHAI)
        lines.append(f"  完成时间：{when:%Y-%m-%d %H:%M}（{_lateness(issue)}）")
    if issue.missed_due_on and issue.is_open:
        lines.append(f"  已逾期：整改时限 {issue.missed_due_on} 已过（逾期后延期，仍计逾期）")
    return lines


@issues.command("show")
@click.argument("ref")
@json_option
@pass_state
def issues_show(state: State, ref: str) -> None:
    """显示一个问题及其全部办理记录。"""
    from supervision_core.cli.access import log_shown
    from supervision_core.model.clock import SHANGHAI
    from supervision_core.rules.masking import mask_personal_data

    ledger = state.ledger()
    issue = ledger.issue(ref)
    history = ledger.history(ref)
    proposals = ledger.proposals(ref)
    log_shown(ledger, "view_issue", [issue.supervisor_id], target=issue.number)

    def human() -> None:
        # Units are named by code within their center; a township's issue may go to the
        # banner's units, so the issue's own center wins where codes repeat.
        names = {c.code: c.name for c in ledger.centers()}
        names |= {u.code: u.name for u in ledger.units()}
        names |= {u.code: u.name for u in ledger.units(issue.center)}
        click.echo("\n".join(_issue_lines(issue, ledger.today(), names)))
        if proposals:
            click.echo("  审查提示：")
            for name, p in proposals:
                evidence = mask_personal_data(p.evidence)
                click.echo(f"    [{name}] 建议不予受理：{p.reason.label}；依据：{evidence}")
        click.echo("  办理记录：")
        vocabulary = ledger.vocabulary()
        for e in history:
            when = e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
            detail = vocabulary.step_detail(e, issue.center)
            detail = f"  {detail}" if detail else ""
            note = f"：{mask_personal_data(e.note)}" if e.note else ""
            click.echo(f"    {when}  {e.kind.label}  （{e.actor}）{detail}{note}")
            if analysis := e.data.get("analysis"):
                click.echo(f"      {_analysis_line(analysis)}")

    # emit() masks every text of the JSON: the issue's, the notes', the proposals'.
    data = {
        "issue": issue,
        "late": issue.is_late(ledger.today()),
        "history": history,
        "proposals": [{"check": n, **to_json(p)} for n, p in proposals],
    }
    show(state, data, human)


def _analysis_line(data: dict[str, Any]) -> str:
    """The joint analysis of a refusal for reason six, with who took part (staff's view)."""
    from supervision_core.model.recognition import JointAnalysis

    analysis = JointAnalysis.from_data(data)
    who = "、".join(
        f"{p.role.label} {p.name}" + (f"（#{p.supervisor_id}）" if p.supervisor_id else "")
        for p in analysis.participants
    )
    return f"分析研判：{analysis.summary()}；参加人员：{who}"


def _step_output(state: State, issue: Issue, message: str) -> None:
    show(
        state,
        issue,
        lambda: click.echo(
            f"{message}：问题 {issue.number} 现为“{issue.state.label}”"
            + (f"，期限 {issue.due_on}" if issue.due_on else "")
        ),
    )


@issues.command("screen")
@click.argument("ref")
@click.option("--accept", "decision", flag_value="accept", help="受理。")
@click.option(
    "--reject",
    "reason",
    type=lazy_choice("supervision_core.model.issues:NotAcceptedReason"),
    help="不予受理的理由（代码或中文）：legal_procedure 应通过诉讼、仲裁、复议等程序解决；"
    "petition 已进入信访渠道；confidential 涉及秘密、隐私或违背公序良俗；"
    "no_substance 恶意骚扰、表述不清或无实质内容；unlawful 违反法律法规和政策；"
    "impractical 不符合政务服务改革发展实际。",
)
@click.option("--note", help="告知监督员的说明（不予受理时必填）。")
@click.option(
    "--analysis-date",
    type=DATE,
    help="理由六（impractical）：分析研判的日期。",
)
@click.option(
    "--participant",
    "participants",
    multiple=True,
    help="理由六：参加研判人员，“管理部门:姓名”“服务部门:姓名”“监督员:编号”，可多次。",
)
@click.option("--conclusion", help="理由六：分析研判的结论。")
@actor_option
@json_option
@pass_state
def issues_screen(
    state: State,
    ref: str,
    decision: str | None,
    reason: str | None,
    note: str | None,
    analysis_date: dt.datetime | None,
    participants: tuple[str, ...],
    conclusion: str | None,
    actor: str | None,
) -> None:
    """受理审查：--accept 受理，或 --reject 理由 --note 说明。

    以理由六（impractical）不予受理，须同时记录分析研判：--analysis-date、--participant
    （至少一名监督员）和 --conclusion。
    """
    from supervision_core.model.recognition import JointAnalysis

    if bool(decision) == bool(reason):
        fail("请二选一：--accept 受理，或 --reject 理由 --note 说明")
    ledger = state.ledger()
    if decision:
        issue = ledger.accept(ref, actor=resolve_actor(actor), note=note)
        _step_output(state, issue, "已受理")
        return
    analysis = None
    if analysis_date or participants or conclusion:
        try:
            analysis = JointAnalysis.parse(
                held_on=analysis_date.date() if analysis_date else None,
                participants=participants,
                conclusion=conclusion,
                supervisor_name=lambda sid: ledger.supervisor(sid).name,
            )
        except ValueError as e:
            fail(str(e))
    issue = ledger.not_accept(
        ref, reason=reason or "", note=note or "", actor=resolve_actor(actor), analysis=analysis
    )
    _step_output(state, issue, "不予受理")


@issues.command("dispatch")
@click.argument("ref")
@click.option("--unit", type=UNIT, required=True, help="责任单位（代码或名称）。")
@click.option("--person", required=True, help="责任人。")
@click.option("--note", help="备注。")
@actor_option
@json_option
@pass_state
def issues_dispatch(
    state: State, ref: str, unit: str, person: str, note: str | None, actor: str | None
) -> None:
    """派单至责任单位和责任人。"""
    issue = state.ledger().dispatch(
        ref, unit=unit, responsible_person=person, note=note, actor=resolve_actor(actor)
    )
    _step_output(state, issue, "已派单")


@issues.command("plan")
@click.argument("ref")
@click.option(
    "--track",
    type=lazy_choice("supervision_core.model.issues:RectificationTrack"),
    required=True,
    help="immediate 立行立改；scheduled 限时整改；explained 作出说明。",
)
@click.option("--measures", help="整改措施（限时整改必填）。")
@click.option("--days", type=click.IntRange(min=1), help="限时整改的工作日数（默认按配置）。")
@actor_option
@json_option
@pass_state
def issues_plan(
    state: State, ref: str, track: str, measures: str | None, days: int | None, actor: str | None
) -> None:
    """确定整改方式与期限。"""
    issue = state.ledger().plan(
        ref, track=track, measures=measures, days=days, actor=resolve_actor(actor), by_center=True
    )
    _step_output(state, issue, "已确定整改方式")


@issues.command("progress")
@click.argument("ref")
@click.option("--note", required=True, help="进展情况。")
@actor_option
@json_option
@pass_state
def issues_progress(state: State, ref: str, note: str, actor: str | None) -> None:
    """记录整改进展。"""
    _step_output(
        state, state.ledger().progress(ref, note=note, actor=resolve_actor(actor)), "已记录进展"
    )


@issues.command("extend")
@click.argument("ref")
@click.option("--days", type=int, required=True, help="延长的工作日数。")
@click.option("--reason", required=True, help="延期理由。")
@click.option(
    "--granted-by",
    type=CENTER,
    help="批准延期的中心（代码或名称）；整改时限已过的，须由旗政务服务中心批准（延期不消除逾期）。",
)
@actor_option
@json_option
@pass_state
def issues_extend(
    state: State, ref: str, days: int, reason: str, granted_by: str | None, actor: str | None
) -> None:
    """延长限时整改的期限。"""
    _step_output(
        state,
        state.ledger().extend(
            ref, days=days, reason=reason, actor=resolve_actor(actor), granted_by=granted_by
        ),
        "已延期",
    )


@issues.command("complete")
@click.argument("ref")
@click.option("--evidence", required=True, help="整改结果及佐证。")
@click.option("--note", help="备注。")
@actor_option
@json_option
@pass_state
def issues_complete(
    state: State, ref: str, evidence: str, note: str | None, actor: str | None
) -> None:
    """记录整改完成。"""
    _step_output(
        state,
        state.ledger().complete(ref, evidence=evidence, note=note, actor=resolve_actor(actor)),
        "整改完成",
    )


@issues.command("explain")
@click.argument("ref")
@click.option("--text", "explanation", required=True, help="书面说明。")
@actor_option
@json_option
@pass_state
def issues_explain(state: State, ref: str, explanation: str, actor: str | None) -> None:
    """对不符合实际的意见建议作出说明。"""
    _step_output(
        state,
        state.ledger().explain(ref, explanation=explanation, actor=resolve_actor(actor)),
        "已作出说明",
    )


@issues.command("evaluate")
@click.argument("ref")
@click.option(
    "--satisfaction",
    type=lazy_choice("supervision_core.model.issues:Satisfaction"),
    required=True,
    help="satisfied 满意；basically_satisfied 基本满意；not_satisfied 不满意（重新整改）。",
)
@click.option("--note", help="评价意见。")
@click.option(
    "--on-behalf",
    metavar="方式",
    help="工作人员代录监督员的评价时必填：监督员以何种方式告知（如 电话、来访、书面）。",
)
@actor_option
@json_option
@pass_state
def issues_evaluate(
    state: State,
    ref: str,
    satisfaction: str,
    note: str | None,
    on_behalf: str | None,
    actor: str | None,
) -> None:
    """记录监督员对整改的评价（只能是反映问题的监督员本人的评价；工作人员代录须用 --on-behalf）。"""
    _step_output(
        state,
        state.ledger().evaluate(
            ref,
            satisfaction=satisfaction,
            note=note,
            actor=resolve_actor(actor),
            on_behalf=on_behalf,
        ),
        "已评价",
    )


@issues.command("close")
@click.argument("ref")
@click.option("--note", required=True, help="未经评价办结的原因。")
@actor_option
@json_option
@pass_state
def issues_close(state: State, ref: str, note: str, actor: str | None) -> None:
    """未经监督员评价而办结（须说明原因）。"""
    _step_output(
        state, state.ledger().close_issue(ref, note=note, actor=resolve_actor(actor)), "已办结"
    )


@issues.command("merge")
@click.argument("ref")
@click.option("--into", "into", required=True, help="并入的（较早的）问题。")
@click.option("--note", help="说明。")
@actor_option
@json_option
@pass_state
def issues_merge(state: State, ref: str, into: str, note: str | None, actor: str | None) -> None:
    """将重复反馈并入较早的问题，两位监督员都会得到告知。"""
    _step_output(
        state, state.ledger().merge(ref, into=into, note=note, actor=resolve_actor(actor)), "已合并"
    )


@issues.command("finding")
@click.argument("ref")
@click.option(
    "--kind",
    type=lazy_choice("supervision_core.model.year:FindingKind"),
    required=True,
    help="adopted_suggestion 建议被采纳；rule_change 推动制度改进；false_report 反馈不实。",
)
@click.option("--note", help="说明。")
@actor_option
@json_option
@pass_state
def issues_finding(state: State, ref: str, kind: str, note: str | None, actor: str | None) -> None:
    """记录对问题的认定（用于年度评估）。"""
    state.ledger().record_finding(ref, kind, actor=resolve_actor(actor), note=note)
    from supervision_core.model.year import FindingKind

    data = {"issue": ref, "kind": kind, "note": note}
    show(state, data, lambda: click.echo(f"已记录：问题 {ref} {FindingKind(kind).label}"))


@issues.command("unit-copy")
@click.argument("ref")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="另存为文件：.pdf（打印）或 .docx（Word），其他后缀存为文本。",
)
@json_option
@pass_state
def issues_unit_copy(state: State, ref: str, out: Path | None) -> None:
    """派单通知：给责任单位的一份（不含监督员身份）。"""
    from supervision_core.documents.dispatch_notice import (
        dispatch_notice_docx,
        dispatch_notice_pdf,
    )
    from supervision_core.documents.ledger_workbook import unit_copy

    ledger = state.ledger()
    view = ledger.unit_view(ref)
    if view.unit is None:
        fail(f"问题 {view.number} 尚未派单")
    vocabulary = ledger.vocabulary()
    center_name = vocabulary.center(view.center)
    unit_name = vocabulary.unit(view.unit, view.center)
    suffix = out.suffix.lower() if out is not None else ""
    if out is not None and suffix in (".pdf", ".docx"):
        write = dispatch_notice_pdf if suffix == ".pdf" else dispatch_notice_docx
        out.write_bytes(
            write(view, center_name=center_name, unit_name=unit_name, on=ledger.today())
        )
        show(
            state,
            {"issue": view.number, "file": str(out.resolve())},
            lambda: click.echo(f"已写入派单通知：{out.resolve()}"),
        )
        return
    text = unit_copy(view, center_name=center_name, unit_name=unit_name)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        written = out.resolve()
        show(
            state,
            {"issue": view.number, "file": str(written)},
            lambda: click.echo(f"已写入派单通知：{written}"),
        )
        return
    show(state, view, lambda: click.echo(text, nl=False))

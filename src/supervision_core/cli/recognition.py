"""Field visits (``activities record``/``visits``), ``commendations`` and ``officers``.

The PDF and DOCX writers load only when a command writes one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from supervision_core.cli.context import (
    CENTER,
    DATE,
    State,
    actor_option,
    json_option,
    lazy_choice,
    names,
    pass_state,
    resolve_actor,
)
from supervision_core.cli.output import fail, pad, show
from supervision_core.cli.year import activities

__all__ = ["commendations", "officers"]


@activities.command("record")
@click.argument("supervisor_id", type=int)
@click.option(
    "--method",
    required=True,
    help="方式：simulated 模拟办、accompanying 陪同办、in_person 亲身办、overseeing 监督办、"
    "inspection 明察暗访（也可写中文）。",
)
@click.option("--venue", required=True, help="场所（大厅、窗口、网上平台……）。")
@click.option("--date", "on", type=DATE, required=True, help="日期。")
@click.option("--note", help="备注。")
@click.option("--task", "task_id", type=int, help="对应的监督任务编号（如有）。")
@actor_option
@json_option
@pass_state
def activities_record(
    state: State,
    supervisor_id: int,
    method: str,
    venue: str,
    on: dt.datetime,
    note: str | None,
    task_id: int | None,
    actor: str | None,
) -> None:
    """记录监督员一次未发现问题的办事体验或明察暗访（计入年度评估的办事体验记录）。"""
    visit = state.ledger().record_field_visit(
        supervisor_id,
        method=method,
        venue=venue,
        on=on.date(),
        note=note,
        task_id=task_id,
        actor=resolve_actor(actor),
    )
    show(
        state,
        visit,
        lambda: click.echo(
            f"已记录 {visit.ref}：监督员 #{supervisor_id} {visit.on} {visit.method.label}"
            f"（{visit.venue}），未发现问题"
        ),
    )


@activities.command("visits")
@click.option("--supervisor", "supervisor_id", type=int, help="监督员编号。")
@click.option("--center", type=CENTER, help="中心（代码或名称）。")
@click.option("--year", type=int, help="年度。")
@json_option
@pass_state
def activities_visits(
    state: State, supervisor_id: int | None, center: str | None, year: int | None
) -> None:
    """列出未发现问题的办事体验和明察暗访记录。"""
    found = state.ledger().field_visits(supervisor_id=supervisor_id, center=center, year=year)

    def human() -> None:
        if not found:
            click.echo("没有体验或暗访记录。")
        for v in found:
            task = f"  任务 #{v.task_id}" if v.task_id is not None else ""
            note = f"  {v.note}" if v.note else ""
            click.echo(
                f"{pad(v.ref, 10)} {v.on}  监督员 #{v.supervisor_id}  {pad(v.method.label, 8)}"
                f" {v.venue}{task}{note}  （{v.recorded_by}）"
            )
        click.echo(f"共 {len(found)} 条。")

    show(state, found, human)


# ---------------------------------------------------------------- commendation


@click.group()
def commendations() -> None:
    """表彰奖励：年度优秀监督员的表彰决定、荣誉证书和表彰通报。"""


@commendations.command("record")
@click.argument("year", type=int)
@click.option("--center", type=CENTER, required=True, help="中心（代码或名称）。")
@click.option("--number", "decision_number", required=True, help="表彰决定文号。")
@click.option("--date", "decided_on", type=DATE, required=True, help="决定日期。")
@actor_option
@json_option
@pass_state
def commendations_record(
    state: State,
    year: int,
    center: str,
    decision_number: str,
    decided_on: dt.datetime,
    actor: str | None,
) -> None:
    """按已发布的年度评估，表彰该年度的优秀监督员（每个中心每年一次）。"""
    done = state.ledger().commend(
        center=center,
        year=year,
        decision_number=decision_number,
        decided_on=decided_on.date(),
        actor=resolve_actor(actor),
    )
    show(
        state,
        done,
        lambda: click.echo(
            f"已表彰 {year} 年度优秀监督员 {len(done)} 名（{decision_number}）："
            + "、".join(c.name for c in done)
        ),
    )


@commendations.command("list")
@click.option("--center", type=CENTER, help="中心（代码或名称）。")
@click.option("--year", type=int, help="年度。")
@json_option
@pass_state
def commendations_list(state: State, center: str | None, year: int | None) -> None:
    """列出表彰记录。"""
    found = state.ledger().commendations(center=center, year=year)

    def human() -> None:
        if not found:
            click.echo("没有表彰记录。")
        for c in found:
            click.echo(
                f"{names().center(c.center)} {c.year} 年度  监督员 #{c.supervisor_id} {pad(c.name, 10)}"
                f" {c.decision_number}  {c.decided_on}  （{c.decided_by}）"
            )

    show(state, found, human)


@commendations.command("certificates")
@click.argument("year", type=int)
@click.option("--center", type=CENTER, required=True, help="中心（代码或名称）。")
@click.option(
    "--pdf",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="PDF 文件。",
)
@json_option
@pass_state
def commendations_certificates(state: State, year: int, center: str, target: Path) -> None:
    """生成荣誉证书（PDF，每人一页）。"""
    from supervision_core.documents.commendation import commendation_certificates_pdf

    ledger = state.ledger()
    found = ledger.commendations(center=center, year=year)
    if not found:
        fail(
            f"{ledger.center(center).name}尚无 {year} 年度的表彰记录，"
            "请先运行 supdesk commendations record"
        )
    target.write_bytes(commendation_certificates_pdf(found, center_name=ledger.center(center).name))
    show(
        state,
        {"certificates": len(found), "pdf": str(target.resolve())},
        lambda: click.echo(f"已生成荣誉证书 {len(found)} 份：{target.resolve()}"),
    )


@commendations.command("notice")
@click.argument("year", type=int)
@click.option("--center", type=CENTER, required=True, help="中心（代码或名称）。")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), help="PDF 文件。")
@click.option("--docx", type=click.Path(dir_okay=False, path_type=Path), help="DOCX 文件。")
@json_option
@pass_state
def commendations_notice(
    state: State, year: int, center: str, pdf: Path | None, docx: Path | None
) -> None:
    """生成表彰通报（PDF 和/或 DOCX）。"""
    from supervision_core.documents.commendation import (
        commendation_notice_docx,
        commendation_notice_pdf,
    )

    if not pdf and not docx:
        fail("请用 --pdf 或 --docx 指定要生成的文件")
    ledger = state.ledger()
    found = ledger.commendations(center=center, year=year)
    if not found:
        fail(
            f"{ledger.center(center).name}尚无 {year} 年度的表彰记录，"
            "请先运行 supdesk commendations record"
        )
    name = ledger.center(center).name
    written: dict[str, str] = {}
    if pdf:
        pdf.write_bytes(commendation_notice_pdf(found, center_name=name))
        written["pdf"] = str(pdf.resolve())
    if docx:
        commendation_notice_docx(found, docx, center_name=name)
        written["docx"] = str(docx.resolve())
    show(
        state,
        written,
        lambda: click.echo("\n".join(f"已生成表彰通报：{path}" for path in written.values())),
    )


# ---------------------------------------------------------------- the officer team


@click.group()
def officers() -> None:
    """营商环境体验官队伍：苏木镇推荐本中心聘用的监督员，旗政务服务中心决定是否纳入。"""


@officers.command("propose")
@click.argument("supervisor_id", type=int)
@click.option("--reason", required=True, help="推荐理由。")
@actor_option
@json_option
@pass_state
def officers_propose(state: State, supervisor_id: int, reason: str, actor: str | None) -> None:
    """苏木镇推荐本中心聘用的监督员纳入营商环境体验官队伍。"""
    r = state.ledger().propose_officer(supervisor_id, reason=reason, actor=resolve_actor(actor))
    show(
        state,
        r,
        lambda: click.echo(f"已提出推荐 #{r.id}：监督员 #{supervisor_id}，待旗政务服务中心决定"),
    )


@officers.command("decide")
@click.argument("recommendation_id", type=int)
@click.option("--accept", "decision", flag_value="accept", help="同意纳入。")
@click.option("--decline", "decision", flag_value="decline", help="不予纳入（须写 --note 理由）。")
@click.option("--note", help="说明；不予纳入时必填。")
@actor_option
@json_option
@pass_state
def officers_decide(
    state: State,
    recommendation_id: int,
    decision: str | None,
    note: str | None,
    actor: str | None,
) -> None:
    """旗政务服务中心对推荐作出决定：--accept 同意纳入，或 --decline --note 理由。"""
    if decision is None:
        fail("请二选一：--accept 同意纳入，或 --decline --note 理由")
    r = state.ledger().decide_officer_recommendation(
        recommendation_id, accept=decision == "accept", note=note, actor=resolve_actor(actor)
    )
    show(state, r, lambda: click.echo(f"推荐 #{r.id}：{r.status.label}"))


@officers.command("list")
@click.option("--center", type=CENTER, help="推荐的苏木镇中心（代码或名称）。")
@click.option(
    "--status",
    type=lazy_choice("supervision_core.model.recognition:RecommendationStatus"),
    help="proposed 待决定；accepted 已纳入；declined 未纳入。",
)
@json_option
@pass_state
def officers_list(state: State, center: str | None, status: str | None) -> None:
    """列出纳入营商环境体验官队伍的推荐及决定。"""
    from supervision_core.model.clock import SHANGHAI

    found = state.ledger().officer_recommendations(center=center, status=status)

    def human() -> None:
        if not found:
            click.echo("没有推荐。")
        for r in found:
            decided = (
                f"  {r.decided_by} {r.decided_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
                if r.decided_at and r.decided_by
                else ""
            )
            note = f"：{r.decision_note}" if r.decision_note else ""
            click.echo(
                f"#{r.id:<4} {names().center(r.center)}  监督员 #{r.supervisor_id}  {pad(r.status.label, 12)}"
                f" 理由：{r.reason}{decided}{note}"
            )

    show(state, found, human)

"""The supervisors' year: ``evaluate``, ``evaluations``, ``workplans``, ``activities``, ``briefing``.

The workbook, PDF and DOCX writers load only when a command writes one.
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
from supervision_core.cli.evaluation_text import evaluation_lines, write_evaluation
from supervision_core.cli.output import fail, pad, show, with_files

# The value modules load when a command runs (with the ledger), not for `supdesk --help`:
# annotations only here, the options' choices and defaults read when first needed.
if TYPE_CHECKING:
    from supervision_core.model.briefing import BriefingMeeting

__all__ = ["activities", "briefing", "evaluate", "evaluations", "workplans"]


class _TieRuleOption(click.Option):
    """``--tie-rule``, whose default and help name the rules of :mod:`model.year`.

    They are read when the option is shown or parsed, not whenever ``supdesk`` starts.
    """

    def get_default(self, ctx: click.Context, call: bool = True) -> Any:
        from supervision_core.model.year import DEFAULT_TIE_RULE

        return ",".join(DEFAULT_TIE_RULE)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from supervision_core.model.year import TIE_RULES

        self.help = f"同分时的排序规则，逗号分隔：{', '.join(TIE_RULES)}。"
        return super().get_help_record(ctx)


@click.command()
@click.argument("year", type=int)
@click.option("--center", type=CENTER, help="中心，代码或名称（默认：每个中心各评一次）。")
@click.option(
    "--quota",
    "quota_ratio",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.2,
    show_default=True,
    help="优秀名额占参评人数的比例（向下取整，至少 1 名）。",
)
@click.option("--tie-rule", cls=_TieRuleOption, show_default=True)
@click.option(
    "--xlsx",
    type=click.Path(dir_okay=False, path_type=Path),
    help="另存为可打印的 XLSX（评多个中心时，每个中心一个文件，文件名加中心代码）。",
)
@click.option(
    "--pdf", type=click.Path(dir_okay=False, path_type=Path), help="另存为通报式 PDF（含统计图）。"
)
@click.option(
    "--docx", type=click.Path(dir_okay=False, path_type=Path), help="另存为可编辑的 DOCX。"
)
@click.option("--publish", is_flag=True, help="发布为本年度的正式版本（不加此项只预览，不保存）。")
@click.option("--reason", help="重新发布、取代已有正式版本的理由（已有正式版本时必填）。")
@actor_option
@json_option
@pass_state
def evaluate(
    state: State,
    year: int,
    center: str | None,
    quota_ratio: float,
    tie_rule: str,
    xlsx: Path | None,
    pdf: Path | None,
    docx: Path | None,
    publish: bool,
    reason: str | None,
    actor: str | None,
) -> None:
    """年度评估评价：评分、排名、等次，按名额评选优秀监督员（默认只预览；--publish 发布）。"""
    if publish and not center:
        fail("发布正式版本须用 --center 指定中心（每个中心各自发布）")
    ledger = state.ledger()
    rules = tuple(r.strip() for r in tie_rule.split(",") if r.strip())
    codes = [center] if center else [c.code for c in ledger.centers()]
    published = []
    vocabulary = ledger.vocabulary()
    files: dict[int, list[Path]] = {}
    for code in codes:
        evaluation = ledger.evaluate_year(
            year,
            center=code,
            actor=resolve_actor(actor),
            quota_ratio=quota_ratio,
            tie_rule=rules,
            publish=publish,
            reason=reason,
        )
        published.append(evaluation)
        mine = files.setdefault(len(published) - 1, [])
        for wanted, kind in ((xlsx, "xlsx"), (pdf, "pdf"), (docx, "docx")):
            if wanted is None:
                continue
            target = wanted if center else wanted.with_name(f"{wanted.stem}-{code}{wanted.suffix}")
            mine.append(
                write_evaluation(kind, evaluation, target, vocabulary=vocabulary, on=ledger.today())
            )

    # The evaluation names every supervisor ranked: a view of personal data (access log).
    log_shown(
        ledger,
        "annual_evaluation",
        (entry.supervisor_id for e in published for entry in e.entries),
        target=str(year),
    )

    def human() -> None:
        for evaluation in published:
            click.echo("\n".join(evaluation_lines(evaluation, vocabulary)))
        for written in files.values():
            for path in written:
                click.echo(f"已另存为 {path}")

    data = [with_files(e, files[i]) for i, e in enumerate(published)]
    show(state, data[0] if center else data, human)


@click.group()
def evaluations() -> None:
    """已发布的年度评估（每个版本都保留）。"""


@evaluations.command("list")
@click.option("--center", type=CENTER, help="中心（代码或名称）。")
@click.option("--year", type=int, help="年度。")
@json_option
@pass_state
def evaluations_list(state: State, center: str | None, year: int | None) -> None:
    """列出已发布的评估版本。"""
    ledger = state.ledger()
    found = ledger.evaluations(center=center, year=year)

    def human() -> None:
        vocabulary = ledger.vocabulary()
        if not found:
            click.echo("还没有发布的评估。")
        for e in found:
            names = "、".join(x.name for x in e.excellent) or "（无）"
            mark = "正式" if e.official else "已取代"
            why = f"  取代 #{e.supersedes}：{e.reason}" if e.supersedes else ""
            click.echo(
                f"#{e.id:<4} {vocabulary.center(e.center)} {e.year} 第 {e.version} 版（{mark}）  "
                f"参评 {len(e.entries)} 人  优秀：{names}{why}"
            )

    show(state, found, human)


@evaluations.command("show")
@click.argument("evaluation_id", type=int)
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="另存为 XLSX。")
@json_option
@pass_state
def evaluations_show(state: State, evaluation_id: int, xlsx: Path | None) -> None:
    """显示一个评估版本。"""
    ledger = state.ledger()
    found = [e for e in ledger.evaluations() if e.id == evaluation_id]
    if not found:
        fail(f"没有编号为 {evaluation_id} 的评估")
    evaluation = found[0]
    vocabulary = ledger.vocabulary()
    written = []
    if xlsx is not None:
        written.append(
            write_evaluation("xlsx", evaluation, xlsx, vocabulary=vocabulary, on=ledger.today())
        )
    log_shown(
        ledger,
        "annual_evaluation",
        (entry.supervisor_id for entry in evaluation.entries),
        target=str(evaluation.year),
    )

    def human() -> None:
        click.echo("\n".join(evaluation_lines(evaluation, vocabulary)))
        for path in written:
            click.echo(f"已另存为 {path}")

    show(state, with_files(evaluation, written), human)


@click.group()
def workplans() -> None:
    """监督工作计划：每个中心每年的计划及负责专人。"""


@workplans.command("add")
@click.option("--center", type=CENTER, required=True, help="中心（代码或名称）。")
@click.option("--year", type=int, required=True, help="年度。")
@click.option("--title", required=True, help="计划名称。")
@click.option("--staff", multiple=True, required=True, help="负责的专人（可多次）。")
@click.option("--content", required=True, help="计划内容。")
@json_option
@pass_state
def workplans_add(
    state: State, center: str, year: int, title: str, staff: tuple[str, ...], content: str
) -> None:
    """登记年度监督工作计划。"""
    plan = state.ledger().add_work_plan(
        center=center, year=year, title=title, responsible_staff=staff, content=content
    )
    show(
        state,
        plan,
        lambda: click.echo(
            f"已登记工作计划 #{plan.id}：{plan.title}（负责：{'、'.join(plan.responsible_staff)}）"
        ),
    )


@workplans.command("list")
@click.option("--center", type=CENTER, help="中心（代码或名称）。")
@click.option("--year", type=int, help="年度。")
@json_option
@pass_state
def workplans_list(state: State, center: str | None, year: int | None) -> None:
    """列出工作计划。"""
    found = state.ledger().work_plans(center=center, year=year)

    def human() -> None:
        if not found:
            click.echo("没有工作计划。")
        for p in found:
            click.echo(
                f"#{p.id:<4} {p.center} {p.year} {p.title}（负责：{'、'.join(p.responsible_staff)}）"
            )

    show(state, found, human)


@click.group()
def activities() -> None:
    """活动：集中体验、座谈交流、调研、培训，以及出席情况。"""


@activities.command("add")
@click.option("--center", type=CENTER, required=True, help="中心（代码或名称）。")
@click.option(
    "--kind",
    type=lazy_choice("supervision_core.model.year:ActivityKind"),
    required=True,
    help="活动类型。",
)
@click.option("--title", required=True, help="活动名称。")
@click.option("--date", "held_on", type=DATE, required=True, help="日期 YYYY-MM-DD。")
@click.option("--place", required=True, help="地点。")
@click.option("--organizer", required=True, help="组织单位。")
@json_option
@pass_state
def activities_add(
    state: State,
    center: str,
    kind: str,
    title: str,
    held_on: dt.datetime,
    place: str,
    organizer: str,
) -> None:
    """登记一次活动。"""
    activity = state.ledger().add_activity(
        center=center,
        kind=kind,
        title=title,
        held_on=held_on.date(),
        place=place,
        organizer=organizer,
    )
    show(state, activity, lambda: click.echo(f"已登记活动 #{activity.id}：{activity.title}"))


@activities.command("attend")
@click.argument("activity_id", type=int)
@click.argument("supervisor_id", type=int)
@click.option(
    "--status",
    type=lazy_choice("supervision_core.model.year:AttendanceStatus"),
    default="present",
    show_default=True,
    help="present 出席；excused 请假；unexcused 无故缺席。",
)
@click.option("--note", help="说明（更正出席记录时请写明原因）。")
@actor_option
@json_option
@pass_state
def activities_attend(
    state: State,
    activity_id: int,
    supervisor_id: int,
    status: str,
    note: str | None,
    actor: str | None,
) -> None:
    """记录（或更正）受邀监督员的出席情况；每次记录连同操作人保存在监督员的变更记录中。"""
    from supervision_core.model.year import AttendanceStatus

    activity = state.ledger().record_attendance(
        activity_id, supervisor_id, status, actor=resolve_actor(actor), note=note
    )
    show(
        state,
        activity,
        lambda: click.echo(
            f"活动 #{activity.id}：监督员 #{supervisor_id} {AttendanceStatus(status).label}"
        ),
    )


@activities.command("list")
@click.option("--center", type=CENTER, help="中心（代码或名称）。")
@click.option("--year", type=int, help="年度。")
@json_option
@pass_state
def activities_list(state: State, center: str | None, year: int | None) -> None:
    """列出活动及出席情况。"""
    from supervision_core.model.year import AttendanceStatus

    found = state.ledger().activities(center=center, year=year)

    def human() -> None:
        if not found:
            click.echo("没有活动。")
        for a in found:
            present = sum(1 for _, s in a.attendance if s is AttendanceStatus.PRESENT)
            click.echo(
                f"#{a.id:<4} {a.held_on} {pad(a.kind.label, 10)} {a.title}  出席 {present}/{len(a.attendance)}"
            )

    show(state, found, human)


class _BriefingGroup(click.Group):
    """``briefing``: ``briefing PERIOD ...`` is ``briefing show PERIOD ...``.

    The figures were the command's whole job before the meeting and sending came;
    the old spelling stays valid.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["show", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_BriefingGroup, no_args_is_help=True)
def briefing() -> None:
    """每半年通报：统计、发送给监督员、记录通报会（briefing 2026H1 --center 中心 即 show）。"""


_center_option = click.option("--center", type=CENTER, required=True, help="中心（代码或名称）。")


@briefing.command("show")
@click.argument("period")
@_center_option
@click.option("--add-opinion", "opinion", help="记录通报会上听取的一条意见建议。")
@click.option("--supervisor", "supervisor_id", type=int, help="提出意见的监督员编号（可省略）。")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="把 Markdown 另存为文件。"
)
@click.option(
    "--pdf", type=click.Path(dir_okay=False, path_type=Path), help="另存为通报式 PDF（含统计图）。"
)
@click.option(
    "--docx", type=click.Path(dir_okay=False, path_type=Path), help="另存为可编辑的 DOCX。"
)
@click.option(
    "--send",
    is_flag=True,
    help="通过发送队列发给本中心每位在职监督员（正文和 PDF 附件）；重复执行不会重复发送。",
)
@actor_option
@json_option
@pass_state
def briefing_show(
    state: State,
    period: str,
    center: str,
    opinion: str | None,
    supervisor_id: int | None,
    out: Path | None,
    pdf: Path | None,
    docx: Path | None,
    send: bool,
    actor: str | None,
) -> None:
    """期间写作 2026H1 或 2026H2；输出 Markdown 或 JSON，可另存、可发送。"""
    ledger = state.ledger()
    if opinion:
        ledger.add_briefing_opinion(
            center=center,
            period=period,
            text=opinion,
            actor=resolve_actor(actor),
            supervisor_id=supervisor_id,
        )
    figures = ledger.briefing(center=center, period=period)
    from supervision_core.documents.briefing import render_markdown

    text = render_markdown(figures)
    written: list[Path] = []
    if out is not None:
        out.write_text(text, encoding="utf-8")
        written.append(out)
    if pdf is not None:
        from supervision_core.documents.printable import write_briefing_pdf

        write_briefing_pdf(figures, pdf, on=ledger.today())
        written.append(pdf)
    if docx is not None:
        from supervision_core.documents.printable import write_briefing_docx

        write_briefing_docx(figures, docx, on=ledger.today())
        written.append(docx)

    def text_or_where() -> None:
        # A file asked for: say where it went; the text itself only when none was.
        if written:
            for path in written:
                click.echo(f"已写入通报：{path.resolve()}")
        else:
            click.echo(text, nl=False)

    if not send:
        show(state, with_files(figures, written), text_or_where)
        return
    delivery = ledger.send_briefing(center=center, period=period)

    vocabulary = ledger.vocabulary()

    def human() -> None:
        text_or_where()
        click.echo(
            f"\n已放入发送队列：{delivery.sent} 名监督员"
            f"（在职 {delivery.supervisors} 名，此前已发送 {delivery.already_sent} 名，不重复发送；"
            f"通知方式：{'、'.join(vocabulary.notifier(n) for n in delivery.notifiers)}）。"
            "用 supdesk outbox 查看发送情况。"
        )
        if delivery.without_address:
            ids = "、".join(f"#{i}" for i in delivery.without_address)
            click.echo(f"注意：监督员 {ids} 没有登记联系方式，请线下送达。")

    show(state, with_files({"briefing": figures, "delivery": delivery}, written), human)


@briefing.group("meeting")
def briefing_meeting() -> None:
    """通报会：日期、地点、出席情况和听取的意见建议。"""


def _ids(values: tuple[str, ...]) -> list[int]:
    found = []
    for value in values:
        for part in value.replace("，", ",").split(","):
            if part.strip():
                try:
                    found.append(int(part.strip().lstrip("#")))
                except ValueError:
                    fail(f"监督员编号应为数字：{part.strip()!r}")
    return found


def _meeting_lines(state: State, meeting: BriefingMeeting) -> list[str]:
    from supervision_core.model.year import AttendanceStatus

    ledger = state.ledger()
    lines = [
        f"{meeting.center} {meeting.period} 通报会：{meeting.held_on}，{meeting.place}"
        + (f"，{meeting.chair}主持" if meeting.chair else "")
    ]
    if meeting.note:
        lines.append(f"  {meeting.note}")
    for status in AttendanceStatus:
        ids = [i for i, s in meeting.attendance if s is status]
        names = "、".join(f"{ledger.supervisor(i).name}(#{i})" for i in ids) or "—"
        lines.append(f"  {pad(status.label, 8)} {len(ids)} 人：{names}")
    opinions = ledger.briefing(center=meeting.center, period=meeting.period).opinions
    lines.append(f"  听取意见建议 {len(opinions)} 条" + ("：" if opinions else ""))
    lines += [f"    {n}. {o.text}" for n, o in enumerate(opinions, 1)]
    return lines


@briefing_meeting.command("record")
@click.argument("period")
@_center_option
@click.option("--date", "held_on", type=DATE, required=True, help="日期 YYYY-MM-DD。")
@click.option("--place", required=True, help="地点。")
@click.option("--chair", help="主持人。")
@click.option("--note", help="备注（如列席的进驻部门）。")
@click.option("--present", multiple=True, help="出席的监督员编号（可多次，或用逗号分隔）。")
@click.option("--excused", multiple=True, help="请假的监督员编号。")
@click.option("--unexcused", multiple=True, help="无故缺席的监督员编号。")
@click.option("--opinion", "opinions", multiple=True, help="会上听取的一条意见建议（可多次）。")
@actor_option
@json_option
@pass_state
def briefing_meeting_record(
    state: State,
    period: str,
    center: str,
    held_on: dt.datetime,
    place: str,
    chair: str | None,
    note: str | None,
    present: tuple[str, ...],
    excused: tuple[str, ...],
    unexcused: tuple[str, ...],
    opinions: tuple[str, ...],
    actor: str | None,
) -> None:
    """记录通报会（每个中心每半年一次；再次记录即更正）。"""
    attendance: dict[int, str] = {}
    for status, values in (("present", present), ("excused", excused), ("unexcused", unexcused)):
        for supervisor_id in _ids(values):
            if supervisor_id in attendance and attendance[supervisor_id] != status:
                fail(f"监督员 #{supervisor_id} 的出席情况重复填写")
            attendance[supervisor_id] = status
    meeting = state.ledger().record_briefing_meeting(
        center=center,
        period=period,
        held_on=held_on.date(),
        place=place,
        actor=resolve_actor(actor),
        chair=chair,
        note=note,
        attendance=attendance,
        opinions=opinions,
    )
    show(
        state, meeting, lambda: click.echo("\n".join(["已记录。", *_meeting_lines(state, meeting)]))
    )


@briefing_meeting.command("show")
@click.argument("period")
@_center_option
@json_option
@pass_state
def briefing_meeting_show(state: State, period: str, center: str) -> None:
    """显示记录的通报会。"""
    meeting = state.ledger().briefing_meeting(center=center, period=period)
    if meeting is None:
        fail(f"中心 {center} 还没有记录 {period} 的通报会（supdesk briefing meeting record）")
    # The attendance names the supervisors: a view of personal data (access log).
    log_shown(state.ledger(), "briefing_meeting", (i for i, _ in meeting.attendance), target=period)
    show(state, meeting, lambda: click.echo("\n".join(_meeting_lines(state, meeting))))

"""The ``supdesk`` command line: Chinese for people, ``--json`` for scripts.

Wrong input prints one clear line and exits non-zero; never a traceback.
"""

from __future__ import annotations

import datetime as dt
import enum
import getpass
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import attrs
import click
import sqlalchemy as sa

from supervision_core.config import Settings, load_settings
from supervision_core.demo import (
    DEMO_PASSWORD,
    DEMO_USERS,
    demo_config_text,
    demo_settings,
    load_demo,
)
from supervision_core.documents.briefing import render_markdown
from supervision_core.documents.evaluation_workbook import write_evaluation_xlsx
from supervision_core.documents.ledger_workbook import export_ledger, unit_copy
from supervision_core.documents.printable import (
    write_briefing_docx,
    write_briefing_pdf,
    write_evaluation_docx,
    write_evaluation_pdf,
)
from supervision_core.errors import SupervisionError
from supervision_core.ledger import Ledger, open_ledger
from supervision_core.model.accounts import Role, StaffUser
from supervision_core.model.clock import to_local
from supervision_core.model.issues import (
    Issue,
    IssueState,
    NotAcceptedReason,
    RectificationTrack,
    Satisfaction,
)
from supervision_core.model.outbox import OutboxStatus
from supervision_core.model.reports import QuarantinedReport
from supervision_core.model.summaries import IssueSummary
from supervision_core.model.supervisors import (
    ContactKind,
    Identity,
    NewSupervisor,
    Origin,
    Revocation,
    Supervisor,
    SupervisorStatus,
)
from supervision_core.model.year import (
    DEFAULT_TIE_RULE,
    TIE_RULES,
    ActivityKind,
    AttendanceStatus,
    DisciplineKind,
    Evaluation,
    FindingKind,
)
from supervision_core.plugins import PluginHost, get_plugin_manager
from supervision_core.rules.masking import mask_personal_data, mask_phone
from supervision_core.store.engine import DEFAULT_DATABASE_URL

F = TypeVar("F", bound=Callable[..., Any])


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (CJK characters take two)."""
    return text + " " * max(width - _width(text), 0)


def _fail(message: str) -> NoReturn:
    click.echo(f"错误：{message}", err=True)
    sys.exit(1)


class _Group(click.Group):
    """A group whose commands turn expected errors into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SupervisionError as exc:
            _fail(str(exc))
        except sa.exc.OperationalError as exc:
            _fail(f"数据库操作失败：{exc.orig}")
        except sa.exc.SQLAlchemyError as exc:
            _fail(f"数据库错误：{exc}")
        except (ValueError, OSError) as exc:
            _fail(str(exc))
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            # A bug of ours: still one line for the user; the details on request.
            if os.environ.get("SUPDESK_DEBUG"):
                raise
            _fail(
                f"内部错误 {type(exc).__name__}: {exc}（设置 SUPDESK_DEBUG=1 可查看详细信息，请报告此问题）"
            )


@attrs.define
class _State:
    database: str | None
    config: Path | None
    json: bool = False
    _ledger: Ledger | None = None

    def settings(self) -> Settings:
        if self.config is not None:
            return load_settings(self.config)
        default = Path("supdesk.toml")
        return load_settings(default) if default.exists() else Settings()

    def url(self, settings: Settings) -> str:
        return self.database or settings.database_url or DEFAULT_DATABASE_URL

    def ledger(self) -> Ledger:
        if self._ledger is None:
            settings = self.settings()
            self._ledger = open_ledger(self.url(settings), settings=settings)
        return self._ledger


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _to_json(value: Any) -> Any:
    if attrs.has(type(value)):
        return {k: _to_json(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if hasattr(value, "items"):
        return {str(k): _to_json(v) for k, v in value.items()}
    return _plain(value)


def _emit(state: _State, data: Any, human: Callable[[], None]) -> None:
    if state.json:
        click.echo(json.dumps(_to_json(data), ensure_ascii=False, indent=2))
    else:
        human()


def _actor(value: str | None) -> str:
    if value:
        return value
    try:
        user = getpass.getuser()
    except OSError:
        user = "unknown"
    return os.environ.get("SUPDESK_ACTOR") or f"cli:{user}"


def _json_option(f: F) -> F:
    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.find_object(_State).json = True  # type: ignore[union-attr]

    return click.option(
        "--json",
        "json_",
        is_flag=True,
        expose_value=False,
        callback=callback,
        help="以 JSON 输出，便于脚本处理。",
    )(f)


def _actor_option(f: F) -> F:
    return click.option("--actor", help="操作人（默认取 SUPDESK_ACTOR 或当前用户）。")(f)


def _choice(kind: type[enum.Enum]) -> click.Choice[str]:
    return click.Choice([m.value for m in kind])


pass_state = click.make_pass_decorator(_State)


def current_ledger() -> Ledger:
    """The ledger of the running ``supdesk`` command (for plugins' commands).

    Opened on first use from ``--database`` and ``--config``, as every built-in
    command's is.
    """
    state = click.get_current_context().find_object(_State)
    if state is None:
        msg = "current_ledger() 只能在 supdesk 命令中调用"
        raise RuntimeError(msg)
    return state.ledger()


def wants_json() -> bool:
    """Whether the running ``supdesk`` command was asked for ``--json`` output."""
    state = click.get_current_context().find_object(_State)
    return bool(state and state.json)


json_option = _json_option
actor_option = _actor_option
resolve_actor = _actor


def emit(data: Any) -> None:
    """Print ``data`` (attrs values, lists, dicts, dates) as the JSON ``--json`` promises."""
    click.echo(json.dumps(_to_json(data), ensure_ascii=False, indent=2))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database",
    envvar="SUPDESK_DATABASE_URL",
    metavar="URL",
    help="数据库地址（sqlite:///supdesk.db 或 postgresql://...），也可用 SUPDESK_DATABASE_URL。",
)
@click.option(
    "--config",
    envvar="SUPDESK_CONFIG",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="配置文件（默认当前目录下的 supdesk.toml），也可用 SUPDESK_CONFIG。",
)
@click.version_option(package_name="supervision-desk")
@click.pass_context
def cli(ctx: click.Context, database: str | None, config: Path | None) -> None:
    """政务服务监督员工作台 supervision-desk：反馈问题台账的受理、派单、整改与跟踪。"""
    ctx.obj = _State(database=database, config=config)


# --------------------------------------------------------------------- init


@cli.command()
@click.option(
    "--demo", is_flag=True, help="写入乌审旗示例配置（如尚无 supdesk.toml）并载入演示数据。"
)
@_json_option
@pass_state
def init(state: _State, demo: bool) -> None:
    """创建或升级数据库结构，并按配置同步服务中心与单位。"""
    config_path = state.config or Path("supdesk.toml")
    wrote = False
    if demo and not config_path.exists():
        config_path.write_text(demo_config_text(), encoding="utf-8")
        wrote = True
    settings = (
        load_settings(config_path)
        if config_path.exists()
        else (demo_settings() if demo else Settings())
    )
    ledger = open_ledger(state.url(settings), settings=settings, create=True)
    counts = load_demo(ledger) if demo else None
    data: dict[str, Any] = {
        "database": state.url(settings),
        "config": str(config_path) if config_path.exists() else None,
        "wrote_config": wrote,
        "centers": [c.code for c in ledger.centers()],
        "demo": counts,
    }

    def human() -> None:
        click.echo(f"数据库已就绪：{data['database']}")
        if wrote:
            click.echo(f"已写入示例配置：{config_path}")
        if not settings.centers:
            click.echo("尚未配置服务中心：请编辑 supdesk.toml 后再次运行 supdesk init。")
        else:
            click.echo(
                f"服务中心 {len(data['centers'])} 个：{'、'.join(c.name for c in ledger.centers())}"
            )
        if counts:
            click.echo(
                f"演示数据：监督员 {counts['supervisors']} 名，问题 {counts['issues']} 件，"
                f"隔离区 {counts['quarantined']} 件。试试：supdesk issues list"
            )
            names = "、".join(u for u, _, _ in DEMO_USERS)
            click.echo(f"演示账号：{names}，密码 {DEMO_PASSWORD}（仅供演示）")

    _emit(state, data, human)


# --------------------------------------------------------------------- supervisors


@cli.group()
def supervisors() -> None:
    """监督员：聘任、查询、暂停、取消资格。"""


def _supervisor_lines(s: Supervisor) -> list[str]:
    contacts = "，".join(_identity_text(i) for i in s.identities) or "（无）"
    lines = [
        f"#{s.id} {s.name}  [{s.status.label}]",
        f"  所属中心：{s.center}    来源：{s.origin.label}",
        f"  聘书编号：{s.letter_number or '—'}    工作证编号：{s.card_number or '—'}",
        f"  聘期：{s.term_start or '—'} 至 {s.term_end or '—'}",
        f"  联系方式：{contacts}",
    ]
    if s.status_note:
        lines.append(f"  状态说明：{s.status_note}")
    if s.revocation:
        r = s.revocation
        lines.append(
            f"  取消资格：{r.on}，聘书{'已' if r.letter_returned else '未'}收回，"
            f"工作证{'已' if r.card_returned else '未'}收回"
        )
    return lines


def _identity_text(identity: Identity) -> str:
    if identity.kind is ContactKind.PHONE:
        return f"电话 {mask_phone(identity.value)}"
    if identity.kind is ContactKind.EMAIL:
        return f"邮箱 {identity.value}"
    return f"即时通讯 {identity.value}"


def _masked(s: Supervisor) -> Supervisor:
    return attrs.evolve(
        s,
        identities=tuple(
            Identity(i.kind, mask_phone(i.value)) if i.kind is ContactKind.PHONE else i
            for i in s.identities
        ),
    )


@supervisors.command("add")
@click.argument("name")
@click.option("--center", required=True, help="聘任中心代码。")
@click.option(
    "--origin",
    type=_choice(Origin),
    default=Origin.EXPERIENCE_OFFICER.value,
    show_default=True,
    help="experience_officer 体验官兼任；township_hired 苏木镇聘用。",
)
@click.option("--letter", "letter_number", help="聘书编号。")
@click.option("--card", "card_number", help="工作证编号。")
@click.option("--term-start", type=click.DateTime(["%Y-%m-%d"]), help="聘期开始 YYYY-MM-DD。")
@click.option("--term-end", type=click.DateTime(["%Y-%m-%d"]), help="聘期结束 YYYY-MM-DD。")
@click.option("--email", multiple=True, help="电子邮箱（可多次）。")
@click.option("--phone", multiple=True, help="电话号码（可多次）。")
@click.option("--messenger", multiple=True, help="即时通讯账号，如 telegram:123456（可多次）。")
@_json_option
@pass_state
def supervisors_add(
    state: _State,
    name: str,
    center: str,
    origin: str,
    letter_number: str | None,
    card_number: str | None,
    term_start: dt.datetime | None,
    term_end: dt.datetime | None,
    email: tuple[str, ...],
    phone: tuple[str, ...],
    messenger: tuple[str, ...],
) -> None:
    """聘任一名监督员。"""
    identities = [Identity(ContactKind.EMAIL, v) for v in email]
    identities += [Identity(ContactKind.PHONE, v) for v in phone]
    identities += [Identity(ContactKind.MESSENGER, v) for v in messenger]
    supervisor = state.ledger().add_supervisor(
        NewSupervisor(
            name=name,
            center=center,
            origin=Origin(origin),
            letter_number=letter_number,
            card_number=card_number,
            term_start=term_start.date() if term_start else None,
            term_end=term_end.date() if term_end else None,
            identities=identities,
        )
    )
    _emit(
        state,
        _masked(supervisor),
        lambda: click.echo("\n".join(["已聘任：", *_supervisor_lines(supervisor)])),
    )


@supervisors.command("list")
@click.option("--center", help="只看某个中心。")
@click.option("--status", type=_choice(SupervisorStatus), help="只看某种状态。")
@_json_option
@pass_state
def supervisors_list(state: _State, center: str | None, status: str | None) -> None:
    """列出监督员（电话号码脱敏显示）。"""
    found = state.ledger().supervisors(
        center=center, status=SupervisorStatus(status) if status else None
    )

    def human() -> None:
        if not found:
            click.echo("没有符合条件的监督员。")
        for s in found:
            phones = "，".join(
                mask_phone(i.value) for i in s.identities if i.kind is ContactKind.PHONE
            )
            click.echo(
                f"#{s.id:<4} {_pad(s.name, 12)} {_pad(s.center, 14)} {_pad(s.status.label, 12)} {phones}"
            )

    _emit(state, [_masked(s) for s in found], human)


@supervisors.command("show")
@click.argument("supervisor_id", type=int)
@_json_option
@pass_state
def supervisors_show(state: _State, supervisor_id: int) -> None:
    """显示一名监督员的详细信息。"""
    s = state.ledger().supervisor(supervisor_id)
    _emit(state, _masked(s), lambda: click.echo("\n".join(_supervisor_lines(s))))


@supervisors.command("suspend")
@click.argument("supervisor_id", type=int)
@click.option("--reason", required=True, help="暂停理由。")
@_json_option
@pass_state
def supervisors_suspend(state: _State, supervisor_id: int, reason: str) -> None:
    """暂停监督员资格（其反馈将进入隔离区）。"""
    s = state.ledger().suspend(supervisor_id, reason=reason)
    _emit(state, _masked(s), lambda: click.echo(f"监督员 #{s.id} {s.name} 已暂停。"))


@supervisors.command("reinstate")
@click.argument("supervisor_id", type=int)
@click.option("--reason", required=True, help="恢复理由。")
@_json_option
@pass_state
def supervisors_reinstate(state: _State, supervisor_id: int, reason: str) -> None:
    """恢复被暂停的监督员。"""
    s = state.ledger().reinstate(supervisor_id, reason=reason)
    _emit(state, _masked(s), lambda: click.echo(f"监督员 #{s.id} {s.name} 已恢复。"))


@supervisors.command("link-code")
@click.argument("supervisor_id", type=int)
@click.option("--minutes", default=30, show_default=True, help="有效时长（分钟）。")
@_json_option
@pass_state
def supervisors_link_code(state: _State, supervisor_id: int, minutes: int) -> None:
    """发给监督员一个一次性绑定码，用于绑定 Telegram 等即时通讯账号。"""
    link = state.ledger().messengers.issue_link_code(supervisor_id, minutes=minutes)
    local = to_local(link.expires_at)

    def human() -> None:
        click.echo(f"绑定码：{link.code}（{local:%Y-%m-%d %H:%M} 前有效，仅可使用一次）")
        click.echo(f"请监督员在机器人对话中发送：/link {link.code}")

    _emit(state, link, human)


@supervisors.command("revoke")
@click.argument("supervisor_id", type=int)
@click.option("--reason", required=True, help="取消资格的理由。")
@click.option("--letter-returned/--letter-not-returned", required=True, help="聘书是否已收回。")
@click.option("--card-returned/--card-not-returned", required=True, help="工作证是否已收回。")
@click.option("--on", "on_date", type=click.DateTime(["%Y-%m-%d"]), help="日期（默认今天）。")
@_json_option
@pass_state
def supervisors_revoke(
    state: _State,
    supervisor_id: int,
    reason: str,
    letter_returned: bool,
    card_returned: bool,
    on_date: dt.datetime | None,
) -> None:
    """取消监督员资格，并记录聘书、工作证是否收回。"""
    ledger = state.ledger()
    s = ledger.revoke(
        supervisor_id,
        Revocation(
            on=on_date.date() if on_date else ledger.today(),
            reason=reason,
            letter_returned=letter_returned,
            card_returned=card_returned,
        ),
    )
    _emit(state, _masked(s), lambda: click.echo("\n".join(["已取消资格：", *_supervisor_lines(s)])))


# --------------------------------------------------------------------- issues


@cli.group()
def issues() -> None:
    """反馈问题台账：查询与办理（审查、派单、整改、评价）。"""


def _summary_line(i: IssueSummary, today: dt.date) -> str:
    state = IssueState(i.state).label
    due = i.due_on.isoformat() if i.due_on else "—"
    if i.due_on and not i.due_confirmed:
        due += "(未确认)"
    late = " 【逾期】" if i.due_on and i.due_on < today and IssueState(i.state) in _OPEN else ""
    return f"{_pad(i.number, 24)} {_pad(state, 14)} 期限 {_pad(due, 12)} 单位 {i.unit or '—'}{late}"


_OPEN = {
    IssueState.RECEIVED,
    IssueState.ACCEPTED,
    IssueState.DISPATCHED,
    IssueState.RECTIFYING,
    IssueState.REOPENED,
}


@issues.command("list")
@click.option("--center", help="只看某个中心。")
@click.option("--status", type=_choice(IssueState), help="只看某种状态。")
@click.option("--supervisor", type=int, help="只看某位监督员反馈的问题。")
@click.option("--overdue", is_flag=True, help="只看已逾期的问题。")
@click.option(
    "--due-within", type=click.IntRange(min=0), metavar="N", help="只看 N 个工作日内到期的问题。"
)
@click.option("--limit", type=click.IntRange(min=1), help="最多显示几条。")
@_json_option
@pass_state
def issues_list(
    state: _State,
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
        for i in found:
            click.echo(_summary_line(i, today))
        click.echo(f"共 {len(found)} 件。")

    _emit(state, found, human)


def _issue_lines(issue: Issue, today: dt.date) -> list[str]:
    h = issue.hints
    lines = [
        f"问题 {issue.number}（#{issue.id}）  [{issue.state.label}]",
        f"  中心：{issue.center}    反馈时间：{issue.received_at.astimezone(_TZ):%Y-%m-%d %H:%M}",
        f"  监督员：#{issue.supervisor_id}",
        f"  方式：{h.method.label if h.method else '—'}  环节：{h.stage.label if h.stage else '—'}  "
        f"内容：{h.topic.label if h.topic else '—'}  类型：{h.problem_type.label if h.problem_type else '—'}",
        f"  场所：{h.venue or '—'}",
        f"  描述：{mask_personal_data(issue.text)}",
    ]
    if issue.not_accepted_reason:
        lines.append(f"  不予受理：{issue.not_accepted_reason.label}；{issue.screening_note}")
    if issue.unit:
        lines.append(f"  责任单位：{issue.unit}    责任人：{issue.responsible_person}")
    if issue.track:
        lines.append(f"  整改方式：{issue.track.label}    措施：{issue.measures or '—'}")
    if issue.due_on:
        late = "【已逾期】" if issue.is_overdue(today) else ""
        confirmed = "" if issue.due_confirmed else "（未确认：该年节假日安排未录入）"
        lines.append(f"  期限：{issue.due_on}{confirmed}{late}    延期次数：{issue.extensions}")
    if issue.evidence:
        lines.append(f"  整改结果：{issue.evidence}")
    if issue.explanation:
        lines.append(f"  说明：{issue.explanation}")
    if issue.satisfaction:
        lines.append(f"  监督员评价：{issue.satisfaction.label}")
    if issue.merged_into:
        lines.append(f"  已并入问题 #{issue.merged_into}")
    if issue.possible_duplicate_of:
        lines.append(f"  可能与问题 #{issue.possible_duplicate_of} 重复")
    return lines


from supervision_core.model.clock import SHANGHAI as _TZ  # noqa: E402


@issues.command("show")
@click.argument("ref")
@_json_option
@pass_state
def issues_show(state: _State, ref: str) -> None:
    """显示一个问题及其全部办理记录。"""
    ledger = state.ledger()
    issue = ledger.issue(ref)
    history = ledger.history(ref)
    proposals = ledger.proposals(ref)

    def human() -> None:
        click.echo("\n".join(_issue_lines(issue, ledger.today())))
        if proposals:
            click.echo("  审查提示：")
            for name, p in proposals:
                click.echo(f"    [{name}] 建议不予受理：{p.reason.label}；依据：{p.evidence}")
        click.echo("  办理记录：")
        for e in history:
            when = e.at.astimezone(_TZ).strftime("%Y-%m-%d %H:%M")
            note = f"：{mask_personal_data(e.note)}" if e.note else ""
            click.echo(f"    {when}  {e.kind.label}  （{e.actor}）{note}")

    data = {
        "issue": attrs.evolve(issue, text=mask_personal_data(issue.text)),
        "history": history,
        "proposals": [{"check": n, **_to_json(p)} for n, p in proposals],
    }
    _emit(state, data, human)


def _step_output(state: _State, issue: Issue, message: str) -> None:
    _emit(
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
@click.option("--reject", "reason", type=_choice(NotAcceptedReason), help="不予受理的理由。")
@click.option("--note", help="告知监督员的说明（不予受理时必填）。")
@_actor_option
@_json_option
@pass_state
def issues_screen(
    state: _State,
    ref: str,
    decision: str | None,
    reason: str | None,
    note: str | None,
    actor: str | None,
) -> None:
    """受理审查：--accept 受理，或 --reject 理由 --note 说明。"""
    if bool(decision) == bool(reason):
        _fail("请二选一：--accept 受理，或 --reject 理由 --note 说明")
    ledger = state.ledger()
    if decision:
        issue = ledger.accept(ref, actor=_actor(actor), note=note)
        _step_output(state, issue, "已受理")
    else:
        issue = ledger.not_accept(ref, reason=reason or "", note=note or "", actor=_actor(actor))
        _step_output(state, issue, "不予受理")


@issues.command("dispatch")
@click.argument("ref")
@click.option("--unit", required=True, help="责任单位代码。")
@click.option("--person", required=True, help="责任人。")
@click.option("--note", help="备注。")
@_actor_option
@_json_option
@pass_state
def issues_dispatch(
    state: _State, ref: str, unit: str, person: str, note: str | None, actor: str | None
) -> None:
    """派单至责任单位和责任人。"""
    issue = state.ledger().dispatch(
        ref, unit=unit, responsible_person=person, note=note, actor=_actor(actor)
    )
    _step_output(state, issue, "已派单")


@issues.command("plan")
@click.argument("ref")
@click.option(
    "--track",
    type=_choice(RectificationTrack),
    required=True,
    help="immediate 立行立改；scheduled 限时整改；explained 作出说明。",
)
@click.option("--measures", help="整改措施（限时整改必填）。")
@click.option("--days", type=click.IntRange(min=1), help="限时整改的工作日数（默认按配置）。")
@_actor_option
@_json_option
@pass_state
def issues_plan(
    state: _State, ref: str, track: str, measures: str | None, days: int | None, actor: str | None
) -> None:
    """确定整改方式与期限。"""
    issue = state.ledger().plan(ref, track=track, measures=measures, days=days, actor=_actor(actor))
    _step_output(state, issue, "已确定整改方式")


@issues.command("progress")
@click.argument("ref")
@click.option("--note", required=True, help="进展情况。")
@_actor_option
@_json_option
@pass_state
def issues_progress(state: _State, ref: str, note: str, actor: str | None) -> None:
    """记录整改进展。"""
    _step_output(state, state.ledger().progress(ref, note=note, actor=_actor(actor)), "已记录进展")


@issues.command("extend")
@click.argument("ref")
@click.option("--days", type=int, required=True, help="延长的工作日数。")
@click.option("--reason", required=True, help="延期理由。")
@_actor_option
@_json_option
@pass_state
def issues_extend(state: _State, ref: str, days: int, reason: str, actor: str | None) -> None:
    """延长限时整改的期限。"""
    _step_output(
        state, state.ledger().extend(ref, days=days, reason=reason, actor=_actor(actor)), "已延期"
    )


@issues.command("complete")
@click.argument("ref")
@click.option("--evidence", required=True, help="整改结果及佐证。")
@click.option("--note", help="备注。")
@_actor_option
@_json_option
@pass_state
def issues_complete(
    state: _State, ref: str, evidence: str, note: str | None, actor: str | None
) -> None:
    """记录整改完成。"""
    _step_output(
        state,
        state.ledger().complete(ref, evidence=evidence, note=note, actor=_actor(actor)),
        "整改完成",
    )


@issues.command("explain")
@click.argument("ref")
@click.option("--text", "explanation", required=True, help="书面说明。")
@_actor_option
@_json_option
@pass_state
def issues_explain(state: _State, ref: str, explanation: str, actor: str | None) -> None:
    """对不符合实际的意见建议作出说明。"""
    _step_output(
        state,
        state.ledger().explain(ref, explanation=explanation, actor=_actor(actor)),
        "已作出说明",
    )


@issues.command("evaluate")
@click.argument("ref")
@click.option(
    "--satisfaction",
    type=_choice(Satisfaction),
    required=True,
    help="satisfied 满意；basically_satisfied 基本满意；not_satisfied 不满意（重新整改）。",
)
@click.option("--note", help="评价意见。")
@_actor_option
@_json_option
@pass_state
def issues_evaluate(
    state: _State, ref: str, satisfaction: str, note: str | None, actor: str | None
) -> None:
    """记录监督员对整改的评价。"""
    _step_output(
        state,
        state.ledger().evaluate(ref, satisfaction=satisfaction, note=note, actor=_actor(actor)),
        "已评价",
    )


@issues.command("close")
@click.argument("ref")
@click.option("--note", required=True, help="未经评价办结的原因。")
@_actor_option
@_json_option
@pass_state
def issues_close(state: _State, ref: str, note: str, actor: str | None) -> None:
    """未经监督员评价而办结（须说明原因）。"""
    _step_output(state, state.ledger().close_issue(ref, note=note, actor=_actor(actor)), "已办结")


@issues.command("merge")
@click.argument("ref")
@click.option("--into", "into", required=True, help="并入的（较早的）问题。")
@click.option("--note", help="说明。")
@_actor_option
@_json_option
@pass_state
def issues_merge(state: _State, ref: str, into: str, note: str | None, actor: str | None) -> None:
    """将重复反馈并入较早的问题，两位监督员都会得到告知。"""
    _step_output(
        state, state.ledger().merge(ref, into=into, note=note, actor=_actor(actor)), "已合并"
    )


# --------------------------------------------------------------------- quarantine


@cli.group()
def quarantine() -> None:
    """隔离区：无法识别发件人等原因暂存的反馈。"""


def _quarantine_line(q: QuarantinedReport) -> str:
    sender = mask_phone(q.sender.value) if q.sender.kind is ContactKind.PHONE else q.sender.value
    text = mask_personal_data(q.text).replace("\n", " ")
    return f"#{q.id:<5} {_pad(q.center, 12)} {_pad(q.reason.label, 24)} {q.channel}:{sender}  {text[:40]}"


@quarantine.command("list")
@click.option("--center", help="只看某个中心。")
@click.option("--all", "include_resolved", is_flag=True, help="包括已处理的。")
@click.option("--after", type=int, help="从这个编号之后列起（翻页）。")
@click.option("--limit", type=int, help="最多列出几条。")
@_json_option
@pass_state
def quarantine_list(
    state: _State, center: str | None, include_resolved: bool, after: int | None, limit: int | None
) -> None:
    """列出隔离区中的反馈（按编号，由早到晚）。"""
    found = state.ledger().quarantine(
        center=center, include_resolved=include_resolved, after=after, limit=limit
    )

    def human() -> None:
        if not found:
            click.echo("隔离区为空。")
        for q in found:
            click.echo(_quarantine_line(q))

    masked = [
        attrs.evolve(
            q,
            text=mask_personal_data(q.text),
            sender=attrs.evolve(
                q.sender,
                value=mask_phone(q.sender.value)
                if q.sender.kind is ContactKind.PHONE
                else q.sender.value,
            ),
        )
        for q in found
    ]
    _emit(state, masked, human)


@quarantine.command("assign")
@click.argument("quarantine_id", type=int)
@click.option("--supervisor", "supervisor_id", type=int, required=True, help="归入的监督员编号。")
@_actor_option
@_json_option
@pass_state
def quarantine_assign(
    state: _State, quarantine_id: int, supervisor_id: int, actor: str | None
) -> None:
    """把隔离的反馈归入某位监督员，生成问题。"""
    result = state.ledger().assign_quarantined(
        quarantine_id, supervisor_id=supervisor_id, actor=_actor(actor)
    )
    _emit(state, result, lambda: click.echo(f"已生成问题 {result.issue_number}。"))


@quarantine.command("dismiss")
@click.argument("quarantine_id", type=int)
@click.option("--note", required=True, help="理由。")
@_actor_option
@pass_state
def quarantine_dismiss(state: _State, quarantine_id: int, note: str, actor: str | None) -> None:
    """认定隔离的反馈不是问题反馈（保留记录，不删除）。"""
    state.ledger().dismiss_quarantined(quarantine_id, note=note, actor=_actor(actor))
    click.echo(f"隔离反馈 #{quarantine_id} 已驳回（记录保留）。")


# --------------------------------------------------------------------- outbox


@cli.group()
def outbox() -> None:
    """发送队列：给监督员和责任单位的通知，失败重试与人工重发。"""


@outbox.command("list")
@click.option("--status", type=_choice(OutboxStatus), help="只看某种状态（dead 为发送失败）。")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@_json_option
@pass_state
def outbox_list(state: _State, status: str | None, limit: int) -> None:
    """列出通知及其发送情况。"""
    found = state.ledger().outbox(status=status, limit=limit)

    def human() -> None:
        if not found:
            click.echo("发送队列为空。")
        for e in found:
            error = f"  错误：{e.last_error}" if e.last_error else ""
            click.echo(
                f"#{e.id:<5} {_pad(e.status.label, 8)} {_pad(e.notifier, 10)} 尝试 {e.attempts} 次  "
                f"{e.notice.subject}{error}"
            )

    _emit(state, found, human)


@outbox.command("deliver")
@_json_option
@pass_state
def outbox_deliver(state: _State) -> None:
    """立即发送到期的通知（守护进程会定时执行）。"""
    report = state.ledger().deliver_notices()
    _emit(
        state,
        report,
        lambda: click.echo(
            f"已送达 {report.delivered} 条，待重试 {report.retrying} 条，转入发送失败 {report.dead} 条。"
        ),
    )


@outbox.command("retry")
@click.argument("entry_id", type=int)
@_json_option
@pass_state
def outbox_retry(state: _State, entry_id: int) -> None:
    """将发送失败的通知重新排入队列。"""
    entry = state.ledger().retry_notice(entry_id)
    _emit(state, entry, lambda: click.echo(f"通知 #{entry.id} 已重新排队。"))


# --------------------------------------------------------------------- the supervisors' year


def _evaluation_lines(e: Evaluation) -> list[str]:
    lines = [
        f"{e.center} {e.year} 年度监督员评估（第 {e.version} 版，评分办法 {e.policy}，"
        f"优秀名额 {e.quota} 名，并列规则：{' > '.join(TIE_RULES[r][0] for r in e.tie_rule)}）"
    ]
    for entry in e.entries:
        star = " ★优秀" if entry.excellent else ""
        tie = f"  （{entry.tie_note}）" if entry.tie_note else ""
        lines.append(
            f"{entry.rank:>3}. {_pad(entry.name, 12)} {entry.score.total:>6g}  "
            f"{_pad(entry.score.band.label, 8)}{star}{tie}"
        )
    return lines


@cli.command()
@click.argument("year", type=int)
@click.option("--center", help="中心代码（默认：每个中心各评一次）。")
@click.option(
    "--quota",
    "quota_ratio",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.2,
    show_default=True,
    help="优秀名额占参评人数的比例（向下取整，至少 1 名）。",
)
@click.option(
    "--tie-rule",
    default=",".join(DEFAULT_TIE_RULE),
    show_default=True,
    help=f"同分时的排序规则，逗号分隔：{', '.join(TIE_RULES)}。",
)
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
@_actor_option
@_json_option
@pass_state
def evaluate(
    state: _State,
    year: int,
    center: str | None,
    quota_ratio: float,
    tie_rule: str,
    xlsx: Path | None,
    pdf: Path | None,
    docx: Path | None,
    actor: str | None,
) -> None:
    """年度评估评价：评分、排名、等次，按名额评选优秀监督员（每次运行发布新的版本）。"""
    ledger = state.ledger()
    rules = tuple(r.strip() for r in tie_rule.split(",") if r.strip())
    codes = [center] if center else [c.code for c in ledger.centers()]
    published = []
    for code in codes:
        evaluation = ledger.evaluate_year(
            year, center=code, actor=_actor(actor), quota_ratio=quota_ratio, tie_rule=rules
        )
        published.append(evaluation)
        name = ledger.center(code).name
        for wanted, write in (
            (xlsx, None),
            (pdf, write_evaluation_pdf),
            (docx, write_evaluation_docx),
        ):
            if wanted is None:
                continue
            target = wanted if center else wanted.with_name(f"{wanted.stem}-{code}{wanted.suffix}")
            if write is None:
                write_evaluation_xlsx(evaluation, target, center_name=name)
            else:
                write(evaluation, target, center_name=name, on=ledger.today())

    def human() -> None:
        for evaluation in published:
            click.echo("\n".join(_evaluation_lines(evaluation)))
        if xlsx is not None:
            click.echo(
                f"已另存为 {xlsx}" if center else f"已按中心另存为 {xlsx.stem}-<中心>{xlsx.suffix}"
            )

    _emit(state, published[0] if center else published, human)


@cli.group()
def evaluations() -> None:
    """已发布的年度评估（每个版本都保留）。"""


@evaluations.command("list")
@click.option("--center", help="中心代码。")
@click.option("--year", type=int, help="年度。")
@_json_option
@pass_state
def evaluations_list(state: _State, center: str | None, year: int | None) -> None:
    """列出已发布的评估版本。"""
    found = state.ledger().evaluations(center=center, year=year)

    def human() -> None:
        if not found:
            click.echo("还没有发布的评估。")
        for e in found:
            names = "、".join(x.name for x in e.excellent) or "（无）"
            click.echo(
                f"#{e.id:<4} {e.center} {e.year} 第 {e.version} 版  参评 {len(e.entries)} 人  优秀：{names}"
            )

    _emit(state, found, human)


@evaluations.command("show")
@click.argument("evaluation_id", type=int)
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="另存为 XLSX。")
@_json_option
@pass_state
def evaluations_show(state: _State, evaluation_id: int, xlsx: Path | None) -> None:
    """显示一个评估版本。"""
    ledger = state.ledger()
    found = [e for e in ledger.evaluations() if e.id == evaluation_id]
    if not found:
        _fail(f"没有编号为 {evaluation_id} 的评估")
    evaluation = found[0]
    if xlsx is not None:
        write_evaluation_xlsx(evaluation, xlsx, center_name=ledger.center(evaluation.center).name)
    _emit(state, evaluation, lambda: click.echo("\n".join(_evaluation_lines(evaluation))))


@cli.group()
def workplans() -> None:
    """监督工作计划：每个中心每年的计划及负责专人。"""


@workplans.command("add")
@click.option("--center", required=True, help="中心代码。")
@click.option("--year", type=int, required=True, help="年度。")
@click.option("--title", required=True, help="计划名称。")
@click.option("--staff", multiple=True, required=True, help="负责的专人（可多次）。")
@click.option("--content", required=True, help="计划内容。")
@_json_option
@pass_state
def workplans_add(
    state: _State, center: str, year: int, title: str, staff: tuple[str, ...], content: str
) -> None:
    """登记年度监督工作计划。"""
    plan = state.ledger().add_work_plan(
        center=center, year=year, title=title, responsible_staff=staff, content=content
    )
    _emit(
        state,
        plan,
        lambda: click.echo(
            f"已登记工作计划 #{plan.id}：{plan.title}（负责：{'、'.join(plan.responsible_staff)}）"
        ),
    )


@workplans.command("list")
@click.option("--center", help="中心代码。")
@click.option("--year", type=int, help="年度。")
@_json_option
@pass_state
def workplans_list(state: _State, center: str | None, year: int | None) -> None:
    """列出工作计划。"""
    found = state.ledger().work_plans(center=center, year=year)

    def human() -> None:
        if not found:
            click.echo("没有工作计划。")
        for p in found:
            click.echo(
                f"#{p.id:<4} {p.center} {p.year} {p.title}（负责：{'、'.join(p.responsible_staff)}）"
            )

    _emit(state, found, human)


@cli.group()
def activities() -> None:
    """活动：集中体验、座谈交流、调研、培训，以及出席情况。"""


@activities.command("add")
@click.option("--center", required=True, help="中心代码。")
@click.option("--kind", type=_choice(ActivityKind), required=True, help="活动类型。")
@click.option("--title", required=True, help="活动名称。")
@click.option(
    "--date", "held_on", type=click.DateTime(["%Y-%m-%d"]), required=True, help="日期 YYYY-MM-DD。"
)
@click.option("--place", required=True, help="地点。")
@click.option("--organizer", required=True, help="组织单位。")
@_json_option
@pass_state
def activities_add(
    state: _State,
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
    _emit(state, activity, lambda: click.echo(f"已登记活动 #{activity.id}：{activity.title}"))


@activities.command("attend")
@click.argument("activity_id", type=int)
@click.argument("supervisor_id", type=int)
@click.option(
    "--status",
    type=_choice(AttendanceStatus),
    default="present",
    show_default=True,
    help="present 出席；excused 请假；unexcused 无故缺席。",
)
@_json_option
@pass_state
def activities_attend(state: _State, activity_id: int, supervisor_id: int, status: str) -> None:
    """记录受邀监督员的出席情况。"""
    activity = state.ledger().record_attendance(activity_id, supervisor_id, status)
    _emit(
        state,
        activity,
        lambda: click.echo(
            f"活动 #{activity.id}：监督员 #{supervisor_id} {AttendanceStatus(status).label}"
        ),
    )


@activities.command("list")
@click.option("--center", help="中心代码。")
@click.option("--year", type=int, help="年度。")
@_json_option
@pass_state
def activities_list(state: _State, center: str | None, year: int | None) -> None:
    """列出活动及出席情况。"""
    found = state.ledger().activities(center=center, year=year)

    def human() -> None:
        if not found:
            click.echo("没有活动。")
        for a in found:
            present = sum(1 for _, s in a.attendance if s is AttendanceStatus.PRESENT)
            click.echo(
                f"#{a.id:<4} {a.held_on} {_pad(a.kind.label, 10)} {a.title}  出席 {present}/{len(a.attendance)}"
            )

    _emit(state, found, human)


@supervisors.command("discipline")
@click.argument("supervisor_id", type=int)
@click.option(
    "--kind",
    type=_choice(DisciplineKind),
    default="admonition",
    show_default=True,
    help="admonition 批评教育；confidentiality_breach 违反保密义务；referral 移交处理。",
)
@click.option("--reason", required=True, help="理由。")
@click.option("--authority", help="移交的部门（referral 时必填）。")
@click.option("--on", "on_date", type=click.DateTime(["%Y-%m-%d"]), help="日期（默认今天）。")
@_actor_option
@_json_option
@pass_state
def supervisors_discipline(
    state: _State,
    supervisor_id: int,
    kind: str,
    reason: str,
    authority: str | None,
    on_date: dt.datetime | None,
    actor: str | None,
) -> None:
    """记录批评教育、违反保密义务或移交处理。"""
    record = state.ledger().record_discipline(
        supervisor_id,
        kind=kind,
        reason=reason,
        authority=authority,
        actor=_actor(actor),
        on=on_date.date() if on_date else None,
    )
    _emit(
        state,
        record,
        lambda: click.echo(f"已记录：监督员 #{supervisor_id} {record.kind.label}（{record.on}）"),
    )


@supervisors.command("candidates")
@click.option("--center", required=True, help="中心代码。")
@_json_option
@pass_state
def supervisors_candidates(state: _State, center: str) -> None:
    """列出可考虑取消资格的监督员及理由（只供决定，不会自动取消）。"""
    found = state.ledger().revocation_candidates(center=center)
    data = [
        {"supervisor_id": sid, "name": name, "reasons": reasons} for sid, name, reasons in found
    ]

    def human() -> None:
        if not found:
            click.echo("没有需要考虑的监督员。")
        for sid, name, reasons in found:
            click.echo(f"#{sid:<4} {_pad(name, 12)} {'；'.join(reasons)}")

    _emit(state, data, human)


@issues.command("finding")
@click.argument("ref")
@click.option(
    "--kind",
    type=_choice(FindingKind),
    required=True,
    help="adopted_suggestion 建议被采纳；rule_change 推动制度改进；false_report 反馈不实。",
)
@click.option("--note", help="说明。")
@_actor_option
@pass_state
def issues_finding(state: _State, ref: str, kind: str, note: str | None, actor: str | None) -> None:
    """记录对问题的认定（用于年度评估）。"""
    state.ledger().record_finding(ref, kind, actor=_actor(actor), note=note)
    click.echo(f"已记录：问题 {ref} {FindingKind(kind).label}")


@cli.command()
@click.argument("period")
@click.option("--center", required=True, help="中心代码。")
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
@_actor_option
@_json_option
@pass_state
def briefing(
    state: _State,
    period: str,
    center: str,
    opinion: str | None,
    supervisor_id: int | None,
    out: Path | None,
    pdf: Path | None,
    docx: Path | None,
    actor: str | None,
) -> None:
    """每半年通报：PERIOD 写作 2026H1 或 2026H2；输出 Markdown 或 JSON。"""
    ledger = state.ledger()
    if opinion:
        ledger.add_briefing_opinion(
            center=center,
            period=period,
            text=opinion,
            actor=_actor(actor),
            supervisor_id=supervisor_id,
        )
    figures = ledger.briefing(center=center, period=period)
    text = render_markdown(figures)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    if pdf is not None:
        write_briefing_pdf(figures, pdf, on=ledger.today())
    if docx is not None:
        write_briefing_docx(figures, docx, on=ledger.today())
    _emit(state, figures, lambda: click.echo(text, nl=False))


@cli.group(name="export")
def export_() -> None:
    """导出：反馈问题台账（XLSX、CSV）。"""


@export_.command("ledger")
@click.option("--center", help="只导出某个中心（默认全部，每个中心一张工作表）。")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="反馈日期起 YYYY-MM-DD。")
@click.option(
    "--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="反馈日期止 YYYY-MM-DD（含）。"
)
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="输出文件（默认 反馈问题台账.xlsx）。",
)
@_json_option
@pass_state
def export_ledger_command(
    state: _State,
    center: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    fmt: str,
    out: Path | None,
) -> None:
    """导出反馈问题台账（监督员姓名、电话脱敏；公式注入已中和）。"""
    target = out or Path(f"反馈问题台账.{fmt}")
    count = export_ledger(
        state.ledger(),
        target,
        center=center,
        start=start.date() if start else None,
        end=end.date() if end else None,
        fmt=fmt,
    )
    _emit(
        state,
        {"file": str(target), "issues": count},
        lambda: click.echo(f"已导出 {count} 件问题到 {target}"),
    )


@issues.command("unit-copy")
@click.argument("ref")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="另存为文件。")
@pass_state
def issues_unit_copy(state: _State, ref: str, out: Path | None) -> None:
    """派单通知：给责任单位的一份（不含监督员身份）。"""
    ledger = state.ledger()
    view = ledger.unit_view(ref)
    if view.unit is None:
        _fail(f"问题 {view.number} 尚未派单")
    units = {u.code: u.name for u in ledger.units()}
    text = unit_copy(
        view, center_name=ledger.center(view.center).name, unit_name=units.get(view.unit)
    )
    if out is not None:
        out.write_text(text, encoding="utf-8")
    click.echo(text, nl=False)


# --------------------------------------------------------------------- users


@cli.group()
def users() -> None:
    """工作人员账号：网页前台和控制台的登录账号。"""


def _user_line(u: StaffUser) -> str:
    unit = f" 单位 {u.unit}" if u.unit else ""
    state = "（已停用）" if u.disabled else ""
    return f"{u.username}  {u.display_name}  {u.role.label}  {u.center}{unit}{state}"


def _new_password(username: str) -> str:
    password = os.environ.get("SUPDESK_NEW_PASSWORD")
    if password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    return password


@users.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名（显示在页面和回执上）。")
@click.option("--center", required=True, help="所属中心代码；旗中心的工作人员可查看所有中心。")
@click.option("--role", type=_choice(Role), default="staff", show_default=True, help="角色。")
@click.option("--unit", help="承办单位账号所属单位的代码（--role unit 时必填）。")
@_json_option
@pass_state
def users_add(
    state: _State, username: str, display_name: str, center: str, role: str, unit: str | None
) -> None:
    """新建账号。密码交互输入（或取自环境变量 SUPDESK_NEW_PASSWORD），至少 10 个字符。"""
    user = state.ledger().users.add(
        username=username,
        display_name=display_name,
        password=_new_password(username),
        role=role,
        center=center,
        unit=unit,
    )
    _emit(state, user, lambda: click.echo(f"已新建账号：{_user_line(user)}"))


@users.command("list")
@click.option("--center", help="只列出该中心的账号。")
@_json_option
@pass_state
def users_list(state: _State, center: str | None) -> None:
    """列出账号。"""
    found = state.ledger().users.list(center=center)

    def human() -> None:
        if not found:
            click.echo("还没有账号：supdesk users add 用户名 --name 姓名 --center 中心")
        for u in found:
            click.echo(_user_line(u))

    _emit(state, found, human)


@users.command("disable")
@click.argument("username")
@_json_option
@pass_state
def users_disable(state: _State, username: str) -> None:
    """停用账号：立即退出其所有会话，不能再登录。"""
    user = state.ledger().users.set_disabled(username, True)
    _emit(state, user, lambda: click.echo(f"已停用：{_user_line(user)}"))


@users.command("enable")
@click.argument("username")
@_json_option
@pass_state
def users_enable(state: _State, username: str) -> None:
    """重新启用账号（同时解除登录锁定）。"""
    user = state.ledger().users.set_disabled(username, False)
    _emit(state, user, lambda: click.echo(f"已启用：{_user_line(user)}"))


@users.command("password")
@click.argument("username")
@pass_state
def users_password(state: _State, username: str) -> None:
    """重设密码（同时解除登录锁定）。"""
    state.ledger().users.set_password(username, _new_password(username))
    click.echo(f"已重设 {username} 的密码")


# --------------------------------------------------------------------- serve


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option("--port", default=8000, show_default=True, type=int, help="监听端口。")
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("supdesk-secret.key"),
    show_default=True,
    help="会话密钥文件（不存在时自动生成）；也可用环境变量 SUPDESK_SECRET_KEY。",
)
@click.option(
    "--insecure-cookies",
    is_flag=True,
    help="允许经未加密的 HTTP 传送登录 Cookie（仅限内网测试；生产环境请放在 HTTPS 之后）。",
)
@pass_state
def serve(state: _State, host: str, port: int, secret_file: Path, insecure_cookies: bool) -> None:
    """启动网页前台（来访来信登记、回执、最近登记）。"""
    import uvicorn

    from supervision_web import WebSettings, create_app, load_secret_key

    ledger = state.ledger()
    settings = WebSettings(
        secret_key=load_secret_key(secret_file), secure_cookies=not insecure_cookies
    )
    app = create_app(ledger, settings)
    click.echo(f"网页前台：http://{host}:{port}/  （Ctrl+C 停止）")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


# --------------------------------------------------------------------- daemon


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="网页前台监听地址。")
@click.option("--port", default=8000, show_default=True, type=int, help="网页前台监听端口。")
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("supdesk-secret.key"),
    show_default=True,
    help="会话密钥文件（不存在时自动生成）；也可用环境变量 SUPDESK_SECRET_KEY。",
)
@click.option(
    "--insecure-cookies", is_flag=True, help="允许经未加密的 HTTP 传送登录 Cookie（仅限内网测试）。"
)
@click.option("--json-logs", is_flag=True, help="日志输出为每行一个 JSON（个人信息已遮蔽）。")
@click.option(
    "--lease-seconds",
    default=60.0,
    show_default=True,
    type=float,
    help="单读任务（邮箱、Telegram、目录）的租约时长；实例停止续约后他人接管的时间。",
)
@click.option(
    "--outbox-seconds", default=5.0, show_default=True, type=float, help="发送通知的间隔。"
)
@pass_state
def daemon(
    state: _State,
    host: str,
    port: int,
    secret_file: Path,
    insecure_cookies: bool,
    json_logs: bool,
    lease_seconds: float,
    outbox_seconds: float,
) -> None:
    """启动受理服务：网页前台、邮件、Telegram、热线工单目录、通知发送、催办督办，一个进程。"""
    import asyncio
    import logging

    from supervision_daemon import Daemon, DaemonOptions, JsonLogFormatter
    from supervision_web import WebSettings, load_secret_key

    handler = logging.StreamHandler()
    if json_logs:
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    ledger = state.ledger()  # checks the configuration and the schema, or says what is wrong
    web = WebSettings(secret_key=load_secret_key(secret_file), secure_cookies=not insecure_cookies)
    options = DaemonOptions(
        host=host, port=port, lease_seconds=lease_seconds, outbox_seconds=outbox_seconds
    )
    runner = Daemon(ledger, web, options)
    click.echo(f"受理服务已启动：网页前台 http://{host}:{port}/ （SIGTERM 或 Ctrl+C 停止）")
    asyncio.run(runner.run())
    click.echo("受理服务已停止。")


@cli.command()
@_json_option
@pass_state
def status(state: _State) -> None:
    """受理情况一览：各渠道收到的反馈、隔离区、待发通知、逾期问题、租约。"""
    data = state.ledger().status()

    def human() -> None:
        channels = (
            "，".join(f"{k} {v}" for k, v in sorted(data["reports_by_channel"].items())) or "无"
        )
        click.echo(f"收到反馈：{channels}")
        click.echo(f"隔离区：{data['quarantined']} 件")
        click.echo(f"通知：待发送 {data['outbox_pending']}，发送失败 {data['outbox_dead']}")
        click.echo(f"问题：未办结 {data['open_issues']}，已逾期 {data['overdue_issues']}")
        for lease in data["leases"]:
            click.echo(f"租约：{lease['name']} 由 {lease['holder']} 持有至 {lease['expires_at']}")

    _emit(state, data, human)


# --------------------------------------------------------------------- plugins


@cli.command()
@click.option("--all", "show_all", is_flag=True, help="包括内置插件。")
@_json_option
@pass_state
def plugins(state: _State, show_all: bool) -> None:
    """列出已安装的插件、版本和实现的钩子。"""
    settings = state.settings()
    host = PluginHost(get_plugin_manager(blocked=settings.blocked_plugins))
    found = [p for p in host.plugins() if show_all or p.distribution != "supervision-desk"]

    def human() -> None:
        if not found:
            click.echo("没有安装第三方插件（--all 显示内置插件）。")
        for p in found:
            source = f"  ({p.distribution} {p.version})" if p.distribution else ""
            click.echo(f"{p.name}{source}{'  已停用' if p.blocked else ''}")
            for hook in p.hooks:
                click.echo(f"    {hook}")

    _emit(state, found, human)


# --------------------------------------------------------------------- entry point


def _disabled_plugins() -> Iterable[str]:
    raw = os.environ.get("SUPDESK_DISABLE_PLUGINS", "")
    return [name.strip() for name in raw.split(",") if name.strip()]


def main(argv: list[str] | None = None) -> None:
    """Run ``supdesk``; plugins may add their own commands first."""
    try:
        host = PluginHost(get_plugin_manager(blocked=_disabled_plugins()))
    except SupervisionError as exc:
        _fail(f"{exc}（可用环境变量 SUPDESK_DISABLE_PLUGINS=名称 暂时停用该插件）")
    host.register_commands(cli)
    cli.main(args=argv, prog_name="supdesk")

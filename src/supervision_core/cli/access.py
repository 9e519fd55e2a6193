"""``supdesk access-log``, and how the command line records what it shows of supervisors.

Every command that shows or exports a supervisor's personal data (``supervisors
list|show``, ``issues show``, ``export ledger``) calls :func:`log_shown` with the
supervisors it showed: the access log then says who (the actor, as for every step),
when, whose data, and which command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from supervision_core.cli.context import CENTER, DATE, State, json_option, pass_state, resolve_actor
from supervision_core.cli.output import pad, show
from supervision_core.model.access import ACCESS_ACTIONS

if TYPE_CHECKING:
    from supervision_core.ledger import Ledger

__all__ = ["access_log", "log_shown"]


def _command_line(ctx: click.Context | None) -> str:
    """``命令 supdesk supervisors list --center banner``: the command as it was given."""
    if ctx is None:
        return "命令 supdesk"
    names: list[str] = []
    outer: click.Context | None = ctx
    while outer is not None and outer.parent is not None:  # the root is supdesk, however run
        names.append(outer.info_name or "")
        outer = outer.parent
    words = ["supdesk", *reversed(names)]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if value is None or value is False or value == () or param.name == "actor":
            continue
        if isinstance(value, dt.datetime) and value.time() == dt.time():
            value = value.date()
        if not isinstance(param, click.Option):
            words.append(str(value))
        elif value is True:
            words.append(param.opts[0])
        else:
            words.append(f"{param.opts[0]} {value}")
    return "命令 " + " ".join(words)


def log_shown(
    ledger: Ledger, action: str, supervisors: Iterable[int], *, target: str | None = None
) -> None:
    """Record that the running command showed these supervisors' personal data."""
    ledger.log_access(
        user=resolve_actor(None),
        action=action,
        purpose=_command_line(click.get_current_context(silent=True)),
        supervisors=supervisors,
        target=target,
    )


@click.command("access-log")
@click.option("--user", help="只看某个查阅人（账号名，或命令行的操作人如 cli:zhang）。")
@click.option("--supervisor", type=int, help="只看某位监督员（编号）的资料被谁查阅。")
@click.option(
    "--center", type=CENTER, help="只看某个中心的监督员的资料（中心工作人员查看本中心的记录）。"
)
@click.option("--since", type=DATE, help="起始日期 YYYY-MM-DD（含）。")
@click.option("--until", type=DATE, help="截止日期 YYYY-MM-DD（含）。")
@click.option(
    "--limit", type=click.IntRange(1), default=200, show_default=True, help="最多显示条数。"
)
@json_option
@pass_state
def access_log(
    state: State,
    user: str | None,
    supervisor: int | None,
    center: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
) -> None:
    """查阅记录：谁在何时、通过哪个页面或命令查看或导出了哪位监督员的个人信息。"""
    from supervision_core.model.clock import SHANGHAI

    ledger = state.ledger()
    if center is not None:
        ledger.center(center)
    found = ledger.access_log(
        user=user,
        supervisor=supervisor,
        centers=[center] if center else None,
        since=since.date() if since else None,
        until=until.date() if until else None,
        limit=limit,
    )

    def human() -> None:
        if not found:
            click.echo("没有符合条件的查阅记录。")
            return
        for e in found:
            when = e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
            who = f"监督员 #{e.supervisor_id}" if e.supervisor_id is not None else e.target
            what: Any = ACCESS_ACTIONS.get(e.action, e.action)
            click.echo(
                f"{when}  {pad(e.user, 18)} {pad(what, 18)} {pad(who, 14)} "
                f"{pad(e.center or '—', 12)} {e.purpose or '—'}"
            )
        click.echo(f"共 {len(found)} 条（最多显示 {limit} 条）。")

    show(state, found, human)

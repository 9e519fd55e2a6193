"""``supdesk status`` and ``supdesk plugins``: how intake is going, and what is installed."""

from __future__ import annotations

import click

from supervision_core.cli.context import State, json_option, pass_state
from supervision_core.cli.output import show

__all__ = ["plugins", "status"]


@click.command()
@json_option
@pass_state
def status(state: State) -> None:
    """受理情况一览：各渠道收到的反馈、隔离区、待发通知、逾期问题、租约。"""
    data = state.ledger().status()

    def human() -> None:
        vocabulary = state.ledger().vocabulary()
        counts = sorted(data["reports_by_channel"].items())
        channels = "，".join(f"{vocabulary.channel(k)} {v}" for k, v in counts) or "无"
        click.echo(f"收到反馈：{channels}")
        click.echo(f"隔离区：{data['quarantined']} 件")
        click.echo(
            f"通知：待发送 {data['outbox_pending']}，待电话告知 {data['outbox_call_tasks']}，"
            f"无法送达 {data['outbox_unreachable']}，发送失败 {data['outbox_dead']}"
        )
        click.echo(f"问题：未办结 {data['open_issues']}，已逾期 {data['overdue_issues']}")
        for lease in data["leases"]:
            click.echo(f"租约：{lease['name']} 由 {lease['holder']} 持有至 {lease['expires_at']}")
        calendar = data["calendar"]
        years = "、".join(str(y) for y in calendar["confirmed_years"])
        click.echo(f"工作日历：已确认 {years} 年（supdesk calendar show 年份 查看）")
        if calendar["status"] != "ok":
            # On stderr: seen even when the report itself goes to a file or a pipe.
            label = "错误" if calendar["status"] == "error" else "警告"
            click.echo(f"【{label}】{calendar['message']}", err=True)

    show(state, data, human)


# --------------------------------------------------------------------- plugins


@click.command()
@click.option("--all", "show_all", is_flag=True, help="包括内置插件。")
@json_option
@pass_state
def plugins(state: State, show_all: bool) -> None:
    """列出已安装的插件、版本和实现的钩子。"""
    from supervision_core.plugins import PluginHost, get_plugin_manager

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

    show(state, found, human)

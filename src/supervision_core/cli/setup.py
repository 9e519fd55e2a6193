"""``supdesk init``: create or upgrade the database, and load the demo."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import click

from supervision_core.cli.context import State, json_option, pass_state
from supervision_core.cli.output import fail, pad, show
from supervision_core.errors import SupervisionError

__all__ = ["init"]


@click.command()
@click.option(
    "--demo",
    is_flag=True,
    help="写入乌审旗示例配置（如尚无 supdesk.toml）并载入演示数据；"
    "不加时，如尚无 supdesk.toml，写入一份带注释的配置文件。",
)
@click.option(
    "--mail-sink",
    metavar="HOST:PORT",
    help="与 --demo 合用：示例配置中各中心的通知以邮件发往此 SMTP 地址"
    "（本机邮件收集器：python -m supervision_daemon.mail_sink）。",
)
@json_option
@pass_state
def init(state: State, demo: bool, mail_sink: str | None) -> None:
    """创建或升级数据库结构，并按配置同步服务中心与单位。"""
    from supervision_core.config import Settings, load_settings
    from supervision_core.demo import (
        DEMO_PASSWORD,
        DEMO_SIGN_INS,
        demo_config_text,
        demo_settings,
        load_demo,
    )
    from supervision_core.ledger import open_ledger

    sink = _host_port(mail_sink) if mail_sink else None
    if sink and not demo:
        fail("--mail-sink 只能与 --demo 一起使用")
    config_path = state.config or Path("supdesk.toml")
    wrote = False
    if not config_path.exists():
        if demo:
            text = demo_config_text(mail_sink=sink, policies=_policies(state))
        else:
            text = (resources.files("supervision_core") / "starter.toml").read_text("utf-8")
        config_path.write_text(text, encoding="utf-8")
        wrote = True
    settings = (
        load_settings(config_path)
        if config_path.exists()
        else (demo_settings() if demo else Settings())
    )
    ledger = open_ledger(state.url(settings), settings=settings, create=True)
    try:
        counts = load_demo(ledger) if demo else None
    except SupervisionError:
        # The demo refuses a ledger in use: take back the configuration written for it.
        if wrote:
            config_path.unlink()
        raise
    data: dict[str, Any] = {
        "database": state.url(settings),
        "config": str(config_path.resolve()) if config_path.exists() else None,
        "wrote_config": wrote,
        "centers": [c.code for c in ledger.centers()],
        "demo": counts,
    }

    def human() -> None:
        click.echo(f"数据库已就绪：{data['database']}")
        if wrote and demo:
            click.echo(f"已写入示例配置：{config_path.resolve()}")
            if sink:
                click.echo(f"通知以邮件发往 {sink[0]}:{sink[1]}（本机邮件收集器）")
        elif wrote:
            click.echo(f"已写入带注释的配置文件：{config_path.resolve()}")
        elif sink:
            click.echo(f"配置文件 {config_path} 已存在，未改写：--mail-sink 未生效")
        if not settings.centers:
            click.echo(f"尚未配置服务中心：请编辑 {config_path} 后再次运行 supdesk init。")
        else:
            click.echo(
                f"服务中心 {len(data['centers'])} 个：{'、'.join(c.name for c in ledger.centers())}"
            )
        if counts:
            click.echo(
                f"演示数据：监督员 {counts['supervisors']} 名，问题 {counts['issues']} 件，"
                f"隔离区 {counts['quarantined']} 件。试试：supdesk issues list"
            )
            click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}，仅供演示）：")
            present = {u.username for u in ledger.users.list()}
            for username, what, page in DEMO_SIGN_INS:
                if username in present:
                    click.echo(f"  {pad(username, 16)} {pad(what, 28)} 登录后：{page}")

    show(state, data, human)


def _policies(state: State) -> list[str]:
    """The scoring policies the installed plugins register (乌审召镇's, if installed)."""
    from supervision_core.plugins import PluginHost, get_plugin_manager

    host = PluginHost(state.plugin_manager or get_plugin_manager())
    return list(host.scoring_policies())


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        fail(f"--mail-sink 应写作 主机:端口，例如 127.0.0.1:8025：{value!r}")
    return host, int(port)

"""``supdesk init``: create or upgrade the database, and load the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from supervision_core.cli.context import State, json_option, pass_state
from supervision_core.cli.output import fail, show
from supervision_core.errors import SupervisionError

__all__ = ["init"]


@click.command()
@click.option(
    "--demo", is_flag=True, help="写入乌审旗示例配置（如尚无 supdesk.toml）并载入演示数据。"
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
        DEMO_USERS,
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
    if demo and not config_path.exists():
        config_path.write_text(demo_config_text(mail_sink=sink), encoding="utf-8")
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
        "config": str(config_path) if config_path.exists() else None,
        "wrote_config": wrote,
        "centers": [c.code for c in ledger.centers()],
        "demo": counts,
    }

    def human() -> None:
        click.echo(f"数据库已就绪：{data['database']}")
        if wrote:
            click.echo(f"已写入示例配置：{config_path}")
            if sink:
                click.echo(f"通知以邮件发往 {sink[0]}:{sink[1]}（本机邮件收集器）")
        elif sink:
            click.echo(f"配置文件 {config_path} 已存在，未改写：--mail-sink 未生效")
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

    show(state, data, human)


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        fail(f"--mail-sink 应写作 主机:端口，例如 127.0.0.1:8025：{value!r}")
    return host, int(port)

"""``supdesk init``: create or upgrade the database, and load the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from supervision_core.cli.context import State, json_option, pass_state
from supervision_core.cli.output import show

__all__ = ["init"]


@click.command()
@click.option(
    "--demo", is_flag=True, help="写入乌审旗示例配置（如尚无 supdesk.toml）并载入演示数据。"
)
@json_option
@pass_state
def init(state: State, demo: bool) -> None:
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

    config_path = state.config or Path("supdesk.toml")
    write_config = demo and not config_path.exists()
    settings = (
        load_settings(config_path)
        if config_path.exists()
        else (demo_settings() if demo else Settings())
    )
    ledger = open_ledger(state.url(settings), settings=settings, create=True)
    # The demo refuses a ledger in use before anything of it is written, the file too.
    counts = load_demo(ledger) if demo else None
    wrote = False
    if write_config:
        config_path.write_text(demo_config_text(), encoding="utf-8")
        wrote = True
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

    show(state, data, human)

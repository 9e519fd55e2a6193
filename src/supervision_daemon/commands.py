"""``supdesk daemon``: every channel in one process, contributed through ``supervision_register_commands``.

The daemon, the web desk and the channels they run load only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from supervision_core import hookimpl
from supervision_core.cli import current_ledger

__all__ = ["supervision_register_commands"]


@click.command()
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
def daemon(
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

    from supervision_daemon.daemon import Daemon, DaemonOptions, configure_logging
    from supervision_web import WebSettings, check_listen, cookie_warning, load_secret_key

    configure_logging(json_logs=json_logs)
    # Everything that can stop the start is checked before the daemon says it started.
    ledger = current_ledger()  # checks the configuration and the schema, or says what is wrong
    web = WebSettings(secret_key=load_secret_key(secret_file), secure_cookies=not insecure_cookies)
    check_listen(host, port)
    options = DaemonOptions(
        host=host, port=port, lease_seconds=lease_seconds, outbox_seconds=outbox_seconds
    )
    runner = Daemon(ledger, web, options)
    parts = runner.parts()  # a wrong channel or notifier table stops the start here
    warning = cookie_warning(host, secure_cookies=not insecure_cookies)
    if warning:
        click.echo(warning, err=True)
    click.echo(
        f"受理服务已启动：网页前台 http://{host}:{port}/；{'、'.join(parts)}"
        "（SIGTERM 或 Ctrl+C 停止）"
    )
    asyncio.run(runner.run())
    click.echo("受理服务已停止。")


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk daemon``."""
    cli.add_command(daemon)

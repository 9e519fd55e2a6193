"""``supdesk serve``: the web desk on its own, contributed through ``supervision_register_commands``.

Starlette, uvicorn and the desk's pages load only when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from supervision_core import hookimpl
from supervision_core.cli import current_ledger

__all__ = ["supervision_register_commands"]


@click.command()
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
def serve(host: str, port: int, secret_file: Path, insecure_cookies: bool) -> None:
    """启动网页前台（来访来信登记、回执、最近登记）。"""
    import uvicorn

    from supervision_web.app import WebSettings, create_app
    from supervision_web.security import load_secret_key
    from supervision_web.startup import check_listen, cookie_warning

    # Everything that can stop the start is checked before anything says it started.
    ledger = current_ledger()
    settings = WebSettings(
        secret_key=load_secret_key(secret_file), secure_cookies=not insecure_cookies
    )
    check_listen(host, port)
    app = create_app(ledger, settings)
    warning = cookie_warning(host, secure_cookies=not insecure_cookies)
    if warning:
        click.echo(warning, err=True)
    click.echo(f"网页前台：http://{host}:{port}/  （Ctrl+C 停止）")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        log_config=masked_log_config(),
        proxy_headers=True,
    )


def masked_log_config() -> dict[str, Any]:
    """The logging of uvicorn and of the desk (on stderr), with personal data masked.

    Every handler gets :class:`~supervision_core.PersonalDataFilter`: an access line's
    query string or an error's message may name a supervisor.
    """
    import copy

    from uvicorn.config import LOGGING_CONFIG

    from supervision_core import PersonalDataFilter

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"personal_data": {"()": PersonalDataFilter}}
    config["handlers"]["desk"] = {
        "formatter": "default",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    for handler in config["handlers"].values():
        handler["filters"] = ["personal_data"]
    config["root"] = {"handlers": ["desk"], "level": "INFO"}
    return config


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk serve``."""
    cli.add_command(serve)

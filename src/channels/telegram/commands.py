"""The Telegram channel's commands: ``supdesk telegram poll`` and ``telegram set-webhook``.

Registered through ``supervision_register_commands``; python-telegram-bot loads only
when one of these commands runs.
"""

from __future__ import annotations

import contextlib

import click

from supervision_core import hookimpl
from supervision_core.cli import current_ledger, emit, json_option, wants_json

__all__ = ["supervision_register_commands"]


@click.group(name="telegram")
def telegram_group() -> None:
    """Telegram 机器人：监督员用手机反映问题、查询进度、评价整改。"""


@telegram_group.command("poll")
def poll() -> None:
    """以长轮询方式接收消息（令牌见 supdesk.toml 的 [channels.telegram]）。Ctrl+C 停止。"""
    import asyncio  # here, not for every `supdesk` start (bench/bench_cli.py)

    from channels.telegram.bot import TelegramBot
    from channels.telegram.settings import settings_of

    ledger = current_ledger()
    bot = TelegramBot(ledger, settings_of(ledger))

    async def main() -> None:
        stop = asyncio.Event()
        await bot.start()
        try:
            await bot.poll(stop)
        finally:
            await bot.stop()

    click.echo("Telegram 机器人已启动（长轮询）。Ctrl+C 停止。")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


@telegram_group.command("set-webhook")
@click.argument("url")
@json_option
def set_webhook(url: str) -> None:
    """让 Telegram 把消息推送到 URL（网页前台的 /telegram/webhook，须为 HTTPS）。"""
    import asyncio  # here, not for every `supdesk` start (bench/bench_cli.py)

    from channels.telegram.bot import TelegramBot
    from channels.telegram.settings import settings_of

    ledger = current_ledger()
    bot = TelegramBot(ledger, settings_of(ledger))

    async def main() -> None:
        await bot.start()
        try:
            await bot.set_webhook(url)
        finally:
            await bot.stop()

    asyncio.run(main())
    if wants_json():
        emit({"webhook": url})
        return
    click.echo(f"已设置 Webhook：{url}")


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk telegram poll`` and ``supdesk telegram set-webhook``."""
    cli.add_command(telegram_group)

"""The Telegram channel: supervisors report, follow and evaluate from their phones.

This module is the plugin (``channels.telegram`` in the built-in plugins): it registers
the channel (whose daemon job is long polling under a lease), the ``telegram``
notifier, the webhook route and the commands, and imports python-telegram-bot only
when one of them is used. The implementation is :mod:`channels.telegram.bot`; the
conversation is any messenger's (:mod:`channels.messenger.conversation`).
See ``docs/telegram.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core import hookimpl

if TYPE_CHECKING:
    import click
    from starlette.requests import Request
    from starlette.responses import Response

    from supervision_core import ChannelRegistry, NotifierRegistry, RouteRegistry


async def _webhook(request: Request) -> Response:
    from channels.telegram.bot import webhook

    return await webhook(request)


@hookimpl
def supervision_register_channels(register: ChannelRegistry) -> None:
    """Register the Telegram channel."""
    from channels.telegram.channel import TelegramChannel

    register.add(TelegramChannel())


@hookimpl
def supervision_register_notifiers(register: NotifierRegistry) -> None:
    """Register the ``telegram`` notifier."""
    from channels.telegram.channel import TelegramNotifier

    register.add(TelegramNotifier())


@hookimpl
def supervision_register_routes(register: RouteRegistry) -> None:
    """The webhook: ``POST /telegram/webhook``."""
    from starlette.routing import Route

    register.add(Route("/telegram/webhook", _webhook, methods=["POST"]))


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk telegram poll`` and ``supdesk telegram set-webhook``."""
    from channels.telegram import commands

    commands.supervision_register_commands(cli)

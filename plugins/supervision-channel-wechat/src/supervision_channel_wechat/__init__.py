"""The WeChat channel: supervisors report, follow and evaluate from WeChat.

One Official Account (微信公众号) or one WeCom self-built app (企业微信自建应用), chosen
in ``supdesk.toml`` (``[channels.wechat]`` receives, ``[notifiers.wechat]`` sends). This
module is the plugin: it registers the channel, the ``wechat`` notifier and the server
callback route (``/wechat/callback``) and imports wechatpy only when one of them is used.
The conversation is any messenger's (``supervision_core.MessengerDesk``). See
``docs/wechat.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from supervision_core import hookimpl

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from supervision_channel_wechat.settings import WeChatSettings
    from supervision_core import ChannelRegistry, Job, Ledger, NotifierRegistry, RouteRegistry

__all__ = ["WeChatChannel"]


def _settings_type() -> type[WeChatSettings]:
    from supervision_channel_wechat.settings import WeChatSettings

    return WeChatSettings


@attrs.frozen
class WeChatChannel:
    """The channel as registered: ``[channels.wechat]`` configures it.

    WeChat pushes to the web desk's callback, so the channel has no daemon job.
    """

    name: str = "wechat"
    label: str = "微信"
    settings_type: type[WeChatSettings] = attrs.field(factory=_settings_type)

    def jobs(self, ledger: Ledger, settings: WeChatSettings) -> list[Job]:
        """None: WeChat posts every message to ``/wechat/callback``."""
        return []


async def _callback(request: Request) -> Response:
    from supervision_channel_wechat.callback import callback

    return await callback(request)


@hookimpl
def supervision_register_channels(register: ChannelRegistry) -> None:
    """Register the WeChat channel."""
    register.add(WeChatChannel())


@hookimpl
def supervision_register_notifiers(register: NotifierRegistry) -> None:
    """Register the ``wechat`` notifier."""
    from supervision_channel_wechat.notifier import WeChatNotifier

    register.add(WeChatNotifier())


@hookimpl
def supervision_register_routes(register: RouteRegistry) -> None:
    """The server callback: ``GET`` (URL verification) and ``POST /wechat/callback``."""
    from starlette.routing import Route

    register.add(Route("/wechat/callback", _callback, methods=["GET", "POST"]))

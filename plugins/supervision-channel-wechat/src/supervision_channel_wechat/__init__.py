"""The WeChat channel: supervisors report, follow and evaluate from WeChat.

One Official Account (微信公众号) or one WeCom self-built app (企业微信自建应用), chosen
in ``supdesk.toml`` (``[channels.wechat]`` receives, ``[notifiers.wechat]`` sends). This
module is the plugin: it registers the channel, the ``wechat`` notifier, the server
callback route (``/wechat/callback``) and 微信授权登录 for supervisors' page (``/me``,
:mod:`.oauth`), and imports wechatpy only when one of them is used.
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


async def _oauth_start(request: Request) -> Response:
    from supervision_channel_wechat.oauth import start

    return await start(request)


async def _oauth_callback(request: Request) -> Response:
    from supervision_channel_wechat.oauth import callback

    return await callback(request)


def _oauth_available(ledger: Ledger) -> bool:
    from supervision_channel_wechat.oauth import available

    return available(ledger)


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
    """The server callback (``GET`` verifies the URL, ``POST`` brings messages) and 微信授权登录.

    微信授权登录 (``/wechat/oauth/start`` and ``/wechat/oauth/callback``) is offered on
    ``/me/login`` when ``[channels.wechat]`` has an app id and its secret; first, as the
    main button, in WeChat's own browser (``MicroMessenger``).
    """
    from starlette.routing import Route

    register.add(Route("/wechat/callback", _callback, methods=["GET", "POST"]))
    register.add(Route("/wechat/oauth/start", _oauth_start, methods=["GET"]))
    register.add(Route("/wechat/oauth/callback", _oauth_callback, methods=["GET"]))
    register.add_sign_in(
        "/wechat/oauth/start", "微信授权登录", available=_oauth_available, agent="MicroMessenger"
    )

"""The supervisor's own page, ``/me`` (a built-in plugin): their reports, notices and year, on a phone.

Supervisors are volunteers with a phone: this is the link a center sends them (an SMS,
a WeChat menu). They sign in with a one-time code sent to their registered contact
(:meth:`~supervision_core.Ledger.request_sign_in_code`), stay signed in for months on
that phone, and see what is theirs only: their reports and how each is handled, the
notices they were sent, the half-year briefings, their year's record and score. They
report a problem through the page as through any channel (``me``, 监督员页面):
:meth:`~supervision_core.Ledger.receive` files it, with the same rules.

Server-rendered, Chinese, built for a 360–414 px screen first; every essential step
works without JavaScript. One module a room: :mod:`.auth` (the code sign-in and the
session cookie), :mod:`.form` (the report form's rules), :mod:`.pages` (the pages).

Other ways to sign in (the WeChat plugin's 微信授权登录): a plugin offers one on the
sign-in page with ``RouteRegistry.add_sign_in``; its route proves the supervisor's
identity its own way, calls :meth:`~supervision_core.Ledger.start_supervisor_session` and
hands the token to :func:`supervision_web.me.auth.signed_in_response`, which sets the
cookie (or answers with :func:`supervision_web.me.auth.sign_in_refused`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from supervision_core import hookimpl

if TYPE_CHECKING:
    from supervision_core import ChannelRegistry, RouteRegistry

__all__ = ["CHANNEL", "MePage", "supervision_register_channels", "supervision_register_routes"]

CHANNEL = "me"


@attrs.frozen
class MePage:
    """The channel as registered: reports filed on the supervisor's own page."""

    name: str = CHANNEL
    label: str = "监督员页面"


@hookimpl
def supervision_register_channels(register: ChannelRegistry) -> None:
    """Register the supervisor's page as a channel (its reports are filed through it)."""
    register.add(MePage())


@hookimpl
def supervision_register_routes(register: RouteRegistry) -> None:
    """The supervisor's pages under ``/me``."""
    from .pages import register_routes

    register_routes(register)

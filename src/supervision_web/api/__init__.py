"""The HTTP API (a built-in plugin): Open311 GeoReport v2 and the ledger API ``/api/v1``.

Other systems call it with an API token (``supdesk tokens add``); every call is checked
with the console's own rules on the account the token acts as. One module a room:
:mod:`.calls` (tokens, rate limits, idempotency, errors), :mod:`.open311`, :mod:`.v1`,
:mod:`.deliveries` (the console's page of webhook deliveries, with replay).
See ``docs/api_http.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core import hookimpl

if TYPE_CHECKING:
    from supervision_core import ChannelRegistry, RouteRegistry

__all__ = ["supervision_register_channels", "supervision_register_routes"]


@hookimpl
def supervision_register_channels(register: ChannelRegistry) -> None:
    """The Open311 channel: reports filed through GeoReport v2 ``POST requests``."""
    from .channel import Open311Channel  # not .open311: no Starlette to open a ledger

    register.add(Open311Channel())


@hookimpl
def supervision_register_routes(register: RouteRegistry) -> None:
    """``/open311/v2/...`` and ``/api/v1/...``, with ``/api/openapi.json`` and ``/api/docs``."""
    from starlette.routing import Route

    from .deliveries import console_webhooks
    from .open311 import register_open311
    from .openapi_doc import register_openapi
    from .v1 import register_v1

    register_open311(register)
    register_v1(register)
    register_openapi(register)
    register.add(Route("/console/webhooks", console_webhooks, methods=["GET", "POST"]))

"""The web desk of supervision-desk: sign-in, and the pages plugins contribute.

``create_app(ledger, settings)`` makes the ASGI application; ``supdesk serve`` runs it.
A plugin's page uses :func:`desk_of`, :func:`require_user`, :func:`require_csrf`,
:func:`form_or_400` and :func:`render`.
"""

from .app import (
    Desk,
    LoginRequired,
    WebSettings,
    call_as_user,
    create_app,
    current_user,
    desk_of,
    form_or_400,
    posted_fields,
    render,
    require_csrf,
    require_user,
)
from .security import CSP, csrf_ok, csrf_token, load_secret_key

__all__ = [
    "CSP",
    "Desk",
    "LoginRequired",
    "WebSettings",
    "call_as_user",
    "create_app",
    "csrf_ok",
    "csrf_token",
    "current_user",
    "desk_of",
    "form_or_400",
    "load_secret_key",
    "posted_fields",
    "render",
    "require_csrf",
    "require_user",
]

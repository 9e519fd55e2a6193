"""The web desk of supervision-desk: sign-in, and the pages plugins contribute.

``create_app(ledger, settings)`` makes the ASGI application; ``supdesk serve`` runs it.
A plugin's page uses :func:`desk_of`, :func:`require_user`, :func:`require_csrf`,
:func:`form_or_400` and :func:`render`; :func:`query_id`, :func:`query_date`,
:func:`path_id`, :func:`form_number`, :func:`form_id` and :func:`form_date` read numbers,
ids and dates, refusing malformed ones in Chinese (400) rather than failing (500).
A report form checks its fields with :func:`field_text_error`, :func:`field_choice`
and :func:`clean_filename` (the walk-in desk's form and ``/me``'s share them).

Names are imported on first use (PEP 562), so that ``supdesk --help`` does not load
Starlette to learn that a ``serve`` command exists.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from .report_fields import (
        MAX_SHORT_TEXT,
        MAX_TEXT,
        clean_filename,
        field_choice,
        field_text_error,
    )
    from .security import CSP, csrf_ok, csrf_token, load_secret_key
    from .startup import check_listen, cookie_warning
    from .typed import (
        form_date,
        form_id,
        form_number,
        path_id,
        query_date,
        query_id,
        refuse_nul,
    )

__all__ = [
    "CSP",
    "MAX_SHORT_TEXT",
    "MAX_TEXT",
    "Desk",
    "LoginRequired",
    "WebSettings",
    "call_as_user",
    "check_listen",
    "clean_filename",
    "cookie_warning",
    "create_app",
    "csrf_ok",
    "csrf_token",
    "current_user",
    "desk_of",
    "field_choice",
    "field_text_error",
    "form_date",
    "form_id",
    "form_number",
    "form_or_400",
    "load_secret_key",
    "path_id",
    "posted_fields",
    "query_date",
    "query_id",
    "refuse_nul",
    "render",
    "require_csrf",
    "require_user",
]

_SECURITY = {"CSP", "csrf_ok", "csrf_token", "load_secret_key"}
_STARTUP = {"check_listen", "cookie_warning"}
_REPORT_FIELDS = {
    "MAX_SHORT_TEXT",
    "MAX_TEXT",
    "clean_filename",
    "field_choice",
    "field_text_error",
}
_TYPED = {
    "form_date",
    "form_id",
    "form_number",
    "path_id",
    "query_date",
    "query_id",
    "refuse_nul",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    where = (
        "security"
        if name in _SECURITY
        else "typed"
        if name in _TYPED
        else "startup"
        if name in _STARTUP
        else "report_fields"
        if name in _REPORT_FIELDS
        else "app"
    )
    module = importlib.import_module(f".{where}", __name__)
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

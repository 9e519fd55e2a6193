"""Signing a supervisor in to ``/me``: the one-time code, other ways, and the session cookie.

Other ways to sign in (WeChat OAuth) come from plugins (``RouteRegistry.add_sign_in``):
the page links to them, and their routes end with :func:`signed_in_response` or
:func:`sign_in_refused`.

The cookie (``supdesk_me``) holds a random token; the ledger keeps only its digest and
checks, at every page, that the session is not ended or expired and that the supervisor
is in office. It is ``SameSite=Lax`` so that the link in an SMS or a WeChat menu opens
the page signed in; every form carries the CSRF token of the web desk's session.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

import supervision_web as web
from supervision_core import SESSION_DAYS, InvalidInput, Supervisor

__all__ = [
    "COOKIE",
    "SignInRequired",
    "call_as_supervisor",
    "client_ip",
    "current_supervisor",
    "sign_in_refused",
    "sign_in_ways",
    "signed_in",
    "signed_in_hop",
    "signed_in_response",
    "signed_out_response",
]

COOKIE = "supdesk_me"
log = logging.getLogger("supervision_web.me")

Page = Callable[[Request, Supervisor], Awaitable[Response]]
T = TypeVar("T")


class SignInRequired(Exception):
    """Raised by :func:`call_as_supervisor`; answered with a redirect to sign in."""


def client_ip(request: Request) -> str | None:
    """The address a request came from (what the code limits count per address)."""
    return request.client.host if request.client else None


async def current_supervisor(request: Request) -> Supervisor | None:
    """The supervisor the request's cookie signs in, or ``None``."""
    if "supervisor" in request.scope.get("state", {}):
        cached: Supervisor | None = request.state.supervisor
        return cached
    token = request.cookies.get(COOKIE, "")
    desk = web.desk_of(request)
    supervisor = await desk.call(desk.ledger.supervisor_of_session, token) if token else None
    request.state.supervisor = supervisor
    return supervisor


def safe_next(target: str | None) -> str:
    """A path under ``/me`` to go back to after signing in; never another site."""
    if not target or not target.startswith("/me") or target.startswith("//"):
        return "/me"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/me/login?next={quote(target)}", status_code=303)
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path="/me")
    return response


def signed_in(page: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for a signed-in supervisor; anyone else is sent to sign in (and back)."""

    @functools.wraps(page)
    async def endpoint(request: Request) -> Response:
        supervisor = await current_supervisor(request)
        if supervisor is None:
            return _to_sign_in(request)
        return await page(request, supervisor)

    return endpoint


def signed_in_hop(
    page: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """A page that loads the supervisor with its data in one call (:func:`call_as_supervisor`)."""

    @functools.wraps(page)
    async def endpoint(request: Request) -> Response:
        try:
            return await page(request)
        except SignInRequired:
            return _to_sign_in(request)

    return endpoint


async def call_as_supervisor(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """``fn(supervisor, *args)`` for the signed-in supervisor, in one worker thread.

    The session is checked in the same thread (one hop off the event loop instead of
    two: the "my reports" page within 2x of its SQL, bench/bench_me.py);
    :class:`SignInRequired` if nobody is signed in.
    """
    desk = web.desk_of(request)
    token = request.cookies.get(COOKIE, "")

    def run() -> tuple[Supervisor, T] | None:
        supervisor = desk.ledger.supervisor_of_session(token) if token else None
        return None if supervisor is None else (supervisor, fn(supervisor, *args))

    outcome: tuple[Supervisor, T] | None = await desk.call(run)
    if outcome is None:
        raise SignInRequired
    request.state.supervisor = outcome[0]
    return outcome[1]


def signed_in_response(request: Request, token: str, next_url: str = "/me") -> Response:
    """A redirect to ``next_url`` that keeps the new session's ``token`` in the cookie."""
    response = RedirectResponse(safe_next(next_url), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_DAYS * 24 * 3600,
        path="/me",
        httponly=True,
        samesite="lax",
        secure=web.desk_of(request).settings.secure_cookies,
    )
    return response


def signed_out_response() -> Response:
    """Back to the sign-in page, the cookie gone."""
    response = RedirectResponse("/me/login", status_code=303)
    response.delete_cookie(COOKIE, path="/me")
    return response


def sign_in_ways(request: Request) -> tuple[list[Any], list[Any]]:
    """The other ways to sign in offered now: ``(first, after)``.

    ``first`` are shown as the main button (the browser is the one they are made for:
    WeChat's own), ``after`` below the code form. A way whose ``available`` raises is
    hidden (and logged), never an error page.
    """
    desk = web.desk_of(request)
    agent = request.headers.get("user-agent", "")
    first: list[Any] = []
    after: list[Any] = []
    for way in desk.sign_in_ways:
        try:
            if way.available is not None and not way.available(desk.ledger):
                continue
        except Exception:
            log.exception("sign-in way %s: available() failed", way.path)
            continue
        (first if way.agent and way.agent in agent else after).append(way)
    return first, after


def _login_context(request: Request, next_url: str) -> dict[str, Any]:
    first, after = sign_in_ways(request)
    return {"next": next_url, "error": None, "contact": "", "sent": False,
            "ways_first": first, "ways_after": after}  # fmt: skip


def sign_in_refused(
    request: Request, message: str, *, status_code: int = 403, next_url: str = "/me"
) -> Response:
    """The sign-in page again, saying (in Chinese) why another way refused to sign in."""
    context = _login_context(request, safe_next(next_url)) | {"error": message}
    return web.render(request, "me/login.html", context, status_code=status_code)


async def login(request: Request) -> Response:
    """GET: ask for the registered number; POST ``send``: send a code; POST ``verify``: sign in."""
    next_url = safe_next(request.query_params.get("next"))
    context = _login_context(request, next_url)
    if request.method == "GET":
        if await current_supervisor(request) is not None:
            return RedirectResponse(next_url, status_code=303)
        return web.render(request, "me/login.html", context)
    fields = await web.posted_fields(request)
    desk = web.desk_of(request)
    contact = fields.get("contact", "").strip()[:320]
    context["contact"] = contact
    if fields.get("action") == "verify":
        try:
            signed = await desk.call(
                desk.ledger.sign_in_with_code,
                contact,
                fields.get("code", ""),
                ip=client_ip(request),
            )
        except InvalidInput as e:
            context |= {"sent": True, "error": str(e)}
            return web.render(request, "me/login.html", context, status_code=401)
        return signed_in_response(request, signed.token, next_url)
    try:
        await desk.call(desk.ledger.request_sign_in_code, contact, ip=client_ip(request))
    except InvalidInput as e:
        # Too many codes: the form for the code stays, a code sent before still works.
        limited = "频繁" in str(e) or "一分钟" in str(e)
        context |= {"error": str(e), "sent": limited}
        return web.render(request, "me/login.html", context, status_code=429 if limited else 400)
    context["sent"] = True
    return web.render(request, "me/login.html", context)


async def logout(request: Request) -> Response:
    """Sign out on this phone (the session ends in the ledger too)."""
    await web.posted_fields(request)
    token = request.cookies.get(COOKIE)
    if token:
        desk = web.desk_of(request)
        await desk.call(desk.ledger.end_supervisor_session, token)
    return signed_out_response()

"""The web application: sign-in, the pages plugins contribute, files, and errors.

Built like datasette: the application is made by :func:`create_app` from a ledger;
every page beyond sign-in comes from a plugin (the built-in walk-in channel included)
through ``supervision_register_routes``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import attrs
import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from supervision_core import (
    Ledger,
    NotFound,
    Role,
    StaffUser,
    SupervisionError,
    can_see_center,
    mask_name,
    mask_phone,
)

from .security import (
    BodyLimitMiddleware,
    NulGuardMiddleware,
    SecurityHeadersMiddleware,
    csrf_ok,
    csrf_token,
)
from .typed import path_id

__all__ = [
    "Desk",
    "LoginRequired",
    "WebSettings",
    "call_as_user",
    "create_app",
    "current_user",
    "desk_of",
    "form_or_400",
    "posted_fields",
    "render",
    "require_csrf",
    "require_user",
]

log = logging.getLogger("supervision_web")

_HERE = Path(__file__).parent
T = TypeVar("T")
SESSION_HOURS = 8


@attrs.frozen(kw_only=True)
class WebSettings:
    """How the web desk runs.

    :param secure_cookies: send the session cookie over HTTPS only (browsers treat
        ``localhost`` as secure, so this holds for a desk opened on the same machine)
    :param max_upload_bytes: the largest request body accepted (413 above it)
    :param max_file_bytes: the largest single uploaded file
    """

    secret_key: str = attrs.field(repr=False)
    secure_cookies: bool = True
    max_upload_bytes: int = 40 * 1024 * 1024
    max_file_bytes: int = 10 * 1024 * 1024
    max_files: int = 10
    #: Passwords checked at once (each Argon2 check takes a core and 64 MiB for a
    #: moment): a flood of sign-ins waits for these, not for the pages' threads.
    sign_in_workers: int = 2
    #: Sign-ins allowed to wait for a worker; beyond that a sign-in is refused (429).
    sign_in_queue: int = 32
    #: Read a template again when its file changes (while editing templates); off, each
    #: template is compiled once and never looked at on disk again.
    reload_templates: bool = False


@attrs.define
class Desk:
    """What every page needs: the ledger, the templates and the settings."""

    ledger: Ledger
    templates: Jinja2Templates
    settings: WebSettings
    nav: list[tuple[str, str]] = attrs.Factory(list)  # (path, label) shown to staff
    #: The menu's counts: path -> badge(ledger, user) (RouteRegistry.add_nav).
    badges: dict[str, Callable[[Ledger, StaffUser], int]] = attrs.Factory(dict)
    #: Other ways to sign in to /me (RouteRegistry.add_sign_in: WeChat OAuth).
    sign_in_ways: list[Any] = attrs.Factory(list)
    sign_ins: SignInPool = attrs.Factory(
        lambda self: SignInPool(self.settings.sign_in_workers, self.settings.sign_in_queue),
        takes_self=True,
    )

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a (blocking) ledger call off the event loop."""
        return await run_in_threadpool(fn, *args, **kwargs)


class SignInPool:
    """A few threads of their own for checking passwords, and a bounded queue for them.

    Argon2 takes a core and 64 MiB for a moment: sixty sign-ins at once on the pages'
    shared thread pool left a signed-in clerk's page waiting 14 s. Here at most
    ``workers`` passwords are checked at a time and at most ``queue`` more wait; any
    further sign-in is refused at once (:meth:`submit` returns ``None``).
    """

    def __init__(self, workers: int, queue: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sign-in")
        self.limit = workers + queue
        self.pending = 0
        self.lock = threading.Lock()

    async def submit(self, fn: Callable[..., T], *args: Any) -> T | None:
        """``fn(*args)`` on the pool's threads, or ``None`` at once when too many wait."""
        with self.lock:
            if self.pending >= self.limit:
                return None
            self.pending += 1
        try:
            return await asyncio.wrap_future(self.executor.submit(fn, *args))
        finally:
            with self.lock:
                self.pending -= 1


class LoginRequired(Exception):
    """Raised by :func:`require_user`; answered with a redirect to the sign-in page."""


def desk_of(request: Request) -> Desk:
    """The application's :class:`Desk`."""
    desk: Desk = request.app.state.desk
    return desk


def _load_user(ledger: Ledger, user_id: object, version: object) -> StaffUser | None:
    # The session names the account and the account's session version when it signed
    # in: sign-out, a new password, disabling or a new role raise the version, and a
    # cookie kept from before (copied, or saved before signing out) signs nobody in.
    if not isinstance(user_id, int) or not isinstance(version, int):
        return None
    try:
        user = ledger.users.get(user_id)
    except NotFound:
        return None
    return None if user.disabled or user.session_version != version else user


def _counts(desk: Desk, user: StaffUser) -> dict[str, int]:
    """The menu's counts for ``user`` (in the worker thread that loaded the user)."""
    if user.role is Role.UNIT:
        return {}
    counts = {}
    for path, badge in desk.badges.items():
        try:
            counts[path] = int(badge(desk.ledger, user))
        except Exception:  # a count is a convenience: never the reason a page fails
            log.exception("the menu's count for %s failed", path)
    return counts


def _session_user(
    desk: Desk, user_id: object, version: object
) -> tuple[StaffUser, dict[str, int]] | None:
    user = _load_user(desk.ledger, user_id, version)
    return None if user is None else (user, _counts(desk, user))


async def current_user(request: Request) -> StaffUser | None:
    """The signed-in user, or ``None``; a disabled account's session ends here."""
    if "user" in request.scope.get("state", {}):
        cached: StaffUser | None = request.state.user
        return cached
    user_id = request.session.get("uid")
    user = None
    if user_id is not None:
        desk = desk_of(request)
        found = await desk.call(_session_user, desk, user_id, request.session.get("ver"))
        if found is None:
            request.session.clear()
        else:
            user, request.state.nav_counts = found
    request.state.user = user
    return user


async def call_as_user(
    request: Request, fn: Callable[..., T], *args: Any, counted: bool = True
) -> T:
    """Run ``fn(user, *args)`` for the signed-in user, in one worker thread.

    The user is loaded in the same thread (one hop off the event loop instead of two);
    :class:`LoginRequired` if nobody is signed in. ``counted=False`` leaves the menu's
    counts out (a form post answered by a redirect shows no menu).
    """
    desk = desk_of(request)
    user_id, version = request.session.get("uid"), request.session.get("ver")

    def run() -> tuple[StaffUser, T, dict[str, int]] | None:
        user = _load_user(desk.ledger, user_id, version)
        if user is None:
            return None
        result = fn(user, *args)
        # Counted after the step it took.
        return user, result, _counts(desk, user) if counted else {}

    outcome = await desk.call(run)
    if outcome is None:
        request.session.clear()
        raise LoginRequired
    request.state.user, request.state.nav_counts = outcome[0], outcome[2]
    result: T = outcome[1]
    return result


async def require_user(request: Request) -> StaffUser:
    """The signed-in user; otherwise :class:`LoginRequired` (a redirect to sign in)."""
    user = await current_user(request)
    if user is None:
        raise LoginRequired
    return user


def require_csrf(request: Request, form: Any) -> None:
    """Refuse (403) a form whose CSRF token is not the session's."""
    if not csrf_ok(request, form.get("csrf_token")):
        raise HTTPException(403, "表单已过期或来源不明，请刷新页面后重新提交。")


_MAX_FIELDS = 200
_MAX_PART = 1024 * 1024


async def form_or_400(request: Request) -> Any:
    """The submitted form, parsed within the upload limits; a malformed body is a 400.

    Files are parsed up to several times ``max_files`` (the body's size is bounded
    anyway), so that a form with one file too many is shown again with its values and
    the form's own message, not refused whole.
    """
    settings = desk_of(request).settings
    try:
        return await request.form(
            max_files=settings.max_files * 5, max_fields=_MAX_FIELDS, max_part_size=_MAX_PART
        )
    except HTTPException:
        raise
    except Exception as e:  # multipart errors: a malformed or oversized part
        raise HTTPException(400, _unparsable(str(e), settings)) from None


def _unparsable(problem: str, settings: WebSettings) -> str:
    """Why a form could not be read, in Chinese (the parser says it in English)."""
    if problem.startswith("Too many files"):
        return f"附件太多：最多 {settings.max_files} 个，请减少后重新提交。"
    if problem.startswith("Too many fields"):
        return f"表单项太多（最多 {_MAX_FIELDS} 项），请刷新页面后重新填写。"
    if "exceeded maximum size" in problem:
        return f"某一项文字超过 {_MAX_PART // 1024} KB，请删减后重新提交。"
    return "提交的内容格式有误，无法解析，请刷新页面后重新填写。"


async def posted_fields(request: Request) -> dict[str, str]:
    """A submitted form's text fields, after the CSRF check (files are left out)."""
    form = await form_or_400(request)
    require_csrf(request, form)
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """A page from the templates, with the user, CSRF token and navigation filled in."""
    desk = desk_of(request)
    user = request.scope.get("state", {}).get("user")
    nav = desk.nav
    if user is not None and user.role is Role.UNIT:
        nav = [("/unit", "本单位问题")]  # a unit sees its portal, nothing of the desk
    values: dict[str, Any] = {
        "user": user,
        "csrf_token": csrf_token(request),
        "nav": nav,
        "nav_counts": request.scope.get("state", {}).get("nav_counts", {}),
        "path": request.url.path,
    }
    values.update(context or {})
    return desk.templates.TemplateResponse(request, name, values, status_code=status_code)


def _local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime(fmt)


@jinja2.pass_context
def _kept(context: Any, action: str, name: str, default: object = "") -> object:
    """What the user typed in field ``name`` of the form for ``action``, shown again.

    A refused form comes back with what was typed (``typed``: the posted fields), so
    nothing needs typing twice; any other form of the page shows ``default``.
    """
    typed = context.get("typed") or {}
    return typed.get(name, default) if typed.get("action") == action else default


def _templates(extra: list[Path], reload: bool = False) -> Jinja2Templates:
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([str(p) for p in extra]),
            jinja2.FileSystemLoader(_HERE / "templates"),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=reload,
        cache_size=-1,  # every template kept compiled (a few dozen)
    )
    env.globals["kept"] = _kept
    env.filters["local"] = _local
    env.filters["mask_phone"] = mask_phone
    env.filters["mask_name"] = mask_name
    return Jinja2Templates(env=env)


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an absolute URL an attacker could send users to.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _home(request: Request) -> Response:
    user = await current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role is Role.UNIT:
        return RedirectResponse("/unit", status_code=303)
    desk = desk_of(request)
    return RedirectResponse(desk.nav[0][0] if desk.nav else "/account", status_code=303)


async def _login(request: Request) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return render(request, "login.html", {"next": next_url, "error": None, "username": ""})
    form = await form_or_400(request)
    require_csrf(request, form)
    username = str(form.get("username", "")).strip().lower()
    password = str(form.get("password", ""))
    desk = desk_of(request)
    result = await desk.sign_ins.submit(desk.ledger.users.sign_in, username, password)
    if result is None:
        log.warning("sign-in refused: too many sign-ins at once")
        context = {
            "next": next_url,
            "error": "登录的人太多，请稍等片刻再试。",
            "username": username,
        }
        return render(request, "login.html", context, status_code=429)
    if not result.ok or result.user is None:
        log.info("sign-in refused for %s", mask_name(username))
        refused: dict[str, Any] = {"next": next_url, "error": result.message, "username": username}
        return render(request, "login.html", refused, status_code=401)
    request.session.clear()  # a new session on sign-in: no fixation
    request.session["uid"] = result.user.id
    request.session["ver"] = result.user.session_version
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(next_url, status_code=303)


async def _logout(request: Request) -> Response:
    """Sign out: every session of the account ends, here and on any other device."""
    form = await form_or_400(request)
    require_csrf(request, form)
    user = await current_user(request)
    if user is not None:
        await desk_of(request).call(desk_of(request).ledger.users.end_sessions, user.id)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def _account(request: Request) -> Response:
    user = await require_user(request)
    return render(request, "account.html", {"account": user})


async def _attachment(request: Request) -> Response:
    """A stored file, to staff who may see its report; never rendered by the browser inline."""
    user = await require_user(request)
    desk = desk_of(request)
    attachment_id = path_id(request, "attachment_id", "没有这个附件。")
    try:
        info, content = await desk.call(desk.ledger.attachment, attachment_id)
        summary = await desk.call(desk.ledger.report_summary, info.report_id)
    except NotFound:
        raise HTTPException(404, "没有这个附件。") from None
    if not can_see_center(user, summary.center):
        raise HTTPException(403, "您无权查看其他中心的附件。")
    if summary.supervisor_id is not None:  # what a supervisor sent is theirs
        await desk.call(
            desk.ledger.log_access,
            user=user.username,
            action="view_attachment",
            purpose=f"网页 {request.url.path}",
            supervisors=[summary.supervisor_id],
            target=f"attachment:{info.id}",
        )
    # Images may show inline; anything else downloads. The sandbox keeps a file that
    # pretends to be something else from running as this site.
    inline = info.content_type in {"image/jpeg", "image/png", "image/webp", "image/gif"}
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        media_type=info.content_type if inline else "application/octet-stream",
        headers={
            "content-disposition": f"{disposition}; filename*=UTF-8''{quote(info.filename)}",
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": "private, no-store",
        },
    )


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {400: "请求有误", 403: "无权访问", 404: "页面不存在", 405: "不支持的操作"}
    detail = exc.detail if exc.detail and exc.detail != _default_phrase(exc.status_code) else None
    context = {
        "title": titles.get(exc.status_code, "出错了"),
        "detail": detail,
        "status": exc.status_code,
    }
    return render(request, "error.html", context, status_code=exc.status_code)


def _default_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


async def _login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


async def _supervision_error(request: Request, exc: Exception) -> Response:
    context = {"title": "无法完成操作", "detail": str(exc), "status": 400}
    return render(request, "error.html", context, status_code=400)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path)
    context = {"title": "系统出错", "detail": "请稍后再试；问题已记录在日志中。", "status": 500}
    return render(request, "error.html", context, status_code=500)


def create_app(ledger: Ledger, settings: WebSettings) -> Starlette:
    """The web desk for ``ledger``: sign-in, then every page the plugins register."""
    registry = ledger.host.routes()
    desk = Desk(
        ledger=ledger,
        templates=_templates(registry.template_dirs, settings.reload_templates),
        settings=settings,
        nav=registry.nav,
        badges=registry.badges,
        sign_in_ways=registry.sign_ins,
    )
    routes: list[BaseRoute] = [
        Route("/", _home),
        Route("/login", _login, methods=["GET", "POST"]),
        Route("/logout", _logout, methods=["POST"]),
        Route("/account", _account),
        Route("/healthz", _healthz),
        Route("/attachments/{attachment_id:int}", _attachment),
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
        *registry.routes,
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: _http_error,
        LoginRequired: _login_required,
        SupervisionError: _supervision_error,
        Exception: _server_error,
    }
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies),
            Middleware(BodyLimitMiddleware, limit=settings.max_upload_bytes),
            Middleware(NulGuardMiddleware),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie="supdesk_session",
                max_age=SESSION_HOURS * 3600,
                same_site="strict",
                https_only=settings.secure_cookies,
            ),
        ],
        exception_handlers=handlers,
    )
    app.state.desk = desk
    return app

"""What every response and request of the web desk goes through: headers, CSRF, body size."""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "BodyLimitMiddleware",
    "NulGuardMiddleware",
    "SecurityHeadersMiddleware",
    "csrf_ok",
    "csrf_token",
    "load_secret_key",
]

# Pages are server-rendered with no inline script or style, so the policy can be strict.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (pages, files, errors)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers.setdefault(name, value)
                if self.hsts:
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class NulGuardMiddleware:
    """Refuses (400) an address whose path or query holds a NUL character (``%00``).

    No page means one, and PostgreSQL cannot even compare text that holds it: every
    look-up with it would be an error of the server instead of a wrong address.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").lower()
            if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
                body = "网址中含有空字符（%00），无法处理，请检查链接。".encode()
                await _plain(send, 400, body)
                return
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    """A request body over the limit; answered 413."""


class BodyLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes, declared or streamed, with 413.

    Starlette spools uploaded files to disk without a bound of its own.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, self.limit)


async def _too_large(send: Send, limit: int) -> None:
    body = f"提交的内容超过 {limit // (1024 * 1024)} MB 的上限，请减少或压缩附件后重试。".encode()
    await _plain(send, 413, body)


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *((k.encode(), v.encode()) for k, v in _HEADERS.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every form carries it."""
    session: dict[str, Any] = request.session
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    """Whether a submitted token is the session's (compared in constant time)."""
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


def load_secret_key(path: Path) -> str:
    """The key that signs session cookies: ``SUPDESK_SECRET_KEY``, else a file made once.

    A file that cannot be made or read is a :class:`ConfigError` in Chinese.

    The file is created readable by its owner only; a key shorter than 32 characters
    is refused, since anyone who can guess it can sign in as anybody.
    """
    from supervision_core import ConfigError, describe_os_error

    key = os.environ.get("SUPDESK_SECRET_KEY")
    if key is None:
        try:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(
                    path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR
                )
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_urlsafe(48))
            key = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            what = (
                describe_os_error(exc).removeprefix(f"{path}：")
                if isinstance(exc, OSError)
                else "不是文本文件"
            )
            msg = (
                f"无法读取会话密钥文件 {path}：{what}（用 --secret-file 指定可读的文件，"
                "或设置环境变量 SUPDESK_SECRET_KEY）"
            )
            raise ConfigError(msg) from exc
    if len(key) < 32:
        msg = f"会话密钥太短（至少 32 个字符）：请检查 SUPDESK_SECRET_KEY 或 {path}"
        raise ConfigError(msg)
    return key

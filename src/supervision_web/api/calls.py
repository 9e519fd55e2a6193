"""What every call of the HTTP API passes: the token, its rate, idempotency, errors.

The token comes as ``Authorization: Bearer <secret>`` (Open311 clients may send it as
``api_key``, as the GeoReport v2 spec says). Each token has a bucket of calls refilled
at a steady rate (429 with ``Retry-After`` when empty). A POST with an
``Idempotency-Key`` is answered once: the same key again gets the first answer, and
nothing is done twice. Errors are JSON in Chinese: problem details (RFC 9457) under
``/api/v1``, the spec's ``[{"code", "description"}]`` under ``/open311``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from supervision_core import (
    ApiToken,
    InvalidInput,
    InvalidTransition,
    NotFound,
    SupervisionError,
    TokenScope,
)

from ..app import desk_of

__all__ = [
    "ApiError",
    "RateLimiter",
    "api_call",
    "json_response",
    "problem",
]

log = logging.getLogger("supervision_web.api")
Endpoint = Callable[[Request, ApiToken], Awaitable[Response]]
Shape = Callable[[int, str, str], Response]


class ApiError(Exception):
    """A refused call: status, a short code, and a message in Chinese."""

    def __init__(self, status: int, code: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def json_response(data: Any, status: int = 200, media_type: str = "application/json") -> Response:
    """``data`` as UTF-8 JSON (Chinese unescaped)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type=media_type)


_TITLES = {
    400: "请求有误",
    401: "未认证",
    403: "无权访问",
    404: "不存在",
    409: "冲突",
    422: "无法处理",
    429: "调用过于频繁",
    500: "系统出错",
}


def problem(status: int, code: str, message: str) -> Response:
    """A problem details document (RFC 9457), in Chinese."""
    data = {
        "type": f"urn:supdesk:problem:{code}",
        "title": _TITLES.get(status, "出错了"),
        "status": status,
        "detail": message,
    }
    return json_response(data, status, "application/problem+json")


@attrs.define
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per API token: ``burst`` calls at once, ``per_minute`` on average."""

    def __init__(self, *, per_minute: int = 120, burst: int = 30) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.buckets: dict[int, _Bucket] = {}
        self.lock = threading.Lock()
        self.now: Callable[[], float] = time.monotonic

    def take(self, key: int) -> float:
        """Take one call for ``key``: 0 if allowed, else the seconds to wait."""
        now = self.now()
        with self.lock:
            bucket = self.buckets.setdefault(key, _Bucket(self.burst, now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate


def limiter_of(request: Request) -> RateLimiter:
    """The application's rate limiter (made on first use)."""
    state = request.app.state
    if not hasattr(state, "api_limiter"):
        state.api_limiter = RateLimiter()
    limiter: RateLimiter = state.api_limiter
    return limiter


def _secret(request: Request, form: dict[str, str] | None) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    if form is not None and form.get("api_key"):
        return form["api_key"]
    return request.query_params.get("api_key")


async def _authenticate(request: Request, form: dict[str, str] | None) -> ApiToken:
    secret = _secret(request, form)
    if not secret:
        raise ApiError(401, "unauthenticated", "缺少接口令牌：请在 Authorization: Bearer 中提供")
    desk = desk_of(request)
    token: ApiToken | None = await desk.call(desk.ledger.tokens.authenticate, secret)
    if token is None:
        raise ApiError(401, "invalid_token", "接口令牌无效、已过期或已被吊销")
    wait = limiter_of(request).take(token.id)
    if wait > 0:
        retry = str(max(1, int(wait + 0.999)))
        raise ApiError(429, "rate_limited", f"调用过于频繁，请 {retry} 秒后再试", retry_after=retry)
    return token


def require_scope(token: ApiToken, *scopes: TokenScope) -> None:
    """Refuse (403) a token that carries none of ``scopes``."""
    if not any(token.allows(s) for s in scopes):
        names = "、".join(s.value for s in scopes)
        raise ApiError(403, "insufficient_scope", f"此令牌没有所需的权限范围（{names}）")


def _refusal(exc: Exception) -> tuple[int, str, str] | None:
    if isinstance(exc, ApiError):
        return exc.status, exc.code, exc.message
    if isinstance(exc, HTTPException):  # the console's own checks (visible_issue...)
        code = {403: "forbidden", 404: "not_found"}.get(exc.status_code, "bad_request")
        return exc.status_code, code, str(exc.detail)
    if isinstance(exc, NotFound):
        return 404, "not_found", str(exc)
    if isinstance(exc, InvalidTransition):
        return 409, "invalid_transition", str(exc)
    if isinstance(exc, InvalidInput | SupervisionError):
        return 422, "invalid_input", str(exc)
    return None


async def _body_hash(request: Request) -> str:
    body = await request.body()
    return hashlib.sha256(request.method.encode() + request.url.path.encode() + body).hexdigest()


def api_call(
    endpoint: Endpoint,
    *,
    shape: Shape,
    form: Callable[[Request], Awaitable[dict[str, str]]] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint: authenticate, limit, replay an idempotent POST, shape errors.

    ``form`` reads the body's fields when the token may come in it (Open311's ``api_key``).
    """

    async def run(request: Request) -> Response:
        try:
            fields = await form(request) if form is not None else None
            token = await _authenticate(request, fields)
            key = request.headers.get("idempotency-key")
            if request.method != "POST" or not key:
                return await endpoint(request, token)
            if len(key) > 200:
                raise ApiError(400, "bad_idempotency_key", "Idempotency-Key 不能超过 200 个字符")
            desk = desk_of(request)
            digest = await _body_hash(request)
            stored = await desk.call(desk.ledger.tokens.recall, token.id, key)
            if stored is not None:
                if stored.request_hash != digest:
                    raise ApiError(
                        422,
                        "idempotency_key_reused",
                        "此 Idempotency-Key 已用于另一个请求，请换一个新的",
                    )
                replay = Response(stored.body, stored.status, media_type=stored.content_type)
                replay.headers["idempotent-replayed"] = "true"
                return replay
            response = await endpoint(request, token)
            if response.status_code < 500:
                await desk.call(
                    desk.ledger.tokens.remember,
                    token.id,
                    key,
                    request_hash=digest,
                    status=response.status_code,
                    content_type=response.media_type or "application/json",
                    body=bytes(response.body),
                )
            return response
        except Exception as exc:
            refusal = _refusal(exc)
            if refusal is None:  # a fault of ours: logged, and said in the API's own shape
                log.exception("unhandled error on %s", request.url.path)
                refusal = (500, "server_error", "系统出错，请稍后再试；问题已记录在日志中")
            response = shape(*refusal)
            if isinstance(exc, ApiError):
                for name, value in exc.headers.items():
                    response.headers[name.replace("_", "-")] = value
            if refusal[0] == 401:
                response.headers["www-authenticate"] = 'Bearer realm="supdesk"'
            return response

    return run

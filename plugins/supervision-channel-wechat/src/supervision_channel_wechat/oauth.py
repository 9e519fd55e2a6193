"""微信授权登录: a supervisor signs in to ``/me`` with WeChat's web authorization (网页授权).

1. ``/me/login`` links to ``GET /wechat/oauth/start`` (as the main button in WeChat's own
   browser). It sets a cookie for this browser (``supdesk_wx_oauth``, ten minutes, path
   ``/wechat/oauth``) and sends the browser to WeChat's authorization page with a
   ``state`` signed with the desk's secret key over its expiry, a nonce and the
   cookie's random value, in the parameter order WeChat checks::

     https://open.weixin.qq.com/connect/oauth2/authorize?appid=APPID&redirect_uri=…
       &response_type=code&scope=snsapi_base&state=STATE[&agentid=ID]#wechat_redirect

2. WeChat sends the browser back to ``GET /wechat/oauth/callback?code=…&state=…``. The
   state must be well-formed, signed, unexpired, made for this browser's cookie and not
   used before (kept in memory until it expires: the desk is one process; WeChat spends
   each ``code`` at its first use, so a state replayed after a restart brings nothing).
3. The code is exchanged: an Official Account's at ``/sns/oauth2/access_token``
   (wechatpy's :class:`~wechatpy.oauth.WeChatOAuth`) for the openid, WeCom's at
   ``/cgi-bin/auth/getuserinfo`` for the member's userid.
4. The supervisor is the one whose WeChat account is linked (``绑定`` in the chat:
   ``wechat:<app id>:<openid or userid>``, as the channel matches senders); the session
   starts with ``via="wechat"`` and the cookie of ``/me`` is set.

Every refusal is the sign-in page with a Chinese message: nothing linked, a supervisor
suspended or revoked, a bad, expired or replayed state, WeChat's error codes (40029
invalid code, 40163 code used...), WeChat unreachable.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from typing import Any
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wechatpy.exceptions import WeChatOAuthException
from wechatpy.oauth import WeChatOAuth

from supervision_channel_wechat.api import WeChatApiError, api_for
from supervision_channel_wechat.settings import WeChatSettings, settings_of
from supervision_core import InvalidInput, Ledger

__all__ = [
    "CALLBACK",
    "COOKIE",
    "START",
    "STATE_SECONDS",
    "authorize_url",
    "available",
    "callback",
    "make_state",
    "start",
]

log = logging.getLogger("supervision_channel_wechat.oauth")

START = "/wechat/oauth/start"
CALLBACK = "/wechat/oauth/callback"
COOKIE = "supdesk_wx_oauth"
#: how long a started authorization may come back
STATE_SECONDS = 600
#: expiry (10 digits), nonce, signature: letters and digits only, as WeChat allows
_STATE = re.compile(r"^(\d{10})([0-9a-f]{24})([0-9a-f]{32})$")
_BROWSER = re.compile(r"^[0-9a-f]{32}$")
#: the code is wrong, spent or missing: start again
_BAD_CODE = frozenset({40029, 40163, 41008, 40030})
_AGAIN = "请重新点击“微信授权登录”"
_OFF = "本中心未开通微信授权登录，请使用手机验证码登录。"


class _Refused(InvalidInput):
    """WeChat refused the code, or could not be reached: the page's status goes with it."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def available(ledger: Ledger) -> bool:
    """Whether ``/me/login`` offers 微信授权登录 (``[channels.wechat]`` with its secret)."""
    return settings_of(ledger).oauth_ready


class _UsedStates:
    """The nonces of states already brought back, until they expire."""

    def __init__(self) -> None:
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    def use(self, nonce: str, expires: float, now: float) -> bool:
        """Whether the nonce is used for the first time (and mark it used)."""
        with self._lock:
            for old in [n for n, until in self._used.items() if until < now]:
                del self._used[old]
            if nonce in self._used:
                return False
            self._used[nonce] = expires
            return True


_used: dict[tuple[int, str], _UsedStates] = {}
_used_lock = threading.Lock()


def _key(secret_key: str) -> bytes:
    return hashlib.sha256(b"supdesk wechat oauth state\x00" + secret_key.encode()).digest()


def _signature(key: bytes, expires: str, nonce: str, browser: str) -> str:
    message = f"{expires}:{nonce}:{browser}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def make_state(secret_key: str, browser: str, now: float) -> str:
    """A state for the browser whose cookie holds ``browser``, good for ten minutes."""
    expires = f"{int(now) + STATE_SECONDS:010d}"
    nonce = secrets.token_hex(12)
    return expires + nonce + _signature(_key(secret_key), expires, nonce, browser)


def _checked_state(secret_key: str, browser: str, state: str, now: float) -> tuple[str, int]:
    """``(nonce, expiry)`` of a state made for this browser, or :class:`InvalidInput`."""
    found = _STATE.match(state)
    if found is None or not _BROWSER.match(browser):
        msg = f"登录请求无效：请在同一个浏览器里{_AGAIN}。"
        raise InvalidInput(msg)
    expires, nonce, signature = found.groups()
    if not hmac.compare_digest(signature, _signature(_key(secret_key), expires, nonce, browser)):
        msg = f"登录请求无效：请在同一个浏览器里{_AGAIN}。"
        raise InvalidInput(msg)
    if int(expires) < now:
        msg = f"登录请求已过期（超过 {STATE_SECONDS // 60} 分钟），{_AGAIN}。"
        raise InvalidInput(msg)
    return nonce, int(expires)


def authorize_url(settings: WeChatSettings, redirect_uri: str, state: str) -> str:
    """WeChat's authorization page, parameters in the order WeChat checks (its docs)."""
    url = (
        f"{settings.oauth_url}?appid={settings.app_id}"
        f"&redirect_uri={quote(redirect_uri, safe='')}"
        f"&response_type=code&scope=snsapi_base&state={state}"
    )
    if settings.kind == "wecom" and settings.agent_id is not None:
        url += f"&agentid={settings.agent_id}"
    return url + "#wechat_redirect"


def _redirect_uri(request: Request, settings: WeChatSettings) -> str:
    base = settings.public_url or str(request.base_url).rstrip("/")
    return base + CALLBACK


class _OAuth(WeChatOAuth):  # type: ignore[misc]
    """wechatpy's web authorization, on the configured API and with its timeout."""

    def __init__(self, settings: WeChatSettings, redirect_uri: str) -> None:
        super().__init__(settings.app_id, settings.secret, redirect_uri, scope="snsapi_base")
        self.API_BASE_URL = f"{settings.api}/"
        self.timeout = settings.timeout

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super()._request(method, url_or_endpoint, **kwargs)


def _wechat_user(settings: WeChatSettings, code: str, redirect_uri: str) -> str:
    """The openid (公众号) or userid (企业微信) a code stands for; :class:`InvalidInput` if none."""
    try:
        if settings.kind == "wecom":
            answer = api_for(settings).call("get", "auth/getuserinfo", params={"code": code})
            user = str(answer.get("userid") or answer.get("UserId") or "")
            if not user:  # not a member of the corp: an openid or external user
                msg = "您不是本单位企业微信的成员，无法用企业微信登录，请使用手机验证码登录。"
                raise InvalidInput(msg)
            return user
        answer = _OAuth(settings, redirect_uri).fetch_access_token(code)
    except WeChatOAuthException as exc:
        raise _refusal(exc.errcode, str(exc.errmsg)) from exc
    except WeChatApiError as exc:
        raise _refusal(exc.errcode, str(exc)) from exc
    except (OSError, ValueError, KeyError) as exc:  # unreachable, or not WeChat's JSON
        log.warning("WeChat OAuth: %s", type(exc).__name__)
        raise _refusal(None, type(exc).__name__) from exc
    if str(answer.get("is_snapshotuser", "0")) == "1":
        msg = "当前是微信的朋友圈快照页，无法登录：请点击页面下方“使用完整服务”后再登录。"
        raise InvalidInput(msg)
    return str(answer["openid"])


def _refusal(errcode: int | None, errmsg: str) -> _Refused:
    log.warning("WeChat OAuth refused: errcode=%s %s", errcode, errmsg)
    if errcode in _BAD_CODE:
        return _Refused(f"微信授权码无效或已使用（错误码 {errcode}），{_AGAIN}。", 400)
    if errcode is None:
        return _Refused("暂时无法连接微信服务器，请稍后再试，或使用手机验证码登录。", 502)
    return _Refused(
        f"微信暂时无法完成授权（错误码 {errcode}），请稍后再试，或使用手机验证码登录。", 502
    )


def _sign_in(
    ledger: Ledger, settings: WeChatSettings, code: str, redirect_uri: str
) -> tuple[str, str]:
    """Exchange the code, find the linked supervisor, start the session: ``(token, user)``."""
    user = _wechat_user(settings, code, redirect_uri)
    supervisor_id = ledger.messengers.linked_supervisor(f"{settings.account_prefix}{user}")
    if supervisor_id is None:
        where = "企业微信应用" if settings.kind == "wecom" else "本中心微信公众号"
        msg = (
            f"您的微信尚未绑定监督员身份。请先在{where}里发送“绑定 绑定码”"
            "（绑定码向中心索取）完成绑定，或使用手机验证码登录。"
        )
        raise InvalidInput(msg)
    signed = ledger.start_supervisor_session(supervisor_id, via="wechat")
    return signed.token, user


def _cookie(browser: str, next_url: str) -> str:
    return f"{browser}.{quote(next_url, safe='')}"


def _from_cookie(value: str) -> tuple[str, str]:
    browser, _, next_url = value.partition(".")
    return browser, unquote(next_url) or "/me"


async def start(request: Request) -> Response:
    """Send the browser to WeChat's authorization page, its state bound to a new cookie."""
    import supervision_web as web
    from supervision_web.me.auth import safe_next, sign_in_refused

    desk = web.desk_of(request)
    next_url = safe_next(request.query_params.get("next"))
    try:
        settings = settings_of(desk.ledger)
    except Exception:
        log.exception("[channels.wechat] is wrong")
        return sign_in_refused(request, _OFF, status_code=503, next_url=next_url)
    if not settings.oauth_ready:
        return sign_in_refused(request, _OFF, status_code=404, next_url=next_url)
    browser = secrets.token_hex(16)
    state = make_state(desk.settings.secret_key, browser, desk.ledger.clock().timestamp())
    response = RedirectResponse(
        authorize_url(settings, _redirect_uri(request, settings), state), status_code=303
    )
    response.set_cookie(
        COOKIE,
        _cookie(browser, next_url),
        max_age=STATE_SECONDS,
        path="/wechat/oauth",
        httponly=True,
        samesite="lax",  # WeChat's redirect back is a top-level GET from another site
        secure=desk.settings.secure_cookies,
    )
    return response


async def callback(request: Request) -> Response:
    """WeChat's redirect back: check the state, exchange the code, sign the supervisor in."""
    import supervision_web as web
    from supervision_web.me.auth import sign_in_refused, signed_in_response

    desk = web.desk_of(request)
    browser, next_url = _from_cookie(request.cookies.get(COOKIE, ""))
    q = request.query_params
    code, state = q.get("code", "")[:512], q.get("state", "")[:200]

    def refused(message: str, status: int) -> Response:
        response = sign_in_refused(request, message, status_code=status, next_url=next_url)
        response.delete_cookie(COOKIE, path="/wechat/oauth")
        return response

    try:
        settings = settings_of(desk.ledger)
    except Exception:
        log.exception("[channels.wechat] is wrong")
        return refused(_OFF, 503)
    if not settings.oauth_ready:
        return refused(_OFF, 404)
    now = desk.ledger.clock().timestamp()
    try:
        nonce, expires = _checked_state(desk.settings.secret_key, browser, state, now)
    except InvalidInput as exc:
        return refused(str(exc), 400)
    with _used_lock:
        used = _used.setdefault((id(desk.ledger), settings.app_id), _UsedStates())
    if not used.use(nonce, expires, now):
        return refused(f"该登录请求已使用过，{_AGAIN}。", 400)
    if not code:  # the user declined (or WeChat sent nothing)
        return refused("您没有同意微信授权，未能登录；可以改用手机验证码登录。", 403)
    try:
        token, _ = await desk.call(
            _sign_in, desk.ledger, settings, code, _redirect_uri(request, settings)
        )
    except InvalidInput as exc:
        return refused(str(exc), exc.status if isinstance(exc, _Refused) else 403)
    response = signed_in_response(request, token, next_url)
    response.delete_cookie(COOKIE, path="/wechat/oauth")
    return response

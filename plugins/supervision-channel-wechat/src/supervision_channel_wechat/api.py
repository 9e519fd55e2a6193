"""The WeChat API as the desk uses it: tokens, media, customer-service, template and app messages.

Built on wechatpy's clients, pointed at the configured base URL (the stand-in in tests).
The access token is cached with its expiry by the client and fetched again once when the
API says it is invalid or expired (40001, 42001, 40014); any other error (rate limits such
as 45009 and 45047 included) is raised as :class:`WeChatApiError`, which the outbox
retries.
"""

from __future__ import annotations

import threading
from typing import Any

from wechatpy.client import WeChatClient as OfficialClient
from wechatpy.enterprise.client import WeChatClient as WorkClient
from wechatpy.exceptions import WeChatClientException

from supervision_channel_wechat.settings import WeChatSettings

__all__ = ["OUTSIDE_WINDOW", "TOKEN_ERRORS", "WeChatApi", "WeChatApiError", "api_for"]

#: the token is invalid or expired: fetch a new one and try once more
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: a customer-service message outside the 48 hours since the user last wrote
OUTSIDE_WINDOW = 45015


class WeChatApiError(RuntimeError):
    """The WeChat API refused a call (``errcode``), or could not be reached (``None``)."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"微信接口错误 errcode={errcode}：{errmsg}")
        self.errcode = errcode


class _Official(OfficialClient):  # type: ignore[misc]
    def __init__(self, settings: WeChatSettings) -> None:
        super().__init__(
            settings.app_id, settings.secret, timeout=settings.timeout, auto_retry=False
        )
        self.API_BASE_URL = f"{settings.api}/cgi-bin/"

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class _Work(WorkClient):  # type: ignore[misc]
    def __init__(self, settings: WeChatSettings) -> None:
        super().__init__(
            settings.app_id, settings.secret, timeout=settings.timeout, auto_retry=False
        )
        self.API_BASE_URL = f"{settings.api}/cgi-bin/"

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


class WeChatApi:
    """One app's API client; the token is shared by every call through it."""

    def __init__(self, settings: WeChatSettings) -> None:
        self.settings = settings.required()
        self.client: Any = _Work(settings) if settings.kind == "wecom" else _Official(settings)
        self._lock = threading.Lock()

    def call(self, method: str, endpoint: str, **kwargs: Any) -> Any:
        """One API call; the token is fetched again once on 40001/42001."""
        given = kwargs.pop("params", {})  # kept for the second try too
        for attempt in (1, 2):
            try:
                with self._lock:  # the token fetch and its cache are not thread-safe
                    token = self.client.access_token
                params = {**given, "access_token": token}
                return self.client._request(method, endpoint, params=params, **kwargs)
            except WeChatClientException as exc:
                code = exc.errcode
                if code in TOKEN_ERRORS and attempt == 1:
                    with self._lock:
                        self.client.session.delete(self.client.access_token_key)
                    continue
                raise WeChatApiError(code, str(exc.errmsg)) from exc
            except OSError as exc:  # requests' connection errors and timeouts
                raise WeChatApiError(None, type(exc).__name__) from exc
        raise AssertionError("unreachable")

    def download(self, media_id: str) -> tuple[bytes, str]:
        """A temporary media file's bytes and its content type (``media/get``)."""
        response = self.call("get", "media/get", params={"media_id": media_id})
        if isinstance(response, dict):  # a JSON answer without errcode: not a file
            raise WeChatApiError(None, "没有返回文件")
        return bytes(response.content), str(response.headers.get("Content-Type", ""))

    def send_text(self, user: str, text: str) -> None:
        """A customer-service text (公众号) or an app text message (企业微信)."""
        if self.settings.kind == "wecom":
            self.call("post", "message/send", data={
                "touser": user, "msgtype": "text", "agentid": self.settings.agent_id,
                "text": {"content": text},
            })  # fmt: skip
        else:
            self.call("post", "message/custom/send", data={
                "touser": user, "msgtype": "text", "text": {"content": text},
            })  # fmt: skip

    def send_template(self, user: str, template_id: str, data: dict[str, str]) -> None:
        """A template message (公众号): each parameter as ``{"value": ...}``."""
        body: dict[str, Any] = {
            "touser": user,
            "template_id": template_id,
            "data": {k: {"value": v} for k, v in data.items()},
        }
        if self.settings.template_url:
            body["url"] = self.settings.template_url
        self.call("post", "message/template/send", data=body)


_apis: dict[tuple[str, str, str, str], WeChatApi] = {}
_apis_lock = threading.Lock()


def api_for(settings: WeChatSettings) -> WeChatApi:
    """The shared client of an app (its token cached across deliveries)."""
    key = (settings.kind, settings.app_id, settings.api, settings.secret or "")
    with _apis_lock:
        api = _apis.get(key)
        if api is None or api.settings != settings:
            api = _apis[key] = WeChatApi(settings)
        return api

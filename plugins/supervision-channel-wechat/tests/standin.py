"""A WeChat server stand-in on loopback: the API (token, media, messages), the callbacks
and web authorization (网页授权: the authorize page, the code exchange).

The API half answers as api.weixin.qq.com / qyapi.weixin.qq.com do (JSON with errcode),
enforces access tokens (``expire_token`` makes the current one answer 40001 once) and the
48-hour customer-service window (from the last callback it sent each user). The callback
half makes what WeChat posts to a server: the XML encrypted in safe mode and signed with
the real algorithm (wechatpy's crypto), with timestamp and nonce in the query.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from wechatpy.crypto import WeChatCrypto as OfficialCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WINDOW = 48 * 3600


class WeChatStandIn:
    def __init__(self, *, kind: str, app_id: str, secret: str, token: str, aes_key: str) -> None:
        self.kind, self.app_id, self.secret, self.token, self.aes_key = (
            kind,
            app_id,
            secret,
            token,
            aes_key,
        )
        # what messages are addressed to: an Official Account's original id, WeCom's corp id
        self.original_id = app_id if kind == "wecom" else "gh_3c884a361561"
        crypto = WorkCrypto if kind == "wecom" else OfficialCrypto
        self.crypto = crypto(token, aes_key, app_id)
        self.media: dict[str, tuple[bytes, str]] = {}
        self.last_reply: dict[str, Any] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.token_fetches = 0
        self.last_message: dict[str, int] = {}  # user -> timestamp of their last callback
        self.clock = 0  # the stand-in's "now" for the 48-hour window
        self.fail_next: list[int] = []  # errcodes to answer the next message sends with
        self.media_gate = threading.Event()  # media/get answers once this is set (a slow API)
        self.media_gate.set()
        self.media_asked = threading.Event()
        self._tokens: set[str] = set()
        # Web authorization: who is "in WeChat" when a browser opens the authorize page,
        # the codes given out (code -> user, used), errcodes to answer the next exchange
        # with, and whether the user declines (the redirect then carries no code).
        self.oauth_user: str | None = None
        self.oauth_member = True  # WeCom: whether the user is a member of the corp
        self.oauth_decline = False
        self.oauth_snapshot = False
        self.oauth_fail_next: list[int] = []
        self.oauth_codes: dict[str, tuple[str, bool]] = {}
        self.authorize_queries: list[str] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> WeChatStandIn:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def expire_token(self) -> None:
        with self._lock:
            self._tokens.clear()

    # ------------------------------------------------------------ callbacks

    def callback(self, xml: str, *, timestamp: int, nonce: str | None = None) -> tuple[str, bytes]:
        """The query string and body WeChat posts for ``xml`` (encrypted, signed)."""
        nonce = nonce or secrets.token_hex(5)
        encrypted = self.crypto.encrypt_message(xml, nonce, str(timestamp))
        import xmltodict

        signature = xmltodict.parse(encrypted)["xml"]["MsgSignature"]
        envelope = f"<xml><ToUserName><![CDATA[{self.original_id}]]></ToUserName><Encrypt><![CDATA[{xmltodict.parse(encrypted)['xml']['Encrypt']}]]></Encrypt></xml>"
        query = urlencode(
            {
                "msg_signature": signature,
                "timestamp": timestamp,
                "nonce": nonce,
                "encrypt_type": "aes",
            }
        )
        user = xmltodict.parse(xml)["xml"].get("FromUserName")
        if user:
            self.last_message[user] = timestamp
        return query, envelope.encode()

    def decrypt_reply(self, body: bytes, query: str) -> dict[str, Any]:
        import xmltodict

        q = parse_qs(query)
        data = xmltodict.parse(body)["xml"]
        plain = self.crypto.decrypt_message(
            body, data["MsgSignature"], data["TimeStamp"], data["Nonce"]
        )
        assert data["Nonce"] == q["nonce"][0]
        self.last_reply = dict(xmltodict.parse(plain)["xml"])
        return self.last_reply

    def text(self, user: str, content: str, msg_id: int, created: int) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{self.original_id}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>"
        )

    def image(self, user: str, media_id: str, msg_id: int, created: int) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{self.original_id}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[{self.url}/pic]]></PicUrl>"
            f"<MediaId><![CDATA[{media_id}]]></MediaId><MsgId>{msg_id}</MsgId></xml>"
        )

    # ------------------------------------------------------------ web authorization

    def give_code(self, user: str) -> str:
        """A code as WeChat gives one after authorization (good once)."""
        code = secrets.token_hex(16)
        with self._lock:
            self.oauth_codes[code] = (user, False)
        return code

    def _spend_code(self, code: str) -> tuple[str | None, dict[str, Any] | None]:
        """The code's user, or WeChat's error for it (unknown: 40029, used: 40163)."""
        with self._lock:
            if self.oauth_fail_next:
                errcode = self.oauth_fail_next.pop(0)
                return None, {
                    "errcode": errcode,
                    "errmsg": f"system error, rid: {secrets.token_hex(6)}",
                }
            found = self.oauth_codes.get(code)
            if found is None:
                return None, {
                    "errcode": 40029,
                    "errmsg": f"invalid code, rid: {secrets.token_hex(6)}",
                }
            if found[1]:
                return None, {
                    "errcode": 40163,
                    "errmsg": f"code been used, rid: {secrets.token_hex(6)}",
                }
            self.oauth_codes[code] = (found[0], True)
            return found[0], None

    # ------------------------------------------------------------ the API

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, data: dict[str, Any]) -> None:
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _token_ok(self, q: dict[str, list[str]]) -> bool:
                with standin._lock:
                    return q.get("access_token", [""])[0] in standin._tokens

            def _page(self, status: int, text: str) -> None:
                body = f"<!doctype html><html lang=zh-CN><title>微信</title><p>{text}</p></html>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorize(self, query: str, q: dict[str, list[str]]) -> None:
                """open.weixin.qq.com/connect/oauth2/authorize: back to redirect_uri with a code."""
                standin.authorize_queries.append(query)
                names = [part.split("=", 1)[0] for part in query.split("&")]
                order = ["appid", "redirect_uri", "response_type", "scope", "state"]
                if names[:5] != order or q.get("appid", [""])[0] != standin.app_id:
                    # WeChat matches the link strictly: a wrong order or app is an error page
                    return self._page(200, "Oops! Something went wrong:( 参数错误")
                if q.get("scope", [""])[0] not in ("snsapi_base", "snsapi_userinfo"):
                    return self._page(200, "Oops! Something went wrong:( scope 参数错误")
                if standin.oauth_user is None:
                    return self._page(200, "请在微信客户端打开链接")
                target = q["redirect_uri"][0]
                state = q.get("state", [""])[0]
                sep = "&" if "?" in target else "?"
                if standin.oauth_decline:
                    location = f"{target}{sep}state={state}"
                else:
                    code = standin.give_code(standin.oauth_user)
                    location = f"{target}{sep}code={code}&state={state}"
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None

            def do_GET(self) -> None:
                url = urlparse(self.path)
                q = parse_qs(url.query)
                if url.path == "/connect/oauth2/authorize":
                    return self._authorize(url.query, q)
                if url.path == "/sns/oauth2/access_token":
                    if q.get("appid", [""])[0] != standin.app_id:
                        return self._json({"errcode": 40013, "errmsg": "invalid appid"})
                    if q.get("secret", [""])[0] != standin.secret:
                        return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
                    if q.get("grant_type", [""])[0] != "authorization_code":
                        return self._json({"errcode": 40002, "errmsg": "invalid grant_type"})
                    user, error = standin._spend_code(q.get("code", [""])[0])
                    if error is not None:
                        return self._json(error)
                    answer: dict[str, Any] = {
                        "access_token": f"SNS-{secrets.token_hex(8)}",
                        "expires_in": 7200,
                        "refresh_token": f"REFRESH-{secrets.token_hex(8)}",
                        "openid": user,
                        "scope": "snsapi_base",
                    }
                    if standin.oauth_snapshot:
                        answer["is_snapshotuser"] = 1
                    return self._json(answer)
                if url.path == "/cgi-bin/auth/getuserinfo":
                    if not self._token_ok(q):
                        return self._json({"errcode": 42001, "errmsg": "access_token expired"})
                    user, error = standin._spend_code(q.get("code", [""])[0])
                    if error is not None:
                        return self._json(error)
                    if not standin.oauth_member:
                        return self._json({"errcode": 0, "errmsg": "ok", "openid": f"o{user}",
                                           "external_userid": f"wm{user}"})  # fmt: skip
                    return self._json({"errcode": 0, "errmsg": "ok", "userid": user,
                                       "user_ticket": secrets.token_hex(8), "expires_in": 1800})  # fmt: skip
                if url.path in ("/cgi-bin/token", "/cgi-bin/gettoken"):
                    given = q.get("secret" if url.path.endswith("/token") else "corpsecret", [""])[
                        0
                    ]
                    if given != standin.secret:
                        return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    with standin._lock:
                        standin.token_fetches += 1
                        token = f"TOKEN-{standin.token_fetches}-{secrets.token_hex(4)}"
                        standin._tokens.add(token)
                    return self._json({"access_token": token, "expires_in": 7200})
                if url.path == "/cgi-bin/media/get":
                    if not self._token_ok(q):
                        return self._json({"errcode": 42001, "errmsg": "access_token expired"})
                    standin.media_asked.set()
                    standin.media_gate.wait(30)
                    media = standin.media.get(q.get("media_id", [""])[0])
                    if media is None:
                        return self._json({"errcode": 40007, "errmsg": "invalid media_id"})
                    self.send_response(200)
                    self.send_header("Content-Type", media[1])
                    self.send_header("Content-Length", str(len(media[0])))
                    self.end_headers()
                    self.wfile.write(media[0])
                    return None
                self.send_error(404)
                return None

            def do_POST(self) -> None:
                url = urlparse(self.path)
                q = parse_qs(url.query)
                body = json.loads(
                    self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}"
                )
                if not self._token_ok(q):
                    return self._json(
                        {
                            "errcode": 40001,
                            "errmsg": "invalid credential, access_token is invalid or not latest",
                        }
                    )
                endpoint = url.path.removeprefix("/cgi-bin/")
                if endpoint not in ("message/custom/send", "message/template/send", "message/send"):
                    return self._json({"errcode": 48001, "errmsg": "api unauthorized"})
                with standin._lock:
                    if standin.fail_next:
                        code = standin.fail_next.pop(0)
                        return self._json({"errcode": code, "errmsg": "api freq out of limit"})
                if endpoint == "message/custom/send":
                    last = standin.last_message.get(body.get("touser", ""))
                    if last is None or standin.clock - last > WINDOW:
                        return self._json(
                            {
                                "errcode": 45015,
                                "errmsg": "response out of time limit or subscription is canceled",
                            }
                        )
                with standin._lock:
                    standin.sent.append((endpoint, body))
                answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
                if endpoint == "message/template/send":
                    answer["msgid"] = 200228332
                return self._json(answer)

        return Handler

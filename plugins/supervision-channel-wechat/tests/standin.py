"""A WeChat server stand-in on loopback: the API (token, media, messages) and the callbacks.

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

            def do_GET(self) -> None:
                url = urlparse(self.path)
                q = parse_qs(url.query)
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

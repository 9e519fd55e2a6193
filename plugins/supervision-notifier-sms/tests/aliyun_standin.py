"""An Alibaba Cloud SMS (dysmsapi 2017-05-25) stand-in on loopback: checks ACS3-HMAC-SHA256.

It recomputes each request's V3 signature as Alibaba Cloud documents it (canonical request
from the method, path, sorted RFC 3986 query, the signed headers and the payload's hash;
string to sign ``ACS3-HMAC-SHA256`` + the canonical request's SHA-256; HMAC-SHA256 with the
AccessKey secret) and refuses a wrong one with HTTP 400 ``SignatureDoesNotMatch``.
``SendSms`` checks the signature name (签名) and the template against what was "approved",
and answers ``{"Code": "OK", "BizId": …}`` or the documented business error codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote

import attrs


def acs3_signature(secret: str, *, method: str, path: str, query: list[tuple[str, str]],
                   headers: dict[str, str], signed_headers: str, payload: bytes) -> str:  # fmt: skip
    """The ACS3-HMAC-SHA256 signature of a request (Alibaba Cloud's signature V3)."""
    canonical_query = "&".join(
        f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query)
    )
    names = signed_headers.split(";")
    canonical_headers = "".join(f"{n}:{headers[n].strip()}\n" for n in names)
    canonical_request = "\n".join(
        [method, path or "/", canonical_query, canonical_headers, signed_headers,
         hashlib.sha256(payload).hexdigest()]
    )  # fmt: skip
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


@attrs.define
class AliSent:
    """One message the stand-in accepted."""

    number: str
    template_code: str
    params: dict[str, str]
    sign_name: str
    out_id: str


class AliyunStandIn:
    """``SendSms`` of dysmsapi on 127.0.0.1; ``url`` is its base URL."""

    def __init__(self, *, access_key_id: str, access_key_secret: str, sign_name: str,
                 templates: dict[str, tuple[str, ...]]) -> None:  # fmt: skip
        self.secrets = {access_key_id: access_key_secret}
        self.signs = {sign_name}
        self.templates = templates  # approved template code -> its variables' names
        self.sent: list[AliSent] = []
        self.refused: list[str] = []
        self.daily_limit = 10
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = outer.handle(
                    self.command, self.path, dict(self.headers.items()), body
                )
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._lock = threading.Lock()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        self.sent.clear()
        self.refused.clear()

    def _answer(self, code: str, message: str, status: int = 200) -> tuple[int, dict[str, Any]]:
        self.refused.append(code)
        return status, {"RequestId": str(uuid.uuid4()), "Code": code, "Message": message}

    def handle(
        self, method: str, target: str, raw: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        headers = {k.lower(): v for k, v in raw.items()}
        path, _, query_string = target.partition("?")
        query = parse_qsl(query_string, keep_blank_values=True)
        with self._lock:
            problem = self._check_signature(method, path, query, headers, body)
            if problem is not None:
                return self._answer(*problem, status=400)
            if (
                headers.get("x-acs-action") != "SendSms"
                or headers.get("x-acs-version") != "2017-05-25"
            ):
                return self._answer("InvalidAction.NotFound", "Specified api is not found.", 404)
            return self._send_sms(
                dict(query) | dict(parse_qsl(body.decode(), keep_blank_values=True))
            )

    def _check_signature(self, method: str, path: str, query: list[tuple[str, str]],
                         headers: dict[str, str], body: bytes) -> tuple[str, str] | None:  # fmt: skip
        auth = headers.get("authorization", "")
        if not auth.startswith("ACS3-HMAC-SHA256 "):
            return (
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards.",
            )
        try:
            parts = dict(
                p.strip().split("=", 1) for p in auth[len("ACS3-HMAC-SHA256 ") :].split(",")
            )
            key_id, signed, signature = (
                parts["Credential"],
                parts["SignedHeaders"],
                parts["Signature"],
            )
            when = dt.datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.UTC
            )
        except (KeyError, ValueError):
            return (
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards.",
            )
        if key_id not in self.secrets:
            return ("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if abs((dt.datetime.now(dt.UTC) - when).total_seconds()) > 900:
            return ("SignatureExpired", "Specified signature is expired.")
        names = signed.split(";")
        required = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                    "x-acs-content-sha256"}  # fmt: skip
        if not required <= set(names) or any(n not in headers for n in names):
            return (
                "IncompleteSignature",
                "SignedHeaders must include host and the x-acs- headers.",
            )
        if headers["x-acs-content-sha256"] != hashlib.sha256(body).hexdigest():
            return (
                "SignatureDoesNotMatch",
                "The payload hash does not match x-acs-content-sha256.",
            )
        expected = acs3_signature(self.secrets[key_id], method=method, path=path, query=query,
                                  headers=headers, signed_headers=signed, payload=body)  # fmt: skip
        if not hmac.compare_digest(expected, signature):
            return ("SignatureDoesNotMatch", "Specified signature does not match our calculation.")
        return None

    def _send_sms(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if params.get("SignName") not in self.signs:
            return self._answer("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        code = params.get("TemplateCode", "")
        if code not in self.templates:
            return self._answer("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except json.JSONDecodeError:
            return self._answer("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if sorted(values) != sorted(self.templates[code]):
            return self._answer("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        if any(not isinstance(v, str) or not 1 <= len(v) <= 35 for v in values.values()):
            return self._answer("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
        number = params.get("PhoneNumbers", "")
        if sum(1 for s in self.sent if s.number == number) >= self.daily_limit:
            return self._answer(
                "isv.BUSINESS_LIMIT_CONTROL", f"触发天级流控Permits:{self.daily_limit}"
            )
        self.sent.append(AliSent(number, code, values, params["SignName"], params.get("OutId", "")))
        return 200, {"RequestId": str(uuid.uuid4()), "Code": "OK", "Message": "OK",
                     "BizId": f"{uuid.uuid4().int % 10**18}^0"}  # fmt: skip

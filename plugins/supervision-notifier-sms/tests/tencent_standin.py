"""A Tencent Cloud SMS API stand-in on loopback: checks TC3-HMAC-SHA256, answers as documented.

It recomputes each request's signature exactly as Tencent's "签名方法 v3" documents it
(canonical request, string to sign, the derived key ``TC3`` + SecretKey → date → service →
``tc3_request``) and refuses a request whose signature, secret id, timestamp, action or
version is wrong, with the error JSON the API sends (``AuthFailure.SignatureFailure``…).
``SendSms`` checks the application, the signature (签名) and the template against what
was "approved", and answers ``SendStatusSet`` with a status per number, the daily limit
per number (``LimitExceeded.PhoneNumberDailyLimit``) included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(
    secret_key: str, *, method: str, path: str, query: str, headers: dict[str, str],
    signed_headers: str, payload: bytes, timestamp: int, service: str,
) -> str:  # fmt: skip
    """The TC3-HMAC-SHA256 signature of a request, as Tencent Cloud's API 3.0 documents it."""
    names = signed_headers.split(";")
    canonical_headers = "".join(f"{n}:{headers[n].strip().lower()}\n" for n in names)
    canonical_request = "\n".join(
        [
            method,
            path,
            query,
            canonical_headers,
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope,
         hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )  # fmt: skip
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


@attrs.define
class Sent:
    """One message the stand-in accepted."""

    number: str
    template_id: str
    params: list[str]
    sign_name: str
    context: str
    serial_no: str


class TencentStandIn:
    """``SendSms`` of API 2021-01-11 on 127.0.0.1; ``url`` is its base URL."""

    def __init__(self, *, secret_id: str, secret_key: str, app_id: str, sign_name: str,
                 templates: dict[str, int]) -> None:  # fmt: skip
        self.secrets = {secret_id: secret_key}
        self.app_id = app_id
        self.signs = {sign_name}
        self.templates = dict(templates)  # approved template id -> number of parameters
        self.sent: list[Sent] = []
        self.refused: list[str] = []  # error codes answered, in order
        self.daily_limit = 10
        self.fail_next: str | None = None  # an error code to answer the next request with
        self.switched_off: set[str] = set()  # numbers whose receipts say 未送达
        self.receipts: list[dict[str, Any]] = []  # queued for PullSmsSendStatus
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                answer = outer.handle(self.command, self.path, dict(self.headers.items()), body)
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

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
        self.receipts.clear()
        self.switched_off.clear()
        self.fail_next = None

    # ------------------------------------------------------------ the API

    def _error(self, code: str, message: str) -> dict[str, Any]:
        self.refused.append(code)
        return {"Response": {"Error": {"Code": code, "Message": message},
                             "RequestId": str(uuid.uuid4())}}  # fmt: skip

    def handle(
        self, method: str, path: str, raw_headers: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        headers = {k.lower(): v for k, v in raw_headers.items()}
        with self._lock:
            problem = self._check_signature(method, path, headers, body)
            if problem is not None:
                return self._error(*problem)
            action = headers.get("x-tc-action")
            if action not in ("SendSms", "PullSmsSendStatus"):
                return self._error("InvalidAction", "未知的接口")
            if headers.get("x-tc-version") != "2021-01-11":
                return self._error("NoSuchVersion", "接口版本不存在")
            if self.fail_next is not None:
                code, self.fail_next = self.fail_next, None
                return self._error(code, "stand-in: told to fail")
            if action == "PullSmsSendStatus":
                return self._pull(json.loads(body))
            return self._send_sms(json.loads(body))

    def _check_signature(self, method: str, path: str, headers: dict[str, str],
                         body: bytes) -> tuple[str, str] | None:  # fmt: skip
        auth = headers.get("authorization", "")
        if not auth.startswith("TC3-HMAC-SHA256 "):
            return ("AuthFailure.InvalidAuthorization", "Authorization 格式错误")
        try:
            parts = dict(
                p.strip().split("=", 1) for p in auth[len("TC3-HMAC-SHA256 ") :].split(",")
            )
            secret_id, date, service, terminator = parts["Credential"].split("/")
            signed_headers, signature = parts["SignedHeaders"], parts["Signature"]
            timestamp = int(headers["x-tc-timestamp"])
        except (KeyError, ValueError):
            return ("AuthFailure.InvalidAuthorization", "Authorization 格式错误")
        if secret_id not in self.secrets:
            return ("AuthFailure.SecretIdNotFound", "密钥不存在")
        if abs(time.time() - timestamp) > 300:
            return ("AuthFailure.SignatureExpire", "签名过期")
        if service != "sms" or terminator != "tc3_request" or \
                date != dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d"):  # fmt: skip
            return ("AuthFailure.SignatureFailure", "凭证范围错误")
        if "content-type" not in signed_headers.split(";") or "host" not in signed_headers.split(
            ";"
        ):
            return ("AuthFailure.SignatureFailure", "SignedHeaders 须包含 content-type 与 host")
        query = path.partition("?")[2]
        expected = tc3_signature(
            self.secrets[secret_id], method=method, path=path.partition("?")[0] or "/",
            query=query, headers=headers, signed_headers=signed_headers, payload=body,
            timestamp=timestamp, service=service,
        )  # fmt: skip
        if not hmac.compare_digest(expected, signature):
            return (
                "AuthFailure.SignatureFailure",
                "请求签名验证失败，请检查您的签名计算是否正确。",
            )
        return None

    def _send_sms(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("SmsSdkAppId") != self.app_id:
            return self._error(
                "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId 校验失败"
            )
        if request.get("SignName") not in self.signs:
            return self._error(
                "FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误"
            )
        template = str(request.get("TemplateId", ""))
        params = request.get("TemplateParamSet") or []
        if template not in self.templates:
            return self._error(
                "FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配"
            )
        if len(params) != self.templates[template]:
            return self._error("FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                               "请求内容与审核通过的模板内容不匹配")  # fmt: skip
        statuses = []
        for number in request.get("PhoneNumberSet") or []:
            serial = f"2433:{uuid.uuid4().int % 10**28:028d}"
            today = [s for s in self.sent if s.number == number]
            if len(today) >= self.daily_limit:
                statuses.append({"SerialNo": "", "PhoneNumber": number, "Fee": 0,
                                 "SessionContext": request.get("SessionContext", ""),
                                 "Code": "LimitExceeded.PhoneNumberDailyLimit",
                                 "Message": "单个手机号日下发短信条数超过设定的上限", "IsoCode": "CN"})  # fmt: skip
                continue
            self.sent.append(Sent(number, template, list(params), request["SignName"],
                                  request.get("SessionContext", ""), serial))  # fmt: skip
            off = number in self.switched_off
            self.receipts.append({
                "UserReceiveTime": int(time.time()), "CountryCode": "86",
                "SubscriberNumber": number.removeprefix("+86"), "PhoneNumber": number,
                "SerialNo": serial, "ReportStatus": "FAIL" if off else "SUCCESS",
                "Description": "用户手机关机或不在服务区" if off else "用户短信送达成功",
                "SessionContext": request.get("SessionContext", ""),
            })  # fmt: skip
            statuses.append({"SerialNo": serial, "PhoneNumber": number, "Fee": 1,
                             "SessionContext": request.get("SessionContext", ""),
                             "Code": "Ok", "Message": "send success", "IsoCode": "CN"})  # fmt: skip
        return {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}

    def _pull(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("SmsSdkAppId") != self.app_id:
            return self._error(
                "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId 校验失败"
            )
        limit = int(request.get("Limit", 100))
        taken, self.receipts = self.receipts[:limit], self.receipts[limit:]  # a queue: once each
        return {"Response": {"PullSmsSendStatusSet": taken, "RequestId": str(uuid.uuid4())}}

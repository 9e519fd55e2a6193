"""Alibaba Cloud SMS (阿里云短信) through its official SDK, API 2017-05-25 ``SendSms``.

The SDK signs each request with ACS3-HMAC-SHA256 (signature V3). Its endpoint is a
setting (``base_url``), so the tests point it at a stand-in on loopback. A template's
variables are named (``${number}``), so the parameters go as a JSON object named after
the notice's fields. One request is sent per number, so each number's result is known.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlsplit

import attrs

from supervision_notifier_sms.tencent import SendResult, SmsError, SmsRefused

__all__ = ["ALIYUN_PERMANENT", "AliyunSms", "describe_aliyun"]

#: Error codes that sending again will not cure.
ALIYUN_PERMANENT = (
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.SMS_SIGN_ILLEGAL",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_PARAMETERS",
    "isv.INVALID_JSON_PARAM",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.AMOUNT_NOT_ENOUGH",
    "isv.OUT_OF_SERVICE",
    "isv.ACCOUNT_ABNORMAL",
    "isv.ACCOUNT_NOT_EXISTS",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.DAY_LIMIT_CONTROL",
    "isv.SMS_CONTENT_ILLEGAL",
    "isv.DENY_IP_RANGE",
)
_CODES = {
    "isv.SMS_SIGNATURE_ILLEGAL": "短信签名不存在或未通过审核",
    "isv.SMS_SIGN_ILLEGAL": "短信签名不存在或未通过审核",
    "isv.SMS_TEMPLATE_ILLEGAL": "短信模板不存在或未通过审核",
    "isv.TEMPLATE_MISSING_PARAMETERS": "短信模板缺少变量",
    "isv.PARAM_LENGTH_LIMIT": "模板参数超过长度限制",
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号码格式错误",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "isv.BUSINESS_LIMIT_CONTROL": "发送过于频繁（号码流控）",
    "isv.DAY_LIMIT_CONTROL": "今日短信已达上限",
    "isv.BLACK_KEY_CONTROL_LIMIT": "该号码在黑名单中",
    "SignatureDoesNotMatch": "阿里云 API 签名校验失败（AccessKey 有误）",
    "InvalidAccessKeyId.NotFound": "阿里云 AccessKeyId 不存在",
}


def describe_aliyun(code: str, message: str = "") -> str:
    """A provider's error code in Chinese, with the code."""
    text = _CODES.get(code) or message or "发送失败"
    return f"{text}（{code}）"


def _daily(code: str, message: str) -> bool:
    # Alibaba's flow control says which limit in its message: 天级 is the day's.
    return code == "isv.DAY_LIMIT_CONTROL" or (
        code == "isv.BUSINESS_LIMIT_CONTROL" and "天级" in message
    )


@attrs.frozen
class AliyunSms:
    """A client for ``SendSms`` of ``dysmsapi``; secrets are resolved before it is made."""

    access_key_id: str
    access_key_secret: str
    sign_name: str
    base_url: str = "https://dysmsapi.aliyuncs.com"
    timeout: float = 10.0

    def _client(self) -> object:
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        url = urlsplit(self.base_url)
        config = Config(
            access_key_id=self.access_key_id,
            access_key_secret=self.access_key_secret,
            endpoint=url.netloc or url.path,
            protocol=url.scheme or "https",
            read_timeout=int(self.timeout * 1000),
            connect_timeout=int(self.timeout * 1000),
        )
        return Client(config)

    def send(
        self,
        numbers: Sequence[str],
        template_id: str,
        names: Sequence[str],
        values: Sequence[str],
        *,
        context: str,
    ) -> list[SendResult]:
        """Send template ``template_id`` with ``names`` = ``values`` to each of ``numbers``.

        ``context`` (the notice's key) is sent as ``OutId``. A business error (a code
        other than ``OK``) is the result for that number.

        :raises SmsRefused: the request was refused (signature, template, credentials)
        :raises SmsError: the provider could not be reached or failed for now
        """
        from alibabacloud_dysmsapi20170525 import models

        client = self._client()
        results = []
        for number in numbers:
            request = models.SendSmsRequest(
                phone_numbers=number.removeprefix("+86"),
                sign_name=self.sign_name,
                template_code=template_id,
                template_param=json.dumps(
                    dict(zip(names, values, strict=True)), ensure_ascii=False
                ),
                out_id=context[:256],
            )
            try:
                body = client.send_sms(request).body  # type: ignore[attr-defined]
            except Exception as exc:  # the SDK's exceptions carry the API's code
                code = str(getattr(exc, "code", "") or type(exc).__name__)
                message = str(getattr(exc, "message", "") or exc)
                if code.startswith(ALIYUN_PERMANENT):
                    raise SmsRefused(describe_aliyun(code, message)) from exc
                raise SmsError(describe_aliyun(code, message)) from exc
            code, message = body.code or "", body.message or ""
            if code == "OK":
                results.append(SendResult(number, "Ok", serial_no=body.biz_id or ""))
                continue
            daily = _daily(code, message)
            reason = describe_aliyun("isv.DAY_LIMIT_CONTROL" if daily else code, message)
            permanent = daily or code.startswith(ALIYUN_PERMANENT)
            results.append(SendResult(number, code, reason, permanent=permanent, daily=daily))
        return results

"""Tencent Cloud SMS (腾讯云短信) through its official SDK, API 2021-01-11 ``SendSms``.

The SDK signs every request with TC3-HMAC-SHA256. Its endpoint is a setting
(``base_url``), so the tests point it at a stand-in on loopback; nothing is patched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlsplit

import attrs

__all__ = ["PERMANENT", "Receipt", "SendResult", "SmsError", "TencentSms", "describe"]

#: Error codes that sending again will not cure (a refusal, not a hiccup).
PERMANENT = (
    "FailedOperation.",
    "InvalidParameter",
    "UnauthorizedOperation.",
    "UnsupportedOperation.",
    "LimitExceeded.PhoneNumberDailyLimit",
    "LimitExceeded.PhoneNumberCountLimit",
    "LimitExceeded.AppDailyLimit",
    "LimitExceeded.DailyLimit",
)
_CODES = {
    "FailedOperation.SignatureIncorrectOrUnapproved": "短信签名未通过审核或填写有误",
    "FailedOperation.TemplateIncorrectOrUnapproved": "短信模板未通过审核或与参数不符",
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": "短信参数与审核通过的模板不符",
    "FailedOperation.InsufficientBalanceInSmsPackage": "短信套餐包余量不足",
    "FailedOperation.PhoneNumberInBlacklist": "该号码已退订或在免打扰名单中",
    "FailedOperation.ContainSensitiveWord": "短信内容含敏感词",
    "LimitExceeded.PhoneNumberDailyLimit": "今日短信已达上限",
    "LimitExceeded.PhoneNumberThirtySecondLimit": "30 秒内发送过于频繁",
    "LimitExceeded.PhoneNumberOneHourLimit": "1 小时内发送过于频繁",
    "InvalidParameterValue.IncorrectPhoneNumber": "手机号码格式错误",
    "InvalidParameterValue.TemplateParameterLengthLimit": "模板参数超过长度限制",
    "AuthFailure.SignatureFailure": "腾讯云 API 签名校验失败（SecretId/SecretKey 有误）",
    "AuthFailure.SecretIdNotFound": "腾讯云 SecretId 不存在",
    "AuthFailure.SignatureExpire": "腾讯云 API 签名已过期（服务器时间有误？）",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": "SmsSdkAppId 校验失败",
}


def describe(code: str, message: str = "") -> str:
    """A provider's error code in Chinese, with the code (``今日短信已达上限（LimitExceeded…）``)."""
    text = _CODES.get(code) or message or "发送失败"
    return f"{text}（{code}）"


def is_permanent(code: str) -> bool:
    """Whether sending again cannot help (a refused signature, template or number)."""
    return code.startswith(PERMANENT)


class SmsError(RuntimeError):
    """The provider could not take the message for now (retried by the outbox)."""


class SmsRefused(RuntimeError):
    """The provider refused the request itself; sending again will not help."""


@attrs.frozen
class SendResult:
    """What the provider said of one number: ``code`` is ``"Ok"`` when it took it."""

    number: str
    code: str
    reason: str = ""  # why not, in Chinese, with the provider's code
    serial_no: str = ""
    permanent: bool = False  # sending again will not help
    daily: bool = False  # the provider's daily limit for this number

    @property
    def ok(self) -> bool:
        """Whether the provider accepted the message for this number."""
        return self.code == "Ok"


@attrs.frozen
class Receipt:
    """A delivery receipt (回执): whether the message with ``key`` reached ``number``."""

    key: str  # the SessionContext sent with it: the notice's key
    number: str
    ok: bool
    at: dt.datetime
    detail: str


@attrs.frozen
class TencentSms:
    """A client for ``SendSms``; secrets are resolved before it is made."""

    secret_id: str
    secret_key: str
    app_id: str
    sign_name: str
    base_url: str = "https://sms.tencentcloudapi.com"
    region: str = "ap-guangzhou"
    timeout: float = 10.0

    def _client(self) -> object:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        url = urlsplit(self.base_url)
        http = HttpProfile(
            protocol=url.scheme or "https",
            endpoint=url.netloc or url.path,
            reqTimeout=max(1, int(self.timeout)),
        )
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
        cred = credential.Credential(self.secret_id, self.secret_key)
        return sms_client.SmsClient(cred, self.region, profile)

    def _call(self, action: str, request: object) -> object:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        try:
            return getattr(self._client(), action)(request)
        except TencentCloudSDKException as exc:
            code, message = exc.get_code() or "", exc.get_message() or ""
            if is_permanent(code):
                raise SmsRefused(describe(code, message)) from exc
            raise SmsError(describe(code, message)) from exc

    def pull_receipts(self, limit: int = 100) -> list[Receipt]:
        """The delivery receipts not pulled yet (``PullSmsSendStatus``: each comes once).

        :raises SmsRefused: refused (pulling is not enabled for the application…)
        :raises SmsError: the provider could not be reached or failed for now
        """
        from tencentcloud.sms.v20210111 import models

        request = models.PullSmsSendStatusRequest()
        request.SmsSdkAppId = self.app_id
        request.Limit = max(1, min(limit, 100))
        response = self._call("PullSmsSendStatus", request)
        return [
            Receipt(
                key=s.SessionContext or "",
                number=s.PhoneNumber or "",
                ok=s.ReportStatus == "SUCCESS",
                at=dt.datetime.fromtimestamp(int(s.UserReceiveTime or 0), dt.UTC),
                detail=s.Description or "",
            )
            for s in response.PullSmsSendStatusSet or []  # type: ignore[attr-defined]
        ]

    def send(
        self,
        numbers: Sequence[str],
        template_id: str,
        names: Sequence[str],
        values: Sequence[str],
        *,
        context: str,
    ) -> list[SendResult]:
        """Send template ``template_id`` filled with ``values`` to ``numbers`` (E.164).

        Tencent's templates are numbered (``{1}``, ``{2}``): ``names`` are not sent.

        ``context`` (the notice's key) is sent as ``SessionContext``, which the
        provider returns with the delivery receipt.

        :raises SmsRefused: the request was refused (signature, template, credentials)
        :raises SmsError: the provider could not be reached or failed for now
        """
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = list(numbers)
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = list(values)
        request.SessionContext = context[:512]
        response = self._call("SendSms", request)
        return [
            SendResult(
                number=s.PhoneNumber or "",
                code=s.Code or "",
                reason="" if s.Code == "Ok" else describe(s.Code or "", s.Message or ""),
                serial_no=s.SerialNo or "",
                permanent=is_permanent(s.Code or ""),
                daily=s.Code == "LimitExceeded.PhoneNumberDailyLimit",
            )
            for s in response.SendStatusSet or []  # type: ignore[attr-defined]
        ]

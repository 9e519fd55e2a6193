"""The rules of a supervisor's sign-in by one-time code: limits, digests, the message.

Pure functions: the store counts and stores, these decide. A code is six digits, kept
only as a salted digest, good for :data:`CODE_MINUTES` minutes, once, and for
:data:`CODE_TRIES` wrong tries at most. Codes are limited per supervisor and per
network address (:func:`code_refusal`), so that neither a supervisor's phone nor the
center's SMS budget can be flooded from the sign-in page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence

__all__ = [
    "CODES_PER_HOUR",
    "CODES_PER_IP_HOUR",
    "CODE_INTERVAL",
    "CODE_MINUTES",
    "CODE_TRIES",
    "SESSION_DAYS",
    "code_digest",
    "code_matches",
    "code_refusal",
    "sign_in_code_text",
    "token_digest",
    "valid_code_format",
]

#: How long a code may be used.
CODE_MINUTES = 10
#: Wrong codes allowed before the code is spent (a new one must be asked for).
CODE_TRIES = 5
#: Codes sent to one supervisor in an hour, at most; and no sooner than this after the last.
CODES_PER_HOUR = 5
CODE_INTERVAL = dt.timedelta(seconds=60)
#: Codes asked for from one network address in an hour (for anybody), at most.
CODES_PER_IP_HOUR = 20
#: How long a session lasts without use (each use moves its end on): a phone user's months.
SESSION_DAYS = 90


def valid_code_format(code: str) -> bool:
    """Whether ``code`` is six ASCII digits (what the message sends)."""
    return len(code) == 6 and code.isascii() and code.isdigit()


def code_digest(code: str, salt: str) -> str:
    """The digest a code is kept as (never the code itself)."""
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def code_matches(code: str, salt: str, digest: str) -> bool:
    """Whether ``code`` is the one kept as ``digest`` (compared in constant time)."""
    return hmac.compare_digest(code_digest(code, salt), digest)


def token_digest(token: str) -> str:
    """The digest a session's token is kept as: a stolen database signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


def code_refusal(
    sent_to_supervisor: Sequence[dt.datetime],
    asked_from_ip: Sequence[dt.datetime],
    now: dt.datetime,
) -> str | None:
    """Why no code may be sent now (in Chinese), or ``None``.

    :param sent_to_supervisor: when codes were sent to this supervisor (the last hour)
    :param asked_from_ip: when codes were asked for from this address (the last hour)
    """
    hour = now - dt.timedelta(hours=1)
    if sum(1 for t in asked_from_ip if t > hour) >= CODES_PER_IP_HOUR:
        return "本网络获取验证码过于频繁，请一小时后再试。"
    recent = [t for t in sent_to_supervisor if t > hour]
    if recent and max(recent) > now - CODE_INTERVAL:
        return "验证码已发送，请一分钟后再重新获取。"
    if len(recent) >= CODES_PER_HOUR:
        return "获取验证码过于频繁，请一小时后再试。"
    return None


def sign_in_code_text(code: str, minutes: int = CODE_MINUTES) -> tuple[str, str]:
    """The message that carries a code: subject and body, in Chinese."""
    return (
        "监督员页面登录验证码",
        f"您的登录验证码是 {code}，{minutes} 分钟内有效，仅可使用一次。"
        "如非本人操作，请忽略本消息；工作人员不会向您索要验证码。",
    )

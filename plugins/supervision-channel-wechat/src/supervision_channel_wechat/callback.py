"""The server callback: ``GET/POST /wechat/callback`` on the web desk.

What WeChat sends, and what the desk does before it answers (WeChat waits 5 seconds,
then retries the same message, three times in all):

1. the signature (``msg_signature``: SHA-1 of the token, timestamp, nonce and the
   encrypted text) is checked, and the timestamp must be within ``max_skew`` seconds of
   the desk's clock; a nonce seen before with another body is a replay: refused;
2. the message is decrypted (safe mode, AES-256-CBC, wechatpy's crypto; the app id or
   corp id inside must be ours);
3. it becomes an :class:`~supervision_core.Inbound` whose key is the ``MsgId`` (an event's
   key is the user and ``CreateTime``, as WeChat advises): the conversation takes it in
   once, and a report it files has the ``MsgId`` as its external id, so a retry, even
   after the daemon was killed between filing and answering, files nothing twice;
4. the report is committed, then the answer goes back at once as an encrypted passive
   reply (one text: buttons become numbered lines).

Slow work (a photo fetched from a slow API) is not hurried: when handling takes longer
than ``reply_within``, the callback does not answer (WeChat drops it at 5 seconds and
sends the message again); the retry waits for the same handling, still running, and
answers with its reply. Only once the report is committed does anybody answer, so a
daemon killed meanwhile loses nothing: WeChat's retry reaches the restarted daemon. If
every retry has timed out, the reply goes as a customer-service message.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import re
import threading
import time
from typing import Any

import attrs
import xmltodict
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from wechatpy.crypto import WeChatCrypto as OfficialCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatException
from wechatpy.replies import TextReply

from supervision_channel_wechat.api import api_for
from supervision_channel_wechat.settings import CHANNEL, WeChatSettings, settings_of
from supervision_core import (
    FileRef,
    Inbound,
    Ledger,
    MessengerDesk,
    Outbound,
    Satisfaction,
    now_utc,
)

__all__ = [
    "NonceCache",
    "callback",
    "crypto_for",
    "desk_for",
    "inbound_from_message",
    "reply_xml",
    "wechat_words",
]

log = logging.getLogger("supervision_channel_wechat.callback")
_MAX_BODY = 64 * 1024
_MAX_REPLY = 2000  # bytes of UTF-8: a passive text reply holds 2048
_EVAL = re.compile(r"^评价\s*(\S+)\s*(满意|基本满意|不满意)$")
_GLUED = re.compile(r"^(绑定|查询)\s*([A-Za-z0-9][A-Za-z0-9_-]{0,39})$")
_EVAL_VALUES = {s.label: s.value for s in Satisfaction}  # 满意, 基本满意, 不满意
#: keywords typed instead of a messenger's /commands (and menu keys, EventKey)
_KEYWORDS = {
    "绑定": "link",
    "查询": "status",
    "反映": "report",
    "我要反映": "report",
    "反映问题": "report",
    "取消": "cancel",
    "帮助": "help",
    "菜单": "help",
}
_MEDIA = {"image": ("photo", "image/jpeg"), "voice": ("voice", None), "video": ("video", "video/mp4"),
          "shortvideo": ("video", "video/mp4")}  # fmt: skip


class NonceCache:
    """The nonces of the last ``window`` seconds, with a digest of the body each came with.

    The same nonce with the same body is WeChat retrying (the message is taken in once
    anyway); with another body it is a replay, refused. Kept in memory: after a restart
    the timestamp window still limits a replay to ``max_skew`` seconds, and a replayed
    message is still filed once.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def fresh(self, timestamp: str, nonce: str, digest: str, *, now: float, window: int) -> bool:
        """Whether this nonce is new, or came before with the same body."""
        with self._lock:
            for key in [k for k, (t, _) in self._seen.items() if t < now - 2 * window]:
                del self._seen[key]
            seen = self._seen.get((timestamp, nonce))
            if seen is not None:
                return hmac.compare_digest(seen[1], digest)
            self._seen[(timestamp, nonce)] = (now, digest)
            return True


@attrs.define
class _Handling:
    """A message being handled: its task, and whether a callback answered with its reply."""

    task: asyncio.Future[list[Outbound]]
    claimed: bool = False


_nonces: dict[tuple[int, str], NonceCache] = {}
_inflight: dict[str, _Handling] = {}
_desks: dict[int, MessengerDesk] = {}
_desks_lock = threading.Lock()


def crypto_for(settings: WeChatSettings) -> Any:
    """Wechatpy's crypto of the app: the Official Account's or WeCom's."""
    kind = WorkCrypto if settings.kind == "wecom" else OfficialCrypto
    return kind(settings.token, settings.encoding_aes_key, settings.app_id)


def _account(settings: WeChatSettings, user: str) -> str:
    return f"{settings.account_prefix}{user}"


def _command(text: str) -> tuple[str | None, str, str | None]:
    """``(command, args, button)`` of a typed text: /commands, keywords, ``评价 编号 满意``."""
    text = text.strip()
    match = _EVAL.match(text)
    if match:
        return None, "", f"eval:{match.group(1)}:{_EVAL_VALUES[match.group(2)]}"
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        return head[1:].lower(), args.strip(), None
    head, _, args = text.partition(" ")
    if head in _KEYWORDS:
        return _KEYWORDS[head], args.strip(), None
    glued = _GLUED.match(text)  # "绑定7KQ2M9PX", "查询12": a code or a number, nothing else
    if glued:
        return _KEYWORDS[glued.group(1)], glued.group(2), None
    return None, "", None


def inbound_from_message(settings: WeChatSettings, message: dict[str, Any]) -> Inbound | None:
    """What the user did, or ``None`` for what the desk ignores (logged).

    Messages: text (commands and keywords too), image, voice (kept as an attachment,
    WeChat's recognition as text where given), video, location (as text), link (as
    text). Events: subscribe (the help or the way to link), menu clicks whose key is a
    keyword; every other event is logged and ignored.
    """
    user = str(message.get("FromUserName") or "")
    kind = str(message.get("MsgType") or "").lower()
    if not user or not kind:
        return None
    created = int(str(message.get("CreateTime") or "0") or 0)
    sent_at = dt.datetime.fromtimestamp(created, dt.UTC) if created > 0 else now_utc()
    msg_id = message.get("MsgId") or message.get("MsgID")
    key = (
        f"{CHANNEL}:{msg_id}"
        if msg_id
        else f"{CHANNEL}:{user}:{created}:{message.get('Event', '')}"
    )
    base: dict[str, Any] = {"update_id": 0, "account": _account(settings, user), "chat": user,
                            "sent_at": sent_at, "key": key}  # fmt: skip
    if kind == "text":
        text = str(message.get("Content") or "")
        command, args, button = _command(text)
        if command or button:
            return Inbound(**base, command=command, args=args, button=button)
        return Inbound(**base, text=text)
    if kind in _MEDIA:
        media_id = str(message.get("MediaId") or "")
        if not media_id:
            return None
        file_kind, mime = _MEDIA[kind]
        fmt = str(message.get("Format") or "").lower()
        if kind == "voice":
            mime = {"amr": "audio/amr", "speex": "audio/speex", "mp3": "audio/mpeg"}.get(
                fmt, "audio/amr"
            )
        name = f"voice.{fmt or 'amr'}" if kind == "voice" else None
        recognized = message.get("Recognition")
        return Inbound(**base, text=str(recognized) if recognized else None,
                       files=(FileRef(media_id, file_kind, name, mime),))  # fmt: skip
    if kind == "location":
        label = str(message.get("Label") or "").strip()
        where = (
            f"位置：{label}（纬度 {message.get('Location_X')}，经度 {message.get('Location_Y')}）"
        )
        return Inbound(**base, text=where)
    if kind == "link":
        return Inbound(
            **base, text=f"{message.get('Title') or ''} {message.get('Url') or ''}".strip()
        )
    if kind == "event":
        event = str(message.get("Event") or "").lower()
        if event == "subscribe":
            return Inbound(**base, command="help")
        if event == "click":
            command = _KEYWORDS.get(str(message.get("EventKey") or ""))
            if command:
                return Inbound(**base, command=command)
        log.info("WeChat event %s ignored", event or "?")
        return None
    log.info("WeChat message type %s ignored", kind)
    return None


#: the conversation's /commands as a WeChat user types them
_WORDS = (
    ("/link", "绑定"),
    ("/report", "反映"),
    ("/status", "查询"),
    ("/cancel", "取消"),
    ("/help", "帮助"),
)


def wechat_words(text: str) -> str:
    """A reply with the messenger commands written as the words WeChat users send."""
    for command, word in _WORDS:
        text = text.replace(command, word)
    return text


def reply_xml(source: str, user: str, replies: list[Outbound], now: int) -> str:
    """The passive reply: every reply's text in one message, within WeChat's length.

    ``source`` is the account the message was sent to (its ``ToUserName``: an Official
    Account's original id ``gh_…``, or WeCom's corp id), ``user`` the sender.
    """
    text = wechat_words("\n\n".join(r.text for r in replies))
    data = text.encode("utf-8")
    if len(data) > _MAX_REPLY:
        text = data[: _MAX_REPLY - 3].decode("utf-8", errors="ignore") + "…"
    reply = TextReply(source=source, target=user, content=text, time=now)
    return str(reply.render())


def desk_for(ledger: Ledger, settings: WeChatSettings) -> MessengerDesk:
    """The conversation desk of a ledger: buttons as numbered lines, media from the API."""

    def download(ref: FileRef) -> tuple[bytes, str]:
        # The settings as they are now: a rotated secret is read again.
        content, mime = api_for(settings_of(ledger)).download(ref.file_id)
        suffix = {"image/jpeg": ".jpg", "image/png": ".png", "audio/amr": ".amr"}.get(mime, "")
        return content, f"{ref.file_id}{suffix}"

    with _desks_lock:
        desk = _desks.get(id(ledger))
        if desk is None or desk.ledger is not ledger:  # an id is reused once a ledger is gone
            desk = _desks[id(ledger)] = MessengerDesk(
                ledger, CHANNEL, download, numbered_buttons=True
            )
        return desk


def _refuse(status: int, why: str) -> Response:
    return PlainTextResponse(why, status_code=status)


def _fresh_timestamp(settings: WeChatSettings, timestamp: str, now: float) -> bool:
    return timestamp.isdigit() and abs(now - int(timestamp)) <= settings.max_skew


async def callback(request: Request) -> Response:
    """``GET`` verifies the URL (``echostr``); ``POST`` takes one message in and answers it."""
    import supervision_web as web

    desk = web.desk_of(request)
    try:
        settings = settings_of(desk.ledger)
    except Exception:
        log.exception("[channels.wechat] is wrong")
        return _refuse(503, "微信渠道配置有误")
    if not settings.configured:
        return _refuse(404, "未配置微信渠道")
    q = request.query_params
    # Safe mode signs with msg_signature; an Official Account's URL check with signature.
    signature = q.get("msg_signature") or (
        q.get("signature", "") if request.method == "GET" else ""
    )
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    now = desk.ledger.clock().timestamp()
    if not (signature and nonce) or not _fresh_timestamp(settings, timestamp, now):
        return _refuse(403, "签名无效或请求已过期")
    crypto = crypto_for(settings)
    if request.method == "GET":
        return _verify(settings, crypto, signature, timestamp, nonce, q.get("echostr", ""))
    body = await request.body()
    if len(body) > _MAX_BODY:
        return _refuse(413, "消息过大")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        return _refuse(400, "无法解析消息")  # WeChat never sends a DTD: no entity tricks
    digest = hashlib.sha256(body).hexdigest()
    try:
        plain = crypto.decrypt_message(body, signature, timestamp, nonce)
        message = xmltodict.parse(plain)["xml"]
    except InvalidSignatureException:
        return _refuse(403, "签名无效或请求已过期")
    except (WeChatException, ValueError, KeyError, TypeError) as exc:
        log.warning("WeChat callback not understood: %s", type(exc).__name__)
        return _refuse(400, "无法解析消息")
    except Exception as exc:  # xmltodict's ExpatError and friends
        log.warning("WeChat callback not understood: %s", type(exc).__name__)
        return _refuse(400, "无法解析消息")
    with _desks_lock:  # one cache per ledger and app
        nonces = _nonces.setdefault((id(desk.ledger), settings.app_id), NonceCache())
    if not nonces.fresh(timestamp, nonce, digest, now=now, window=settings.max_skew):
        return _refuse(403, "重复的请求")
    if not isinstance(message, dict):
        return _refuse(400, "无法解析消息")
    inbound = inbound_from_message(settings, message)
    if inbound is None:
        return PlainTextResponse("success")
    started = time.monotonic()
    replies = await _handled(desk, settings, inbound)
    log.debug("WeChat message handled in %.3f s", time.monotonic() - started)
    if not replies:
        return PlainTextResponse("success")  # a retry of a message already answered
    source = str(message.get("ToUserName") or settings.app_id)
    xml = reply_xml(source, inbound.chat, replies, int(now))
    encrypted = crypto.encrypt_message(xml, nonce, timestamp)
    return Response(encrypted, media_type="application/xml")


async def _handled(desk: Any, settings: WeChatSettings, inbound: Inbound) -> list[Outbound]:
    """The replies to answer this callback with; none if the answer is not this callback's.

    One handling per message key, whichever callback (WeChat's first try or a retry)
    started it; the first callback to see it finished within ``reply_within`` answers.
    """
    key = inbound.key or ""
    handling = _inflight.get(key)
    if handling is not None:
        log.info("WeChat message %s sent again: joins its handling in flight", key)
    else:
        task = asyncio.ensure_future(desk.call(desk_for(desk.ledger, settings).handle, inbound))
        handling = _inflight[key] = _Handling(task)
        task.add_done_callback(lambda _: _finished(key, settings, inbound.chat))
    try:
        replies: list[Outbound] = await asyncio.wait_for(
            asyncio.shield(handling.task), settings.reply_within
        )
    except TimeoutError:
        # Too late for this try: no answer, so WeChat sends the message again.
        log.info(
            "WeChat message %s: no answer within %.1f s; left to a retry",
            key,
            settings.reply_within,
        )
        with contextlib.suppress(Exception):
            await handling.task
        return []
    if handling.claimed:
        return []
    handling.claimed = True
    return replies


def _finished(key: str, settings: WeChatSettings, user: str) -> None:
    """A handling ended: if no callback answers with its reply soon, send it through the API."""
    handling = _inflight.pop(key, None)
    if handling is None:
        return
    loop = asyncio.get_running_loop()

    def unclaimed() -> None:
        if handling.claimed or handling.task.cancelled() or handling.task.exception():
            return
        handling.claimed = True
        replies = handling.task.result()
        if replies:
            text = wechat_words("\n\n".join(r.text for r in replies))
            loop.run_in_executor(None, _send_late, settings, user, text)

    loop.call_later(0.2, unclaimed)


def _send_late(settings: WeChatSettings, user: str, text: str) -> None:
    try:
        api_for(settings).send_text(user, text)
    except Exception as exc:  # the report is filed; only the confirmation is lost
        log.warning("WeChat late reply not sent: %s", exc)


def _verify(
    settings: WeChatSettings, crypto: Any, signature: str, timestamp: str, nonce: str, echostr: str
) -> Response:
    """URL verification: WeCom's echostr is encrypted (answered decrypted); the OA's is plain."""
    if not echostr:
        return _refuse(400, "缺少 echostr")
    try:
        if settings.kind == "wecom":
            return PlainTextResponse(
                str(crypto.check_signature(signature, timestamp, nonce, echostr))
            )
        expected = _sha1(settings.token or "", timestamp, nonce)
        if not hmac.compare_digest(expected, signature):
            raise InvalidSignatureException()
    except (InvalidSignatureException, WeChatException, ValueError):
        return _refuse(403, "签名无效或请求已过期")
    return PlainTextResponse(echostr)


def _sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()

"""The Telegram channel: a python-telegram-bot application for supervisors' phones.

What is Telegram's is here: turning ``Update`` objects into
:class:`~channels.messenger.Inbound` values, sending replies, fetching files, receiving
updates by long polling or by webhook, and the ``telegram`` notifier. The conversation
itself is any messenger's (:mod:`channels.messenger.conversation`).

Each account's updates are taken in one at a time (different accounts' at the same
time, so that their reports share a commit) and the offset given back to Telegram
(which is what tells it an update may be forgotten) moves only past updates fully
handled, their reports committed: a crash re-reads, and an update seen twice makes
no second report (the session remembers the last update id; the report's external id
is the account and the update id). 429 ``retry_after`` and network errors are waited
out. The token is configured by reference in ``[channels.telegram]`` (an environment
variable or a file), never written in the repository, and never reaches the logs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
import re
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes, TypeHandler

from channels.messenger.conversation import (
    FileRef,
    Inbound,
    MessengerDesk,
    Outbound,
    evaluation_buttons,
)
from channels.telegram.settings import CHANNEL, CURSOR, TelegramSettings, settings_of
from supervision_core import ContactKind, Ledger, Notice, RecipientKind, Unreachable, now_utc

__all__ = [
    "TelegramBot",
    "TelegramPoller",
    "inbound_from_update",
    "send_notice",
    "webhook",
]

log = logging.getLogger("channels.telegram.bot")
_NUMBER = re.compile(r"问题 ([a-z0-9][a-z0-9_-]{0,39}-20\d\d-\d{5}) (整改完成|作出说明)")


class _Redact(logging.Filter):
    """Replaces the bot token wherever it would be logged (httpx logs request URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "<token>")
            record.args = ()
        return True


def _account(user_id: int) -> str:
    return f"{CHANNEL}:{user_id}"


def _files(message: Any) -> tuple[FileRef, ...]:
    files: list[FileRef] = []
    if message.photo:
        biggest = max(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
        files.append(FileRef(biggest.file_id, "photo", None, "image/jpeg", biggest.file_size))
    for kind in ("document", "voice", "audio", "video", "video_note"):
        item = getattr(message, kind, None)
        if item is not None:
            files.append(
                FileRef(
                    item.file_id,
                    kind,
                    getattr(item, "file_name", None),
                    getattr(item, "mime_type", None),
                    item.file_size,
                )
            )
    return tuple(files)


def inbound_from_update(update: Update) -> Inbound | None:
    """What a user did, or ``None`` for updates the desk ignores on purpose.

    Taken: private messages (text, commands, photos, documents, voice, audio, video)
    and button presses. Ignored: channel posts, groups, edited messages (the report was
    filed as first sent), member changes, inline queries, polls, reactions, payments.
    """
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat.id if query.message is not None else query.from_user.id
        return Inbound(
            update_id=update.update_id,
            account=_account(query.from_user.id),
            chat=str(chat),
            sent_at=now_utc(),
            button=query.data or "",
            display_name=query.from_user.full_name,
        )
    message = update.message
    if message is None or message.from_user is None or message.chat.type != "private":
        return None
    text = message.text or message.caption
    command, args = None, ""
    if message.text and message.text.startswith("/"):
        head, _, args = message.text.partition(" ")
        command = head[1:].split("@", 1)[0].lower()
        text = None
    files = _files(message)
    if text is None and command is None and not files:
        return None  # a sticker, a location, a contact: nothing to report
    return Inbound(
        update_id=update.update_id,
        account=_account(message.from_user.id),
        chat=str(message.chat.id),
        sent_at=message.date or now_utc(),
        text=text,
        command=command,
        args=args,
        files=files,
        display_name=message.from_user.full_name,
    )


def _markup(buttons: Iterable[Iterable[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in buttons
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def _sender_of(data: dict[str, Any]) -> object:
    """Whose update this is (a Telegram user id), or the update itself if nobody's."""
    for kind in ("message", "callback_query"):
        item = data.get(kind)
        if isinstance(item, dict) and isinstance(item.get("from"), dict):
            return item["from"].get("id")
    return ("update", data.get("update_id"))


async def _wait_out(error: RetryAfter) -> None:
    wait = error.retry_after
    seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
    log.warning("Telegram asks to wait %s s", seconds)
    await asyncio.sleep(seconds)


async def _call(coro_factory: Any, *, attempts: int = 5) -> Any:
    """A Bot API call that waits out 429 (retry_after) and network errors."""
    delay = 1.0
    for attempt in range(attempts):
        try:
            return await coro_factory()
        except RetryAfter as e:
            await _wait_out(e)
        except (TimedOut, NetworkError) as e:
            if attempt == attempts - 1:
                raise
            log.warning("Telegram network error (%s); retrying in %.0f s", type(e).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60)
    return await coro_factory()


class TelegramBot:
    """The python-telegram-bot application with the desk behind it."""

    def __init__(self, ledger: Ledger, settings: TelegramSettings) -> None:
        self.ledger = ledger
        self.settings = settings
        logging.getLogger("httpx").setLevel(logging.WARNING)
        token = settings.required_token()
        redact = _Redact(token)
        for name in ("httpx", "telegram", "channels.telegram.bot", ""):
            logging.getLogger(name).addFilter(redact)
        self.application = (
            Application.builder()
            .token(token)
            .base_url(settings.api_url)
            .base_file_url(settings.file_url)
            .updater(None)
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.desk = MessengerDesk(ledger, CHANNEL, self._download_sync)
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def bot(self) -> Bot:
        """The Bot API client."""
        return self.application.bot

    async def start(self) -> None:
        """Initialize the application (asks the API who the bot is)."""
        self._loop = asyncio.get_running_loop()
        await _call(self.application.initialize)

    async def stop(self) -> None:
        """Shut the application down."""
        await self.application.shutdown()

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = inbound_from_update(update)
        if update.callback_query is not None:
            await _call(update.callback_query.answer)
        if inbound is None:
            return
        # The desk is blocking (the ledger): off the event loop. It returns once the
        # update's report, if any, is committed.
        replies = await asyncio.to_thread(self.desk.handle, inbound)
        for reply in replies:
            await self.send(inbound.chat, reply)

    async def process(self, update: Update) -> None:
        """Handle one update completely (the webhook and the poller both come here)."""
        await self.application.process_update(update)

    async def process_json(self, data: dict[str, Any]) -> bool:
        """Parse and handle one update as it came over the wire; False if it was ignored.

        An update python-telegram-bot cannot read (a shape from another Bot API
        version) is logged and skipped: one odd update must not stop the channel.
        """
        try:
            update = Update.de_json(data, self.bot)
        except Exception as exc:
            log.warning(
                "Telegram update %s not understood (%s); skipped", data.get("update_id"), exc
            )
            return False
        if update is None:
            return False
        await self.process(update)
        return True

    async def send(self, chat: str, reply: Outbound) -> None:
        """Send a reply, with its buttons."""
        await _call(
            lambda: self.bot.send_message(
                chat_id=int(chat), text=reply.text, reply_markup=_markup(reply.buttons)
            )
        )

    def _download_sync(self, ref: FileRef) -> tuple[bytes, str]:
        # Called from the desk's worker thread: run the download on the bot's loop.
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._download(ref), self._loop)
        return future.result(timeout=120)

    async def _download(self, ref: FileRef) -> tuple[bytes, str]:
        file = await _call(lambda: self.bot.get_file(ref.file_id))
        content = await _call(file.download_as_bytearray)
        return bytes(content), file.file_path or ""

    async def poll(self, stop: asyncio.Event) -> None:
        """Long polling until ``stop``; the offset moves only past handled updates."""
        delay = 1.0
        while not stop.is_set():
            try:
                await self.poll_once()
                delay = 1.0
            except RetryAfter as e:
                await _wait_out(e)
            except (TimedOut, NetworkError) as e:
                log.warning("Telegram getUpdates: %s; retrying in %.0f s", type(e).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)

    async def poll_once(self) -> int:
        """One getUpdates round: its updates handled, then the stored offset moved past them.

        The updates of one account are handled in order, one after the other (a
        conversation is a sequence); different accounts' updates are handled at the
        same time, so their reports reach the ledger together and are committed in one
        transaction (group commit) before any is answered. The offset moves once for
        the round, past every update handled; if one fails, only up to it: a re-read
        update is known to its account's session and handled no second time.
        """
        store = self.ledger.messengers
        offset = await asyncio.to_thread(store.cursor, CURSOR)
        # Raw JSON, parsed one update at a time by process_json.
        updates = await self.bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": offset,
                "timeout": self.settings.poll_timeout,
                "allowed_updates": ["message", "callback_query"],
            },
            read_timeout=self.settings.poll_timeout + 10,
        )
        if not updates:
            return 0
        chains: dict[object, list[dict[str, Any]]] = {}
        for data in updates:
            chains.setdefault(_sender_of(data), []).append(data)
        failed: list[tuple[int, BaseException]] = []

        async def handle(chain: list[dict[str, Any]]) -> None:
            for data in chain:
                update_id = int(data["update_id"])
                try:
                    await self.process_json(data)
                except TelegramError as e:
                    # Replying failed after the update was taken in: it is not lost.
                    log.warning("Telegram update %s: %s", update_id, e)
                except Exception as e:  # this account's later updates wait for a re-read
                    failed.append((update_id, e))
                    return

        await asyncio.gather(*(handle(chain) for chain in chains.values()))
        if failed:
            # Every update before the first that failed was handled: the offset moves
            # up to it, and the error is the job's (it retries the round).
            update_id, error = min(failed, key=lambda f: f[0])
            await asyncio.to_thread(store.advance_cursor, CURSOR, update_id)
            raise error
        last = max(int(data["update_id"]) for data in updates)
        await asyncio.to_thread(store.advance_cursor, CURSOR, last + 1)
        return len(updates)

    async def set_webhook(self, url: str) -> None:
        """Ask Telegram to post updates to ``url``, with the secret token."""
        await _call(
            lambda: self.bot.set_webhook(
                url=url,
                secret_token=self.settings.webhook_secret,
                allowed_updates=["message", "callback_query"],
            )
        )


# ---------------------------------------------------------------- webhook


_webhook_bots: dict[int, TelegramBot] = {}
_webhook_lock = asyncio.Lock()


async def webhook(request: Request) -> Response:
    """``POST /telegram/webhook``: one update, handled completely before 200.

    The secret-token header is checked first; Telegram retries anything but 200.
    """
    import supervision_web as web

    desk = web.desk_of(request)
    settings = settings_of(desk.ledger)
    if not settings.token:
        return JSONResponse(
            {"ok": False, "description": "telegram is not configured"}, status_code=404
        )
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not settings.webhook_secret or not hmac.compare_digest(
        given.encode(), settings.webhook_secret.encode()
    ):
        return JSONResponse({"ok": False}, status_code=403)
    async with _webhook_lock:
        bot = _webhook_bots.get(id(desk.ledger))
        if bot is None:
            bot = TelegramBot(desk.ledger, settings)
            await bot.start()
            _webhook_bots[id(desk.ledger)] = bot
    try:
        data = await request.json()
        update_id = int(data["update_id"])
    except Exception:
        return JSONResponse({"ok": False, "description": "not an Update"}, status_code=400)
    if update_id < (await asyncio.to_thread(desk.ledger.messengers.cursor, CURSOR) or 0):
        return JSONResponse({"ok": True})
    await bot.process_json(data)
    await asyncio.to_thread(desk.ledger.messengers.advance_cursor, CURSOR, update_id + 1)
    return JSONResponse({"ok": True})


# ---------------------------------------------------------------- notifier


def send_notice(settings: TelegramSettings, notice: Notice) -> None:
    """Send ``notice`` to every linked Telegram account of its addresses (blocking).

    A notice asking for an evaluation comes with the three buttons.

    :raises Unreachable: no Telegram account is linked to the recipient (nothing sent)
    """
    chats = [
        a.value.split(":", 1)[1]
        for a in notice.addresses
        if a.kind is ContactKind.MESSENGER and a.value.startswith(f"{CHANNEL}:")
    ]
    if not chats:
        raise Unreachable(
            "监督员没有绑定 Telegram 账号"
            if notice.recipient_kind is RecipientKind.SUPERVISOR
            else "Telegram 只能通知绑定了账号的监督员"
        )
    token = settings.required_token()
    match = _NUMBER.search(notice.subject)
    markup = _markup(evaluation_buttons(match.group(1))) if match else None

    async def send() -> None:
        async with Bot(token, base_url=settings.api_url, base_file_url=settings.file_url) as bot:
            for chat in chats:
                await _call(
                    lambda chat=chat: bot.send_message(
                        chat_id=int(chat),
                        text=f"{notice.subject}\n{notice.body}",
                        reply_markup=markup,
                    )
                )

    asyncio.run(send())  # deliver() runs in a worker thread, never on the event loop


# ---------------------------------------------------------------- channel


class TelegramPoller:
    """Long polling as a daemon job: the bot is started on the first poll, stopped on close."""

    def __init__(self, ledger: Ledger, settings: TelegramSettings) -> None:
        self.ledger = ledger
        self.settings = settings
        self.bot: TelegramBot | None = None

    async def poll_once(self) -> None:
        """One getUpdates round (the Bot API waits up to ``poll_timeout`` for updates)."""
        if self.bot is None:
            bot = TelegramBot(self.ledger, self.settings)
            await bot.start()
            self.bot = bot
        await self.bot.poll_once()

    async def close(self) -> None:
        """Shut the bot down, if it was started."""
        bot, self.bot = self.bot, None
        if bot is not None:
            await bot.stop()

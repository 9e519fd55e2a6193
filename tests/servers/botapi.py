"""A stand-in for the Telegram Bot API on loopback, speaking its HTTP wire protocol.

The real cloud is out of reach here. This server answers the methods the bot uses —
getMe, getUpdates (with offsets: an update is forgotten once a later offset is asked
for, as Telegram does), sendMessage, sendPhoto, getFile and file downloads,
answerCallbackQuery, setWebhook, deleteWebhook — with the Bot API's JSON shapes, and
can answer 429 with ``retry_after`` on demand. It records every call.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from servers.dovecot import free_port

BOT_ID = 7000001


class BotApi:
    def __init__(self, token: str) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.throttle: dict[str, int] = {}  # method -> how many 429s to answer first
        self.confirmed = 0  # the highest offset the bot has asked for
        self.lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._message_id = 1000
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._method, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file),
            ]
        )
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> BotApi:
        from supervision_core.testing import wait_until

        self.thread.start()
        wait_until(lambda: self.server.started, timeout=10, what="the Bot API stand-in to start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    # -------------------------------------------------------- helpers for tests

    def push(self, *updates: dict[str, Any]) -> None:
        with self.lock:
            self.updates.extend(updates)

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def texts(self, chat: int | None = None) -> list[str]:
        return [p["text"] for p in self.sent() if chat is None or int(p["chat_id"]) == chat]

    def add_file(self, file_id: str, path: str, content: bytes) -> None:
        self.files[file_id] = (path, content)

    # -------------------------------------------------------- the wire protocol

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            if ctype.startswith("application/json"):
                params.update(await request.json())
            else:
                form = await request.form()
                for key, value in form.items():
                    params[key] = value if isinstance(value, str) else await value.read()
        for key, value in list(params.items()):
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        return params

    async def _method(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        method = request.path_params["method"]
        params = await self._params(request)
        with self.lock:
            self.calls.append((method, params))
            if self.throttle.get(method, 0) > 0:
                self.throttle[method] -= 1
                return JSONResponse(
                    {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                     "parameters": {"retry_after": 1}},
                    status_code=429,
                )  # fmt: skip
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return JSONResponse(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
            )
        result = await handler(params)
        return JSONResponse({"ok": True, "result": result})

    async def _getMe(self, params: dict[str, Any]) -> Any:
        return {"id": BOT_ID, "is_bot": True, "first_name": "监督台", "username": "supdesk_test_bot",
                "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}  # fmt: skip

    async def _getUpdates(self, params: dict[str, Any]) -> Any:
        import asyncio

        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), 0.3)
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if offset:
                    self.confirmed = max(self.confirmed, offset)
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = self.updates[:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.02)

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        with self.lock:
            self._message_id += 1
            message_id = self._message_id
        chat_id = int(params["chat_id"])
        return {"message_id": message_id, "date": int(time.time()),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "监督台"},
                "chat": {"id": chat_id, "type": "private", "first_name": "用户"}, **extra}  # fmt: skip

    async def _sendMessage(self, params: dict[str, Any]) -> Any:
        extra: dict[str, Any] = {"text": params.get("text", "")}
        if params.get("reply_markup"):
            extra["reply_markup"] = params["reply_markup"]
        return self._message(params, **extra)

    async def _sendPhoto(self, params: dict[str, Any]) -> Any:
        return self._message(
            params,
            photo=[{"file_id": "sent-photo", "file_unique_id": "sp", "width": 1, "height": 1}],
        )

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _getFile(self, params: dict[str, Any]) -> Any:
        file_id = params["file_id"]
        if file_id not in self.files:
            return {"file_id": file_id, "file_unique_id": file_id}
        path, content = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(content),
            "file_path": path,
        }

    async def _setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        for path, content in self.files.values():
            if path == request.path_params["path"]:
                return Response(content, media_type="application/octet-stream")
        return Response(status_code=404)

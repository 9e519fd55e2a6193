"""A local SMTP sink for the demo: every message it is handed is kept in a Maildir.

The demo's centers send their notices by e-mail (the ``email`` notifier) to this sink
instead of a real mail server, so the notices a supervisor would get can be read as
files: ``demo/mail/new/`` after ``scripts/demo``. One copy is kept per recipient,
headed ``Delivered-To`` and ``Return-Path`` as a mail server's delivery agent would
write them. It accepts anything on the address it listens on: a demonstration and
testing tool, never a mail server. Run it as::

    python -m supervision_daemon.mail_sink --maildir demo/mail --port 8025

and stop it with SIGTERM or Ctrl+C.
"""

from __future__ import annotations

import argparse
import mailbox
import signal
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["MailSink", "MaildirHandler", "main"]


class MaildirHandler:
    """aiosmtpd handler: each message, once per recipient, into the Maildir at ``path``."""

    def __init__(self, path: Path) -> None:
        self.maildir = mailbox.Maildir(path, create=True)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        body = raw.replace(b"\r\n", b"\n")
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                head = f"Return-Path: <{envelope.mail_from}>\nDelivered-To: {rcpt}\n"
                self.maildir.add(head.encode() + body)
        return "250 2.0.0 OK: kept in the maildir"


class MailSink:
    """The sink listening on ``host:port`` (SMTP), in a thread of its own."""

    def __init__(self, maildir: Path, *, host: str = "127.0.0.1", port: int = 8025) -> None:
        from aiosmtpd.controller import Controller

        self.maildir = Path(maildir)
        self.handler = MaildirHandler(self.maildir)
        self.host, self.port = host, port
        self.controller = Controller(
            self.handler, hostname=host, port=port, enable_SMTPUTF8=True, decode_data=False
        )

    def start(self) -> None:
        """Start listening; raises OSError when the address is taken."""
        self.controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()

    def messages(self) -> list[mailbox.MaildirMessage]:
        """The messages kept so far."""
        return list(mailbox.Maildir(self.maildir, create=False))

    def __enter__(self) -> MailSink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the sink until SIGTERM or Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m supervision_daemon.mail_sink",
        description="演示用的本机邮件收集器：收到的每封邮件存入 Maildir 目录。",
    )
    parser.add_argument("--maildir", type=Path, required=True, help="存放邮件的 Maildir 目录。")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）。")
    parser.add_argument("--port", type=int, default=8025, help="监听端口（默认 8025）。")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    sink = MailSink(args.maildir, host=args.host, port=args.port)
    try:
        sink.start()
    except OSError as exc:
        print(f"错误：邮件收集器无法在 {args.host}:{args.port} 监听：{exc}", file=sys.stderr)
        return 1
    print(f"邮件收集器已启动：smtp://{args.host}:{args.port} → {args.maildir}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sink.stop()
    print("邮件收集器已停止。", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

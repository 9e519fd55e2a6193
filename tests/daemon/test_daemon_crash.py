"""The daemon under fire: every channel at once, SIGKILL at random moments, restarts.

Sources send without pause — LMTP messages (retried until answered 250, as a mail server
would), Telegram updates (the stand-in keeps them until an offset confirms them), hotline
exports dropped in the watched folder — while daemons are killed with SIGKILL and
started again. At the end every report the sources sent is in the ledger exactly once,
and every notice reached the SMTP server: at least once, and any repeat (a daemon killed
after sending, before recording it) carries the same Message-ID, so the receiving side
can tell. On PostgreSQL two daemons share the database and one of them is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import smtplib
import subprocess
import sys
import textwrap
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from supervision_core.testing import wait_until

USER = 424242
SUPERVISOR_EMAIL = "bateer@example.cn"
SUPERVISOR_PHONE = "13948772345"


class Recorder:
    def __init__(self) -> None:
        self.keys: list[tuple[str, str]] = []  # (notice key, Message-ID)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import email

        msg = email.message_from_bytes(envelope.content)
        with self.lock:
            self.keys.append((str(msg["X-Supdesk-Notice"]), str(msg["Message-ID"])))
        return "250 OK"


_engines: dict[str, object] = {}


def _rows(url: str, sql: str) -> list[tuple]:
    import sqlalchemy as sa

    engine = _engines.get(url) or _engines.setdefault(url, sa.create_engine(url))
    with engine.connect() as c:  # type: ignore[attr-defined]
        return [tuple(r) for r in c.execute(sa.text(sql))]


def _count(url: str, sql: str) -> int:
    return int(_rows(url, sql)[0][0])


def test_kill_restart_everything_once(supdesk_database_url, tmp_path):
    _kill_and_restart(1, supdesk_database_url, tmp_path)


# Several daemons share a PostgreSQL database, never a SQLite file.
@pytest.mark.parametrize("supdesk_database_url", ["postgresql"], indirect=True)
def test_two_daemons_share_the_database_and_one_is_killed(supdesk_database_url, tmp_path):
    _kill_and_restart(2, supdesk_database_url, tmp_path)


def _kill_and_restart(daemons: int, url: str, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    from servers.botapi import BotApi
    from servers.dovecot import free_port

    recorder = Recorder()
    smtp = Controller(recorder, hostname="127.0.0.1", port=free_port())
    smtp.start()
    token = "7000001:crash-test-token"
    api = BotApi(token).start()
    watch = tmp_path / "drop"
    watch.mkdir()
    lmtp_ports = [free_port() for _ in range(daemons)]
    web_ports = [free_port() for _ in range(daemons)]
    configs = []
    demo = (Path(__file__).parents[2] / "src/supervision_core/demo.toml").read_text(
        encoding="utf-8"
    )
    demo = demo.replace("delivery_lease_seconds = 300", "delivery_lease_seconds = 3")
    demo = demo.replace(
        'channels = ["phone_log", "walk_in", "email"]',
        'channels = ["phone_log", "walk_in", "email", "telegram"]\nnotifiers = ["email"]',
    )
    for n in range(daemons):
        config = tmp_path / f"supdesk{n}.toml"
        config.write_text(
            demo
            + textwrap.dedent(f"""
            [channels.email]
            from_address = "jiandu@desk.test"
            rate_per_hour = 100000
            [channels.email.recipients]
            "wushenzhao@desk.test" = "wushenzhao"
            [channels.email.lmtp]
            host = "127.0.0.1"
            port = {lmtp_ports[n]}
            [notifiers.email]
            from_address = "jiandu@desk.test"
            host = "127.0.0.1"
            port = {smtp.port}
            [channels.telegram]
            token = {{ env = "TEST_TELEGRAM_TOKEN" }}
            api = "{api.url}"
            [channels.phone_log]
            watch = "{watch}"
            center = "wushenzhao"
            settle_seconds = 0  # files appear whole, by rename (docs/phone_import.md)
            """),
            encoding="utf-8",
        )
        configs.append(config)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SUPDESK_")},
        "TEST_TELEGRAM_TOKEN": token,
    }
    supdesk = str(Path(sys.executable).parent / "supdesk")

    def cli(n: int, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([supdesk, "--database", url, "--config", str(configs[n]), *args],
                              env=env, capture_output=True, text=True, cwd=tmp_path, check=True)  # fmt: skip

    cli(0, "init", "--demo")
    code = json.loads(cli(0, "supervisors", "link-code", "3", "--json").stdout)["code"]

    def start(n: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [supdesk, "--database", url, "--config", str(configs[n]), "daemon", "--port", str(web_ports[n]),
             "--lease-seconds", "3", "--outbox-seconds", "0.5", "--insecure-cookies"],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    procs = [start(n) for n in range(daemons)]
    stop = threading.Event()
    sent = {"email": 0, "telegram": 0, "phone_log": 0}
    emails, updates, files, rows_per_file = 150, 150, 6, 25

    def send_mail() -> None:
        for n in range(emails):
            msg = EmailMessage()
            msg["From"] = SUPERVISOR_EMAIL
            msg["To"] = "wushenzhao@desk.test"
            msg["Subject"] = f"邮件 {n}"
            msg["Message-ID"] = f"<crash-{n}@example.cn>"
            msg.set_content(f"邮件反映第 {n} 件")
            while True:  # a mail server retries until it is answered 250
                port = lmtp_ports[n % daemons] if daemons == 1 else random.choice(lmtp_ports)
                try:
                    with smtplib.LMTP("127.0.0.1", port) as client:
                        if (
                            client.sendmail(
                                SUPERVISOR_EMAIL, ["wushenzhao@desk.test"], msg.as_bytes()
                            )
                            == {}
                        ):
                            break
                except (OSError, smtplib.SMTPException):
                    time.sleep(0.1)
            sent["email"] += 1

    def send_updates() -> None:
        link = {"update_id": 1, "message": {"message_id": 1, "date": int(time.time()), "text": f"/link {code}",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                "chat": {"id": USER, "type": "private"}, "from": {"id": USER, "is_bot": False, "first_name": "巴特尔"}}}  # fmt: skip
        api.push(link)
        for n in range(updates):
            api.push({"update_id": 2 + n, "message": {"message_id": 2 + n, "date": int(time.time()), "text": f"消息反映第 {n} 件",
                      "chat": {"id": USER, "type": "private"}, "from": {"id": USER, "is_bot": False, "first_name": "巴特尔"}}})  # fmt: skip
            sent["telegram"] += 1

    def drop_files() -> None:
        for f in range(files):
            lines = [
                "工单编号,来电时间,来电号码,来电人,诉求标题,诉求内容,所属苏木镇,事发地点,诉求类型"
            ]
            for r in range(rows_per_file):
                lines.append(
                    f"GD{f:03d}{r:04d},2026-03-0{1 + r % 2} 09:{r % 60:02d},{SUPERVISOR_PHONE},巴特尔,热线{f}-{r},热线反映第 {f}-{r} 件,乌审召镇,便民服务中心,办事慢"
                )
            # One file at a time, once the last is taken: the files spread over the kills.
            wait_until(
                lambda: not list(watch.glob("*.csv")),
                timeout=120,
                what="a daemon to take the last file",
            )
            tmp = watch / f".part-{f}"
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
            tmp.rename(watch / f"hotline-{f}.csv")  # appears whole
            sent["phone_log"] += rows_per_file

    senders = [threading.Thread(target=t) for t in (send_mail, send_updates, drop_files)]
    for t in senders:
        t.start()

    def stored() -> int:
        return _count(url, "SELECT count(*) FROM report")

    kills = 0
    try:
        for _ in range(3):
            # Kill mid-work, at a random point: once the daemons have filed a random number
            # of reports more (or the sources are done and only the outbox is left).
            target = stored() + random.randint(10, 80)
            wait_until(
                lambda target=target: stored() >= target or not any(t.is_alive() for t in senders),
                timeout=120, what=f"{target} reports filed",
            )  # fmt: skip
            victim = kills % daemons
            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait()
            kills += 1
            if daemons == 1 or kills < 3:  # with two, the last one killed stays dead
                procs[victim] = start(victim)
        for t in senders:
            t.join(timeout=180)
        expected = sum(sent.values())

        def settled() -> bool:
            done = _count(
                url,
                "SELECT count(*) FROM report WHERE channel IN ('email', 'telegram', 'phone_log')",
            )
            pending = _count(
                url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'retrying')"
            )
            return done >= expected and pending == 0 and not list(watch.glob("*.csv"))

        wait_until(
            settled, timeout=180, what="every report filed and every notice sent", interval=0.5
        )
    finally:
        stop.set()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=60)
        api.stop()
        smtp.stop()
    assert kills == 3
    assert sent == {"email": emails, "telegram": updates, "phone_log": files * rows_per_file}
    by_channel = dict(_rows(url, "SELECT channel, count(*) FROM report GROUP BY channel"))
    assert by_channel.get("email") == emails
    assert by_channel.get("telegram") == updates
    assert by_channel.get("phone_log") == files * rows_per_file
    texts = sorted(r[0] for r in _rows(url, "SELECT text FROM report WHERE channel = 'telegram'"))
    assert texts == sorted(f"消息反映第 {n} 件" for n in range(updates))
    # Every notice to the supervisor reached the SMTP server, and the outbox says so; a
    # repeat is the same message (same Message-ID).
    # (The demo's own issues are left out: one supervisor of it is reachable by phone only.)
    keys = {
        r[0]
        for r in _rows(
            url,
            "SELECT o.key FROM outbox o JOIN issue i ON o.issue_id = i.id"
            " JOIN report r ON i.report_id = r.id WHERE o.recipient_kind = 'supervisor'"
            " AND r.channel IN ('email', 'telegram', 'phone_log')",
        )
    }
    delivered = {
        r[0]
        for r in _rows(
            url, "SELECT key FROM outbox WHERE status = 'delivered' AND notifier = 'email'"
        )
    }
    assert keys and keys <= delivered
    received: dict[str, set[str]] = {}
    for key, message_id in recorder.keys:
        received.setdefault(key, set()).add(message_id)  # the outbox row's key
    assert (
        set(received) >= keys
    )  # (the routine's notices to units and centers have no e-mail address)
    assert all(len(ids) == 1 for ids in received.values())
    repeats = len(recorder.keys) - len(received)
    print(f"\n{len(received)} notices, {repeats} sent again after a kill (same Message-ID)")

"""The daemon's sustained intake and its notice delivery, each against a baseline.

1. Intake: ``supdesk daemon`` (SQLite, its own process) takes in reports from three
   channels at once, each driven as its real senders drive it — LMTP messages over
   ``--lmtp-senders`` concurrent connections (a mail server delivers over several),
   Telegram updates from ``--telegram-users`` supervisors through the Bot API stand-in,
   a hotline export dropped in the watched folder (written under a temporary name and
   renamed, so taken at once: ``settle_seconds = 0``) — and the rate of reports stored
   is compared with the single-report commit rate of the same database
   (``Ledger.receive`` one report at a time, in this process), measured in the same run.
   The daemon's ``/metrics`` tells how many reports its group commits gathered.
2. Delivery: notices in the outbox delivered by the ``email`` notifier to a local SMTP
   server (aiosmtpd), against the same number of bare ``aiosmtplib.send`` calls.

    python bench/bench_daemon.py [--reports N] [--rounds R] [--lmtp-senders S] [--telegram-users U]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from servers.botapi import BotApi  # noqa: E402
from servers.dovecot import free_port  # noqa: E402
from supervision_core import ContactKind, Report, Sender, open_ledger  # noqa: E402
from supervision_core.demo import demo_settings, load_demo  # noqa: E402

#: Issue #22: three channels at once, with group commit, file at least twice as many
#: reports a second as ``Ledger.receive`` called one report at a time.
TARGET = 2.0


def single_commit_rate(work: Path, count: int) -> float:
    with open_ledger(
        f"sqlite:///{work / 'single.db'}", settings=demo_settings(), create=True
    ) as ledger:
        load_demo(ledger)
        now = ledger.clock()
        start = time.perf_counter()
        for n in range(count):
            ledger.receive(
                Report(channel="bench", external_id=f"s{n}", center="wushenzhao", received_at=now,
                       sender=Sender(ContactKind.EMAIL, "bateer@example.cn"), text=f"单条提交第 {n} 件")
            )  # fmt: skip
        return count / (time.perf_counter() - start)


def sustained_rate(
    work: Path, per_channel: int, lmtp_senders: int, telegram_users: int
) -> tuple[float, dict[str, int], str]:
    token = "7000001:bench-token"
    api = BotApi(token).start()
    watch = work / "drop"
    watch.mkdir()
    lmtp, web = free_port(), free_port()
    demo = (ROOT / "src/supervision_core/demo.toml").read_text(encoding="utf-8")
    demo = demo.replace(
        'channels = ["phone_log", "walk_in", "email"]',
        'channels = ["phone_log", "walk_in", "email", "telegram"]',
    )
    config = work / "supdesk.toml"
    config.write_text(demo + textwrap.dedent(f"""
        [channels.email]
        from_address = "jiandu@desk.test"
        rate_per_hour = 1000000
        [channels.email.recipients]
        "wushenzhao@desk.test" = "wushenzhao"
        [channels.email.lmtp]
        host = "127.0.0.1"
        port = {lmtp}
        [channels.telegram]
        token = {{ env = "BENCH_TELEGRAM_TOKEN" }}
        api = "{api.url}"
        [channels.phone_log]
        watch = "{watch}"
        watch_seconds = 0.5
        settle_seconds = 0  # the export appears whole, by rename
        center = "wushenzhao"
        """), encoding="utf-8")  # fmt: skip
    db = f"sqlite:///{work / 'daemon.db'}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SUPDESK_")},
           "BENCH_TELEGRAM_TOKEN": token}  # fmt: skip
    supdesk = [
        str(Path(sys.executable).parent / "supdesk"),
        "--database",
        db,
        "--config",
        str(config),
    ]
    subprocess.run([*supdesk, "init", "--demo"], check=True, env=env, capture_output=True, cwd=work)
    links = []
    for supervisor in range(1, telegram_users + 1):  # the demo's supervisors, 1 to 6
        code = subprocess.run(
            [*supdesk, "supervisors", "link-code", str(supervisor), "--json"],
            check=True,
            env=env,
            capture_output=True,
            text=True,
            cwd=work,
        )
        links.append(json.loads(code.stdout)["code"])
    daemon = subprocess.Popen([*supdesk, "daemon", "--port", str(web), "--insecure-cookies"], env=env, cwd=work,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    engine = sa.create_engine(db)

    def stored() -> int:
        with engine.connect() as c:
            return int(
                c.execute(
                    sa.text(
                        "SELECT count(*) FROM report WHERE channel IN ('email','telegram','phone_log')"
                    )
                ).scalar_one()
            )

    while True:  # wait for the LMTP port
        try:
            smtplib.LMTP("127.0.0.1", lmtp).quit()
            break
        except OSError:
            time.sleep(0.1)
    users = [
        {"id": 424242 + u, "is_bot": False, "first_name": f"监督员{u}"}
        for u in range(telegram_users)
    ]
    chats = [{"id": 424242 + u, "type": "private"} for u in range(telegram_users)]
    for u, link in enumerate(links):
        api.push({"update_id": 1 + u, "message": {"message_id": 1, "date": int(time.time()), "chat": chats[u],
                  "from": users[u], "text": f"/link {link}",
                  "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}})  # fmt: skip
    while api.confirmed < telegram_users + 1:  # every account linked
        time.sleep(0.05)
    first = 1 + telegram_users

    def mail(part: int) -> None:
        with smtplib.LMTP("127.0.0.1", lmtp) as client:
            for n in range(part, per_channel, lmtp_senders):
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = (
                    "bateer@example.cn",
                    "wushenzhao@desk.test",
                    f"邮件 {n}",
                )
                msg["Message-ID"] = f"<bench-{n}@example.cn>"
                msg.set_content(f"邮件反映第 {n} 件")
                client.sendmail("bateer@example.cn", ["wushenzhao@desk.test"], msg.as_bytes())

    def telegram() -> None:
        for n in range(per_channel):  # the supervisors' messages, interleaved
            u = n % telegram_users
            api.push({"update_id": first + n, "message": {"message_id": 2 + n, "date": int(time.time()),
                      "chat": chats[u], "from": users[u], "text": f"消息反映第 {n} 件"}})  # fmt: skip

    def hotline() -> None:
        lines = ["工单编号,来电时间,来电号码,来电人,诉求标题,诉求内容,所属苏木镇,事发地点,诉求类型"]
        lines += [
            f"B{n:06d},2026-03-02 09:{n % 60:02d},13948772345,巴特尔,热线{n},热线反映第 {n} 件,乌审召镇,便民服务中心,办事慢"
            for n in range(per_channel)
        ]
        (watch / ".part").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (watch / ".part").rename(watch / "hotline.csv")

    expected = 3 * per_channel
    start = time.perf_counter()
    senders = [lambda part=part: mail(part) for part in range(lmtp_senders)]
    threads = [threading.Thread(target=t) for t in (*senders, telegram, hotline)]
    for t in threads:
        t.start()
    while stored() < expected:
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    for t in threads:
        t.join()
    with engine.connect() as c:
        by_channel = dict(
            c.execute(sa.text("SELECT channel, count(*) FROM report GROUP BY channel")).all()
        )
    metrics = httpx.get(f"http://127.0.0.1:{web}/metrics", timeout=30).text
    groups = {
        line.split()[0]: float(line.split()[1])
        for line in metrics.splitlines()
        if line.startswith("supdesk_group_commit")
    }
    filed = groups.get("supdesk_group_commit_reports_total", 0.0)
    count = groups.get("supdesk_group_commit_groups_total", 0.0)
    gathered = (
        f"{filed:.0f} reports in {count:.0f} group commits ({filed / max(count, 1):.1f} a group)"
    )
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=60)
    api.stop()
    return expected / elapsed, {str(k): int(v) for k, v in by_channel.items()}, gathered


def delivery_rates(work: Path, count: int) -> tuple[float, float]:
    import aiosmtplib
    import attrs
    from aiosmtpd.controller import Controller

    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.received += 1
            return "250 OK"

    smtp = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    settings = demo_settings()
    settings = attrs.evolve(
        settings,
        centers=tuple(attrs.evolve(c, notifiers=("email",)) for c in settings.centers),
        notifier_options={"email": {"host": "127.0.0.1", "port": smtp.port}},
    )
    with open_ledger(f"sqlite:///{work / 'outbox.db'}", settings=settings, create=True) as ledger:
        load_demo(ledger)
        ledger.deliver_notices(limit=10_000)
        now = ledger.clock()
        for n in range(count):
            ledger.receive(Report(channel="bench", external_id=f"o{n}", center="wushenzhao", received_at=now,
                                  sender=Sender(ContactKind.EMAIL, "bateer@example.cn"), text=f"通知第 {n} 件"))  # fmt: skip
        start = time.perf_counter()
        delivered = 0
        while delivered < count:
            delivered += ledger.deliver_notices(limit=200).delivered
        ours = count / (time.perf_counter() - start)

    async def bare() -> None:
        for n in range(count):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = (
                "jiandu@desk.test",
                "bateer@example.cn",
                f"通知 {n}",
            )
            msg.set_content("您反馈的问题已收到。")
            await aiosmtplib.send(msg, hostname="127.0.0.1", port=smtp.port)

    start = time.perf_counter()
    asyncio.run(bare())
    bare_rate = count / (time.perf_counter() - start)
    smtp.stop()
    return ours, bare_rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=600, help="reports per channel")
    parser.add_argument("--lmtp-senders", type=int, default=8, help="concurrent LMTP connections")
    parser.add_argument(
        "--telegram-users", type=int, default=6, help="supervisors on Telegram (1-6)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="single and daemon, in turn")
    parser.add_argument("--no-delivery", action="store_true", help="skip the outbox bench")
    args = parser.parse_args()
    ratios = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            single = single_commit_rate(work, 500)
            sustained, by_channel, gathered = sustained_rate(
                work, args.reports, args.lmtp_senders, args.telegram_users
            )
        print(
            f"round {n + 1}: single-report commit rate (Ledger.receive, one by one): {single:8.1f} reports/s"
        )
        print(f"  daemon, three channels at once ({by_channel}): {sustained:8.1f} reports/s")
        print(
            f"  {gathered}; {args.lmtp_senders} LMTP senders, {args.telegram_users} Telegram users"
        )
        print(
            f"  ratio sustained/single: {sustained / single:.2f}   (target >= {TARGET}, issue #22)"
        )
        ratios.append(sustained / single)
    ratios.sort()
    print(f"median ratio of {args.rounds}: {ratios[len(ratios) // 2]:.2f}   (target >= {TARGET})")
    if args.no_delivery:
        return
    with tempfile.TemporaryDirectory() as tmp:
        ours, bare = delivery_rates(Path(tmp), 500)
    print(
        f"outbox delivery to local SMTP: {ours:8.1f} notices/s; bare aiosmtplib.send: {bare:8.1f}/s; ratio {ours / bare:.2f}"
    )


if __name__ == "__main__":
    main()

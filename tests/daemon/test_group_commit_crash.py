"""Group commit under SIGKILL: batches of reports in flight when the daemon dies.

Eight mail servers' connections deliver over LMTP at once, so the daemon commits their
messages in groups and answers each 250 only once its group has committed. The daemon
is killed (SIGKILL) while groups are in flight and started again; the senders retry
whatever was not answered 250, as a mail server does. Right after each kill every
message already answered 250 is in the ledger (nothing acknowledged is lost), and at
the end every message is stored exactly once (a retried one is not filed twice).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import smtplib
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa

from supervision_core.testing import wait_until

SENDERS, PER_SENDER = 8, 15


def _texts(engine: sa.Engine) -> list[str]:
    with engine.connect() as c:
        return [r[0] for r in c.execute(sa.text("SELECT text FROM report WHERE channel = 'email'"))]


def _metrics(port: int) -> dict[str, float]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            lines = r.read().decode().splitlines()
    except OSError:
        return {}
    return {
        line.split()[0]: float(line.split()[1])
        for line in lines
        if line.startswith("supdesk_group_commit")
    }


def test_a_killed_daemon_loses_no_acknowledged_report_of_a_group(supdesk_database_url, tmp_path):
    from servers.dovecot import free_port

    url = supdesk_database_url
    lmtp, web = free_port(), free_port()
    demo = (Path(__file__).parents[2] / "src/supervision_core/demo.toml").read_text(
        encoding="utf-8"
    )
    config = tmp_path / "supdesk.toml"
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
        port = {lmtp}
        """),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPDESK_")}
    supdesk = [str(Path(sys.executable).parent / "supdesk"), "--database", url,
               "--config", str(config)]  # fmt: skip
    subprocess.run([*supdesk, "init", "--demo"], env=env, capture_output=True, cwd=tmp_path,
                   check=True)  # fmt: skip

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([*supdesk, "daemon", "--port", str(web), "--insecure-cookies"],
                                env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip

    engine = sa.create_engine(url)
    acknowledged: set[str] = set()
    lock = threading.Lock()

    def send(part: int) -> None:
        for n in range(part, SENDERS * PER_SENDER, SENDERS):
            text = f"邮件反映第 {n} 件"
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = (
                "bateer@example.cn",
                "wushenzhao@desk.test",
                f"邮件 {n}",
            )
            msg["Message-ID"] = f"<group-{n}@example.cn>"
            msg.set_content(text)
            while True:  # a mail server retries until it is answered 250
                try:
                    with smtplib.LMTP("127.0.0.1", lmtp) as client:
                        refused = client.sendmail(
                            "bateer@example.cn", ["wushenzhao@desk.test"], msg.as_bytes()
                        )
                    if refused == {}:
                        with lock:
                            acknowledged.add(text)
                        break
                except (OSError, smtplib.SMTPException):
                    time.sleep(0.05)

    proc = start()
    senders = [threading.Thread(target=send, args=(p,)) for p in range(SENDERS)]
    for t in senders:
        t.start()
    kills = 0
    try:
        # Groups of several form (the daemon says so in /metrics) before the first kill.
        wait_until(
            lambda: (
                (m := _metrics(web)).get("supdesk_group_commit_reports_total", 0)
                > m.get("supdesk_group_commit_groups_total", 0)
            ),
            timeout=120,
            what="a group commit of several reports",
        )
        for _ in range(2):
            target = len(_texts(engine)) + random.randint(5, 40)
            wait_until(
                lambda target=target: (
                    len(_texts(engine)) >= target or not any(t.is_alive() for t in senders)
                ),
                timeout=120,
                what=f"{target} reports filed",
            )
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            with lock:
                answered = set(acknowledged)
            stored = set(_texts(engine))
            assert answered <= stored, f"acknowledged, then lost: {sorted(answered - stored)[:5]}"
            proc = start()
        for t in senders:
            t.join(timeout=240)
        assert not any(t.is_alive() for t in senders)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=60)
    texts = _texts(engine)
    engine.dispose()
    assert kills == 2
    assert len(acknowledged) == SENDERS * PER_SENDER
    # Every message once, the ones retried after a kill too.
    assert sorted(texts) == sorted(f"邮件反映第 {n} 件" for n in range(SENDERS * PER_SENDER))

"""The real daemon (``supdesk daemon``) with the WeChat plugin installed, killed while
WeChat's callbacks come in: a message WeChat got no answer for is sent again with the same
MsgId (as WeChat retries), and at the end every message is one report, none lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from standin import WeChatStandIn

from supervision_core.testing import wait_until

APP_ID = "wx5823bf96d3bd56c7"
SECRET = "daemon-secret"
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
USER = "oia2TjjewbmiOUlr6X-1crbLOvLw"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _count(url: str, sql: str) -> list[tuple]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_killing_the_daemon_between_receipt_and_reply_loses_no_message(
    supdesk_database_url, tmp_path
):
    standin = WeChatStandIn(
        kind="official_account", app_id=APP_ID, secret=SECRET, token=TOKEN, aes_key=AES_KEY
    ).start()
    url = supdesk_database_url
    root = Path(__import__("supervision_core").__file__).parent
    config = tmp_path / "supdesk.toml"
    config.write_text(
        (root / "demo.toml").read_text(encoding="utf-8")
        + f"""
[channels.wechat]
kind = "official_account"
app_id = "{APP_ID}"
secret = {{ env = "TEST_WECHAT_SECRET" }}
token = {{ env = "TEST_WECHAT_TOKEN" }}
encoding_aes_key = {{ env = "TEST_WECHAT_AES" }}
api = "{standin.url}"
""",
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SUPDESK_")},
        "TEST_WECHAT_SECRET": SECRET,
        "TEST_WECHAT_TOKEN": TOKEN,
        "TEST_WECHAT_AES": AES_KEY,
    }
    supdesk = [
        str(Path(sys.executable).parent / "supdesk"),
        "--database",
        url,
        "--config",
        str(config),
    ]
    subprocess.run(
        [*supdesk, "init", "--demo"], env=env, check=True, capture_output=True, cwd=tmp_path
    )
    code = json.loads(subprocess.run([*supdesk, "supervisors", "link-code", "3", "--json"], env=env, check=True,
                                     capture_output=True, text=True, cwd=tmp_path).stdout)["code"]  # fmt: skip
    port = _free_port()
    base = f"http://127.0.0.1:{port}/wechat/callback"

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([*supdesk, "daemon", "--port", str(port), "--insecure-cookies", "--outbox-seconds", "0.5"],
                                env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip

    def filed() -> int:
        return int(_count(url, "SELECT count(*) FROM report WHERE channel = 'wechat'")[0][0])

    total = 40
    acknowledged: list[int] = []
    stop = threading.Event()

    def send(xml: str) -> str:
        """As WeChat does: post, and post again (new timestamp and nonce, same message)
        until the server answers in time."""
        while not stop.is_set():
            query, body = standin.callback(xml, timestamp=int(time.time()))
            try:
                response = httpx.post(f"{base}?{query}", content=body, timeout=5.0)
            except httpx.HTTPError:
                time.sleep(0.05)
                continue
            if response.status_code == 200:
                return (
                    standin.decrypt_reply(response.content, query)["Content"]
                    if response.text != "success"
                    else ""
                )
            time.sleep(0.05)
        return ""

    def sender() -> None:
        assert "绑定成功" in send(standin.text(USER, f"绑定 {code}", 1, int(time.time())))
        for n in range(total):
            answer = send(
                standin.text(USER, f"微信反映第 {n} 件：窗口无人", 1000 + n, int(time.time()))
            )
            if "已登记" in answer or answer == "":
                acknowledged.append(1000 + n)

    proc = start()
    try:
        thread = threading.Thread(target=sender, daemon=True)
        thread.start()
        kills = 0
        for threshold in (10, 25):
            wait_until(lambda threshold=threshold, proc=proc: filed() >= threshold or proc.poll() is not None,
                       timeout=90, what=f"{threshold} messages filed", interval=0.005)  # fmt: skip
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            proc = start()
        thread.join(timeout=120)
        assert not thread.is_alive()
    finally:
        stop.set()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        standin.stop()
    rows = _count(url, "SELECT external_id FROM report WHERE channel = 'wechat'")
    ids = sorted(r[0] for r in rows)
    assert kills == 2
    assert len(acknowledged) == total
    assert ids == sorted(f"wechat:{1000 + n}" for n in range(total))  # each once, none lost

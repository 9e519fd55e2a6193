"""The demo closes the loop: its notices go by e-mail to the local mail sink's Maildir.

As ``scripts/demo`` does it: the sink (``python -m supervision_daemon.mail_sink``) on a
free loopback port, ``supdesk init --demo --mail-sink``, a delivery round, then the
messages read back from the Maildir — on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import signal
import socket
import subprocess
import sys
import tomllib
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from supervision_core.cli import cli
from supervision_core.demo import DEMO_MAIL_FROM, demo_config_text
from supervision_core.testing import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_the_demo_config_with_a_mail_sink_enables_email_for_every_center() -> None:
    plain = tomllib.loads(demo_config_text())
    assert all("notifiers" not in c for c in plain["centers"]) and "notifiers" not in plain
    sinking = tomllib.loads(demo_config_text(mail_sink=("127.0.0.1", 2525)))
    assert [c["notifiers"] for c in sinking["centers"]] == [["email"]] * len(plain["centers"])
    assert sinking["notifiers"]["email"] == {
        "from_address": DEMO_MAIL_FROM, "host": "127.0.0.1", "port": 2525,
    }  # fmt: skip
    # Otherwise the same configuration.
    for center in sinking["centers"]:
        del center["notifiers"]
    del sinking["notifiers"]
    assert sinking == plain


def test_the_demo_notices_reach_the_mail_sink(
    supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    port, maildir = free_port(), tmp_path / "mail"
    sink = subprocess.Popen(
        [sys.executable, "-m", "supervision_daemon.mail_sink", "--maildir", str(maildir), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until(
            lambda: listening(port) or sink.poll() is not None, timeout=30, what="the mail sink"
        )
        assert sink.poll() is None, sink.communicate()
        runner = CliRunner()

        def run(*args: str) -> str:
            result = runner.invoke(cli, list(args), catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.output

        assert "127.0.0.1:" in run("init", "--demo", "--mail-sink", f"127.0.0.1:{port}")
        pending = json.loads(
            run("outbox", "list", "--status", "pending", "--limit", "1000", "--json")
        )
        assert pending and {e["transport"] for e in pending} == {None}
        delivered = json.loads(run("outbox", "deliver", "--json"))
        assert delivered["dead"] == 0 and delivered["retrying"] == 0
        # Each went the way that reaches its recipient, or says honestly that none did:
        # e-mail, the console's inbox for a center, a call task for the phone-only.
        assert delivered["delivered"] + delivered["call_tasks"] + delivered["unreachable"] == len(
            pending
        )
        assert json.loads(run("outbox", "list", "--status", "pending", "--json")) == []
        calls = json.loads(run("outbox", "list", "--status", "call_task", "--json"))
    finally:
        sink.send_signal(signal.SIGTERM)
        out, err = sink.communicate(timeout=30)
    assert sink.returncode == 0, err
    assert "邮件收集器已停止" in out

    messages: list[EmailMessage] = [
        email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
        for raw in (bytes(m) for m in mailbox.Maildir(maildir, create=False))
    ]
    to_supervisors = [
        p for e in pending if e["notice"]["recipient_kind"] == "supervisor" for p in [e]
    ]
    emailed = [
        e for e in to_supervisors
        if any(a["kind"] == "email" for a in e["notice"]["addresses"])
    ]  # fmt: skip
    assert len(messages) == len(emailed) > 0
    by_notice = {m["X-Supdesk-Notice"]: m for m in messages}
    assert set(by_notice) == {e["notice"]["key"] for e in emailed}
    for entry in emailed:
        message = by_notice[entry["notice"]["key"]]
        (address,) = [a["value"] for a in entry["notice"]["addresses"] if a["kind"] == "email"]
        assert message["Delivered-To"] == address and message["To"] == address
        assert message["From"] == DEMO_MAIL_FROM
        assert str(message["Subject"]) == entry["notice"]["subject"]
        assert entry["notice"]["body"] in message.get_content()
    # Every demo supervisor with an address heard of their reports; the phone-only one
    # (张志强, whose report was not accepted) is in the outbox but has no mail.
    recipients = {m["Delivered-To"] for m in messages}
    assert recipients == {
        "wang.jianguo@example.cn", "li.xiuying@example.cn", "bateer@example.cn",
        "wuyun@example.cn", "liu.haiyan@example.cn",
    }  # fmt: skip
    phone_only = [
        e for e in to_supervisors
        if e["notice"]["subject"].endswith("不予受理")
    ]  # fmt: skip
    assert phone_only and all(
        {a["kind"] for a in e["notice"]["addresses"]} == {"phone"} for e in phone_only
    )
    # ... and the desk has a call task for each: the loop holds for them too.
    assert {e["notice"]["key"] for e in phone_only} <= {e["notice"]["key"] for e in calls}
    # The demo's extension reached its supervisor with the new deadline and the reason.
    (extension,) = [m for m in messages if str(m["Subject"]).endswith(" 延期")]
    assert extension["Delivered-To"] == "li.xiuying@example.cn"
    body = extension.get_content()
    assert "新期限" in body and "新证书须由上级平台统一签发" in body
    plan = next(
        m
        for m in messages
        if str(m["Subject"]).endswith("确定整改方式") and "限时整改" in m.get_content()
    )
    assert "责任单位：" in plan.get_content() and "整改措施：" in plan.get_content()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["init", "--mail-sink", "127.0.0.1:8025"], "只能与 --demo 一起使用"),
        (["init", "--demo", "--mail-sink", "8025"], "应写作 主机:端口"),
        (["init", "--demo", "--mail-sink", "localhost:99999"], "应写作 主机:端口"),
    ],
)
def test_a_wrong_mail_sink_is_one_line(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output and not (tmp_path / "supdesk.toml").exists()

"""The daemon: the routine (催办/督办) across National Day, leases, health, metrics, SIGTERM."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import smtplib
import subprocess
import sys
import textwrap
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import attrs

from supervision_core import SHANGHAI, YearSchedule, china_calendar, open_ledger
from supervision_core.demo import demo_settings, load_demo
from supervision_core.model.summaries import IssueSummary
from supervision_core.rules.deadlines import TimeLimits
from supervision_core.rules.reminders import routine_steps
from supervision_core.testing import skip_or_fail, wait_until
from supervision_daemon import JsonLogFormatter

CAL = china_calendar()


def summary(state, due, unit="realty", center="wushenzhao"):
    return IssueSummary(
        1,
        "wushenzhao-2026-00001",
        center,
        7,
        state,
        dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
        due,
        True,
        unit,
        None,
    )


def kinds(steps):
    return sorted((s.kind.value, s.recipient_kind) for s in steps)


def test_routine_rules_without_a_database():
    due = dt.date(2026, 10, 8)  # the first working day after National Day
    limits = TimeLimits()
    rectifying = [summary("rectifying", due)]
    at = lambda day: kinds(routine_steps(rectifying, day, CAL, limits, banner_center="banner"))  # noqa: E731
    assert at(dt.date(2026, 9, 28)) == []  # three working days ahead: not yet
    assert at(dt.date(2026, 9, 29)) == [("reminder", "unit")]
    assert at(dt.date(2026, 10, 3)) == []  # a holiday: nothing is sent
    assert at(dt.date(2026, 10, 9)) == [("overdue", "center"), ("overdue", "unit")]
    assert at(dt.date(2026, 10, 13)) == [("overdue", "center"), ("overdue", "unit")]
    assert at(dt.date(2026, 10, 14)) == [
        ("escalation", "center"),
        ("overdue", "center"),
        ("overdue", "unit"),
    ]
    waiting = [summary("received", dt.date(2026, 9, 29))]
    assert kinds(
        routine_steps(waiting, dt.date(2026, 9, 30), CAL, limits, banner_center="banner")
    ) == [("unscreened", "center")]
    assert (
        routine_steps(
            [summary("closed", due)], dt.date(2026, 10, 20), CAL, limits, banner_center="banner"
        )
        == []
    )


def test_reminders_and_escalation_through_national_day(supdesk_database_url, supdesk_clock):
    settings = demo_settings()
    settings = attrs.evolve(
        settings, centers=tuple(attrs.evolve(c, notifiers=("email",)) for c in settings.centers)
    )
    with open_ledger(
        supdesk_database_url, settings=settings, create=True, clock=supdesk_clock
    ) as ledger:
        load_demo(ledger)
        supdesk_clock.set(dt.datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI))
        from supervision_core import Report, Sender

        result = ledger.receive(
            Report(channel="test", external_id="nd-1", center="wushenzhao", received_at=supdesk_clock(),
                   sender=Sender("email", "bateer@example.cn"), text="国庆前派单的问题")
        )  # fmt: skip
        number = result.issue_number
        ledger.accept(number, actor="op")
        ledger.dispatch(number, unit="realty", responsible_person="赵主任", actor="op")
        ledger.plan(number, track="scheduled", measures="补充一次性告知清单", days=3, actor="op")
        assert ledger.issue(number).due_on == dt.date(2026, 10, 8)
        issue_id = ledger.issue(number).id
        day = dt.date(2026, 9, 28)
        while day <= dt.date(2026, 10, 20):
            for hour in (9, 15):  # the routine runs all day long; each notice goes once
                supdesk_clock.set(dt.datetime.combine(day, dt.time(hour), SHANGHAI))
                ledger.run_routine()
            day += dt.timedelta(days=1)
        entries = [
            e
            for e in ledger.outbox(limit=100_000)
            if e.notice.key.startswith("routine:") and f":{issue_id}:" in e.notice.key
        ]
        sent: dict[dt.date, list[str]] = {}
        for e in entries:
            sent.setdefault(e.created_at.astimezone(SHANGHAI).date(), []).append(
                e.notice.key.split(":")[1]
            )
        outbox = [e.notice for e in entries]
        assert sent == {
            dt.date(2026, 9, 29): ["reminder"],
            dt.date(2026, 10, 9): ["overdue", "overdue"],
            dt.date(2026, 10, 14): ["escalation"],
        }
        assert sorted((n.recipient_kind.value, n.recipient) for n in outbox) == [
            ("center", "banner"), ("center", "wushenzhao"), ("unit", "realty"), ("unit", "realty"),
        ]  # fmt: skip
        assert all("巴特尔" not in n.body and "bateer" not in n.body for n in outbox)


def test_leases_pass_to_another_instance_when_the_holder_stops(supdesk_ledger, supdesk_clock):
    assert supdesk_ledger.acquire_lease("imap:box", "a", seconds=60)
    assert not supdesk_ledger.acquire_lease("imap:box", "b", seconds=60)
    assert supdesk_ledger.acquire_lease("imap:box", "a", seconds=60)  # renewing
    supdesk_clock.advance(seconds=61)  # a died: it stopped renewing
    assert supdesk_ledger.acquire_lease("imap:box", "b", seconds=60)
    assert not supdesk_ledger.acquire_lease("imap:box", "a", seconds=60)
    supdesk_ledger.release_lease("imap:box", "b")
    assert supdesk_ledger.acquire_lease("imap:box", "a", seconds=60)


def test_json_logs_mask_personal_data():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "来电 13904772345，身份证 150626199001011234", (), None
    )
    line = json.loads(JsonLogFormatter().format(record))
    assert line["message"] == "来电 139****2345，身份证 150626********1234"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_the_daemon_runs_channels_reports_health_and_stops_on_sigterm(tmp_path):
    from servers.dovecot import free_port

    port, lmtp_port, dead_imap = free_port(), free_port(), free_port()
    config = tmp_path / "supdesk.toml"
    config.write_text(
        (Path(__file__).parents[2] / "src/supervision_core/demo.toml").read_text(encoding="utf-8")
        + textwrap.dedent(f"""
        [channels.email]
        from_address = "jiandu@desk.test"
        [channels.email.recipients]
        "wushenzhao@desk.test" = "wushenzhao"
        [channels.email.lmtp]
        host = "127.0.0.1"
        port = {lmtp_port}
        [[channels.email.mailboxes]]
        center = "banner"
        host = "127.0.0.1"
        port = {dead_imap}
        security = "none"
        username = "nobody@desk.test"
        poll_seconds = 1
        """),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPDESK_TELEGRAM")}
    supdesk = [
        str(Path(sys.executable).parent / "supdesk"),
        "--database",
        f"sqlite:///{tmp_path / 'supdesk.db'}",
        "--config",
        str(config),
    ]
    subprocess.run(
        [*supdesk, "init", "--demo"], check=True, env=env, capture_output=True, cwd=tmp_path
    )
    proc = subprocess.Popen(
        [*supdesk, "daemon", "--port", str(port), "--json-logs"], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:

        def retrying() -> bool:
            with __import__("contextlib").suppress(OSError):
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                return status in (200, 503) and "imap" in body and "retrying" in body
            return False

        wait_until(retrying, timeout=30, what="/healthz to show the mailbox retried", interval=0.2)
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        health = json.loads(body)
        # The unreachable mailbox is retried and reported; everything else runs.
        assert status == 200 and health["status"] == "degraded" and health["database"] == "ok"
        imap = next(v for k, v in health["jobs"].items() if k.startswith("imap:"))
        assert imap["state"] == "retrying" and "ConnectionRefused" in imap["error"]
        assert (
            health["jobs"]["lmtp"]["state"] == "running"
            and health["jobs"]["outbox"]["state"] == "running"
        )
        msg = EmailMessage()
        msg["From"] = "bateer@example.cn"
        msg["To"] = "wushenzhao@desk.test"
        msg["Subject"] = "经 LMTP 投递"
        msg["Message-ID"] = "<daemon-lmtp@example.cn>"
        msg.set_content("窗口无人值守")
        with smtplib.LMTP("127.0.0.1", lmtp_port) as client:
            assert (
                client.sendmail("bateer@example.cn", ["wushenzhao@desk.test"], msg.as_bytes()) == {}
            )
        status, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert 'supdesk_reports_received{channel="email"} 1.0' in metrics
        assert "supdesk_overdue_issues" in metrics and "supdesk_outbox_pending" in metrics
        assert _get(f"http://127.0.0.1:{port}/login")[0] == 200  # the walk-in desk is served
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "受理服务已停止" in out
    logs = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(line["message"] == "daemon stopped" for line in logs)
    status_out = subprocess.run(
        [*supdesk, "status"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert "收到反馈" in status_out.stdout and "电子邮件 1" in status_out.stdout  # by name


def test_start_up_says_what_is_wrong(tmp_path):
    supdesk = [
        str(Path(sys.executable).parent / "supdesk"),
        "--database",
        f"sqlite:///{tmp_path / 'missing.db'}",
    ]
    result = subprocess.run([*supdesk, "daemon"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "supdesk init" in result.stderr + result.stdout


def test_documents_are_prepared_on_their_dates_once():
    from supervision_core.rules.reminders import documents_due

    assert documents_due(dt.date(2026, 6, 30), CAL) == []
    assert documents_due(dt.date(2026, 7, 1), CAL) == [("briefing", "2026H1")]
    assert documents_due(dt.date(2026, 8, 15), CAL) == []  # past the window
    # With a 2027 notice making Friday 2027-01-01 a holiday, the first working day of
    # the year, Monday 01-04, prepares both.
    cal = china_calendar(years=[YearSchedule(2027, [dt.date(2027, 1, 1)], [], "config")])
    first = cal.add_working_days(dt.date(2026, 12, 31), 1).due_on
    assert first == dt.date(2027, 1, 4)
    assert documents_due(dt.date(2027, 1, 1), cal) == []
    assert documents_due(first, cal) == [("briefing", "2026H2"), ("evaluation", "2026")]


def test_the_daemon_prepares_the_half_year_briefing_for_review(
    supdesk_database_url, supdesk_clock, tmp_path
):
    from supervision_core.documents.printable import find_cjk_font
    from supervision_daemon import Daemon, DaemonOptions
    from supervision_web import WebSettings

    try:
        find_cjk_font()
    except Exception as exc:
        skip_or_fail(f"no CJK font installed (scripts/setup installs one): {exc}")
    settings = demo_settings()
    settings = attrs.evolve(
        settings, centers=tuple(attrs.evolve(c, notifiers=("email",)) for c in settings.centers)
    )
    with open_ledger(
        supdesk_database_url, settings=settings, create=True, clock=supdesk_clock
    ) as ledger:
        load_demo(ledger)
        supdesk_clock.set(dt.datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI))
        daemon = Daemon(
            ledger, WebSettings(secret_key="k" * 48), DaemonOptions(documents_dir=tmp_path / "docs")
        )
        written = daemon.prepare_documents()
        assert len(written) == len(ledger.centers())
        assert (
            (tmp_path / "docs" / "banner" / "2026H1-监督工作通报.pdf")
            .read_bytes()
            .startswith(b"%PDF")
        )
        assert daemon.prepare_documents() == []  # once
        notices = [
            e.notice
            for e in ledger.outbox(limit=1000)
            if e.notice.key.startswith("prepared:briefing:2026H1:")
        ]
        assert len(notices) == len(ledger.centers()) and "待审阅" in notices[0].subject


def test_the_daemon_prepares_the_annual_evaluation_as_a_draft_and_never_publishes(
    supdesk_database_url, supdesk_clock, tmp_path
):
    from openpyxl import load_workbook

    from supervision_daemon import Daemon, DaemonOptions
    from supervision_web import WebSettings

    settings = demo_settings()
    settings = attrs.evolve(
        settings,
        centers=tuple(attrs.evolve(c, notifiers=("email",)) for c in settings.centers),
        calendar_years=(YearSchedule(2027, [dt.date(2027, 1, 1)], [], "config"),),
    )
    with open_ledger(
        supdesk_database_url, settings=settings, create=True, clock=supdesk_clock
    ) as ledger:
        load_demo(ledger)
        # Monday 2027-01-04, the first working day of the year: the evaluation is due.
        supdesk_clock.set(dt.datetime(2027, 1, 4, 9, 0, tzinfo=SHANGHAI))
        daemon = Daemon(
            ledger, WebSettings(secret_key="k" * 48), DaemonOptions(documents_dir=tmp_path / "docs")
        )
        written = [p for p in daemon.prepare_documents() if p.suffix == ".xlsx"]
        assert len(written) == len(ledger.centers())
        assert ledger.evaluations() == []  # a draft for review: nothing published
        book = load_workbook(tmp_path / "docs" / "banner" / "2026年度监督员评估（草稿）.xlsx")
        assert book.active is not None and "草稿，未发布" in str(book.active["A1"].value)
        notices = [
            e.notice
            for e in ledger.outbox(limit=1000)
            if e.notice.key.startswith("prepared:evaluation:2026:")
        ]
        assert len(notices) == len(ledger.centers())
        assert "--publish" in notices[0].body and "待审阅" in notices[0].subject

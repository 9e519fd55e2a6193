"""Every door holds, where reports come in (issue #19), on SQLite and PostgreSQL.

The watched folder takes a call log only once it is complete; a call dated after its
import, a letter dated before its writer could have written it, a field too long for
the csv module are each one rejected row, never a sunk file or a silent success;
imports that store nothing say so in their exit status; LMTP answers each recipient
and files a message for two centers in both; and the daemon's logs name nobody.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import mailbox
import smtplib
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from test_email import OPTIONS, SUPERVISOR, mail

from channels.email.lmtp import LmtpReceiver
from channels.phone.channel import FolderWatch, PhoneLogChannel, PhoneSettings, import_folder
from channels.phone.importer import import_call_log
from channels.walk_in.form import FormChoices, Upload, validate_walk_in
from supervision_core import (
    SHANGHAI,
    ContactKind,
    Identity,
    Ledger,
    NewSupervisor,
    PluginHost,
    get_plugin_manager,
)
from supervision_core.cli import cli
from supervision_core.testing import wait_until

HEADER = ["工单编号", "来电时间", "来电号码", "来电人", "诉求标题", "诉求内容", "所属苏木镇", "事发地点", "诉求类型"]  # fmt: skip
SUPERVISOR_PHONE = "13948772345"


@pytest.fixture
def ledger(supdesk_ledger: Ledger, supdesk_clock: Any) -> Ledger:
    # The calls below are of early March 2026; they are imported at the end of the month.
    supdesk_clock.set(dt.datetime(2026, 3, 31, 18, 0, tzinfo=SHANGHAI))
    supdesk_ledger.add_supervisor(
        NewSupervisor(
            name="巴特尔",
            center="wushenzhao",
            identities=[
                Identity(ContactKind.PHONE, SUPERVISOR_PHONE),
                Identity(ContactKind.EMAIL, SUPERVISOR),
            ],
        )
    )
    return supdesk_ledger


def calls(start: int, count: int, when: str = "2026-03-02 09:15") -> list[list[str]]:
    """Citizens' calls (no supervisor among them), each with its own record id."""
    return [
        [f"GD{n:06d}", when, f"1390000{n % 10000:04d}", "", "", f"来电反映第 {n} 件", "乌审召镇", "", ""]
        for n in range(start, start + count)
    ]  # fmt: skip


def write_rows(path: Path, rows: list[list[str]], mode: str = "w") -> Path:
    with path.open(mode, encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


# ---------------------------------------------------------------- the watched folder


def test_a_call_log_still_being_copied_waits_until_it_has_settled(
    ledger: Ledger, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    now = [1000.0]
    watch = FolderWatch(settle_seconds=5, clock=lambda: now[0])
    path = write_rows(folder / "hotline.csv", [HEADER, *calls(0, 2000)])
    import_folder(ledger, folder, "wushenzhao", watch=watch)  # just seen
    assert path.exists() and ledger.batches() == []
    write_rows(path, calls(2000, 3000), mode="a")  # the copy goes on after a pause
    now[0] += 10
    import_folder(ledger, folder, "wushenzhao", watch=watch)  # it changed since: wait again
    assert path.exists() and ledger.batches() == []
    now[0] += 4.9
    import_folder(ledger, folder, "wushenzhao", watch=watch)
    assert path.exists() and ledger.batches() == []
    now[0] += 0.1
    import_folder(ledger, folder, "wushenzhao", watch=watch)  # unchanged for 5 s: complete
    assert not path.exists() and (folder / "done" / "hotline.csv").exists()
    (batch,) = ledger.batches()
    assert batch.counts["read"] == 5000 and batch.counts["quarantined"] == 5000


def test_the_daemon_job_polls_a_file_written_in_two_parts_and_takes_it_whole(
    ledger: Ledger, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    settings = PhoneSettings(watch=folder, center="wushenzhao", settle_seconds=0.2)
    (job,) = PhoneLogChannel().jobs(ledger, settings)
    assert job.poll_once is not None
    path = write_rows(folder / "hotline.csv", [HEADER, *calls(0, 3000)])
    job.poll_once()
    assert path.exists() and ledger.batches() == []
    write_rows(path, calls(3000, 2000), mode="a")
    job.poll_once()  # grown since the last poll: not complete, whatever the time
    assert path.exists() and ledger.batches() == []
    temporary = [".hotline2.csv", "hotline3.csv.part", "hotline4.tmp", "~$hotline5.xlsx"]
    for name in temporary:
        write_rows(folder / name, [HEADER, *calls(9000, 5)])
    done = folder / "done" / "hotline.csv"
    wait_until(lambda: job.poll_once() or done.exists(), timeout=20, what="the file to be taken")
    (batch,) = ledger.batches()
    assert batch.source_name == "hotline.csv" and batch.counts["read"] == 5000
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == sorted(temporary)


def test_a_file_that_grows_while_it_is_imported_stays_and_is_imported_again(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    path = write_rows(folder / "hotline.csv", [HEADER, *calls(0, 100)])

    def import_then_grow(*args: Any, **kwargs: Any) -> Any:
        summary = import_call_log(*args, **kwargs)
        if not (folder / "grown").exists():
            (folder / "grown").touch()
            write_rows(path, calls(100, 50), mode="a")
        return summary

    monkeypatch.setattr("channels.phone.importer.import_call_log", import_then_grow)
    watch = FolderWatch(settle_seconds=0)
    import_folder(ledger, folder, "wushenzhao", watch=watch)
    assert path.exists()  # not moved to done/ with 50 calls never read
    import_folder(ledger, folder, "wushenzhao", watch=watch)
    assert not path.exists()
    first, second = sorted(ledger.batches(), key=lambda b: b.id)
    assert first.counts["quarantined"] == 100
    assert (second.counts["already_present"], second.counts["quarantined"]) == (100, 50)


def test_settle_seconds_is_a_setting() -> None:
    from supervision_core import ConfigError, parse_settings

    def table(extra: str) -> Any:
        import tomllib

        data = tomllib.loads(f'[channels.phone_log]\nwatch = "/srv/drop"\n{extra}')
        return parse_settings(data).plugin_table("channels", "phone_log")

    assert PhoneSettings.from_table(table("")).settle_seconds == 5.0
    assert PhoneSettings.from_table(table("settle_seconds = 30")).settle_seconds == 30.0
    with pytest.raises(ConfigError, match="settle_seconds"):
        PhoneSettings.from_table(table("settle_seconds = -1"))


# ---------------------------------------------------------------- rows that cannot be


def test_calls_dated_after_the_import_are_rejected_on_both_paths(
    ledger: Ledger, tmp_path: Path
) -> None:
    rows = [
        *calls(0, 3),
        ["GD900001", "2099-03-02 09:15", "13900009999", "", "", "来自未来的来电", "乌审召镇", "", ""],
        ["GD900002", "2099-03-02 09:15", SUPERVISOR_PHONE, "巴特尔", "", "监督员的未来来电", "乌审召镇", "", ""],
        ["GD900003", "2026-04-01 09:00", "13900008888", "", "", "导入之后的来电", "乌审召镇", "", ""],
        ["GD900004", "2026-03-31 18:05", SUPERVISOR_PHONE, "巴特尔", "", "时钟略有偏差", "乌审召镇", "", ""],
    ]  # fmt: skip
    path = write_rows(tmp_path / "calls.csv", [HEADER, *rows])
    summary = import_call_log(ledger, path, actor="op", center="wushenzhao")
    assert (summary.imported, summary.quarantined, summary.rejected) == (1, 3, 3)
    assert {r.row for r in summary.rejects} == {5, 6, 7}
    assert all("晚于导入时间" in r.reason and r.column == "来电时间" for r in summary.rejects)


def test_one_field_over_128_kib_rejects_its_row_not_the_file(
    ledger: Ledger, tmp_path: Path
) -> None:
    rows = calls(0, 10)
    rows[4][5] = "长" * 200_000  # over the csv module's own limit of 131,072
    path = write_rows(tmp_path / "calls.csv", [HEADER, *rows])
    summary = import_call_log(ledger, path, actor="op")
    assert (summary.quarantined, summary.rejected) == (9, 1)
    (rejected,) = summary.rejects
    assert rejected.row == 6 and rejected.column == "诉求内容" and "内容过长" in rejected.reason


@pytest.fixture
def supdesk(ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``supdesk`` with the channels' commands, on the ledger's database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(
        "SUPDESK_DATABASE_URL", ledger.engine.url.render_as_string(hide_password=False)
    )
    monkeypatch.setenv("SUPDESK_ACTOR", "operator:doors")
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    from supervision_core.demo import demo_config_text

    (tmp_path / "supdesk.toml").write_text(demo_config_text(), encoding="utf-8")
    PluginHost(get_plugin_manager(load_entrypoints=False)).register_commands(cli)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


def test_an_import_that_stores_nothing_exits_non_zero(supdesk: Any, tmp_path: Path) -> None:
    bad = [[*row[:1], "不是时间", *row[2:]] for row in calls(0, 5)]
    rejected = write_rows(tmp_path / "bad.csv", [HEADER, *bad])
    result = supdesk("import", "calls", str(rejected))
    assert result.exit_code == 1 and "未导入任何记录（所有行都被拒）" in result.output
    as_json = supdesk("import", "calls", str(rejected), "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["rejected"] == 5
    empty = write_rows(tmp_path / "empty.csv", [HEADER])
    assert supdesk("import", "calls", str(empty)).exit_code == 1
    good = write_rows(tmp_path / "good.csv", [HEADER, *calls(0, 5)])
    assert supdesk("import", "calls", str(good)).exit_code == 0
    again = supdesk("import", "calls", str(good))  # safe to run again: all already there
    assert again.exit_code == 0 and "已存在 5" in again.output


def test_import_email_refuses_an_unknown_center_and_exits_1_when_nothing_is_stored(
    supdesk: Any, tmp_path: Path
) -> None:
    (tmp_path / "one.eml").write_bytes(mail(msgid="<doors-1@x>"))
    unknown = supdesk("import", "email", "one.eml", "--center", "nosuch")
    assert (
        unknown.exit_code == 2 and "nosuch" in unknown.output
    )  # a usage error, as --center elsewhere
    assert "Traceback" not in unknown.output
    nowhere = supdesk("import", "email", "one.eml")  # To: no center's address, no --center
    assert nowhere.exit_code == 1 and "未导入任何邮件" in nowhere.output
    mailbox.Maildir(tmp_path / "Maildir")  # created, and empty
    empty = supdesk("import", "email", "Maildir", "--center", "wushenzhao")
    assert empty.exit_code == 1 and "读取 0 封" in empty.output
    filed = supdesk("import", "email", "one.eml", "--center", "wushenzhao")
    assert filed.exit_code == 0 and "登记 1" in filed.output


# ---------------------------------------------------------------- LMTP


@pytest.fixture
def lmtp_two_centers(ledger: Ledger) -> Any:
    from servers.dovecot import free_port

    options = attrs.evolve(
        OPTIONS,
        recipients={"wushenzhao@desk.test": "wushenzhao", "galutu@desk.test": "galutu"},
        lmtp_port=free_port(),
        max_message_bytes=100_000,
    )
    receiver = LmtpReceiver(ledger, options)
    receiver.start()
    yield options
    receiver.stop()


def _send(port: int, message: bytes, recipients: list[str]) -> list[tuple[int, bytes]]:
    """One transaction with Python's LMTP client; every reply after the message's end."""
    with smtplib.LMTP("127.0.0.1", port, timeout=10) as client:  # a missing reply fails
        client.ehlo_or_helo_if_needed()
        assert client.mail(SUPERVISOR)[0] == 250
        for recipient in recipients:
            assert client.rcpt(recipient)[0] == 250
        replies = [client.data(message.replace(b"\n", b"\r\n"))]  # as servers send it
        replies += [client.getreply() for _ in recipients[1:]]
        return replies


def test_lmtp_answers_each_recipient_and_files_the_message_in_each_center(
    ledger: Ledger, lmtp_two_centers: Any
) -> None:
    recipients = ["wushenzhao@desk.test", "galutu@desk.test"]
    message = mail(msgid="<two-centers@example.cn>")
    replies = _send(lmtp_two_centers.lmtp_port, message, recipients)
    assert [code for code, _ in replies] == [250, 250]
    assert b"OK wushenzhao-" in replies[0][1]  # the issue it became, or the report
    stored = [r for r in ledger.recent_reports() if r.channel == "email"]
    assert sorted(r.center for r in stored) == ["galutu", "wushenzhao"]
    again = _send(lmtp_two_centers.lmtp_port, message, list(reversed(recipients)))
    assert [code for code, _ in again] == [250, 250]  # delivered again: the same reports
    assert len([r for r in ledger.recent_reports() if r.channel == "email"]) == 2


def test_lmtp_refuses_oversized_mail_once_per_recipient(lmtp_two_centers: Any) -> None:
    big = mail("很长很长很长很长\n" * 10_000, msgid="<big-two@example.cn>")
    replies = _send(lmtp_two_centers.lmtp_port, big, ["wushenzhao@desk.test", "galutu@desk.test"])
    assert [code for code, _ in replies] == [552, 552], replies


# ---------------------------------------------------------------- logs


def test_the_daemons_logs_over_an_intake_name_no_address_and_no_phone(
    ledger: Ledger, lmtp_two_centers: Any, tmp_path: Path
) -> None:
    from supervision_daemon.daemon import configure_logging

    root = logging.getLogger()
    kept = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging(stream=stream)
    try:
        _send(lmtp_two_centers.lmtp_port, mail(msgid="<logged@example.cn>"), ["galutu@desk.test"])
        folder = tmp_path / "drop"
        folder.mkdir()
        rows = [*calls(0, 3), ["GD1", "2026-03-02 09:15", SUPERVISOR_PHONE, "巴特尔", "", "态度差", "乌审召镇", "", ""]]  # fmt: skip
        write_rows(folder / "calls.csv", [HEADER, *rows])
        (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook " + SUPERVISOR.encode())
        import_folder(ledger, folder, "wushenzhao")
        logging.getLogger("channels.test").warning(
            "a record naming %s, %s and 150626199001011234", SUPERVISOR, SUPERVISOR_PHONE
        )
    finally:
        root.handlers[:], _ = kept
        root.setLevel(kept[1])
    text = stream.getvalue()
    assert "sender: b***@example.cn" in text  # aiosmtpd's own line, masked
    assert "imported calls.csv" in text and "could not import broken.xlsx" in text
    assert "a record naming b***@example.cn, 139****2345 and 150626********1234" in text
    for personal in (SUPERVISOR, SUPERVISOR_PHONE, "13900000001", "199001011234"):
        assert personal not in text


# ---------------------------------------------------------------- the walk-in form's letters


CHOICES = FormChoices(
    centers={"wushenzhao": "乌审召镇便民服务中心"},
    supervisors={7: ("巴特尔", "wushenzhao"), 8: ("苏和", "wushenzhao")},
    units={},
    today=dt.date(2026, 3, 2),
    appointed={7: dt.date(2026, 1, 1)},
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def letter(written: str, **fields: str) -> dict[str, str]:
    values = {
        "form_key": "b" * 24,
        "center": "wushenzhao",
        "reporter": "supervisor",
        "supervisor_id": "7",
        "mode": "letter",
        "description": "来信反映窗口无人",
        "letter_date": written,
    }
    return {**values, **fields}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (letter("0001-01-01"), "早于该监督员的聘期开始日（2026年01月01日）"),
        (letter("2025-12-31"), "早于该监督员的聘期开始日"),
        (letter("2026-03-03"), "不能晚于今天"),
        (letter("0001-01-01", supervisor_id="8"), "不能早于 2025年03月01日"),
        (
            letter(
                "1999-05-01", reporter="visitor", visitor_name="李四", visitor_phone="13512345678"
            ),
            "一年以前",
        ),
    ],
)
def test_an_implausible_letter_date_is_refused_in_chinese(
    fields: dict[str, str], message: str
) -> None:
    now = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    report, errors = validate_walk_in(
        fields, [Upload("信.jpg", JPEG, "scan")], CHOICES, received_at=now
    )
    assert report is None and message in errors["letter_date"]
    fine, none = validate_walk_in(
        {**fields, "letter_date": "2026-01-05"},
        [Upload("信.jpg", JPEG, "scan")],
        CHOICES,
        received_at=now,
    )
    assert none == {} and fine is not None

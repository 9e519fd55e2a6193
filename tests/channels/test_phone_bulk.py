"""A large call log: the fast path, the reading process, the bulk quarantine.

Most calls in a hotline's export come from people who are not supervisors. Those rows
take a fast path (no report object) and are stored in bulk, read by a child process
for large files; these tests hold each shortcut to what the general path does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from test_phone_log import HOTLINE_HEADER as HEADER

import channels.phone.importer as phone_log
import channels.phone.tabular as tabular
from channels.phone.importer import import_call_log
from channels.phone.reader import ChildReader
from channels.phone.rows import CenterNames, FastRows, RowRejected, RowRules
from channels.phone.tabular import FIELD_LIMIT
from supervision_core import (
    SHANGHAI,
    BulkQuarantine,
    ContactKind,
    Identity,
    InvalidInput,
    Ledger,
    NewSupervisor,
    PluginManager,
    QuarantineReason,
    copy_text,
    hookimpl,
    match_profile,
    stage_quarantine,
)
from supervision_core.testing import HookRecorder, wait_until

SUPERVISOR = "13948772345"
NAUGHTY = [
    "'; DROP TABLE report; --",
    "\u202etxt.exe",
    "Ω≈ç√",
    "😀",
    "<script>x</script>",
    "\\N",
    "NULL",
    "0x0",
]


@pytest.fixture
def ledger(supdesk_ledger: Ledger, supdesk_clock: Any) -> Ledger:
    # The files' calls are of March 2026: they are imported after them.
    supdesk_clock.set(dt.datetime(2026, 3, 31, 18, 0, tzinfo=SHANGHAI))
    supdesk_ledger.add_supervisor(
        NewSupervisor(
            name="巴特尔", center="wushenzhao", identities=[Identity(ContactKind.PHONE, SUPERVISOR)]
        )
    )
    return supdesk_ledger


@pytest.fixture
def quiet(supdesk_plugin_manager: PluginManager, ledger: Ledger) -> Ledger:
    """The ledger with no plugin listening for quarantined reports: the fastest path."""
    supdesk_plugin_manager.unregister(name="supdesk-recorder")
    assert not ledger.host.listens("supervision_report_quarantined")
    return ledger


def _rules(ledger: Ledger, default_center: str | None = None) -> RowRules:
    match = match_profile([HEADER], [ledger.import_profiles()["hotline"]])
    assert match is not None
    return RowRules(
        match=match,
        centers=CenterNames.of(ledger),
        default_center=default_center,
        directory=ledger.identity_table(ContactKind.PHONE),
    )


TIMES: list[Any] = [
    "2026-03-02 09:15",
    "2026-03-02 09:15:30",
    "2026-03-02 24:15",
    "2026-02-30 09:15",
    "1989-03-02 09:15",
    "1990-07-01 12:00",  # China kept summer time then: +09:00
    "2026-03-02 09:60",
    "2026-03-02 09:5x",
    "２０２６-03-02 09:15",
    " 2026-03-02 09:15",
    "2026/3/2 9:15",
    "2026-03-02T09:15",
    "",
    dt.datetime(2026, 3, 2, 9, 15, 7, 123456),
    dt.datetime(1991, 7, 1, 3, 5),
    dt.date(2026, 3, 2),
    46000.5,
]
PHONES: list[Any] = [
    "13900001111",
    SUPERVISOR,
    "8613900001111",
    "008613900001111",
    "1390000",
    "1234",
    "1234567890123456",
    "１３９００００１１１１",
    "139-0000-1111",
    13900001111,
    13900001111.0,
]
TOWNSHIPS = ["乌审召镇", "乌审召", "wushenzhao", " 乌审召镇 ", "", "火星镇", "WUSHENZHAO"]
CATEGORIES = ["来回跑", "服务态度", "其他", "", " 乱收费 "]
RECORDS: list[Any] = ["GD1", " GD2 ", "", 123.0, "合计"]
TEXTS = [("窗口无人", "镇中心无人"), ("同样", "同样"), ("", "只有内容"), ("只有摘要", ""), ("", "")]


def _rows(count: int, seed: int) -> list[list[Any]]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        summary, content = rng.choice(TEXTS)
        row = [
            rng.choice(RECORDS) if n % 3 == 0 else f"GD{n}",
            rng.choice(TIMES),
            rng.choice(PHONES),
            rng.choice(["张三", "", "  "]),
            summary,
            content,
            rng.choice(TOWNSHIPS),
            rng.choice(["大厅", "", " 窗口 "]),
            rng.choice(CATEGORIES),
        ]
        if n % 5 == 0:
            row[rng.randrange(len(row))] = rng.choice(NAUGHTY)
        if n % 11 == 0:
            row.append("多出的一列\ufffd" if n % 2 else "多出的一列")
        rows.append(row)
    # Plain rows, the most common kind, so the fast path surely has work.
    rows += [
        [
            f"R{n}",
            "2026-03-02 10:00",
            f"1390000{n:04d}",
            "李四",
            "来回跑",
            "第二次",
            "乌审召镇",
            "大厅",
            "来回跑",
        ]
        for n in range(200)
    ]
    return rows


@pytest.mark.parametrize("default_center", [None, "galutu"])
def test_fast_rows_agree_with_the_general_path(ledger: Ledger, default_center: str | None) -> None:
    rules = _rules(ledger, default_center)
    fast = FastRows(rules)
    assert fast.ok
    taken = 0
    for row in _rows(3000, seed=7):
        plain = fast.row(list(row))
        try:
            report = rules.report(list(row))
        except RowRejected:
            assert plain is None, row  # a row the general path refuses is never taken
            continue
        expected = rules.unmatched(report)
        if plain is not None:
            taken += 1
            assert plain == expected, row
    assert taken > 250


def test_fast_rows_stand_aside_for_a_matcher_plugin(
    supdesk_plugin_manager: PluginManager, ledger: Ledger, tmp_path: Path
) -> None:
    """A township's own matcher: no row takes the shortcut, and its answer counts."""
    sid = ledger.add_supervisor(
        NewSupervisor(
            name="苏和", center="wushenzhao", identities=[Identity(ContactKind.EMAIL, "s@x.cn")]
        )
    ).id

    class DeskPhone:
        @hookimpl(tryfirst=True)
        def supervision_match_sender(self, sender: Any, center: Any, directory: Any) -> int | None:
            return sid if sender.value == "04738888888" else None

    supdesk_plugin_manager.register(DeskPhone(), name="desk-phone")
    assert not ledger.host.matches_by_identity_only()
    path = _csv(
        tmp_path / "calls.csv",
        [["GD1", "2026-03-02 09:15", "04738888888", "", "", "等了两小时", "乌审召镇", "", ""]],
    )
    summary = import_call_log(ledger, path, actor="op")
    assert (summary.imported, summary.quarantined) == (1, 0)
    assert ledger.issue("wushenzhao-2026-00001").supervisor_id == sid


def _csv(path: Path, rows: list[list[Any]], encoding: str = "gbk") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["乌审旗政务服务热线工单导出"])
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    return path


def _stored(ledger: Ledger) -> dict[str, tuple[Any, ...]]:
    columns = "external_id, center_code, sender_value, sender_name, subject, text, problem_type, venue, status, quarantine_reason, quarantine_detail, supervisor_id"
    with ledger.engine.connect() as connection:
        rows = connection.execute(sa.text(f"SELECT {columns}, received_at FROM report")).all()
    stored = {}
    for row in rows:
        received = row[-1]
        if isinstance(received, str):  # SQLite keeps text
            received = dt.datetime.fromisoformat(received).replace(tzinfo=dt.UTC)
        stored[row[0]] = (*row[1:-1], received.astimezone(SHANGHAI))
    return stored


def _expected(ledger: Ledger, rows: list[list[Any]]) -> dict[str, tuple[Any, ...]]:
    """What the general path makes of each row (the first of an id wins)."""
    rules = _rules(ledger)
    expected: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        try:
            report = rules.report([str(c) for c in row])
        except RowRejected:
            continue
        if report.external_id in expected:
            continue
        supervisor = rules.directory.get(report.sender.normalized) if rules.directory else None
        expected[report.external_id] = (
            report.center,
            report.sender.value,
            report.sender.display_name,
            report.subject,
            report.text,
            report.hints.problem_type.value if report.hints.problem_type else None,
            report.hints.venue,
            "filed" if supervisor else "quarantined",
            None if supervisor else "unmatched_sender",
            None if supervisor else f"phone:{report.sender.value} 未登记",
            supervisor,
            report.received_at,
        )
    return expected


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Chunks of 250 rows, and the child taking over after the first: counted."""
    monkeypatch.setattr(phone_log, "_CHUNK_ROWS", 250)
    monkeypatch.setattr(ChildReader, "ready", lambda self: True)
    read_by_child: list[int] = []
    original = ChildReader.read

    def counting(self: ChildReader, job: Any) -> Any:
        for chunk in original(self, job):
            read_by_child.append(chunk.read)
            yield chunk

    monkeypatch.setattr(ChildReader, "read", counting)
    return read_by_child


def _file_rows(count: int) -> list[list[Any]]:
    rng = random.Random(5)
    rows = []
    for n in range(count):
        phone = SUPERVISOR if n % 40 == 0 else f"139{rng.randrange(10**8):08d}"
        rows.append(
            [
                f"GD{n % 1900}",
                "2026-03-02 09:15",
                phone,
                "张三",
                "来回跑",
                f"第{n}次",
                "乌审召镇",
                "大厅",
                "来回跑",
            ]
        )
    rows[100][1] = "2026-02-30 09:15"  # rejected
    rows[700][2] = "8613900001111"  # the general path, in the child
    rows[-1][4] = NAUGHTY[0]
    return rows


@pytest.mark.parametrize("listening", [False, True], ids=["quiet", "listening"])
def test_a_child_process_reads_what_this_one_would(
    request: pytest.FixtureRequest,
    ledger: Ledger,
    small_chunks: list[int],
    supdesk_recorder: HookRecorder,
    tmp_path: Path,
    listening: bool,
) -> None:
    if not listening:
        request.getfixturevalue("quiet")
    rows = _file_rows(2000)  # ids repeat after 1,900: already present
    path = _csv(tmp_path / "calls.csv", rows)
    summary = import_call_log(ledger, path, actor="op", parallel=True)
    assert sum(small_chunks) > 1500  # the child read most of it
    expected = _expected(ledger, rows)
    assert (summary.read, summary.rejected) == (2000, 1)
    assert summary.imported == sum(1 for e in expected.values() if e[7] == "filed")
    assert summary.quarantined == sum(1 for e in expected.values() if e[7] == "quarantined")
    assert summary.already_present == 2000 - 1 - len(expected)
    assert _stored(ledger) == expected
    told = supdesk_recorder.named("supervision_report_quarantined")
    assert len(told) == (summary.quarantined if listening else 0)
    again = import_call_log(ledger, path, actor="op", parallel=True)
    assert (again.imported, again.quarantined, again.already_present) == (0, 0, 1999)


def test_a_file_that_breaks_off_in_the_child_keeps_what_came_before(
    quiet: Ledger, small_chunks: list[int], tmp_path: Path
) -> None:
    rows = _file_rows(1000)
    rows[900][5] = "x" * (FIELD_LIMIT + 1)  # over the field limit: as if a quote were left open
    path = _csv(tmp_path / "calls.csv", rows)
    with pytest.raises(InvalidInput, match="此前的行已导入"):
        import_call_log(quiet, path, actor="op", parallel=True)
    assert len(_stored(quiet)) >= 750  # the chunks before the break


def test_a_child_that_dies_is_a_clear_error(
    quiet: Ledger, small_chunks: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("channels.phone.reader.sys.executable", "/bin/false")
    path = _csv(tmp_path / "calls.csv", _file_rows(1000))
    with pytest.raises(InvalidInput, match="读取文件的子进程意外退出"):
        import_call_log(quiet, path, actor="op", parallel=True)
    assert 250 <= len(_stored(quiet)) < 300  # the first chunk, read here (and its reports)


def _bulk_rows(count: int) -> list[tuple[Any, ...]]:
    return [
        BulkQuarantine(
            f"wushenzhao:rec:{n}",
            "wushenzhao",
            "2026-03-02 01:15:00.000000",
            f"1390000{n:04d}",
            None,
            None,
            f"第{n}次 {NAUGHTY[n % len(NAUGHTY)]}",
            "back_and_forth" if n % 2 else None,
            "大厅",
            f"phone:1390000{n:04d} 未登记",
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("staged", [False, True], ids=["rows", "staged"])
def test_bulk_quarantine_is_idempotent_and_dry_runs_store_nothing(
    quiet: Ledger, tmp_path: Path, staged: bool
) -> None:
    rows = _bulk_rows(300)

    def keep(part: list[tuple[Any, ...]], dry_run: bool = False) -> int:
        args = ("phone_log", ContactKind.PHONE, QuarantineReason.UNMATCHED_SENDER)
        if not staged:
            return quiet.quarantine_many(*args, part, dry_run=dry_run)
        file = tmp_path / f"stage-{random.random()}.db"
        stage_quarantine(str(file), part)
        return quiet.quarantine_staged(*args, file, dry_run=dry_run)

    assert keep(rows, dry_run=True) == 300
    assert quiet.quarantine() == []
    assert keep(rows[:200]) == 200
    assert keep(rows + rows[:10]) == 100  # the rest stored already, and a repeat
    held = {q.external_id: q for q in quiet.quarantine()}
    assert len(held) == 300
    one = held["wushenzhao:rec:7"]
    assert one.received_at == dt.datetime(2026, 3, 2, 9, 15, tzinfo=SHANGHAI)
    assert one.reason is QuarantineReason.UNMATCHED_SENDER
    assert one.text == f"第7次 {NAUGHTY[7]}" and one.sender.value == "13900000007"


def test_bulk_quarantine_tells_listening_plugins_once(
    ledger: Ledger, supdesk_recorder: HookRecorder
) -> None:
    rows = _bulk_rows(50)
    args = ("phone_log", ContactKind.PHONE, QuarantineReason.UNMATCHED_SENDER)
    ledger.quarantine_many(*args, rows[:20])
    ledger.quarantine_many(*args, rows + rows[:5])
    told = supdesk_recorder.named("supervision_report_quarantined")
    assert sorted(c.kwargs["report"].external_id for c in told) == sorted(r[0] for r in rows)
    first = told[0].kwargs["quarantined"]
    assert ledger.report(first.id).external_id == first.external_id


def _book(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["嘎鲁图镇来电登记表"])
    sheet.merge_cells("A1:I1")
    sheet.append(HEADER)
    for n in range(40):
        sheet.append(
            [
                f"X{n}",
                dt.datetime(2026, 3, 2, 9, n),
                f"1390000{n:04d}" if n % 4 else 13900001111,
                "",
                "来回跑",
                f"第{n}次",
                "嘎鲁图镇" if n < 20 else None,
                "",
                "来回跑",
            ]
        )
    sheet.merge_cells("G3:G22")  # one township written beside twenty calls
    sheet["G23"] = "乌审召镇"
    sheet.merge_cells("G23:G42")
    book.save(path)
    return path


def test_xlsx_read_whole_or_streamed_gives_the_same(
    quiet: Ledger, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    book = _book(tmp_path / "calls.xlsx")
    whole = import_call_log(quiet, book, actor="op", dry_run=True)
    monkeypatch.setattr(tabular, "_IN_MEMORY_SHEET", 0)  # streamed by openpyxl instead
    streamed = import_call_log(quiet, book, actor="op")
    assert whole.counts() == streamed.counts()
    assert (streamed.read, streamed.quarantined, streamed.rejected) == (40, 40, 0)
    centers = {q.external_id: q.center for q in quiet.quarantine()}
    assert centers["galutu:rec:X19"] == "galutu" and centers["wushenzhao:rec:X20"] == "wushenzhao"


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
def test_merged_ranges_found_across_block_boundaries(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, block: int
) -> None:
    book = _book(tmp_path / "calls.xlsx")
    monkeypatch.setattr(tabular, "_BLOCK", block)
    part = tabular._sheet_parts(book)["Sheet"]
    assert tabular._merged_ranges(book, part) == [(1, 1, 1, 9), (3, 7, 22, 7), (23, 7, 42, 7)]


def test_rows_agree_on_every_combination_of_plain_cells(ledger: Ledger) -> None:
    """Every combination of the plain forms, exhaustively: the shortcut is exact."""
    rules = _rules(ledger, "galutu")
    fast = FastRows(rules)
    for when, phone, town, category in itertools.product(
        TIMES[:8], PHONES[:7], TOWNSHIPS, CATEGORIES
    ):
        row = ["GD1", when, phone, "张三", "来回跑", "第二次", town, "大厅", category]
        plain = fast.row(list(row))
        if plain is not None:
            assert plain == rules.unmatched(rules.report(list(row))), row


def test_a_batch_larger_than_a_statements_parameters_rolls_back(
    quiet: Ledger, tmp_path: Path
) -> None:
    """More reports than a statement may bind: 65,535 on PostgreSQL, 250,000 in Debian's SQLite."""
    count = 260_000 if quiet.engine.dialect.name == "sqlite" else 70_000
    rows = [
        [
            f"GD{n}",
            "2026-03-02 09:15",
            SUPERVISOR if n % 10_000 == 0 else f"139{n:08d}",
            "",
            "",
            f"第{n}次",
            "乌审召镇",
            "",
            "",
        ]
        for n in range(count)
    ]
    path = _csv(tmp_path / "calls.csv", rows)
    summary = import_call_log(quiet, path, actor="op")
    filed = count // 10_000
    assert (summary.imported, summary.quarantined) == (filed, count - filed)
    assert quiet.rollback_batch(summary.batch, actor="op") == count
    assert quiet.quarantine() == [] and quiet.issues() == []
    again = import_call_log(quiet, path, actor="op")
    assert (again.imported, again.quarantined) == (filed, count - filed)


_KILLABLE = """
import sys
from pathlib import Path
from channels.phone.importer import import_call_log
from supervision_core import get_plugin_manager, open_ledger
from supervision_core.demo import demo_settings

ledger = open_ledger(sys.argv[1], settings=demo_settings(),
                     plugin_manager=get_plugin_manager(load_entrypoints=False))
summary = import_call_log(ledger, Path(sys.argv[2]), actor="op", parallel=True)
print(summary.read, summary.imported, summary.quarantined, summary.already_present)
"""  # fmt: skip


def test_an_import_killed_at_any_moment_loses_nothing_and_finishes_on_the_next_run(
    supdesk_database_url: str, ledger: Ledger, tmp_path: Path
) -> None:
    """SIGKILL while a child reads and this process writes; run again: every call once."""
    count = 120_000
    rows = [
        [f"GD{n}", "2026-03-02 09:15", SUPERVISOR if n % 500 == 0 else f"139{n:08d}", "", "",
         f"第{n}次", "乌审召镇", "", ""]
        for n in range(count)
    ]  # fmt: skip
    path = _csv(tmp_path / "calls.csv", rows)
    command = [sys.executable, "-c", _KILLABLE, supdesk_database_url, str(path)]

    def stored() -> tuple[int, int, int]:
        with ledger.engine.connect() as connection:
            reports, distinct = connection.execute(
                sa.text("SELECT count(*), count(DISTINCT external_id) FROM report")
            ).one()
            issues = connection.execute(sa.text("SELECT count(*) FROM issue")).scalar()
        return reports, distinct, issues

    seen = 0
    for _ in range(2):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Killed once it has committed more than before.
        wait_until(lambda seen=seen, process=process: stored()[0] > seen or process.poll() is not None,
                   timeout=120, what="more reports committed", interval=0.01)  # fmt: skip
        process.kill()
        process.communicate()
        seen = stored()[0]
        assert 0 < seen < count  # half-way, really
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    read, imported, quarantined, present = map(int, done.stdout.split())
    assert read == count and imported + quarantined + present == count and present >= seen
    assert stored() == (count, count, count // 500)


def test_a_file_of_supervisors_calls_comes_over_a_chunk_at_a_time(
    quiet: Ledger, small_chunks: list[int], tmp_path: Path
) -> None:
    """Nothing to stage: the child still sends each chunk as it is read."""
    rows = [
        [f"S{n}", "2026-03-02 09:15", SUPERVISOR, "", "", f"第{n}次", "乌审召镇", "", ""]
        for n in range(1200)
    ]
    summary = import_call_log(quiet, _csv(tmp_path / "calls.csv", rows), actor="op", parallel=True)
    assert (summary.read, summary.imported, summary.quarantined) == (1200, 1200, 0)
    assert len(small_chunks) >= 3 and max(small_chunks) <= 250


def test_bulk_quarantine_keeps_every_value_and_the_first_of_a_repeat(quiet: Ledger) -> None:
    # On PostgreSQL the rows go in by COPY: its text format must not change a value
    # (tabs, newlines, backslashes, "\N" against a real NULL, an empty text).
    awkward = ["a\tb", "一行\n二行\r\n", "\\N", "back\\slash", "", "\\.", *NAUGHTY]
    rows = [
        (
            f"wushenzhao:odd:{n}",
            "wushenzhao",
            "2026-03-02 01:15:00.000000",
            f"1391111{n:04d}",
            text if n % 2 else None,
            None if n % 3 else text,
            text,
            None,
            "大厅\t二楼",
            text if n % 4 else None,
        )
        for n, text in enumerate(awkward)
    ]
    first = ("wushenzhao:odd:0", *rows[1][1:6], "后来的一行", *rows[1][7:])
    args = ("phone_log", ContactKind.PHONE, QuarantineReason.UNMATCHED_SENDER)
    assert quiet.quarantine_many(*args, [*rows, first]) == len(rows)
    held = sorted(quiet.quarantine(), key=lambda q: q.id)
    # Stored in the order given, the first of a repeated id kept.
    assert [q.external_id for q in held] == [r[0] for r in rows]
    for q, row in zip(held, rows, strict=True):
        assert q.text == row[6]
        assert q.sender.display_name == row[4]
        assert q.subject == row[5]
        assert q.detail == row[9]


def test_bulk_quarantine_gives_way_to_rows_stored_already(quiet: Ledger) -> None:
    # PostgreSQL copies the rows straight into the report table; one stored already
    # (by an earlier run, by another process) sends the chunk the way that skips it.
    rows = _bulk_rows(60)
    args = ("phone_log", ContactKind.PHONE, QuarantineReason.UNMATCHED_SENDER)
    assert quiet.quarantine_many(*args, rows[30:55]) == 25
    assert quiet.quarantine_many(*args, rows + rows[:3]) == 35
    held = sorted(quiet.quarantine(), key=lambda q: q.id)
    assert [q.external_id for q in held] == [r[0] for r in rows[30:55] + rows[:30] + rows[55:]]
    assert quiet.quarantine_many(*args, rows, dry_run=True) == 0
    assert quiet.quarantine_many(*args, rows[:1] + _bulk_rows(61)[60:], dry_run=True) == 1


def test_copy_text_reads_back_every_value_as_it_was() -> None:
    rows = [*_bulk_rows(len(NAUGHTY)), _bulk_rows(1)[0]]  # the last repeats the first id
    rows.append(
        (
            "x:tab",
            "tuke",
            "2026-03-02 01:15:00.000000",
            "1",
            "a\tb",
            "c\nd",
            "e\\f\r",
            "",
            None,
            "\\N",
        )
    )
    text = copy_text(rows)
    assert (text.rows, text.given) == (len(rows) - 1, len(rows))
    assert text.data.count(b"\n") == text.rows  # one line a row: no value breaks one
    assert text.tuples() == [tuple(r) for r in rows[:-2]] + [rows[-1]]


def test_rows_as_copy_text_are_stored_as_the_same_rows_as_tuples(
    quiet: Ledger, tmp_path: Path
) -> None:
    """The reading process's COPY text (PostgreSQL) or its tuples again (SQLite): the same
    reports in quarantine, a repeated id stored once, a stored one left alone."""
    args = ("phone_log", ContactKind.PHONE, QuarantineReason.UNMATCHED_SENDER)
    rows = _bulk_rows(len(NAUGHTY) * 3)
    assert quiet.quarantine_many(*args, rows[:10]) == 10
    # Repeats within the text and ids stored before: the stored rows stand.
    assert quiet.quarantine_many(*args, copy_text(rows + rows[20:25])) == len(rows) - 10
    assert quiet.quarantine_many(*args, copy_text(rows), dry_run=True) == 0
    stored = {q.external_id: q for q in quiet.quarantine()}
    assert set(stored) == {r[0] for r in rows}
    for r in rows:
        one = quiet.report(stored[r[0]].id)
        assert (one.text, one.sender.value, one.subject) == (r[6], r[3], r[5])
        assert one.hints.problem_type == r[7] and one.center == r[1]

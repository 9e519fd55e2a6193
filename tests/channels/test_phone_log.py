"""The phone channel on files written the way offices write them, on both databases."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest
from click.testing import CliRunner

from channels.phone.importer import import_call_log, parse_phone, parse_time
from channels.phone.tabular import detect_encoding
from supervision_core import (
    SHANGHAI,
    ColumnProfile,
    ConfigError,
    ContactKind,
    Identity,
    InvalidInput,
    Ledger,
    NewSupervisor,
    Settings,
)

T = dt.datetime


@pytest.fixture
def ledger(supdesk_ledger: Ledger, supdesk_clock: Any) -> Ledger:
    # The files' calls are of March 2026: they are imported after them.
    supdesk_clock.set(dt.datetime(2026, 3, 31, 18, 0, tzinfo=SHANGHAI))
    supdesk_ledger.add_supervisor(
        NewSupervisor(
            name="巴特尔",
            center="wushenzhao",
            identities=[Identity(ContactKind.PHONE, "13948772345")],
        )
    )
    supdesk_ledger.add_supervisor(
        NewSupervisor(
            name="乌云", center="galutu", identities=[Identity(ContactKind.PHONE, "18647773456")]
        )
    )
    return supdesk_ledger


HOTLINE_HEADER = [
    "工单编号",
    "来电时间",
    "来电号码",
    "来电人",
    "诉求标题",
    "诉求内容",
    "所属苏木镇",
    "事发地点",
    "诉求类型",
]
HOTLINE_ROWS = [
    [
        "GD2026030001",
        "2026-03-02 09:15",
        "13948772345",
        "巴特尔",
        "窗口无人",
        "镇便民服务中心中午无人值守",
        "乌审召镇",
        "乌审召镇便民服务中心",
        "服务态度",
    ],
    [
        "GD2026030002",
        "2026/3/2 10:40",
        "186-4777-3456",
        "乌云",
        "来回跑",
        "社保卡补办来回跑了两趟",
        "嘎鲁图镇",
        "",
        "来回跑",
    ],
    [
        "GD2026030003",
        "2026年3月2日 14时30分",
        "13900001111",
        "张三",
        "乱收费",
        "代办收费500元",
        "乌审召",
        "",
        "乱收费",
    ],
]


def write_csv(path: Path, rows: list[list[Any]], encoding: str, delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_gbk_csv_with_title_rows_blank_and_total_rows(ledger: Ledger, tmp_path: Path) -> None:
    rows = [
        ["乌审旗政务服务热线工单导出"],
        ["导出时间：2026年3月3日"],
        HOTLINE_HEADER,
        *HOTLINE_ROWS,
        [],
        ["合计", "3"],
    ]
    path = write_csv(tmp_path / "工单.csv", rows, "gbk")
    summary = import_call_log(ledger, path, actor="op")
    assert (summary.encoding, summary.profile) == ("gb18030", "hotline")
    assert (summary.read, summary.imported, summary.quarantined, summary.rejected) == (3, 2, 1, 0)
    assert summary.skipped == 2
    issue = ledger.issue("wushenzhao-2026-00001")
    assert issue.received_at == T(2026, 3, 2, 9, 15, tzinfo=SHANGHAI)
    assert issue.text == "窗口无人\n镇便民服务中心中午无人值守"
    assert issue.hints.venue == "乌审召镇便民服务中心"
    assert ledger.issue("galutu-2026-00001").hints.problem_type == "back_and_forth"
    (held,) = ledger.quarantine()
    assert held.sender.value == "13900001111" and held.sender.display_name == "张三"
    assert held.center == "wushenzhao" and held.received_at == T(
        2026, 3, 2, 14, 30, tzinfo=SHANGHAI
    )
    batch = ledger.batches()[0]
    assert (
        batch.counts["imported"] == 2
        and batch.source_name == "工单.csv"
        and len(batch.checksum) == 64
    )


def test_importing_again_and_overlapping_exports_add_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "a.csv", [HOTLINE_HEADER, *HOTLINE_ROWS[:2]], "utf-8-sig")
    second = write_csv(tmp_path / "b.csv", [HOTLINE_HEADER, *HOTLINE_ROWS[1:]], "utf-8")
    assert import_call_log(ledger, first, actor="op").imported == 2
    again = import_call_log(ledger, first, actor="op")
    assert (again.imported, again.already_present) == (0, 2)
    overlap = import_call_log(ledger, second, actor="op")
    assert (overlap.already_present, overlap.quarantined) == (1, 1)
    assert sum(ledger.count_by_center_and_state().values()) == 2


def test_rows_without_record_id_are_identified_by_content(ledger: Ledger, tmp_path: Path) -> None:
    header = ["日期", "时间", "姓名", "联系电话", "反映问题", "苏木镇"]
    rows = [
        header,
        ["2026/3/2", "9:05", "巴特尔", "13948772345", "窗口工作人员玩手机", "乌审召镇"],
        ["2026/3/2", "下午3:20", "巴特尔", "13948772345", "自助机坏了", "乌审召镇"],
    ]
    path = write_csv(tmp_path / "登记表.csv", rows, "gb18030")
    summary = import_call_log(ledger, path, actor="op")
    assert (summary.profile, summary.imported) == ("township-ledger", 2)
    assert ledger.issue("wushenzhao-2026-00002").received_at == T(
        2026, 3, 2, 15, 20, tzinfo=SHANGHAI
    )
    assert import_call_log(ledger, path, actor="op").already_present == 2


def test_utf16_tab_separated_excel_unicode_text(ledger: Ledger, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "unicode.txt", [HOTLINE_HEADER, HOTLINE_ROWS[0]], "utf-16", delimiter="\t"
    )
    summary = import_call_log(ledger, path, actor="op")
    assert summary.encoding == "utf-16" and summary.imported == 1


def test_xlsx_with_merged_township_serial_dates_and_numeric_phones(
    ledger: Ledger, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["乌审召镇来电登记表（2026年3月）"])
    ws.merge_cells("A1:F1")
    ws.append(["日期", "时间", "姓名", "联系电话", "反映问题", "苏木镇"])
    ws.append(
        [T(2026, 3, 2, 0, 0), "09:00", "巴特尔", 13948772345, "窗口工作人员玩手机", "乌审召镇"]
    )
    ws.append(
        [46083, "10:00", "巴特尔", 13948772345.0, "自助机无法打印", None]
    )  # serial 46083 = 2026-03-02
    ws.append([T(2026, 3, 2, 11, 30), None, "某人", "1.39480E+10", "有人代办收费", None])
    ws.merge_cells("F3:F5")
    path = tmp_path / "登记表.xlsx"
    wb.save(path)
    summary = import_call_log(ledger, path, actor="op")
    assert (summary.imported, summary.rejected) == (2, 1)
    second = ledger.issue("wushenzhao-2026-00002")
    assert second.received_at == T(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    (rejected,) = summary.rejects
    assert rejected.row == 5 and rejected.column == "联系电话" and "科学计数法" in rejected.reason


def test_rejects_are_reported_written_and_can_be_imported_again(
    ledger: Ledger, tmp_path: Path
) -> None:
    rows = [
        HOTLINE_HEADER,
        HOTLINE_ROWS[0],
        ["GD9", "昨天下午", "13948772345", "", "", "有人插队", "乌审召镇", "", ""],
        ["GD10", "2026-03-02 11:00", "13948772345", "", "", "", "乌审召镇", "", ""],
        ["GD11", "2026-03-02 11:00", "13948772345", "", "", "窗口关闭", "火星镇", "", ""],
    ]
    path = write_csv(tmp_path / "calls.csv", rows, "utf-8")
    summary = import_call_log(ledger, path, actor="op")
    assert (summary.imported, summary.rejected) == (1, 3)
    reasons = {(r.row, r.column): r.reason for r in summary.rejects}
    assert reasons[(3, "来电时间")] == "无法识别的时间：'昨天下午'"
    assert reasons[(4, "诉求内容")] == "没有反映内容"
    assert reasons[(5, "所属苏木镇")] == "未配置的苏木镇/中心：火星镇"
    rejects = Path(summary.rejects_file or "")
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][-3:] == ["错误行号", "错误列", "错误原因"]
    assert [r[-3] for r in table[1:]] == ["3", "4", "5"]
    fixed = [r[: len(HOTLINE_HEADER)] for r in table]
    fixed[1][1], fixed[2][5], fixed[3][6] = "2026-03-02 15:00", "有人插队代办", "图克镇"
    write_csv(tmp_path / "fixed.csv", fixed, "utf-8-sig")
    again = import_call_log(ledger, tmp_path / "fixed.csv", actor="op")
    assert (again.imported, again.rejected) == (3, 0)


def test_no_profile_fits_lists_columns_found_and_fields_missing(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "x.csv", [["编号", "电话", "备注"], ["1", "13948772345", "x"]], "utf-8"
    )
    with pytest.raises(ConfigError) as info:
        import_call_log(ledger, path, actor="op", center="tuke")
    assert "编号、电话、备注" in str(info.value) and "来电时间" in str(info.value)
    with pytest.raises(ConfigError, match="缺少"):
        import_call_log(ledger, path, actor="op", profile="hotline")
    with pytest.raises(ConfigError, match="没有名为 'nope'"):
        import_call_log(ledger, path, actor="op", profile="nope")


def test_rows_without_township_need_a_center(ledger: Ledger, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        [["来电时间", "来电号码", "内容"], ["2026-03-02 09:00", "13948772345", "窗口人员离岗"]],
        "utf-8",
    )
    assert import_call_log(ledger, path, actor="op").rejected == 1
    done = import_call_log(ledger, path, actor="op", center="wushenzhao")
    assert done.imported == 1


def test_dry_run_stores_nothing(ledger: Ledger, tmp_path: Path, supdesk_recorder: Any) -> None:
    path = write_csv(tmp_path / "d.csv", [HOTLINE_HEADER, *HOTLINE_ROWS], "utf-8")
    supdesk_recorder.clear()
    preview = import_call_log(ledger, path, actor="op", dry_run=True)
    assert (preview.imported, preview.quarantined) == (2, 1)
    assert (
        ledger.count_by_center_and_state() == {}
        and ledger.quarantine() == []
        and ledger.batches() == []
    )
    assert supdesk_recorder.calls == []
    real = import_call_log(ledger, path, actor="op")
    assert real.imported == 2 and ledger.issue("wushenzhao-2026-00001")  # numbering was not used up


def test_rollback_through_the_command_line(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supervision_core.cli import cli, main  # noqa: F401

    path = write_csv(tmp_path / "e.csv", [HOTLINE_HEADER, *HOTLINE_ROWS], "gbk")
    monkeypatch.setenv(
        "SUPDESK_DATABASE_URL", ledger.engine.url.render_as_string(hide_password=False)
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / "supdesk.toml").write_text(_demo_config(), encoding="utf-8")
    from supervision_core import PluginHost, get_plugin_manager

    PluginHost(get_plugin_manager(load_entrypoints=False)).register_commands(cli)
    runner = CliRunner()
    result = runner.invoke(cli, ["import", "calls", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["imported"], data["quarantined"], data["profile"]) == (2, 1, "hotline")
    human = runner.invoke(cli, ["import", "calls", str(path)], catch_exceptions=False)
    assert "已存在 3" in human.output
    listed = runner.invoke(cli, ["import", "batches"], catch_exceptions=False)
    assert "e.csv" in listed.output
    rolled = runner.invoke(cli, ["import", "rollback", str(data["batch"])], catch_exceptions=False)
    assert rolled.exit_code == 0 and "移除反馈 3 条" in rolled.output
    assert ledger.count_by_center_and_state() == {}
    broken = runner.invoke(cli, ["import", "calls", str(tmp_path / "missing.csv")])
    assert broken.exit_code != 0 and "Traceback" not in broken.output


def _demo_config() -> str:
    from supervision_core.demo import demo_config_text

    return demo_config_text()


# ------------------------------------------------------------------ values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-05 14:30", T(2026, 3, 5, 14, 30)),
        ("2026/3/5", T(2026, 3, 5)),
        ("2026年3月5日 14时30分", T(2026, 3, 5, 14, 30)),
        ("2026年3月5日14时30分15秒", T(2026, 3, 5, 14, 30, 15)),
        ("２０２６－０３－０５　１４：３０", T(2026, 3, 5, 14, 30)),
        ("2026.3.5 下午2:30", T(2026, 3, 5, 14, 30)),
        ("20260305 1430", T(2026, 3, 5, 14, 30)),
        (46086.6041666667, T(2026, 3, 5, 14, 30)),
        ("46086.6041666667", T(2026, 3, 5, 14, 30)),
        (T(2026, 3, 5, 14, 30), T(2026, 3, 5, 14, 30)),
        (dt.date(2026, 3, 5), T(2026, 3, 5)),
    ],
)
def test_parse_time(value: Any, expected: dt.datetime) -> None:
    assert parse_time(value) == expected.replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize("value", ["昨天", "2026-13-01", "1850-01-01", "abc 12:00"])
def test_parse_time_refuses(value: str) -> None:
    with pytest.raises(ValueError, match="时间"):
        parse_time(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (13812341234, "13812341234"),
        (13812341234.0, "13812341234"),
        ("13812341234.0", "13812341234"),
        ("1.3812341234E+10", "13812341234"),
        ("+86 138-1234-1234", "13812341234"),
        ("0477-7654321", "04777654321"),
        ("", ""),
        (None, ""),
    ],
)
def test_parse_phone(value: Any, expected: str) -> None:
    assert parse_phone(value) == expected


@pytest.mark.parametrize("value", ["1.38123E+10", "123", "电话"])
def test_parse_phone_refuses(value: str) -> None:
    with pytest.raises(ValueError, match="号码"):
        parse_phone(value)


def test_detect_encoding() -> None:
    text = "乌审召镇便民服务中心中午无人值守，群众在门口等候。" * 20
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode()) == "utf-8-sig"
    assert detect_encoding(text.encode("gbk")) == "gb18030"
    assert detect_encoding(text.encode("gb18030")) == "gb18030"
    assert detect_encoding(text.encode("utf-16")) == "utf-16"
    assert detect_encoding(text.encode("utf-8")[:-1]) == "utf-8"  # a cut last character
    assert detect_encoding(text.encode("gbk")[:-1]) == "gb18030"  # a sample cut mid-character


# ------------------------------------------------------------------ corpora


def _corpus(shared_dir: Path, name: str) -> Path:
    return shared_dir / "corpora" / name


def test_csv_spectrum_and_xlsx2csv_files_import_or_are_refused_clearly(
    ledger: Ledger, shared_dir: Path, tmp_path: Path
) -> None:
    files = sorted((_corpus(shared_dir, "csv-spectrum") / "csvs").glob("*.csv"))
    files += sorted(
        p
        for p in _corpus(shared_dir, "xlsx2csv").iterdir()
        if p.suffix in (".xlsx", ".xlsm", ".csv")
    )
    assert len(files) > 30
    outcomes = {}
    for path in files:
        try:
            summary = import_call_log(
                ledger, path, actor="op", center="tuke", rejects_path=tmp_path / "r.csv"
            )
            outcomes[path.name] = f"read {summary.read}"
        except (ConfigError, InvalidInput) as exc:
            assert str(exc) and "Traceback" not in str(exc)
            outcomes[path.name] = "refused"
    assert set(outcomes.values()) >= {"refused"}


def test_nyc311_call_center_rows_through_a_profile_in_the_config(
    supdesk_database_url: str,
    supdesk_settings: Settings,
    supdesk_plugin_manager: Any,
    shared_dir: Path,
    tmp_path: Path,
) -> None:
    from supervision_core import open_ledger

    nyc = ColumnProfile(
        name="nyc311",
        label="NYC 311",
        columns={
            "record_id": ("Unique Key",),
            "time": ("Created Date",),
            "summary": ("Complaint Type",),
            "content": ("Descriptor",),
            "venue": ("Incident Address",),
            "category": ("Complaint Type",),
        },
        time_formats=("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M"),
    )
    ledger = open_ledger(
        supdesk_database_url,
        settings=attrs.evolve(supdesk_settings, profiles=(nyc,)),
        plugin_manager=supdesk_plugin_manager,
        create=True,
    )
    for name in ("311_nyc_sample.csv", "311-service-requests.sample.csv"):
        path = _corpus(shared_dir, "nyc311-tuplex") / name
        summary = import_call_log(
            ledger, path, actor="op", center="banner", rejects_path=tmp_path / "r.csv"
        )
        assert summary.profile == "nyc311"
        assert summary.read > 150
        assert (
            summary.read
            == summary.imported + summary.quarantined + summary.rejected + summary.already_present
        )
        assert (
            summary.quarantined > 0.9 * summary.read
        )  # callers are not supervisors: kept, not dropped
        again = import_call_log(
            ledger, path, actor="op", center="banner", rejects_path=tmp_path / "r.csv"
        )
        assert again.already_present == summary.quarantined + summary.imported
    ledger.close()


def test_naughty_strings_in_every_column(ledger: Ledger, shared_dir: Path, tmp_path: Path) -> None:
    naughty = [
        s
        for s in json.loads((_corpus(shared_dir, "blns") / "blns.json").read_text(encoding="utf-8"))
        if s
    ]
    good = [
        "GD{n}",
        "2026-03-02 09:15",
        "13948772345",
        "巴特尔",
        "窗口无人",
        "镇中心中午无人值守",
        "乌审召镇",
        "大厅",
        "服务态度",
    ]
    rows = [HOTLINE_HEADER]
    for n, bad in enumerate(naughty):
        row = [c.format(n=n) for c in good]
        row[n % len(row)] = bad
        rows.append(row)
    path = write_csv(tmp_path / "naughty.csv", rows, "utf-8")
    summary = import_call_log(ledger, path, actor="op")
    assert summary.read + summary.skipped == len(naughty)
    assert (
        summary.read
        == summary.imported + summary.quarantined + summary.rejected + summary.already_present
    )
    assert summary.imported > len(naughty) // 2
    assert all(r.reason for r in summary.rejects)


def test_xls_with_merged_township_and_date_cells(ledger: Ledger, tmp_path: Path) -> None:
    import xlwt  # of the test extra: a dependency, never skipped

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("来电登记")
    dates = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    sheet.write_merge(0, 0, 0, 4, "嘎鲁图镇来电登记表")
    for col, name in enumerate(["来电时间", "姓名", "联系电话", "反映问题", "苏木镇"]):
        sheet.write(1, col, name)
    sheet.write(2, 0, T(2026, 3, 2, 9, 30), dates)
    sheet.write(2, 1, "乌云")
    sheet.write(2, 2, 18647773456)
    sheet.write(2, 3, "社保卡补办来回跑")
    sheet.write(3, 0, T(2026, 3, 2, 11, 0), dates)
    sheet.write(3, 1, "乌云")
    sheet.write(3, 2, "18647773456")
    sheet.write(3, 3, "自助机无法打印")
    sheet.write_merge(2, 3, 4, 4, "嘎鲁图镇")
    path = tmp_path / "登记表.xls"
    book.save(str(path))
    summary = import_call_log(ledger, path, actor="op")
    assert (summary.imported, summary.rejected) == (2, 0)
    assert ledger.issue("galutu-2026-00002").received_at == T(2026, 3, 2, 11, 0, tzinfo=SHANGHAI)

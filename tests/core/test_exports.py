"""The ledger export and the unit's copy, read back with independent readers."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from supervision_core import Ledger, Report, ReportHints
from supervision_core.documents.ledger_workbook import (
    LEDGER_HEADERS,
    export_ledger,
    neutralize,
    notifier_labels,
    unit_copy,
)
from supervision_core.testing import FrozenClock

# The ledger's columns (反馈问题台账), written here from the domain, not from the code: each
# item of "The ledger's columns" in /work/shared/DOMAIN.md with the notice's words for it
# (责任单位、责任人、整改措施、整改时限; 说明; 备注). Two items are two columns each.
DOMAIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "Number": ("编号",),
    "reported on": ("反馈时间",),
    "supervisor (masked)": ("监督员",),
    "method": ("方式",),  # 模拟办, 陪同办, 亲身办, 监督办...
    "stage": ("环节",),  # 预约, 咨询, 受理, 审批, 办结, 出证
    "topic": ("内容",),  # the nine work areas
    "problem type": ("问题类型",),
    "description": ("问题描述",),
    "unit, window or township concerned": ("涉及单位/场所",),
    "screening result (and reason)": ("审查结果", "不予受理理由"),
    "track": ("整改方式",),
    "responsible unit": ("责任单位",),
    "responsible person": ("责任人",),
    "measures": ("整改措施",),
    "deadline": ("整改时限",),  # the notice: 明确责任单位、责任人、整改措施、整改时限
    "progress": ("整改进展",),
    "completed on": ("完成时间",),
    "result and evidence": ("整改结果及佐证",),
    "explanation": ("说明",),
    "when and how the supervisor was told": ("告知监督员",),
    "supervisor's evaluation": ("监督员评价",),
    "overdue": ("是否逾期",),
    "closed on and by whom": ("办结时间", "办结人"),
    "notes": ("备注",),
}
LEDGER_COLUMNS = tuple(c for columns in DOMAIN_COLUMNS.values() for c in columns)
MakeReport = Callable[..., Report]
OP = "operator:test"


@pytest.fixture
def filled(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_clock: FrozenClock
) -> Ledger:
    ledger = supdesk_ledger
    done = (
        ledger.receive(
            supdesk_report("不动产窗口没有一次性告知", hints=ReportHints(method="in_person"))
        ).issue_id
        or 0
    )
    ledger.accept(done, actor=OP)
    ledger.dispatch(done, unit="realty", responsible_person="赵主任", actor=OP)
    ledger.plan(done, track="scheduled", measures="张贴告知清单", days=3, actor=OP)
    ledger.progress(done, note="清单已印刷", actor=OP)
    ledger.complete(done, evidence="已张贴（照片）", actor=OP)
    reporter = ledger.issue(done).supervisor_id
    ledger.evaluate(done, satisfaction="satisfied", actor=f"supervisor:{reporter}")
    late = ledger.receive(supdesk_report("自助机坏了，我的电话13812341234")).issue_id or 0
    ledger.accept(late, actor=OP)
    ledger.not_accept(
        ledger.receive(supdesk_report("已起诉")).issue_id or 0,
        reason="legal_procedure",
        note="走诉讼程序",
        actor=OP,
    )
    supdesk_clock.advance(days=10)  # `late` is now past its dispatch deadline
    return ledger


def test_xlsx_ledger_has_the_columns_figures_and_marks(filled: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    assert export_ledger(filled, path) == 3
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "汇总" and "乌审旗政务服务中心" in book.sheetnames
    summary = {r[0]: r for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["乌审旗政务服务中心"][1:] == (3, 1, 1, 1, 1)
    sheet = book["乌审旗政务服务中心"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == LEDGER_COLUMNS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:Z4"
    first = dict(zip(LEDGER_COLUMNS, rows[1], strict=True))
    issue = filled.issue(first["编号"])
    assert first["监督员"] == "测*监督员"[:1] + "****"  # masked: family name only
    assert (
        first["方式"] == "亲身办"
        and first["审查结果"] == "受理"
        and first["整改方式"] == "限时整改"
    )
    assert (
        first["整改进展"] == "清单已印刷"
        and first["监督员评价"] == "满意"
        and first["是否逾期"] == "否"
    )
    assert isinstance(first["反馈时间"], dt.datetime)
    # The rectification deadline is kept after the fix: planned on Monday for 3 working days.
    assert first["整改时限"] == dt.datetime(2026, 3, 5) and first["责任单位"] == "不动产登记窗口"
    assert first["办结时间"] == issue.closed_at.astimezone(
        dt.timezone(dt.timedelta(hours=8))
    ).replace(tzinfo=None)
    late = dict(zip(LEDGER_COLUMNS, rows[2], strict=True))
    assert late["整改时限"] is None  # accepted, not yet planned: no rectification deadline
    assert (
        late["是否逾期"] == "是"
        and "13812341234" not in late["问题描述"]
        and "138****1234" in late["问题描述"]
    )
    assert sheet.cell(row=3, column=1).fill.fgColor.rgb.endswith("F8CBAD")
    assert sheet.cell(row=2, column=1).fill.fgColor.rgb in (None, "00000000")
    refused = dict(zip(LEDGER_COLUMNS, rows[3], strict=True))
    assert refused["审查结果"] == "不予受理" and refused["不予受理理由"].startswith("应当通过诉讼")
    assert refused["备注"] == "不予受理说明：走诉讼程序"


def test_the_header_is_the_domains_list_of_columns(shared_dir: Path) -> None:
    text = (shared_dir / "DOMAIN.md").read_text(encoding="utf-8")
    section = text.split("## The ledger's columns", 1)[1].split("\n\n", 2)[1]
    items = [item.strip().rstrip(".") for item in " ".join(section.split()).split(";")]
    assert items == list(DOMAIN_COLUMNS)
    assert LEDGER_HEADERS == LEDGER_COLUMNS


def test_csv_ledger_and_date_filters(filled: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "台账.csv"
    assert export_ledger(filled, path, fmt="csv", center="banner") == 3
    with path.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["中心", *LEDGER_COLUMNS] and len(table) == 4
    assert export_ledger(filled, tmp_path / "none.csv", fmt="csv", start=dt.date(2026, 4, 1)) == 0
    assert (
        export_ledger(
            filled,
            tmp_path / "day.csv",
            fmt="csv",
            start=dt.date(2026, 3, 2),
            end=dt.date(2026, 3, 2),
        )
        == 3
    )


def test_formula_payloads_and_naughty_strings_come_out_inert(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, shared_dir: Path, tmp_path: Path
) -> None:
    corpus = shared_dir / "corpora"
    payloads = (
        (corpus / "csv-injection" / "payloadbox" / "Intruder" / "csv-payload.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    payloads += [
        s
        for s in json.loads((corpus / "blns" / "blns.json").read_text(encoding="utf-8"))
        if s.strip()
    ]
    payloads += ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    for n, text in enumerate(payloads):
        supdesk_ledger.receive(
            supdesk_report(text + ("" if len(text) > 6 else "　填充文字"), external_id=f"p{n}")
        )
    xlsx, csv_path = tmp_path / "p.xlsx", tmp_path / "p.csv"
    export_ledger(supdesk_ledger, xlsx)
    export_ledger(supdesk_ledger, csv_path, fmt="csv")
    sheet = openpyxl.load_workbook(xlsx)["乌审旗政务服务中心"]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        for row in list(csv.reader(fh))[1:]:
            for value in row:
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_neutralize() -> None:
    assert (
        neutralize("=1+1") == "'=1+1" and neutralize("-") == "'-" and neutralize("正常") == "正常"
    )
    assert neutralize(5) == 5 and neutralize(None) is None


def test_unit_copy_names_no_supervisor(filled: Ledger) -> None:
    ref = filled.issues()[0].id
    text = unit_copy(
        filled.unit_view(ref), center_name="乌审旗政务服务中心", unit_name="不动产登记窗口"
    )
    assert text.startswith("# 派单通知") and "不动产登记窗口" in text and "张贴告知清单" in text
    assert "测试监督员" not in text and "reporter@example.cn" not in text


def test_notifiers_and_channels_are_named_in_chinese(supdesk_ledger: Ledger) -> None:
    labels = notifier_labels(supdesk_ledger)
    assert labels["email"] == "电子邮件" and labels["telegram"] == "Telegram"
    assert labels["walk_in"] == "来访来信（前台录入）"  # a channel without a notifier

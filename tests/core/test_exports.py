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
from supervision_core.documents.ledger_workbook import export_ledger, neutralize, unit_copy
from supervision_core.testing import FrozenClock

# The ledger's columns (反馈问题台账), written here from the domain, not from the code:
# in the order of "The ledger's columns" in /work/shared/DOMAIN.md, with the notice's words
# (责任单位、责任人、整改措施; 说明). Two differences are kept on purpose and marked below:
# the deadline is 整改期限 (the notice says 整改时限; the desk's reminders say 期限 too),
# and the last column is the state where DOMAIN.md lists "notes".
LEDGER_COLUMNS = (
    "编号",  # number
    "反馈时间",  # reported on
    "监督员",  # supervisor (masked)
    "方式",  # method (模拟办, 陪同办, 亲身办, 监督办...)
    "环节",  # stage (预约, 咨询, 受理, 审批, 办结, 出证)
    "内容",  # topic (the nine work areas)
    "问题类型",  # problem type
    "问题描述",  # description
    "涉及单位/场所",  # unit, window or township concerned
    "审查结果",  # screening result
    "不予受理理由",  # (and reason)
    "整改方式",  # track
    "责任单位",  # responsible unit
    "责任人",  # responsible person
    "整改措施",  # measures
    "整改期限",  # deadline (the notice's 整改时限)
    "整改进展",  # progress
    "完成时间",  # completed on
    "整改结果及佐证",  # result and evidence
    "说明",  # explanation
    "告知监督员",  # when and how the supervisor was told
    "监督员评价",  # supervisor's evaluation
    "是否逾期",  # overdue
    "办结时间",  # closed on
    "办结人",  # and by whom
    "状态",  # DOMAIN.md ends with "notes": the desk has the issue's state there instead
)
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
    assert isinstance(first["反馈时间"], dt.datetime) and first["整改期限"] is None
    assert first["办结时间"] == issue.closed_at.astimezone(
        dt.timezone(dt.timedelta(hours=8))
    ).replace(tzinfo=None)
    late = dict(zip(LEDGER_COLUMNS, rows[2], strict=True))
    assert (
        late["是否逾期"] == "是"
        and "13812341234" not in late["问题描述"]
        and "138****1234" in late["问题描述"]
    )
    assert sheet.cell(row=3, column=1).fill.fgColor.rgb.endswith("F8CBAD")
    assert sheet.cell(row=2, column=1).fill.fgColor.rgb in (None, "00000000")
    refused = dict(zip(LEDGER_COLUMNS, rows[3], strict=True))
    assert refused["审查结果"] == "不予受理" and refused["不予受理理由"].startswith("应当通过诉讼")


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

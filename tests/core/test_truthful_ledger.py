"""A truthful ledger: deadlines as planned and as extended, lateness that no extension
erases, and an export in the domain's columns with names, never codes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest
from test_exports import LEDGER_COLUMNS

from supervision_core import (
    InvalidTransition,
    IssueState,
    Ledger,
    NotAcceptedReason,
    Notice,
    PluginManager,
    RectificationTrack,
    Report,
    ReportHints,
    Satisfaction,
    Settings,
    hookimpl,
)
from supervision_core.documents.ledger_workbook import export_ledger
from supervision_core.model.vocabulary import Method, ProblemType, Stage, Topic
from supervision_core.testing import FrozenClock

MakeReport = Callable[..., Report]
OP = "operator:test"


class Recording:
    """A notifier with a Chinese label, as a plugin's would be."""

    name = "recording"
    label = "测试通知"

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def deliver(self, notice: Notice) -> None:
        self.sent.append(notice)


@pytest.fixture
def notifier() -> Recording:
    return Recording()


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    centers = tuple(attrs.evolve(c, notifiers=("recording",)) for c in supdesk_settings.centers)
    return attrs.evolve(supdesk_settings, centers=centers)


@pytest.fixture
def supdesk_plugin_manager(
    supdesk_plugin_manager: PluginManager, notifier: Recording
) -> PluginManager:
    class Plugin:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(notifier)

    supdesk_plugin_manager.register(Plugin(), name="recording-notifier")
    return supdesk_plugin_manager


def _sheet_rows(ledger: Ledger, path: Path) -> dict[str, dict[str, object]]:
    export_ledger(ledger, path)
    sheet = openpyxl.load_workbook(path)["乌审旗政务服务中心"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == LEDGER_COLUMNS
    return {str(r[0]): dict(zip(LEDGER_COLUMNS, r, strict=True)) for r in rows[1:]}


def test_a_late_fix_stays_late_whatever_extension_came_after(
    supdesk_ledger: Ledger,
    supdesk_report: MakeReport,
    supdesk_clock: FrozenClock,
    tmp_path: Path,
) -> None:
    ledger = supdesk_ledger
    late, kept = (
        ledger.receive(supdesk_report(text)).issue_number or ""
        for text in ("大厅叫号机坏了一周", "自助机打印纸用完无人补充")
    )
    for ref in (late, kept):
        ledger.accept(ref, actor=OP)
        ledger.dispatch(ref, unit="realty", responsible_person="赵主任", actor=OP)
        ledger.plan(ref, track="scheduled", measures="报修", days=3, actor=OP)  # due Thu 03-05
    # On Thursday, by the deadline, a township's staff may extend: it stays on time.
    supdesk_clock.advance(days=3)
    ledger.extend(kept, days=5, reason="配件在途", actor=OP, granted_by="wushenzhao")
    # Monday 03-09: the deadline has passed. Nobody but the banner center may extend now.
    supdesk_clock.advance(days=4)
    for granted_by in (None, "wushenzhao"):
        with pytest.raises(InvalidTransition, match="旗政务服务中心"):
            ledger.extend(late, days=2, reason="配件未到", actor=OP, granted_by=granted_by)
    issue = ledger.extend(late, days=2, reason="配件未到", actor=OP, granted_by="banner")
    assert (issue.original_due_on, issue.missed_due_on) == (dt.date(2026, 3, 5),) * 2
    assert issue.rectification_due_on == dt.date(2026, 3, 11)  # two working days from today
    assert issue.extensions == 1 and issue.is_late(ledger.today())
    supdesk_clock.advance(days=1)  # Tuesday 03-10, within the extension, yet late
    issue = ledger.complete(late, evidence="已修复", actor=OP)
    kept_issue = ledger.complete(kept, evidence="已补充", actor=OP)
    assert issue.completed_on_time is False and issue.late_working_days == 3  # Fri, Mon, Tue
    assert kept_issue.completed_on_time is True and kept_issue.late_working_days == 0
    assert ledger.verify(late) and ledger.verify(kept)
    # The banner center's grant is recorded with the extension.
    extended = [e for e in ledger.history(late) if e.kind.value == "extended"]
    assert [e.data.get("granted_by") for e in extended] == ["banner"]

    rows = _sheet_rows(ledger, tmp_path / "台账.xlsx")
    assert rows[late]["是否逾期"] == "是" and rows[late]["整改时限"] == dt.datetime(2026, 3, 11)
    assert rows[late]["完成时间"] == dt.datetime(2026, 3, 10, 9, 0)
    assert rows[late]["备注"] == "延期1次，原整改时限2026-03-05；逾期3个工作日完成整改"
    assert rows[kept]["是否逾期"] == "否" and rows[kept]["整改时限"] == dt.datetime(2026, 3, 12)
    assert rows[kept]["备注"] == "延期1次，原整改时限2026-03-05"


def test_cells_say_names_not_codes(
    supdesk_ledger: Ledger,
    supdesk_report: MakeReport,
    supdesk_clock: FrozenClock,
    notifier: Any,
    tmp_path: Path,
) -> None:
    ledger = supdesk_ledger
    ledger.users.add(
        username="banner-desk",
        display_name="旗中心前台",
        password="correct horse battery",
        role="staff",
        center="banner",
    )
    desk, unit = "user:banner-desk", "unit:realty:realty-user"
    hints = ReportHints(
        method="accompanying", stage="acceptance", topic="bad_practices", problem_type="many_offices",
        venue="政务大厅二楼", unit="market",
    )  # fmt: skip
    fixed = ledger.receive(supdesk_report("陪同办事时被要求跑三次", hints=hints)).issue_number or ""
    ledger.accept(fixed, actor=desk)
    ledger.dispatch(
        fixed, unit="realty", responsible_person="赵主任", actor=desk, note="请周内答复"
    )
    ledger.plan(fixed, track="immediate", actor=unit)
    merged = ledger.receive(supdesk_report("陪同办事时被要求跑了三次")).issue_number or ""
    ledger.merge(merged, into=fixed, actor=desk)
    ledger.complete(fixed, evidence="已一次性告知", actor=unit)
    ledger.evaluate(fixed, satisfaction="basically_satisfied", actor="supervisor:1")
    closed = ledger.receive(supdesk_report("窗口午休无人值守")).issue_number or ""
    ledger.accept(closed, actor=desk)
    ledger.dispatch(closed, unit="tax", responsible_person="钱科长", actor=desk)
    ledger.plan(closed, track="explained", actor=desk)
    ledger.explain(closed, explanation="午休轮岗已有安排", actor=unit)
    ledger.close_issue(closed, note="监督员联系不上", actor=desk)
    refused = ledger.receive(supdesk_report("已起诉的事项")).issue_number or ""
    ledger.not_accept(refused, reason="legal_procedure", note="请走诉讼程序", actor=desk)
    assert ledger.deliver_notices().delivered > 0

    rows = _sheet_rows(ledger, tmp_path / "台账.xlsx")
    row = rows[fixed]
    assert row["涉及单位/场所"] == "市场监管局窗口；政务大厅二楼"  # what the report named
    assert row["责任单位"] == "不动产登记窗口"  # where it was dispatched
    assert (row["方式"], row["环节"], row["整改方式"]) == ("陪同办", "受理", "立行立改")
    assert row["告知监督员"].endswith(" 测试通知") and row["办结人"] == "监督员"
    assert row["备注"] == "派单备注：请周内答复"
    assert rows[closed]["办结人"] == "旗中心前台" and rows[closed]["责任单位"] == "税务局窗口"
    assert rows[closed]["备注"] == "未经评价办结，原因：监督员联系不上"
    assert rows[refused]["备注"] == "不予受理说明：请走诉讼程序"
    assert rows[merged]["审查结果"] == "已合并" and rows[merged]["备注"] == f"已并入问题{fixed}"

    codes = {c.code for c in ledger.centers()} | {u.code for u in ledger.units()}
    for kind in (IssueState, RectificationTrack, Satisfaction, NotAcceptedReason, Method, Stage,
                 Topic, ProblemType):  # fmt: skip
        codes |= {v.value for v in kind}
    codes |= {"recording", "user", "unit", "supervisor", "banner-desk"}
    word = re.compile(r"[A-Za-z0-9_-]+")
    number = re.compile(r"[a-z0-9_-]+-20\d\d-\d{5}")
    for cells in rows.values():
        for column, value in cells.items():
            if isinstance(value, str) and column != "编号":
                found = set(word.findall(number.sub("", value))) & codes
                assert not found, (column, value)

"""What each step tells the supervisor and the unit (反馈监督员), and the routine's 催办/督办.

The rules without a database first, then the same steps through the ledger on both
databases: the notices land in the outbox addressed to the supervisor, the unit learns
why the supervisor was not satisfied and never who they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from supervision_core import (
    ContactKind,
    EventKind,
    Identity,
    Issue,
    IssueEvent,
    Ledger,
    Notice,
    NoticeKind,
    PluginManager,
    Report,
    ReportHints,
    Settings,
    china_calendar,
    hookimpl,
    notices_for,
    replay,
    unit_copy,
)
from supervision_core.model.summaries import IssueSummary
from supervision_core.rules.deadlines import TimeLimits
from supervision_core.rules.reminders import RoutineKind, routine_steps, routine_text
from supervision_core.testing import FrozenClock

AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
ADDRESSES = (
    Identity(ContactKind.EMAIL, "wang@example.cn"),
    Identity(ContactKind.PHONE, "13812341234"),
)
SUPERVISOR_TRACES = ("wang@example.cn", "13812341234", "王建国", "supervisor:7")


def fresh() -> Issue:
    return Issue(
        id=1,
        number="banner-2026-00001",
        center="banner",
        report_id=1,
        supervisor_id=7,
        received_at=AT,
        subject=None,
        text="不动产登记窗口没有一次性告知",
        hints=ReportHints(),
    )


def ev(kind: str, note: str | None = None, *, n: int, actor: str = "op", **data: Any) -> IssueEvent:
    return IssueEvent(kind=kind, at=AT, actor=actor, note=note, data=data, id=n)


RECEIVED = ev("received", n=1, due_on="2026-03-03")
ACCEPTED = ev("accepted", n=2, due_on="2026-03-03")
DISPATCHED = ev("dispatched", n=3, unit="realty", responsible_person="赵主任", due_on="2026-03-03")
SCHEDULED = ev(
    "planned",
    "张贴一次性告知清单",
    n=4,
    track="scheduled",
    measures="张贴一次性告知清单",
    due_on="2026-03-16",
)
EXTENDED = ev(
    "extended",
    "清单须经局务会审定",
    n=5,
    days=3,
    due_on="2026-03-19",
    max_extensions=3,
    **{"from": "2026-03-16"},
)
COMPLETED = ev("completed", n=6, evidence="清单已在窗口张贴（附照片）")
UNSATISFIED = ev(
    "evaluated",
    "我是王建国（13812341234），清单仍缺少不动产继承所需材料。",
    n=7,
    actor="supervisor:7",
    satisfaction="not_satisfied",
    due_on="2026-03-20",
)


def told(events: list[IssueEvent], *, unit_name: str | None = "不动产登记窗口") -> list[Notice]:
    """The notices of the last event, with the issue as the events leave it."""
    issue = replay(fresh(), events)
    return notices_for(issue, events[-1], ADDRESSES, unit_name=unit_name, supervisor_name="王建国")


def to(notices: list[Notice], kind: str) -> Notice:
    (notice,) = [n for n in notices if n.recipient_kind == kind]
    return notice


def test_not_accepted_tells_the_reason_and_the_note() -> None:
    notice = to(
        told(
            [RECEIVED, ev("not_accepted", "该事项已进入诉讼程序。", n=2, reason="legal_procedure")]
        ),
        "supervisor",
    )
    assert "不予受理" in notice.subject and "诉讼、仲裁" in notice.body
    assert "该事项已进入诉讼程序" in notice.body and "。。" not in notice.body
    assert notice.addresses == ADDRESSES


def test_dispatch_and_plan_name_the_unit_the_measures_and_the_deadline() -> None:
    dispatched = to(told([RECEIVED, ACCEPTED, DISPATCHED]), "supervisor")
    assert "不动产登记窗口" in dispatched.body and "2026-03-03" in dispatched.body
    plan = to(told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED]), "supervisor")
    for needed in ("限时整改", "张贴一次性告知清单", "不动产登记窗口", "2026-03-16"):
        assert needed in plan.body, needed
    # Without a name the unit is still named, by its code.
    assert (
        "realty"
        in to(told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED], unit_name=None), "supervisor").body
    )
    immediate = ev("planned", n=4, track="immediate", due_on="2026-03-03")
    assert "立行立改" in to(told([RECEIVED, ACCEPTED, DISPATCHED, immediate]), "supervisor").body
    explained = ev("planned", n=4, track="explained", due_on="2026-03-09")
    body = to(told([RECEIVED, ACCEPTED, DISPATCHED, explained]), "supervisor").body
    assert "说明" in body and "2026-03-09" in body


def test_an_extension_tells_the_supervisor_and_the_unit_the_new_deadline_and_why() -> None:
    notices = told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, EXTENDED])
    supervisor = to(notices, "supervisor")
    assert "延期" in supervisor.subject
    for needed in ("2026-03-19", "2026-03-16", "清单须经局务会审定", "第 1 次"):
        assert needed in supervisor.body, needed
    unit = to(notices, "unit")
    assert (
        unit.recipient == "realty"
        and "2026-03-19" in unit.body
        and "清单须经局务会审定" in unit.body
    )


def test_an_extension_after_the_deadline_names_the_deadline_missed() -> None:
    # Granted by the banner center on 03-20, four days after 03-16 had passed: the new
    # deadline counts from that day, and the notice names the deadline that was missed.
    late = ev(
        "extended",
        "证书待上级签发",
        n=5,
        days=3,
        due_on="2026-03-25",
        max_extensions=3,
        previous_due_on="2026-03-16",
        late_extension_by="banner",
        granted_by="banner",
        granted_by_level="banner",
        **{"from": "2026-03-20"},
    )
    body = to(told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, late]), "supervisor").body
    assert "原期限 2026-03-16（已逾期，仍计逾期）" in body and "新期限 2026-03-25" in body
    assert "2026-03-20" not in body
    on_time = to(told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, EXTENDED]), "supervisor")
    assert "已逾期" not in on_time.body


def test_completion_and_explanation_ask_for_an_evaluation() -> None:
    done = to(told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, COMPLETED]), "supervisor")
    assert "清单已在窗口张贴（附照片）" in done.body and "请对整改结果进行评价" in done.body
    explained = [
        RECEIVED,
        ACCEPTED,
        DISPATCHED,
        ev("planned", n=4, track="explained", due_on="2026-03-09"),
    ]
    note = to(told([*explained, ev("explained", "中心已实行午间轮岗值守。", n=5)]), "supervisor")
    assert (
        "中心已实行午间轮岗值守" in note.body
        and "请进行评价" in note.body
        and "。。" not in note.body
    )


def test_a_close_without_evaluation_is_told_with_its_reason() -> None:
    closed = ev("closed", "监督员三次联系未果，按规定办结。", n=7)
    notice = to(told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, COMPLETED, closed]), "supervisor")
    assert "未经评价办结" in notice.subject
    assert "未经您评价" in notice.body and "监督员三次联系未果" in notice.body


def test_a_reopening_gives_the_unit_the_reason_never_the_supervisor() -> None:
    notices = told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, COMPLETED, UNSATISFIED])
    supervisor = to(notices, "supervisor")
    assert "不满意" in supervisor.body and "重新交办不动产登记窗口" in supervisor.body
    assert "2026-03-20" in supervisor.body
    unit = to(notices, "unit")
    assert unit.recipient == "realty" and unit.addresses == ()
    assert "清单仍缺少不动产继承所需材料" in unit.body and "2026-03-20" in unit.body
    # The supervisor's name and number, written into the reason, are blotted out.
    assert "我是***（***）" in unit.body
    for trace in SUPERVISOR_TRACES:
        assert trace not in repr(unit), trace
    satisfied = ev("evaluated", n=7, actor="supervisor:7", satisfaction="satisfied")
    notices = told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, COMPLETED, satisfied])
    assert [n.recipient_kind for n in notices] == ["supervisor"]
    assert "已办结" in notices[0].body and "满意" in notices[0].body


def test_every_step_has_its_notice() -> None:
    """Each kind of event tells someone: a walk through every step, and who hears of it."""
    explained = ev("planned", n=4, track="explained", due_on="2026-03-09")
    walks: dict[EventKind, list[IssueEvent]] = {
        EventKind.RECEIVED: [RECEIVED],
        EventKind.ACCEPTED: [RECEIVED, ACCEPTED],
        EventKind.NOT_ACCEPTED: [
            RECEIVED,
            ev("not_accepted", "无实质内容", n=2, reason="no_substance"),
        ],
        EventKind.DISPATCHED: [RECEIVED, ACCEPTED, DISPATCHED],
        EventKind.OBJECTED: [
            RECEIVED,
            ACCEPTED,
            DISPATCHED,
            ev("objected", "不属于本单位职责", n=4, due_on="2026-03-04"),
        ],
        EventKind.PLANNED: [RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED],
        EventKind.PROGRESS: [
            RECEIVED,
            ACCEPTED,
            DISPATCHED,
            SCHEDULED,
            ev("progress", "清单已起草", n=5),
        ],
        EventKind.EXTENDED: [RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, EXTENDED],
        EventKind.COMPLETED: [RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, COMPLETED],
        EventKind.EXPLAINED: [
            RECEIVED,
            ACCEPTED,
            DISPATCHED,
            explained,
            ev("explained", "已轮岗值守", n=5),
        ],
        EventKind.EVALUATED: [RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, COMPLETED, UNSATISFIED],
        EventKind.CLOSED: [
            RECEIVED,
            ACCEPTED,
            DISPATCHED,
            SCHEDULED,
            COMPLETED,
            ev("closed", "联系未果", n=7),
        ],
        EventKind.MERGED: [RECEIVED, ev("merged", n=2, into=9, into_number="banner-2026-00009")],
        EventKind.DUPLICATE_ATTACHED: [
            RECEIVED,
            ev("duplicate_attached", n=2, source=9, source_number="banner-2026-00009"),
        ],
        EventKind.SUPPLEMENTED: [RECEIVED, ev("supplemented", n=2, report_id=5)],
    }
    assert set(walks) == set(EventKind)
    heard = {
        kind: sorted(str(n.recipient_kind) for n in told(events)) for kind, events in walks.items()
    }
    assert not [kind for kind, who in heard.items() if not who]
    # The supervisor hears of every step but the unit's objection (the center re-dispatches).
    assert [kind for kind, who in heard.items() if "supervisor" not in who] == [EventKind.OBJECTED]
    assert heard[EventKind.OBJECTED] == ["center"]
    assert {kind for kind, who in heard.items() if "unit" in who} == {
        EventKind.DISPATCHED, EventKind.EXTENDED, EventKind.EVALUATED,
    }  # fmt: skip
    for kind, events in walks.items():  # no unit notice ever traces back to the supervisor
        for notice in told(events):
            if notice.recipient_kind != "supervisor":
                assert not any(t in repr(notice) for t in SUPERVISOR_TRACES), kind
    # Every notice says what it is about, for a transport that can only send a template.
    kinds = {k: sorted(n.kind for n in told(events)) for k, events in walks.items()}
    assert all(n.kind in set(NoticeKind) for e in walks.values() for n in told(e))
    assert kinds[EventKind.OBJECTED] == ["objection"]
    assert kinds[EventKind.DISPATCHED] == ["dispatched", "unit_dispatched"]
    assert kinds[EventKind.EVALUATED] == ["reopened", "unit_reopened"]
    assert kinds[EventKind.NOT_ACCEPTED] == ["not_accepted"]


def test_a_notice_carries_its_facts_as_template_fields() -> None:
    """The fields say what the body says, short, and the unit's never name the supervisor."""
    extended = told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, EXTENDED])
    supervisor = to(extended, "supervisor")
    assert supervisor.fields == {
        "number": "banner-2026-00001",
        "step": "延期",
        "due_on": "2026-03-19",
        "previous_due_on": "2026-03-16",
        "unit": "不动产登记窗口",
        "reason": "清单须经局务会审定",
    }
    unit = to(extended, "unit")
    assert unit.kind == "unit_extended" and unit.fields["due_on"] == "2026-03-19"
    assert "unit" not in unit.fields  # the unit is told its own issue, not its own name
    refused = told([RECEIVED, ev("not_accepted", "无实质内容", n=2, reason="no_substance")])
    (notice,) = refused
    assert notice.fields["reason"] == notice.body.split("原因：")[1].split("。")[0]
    reopened = to(told([RECEIVED, ACCEPTED, DISPATCHED, SCHEDULED, COMPLETED, UNSATISFIED]), "unit")
    assert "清单仍缺少不动产继承所需材料" in reopened.fields["reason"]
    assert not any(t in repr(reopened.fields) for t in SUPERVISOR_TRACES)


# ---------------------------------------------------------------- 催办 and 督办


CAL = china_calendar()


def _summary(state: str, due: dt.date) -> IssueSummary:
    received = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    return IssueSummary(
        1,
        "wushenzhao-2026-00001",
        "wushenzhao",
        7,
        state,
        received,
        due,
        True,
        "wushenzhao-window",
        None,
    )


def test_cuiban_before_the_deadline_duban_after_it() -> None:
    """DOMAIN.md: a reminder (催办) before a deadline, escalation (督办) once it passed."""
    due = dt.date(2026, 3, 13)  # a Friday
    limits = TimeLimits()

    def steps(day: dt.date, state: str = "rectifying") -> list[tuple[RoutineKind, str, str]]:
        found = routine_steps([_summary(state, due)], day, CAL, limits, banner_center="banner")
        return [(s.kind, *routine_text(s)) for s in found]

    before = steps(dt.date(2026, 3, 11)) + steps(due)
    assert {k for k, _, _ in before} == {RoutineKind.REMINDER}
    for _, subject, body in before:
        assert "催办" in subject + body and "督办" not in subject + body
    after = (
        steps(dt.date(2026, 3, 16))
        + steps(dt.date(2026, 3, 20))
        + steps(dt.date(2026, 3, 16), "accepted")
    )
    assert {k for k, _, _ in after} == {RoutineKind.OVERDUE, RoutineKind.ESCALATION}
    for _, subject, body in after:
        assert "督办" in subject and "催办" not in subject + body
    assert RoutineKind.REMINDER.label == "到期催办" and RoutineKind.OVERDUE.label == "逾期督办"


# ---------------------------------------------------------------- through the ledger


class Recording:
    name = "recording"

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


def test_the_loop_through_the_ledger(
    supdesk_ledger: Ledger,
    supdesk_report: Callable[..., Report],
    supdesk_clock: FrozenClock,
    notifier: Recording,
) -> None:
    ledger = supdesk_ledger
    number = ledger.receive(
        supdesk_report("不动产登记窗口要求补交三次材料，没有一次性告知。")
    ).issue_number
    assert number is not None
    supervisor = ledger.issue(number).supervisor_id
    ledger.accept(number, actor="op")
    ledger.dispatch(number, unit="realty", responsible_person="赵主任", actor="op")
    ledger.plan(
        number, track="scheduled", measures="制定一次性告知清单并张贴", days=5, actor="unit:realty"
    )
    first_due = ledger.issue(number).due_on
    ledger.extend(number, days=3, reason="清单须经局务会审定", actor="unit:realty")
    new_due = ledger.issue(number).due_on
    assert first_due is not None and new_due is not None and new_due > first_due
    # The extension is in the outbox, addressed to the supervisor who reported.
    (extension,) = [
        e.notice for e in ledger.outbox(status="pending")
        if e.notice.recipient_kind == "supervisor" and "延期" in e.notice.subject
    ]  # fmt: skip
    assert extension.recipient == str(supervisor)
    assert [a.value for a in extension.addresses] == ["reporter@example.cn"]
    for needed in (new_due.isoformat(), first_due.isoformat(), "清单须经局务会审定"):
        assert needed in extension.body, needed
    plan = next(e.notice for e in ledger.outbox() if "确定整改方式" in e.notice.subject)
    for needed in ("不动产登记窗口", "制定一次性告知清单并张贴", first_due.isoformat(), "限时整改"):
        assert needed in plan.body, needed

    ledger.complete(number, evidence="清单已张贴", actor="unit:realty")
    reason = "我是测试监督员，电话13812341234：清单漏了继承登记的材料"
    ledger.evaluate(
        number, satisfaction="not_satisfied", note=reason, actor=f"supervisor:{supervisor}"
    )
    view = ledger.unit_view(number)
    assert view.dissatisfaction is not None and "清单漏了继承登记的材料" in view.dissatisfaction
    copy = unit_copy(view, center_name="乌审旗政务服务中心", unit_name="不动产登记窗口")
    assert "不满意的理由" in copy and "清单漏了继承登记的材料" in copy and "测试监督员" not in copy
    assert "13812341234" not in view.dissatisfaction and "测试监督员" not in view.dissatisfaction
    (reopened,) = [
        e.notice for e in ledger.outbox() if e.notice.subject.startswith("【重新整改通知】")
    ]
    assert reopened.recipient_kind == "unit" and reopened.recipient == "realty"
    assert "清单漏了继承登记的材料" in reopened.body
    for trace in ("reporter@example.cn", "13812341234", "测试监督员"):
        assert trace not in repr(reopened), trace
    assert f"supervisor:{supervisor}" not in repr(reopened)
    # Still shown to the unit while it rectifies again; gone once the issue is closed.
    ledger.plan(number, track="immediate", actor="unit:realty")
    assert ledger.unit_view(number).dissatisfaction == view.dissatisfaction
    ledger.complete(number, evidence="已补充继承登记材料", actor="unit:realty")
    ledger.close_issue(number, note="监督员三次联系未果", actor="op")
    assert ledger.unit_view(number).dissatisfaction is None
    closed = next(e.notice for e in ledger.outbox() if e.notice.subject.endswith("未经评价办结"))
    assert closed.recipient == str(supervisor) and "监督员三次联系未果" in closed.body

    assert ledger.deliver_notices().delivered == len(notifier.sent) > 0
    to_supervisor = [
        n.subject.rsplit(" ", 1)[1] for n in notifier.sent if n.recipient_kind == "supervisor"
    ]
    assert to_supervisor == [
        "收到反馈", "受理", "派单", "确定整改方式", "延期", "整改完成", "重新整改",
        "确定整改方式", "整改完成", "未经评价办结",
    ]  # fmt: skip
    # The kind and the facts survive the outbox, for the templated transports.
    assert [n.kind for n in notifier.sent if n.recipient_kind == "supervisor"] == [
        "received", "accepted", "dispatched", "planned", "extended", "completed", "reopened",
        "planned", "completed", "closed",
    ]  # fmt: skip
    delivered = next(n for n in notifier.sent if n.kind == "extended")
    assert (
        delivered.fields["due_on"] == new_due.isoformat() and delivered.fields["number"] == number
    )
    unit_kinds = [n.kind for n in notifier.sent if n.recipient_kind == "unit"]
    assert unit_kinds == ["unit_dispatched", "unit_extended", "unit_reopened"]
    reopened_fields = next(n.fields for n in notifier.sent if n.kind == "unit_reopened")
    for trace in ("reporter@example.cn", "13812341234", "测试监督员"):
        assert trace not in repr(reopened_fields), trace


def test_the_routine_says_cuiban_before_and_duban_after_on_the_ledger(
    supdesk_ledger: Ledger, supdesk_report: Callable[..., Report], supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    number = ledger.receive(supdesk_report()).issue_number
    assert number is not None
    ledger.accept(number, actor="op")
    ledger.dispatch(number, unit="realty", responsible_person="赵主任", actor="op")
    ledger.plan(number, track="scheduled", measures="张贴清单", days=3, actor="op")
    due = ledger.issue(number).due_on
    assert due is not None
    ledger.run_routine(today=due)
    before = [e.notice for e in ledger.outbox() if e.notice.key.startswith("routine:")]
    assert before and all("催办" in n.subject and "督办" not in n.subject + n.body for n in before)
    ledger.run_routine(today=due + dt.timedelta(days=3 if due.weekday() == 4 else 1))
    after = [
        e.notice for e in ledger.outbox()
        if e.notice.key.startswith("routine:") and e.notice not in before
    ]  # fmt: skip
    assert after and all("督办" in n.subject and "催办" not in n.subject + n.body for n in after)
    assert {n.kind for n in before} == {"reminder"} and {n.kind for n in after} == {"overdue"}
    assert all(
        n.fields["number"] == number and n.fields["due_on"] == due.isoformat() for n in after
    )

"""The ledger on a real database: SQLite and PostgreSQL (every test runs on both)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest

from supervision_core import (
    Attachment,
    ContactKind,
    Identity,
    InvalidInput,
    InvalidTransition,
    IssueState,
    Ledger,
    NewSupervisor,
    NotFound,
    QuarantineReason,
    Report,
    ReportHints,
    Revocation,
    Sender,
)
from supervision_core.testing import FrozenClock, HookRecorder

MakeReport = Callable[..., Report]
OP = "operator:test"


def test_intake_files_an_issue_and_numbers_it_per_center_and_year(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_recorder: HookRecorder
) -> None:
    first = supdesk_ledger.receive(supdesk_report())
    second = supdesk_ledger.receive(supdesk_report("另一件事：网上办事平台登录总是超时"))
    assert first.filed and second.filed
    assert first.issue_number == "banner-2026-00001"
    assert second.issue_number == "banner-2026-00002"
    issue = supdesk_ledger.issue(first.issue_number)
    assert issue.state is IssueState.RECEIVED
    # Received Monday 2026-03-02: screening is due the next working day.
    assert issue.due_on == dt.date(2026, 3, 3)
    assert [c.hook for c in supdesk_recorder.calls].count("supervision_report_received") == 2
    assert supdesk_recorder.events() == ["received", "received"]


def test_same_delivery_twice_is_one_issue(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_recorder: HookRecorder
) -> None:
    report = supdesk_report(external_id="mail-<abc@example.cn>")
    first = supdesk_ledger.receive(report)
    again = supdesk_ledger.receive(report)
    assert again.duplicate_delivery and not first.duplicate_delivery
    assert again.issue_id == first.issue_id
    assert sum(supdesk_ledger.count_by_center_and_state().values()) == 1
    assert len(supdesk_recorder.named("supervision_report_received")) == 1


def test_concurrent_deliveries_of_one_report_store_it_once(
    supdesk_ledger: Ledger, supdesk_report: MakeReport
) -> None:
    report = supdesk_report(external_id="race")
    results = []
    errors = []

    def deliver() -> None:
        try:
            results.append(supdesk_ledger.receive(report))
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.issue_id for r in results}) == 1
    assert sum(not r.duplicate_delivery for r in results) == 1
    assert sum(supdesk_ledger.count_by_center_and_state().values()) == 1


def test_unknown_sender_is_quarantined_then_assigned(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_recorder: HookRecorder
) -> None:
    stranger = Sender(ContactKind.PHONE, "+86 139-0000-1111", "来电群众")
    result = supdesk_ledger.receive(supdesk_report(sender=stranger))
    assert not result.filed
    assert result.quarantine_reason is QuarantineReason.UNMATCHED_SENDER
    held = supdesk_ledger.quarantine()
    assert [q.id for q in held] == [result.quarantine_id]
    assert supdesk_recorder.named("supervision_report_quarantined")
    assert supdesk_ledger.count_by_center_and_state() == {}

    supervisor = supdesk_ledger.add_supervisor(
        NewSupervisor(name="王芳", center="banner", identities=[Identity("phone", "13900001111")])
    )
    assert result.quarantine_id is not None
    filed = supdesk_ledger.assign_quarantined(
        result.quarantine_id, supervisor_id=supervisor.id, actor=OP
    )
    assert filed.filed
    assert supdesk_ledger.issue(filed.issue_id or 0).supervisor_id == supervisor.id
    assert supdesk_ledger.quarantine() == []
    assert supdesk_ledger.quarantine(include_resolved=True)[0].resolved_issue == filed.issue_id
    with pytest.raises(InvalidTransition, match="已处理"):
        supdesk_ledger.assign_quarantined(
            result.quarantine_id, supervisor_id=supervisor.id, actor=OP
        )
    # The phone now matches: the next call from that number is filed directly.
    assert supdesk_ledger.receive(supdesk_report(sender=Sender("phone", "13900001111"))).filed


def test_unknown_center_is_quarantined(supdesk_ledger: Ledger, supdesk_report: MakeReport) -> None:
    result = supdesk_ledger.receive(supdesk_report(center="nowhere"))
    assert result.quarantine_reason is QuarantineReason.UNKNOWN_CENTER


def test_suspended_and_revoked_senders_are_quarantined(
    supdesk_ledger: Ledger, supdesk_report: MakeReport
) -> None:
    sid = supdesk_ledger.supervisors()[0].id
    supdesk_ledger.suspend(sid, reason="调查中", actor=OP)
    assert (
        supdesk_ledger.receive(supdesk_report()).quarantine_reason
        is QuarantineReason.SUSPENDED_SENDER
    )
    supdesk_ledger.reinstate(sid, reason="调查结束", actor=OP)
    assert supdesk_ledger.receive(supdesk_report()).filed
    revoked = supdesk_ledger.revoke(
        sid,
        Revocation(
            on=dt.date(2026, 3, 2),
            reason="屡教不改",
            letter_returned=True,
            card_returned=False,
            override="旗中心决定",
        ),
        actor=OP,
    )
    assert revoked.revocation is not None and revoked.revocation.card_returned is False
    assert (
        supdesk_ledger.receive(supdesk_report()).quarantine_reason
        is QuarantineReason.REVOKED_SENDER
    )
    with pytest.raises(InvalidTransition, match="已取消"):
        supdesk_ledger.reinstate(sid, reason="x", actor=OP)


def test_dismissed_quarantine_is_kept(supdesk_ledger: Ledger, supdesk_report: MakeReport) -> None:
    result = supdesk_ledger.receive(supdesk_report(sender=Sender("email", "spam@example.com")))
    assert result.quarantine_id is not None
    supdesk_ledger.dismiss_quarantined(result.quarantine_id, note="广告邮件", actor=OP)
    assert supdesk_ledger.quarantine() == []
    assert len(supdesk_ledger.quarantine(include_resolved=True)) == 1


def test_whole_life_with_history_and_deadlines(
    supdesk_ledger: Ledger,
    supdesk_report: MakeReport,
    supdesk_clock: FrozenClock,
    supdesk_recorder: HookRecorder,
) -> None:
    ref = supdesk_ledger.receive(supdesk_report()).issue_number
    assert ref is not None
    supdesk_ledger.accept(ref, actor=OP)
    issue = supdesk_ledger.dispatch(ref, unit="realty", responsible_person="赵主任", actor=OP)
    assert issue.state is IssueState.DISPATCHED
    issue = supdesk_ledger.plan(ref, track="scheduled", measures="张贴一次性告知清单", actor=OP)
    assert issue.due_on == dt.date(2026, 3, 16)  # 10 working days after Monday 03-02
    issue = supdesk_ledger.extend(ref, days=5, reason="等待印刷", actor=OP)
    assert issue.due_on == dt.date(2026, 3, 23) and issue.extensions == 1
    supdesk_clock.advance(days=3)
    supdesk_ledger.progress(ref, note="清单已印刷", actor="unit:realty")
    supdesk_ledger.complete(ref, evidence="窗口已张贴（照片）", actor="unit:realty")
    issue = supdesk_ledger.evaluate(ref, satisfaction="basically_satisfied", actor="supervisor:1")
    assert issue.state is IssueState.CLOSED
    history = supdesk_ledger.history(ref)
    assert [e.kind.value for e in history] == [
        "received",
        "accepted",
        "dispatched",
        "planned",
        "extended",
        "progress",
        "completed",
        "evaluated",
    ]
    assert all(e.at.tzinfo is not None for e in history)
    assert history[5].at - history[0].at == dt.timedelta(days=3)
    assert supdesk_ledger.verify(ref)
    assert supdesk_recorder.events()[-1] == "evaluated"


def test_invalid_step_is_refused_and_changes_nothing(
    supdesk_ledger: Ledger, supdesk_report: MakeReport
) -> None:
    ref = supdesk_ledger.receive(supdesk_report()).issue_number
    assert ref is not None
    with pytest.raises(InvalidTransition, match="待审查"):
        supdesk_ledger.complete(ref, evidence="x", actor=OP)
    with pytest.raises(InvalidInput, match="单位"):
        supdesk_ledger.accept(ref, actor=OP) and supdesk_ledger.dispatch(
            ref, unit="no-such-unit", responsible_person="x", actor=OP
        )
    assert [e.kind.value for e in supdesk_ledger.history(ref)] == ["received", "accepted"]
    assert supdesk_ledger.issue(ref).state is IssueState.ACCEPTED
    with pytest.raises(NotFound):
        supdesk_ledger.issue("banner-2026-99999")
    with pytest.raises(InvalidInput):
        supdesk_ledger.extend(ref, days=9, reason="太长", actor=OP)


def test_not_satisfied_reopens(supdesk_ledger: Ledger, supdesk_report: MakeReport) -> None:
    ref = supdesk_ledger.receive(supdesk_report()).issue_number
    assert ref is not None
    supdesk_ledger.accept(ref, actor=OP)
    supdesk_ledger.dispatch(ref, unit="realty", responsible_person="赵", actor=OP)
    supdesk_ledger.plan(ref, track="immediate", actor=OP)
    supdesk_ledger.complete(ref, evidence="已改", actor=OP)
    issue = supdesk_ledger.evaluate(
        ref, satisfaction="not_satisfied", actor="supervisor:1", note="没改好"
    )
    assert issue.state is IssueState.REOPENED and issue.due_on == dt.date(2026, 3, 3)
    assert ref in [i.number for i in supdesk_ledger.issues(state="reopened")]
    assert supdesk_ledger.verify(ref)


def test_overdue_and_due_soon(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_clock: FrozenClock
) -> None:
    late = supdesk_ledger.receive(supdesk_report("第一件")).issue_number
    soon = supdesk_ledger.receive(supdesk_report("第二件：大厅空调坏了很久")).issue_number
    closed = supdesk_ledger.receive(supdesk_report("第三件：网上预约系统无法选择日期")).issue_number
    assert late and soon and closed
    supdesk_ledger.not_accept(closed, reason="no_substance", note="内容不清", actor=OP)
    supdesk_ledger.accept(soon, actor=OP)
    supdesk_ledger.dispatch(soon, unit="realty", responsible_person="赵", actor=OP)
    supdesk_ledger.plan(soon, track="scheduled", measures="维修", days=4, actor=OP)  # due 03-06
    supdesk_clock.advance(days=2)  # Wednesday 03-04: `late` was due 03-03
    assert [i.number for i in supdesk_ledger.overdue()] == [late]
    assert [i.number for i in supdesk_ledger.overdue(center="galutu")] == []
    assert [i.number for i in supdesk_ledger.due_soon()] == [soon]
    assert [i.number for i in supdesk_ledger.issues(due_within=0)] == []
    supdesk_clock.advance(days=3)  # Saturday 03-07
    assert sorted(i.number for i in supdesk_ledger.overdue()) == sorted([late, soon])


def test_supervisor_issues_and_counts(supdesk_ledger: Ledger, supdesk_report: MakeReport) -> None:
    sid = supdesk_ledger.supervisors()[0].id
    for n in range(3):
        supdesk_ledger.receive(supdesk_report(f"第{n}件问题：窗口人员离岗"))
    other = supdesk_ledger.add_supervisor(
        NewSupervisor(
            name="巴特尔", center="wushenzhao", identities=[Identity("email", "BATER@example.cn ")]
        )
    )
    supdesk_ledger.receive(
        supdesk_report(
            "镇中心午间无人", center="wushenzhao", sender=Sender("email", "bater@EXAMPLE.cn")
        )
    )
    assert len(supdesk_ledger.issues(supervisor=sid)) == 3
    assert [i.center for i in supdesk_ledger.issues(supervisor=other.id)] == ["wushenzhao"]
    assert supdesk_ledger.count_by_center_and_state() == {
        ("banner", "received"): 3,
        ("wushenzhao", "received"): 1,
    }
    page = supdesk_ledger.issues(limit=2)
    rest = supdesk_ledger.issues(after=page[-1].id)
    assert len(page) == 2 and len(rest) == 2 and page[-1].id < rest[0].id


def test_possible_duplicate_is_flagged_and_merged(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_recorder: HookRecorder
) -> None:
    hints = ReportHints(problem_type="tell_once", unit="realty")
    first = supdesk_ledger.receive(
        supdesk_report("不动产登记窗口要求补交三次材料，没有一次性告知", hints=hints)
    )
    other = supdesk_ledger.add_supervisor(
        NewSupervisor(
            name="李秀英", center="banner", identities=[Identity("email", "li@example.cn")]
        )
    )
    second = supdesk_ledger.receive(
        supdesk_report(
            "不动产登记窗口让我补交了三次材料，没有一次性告知清楚",
            hints=hints,
            sender=Sender("email", "li@example.cn"),
        )
    )
    unrelated = supdesk_ledger.receive(
        supdesk_report(
            "自助终端无法打印社保缴费证明",
            hints=ReportHints(problem_type="tell_once", unit="realty"),
        )
    )
    assert second.possible_duplicate_of == first.issue_id
    assert unrelated.possible_duplicate_of is None
    supdesk_recorder.clear()
    merged = supdesk_ledger.merge(second.issue_id or 0, into=first.issue_id or 0, actor=OP)
    assert merged.state is IssueState.MERGED and merged.merged_into == first.issue_id
    target_history = supdesk_ledger.history(first.issue_id or 0)
    assert target_history[-1].kind.value == "duplicate_attached"
    told = {
        c.kwargs["issue"].supervisor_id for c in supdesk_recorder.named("supervision_issue_changed")
    }
    assert told == {other.id, supdesk_ledger.issue(first.issue_id or 0).supervisor_id}
    with pytest.raises(InvalidTransition):
        supdesk_ledger.merge(unrelated.issue_id or 0, into=second.issue_id or 0, actor=OP)


def test_attachments_are_kept_byte_exact(
    supdesk_ledger: Ledger, supdesk_report: MakeReport
) -> None:
    photo = Attachment("窗口.jpg", "image/jpeg", bytes(range(256)) * 40)
    result = supdesk_ledger.receive(supdesk_report(attachments=(photo,)))
    stored = supdesk_ledger.report(result.report_id)
    assert stored.attachments == (photo,)
    assert stored.attachments[0].sha256 == photo.sha256 and stored.attachments[0].size == 10240


def test_screening_proposals_are_kept_next_to_the_issue(
    supdesk_ledger: Ledger, supdesk_report: MakeReport
) -> None:
    result = supdesk_ledger.receive(supdesk_report("我已经向法院起诉，也去过信访局"))
    reasons = {name: p.reason.value for name, p in supdesk_ledger.proposals(result.issue_id or 0)}
    assert reasons == {"legal_procedure": "legal_procedure", "petition": "petition"}
    # Only advice: the issue waits for the operator.
    assert supdesk_ledger.issue(result.issue_id or 0).state is IssueState.RECEIVED


def test_unit_view_hides_the_supervisor(supdesk_ledger: Ledger, supdesk_report: MakeReport) -> None:
    result = supdesk_ledger.receive(supdesk_report("我（电话13812341234）在窗口等了两小时"))
    supdesk_ledger.accept(result.issue_id or 0, actor=OP)
    supdesk_ledger.dispatch(result.issue_id or 0, unit="realty", responsible_person="赵", actor=OP)
    view = supdesk_ledger.unit_view(result.issue_id or 0)
    text = repr(view)
    assert (
        "reporter@example.cn" not in text and "13812341234" not in text and "测试监督员" not in text
    )
    assert "supervisor" not in text


def test_identity_belongs_to_one_supervisor(supdesk_ledger: Ledger) -> None:
    supdesk_ledger.add_supervisor(
        NewSupervisor(name="甲", center="banner", identities=[Identity("phone", "13812341234")])
    )
    with pytest.raises(InvalidInput, match="已登记"):
        supdesk_ledger.add_supervisor(
            NewSupervisor(
                name="乙", center="banner", identities=[Identity("phone", "+86 138 1234 1234")]
            )
        )
    assert [s.name for s in supdesk_ledger.supervisors()] == ["甲"]
    with pytest.raises(NotFound, match="服务中心"):
        supdesk_ledger.add_supervisor(NewSupervisor(name="丙", center="mars"))


def test_demo_data_loads_once(supdesk_ledger: Ledger) -> None:
    from supervision_core.demo import load_demo

    counts = load_demo(supdesk_ledger)
    assert counts == {"supervisors": 6, "issues": 7, "quarantined": 1}
    assert load_demo(supdesk_ledger) == counts
    states = {i.state for i in supdesk_ledger.issues()}
    assert {"closed", "rectifying", "accepted", "explained", "not_accepted", "received"} <= states
    assert supdesk_ledger.overdue()
    assert all(supdesk_ledger.verify(i.id) for i in supdesk_ledger.issues())
    for summary in supdesk_ledger.issues():
        times = [e.at for e in supdesk_ledger.history(summary.id)]
        assert times == sorted(times), summary.number

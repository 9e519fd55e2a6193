"""Tasks: a center gives experiences and covert inspections; supervisors answer and visit."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision_core import (
    AssignmentStatus,
    ContactKind,
    Identity,
    InvalidInput,
    InvalidTransition,
    Ledger,
    NewSupervisor,
    NotFound,
    Report,
    ReportHints,
    Revocation,
    Sender,
    Task,
    TaskAssignment,
    TaskKind,
)
from supervision_core.testing import FrozenClock

STAFF = "town-desk"
MONDAY = dt.date(2026, 3, 2)  # the fixture clock's day


def _supervisor(ledger: Ledger, name: str, center: str, phone: str) -> int:
    return ledger.add_supervisor(
        NewSupervisor(name=name, center=center, identities=[Identity(ContactKind.PHONE, phone)])
    ).id


@pytest.fixture
def people(supdesk_ledger: Ledger) -> dict[str, int]:
    return {
        "town": _supervisor(supdesk_ledger, "巴特尔", "wushenzhao", "13904772345"),
        "town2": _supervisor(supdesk_ledger, "其其格", "wushenzhao", "13904772346"),
        "banner": _supervisor(supdesk_ledger, "旗级监督员", "banner", "13904772347"),
        "other": _supervisor(supdesk_ledger, "王芳", "galutu", "13804771111"),
    }


def _task(ledger: Ledger, ids: list[int], **fields: object) -> Task:
    values: dict[str, object] = {
        "center": "wushenzhao",
        "kind": TaskKind.INSPECTION,
        "place": "乌审召镇便民服务中心",
        "service": "不动产登记",
        "instructions": "以办事群众身份咨询办理流程，留意是否一次性告知所需材料。",
        "starts_on": MONDAY,
        "ends_on": MONDAY + dt.timedelta(days=10),
        "supervisor_ids": ids,
        "actor": STAFF,
    }
    values.update(fields)
    return ledger.create_task(**values)  # type: ignore[arg-type]


def _issue(ledger: Ledger, clock: FrozenClock, phone: str, external_id: str) -> int:
    result = ledger.receive(
        Report(
            channel="test",
            external_id=external_id,
            center="wushenzhao",
            received_at=clock(),
            sender=Sender(ContactKind.PHONE, phone),
            text="不动产登记窗口没有一次性告知所需材料，让我跑了两趟。",
            hints=ReportHints(),
        )
    )
    assert result.issue_id is not None
    return result.issue_id


def test_a_task_is_given_answered_and_visited(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    task = _task(ledger, [people["town"], people["banner"], people["town2"]])
    assert task.kind is TaskKind.INSPECTION and task.created_by == STAFF
    assert task.created_at == supdesk_clock()

    ((listed, assignments),) = ledger.tasks("wushenzhao")
    assert listed == task
    assert [a.supervisor_id for a in assignments] == sorted(
        [people["town"], people["banner"], people["town2"]]
    )
    assert {a.status for a in assignments} == {AssignmentStatus.ASSIGNED}

    supdesk_clock.advance(hours=1)
    accepted = ledger.respond_to_task(task.id, people["town"], accept=True)
    assert accepted.status is AssignmentStatus.ACCEPTED
    assert accepted.responded_at == supdesk_clock()
    declined = ledger.respond_to_task(task.id, people["banner"], accept=False, reason="出差在外")
    assert declined.status is AssignmentStatus.DECLINED and declined.decline_reason == "出差在外"
    (told,) = ledger.inbox("wushenzhao")  # the center's staff hear of a decline
    assert "旗级监督员谢绝了任务" in told.notice.subject and "出差在外" in told.notice.body

    supdesk_clock.advance(days=1)
    done = ledger.record_task_visit(
        task.id,
        people["town"],
        visited_on=MONDAY + dt.timedelta(days=1),
        found_nothing=True,
        note="流程清楚，窗口一次性告知了材料。",
    )
    assert done == TaskAssignment(
        task=task,
        supervisor_id=people["town"],
        status=AssignmentStatus.DONE,
        responded_at=accepted.responded_at,
        visited_on=MONDAY + dt.timedelta(days=1),
        found_nothing=True,
        note="流程清楚，窗口一次性告知了材料。",
    )
    assert ledger.task_assignments(people["town"]) == [done]
    assert ledger.task_assignment(task.id, people["town"]) == done
    with pytest.raises(NotFound):
        ledger.task_assignment(task.id, people["other"])
    # 其其格 has not answered: the task is still open; when she declines it is not.
    assert [t.id for t, _ in ledger.tasks("wushenzhao", open_only=True)] == [task.id]
    ledger.respond_to_task(task.id, people["town2"], accept=False, reason="身体不适")
    assert ledger.tasks("wushenzhao", open_only=True) == []
    assert len(ledger.tasks("wushenzhao")) == 1
    assert ledger.tasks("galutu") == []
    shown, parts = ledger.task(task.id)
    assert shown == task and [p.status for p in parts if p.supervisor_id == people["town"]] == [
        AssignmentStatus.DONE
    ]


def test_a_visit_that_found_a_problem_names_the_supervisors_own_issue(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    task = _task(ledger, [people["town"], people["town2"]], kind="experience")
    for sid in (people["town"], people["town2"]):
        ledger.respond_to_task(task.id, sid, accept=True)
    mine = _issue(ledger, supdesk_clock, "13904772345", "t-1")
    theirs = _issue(ledger, supdesk_clock, "13904772346", "t-2")

    with pytest.raises(InvalidInput, match="请先反馈"):
        ledger.record_task_visit(task.id, people["town"], visited_on=MONDAY, found_nothing=False)
    with pytest.raises(InvalidInput, match="本人反馈"):
        ledger.record_task_visit(
            task.id, people["town"], visited_on=MONDAY, found_nothing=False, issue_id=theirs
        )
    with pytest.raises(InvalidInput, match="未发现问题"):
        ledger.record_task_visit(
            task.id, people["town"], visited_on=MONDAY, found_nothing=True, issue_id=mine
        )
    done = ledger.record_task_visit(
        task.id, people["town"], visited_on=MONDAY, found_nothing=False, issue_id=mine
    )
    assert done.found_nothing is False and done.issue_id == mine
    assert done.task.kind is TaskKind.EXPERIENCE and done.task.place == "乌审召镇便民服务中心"
    with pytest.raises(InvalidTransition, match="已经记录"):
        ledger.record_task_visit(task.id, people["town"], visited_on=MONDAY, found_nothing=True)
    with pytest.raises(InvalidTransition, match="已经完成"):
        ledger.respond_to_task(task.id, people["town"], accept=False, reason="改主意")
    # One issue answers one task.
    other = _task(ledger, [people["town"]])
    ledger.respond_to_task(other.id, people["town"], accept=True)
    with pytest.raises(InvalidInput, match="已关联到任务"):
        ledger.record_task_visit(
            other.id, people["town"], visited_on=MONDAY, found_nothing=False, issue_id=mine
        )


def test_who_may_be_given_a_task(supdesk_ledger: Ledger, people: dict[str, int]) -> None:
    ledger = supdesk_ledger
    with pytest.raises(InvalidInput, match=r"王芳.*不属于"):
        _task(ledger, [people["town"], people["other"]])
    assert ledger.tasks("wushenzhao") == []  # nothing half made
    ledger.suspend(people["town2"], reason="本人申请", actor=STAFF)
    with pytest.raises(InvalidInput, match=r"其其格.*暂停"):
        _task(ledger, [people["town2"]])
    ledger.revoke(
        people["town"],
        Revocation(on=MONDAY, reason="本人申请退出", letter_returned=True, card_returned=True),
        actor=STAFF,
    )
    with pytest.raises(InvalidInput, match=r"巴特尔.*已取消资格"):
        _task(ledger, [people["town"]])
    with pytest.raises(NotFound, match="99999"):
        _task(ledger, [99999])
    # The banner's supervisors may be given a township's task; a township's not another's.
    assert _task(ledger, [people["banner"]]).center == "wushenzhao"
    assert _task(ledger, [people["other"]], center="galutu").center == "galutu"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"supervisor_ids": []}, "至少要交给一名监督员"),
        ({"place": "  "}, "地点不能为空"),
        ({"service": ""}, "体验事项不能为空"),
        ({"ends_on": MONDAY - dt.timedelta(days=1), "starts_on": MONDAY}, "早于开始日期"),
        (
            {"starts_on": MONDAY - dt.timedelta(days=9), "ends_on": MONDAY - dt.timedelta(days=1)},
            "已经过去",
        ),
        ({"kind": "mystery"}, "没有这种任务"),
        ({"instructions": "很长" * 1001}, "任务要求过长"),
        ({"actor": " "}, "操作人不能为空"),
    ],
)
def test_a_task_that_breaks_a_rule_is_refused_in_chinese(
    supdesk_ledger: Ledger, people: dict[str, int], fields: dict[str, object], message: str
) -> None:
    values = {"supervisor_ids": [people["town"]], **fields}
    ids = values.pop("supervisor_ids")
    with pytest.raises(InvalidInput, match=message):
        _task(supdesk_ledger, ids, **values)  # type: ignore[arg-type]


def test_answers_and_visits_follow_the_rules(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    task = _task(ledger, [people["town"]], ends_on=MONDAY + dt.timedelta(days=2))
    # Another supervisor's task is as if it did not exist.
    with pytest.raises(NotFound):
        ledger.respond_to_task(task.id, people["town2"], accept=True)
    with pytest.raises(NotFound):
        ledger.respond_to_task(task.id + 100, people["town"], accept=True)
    with pytest.raises(InvalidInput, match="谢绝的理由不能为空"):
        ledger.respond_to_task(task.id, people["town"], accept=False)
    with pytest.raises(InvalidTransition, match="请先接受"):
        ledger.record_task_visit(task.id, people["town"], visited_on=MONDAY, found_nothing=True)
    ledger.respond_to_task(task.id, people["town"], accept=False, reason="临时有事")
    with pytest.raises(InvalidTransition, match="请先接受"):
        ledger.record_task_visit(task.id, people["town"], visited_on=MONDAY, found_nothing=True)
    again = ledger.respond_to_task(task.id, people["town"], accept=True)  # changed their mind
    assert again.status is AssignmentStatus.ACCEPTED and again.decline_reason is None
    with pytest.raises(InvalidInput, match="还没有到"):
        ledger.record_task_visit(
            task.id, people["town"], visited_on=MONDAY + dt.timedelta(days=1), found_nothing=True
        )
    supdesk_clock.advance(days=5)
    with pytest.raises(InvalidInput, match="不在任务期限"):
        ledger.record_task_visit(
            task.id, people["town"], visited_on=MONDAY + dt.timedelta(days=4), found_nothing=True
        )
    # A late visit within the task's days may still be recorded; a late acceptance not.
    ledger.record_task_visit(task.id, people["town"], visited_on=MONDAY, found_nothing=True)
    late = _task(
        ledger,
        [people["town2"]],
        starts_on=MONDAY + dt.timedelta(days=5),
        ends_on=MONDAY + dt.timedelta(days=5),
    )
    supdesk_clock.advance(days=1)
    with pytest.raises(InvalidTransition, match="已于"):
        ledger.respond_to_task(late.id, people["town2"], accept=True)
    ledger.suspend(people["town2"], reason="本人申请", actor=STAFF)
    with pytest.raises(InvalidInput, match="暂停"):
        ledger.respond_to_task(late.id, people["town2"], accept=False, reason="暂停中")


def test_a_supervisors_tasks_list_open_ones_first(
    supdesk_ledger: Ledger, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    first = _task(ledger, [people["town"]], ends_on=MONDAY + dt.timedelta(days=3))
    second = _task(ledger, [people["town"]], ends_on=MONDAY + dt.timedelta(days=1))
    third = _task(ledger, [people["town"]], ends_on=MONDAY + dt.timedelta(days=20))
    ledger.respond_to_task(third.id, people["town"], accept=False, reason="不在本地")
    assert [a.task.id for a in ledger.task_assignments(people["town"])] == [
        first.id,
        second.id,
        third.id,
    ]
    assert ledger.task_assignments(people["town2"]) == []
    with pytest.raises(NotFound):
        ledger.task_assignments(99999)


def test_each_supervisor_is_told_of_the_task_through_the_outbox(
    supdesk_ledger: Ledger, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    task = _task(ledger, [people["town"], people["banner"]])
    notices = {
        e.notice.recipient: e.notice
        for e in ledger.outbox(center="wushenzhao")
        if e.notice.key.startswith(f"task:{task.id}:")
    }
    assert set(notices) == {str(people["town"]), str(people["banner"])}
    told = notices[str(people["town"])]
    assert told.key == f"task:{task.id}:supervisor:{people['town']}"
    assert "明察暗访" in told.subject and f"任务 {task.id}" in told.subject
    assert "不动产登记" in told.body and "2026-03-12" in told.body and "不要事先告知" in told.body
    assert [i.value for i in told.addresses] == ["13904772345"]
    assert "旗级监督员" not in told.body  # nothing of who else was sent
    # Nothing carries it here (no notifiers): the desk is asked to phone.
    ledger.deliver_notices()
    assert any(t.entry.notice.key == told.key for t in ledger.call_tasks(centers=["wushenzhao"]))

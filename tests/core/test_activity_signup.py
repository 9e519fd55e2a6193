"""Activities a center announces, its supervisors' sign-up, and attendance that counts."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from supervision_core import (
    Activity,
    AttendanceStatus,
    ContactKind,
    Identity,
    InvalidInput,
    InvalidTransition,
    Ledger,
    NewSupervisor,
    NotFound,
    NoticeKind,
    Revocation,
)
from supervision_core.model.clock import SHANGHAI
from supervision_core.testing import FrozenClock

STAFF = "user:town-desk"
START = dt.datetime(2026, 3, 10, 9, 30, tzinfo=SHANGHAI)  # a week after the fixture clock
DEADLINE = dt.datetime(2026, 3, 6, 18, 0, tzinfo=SHANGHAI)


def _supervisor(ledger: Ledger, name: str, center: str, phone: str) -> int:
    return ledger.add_supervisor(
        NewSupervisor(name=name, center=center, identities=[Identity(ContactKind.PHONE, phone)])
    ).id


@pytest.fixture
def people(supdesk_ledger: Ledger) -> dict[str, int]:
    return {
        "a": _supervisor(supdesk_ledger, "巴特尔", "wushenzhao", "13904772345"),
        "b": _supervisor(supdesk_ledger, "其其格", "wushenzhao", "13904772346"),
        "c": _supervisor(supdesk_ledger, "乌云", "wushenzhao", "13904772348"),
        "other": _supervisor(supdesk_ledger, "王芳", "galutu", "13804771111"),
    }


def _announce(ledger: Ledger, **fields: object) -> Activity:
    values: dict[str, object] = {
        "center": "wushenzhao",
        "kind": "forum",
        "title": "营商环境座谈会",
        "place": "乌审召镇便民服务中心三楼会议室",
        "starts_at": START,
        "signup_deadline": DEADLINE,
        "actor": STAFF,
        "capacity": 2,
        "description": "请带上近期办事中发现的问题。",
    }
    values.update(fields)
    return ledger.announce_activity(**values)  # type: ignore[arg-type]


def test_announce_sign_up_withdraw_and_attendance_that_counts(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    activity = _announce(ledger)
    assert activity.announced and not activity.cancelled
    assert activity.held_on == dt.date(2026, 3, 10)
    assert activity.organizer == "乌审召镇便民服务中心"
    assert activity.places_left == 2
    assert [a.id for a in ledger.supervisor_activities(people["a"])] == [activity.id]
    assert ledger.supervisor_activities(people["other"]) == []

    signed = ledger.sign_up_for_activity(activity.id, people["a"])
    assert signed.signed_up == (people["a"],)
    again = ledger.sign_up_for_activity(activity.id, people["a"])  # a resubmitted form
    assert again.signed_up == (people["a"],)
    ledger.sign_up_for_activity(activity.id, people["b"])
    with pytest.raises(InvalidTransition, match=r"报名人数已满（共 2 个名额）"):
        ledger.sign_up_for_activity(activity.id, people["c"])
    assert ledger.withdraw_from_activity(activity.id, people["b"]).signed_up == (people["a"],)
    assert ledger.withdraw_from_activity(activity.id, people["b"]).signed_up == (people["a"],)
    assert ledger.sign_up_for_activity(activity.id, people["c"]).full

    # Signing up is not attending: the year counts nothing yet.
    assert ledger.supervisor_year(people["a"], 2026).activities_attended == ()
    with pytest.raises(InvalidTransition, match="尚未开始"):
        ledger.record_attendance(activity.id, people["a"], "present", actor=STAFF)

    supdesk_clock.set(DEADLINE)
    with pytest.raises(InvalidTransition, match="报名已于 2026-03-06 18:00 截止"):
        ledger.withdraw_from_activity(activity.id, people["a"])
    with pytest.raises(InvalidTransition, match="截止"):
        ledger.sign_up_for_activity(activity.id, people["b"])

    supdesk_clock.set(START + dt.timedelta(hours=3))
    ledger.record_attendance(activity.id, people["a"], AttendanceStatus.PRESENT, actor=STAFF)
    ledger.record_attendance(activity.id, people["c"], AttendanceStatus.UNEXCUSED, actor=STAFF)
    year = ledger.supervisor_year(people["a"], 2026)
    assert year.activities_attended == (f"活动#{activity.id}",)
    assert ledger.supervisor_year(people["c"], 2026).unexcused_absences == (f"活动#{activity.id}",)
    assert ledger.supervisor_year(people["b"], 2026).activities_attended == ()
    score = ledger.supervisor_score(people["a"], 2026)
    assert any(i.label.startswith("参加") and i.points == 3 for i in score.items)
    evaluation = ledger.evaluate_year(2026, center="wushenzhao", actor=STAFF)
    entry = next(e for e in evaluation.entries if e.supervisor_id == people["a"])
    assert entry.year_facts.activities_attended == (f"活动#{activity.id}",)
    # Past activities leave the supervisor's upcoming list; the record stays.
    supdesk_clock.set(START + dt.timedelta(days=1))
    assert ledger.supervisor_activities(people["a"]) == []
    assert [a.id for a in ledger.supervisor_activities(people["a"], upcoming=False)] == [
        activity.id
    ]


def test_another_centers_supervisor_sees_nothing_and_suspended_cannot_sign_up(
    supdesk_ledger: Ledger, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    activity = _announce(ledger, capacity=None)
    with pytest.raises(NotFound):
        ledger.supervisor_activity(activity.id, people["other"])
    with pytest.raises(NotFound):
        ledger.sign_up_for_activity(activity.id, people["other"])
    with pytest.raises(NotFound):
        ledger.sign_up_for_activity(99_999, people["a"])
    recorded = ledger.add_activity(
        center="wushenzhao",
        kind="forum",
        title="事后登记的座谈",
        held_on=dt.date(2026, 3, 1),
        place="会议室",
        organizer="中心",
    )
    with pytest.raises(NotFound):  # recorded afterwards: nothing to sign up for
        ledger.sign_up_for_activity(recorded.id, people["a"])
    ledger.suspend(people["b"], reason="本人申请", actor=STAFF)
    with pytest.raises(InvalidInput, match=r"暂停.*不能报名"):
        ledger.sign_up_for_activity(activity.id, people["b"])
    ledger.revoke(
        people["c"],
        Revocation(
            on=dt.date(2026, 3, 2),
            reason="本人申请退出",
            letter_returned=True,
            card_returned=True,
            override="旗政务服务中心决定（测试）",
        ),
        actor=STAFF,
    )
    with pytest.raises(InvalidInput, match=r"已取消资格.*不能报名"):
        ledger.sign_up_for_activity(activity.id, people["c"])
    assert ledger.activity(activity.id).signed_up == ()


def test_bad_announcements_are_refused_in_chinese(
    supdesk_ledger: Ledger, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    with pytest.raises(InvalidInput, match="活动类型只能是"):
        _announce(ledger, kind="party")
    with pytest.raises(InvalidInput, match="活动名称不能为空"):
        _announce(ledger, title="  ")
    with pytest.raises(InvalidInput, match="已经过去"):
        _announce(ledger, starts_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI))
    with pytest.raises(InvalidInput, match="晚于活动开始时间"):
        _announce(ledger, signup_deadline=START + dt.timedelta(hours=1))
    with pytest.raises(InvalidInput, match="名额应为"):
        _announce(ledger, capacity=0)
    assert ledger.activities(center="wushenzhao") == []


def test_cancelling_tells_whoever_signed_up_through_the_outbox(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    activity = _announce(ledger)
    ledger.sign_up_for_activity(activity.id, people["a"])
    ledger.sign_up_for_activity(activity.id, people["b"])
    ledger.withdraw_from_activity(activity.id, people["b"])
    cancelled = ledger.cancel_activity(activity.id, reason="会议室临时检修", actor=STAFF)
    assert cancelled.cancelled and cancelled.cancel_reason == "会议室临时检修"
    told = [
        e.notice for e in ledger.outbox(center="wushenzhao") if e.notice.key.startswith("activity:")
    ]
    assert [(n.recipient, n.kind) for n in told] == [
        (str(people["a"]), NoticeKind.ACTIVITY_CANCELLED)
    ]
    assert "会议室临时检修" in told[0].body and "营商环境座谈会" in told[0].body
    assert told[0].addresses[0].value == "13904772345"
    assert [e.notice.key for e in ledger.notices_to_supervisor(people["a"])] == [told[0].key]
    with pytest.raises(InvalidTransition, match=r"已于.*取消"):
        ledger.cancel_activity(activity.id, reason="再取消一次", actor=STAFF)
    with pytest.raises(InvalidTransition, match="已取消"):
        ledger.sign_up_for_activity(activity.id, people["c"])
    assert ledger.supervisor_activities(people["a"]) == []
    supdesk_clock.set(START + dt.timedelta(hours=2))
    with pytest.raises(InvalidTransition, match="已取消，不能记录出席"):
        ledger.record_attendance(activity.id, people["a"], "present", actor=STAFF)


def test_the_last_place_goes_to_one_of_two_at_once(
    supdesk_ledger: Ledger, people: dict[str, int]
) -> None:
    ledger = supdesk_ledger
    activity = _announce(ledger, capacity=1)
    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def take(sid: int) -> None:
        start.wait()
        try:
            ledger.sign_up_for_activity(activity.id, sid)
            outcomes[sid] = "in"
        except InvalidTransition:
            outcomes[sid] = "full"

    threads = [threading.Thread(target=take, args=(people[k],)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["full", "in"]
    assert len(ledger.activity(activity.id).signed_up) == 1

"""Delivery that tells the truth: each notice goes the first way that reaches its recipient.

A notifier that cannot reach someone says so (``Unreachable``) and the next is tried; a
supervisor no notifier reaches becomes a call task for the desk; a center's notices land
in the console's inbox; ``delivered`` always names what really carried the notice.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from alembic import command

from supervision_core import (
    SHANGHAI,
    ContactKind,
    Identity,
    InvalidInput,
    InvalidTransition,
    Ledger,
    NewSupervisor,
    Notice,
    OutboxStatus,
    PluginManager,
    Report,
    Sender,
    Settings,
    Unreachable,
    create_engine,
    hookimpl,
    migrate,
)
from supervision_core.documents.ledger_workbook import export_ledger
from supervision_core.store.engine import _alembic_config
from supervision_core.testing import FrozenClock

PHONE = "13904772345"


class Transport:
    """A notifier that reaches one kind of address, and can be told to fail."""

    def __init__(self, name: str, reaches: ContactKind | None, *, units: bool = False) -> None:
        self.name = name
        self.reaches = reaches
        self.units = units
        self.sent: list[Notice] = []
        self.fail_times = 0

    def deliver(self, notice: Notice) -> None:
        if self.units:
            if notice.recipient_kind != "unit":
                raise Unreachable("只通知承办单位")
        elif not any(a.kind is self.reaches for a in notice.addresses):
            raise Unreachable(f"没有{self.reaches}地址")
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("gateway down")
        self.sent.append(notice)


@pytest.fixture
def transports() -> dict[str, Transport]:
    return {
        "chat": Transport("chat", ContactKind.MESSENGER),
        "mail": Transport("mail", ContactKind.EMAIL),
        "robot": Transport("robot", None, units=True),
    }


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    # Supervisors by the chat first, then mail; units by the robot; the banner center's
    # staff have an address, the townships' do not.
    centers = tuple(
        attrs.evolve(
            c,
            notifiers=("chat", "mail", "robot"),
            email="jiandu@banner.test" if c.center.code == "banner" else None,
        )
        for c in supdesk_settings.centers
    )
    return attrs.evolve(supdesk_settings, centers=centers, delivery_attempts=3)


@pytest.fixture
def supdesk_plugin_manager(
    supdesk_plugin_manager: PluginManager, transports: dict[str, Transport]
) -> PluginManager:
    class Plugin:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            for transport in transports.values():
                register.add(transport)

    supdesk_plugin_manager.register(Plugin(), name="test-transports")
    return supdesk_plugin_manager


def appoint(ledger: Ledger, name: str, *identities: Identity, center: str = "wushenzhao") -> int:
    return ledger.add_supervisor(
        NewSupervisor(name=name, center=center, identities=list(identities))
    ).id


def report(ledger: Ledger, clock: FrozenClock, sender: Sender, text: str, n: int = 1) -> int:
    result = ledger.receive(
        Report(channel="test", external_id=f"d-{n}", center="wushenzhao", received_at=clock(),
               sender=sender, text=text)
    )  # fmt: skip
    assert result.issue_id is not None
    return result.issue_id


def statuses(ledger: Ledger, issue: int) -> list[tuple[str, str, str | None]]:
    return sorted(
        (e.notice.recipient_kind.value, e.status.value, e.transport)
        for e in ledger.outbox(issue=issue)
    )


def test_a_phone_only_supervisors_report_not_accepted_becomes_a_call_task(
    supdesk_ledger: Ledger,
    supdesk_clock: FrozenClock,
    transports: dict[str, Transport],
    tmp_path: Path,
) -> None:
    ledger = supdesk_ledger
    who = appoint(ledger, "巴特尔", Identity(ContactKind.PHONE, PHONE))
    issue = report(ledger, supdesk_clock, Sender(ContactKind.PHONE, PHONE), "窗口午休无人")
    ledger.not_accept(issue, reason="petition", note="已进入信访渠道办理", actor="op")
    outcome = ledger.deliver_notices()
    assert (outcome.delivered, outcome.call_tasks) == (0, 2)
    assert transports["chat"].sent == transports["mail"].sent == []
    # Nothing says it was delivered: both notices wait for the desk's call.
    assert statuses(ledger, issue) == [("supervisor", "call_task", None)] * 2
    assert ledger.outbox(status="delivered") == []
    entry = ledger.outbox(issue=issue)[0]
    assert entry.last_error == "chat：没有messenger地址；mail：没有email地址；robot：只通知承办单位"
    # The desk's list: whom to call, the number, the text to read, oldest first.
    tasks = ledger.call_tasks(centers=["wushenzhao"])
    assert [t.entry.id for t in tasks] == sorted(e.id for e in ledger.outbox(issue=issue))
    refused = tasks[1]
    assert refused.supervisor_id == who and refused.supervisor_name == "巴特尔"
    assert refused.phones == (PHONE,) and refused.issue_number == ledger.issue(issue).number
    assert (
        "不予受理" in refused.entry.notice.body
        and "已进入信访渠道办理" in refused.entry.notice.body
    )
    assert ledger.call_tasks(centers=["galutu"]) == []
    assert ledger.call_task_count(centers=["wushenzhao"]) == 2
    assert ledger.deliver_notices() == type(outcome)()  # a call task is not retried by itself

    # The desk calls and records it: the ledger says 电话告知, with the time of the call.
    called = dt.datetime(2026, 3, 2, 9, 40, tzinfo=SHANGHAI)
    supdesk_clock.advance(hours=1)
    done = ledger.record_call(
        refused.entry.id, called_at=called, actor="user:town-desk", center="wushenzhao"
    )
    assert done.status is OutboxStatus.DONE_BY_PHONE and done.transport == "phone"
    assert done.delivered_at == called and done.called_by == "user:town-desk"
    assert done.transport_label == "电话告知"
    assert ledger.call_task_count(centers=["wushenzhao"]) == 1
    ((page_told,),) = [list(p.told.values()) for p in ledger.ledger_pages(center="wushenzhao")]
    assert page_told == (dt.datetime(2026, 3, 2, 9, 40), "phone")
    # The workbook names it as people read it.
    csv_path = tmp_path / "ledger.csv"
    export_ledger(ledger, csv_path, center="wushenzhao", fmt="csv")
    assert "2026-03-02 09:40 电话告知" in csv_path.read_text(encoding="utf-8-sig")
    with pytest.raises(InvalidTransition, match="已电话告知"):
        ledger.record_call(refused.entry.id, called_at=called, actor="user:town-desk")


def test_a_call_is_recorded_only_by_its_center_and_at_a_time_that_can_be(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    appoint(ledger, "巴特尔", Identity(ContactKind.PHONE, PHONE))
    report(ledger, supdesk_clock, Sender(ContactKind.PHONE, PHONE), "窗口午休无人")
    ledger.deliver_notices()
    (task,) = ledger.call_tasks()
    now = supdesk_clock()
    with pytest.raises(InvalidInput, match="不是本中心"):
        ledger.record_call(task.entry.id, called_at=now, actor="user:g", center="galutu")
    with pytest.raises(InvalidInput, match="不能晚于现在"):
        ledger.record_call(task.entry.id, called_at=now + dt.timedelta(hours=1), actor="user:t")
    with pytest.raises(InvalidInput, match="不能早于"):
        ledger.record_call(task.entry.id, called_at=now - dt.timedelta(days=1), actor="user:t")
    with pytest.raises(InvalidInput, match="时区"):
        ledger.record_call(task.entry.id, called_at=now.replace(tzinfo=None), actor="user:t")
    assert ledger.outbox_entry(task.entry.id).status is OutboxStatus.CALL_TASK


def test_a_notifier_that_cannot_reach_or_fails_falls_through_to_the_next(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, transports: dict[str, Transport]
) -> None:
    ledger = supdesk_ledger
    appoint(ledger, "乌云", Identity(ContactKind.EMAIL, "wuyun@example.cn"),
            Identity(ContactKind.MESSENGER, "chat:42"))  # fmt: skip
    appoint(ledger, "张志强", Identity(ContactKind.EMAIL, "zhang@example.cn"))
    # Reaches by chat, the first way.
    first = report(ledger, supdesk_clock, Sender(ContactKind.EMAIL, "wuyun@example.cn"), "一")
    # No chat account: said by the chat, carried by mail.
    second = report(ledger, supdesk_clock, Sender(ContactKind.EMAIL, "zhang@example.cn"), "二", 2)
    ledger.deliver_notices()
    assert statuses(ledger, first) == [("supervisor", "delivered", "chat")]
    (by_mail,) = ledger.outbox(issue=second)
    assert (by_mail.status, by_mail.transport) == (OutboxStatus.DELIVERED, "mail")
    assert by_mail.last_error == "chat：没有messenger地址"
    assert [n.key for n in transports["mail"].sent] == [by_mail.notice.key]

    # The chat is down: the notice goes by mail at once instead of waiting.
    transports["chat"].fail_times = 1
    ledger.accept(first, actor="op")
    ledger.deliver_notices()
    accepted = max(ledger.outbox(issue=first), key=lambda e: e.id)
    assert (accepted.status, accepted.transport) == (OutboxStatus.DELIVERED, "mail")
    assert "chat：ConnectionError: gateway down" in (accepted.last_error or "")


def test_when_every_way_fails_the_notice_is_retried_then_phoned_or_dead_lettered(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, transports: dict[str, Transport]
) -> None:
    ledger = supdesk_ledger
    appoint(ledger, "李", Identity(ContactKind.EMAIL, "li@example.cn"),
            Identity(ContactKind.PHONE, PHONE))  # fmt: skip
    appoint(ledger, "王", Identity(ContactKind.EMAIL, "wang@example.cn"))
    phoned = report(ledger, supdesk_clock, Sender(ContactKind.EMAIL, "li@example.cn"), "一")
    mailed = report(ledger, supdesk_clock, Sender(ContactKind.EMAIL, "wang@example.cn"), "二", 2)
    transports["mail"].fail_times = 100
    assert ledger.deliver_notices().retrying == 2
    assert {e.status for e in ledger.outbox()} == {OutboxStatus.RETRYING}
    for minutes in (1, 2):
        supdesk_clock.advance(minutes=minutes)
        ledger.deliver_notices()
    # delivery_attempts (3) used up: the one with a phone is for the desk to call.
    assert statuses(ledger, phoned) == [("supervisor", "call_task", None)]
    assert statuses(ledger, mailed) == [("supervisor", "dead", None)]
    (dead,) = ledger.outbox(status="dead")
    assert dead.attempts == 3 and "gateway down" in (dead.last_error or "")
    # Mail works again; the operator puts the dead letter back in line.
    transports["mail"].fail_times = 0
    ledger.retry_notice(dead.id)
    assert ledger.deliver_notices().delivered == 1
    assert statuses(ledger, mailed) == [("supervisor", "delivered", "mail")]
    with pytest.raises(InvalidTransition, match="已送达"):
        ledger.retry_notice(dead.id)


def test_a_retried_call_task_takes_the_supervisors_contacts_as_they_are_now(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    who = appoint(ledger, "巴特尔", Identity(ContactKind.PHONE, PHONE))
    issue = report(ledger, supdesk_clock, Sender(ContactKind.PHONE, PHONE), "窗口午休无人")
    ledger.deliver_notices()
    (task,) = ledger.call_tasks()
    ledger.add_identity(who, Identity(ContactKind.MESSENGER, "chat:7"))  # linked since
    ledger.retry_notice(task.entry.id)
    ledger.deliver_notices()
    assert statuses(ledger, issue) == [("supervisor", "delivered", "chat")]


def test_a_unit_no_notifier_reaches_is_unreachable_with_the_reasons(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, transports: dict[str, Transport]
) -> None:
    ledger = supdesk_ledger
    appoint(ledger, "乌云", Identity(ContactKind.EMAIL, "wuyun@example.cn"))
    issue = report(ledger, supdesk_clock, Sender(ContactKind.EMAIL, "wuyun@example.cn"), "一")
    ledger.accept(issue, actor="op")
    ledger.dispatch(issue, unit="wushenzhao-window", responsible_person="其木格", actor="op")
    transports["robot"].units = False
    transports["robot"].reaches = ContactKind.PHONE  # a robot that reaches no unit now
    ledger.deliver_notices()
    (to_unit,) = [e for e in ledger.outbox(issue=issue) if e.notice.recipient_kind == "unit"]
    assert to_unit.status is OutboxStatus.UNREACHABLE and to_unit.transport is None
    assert (
        to_unit.last_error == "chat：没有messenger地址；mail：没有email地址；robot：没有phone地址"
    )
    assert ledger.status()["outbox_unreachable"] == 1


def test_a_notice_to_a_center_reaches_its_console_inbox(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, transports: dict[str, Transport]
) -> None:
    ledger = supdesk_ledger
    appoint(ledger, "乌云", Identity(ContactKind.EMAIL, "wuyun@example.cn"))
    issue = report(ledger, supdesk_clock, Sender(ContactKind.EMAIL, "wuyun@example.cn"), "一")
    ledger.accept(issue, actor="op")
    ledger.dispatch(issue, unit="wushenzhao-window", responsible_person="其木格", actor="op")
    ledger.object_dispatch(issue, reason="不属于本单位职责", actor="unit:wushenzhao-window:x")
    ledger.notify_center("wushenzhao", key="prepared:briefing:2026H1:wushenzhao",
                         subject="【待审阅】2026H1 监督工作通报", body="已自动生成，请审阅")  # fmt: skip
    ledger.deliver_notices()
    objection, review = ledger.inbox("wushenzhao")[::-1]
    assert objection.issue_id == issue and "不属于本单位职责" in objection.notice.body
    assert "待审阅" in review.notice.subject
    # No notifier reaches a township's staff (no address): the console's inbox carried it.
    for entry in (objection, review):
        assert (entry.status, entry.transport) == (OutboxStatus.DELIVERED, "console")
        assert entry.transport_label == "控制台收件箱"
    assert ledger.unread_count("wushenzhao") == 2 and ledger.unread_count("banner") == 0
    read = ledger.mark_read(objection.id, center="wushenzhao", actor="user:town-desk")
    assert read.read_by == "user:town-desk" and read.read_at == supdesk_clock()
    assert ledger.unread_count("wushenzhao") == 1
    assert [e.id for e in ledger.inbox("wushenzhao", unread=True)] == [review.id]
    with pytest.raises(InvalidInput, match="不在本中心的收件箱"):
        ledger.mark_read(review.id, center="banner", actor="user:banner-desk")


def test_the_routines_escalation_reaches_the_banner_centers_inbox_and_its_mail(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, transports: dict[str, Transport]
) -> None:
    ledger = supdesk_ledger
    appoint(ledger, "乌云", Identity(ContactKind.EMAIL, "wuyun@example.cn"))
    issue = report(ledger, supdesk_clock, Sender(ContactKind.EMAIL, "wuyun@example.cn"), "一")
    ledger.accept(issue, actor="op")
    ledger.dispatch(issue, unit="wushenzhao-window", responsible_person="其木格", actor="op")
    ledger.plan(issue, track="immediate", actor="op")
    due = ledger.issue(issue).due_on
    assert due is not None
    late = ledger.calendar.add_working_days(due, ledger.limits.escalate_to_banner_after).due_on
    supdesk_clock.set(dt.datetime.combine(late, dt.time(9), SHANGHAI))
    assert ledger.run_routine().get("escalation") == 1
    ledger.deliver_notices()
    (escalation,) = ledger.inbox("banner")
    assert "督办" in escalation.notice.subject and escalation.notice.center == "wushenzhao"
    # The banner center has an address: its staff got the mail, and the inbox keeps it.
    assert (escalation.status, escalation.transport) == (OutboxStatus.DELIVERED, "mail")
    (mail,) = [n for n in transports["mail"].sent if n.recipient_kind == "center"]
    assert mail.addresses == (Identity(ContactKind.EMAIL, "jiandu@banner.test"),)
    overdue = [e for e in ledger.inbox("wushenzhao") if "逾期" in e.notice.subject]
    assert overdue and all(e.transport == "console" for e in overdue)


def test_delivery_order_gives_one_kind_of_recipient_its_own_order(
    supdesk_settings: Settings,
    supdesk_plugin_manager: PluginManager,
    supdesk_database_url: str,
    supdesk_clock: FrozenClock,
    transports: dict[str, Transport],
) -> None:
    from supervision_core import open_ledger

    centers = tuple(
        attrs.evolve(c, delivery_order={"supervisor": ("mail", "chat")})
        for c in supdesk_settings.centers
    )
    settings = attrs.evolve(supdesk_settings, centers=centers)
    with open_ledger(supdesk_database_url, settings=settings, plugin_manager=supdesk_plugin_manager,
                     create=True, clock=supdesk_clock) as ledger:  # fmt: skip
        appoint(ledger, "乌云", Identity(ContactKind.EMAIL, "wuyun@example.cn"),
                Identity(ContactKind.MESSENGER, "chat:42"))  # fmt: skip
        issue = report(ledger, supdesk_clock, Sender(ContactKind.EMAIL, "wuyun@example.cn"), "一")
        ledger.deliver_notices()
        assert statuses(ledger, issue) == [("supervisor", "delivered", "mail")]


def test_upgrade_folds_the_per_notifier_entries_into_one_a_notice(
    supdesk_database_url: str,
    supdesk_settings: Settings,
    supdesk_plugin_manager: PluginManager,
    supdesk_clock: FrozenClock,
) -> None:
    engine = create_engine(supdesk_database_url)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0012")
    now = supdesk_clock()
    old = [
        # (key, notifier, delivered, dead, attempts): one notice sent by two notifiers
        ("1:1:supervisor:email", "email", now, None, 0),
        ("1:1:supervisor:telegram", "telegram", None, None, 2),
        ("1:2:unit:email", "email", None, now, 8),
        ("1:2:unit:wecom", "wecom", None, None, 1),
        ("routine:overdue:1:2026-03-02:center:banner:email", "email", None, None, 0),
    ]
    with engine.begin() as connection:
        for key, notifier, delivered, dead, attempts in old:
            connection.execute(
                sa.text(
                    "INSERT INTO outbox (key, issue_id, center_code, notifier, recipient_kind, "
                    "recipient, addresses, subject, body, created_at, attempts, next_attempt_at, "
                    "delivered_at, dead_at) VALUES (:key, 1, 'banner', :notifier, 'supervisor', "
                    "'1', '[]', 's', 'b', :now, :attempts, :now, :delivered, :dead)"
                ),
                {"key": key, "notifier": notifier, "now": now, "attempts": attempts,
                 "delivered": delivered, "dead": dead},
            )  # fmt: skip
    migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT key, status, notifier FROM outbox ORDER BY key")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("1:1:supervisor", "delivered", "email"),
        ("1:2:unit", "retrying", None),  # the one still trying is kept, not the dead one
        ("routine:overdue:1:2026-03-02:center:banner", "pending", None),
    ]

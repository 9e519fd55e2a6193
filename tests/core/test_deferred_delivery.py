"""A notifier may say "not now" (``Deferred``), and report a receipt afterwards.

The notice waits, neither failed nor passed on.

Text messages may not be sent at night; the SMS notifier raises ``Deferred(until)`` and the
outbox keeps the notice pending until then, without counting a failed attempt and without
trying the next way (which would make a call task of a notice that only has to wait).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from supervision_core import (
    SHANGHAI,
    ContactKind,
    Deferred,
    Identity,
    InvalidInput,
    Ledger,
    NewSupervisor,
    NotFound,
    Notice,
    OutboxStatus,
    PluginManager,
    PluginTable,
    Report,
    Sender,
    Settings,
    hookimpl,
)
from supervision_core.testing import FrozenClock

PHONE = "13904772345"


@attrs.frozen
class NightSettings:
    """``[notifiers.night]``: ``morning`` (the hour sending may start)."""

    morning: int

    @classmethod
    def from_table(cls, table: PluginTable) -> NightSettings:
        return cls(table.integer("morning", 8))


class Night:
    """Sends only from ``morning`` on, by the clock ``configure`` is given."""

    name = "night"
    settings_type = NightSettings

    def __init__(self, sent: list[Notice], clock: Callable[[], dt.datetime] | None = None,
                 morning: int = 8) -> None:  # fmt: skip
        self.sent, self.clock, self.morning = sent, clock, morning

    def configure(self, settings: NightSettings, clock: Callable[[], dt.datetime]) -> Night:
        return Night(self.sent, clock, settings.morning)

    def deliver(self, notice: Notice) -> None:
        assert self.clock is not None, "the outbox hands its clock to configure(clock=...)"
        now = self.clock().astimezone(SHANGHAI)
        if now.hour < self.morning:
            raise Deferred(now.replace(hour=self.morning, minute=0), "夜间免打扰，早上发送")
        self.sent.append(notice)


@pytest.fixture
def sent() -> list[Notice]:
    return []


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    centers = tuple(attrs.evolve(c, notifiers=("night",)) for c in supdesk_settings.centers)
    return attrs.evolve(
        supdesk_settings,
        centers=centers,
        delivery_attempts=1,
        notifier_options={"night": {"morning": 8}},
    )


@pytest.fixture
def supdesk_plugin_manager(
    supdesk_plugin_manager: PluginManager, sent: list[Notice]
) -> PluginManager:
    class Plugin:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(Night(sent))

    supdesk_plugin_manager.register(Plugin(), name="night")
    return supdesk_plugin_manager


def test_a_deferred_notice_waits_for_morning_without_failing_or_falling_through(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, sent: list[Notice]
) -> None:
    ledger = supdesk_ledger
    supdesk_clock.set(dt.datetime(2026, 3, 3, 3, 30, tzinfo=SHANGHAI))
    ledger.add_supervisor(
        NewSupervisor(name="巴特尔", center="wushenzhao",
                      identities=[Identity(ContactKind.PHONE, PHONE)])
    )  # fmt: skip
    ledger.receive(
        Report(channel="test", external_id="n-1", center="wushenzhao", received_at=supdesk_clock(),
               sender=Sender(ContactKind.PHONE, PHONE), text="窗口午休无人")
    )  # fmt: skip
    outcome = ledger.deliver_notices()
    # Not delivered, not a call task, not retrying (delivery_attempts = 1 would make it dead).
    assert outcome == type(outcome)()
    (entry,) = ledger.outbox()
    assert entry.status is OutboxStatus.PENDING and entry.attempts == 0
    assert entry.last_error == "night：夜间免打扰，早上发送" and sent == []
    assert entry.next_attempt_at == dt.datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    # Asked again in the night: not due yet, nothing happens.
    supdesk_clock.set(dt.datetime(2026, 3, 3, 7, 59, tzinfo=SHANGHAI))
    assert ledger.deliver_notices() == type(outcome)() and sent == []
    # In the morning it goes.
    supdesk_clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI))
    assert ledger.deliver_notices().delivered == 1
    (entry,) = ledger.outbox()
    assert entry.status is OutboxStatus.DELIVERED and entry.transport == "night"
    assert [n.kind for n in sent] == ["received"]


def test_deferred_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="时区"):
        Deferred(dt.datetime(2026, 3, 3, 8, 0))
    assert "延后至 2026-03-03T08:00:00+08:00" in str(
        Deferred(dt.datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI))
    )


def test_a_receipt_is_recorded_and_a_failed_one_makes_a_call_task(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, sent: list[Notice]
) -> None:
    ledger = supdesk_ledger
    ledger.add_supervisor(
        NewSupervisor(name="巴特尔", center="wushenzhao",
                      identities=[Identity(ContactKind.PHONE, PHONE)])
    )  # fmt: skip
    for n in (1, 2):
        ledger.receive(
            Report(channel="test", external_id=f"r-{n}", center="wushenzhao",
                   received_at=supdesk_clock(), sender=Sender(ContactKind.PHONE, PHONE),
                   text=f"第{n}件事")
        )  # fmt: skip
    assert ledger.deliver_notices().delivered == 2
    first, second = sorted(ledger.outbox(), key=lambda e: e.id)
    assert first.receipt is None
    at = dt.datetime(2026, 3, 2, 9, 1, tzinfo=SHANGHAI)
    with pytest.raises(InvalidInput, match="不是由 chat 发送的"):  # only its carrier reports
        ledger.record_receipt(first.notice.key, notifier="chat", ok=True, at=at)
    told = ledger.record_receipt(
        first.notice.key, notifier="night", ok=True, at=at, detail="DELIVRD"
    )
    assert told.status is OutboxStatus.DELIVERED and told.receipt is not None
    assert (told.receipt.ok, told.receipt.at, told.receipt.label) == (True, at, "已送达")
    # A failed receipt is shown as it is: not told after all, so the desk must call.
    failed = ledger.record_receipt(
        second.notice.key, notifier="night", ok=False, at=at, detail="用户手机关机"
    )
    assert failed.status is OutboxStatus.CALL_TASK and failed.transport is None
    assert failed.receipt is not None and failed.receipt.label == "未送达（用户手机关机）"
    assert failed.last_error == "night：回执未送达（用户手机关机）"
    assert [t.entry.id for t in ledger.call_tasks()] == [second.id]
    # A later word on a notice that became a call task is kept, and changes nothing else.
    late = ledger.record_receipt(second.notice.key, notifier="night", ok=True, at=at)
    assert late.status is OutboxStatus.CALL_TASK and late.receipt is not None
    assert late.receipt.ok
    with pytest.raises(NotFound, match="没有标识为 nope 的通知"):
        ledger.record_receipt("nope", notifier="night", ok=True, at=at)
    with pytest.raises(InvalidInput, match="时区"):
        ledger.record_receipt(
            first.notice.key, notifier="night", ok=True, at=at.replace(tzinfo=None)
        )

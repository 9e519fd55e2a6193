"""Notices: written with their events, delivered by notifier plugins, retried, dead-lettered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from alembic import command

from supervision_core import (
    InvalidTransition,
    Ledger,
    Notice,
    OutboxStatus,
    PluginManager,
    Report,
    Settings,
    create_engine,
    hookimpl,
    open_ledger,
)
from supervision_core.store.engine import _alembic_config
from supervision_core.testing import FrozenClock

MakeReport = Callable[..., Report]


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[Notice] = []
        self.fail_times = 0

    def deliver(self, notice: Notice) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("gateway down")
        self.sent.append(notice)


@pytest.fixture
def notifier() -> Recording:
    return Recording()


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    centers = tuple(attrs.evolve(c, notifiers=("recording",)) for c in supdesk_settings.centers)
    return attrs.evolve(supdesk_settings, centers=centers, delivery_attempts=3)


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


def test_supervisor_and_unit_are_told_and_the_unit_never_learns_who(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, notifier: Recording
) -> None:
    ref = (
        supdesk_ledger.receive(
            supdesk_report("我（电话13812341234）在不动产窗口被要求补交三次材料")
        ).issue_id
        or 0
    )
    supdesk_ledger.accept(ref, actor="op")
    supdesk_ledger.dispatch(ref, unit="realty", responsible_person="赵主任", actor="op")
    assert (
        len(supdesk_ledger.outbox(status="pending")) == 4
    )  # received, accepted, dispatched + the unit's
    report = supdesk_ledger.deliver_notices()
    assert report.delivered == 4
    to_supervisor = [n for n in notifier.sent if n.recipient_kind == "supervisor"]
    to_unit = [n for n in notifier.sent if n.recipient_kind == "unit"]
    assert [n.recipient for n in to_unit] == ["realty"]
    assert (
        "已收到" in to_supervisor[0].body
        and to_supervisor[0].addresses[0].value == "reporter@example.cn"
    )
    unit_notice = repr(to_unit[0])
    assert "reporter@example.cn" not in unit_notice and "13812341234" not in unit_notice
    assert "测试监督员" not in unit_notice and to_unit[0].addresses == ()
    assert supdesk_ledger.deliver_notices().delivered == 0  # each notice once
    assert {e.status for e in supdesk_ledger.outbox()} == {OutboxStatus.DELIVERED}


def test_failures_back_off_then_dead_letter_and_retry(
    supdesk_ledger: Ledger,
    supdesk_report: MakeReport,
    notifier: Recording,
    supdesk_clock: FrozenClock,
) -> None:
    supdesk_ledger.receive(supdesk_report())
    notifier.fail_times = 10
    assert supdesk_ledger.deliver_notices().retrying == 1
    assert supdesk_ledger.deliver_notices().retrying == 0  # not due yet: backing off
    (entry,) = supdesk_ledger.outbox()
    assert entry.attempts == 1 and "gateway down" in (entry.last_error or "")
    assert entry.next_attempt_at - supdesk_clock() == dt.timedelta(minutes=1)
    supdesk_clock.advance(minutes=1)
    assert supdesk_ledger.deliver_notices().retrying == 1
    supdesk_clock.advance(minutes=2)
    assert supdesk_ledger.deliver_notices().dead == 1
    (dead,) = supdesk_ledger.outbox(status="dead")
    assert dead.attempts == 3
    notifier.fail_times = 0
    supdesk_ledger.retry_notice(dead.id)
    assert supdesk_ledger.deliver_notices().delivered == 1
    assert notifier.sent[0].key == dead.notice.key
    with pytest.raises(InvalidTransition):
        supdesk_ledger.retry_notice(dead.id)


def test_a_send_interrupted_mid_way_is_retried_after_the_lease(
    supdesk_ledger: Ledger,
    supdesk_report: MakeReport,
    notifier: Recording,
    supdesk_clock: FrozenClock,
) -> None:
    supdesk_ledger.receive(supdesk_report())

    class Crash(BaseException):
        pass

    def crash(notice: Notice) -> None:
        raise Crash

    original = notifier.deliver
    notifier.deliver = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        supdesk_ledger.deliver_notices()
    notifier.deliver = original  # type: ignore[method-assign]
    assert supdesk_ledger.deliver_notices().delivered == 0  # leased to the dead sender
    supdesk_clock.advance(minutes=5)
    assert supdesk_ledger.deliver_notices().delivered == 1
    assert len(notifier.sent) == 1


def test_upgrade_from_the_first_schema_keeps_the_data(
    supdesk_database_url: str,
    supdesk_settings: Settings,
    supdesk_plugin_manager: PluginManager,
    supdesk_clock: FrozenClock,
) -> None:
    engine = create_engine(supdesk_database_url)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO center (code, name, level) VALUES ('old', '老中心', 'township')")
        )
    engine.dispose()
    ledger = open_ledger(
        supdesk_database_url,
        settings=supdesk_settings,
        plugin_manager=supdesk_plugin_manager,
        create=True,
        clock=supdesk_clock,
    )
    assert "old" in [c.code for c in ledger.centers()]
    assert ledger.outbox() == []
    ledger.close()

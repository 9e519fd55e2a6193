"""The supervisor's sign-in by one-time code (/me): sent through the outbox at once, kept hashed.

Limited per supervisor and per address, expiring, single use, locked after a few wrong
tries; sessions are long, ended by staff, and sign nobody in once the supervisor is
suspended or revoked.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from supervision_core import (
    CODE_MINUTES,
    CODE_TRIES,
    SESSION_DAYS,
    ContactKind,
    Identity,
    InvalidInput,
    Ledger,
    NewSupervisor,
    Notice,
    OutboxStatus,
    PluginManager,
    Report,
    Sender,
    Settings,
    hookimpl,
)
from supervision_core.testing import FrozenClock

PHONE = "13904771234"


class Sms:
    """A stand-in SMS notifier: records what it carries."""

    name = "sms"

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def deliver(self, notice: Notice) -> None:
        self.sent.append(notice)

    def last_code(self) -> str:
        found = re.search(r"\d{6}", self.sent[-1].body)
        assert found is not None
        return found.group(0)


@pytest.fixture
def sms() -> Sms:
    return Sms()


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    centers = tuple(attrs.evolve(c, notifiers=("sms",)) for c in supdesk_settings.centers)
    return attrs.evolve(supdesk_settings, centers=centers)


@pytest.fixture
def supdesk_plugin_manager(supdesk_plugin_manager: PluginManager, sms: Sms) -> PluginManager:
    class Plugin:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(sms)

    supdesk_plugin_manager.register(Plugin(), name="test-sms")
    return supdesk_plugin_manager


@pytest.fixture
def supervisor(supdesk_ledger: Ledger) -> int:
    return supdesk_ledger.add_supervisor(
        NewSupervisor(
            name="乌兰", center="wushenzhao", identities=[Identity(ContactKind.PHONE, PHONE)]
        )
    ).id


def test_a_code_goes_out_at_once_and_signs_in_once(
    supdesk_ledger: Ledger, sms: Sms, supervisor: int
) -> None:
    ledger = supdesk_ledger
    assert ledger.request_sign_in_code("+86 139-0477-1234", ip="10.0.0.1") is True
    assert len(sms.sent) == 1  # at once, not at the daemon's next tick
    code = sms.last_code()
    assert sms.sent[0].recipient == str(supervisor)
    # A templated transport (SMS, WeChat) has the kind and the facts to fill its template.
    assert sms.sent[0].kind == "sign_in_code"
    assert dict(sms.sent[0].fields) == {"code": code, "minutes": str(CODE_MINUTES)}
    # The outbox keeps the notice, delivered, with the code blotted out; the code table
    # keeps a digest only.
    entry = ledger.notices_to_supervisor(supervisor)[0]
    assert entry.status is OutboxStatus.DELIVERED and entry.transport == "sms"
    assert code not in entry.notice.body and "******" in entry.notice.body
    assert entry.notice.fields["code"] == "******"
    with ledger.engine.connect() as c:
        stored = c.execute(sa.text("SELECT code_hash FROM sign_in_code")).scalars().all()
    assert stored and code not in str(stored)
    signed = ledger.sign_in_with_code(PHONE, code, ip="10.0.0.1")
    assert signed.session.supervisor_id == supervisor and signed.session.via == "code"
    assert ledger.supervisor_of_session(signed.token) == ledger.supervisor(supervisor)
    with pytest.raises(InvalidInput, match="验证码不正确或已过期"):
        ledger.sign_in_with_code(PHONE, code)  # single use


def test_a_wrong_code_counts_and_locks_the_code(
    supdesk_ledger: Ledger, sms: Sms, supervisor: int
) -> None:
    ledger = supdesk_ledger
    ledger.request_sign_in_code(PHONE)
    code = sms.last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in range(CODE_TRIES - 1, 0, -1):
        with pytest.raises(InvalidInput, match=f"还可再试 {left} 次"):
            ledger.sign_in_with_code(PHONE, wrong)
    with pytest.raises(InvalidInput, match="错误次数过多"):
        ledger.sign_in_with_code(PHONE, wrong)
    with pytest.raises(InvalidInput, match="验证码不正确或已过期"):
        ledger.sign_in_with_code(PHONE, code)  # the right one, too late


def test_a_code_expires(
    supdesk_ledger: Ledger, sms: Sms, supervisor: int, supdesk_clock: FrozenClock
) -> None:
    supdesk_ledger.request_sign_in_code(PHONE)
    supdesk_clock.advance(minutes=CODE_MINUTES, seconds=1)
    with pytest.raises(InvalidInput, match="已过期"):
        supdesk_ledger.sign_in_with_code(PHONE, sms.last_code())


def test_codes_are_limited_per_supervisor_and_per_address(
    supdesk_ledger: Ledger, sms: Sms, supervisor: int, supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    ledger.request_sign_in_code(PHONE, ip="10.0.0.2")
    with pytest.raises(InvalidInput, match="一分钟后"):
        ledger.request_sign_in_code(PHONE, ip="10.0.0.3")
    for _ in range(4):
        supdesk_clock.advance(minutes=2)
        ledger.request_sign_in_code(PHONE, ip="10.0.0.2")
    supdesk_clock.advance(minutes=2)
    with pytest.raises(InvalidInput, match="过于频繁"):
        ledger.request_sign_in_code(PHONE, ip="10.0.0.4")
    assert len(sms.sent) == 5
    # Unknown numbers from one address count too, and send nothing.
    for n in range(15):
        assert ledger.request_sign_in_code(f"1380000{n:04d}", ip="10.0.0.2") is False
    with pytest.raises(InvalidInput, match="本网络"):
        ledger.request_sign_in_code("13800009999", ip="10.0.0.2")
    assert len(sms.sent) == 5
    with pytest.raises(InvalidInput, match="手机号码"):
        ledger.request_sign_in_code("abc")


def test_sessions_are_long_ended_by_staff_and_refuse_the_suspended(
    supdesk_ledger: Ledger, sms: Sms, supervisor: int, supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    ledger.request_sign_in_code(PHONE)
    first = ledger.sign_in_with_code(PHONE, sms.last_code()).token
    supdesk_clock.advance(days=SESSION_DAYS - 1)
    assert ledger.supervisor_of_session(first) is not None  # used: moved on
    supdesk_clock.advance(days=SESSION_DAYS - 1)
    assert ledger.supervisor_of_session(first) is not None
    second = ledger.start_supervisor_session(supervisor, via="wechat").token
    assert ledger.end_supervisor_sessions(supervisor, actor="staff:admin") == 2
    assert ledger.supervisor_of_session(first) is None
    assert ledger.supervisor_of_session(second) is None
    assert [s.revoked_by for s in ledger.supervisor_sessions(supervisor)] == ["staff:admin"] * 2
    third = ledger.start_supervisor_session(supervisor, via="code").token
    ledger.suspend(supervisor, reason="暂停履职", actor="admin")
    assert ledger.supervisor_of_session(third) is None
    supdesk_clock.advance(minutes=5)
    assert ledger.request_sign_in_code(PHONE) is False  # nothing sent
    with pytest.raises(InvalidInput, match="暂停或已解聘"):
        ledger.start_supervisor_session(supervisor, via="code")
    assert ledger.supervisor_of_session("not-a-token") is None


def test_a_session_unused_for_its_days_ends(
    supdesk_ledger: Ledger, supervisor: int, supdesk_clock: FrozenClock
) -> None:
    token = supdesk_ledger.start_supervisor_session(supervisor, via="code").token
    supdesk_clock.advance(days=SESSION_DAYS, seconds=1)
    assert supdesk_ledger.supervisor_of_session(token) is None
    supdesk_ledger.end_supervisor_session(token)


def test_the_page_of_a_session_is_its_supervisors_issues_or_nobody(
    supdesk_ledger: Ledger, supervisor: int, supdesk_clock: FrozenClock
) -> None:
    """``supervisor_page``: the session check and a page of issues on one connection."""
    ledger = supdesk_ledger
    numbers = [
        ledger.receive(
            Report(channel="test", external_id=f"p{n}", center="wushenzhao",
                   received_at=supdesk_clock(), sender=Sender(ContactKind.PHONE, PHONE),
                   text=f"第 {n} 个问题")
        ).issue_number
        for n in range(3)
    ]  # fmt: skip
    token = ledger.start_supervisor_session(supervisor, via="code").token
    found = ledger.supervisor_page(token, limit=2)
    assert found is not None
    me, newest = found
    assert me == ledger.supervisor(supervisor) == ledger.supervisor_of_session(token)
    assert newest == ledger.supervisor_issues(supervisor, limit=2)
    assert [i.number for i in newest] == numbers[:0:-1]
    older = ledger.supervisor_page(token, before=newest[-1].id, limit=2)
    assert older is not None and [i.number for i in older[1]] == numbers[:1]
    supdesk_clock.advance(days=2)  # a use moves the session's end on, as any page's
    assert ledger.supervisor_page(token) is not None
    assert ledger.supervisor_sessions(supervisor)[0].last_seen_at == supdesk_clock()
    assert ledger.supervisor_page("not-a-token") is None
    ledger.suspend(supervisor, reason="暂停履职", actor="admin")
    assert ledger.supervisor_page(token) is None

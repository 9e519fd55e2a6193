"""The township plugin, tested with supervision_core.testing's fixtures."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
import supervision_township_wushenzhao as plugin

from supervision_core import (
    Band,
    Ledger,
    NotAcceptedReason,
    PluginHost,
    PluginManager,
    Report,
    Settings,
    SupervisorYear,
    get_plugin_manager,
    open_ledger,
)


@pytest.fixture
def supdesk_plugin_manager(supdesk_plugin_manager: PluginManager) -> PluginManager:
    supdesk_plugin_manager.register(plugin, name="wushenzhao")
    return supdesk_plugin_manager


def test_installed_package_is_found_through_its_entry_point() -> None:
    host = PluginHost(get_plugin_manager())
    assert "wushenzhao-2026" in host.scoring_policies()
    assert host.scoring_policies().plugin_of("wushenzhao-2026") == "wushenzhao"
    info = next(p for p in host.plugins() if p.name == "wushenzhao")
    assert info.distribution == "supervision-township-wushenzhao"
    assert info.hooks == (
        "supervision_register_scoring_policies",
        "supervision_register_screening_checks",
    )


def test_blocking_the_plugin_removes_it() -> None:
    host = PluginHost(get_plugin_manager(blocked=["wushenzhao"]))
    assert "wushenzhao-2026" not in host.scoring_policies()


def test_policy_weighs_reports_more_than_the_default() -> None:
    year = SupervisorYear(
        supervisor_id=1,
        year=2026,
        verified_reports=("a", "b", "c"),
        led_to_fix=("a",),
        activities_attended=("forum",),
    )
    policies = PluginHost(
        get_plugin_manager(load_entrypoints=False, extra_plugins=[(plugin, "wushenzhao")])
    ).scoring_policies()
    township = policies["wushenzhao-2026"].score(year)
    default = policies["default"].score(year)
    assert township.total == 60 + 12 + 2 + 4 == 78
    assert default.total == 60 + 6 + 1 + 3 == 70
    assert (
        policies["wushenzhao-2026"].score(attrs.evolve(year, adopted_suggestions=("s",))).band
        is Band.EXCELLENT
    )  # 84 >= the township's bar of 80


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),
        ("79927398713", True),
        ("79927398710", False),
        ("6222020200000000001", False),
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert plugin.luhn_valid(digits) is valid


def test_check_flags_card_numbers_with_masked_evidence(
    supdesk_ledger: Ledger, supdesk_report: Callable[..., Report]
) -> None:
    card = "4111 1111 1111 1111"
    result = supdesk_ledger.receive(
        supdesk_report(f"草原补奖没有到账，我的卡号{card}，窗口说查不到")
    )
    proposals = dict(supdesk_ledger.proposals(result.issue_id or 0))
    proposal = proposals["bank_card_numbers"]
    assert proposal.reason is NotAcceptedReason.CONFIDENTIAL
    assert "4111 **** **** 1111" in proposal.evidence and card not in proposal.evidence
    clean = supdesk_ledger.receive(supdesk_report("镇中心午间无人值守，订单号1234567812345678"))
    assert "bank_card_numbers" not in dict(supdesk_ledger.proposals(clean.issue_id or 0))


def test_a_center_can_choose_the_policy(
    supdesk_database_url: str, supdesk_settings: Settings, supdesk_plugin_manager: PluginManager
) -> None:
    centers = tuple(
        attrs.evolve(c, scoring_policy="wushenzhao-2026") if c.center.code == "wushenzhao" else c
        for c in supdesk_settings.centers
    )
    ledger = open_ledger(
        supdesk_database_url,
        settings=attrs.evolve(supdesk_settings, centers=centers),
        plugin_manager=supdesk_plugin_manager,
        create=True,
    )
    chosen = ledger.settings.center("wushenzhao")
    assert chosen is not None and chosen.scoring_policy == "wushenzhao-2026"
    assert ledger.host.scoring_policies()[chosen.scoring_policy].label.startswith("乌审召镇")
    ledger.close()


def test_installed_plugin_changes_a_default_ledger(
    supdesk_database_url: str, supdesk_settings: Settings
) -> None:
    """No plugin manager passed: the ledger finds the pip-installed package by itself."""
    from supervision_core import ContactKind, Identity, NewSupervisor, Sender

    ledger = open_ledger(supdesk_database_url, settings=supdesk_settings, create=True)
    ledger.add_supervisor(
        NewSupervisor(
            name="巴特尔",
            center="wushenzhao",
            identities=[Identity(ContactKind.EMAIL, "b@example.cn")],
        )
    )
    import datetime as dt

    result = ledger.receive(
        Report(
            channel="test",
            external_id="1",
            center="wushenzhao",
            received_at=dt.datetime.now(dt.UTC),
            sender=Sender(ContactKind.EMAIL, "b@example.cn"),
            text="补奖卡号4111111111111111没到账",
        )
    )
    assert "bank_card_numbers" in dict(ledger.proposals(result.issue_id or 0))
    ledger.close()

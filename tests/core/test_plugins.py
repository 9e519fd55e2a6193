"""The plugin system: every hook, failures isolated, discovery, blocking, registries."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

import click
import pytest
from click.testing import CliRunner

from supervision_core import (
    Center,
    ConfigError,
    IntakeResult,
    Issue,
    IssueEvent,
    IssueState,
    Ledger,
    NotAcceptedReason,
    Notice,
    PluginError,
    PluginHost,
    PluginManager,
    QuarantinedReport,
    Report,
    ScreeningProposal,
    Sender,
    Settings,
    SupervisorDirectory,
    SupervisorYear,
    get_plugin_manager,
    hookimpl,
    open_ledger,
)
from supervision_core.config import CenterSettings
from supervision_core.model.scoring import Band
from supervision_core.rules.scoring import DefaultPolicy
from supervision_core.testing import FrozenClock, HookRecorder

MakeReport = Callable[..., Report]


class _Channel:
    name = "fax"
    label = "传真"


class _Notifier:
    name = "pigeon"

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def deliver(self, notice: Notice) -> None:
        self.sent.append(notice)


def _with_center(settings: Settings, **changes: Any) -> Settings:
    import attrs

    first = attrs.evolve(settings.centers[0], **changes)
    return attrs.evolve(settings, centers=(first, *settings.centers[1:]))


# ------------------------------------------------------------------ one test per hook


def test_hook_supervision_register_channels(
    supdesk_plugin_manager: PluginManager, supdesk_settings: Settings, supdesk_database_url: str
) -> None:
    class Fax:
        @hookimpl
        def supervision_register_channels(self, register: Any) -> None:
            register.add(_Channel())

    settings = _with_center(supdesk_settings, channels=("fax",))
    with pytest.raises(ConfigError, match="'fax'"):
        open_ledger(
            supdesk_database_url,
            settings=settings,
            plugin_manager=supdesk_plugin_manager,
            create=True,
        )
    supdesk_plugin_manager.register(Fax(), name="fax-plugin")
    host = PluginHost(supdesk_plugin_manager)
    assert "fax" in host.channels()
    assert host.channels().plugin_of("fax") == "fax-plugin"
    open_ledger(
        supdesk_database_url, settings=settings, plugin_manager=supdesk_plugin_manager, create=True
    ).close()


class _TwoPoint:
    label = "两分制"

    def score(self, year: SupervisorYear) -> Any:
        return DefaultPolicy(base=0, per_verified_report=2).score(year)


def test_hook_supervision_register_scoring_policies(
    supdesk_plugin_manager: PluginManager, supdesk_settings: Settings, supdesk_database_url: str
) -> None:
    """A policy registered by a plugin can be chosen by name."""

    class TwoPoint:
        @hookimpl
        def supervision_register_scoring_policies(self, register: Any) -> None:
            register.add("two-point", _TwoPoint())

    settings = _with_center(supdesk_settings, scoring_policy="two-point")
    with pytest.raises(ConfigError, match=r"评分办法 'two-point'.*default"):
        open_ledger(
            supdesk_database_url,
            settings=settings,
            plugin_manager=supdesk_plugin_manager,
            create=True,
        )
    supdesk_plugin_manager.register(TwoPoint(), name="two-point-plugin")
    policies = PluginHost(supdesk_plugin_manager).scoring_policies()
    assert policies.names() == ["default", "two-point"]
    score = policies["two-point"].score(
        SupervisorYear(supervisor_id=1, year=2026, verified_reports=("a", "b"))
    )
    assert score.total == 4


def test_hook_supervision_register_screening_checks(
    supdesk_ledger: Ledger, supdesk_plugin_manager: PluginManager, supdesk_report: MakeReport
) -> None:
    class Secrets:
        @hookimpl
        def supervision_register_screening_checks(self, register: Any) -> None:
            register.add(
                "secrets",
                lambda r: (
                    ScreeningProposal("confidential", "含“机密”") if "机密" in r.text else None
                ),
            )

    supdesk_plugin_manager.register(Secrets(), name="secrets")
    supdesk_ledger.host = PluginHost(supdesk_plugin_manager)
    flagged = supdesk_ledger.receive(supdesk_report("这份机密文件窗口随意摆放"))
    clean = supdesk_ledger.receive(supdesk_report("窗口人员态度很好但办事慢"))
    assert supdesk_ledger.proposals(flagged.issue_id or 0) == [
        ("secrets", ScreeningProposal(NotAcceptedReason.CONFIDENTIAL, "含“机密”"))
    ]
    assert supdesk_ledger.proposals(clean.issue_id or 0) == []


def test_hook_supervision_register_notifiers(
    supdesk_plugin_manager: PluginManager, supdesk_settings: Settings, supdesk_database_url: str
) -> None:
    class Pigeons:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(_Notifier())

    settings = _with_center(supdesk_settings, notifiers=("pigeon",))
    with pytest.raises(ConfigError, match="通知方式 'pigeon'"):
        open_ledger(
            supdesk_database_url,
            settings=settings,
            plugin_manager=supdesk_plugin_manager,
            create=True,
        )
    supdesk_plugin_manager.register(Pigeons(), name="pigeons")
    assert PluginHost(supdesk_plugin_manager).notifiers().names() == [
        "email",
        "pigeon",
        "telegram",
    ]  # beside the built-ins
    open_ledger(
        supdesk_database_url, settings=settings, plugin_manager=supdesk_plugin_manager, create=True
    ).close()


@pytest.mark.parametrize("name", ["console", "phone"])
def test_the_desks_own_transports_are_no_notifiers_name(
    supdesk_plugin_manager: PluginManager, name: str
) -> None:
    class Impostor:
        def deliver(self, notice: Any) -> None:
            pass

    impostor = Impostor()
    impostor.name = name  # type: ignore[attr-defined]

    class Plugin:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(impostor)

    supdesk_plugin_manager.register(Plugin(), name="impostor")
    with pytest.raises(PluginError, match="留给工作台自己的告知方式"):
        PluginHost(supdesk_plugin_manager).notifiers()


def test_hook_supervision_register_import_profiles(
    supdesk_plugin_manager: PluginManager, supdesk_settings: Settings, supdesk_database_url: str
) -> None:
    from supervision_core import ColumnProfile

    mine = ColumnProfile(
        name="duty-phone",
        label="值班电话",
        columns={"time": ("值班时间",), "content": ("来电事由",)},
    )

    class Duty:
        @hookimpl
        def supervision_register_import_profiles(self, register: Any) -> None:
            register.add(mine)

    supdesk_plugin_manager.register(Duty(), name="duty")
    profiles = PluginHost(supdesk_plugin_manager).import_profiles()
    assert profiles["duty-phone"] is mine and profiles.plugin_of("duty-phone") == "duty"
    assert {"hotline", "township-ledger"} <= set(profiles.names())  # the phone channel's own
    import attrs

    clash = attrs.evolve(supdesk_settings, profiles=(mine,))
    ledger = open_ledger(
        supdesk_database_url, settings=clash, plugin_manager=supdesk_plugin_manager, create=True
    )
    with pytest.raises(ConfigError, match="重名"):
        ledger.import_profiles()
    ledger.close()


def test_hook_supervision_register_commands(supdesk_plugin_manager: PluginManager) -> None:
    class Hello:
        @hookimpl
        def supervision_register_commands(self, cli: click.Group) -> None:
            @cli.command()
            def hello() -> None:
                click.echo("你好")

    supdesk_plugin_manager.register(Hello(), name="hello")

    @click.group()
    def root() -> None:
        pass

    PluginHost(supdesk_plugin_manager).register_commands(root)
    result = CliRunner().invoke(root, ["hello"])
    assert result.output == "你好\n"


def test_hook_supervision_match_sender(
    supdesk_ledger: Ledger, supdesk_plugin_manager: PluginManager, supdesk_report: MakeReport
) -> None:
    sid = supdesk_ledger.supervisors()[0].id
    seen: list[tuple[str, str]] = []

    class Roster:
        @hookimpl
        def supervision_match_sender(
            self, sender: Sender, center: Center, directory: SupervisorDirectory
        ) -> int | None:
            seen.append((sender.value, center.code))
            return sid if sender.value.startswith("工号") else None

    supdesk_plugin_manager.register(Roster(), name="roster")
    supdesk_ledger.host = PluginHost(supdesk_plugin_manager)
    by_roster = supdesk_ledger.receive(supdesk_report(sender=Sender("messenger", "工号0042")))
    by_builtin = supdesk_ledger.receive(supdesk_report())
    nobody = supdesk_ledger.receive(supdesk_report(sender=Sender("messenger", "wecom:stranger")))
    assert by_roster.filed and supdesk_ledger.issue(by_roster.issue_id or 0).supervisor_id == sid
    assert by_builtin.filed  # the plugin said None, the built-in matcher answered
    assert not nobody.filed
    assert seen[0] == ("工号0042", "banner")


def test_hook_supervision_report_received(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_recorder: HookRecorder
) -> None:
    report = supdesk_report()
    result = supdesk_ledger.receive(report)
    (call,) = supdesk_recorder.named("supervision_report_received")
    assert call.kwargs["report"] is report
    assert (
        isinstance(call.kwargs["result"], IntakeResult)
        and call.kwargs["result"].issue_id == result.issue_id
    )


def test_hook_supervision_report_quarantined(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_recorder: HookRecorder
) -> None:
    supdesk_ledger.receive(supdesk_report(sender=Sender("email", "who@example.cn")))
    (call,) = supdesk_recorder.named("supervision_report_quarantined")
    quarantined = call.kwargs["quarantined"]
    assert isinstance(quarantined, QuarantinedReport)
    assert quarantined.reason.value == "unmatched_sender"
    assert not supdesk_recorder.named("supervision_report_received")


def test_hook_supervision_issue_changed(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_recorder: HookRecorder
) -> None:
    ref = supdesk_ledger.receive(supdesk_report()).issue_id or 0
    supdesk_ledger.accept(ref, actor="op")
    supdesk_ledger.dispatch(ref, unit="realty", responsible_person="赵", actor="op")
    calls = supdesk_recorder.named("supervision_issue_changed")
    assert [c.kwargs["event"].kind.value for c in calls] == ["received", "accepted", "dispatched"]
    last: Issue = calls[-1].kwargs["issue"]
    event: IssueEvent = calls[-1].kwargs["event"]
    assert last.state is IssueState.DISPATCHED and event.id is not None


def test_hook_supervision_closure_days(
    supdesk_plugin_manager: PluginManager,
    supdesk_settings: Settings,
    supdesk_database_url: str,
    supdesk_clock: FrozenClock,
) -> None:
    class Naadam:
        @hookimpl
        def supervision_closure_days(self, year: int) -> list[dt.date] | None:
            return [dt.date(year, 3, 3)] if year == 2026 else None

    supdesk_plugin_manager.register(Naadam(), name="naadam")
    ledger = open_ledger(
        supdesk_database_url,
        settings=supdesk_settings,
        plugin_manager=supdesk_plugin_manager,
        create=True,
        clock=supdesk_clock,
    )
    assert not ledger.calendar.is_working_day(dt.date(2026, 3, 3))
    assert ledger.calendar.is_working_day(dt.date(2025, 3, 3))
    ledger.close()


# ------------------------------------------------------------------ broken plugins


def test_a_raising_plugin_does_not_take_down_intake(
    supdesk_ledger: Ledger,
    supdesk_plugin_manager: PluginManager,
    supdesk_report: MakeReport,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        @hookimpl
        def supervision_report_received(self, report: Report, result: IntakeResult) -> None:
            raise RuntimeError("boom")

        @hookimpl
        def supervision_match_sender(self, sender: Sender) -> int | None:
            raise RuntimeError("matcher boom")

        @hookimpl
        def supervision_register_screening_checks(self, register: Any) -> None:
            register.add("raises", lambda r: 1 / 0)
            register.add("wrong-type", lambda r: "confidential")

    supdesk_plugin_manager.register(Broken(), name="broken-township")
    supdesk_ledger.host = PluginHost(supdesk_plugin_manager)
    result = supdesk_ledger.receive(supdesk_report())
    assert result.filed  # stored all the same
    assert supdesk_ledger.issue(result.issue_id or 0).state is IssueState.RECEIVED
    failures = {(f.plugin, f.hook) for f in supdesk_ledger.host.failures}
    assert failures == {
        ("broken-township", "supervision_report_received"),
        ("broken-township", "supervision_match_sender"),
        ("broken-township", "screening check raises"),
        ("broken-township", "screening check wrong-type"),
    }
    assert "broken-township" in caplog.text


def test_matcher_returning_wrong_type_is_reported(
    supdesk_ledger: Ledger, supdesk_plugin_manager: PluginManager, supdesk_report: MakeReport
) -> None:
    class Sloppy:
        @hookimpl
        def supervision_match_sender(self) -> Any:
            return "7"

    supdesk_plugin_manager.register(Sloppy(), name="sloppy")
    supdesk_ledger.host = PluginHost(supdesk_plugin_manager)
    assert supdesk_ledger.receive(supdesk_report()).filed  # the built-in answered
    assert supdesk_ledger.host.failures[0].plugin == "sloppy"
    assert "int" in supdesk_ledger.host.failures[0].error


def test_misspelled_hook_is_refused_at_start_up() -> None:
    class Typo:
        @hookimpl
        def supervision_report_recieved(self) -> None:
            pass

    with pytest.raises(PluginError) as info:
        get_plugin_manager(load_entrypoints=False, extra_plugins=[(Typo(), "typo-plugin")])
    assert info.value.plugin == "typo-plugin"
    assert "supervision_report_recieved" in str(info.value)


def test_duplicate_registration_names_both_plugins(supdesk_plugin_manager: PluginManager) -> None:
    class Again:
        @hookimpl
        def supervision_register_scoring_policies(self, register: Any) -> None:
            register.add("default", DefaultPolicy())

    supdesk_plugin_manager.register(Again(), name="again")
    with pytest.raises(PluginError) as info:
        PluginHost(supdesk_plugin_manager).scoring_policies()
    assert info.value.plugin == "again" and "supervision_core.rules.scoring" in str(info.value)


def test_registering_something_that_is_not_a_policy_fails_with_the_plugins_name(
    supdesk_plugin_manager: PluginManager,
) -> None:
    class Wrong:
        @hookimpl
        def supervision_register_scoring_policies(self, register: Any) -> None:
            register.add("wrong", object())

    supdesk_plugin_manager.register(Wrong(), name="wrong")
    with pytest.raises(PluginError, match=r"wrong.*score"):
        PluginHost(supdesk_plugin_manager).scoring_policies()


def test_built_in_plugins_can_be_blocked() -> None:
    pm = get_plugin_manager(load_entrypoints=False, blocked=["supervision_core.rules.screening"])
    assert len(PluginHost(pm).screening_checks()) == 0
    listed = {p.name: p for p in PluginHost(pm).plugins()}
    assert listed["supervision_core.rules.screening"].blocked  # shown as blocked
    assert listed["supervision_core.rules.screening"].hooks == ()


# ------------------------------------------------------------------ discovery


class _FakeEntryPoint:
    def __init__(self, name: str, loader: Callable[[], object]) -> None:
        self.name, self.group, self._loader = name, "supervision_desk", loader

    def load(self) -> object:
        return self._loader()


class _FakeDist:
    def __init__(self, name: str, version: str, entry_points: list[_FakeEntryPoint]) -> None:
        self.metadata = {"name": name}
        self.version = version
        self.entry_points = entry_points


class _Township:
    @hookimpl
    def supervision_register_scoring_policies(self, register: Any) -> None:
        register.add("fake-township", _TwoPoint())


def test_entry_point_plugins_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = _Township()
    dist = _FakeDist(
        "supervision-township-fake", "1.2.3", [_FakeEntryPoint("fake", lambda: plugin)]
    )
    monkeypatch.setattr(metadata, "distributions", lambda: [dist])
    host = PluginHost(get_plugin_manager())
    assert "fake-township" in host.scoring_policies()
    info = next(p for p in host.plugins() if p.name == "fake")
    assert (info.distribution, info.version, info.hooks) == (
        "supervision-township-fake",
        "1.2.3",
        ("supervision_register_scoring_policies",),
    )
    blocked = PluginHost(get_plugin_manager(blocked=["fake"]))
    assert "fake-township" not in blocked.scoring_policies()


def test_entry_point_that_fails_to_import_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode() -> object:
        raise ImportError("no module named yaml")

    dist = _FakeDist("supervision-township-bad", "0.1", [_FakeEntryPoint("bad", explode)])
    monkeypatch.setattr(metadata, "distributions", lambda: [dist])
    with pytest.raises(PluginError) as info:
        get_plugin_manager()
    assert info.value.plugin == "bad" and "supervision-township-bad" in str(info.value)


# ------------------------------------------------------------------ the default policy


def test_default_policy_scores_with_itemised_breakdown() -> None:
    year = SupervisorYear(
        supervisor_id=1,
        year=2026,
        verified_reports=("a", "b", "c"),
        led_to_fix=("a",),
        adopted_suggestions=("b",),
        activities_attended=("forum-1", "group-2"),
        service_experiences=tuple(str(i) for i in range(14)),
        unexcused_absences=("forum-3",),
    )
    score = DefaultPolicy().score(year)
    # 60 + 6 + 1 + 5 + 6 + 10 (capped) - 5
    assert score.total == 83 and score.band is Band.SATISFACTORY
    by_label = {i.label: i for i in score.items}
    assert by_label["办事体验记录"].points == 10
    assert by_label["无故缺席活动"].refs == ("forum-3",)
    breach = DefaultPolicy().score(
        SupervisorYear(supervisor_id=1, year=2026, confidentiality_breaches=("x",))
    )
    assert breach.revocation_review and breach.band is Band.UNSATISFACTORY
    assert (
        DefaultPolicy()
        .score(
            SupervisorYear(
                supervisor_id=1, year=2026, rule_changes=("r", "s"), verified_reports=("a",) * 3
            )
        )
        .band
        is Band.EXCELLENT
    )


def test_center_settings_name_plugins() -> None:
    cs = CenterSettings(center=Center("x", "某中心", "township"))
    assert cs.scoring_policy == "default" and cs.channels == () and cs.notifiers == ()


def test_hook_supervision_register_routes(
    supdesk_ledger: Ledger, supdesk_plugin_manager: PluginManager, tmp_path
) -> None:
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from supervision_core import PluginError
    from supervision_web import WebSettings, create_app

    async def hours(request):  # no sign-in: the plugin decides
        return PlainTextResponse("周一至周五 9:00-17:00")

    class Hours:
        @hookimpl
        def supervision_register_routes(self, register):
            register.add_nav("/hours", "办公时间")
            register.add(Route("/hours", hours))

    supdesk_plugin_manager.register(Hours(), name="hours")
    app = create_app(supdesk_ledger, WebSettings(secret_key="k" * 48))
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/hours")
    assert response.text == "周一至周五 9:00-17:00"
    assert response.headers["x-frame-options"] == "DENY"  # the desk's headers apply
    assert ("/hours", "办公时间") in app.state.desk.nav

    class Clash:
        @hookimpl
        def supervision_register_routes(self, register):
            register.add(Route("/walk-in", hours, methods=["GET", "POST"]))

    supdesk_plugin_manager.register(Clash(), name="clash")
    with pytest.raises(PluginError, match=r"clash.*channels\.walk_in"):
        create_app(supdesk_ledger, WebSettings(secret_key="k" * 48))


def test_a_plugin_offers_another_way_to_sign_in_to_me(
    supdesk_ledger: Ledger, supdesk_plugin_manager: PluginManager
) -> None:
    """``register.add_sign_in``: /me/login links to the way; its route signs the supervisor in."""
    from starlette.responses import Response
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from supervision_core import NewSupervisor, PluginError
    from supervision_web import WebSettings, create_app
    from supervision_web.me.auth import sign_in_refused, signed_in_response

    me = supdesk_ledger.add_supervisor(NewSupervisor(name="巴特尔", center="banner"))

    async def badge(request) -> Response:  # proves "who" by a card reader, say
        if request.query_params.get("card") != "ok":
            return sign_in_refused(request, "读卡失败，请重试。", status_code=403)
        signed = supdesk_ledger.start_supervisor_session(me.id, via="card")
        return signed_in_response(request, signed.token, request.query_params.get("next", ""))

    def broken(ledger: Ledger) -> bool:
        raise RuntimeError("the plugin's settings are wrong")

    class Card:
        @hookimpl
        def supervision_register_routes(self, register):
            register.add(Route("/card/start", badge))
            register.add_sign_in("/card/start", "刷卡登录", agent="CardKiosk")
            register.add_sign_in("/off/start", "不可用的方式", available=lambda ledger: False)
            register.add_sign_in("/broken/start", "出错的方式", available=broken)

    supdesk_plugin_manager.register(Card(), name="card")
    app = create_app(supdesk_ledger, WebSettings(secret_key="k" * 48))
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/me/login?next=/me/report").text
        assert '<a class="me-way" href="/card/start?next=/me/report">刷卡登录</a>' in page
        assert "不可用的方式" not in page and "出错的方式" not in page
        kiosk = client.get("/me/login", headers={"User-Agent": "Mozilla/5.0 CardKiosk/2"}).text
        assert '<a class="me-button" href="/card/start?next=/me">刷卡登录</a>' in kiosk
        refused = client.get("/card/start", follow_redirects=False)
        assert refused.status_code == 403 and "读卡失败，请重试。" in refused.text
        assert 'name="contact"' in refused.text  # the code form is still there
        signed = client.get("/card/start?card=ok&next=/me/report", follow_redirects=False)
        assert signed.headers["location"] == "/me/report"
        assert "巴特尔，您好" in client.get("/me").text
    assert [s.via for s in supdesk_ledger.supervisor_sessions(me.id)] == ["card"]

    class Wrong:
        @hookimpl
        def supervision_register_routes(self, register):
            register.add_sign_in("card/start", "")

    supdesk_plugin_manager.register(Wrong(), name="wrong")
    with pytest.raises(PluginError, match="wrong"):
        create_app(supdesk_ledger, WebSettings(secret_key="k" * 48))


# ------------------------------------------------------------------ calls through pm.hook


class _Seen:
    """Stand-ins for a report and its result: the hooks only pass them on."""

    report = object()
    result = object()


def _received(pm: PluginManager) -> PluginHost:
    host = PluginHost(pm)
    host.report_received(report=_Seen.report, result=_Seen.result)  # type: ignore[arg-type]
    return host


def test_a_wrapper_is_called_around_a_notification(supdesk_plugin_manager: PluginManager) -> None:
    order: list[str] = []

    class Inner:
        @hookimpl
        def supervision_report_received(self, report: Any) -> None:
            order.append("inner")

    class NewStyle:
        @hookimpl(wrapper=True)
        def supervision_report_received(self, report: Any) -> Any:
            order.append("new-style before")
            result = yield
            order.append(f"new-style after {result!r}")
            return result

    class OldStyle:
        @hookimpl(hookwrapper=True)
        def supervision_report_received(self, result: Any) -> Any:
            assert result is _Seen.result
            order.append("old-style before")
            outcome = yield
            order.append(f"old-style after {outcome.get_result()!r}")

    supdesk_plugin_manager.register(Inner(), name="inner")
    supdesk_plugin_manager.register(NewStyle(), name="new-style")
    supdesk_plugin_manager.register(OldStyle(), name="old-style")
    host = _received(supdesk_plugin_manager)
    assert order == [
        "old-style before",
        "new-style before",
        "inner",
        "new-style after []",
        "old-style after []",
    ]
    assert host.failures == []


def test_first_result_stops_at_the_first_answer(supdesk_plugin_manager: PluginManager) -> None:
    asked: list[str] = []

    def matcher(name: str, answer: int | None) -> object:
        class Matcher:
            @hookimpl
            def supervision_match_sender(self, sender: Sender) -> int | None:
                asked.append(name)
                return answer

        return Matcher()

    # pluggy calls the last registered first
    supdesk_plugin_manager.register(matcher("third", 3), name="third")
    supdesk_plugin_manager.register(matcher("second", 2), name="second")
    supdesk_plugin_manager.register(matcher("first", None), name="first")
    answer = PluginHost(supdesk_plugin_manager).match_sender(
        sender=Sender("phone", "13900000000"),
        center=Center("x", "某中心", "township"),
        directory=None,  # type: ignore[arg-type]
    )
    assert answer == 2
    assert asked == ["first", "second"]  # "third" and the built-in were never asked


def test_one_raising_plugin_among_three_is_named_and_the_others_run(
    supdesk_plugin_manager: PluginManager, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[str] = []

    def listener(name: str, *, raises: bool = False) -> object:
        class Listener:
            @hookimpl
            def supervision_report_received(self, report: Any) -> None:
                heard.append(name)
                if raises:
                    raise RuntimeError(f"{name} broke")

        return Listener()

    supdesk_plugin_manager.register(listener("a"), name="a")
    supdesk_plugin_manager.register(listener("b", raises=True), name="b-township")
    supdesk_plugin_manager.register(listener("c"), name="c")
    host = _received(supdesk_plugin_manager)
    assert sorted(heard) == ["a", "b", "c"]
    assert [(f.plugin, f.hook) for f in host.failures] == [
        ("b-township", "supervision_report_received")
    ]
    assert "b broke" in host.failures[0].error and "b-township" in caplog.text


def test_a_raising_wrapper_is_named(supdesk_plugin_manager: PluginManager) -> None:
    class Wrapper:
        @hookimpl(wrapper=True)
        def supervision_issue_changed(self) -> Any:
            yield
            raise ValueError("after")

    supdesk_plugin_manager.register(Wrapper(), name="bad-wrapper")
    host = PluginHost(supdesk_plugin_manager)
    host.issue_changed(issue=object(), event=object())  # type: ignore[arg-type]
    assert [(f.plugin, f.hook) for f in host.failures] == [
        ("bad-wrapper", "supervision_issue_changed")
    ]
    assert "after" in host.failures[0].error


def test_an_error_in_a_register_hook_raises_naming_the_plugin(
    supdesk_plugin_manager: PluginManager,
) -> None:
    class Broken:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            raise KeyError("smtp_host")

    supdesk_plugin_manager.register(Broken(), name="broken-notifier")
    with pytest.raises(PluginError) as info:
        PluginHost(supdesk_plugin_manager).notifiers()
    assert info.value.plugin == "broken-notifier"
    assert "smtp_host" in str(info.value) and isinstance(info.value.__cause__, KeyError)


def test_a_wrapper_around_a_register_hook_sees_every_registration(
    supdesk_plugin_manager: PluginManager,
) -> None:
    seen: list[str] = []

    class Audit:
        @hookimpl(wrapper=True)
        def supervision_register_scoring_policies(self, register: Any) -> Any:
            yield
            seen.extend(register)

    supdesk_plugin_manager.register(Audit(), name="audit")
    PluginHost(supdesk_plugin_manager).scoring_policies()
    assert seen == ["default"]


def test_tracing_records_the_calls(supdesk_plugin_manager: PluginManager) -> None:
    lines: list[str] = []
    supdesk_plugin_manager.trace.root.setwriter(lines.append)
    undo = supdesk_plugin_manager.enable_tracing()
    try:
        host = PluginHost(supdesk_plugin_manager)
        host.scoring_policies()
        host.report_received(report=_Seen.report, result=_Seen.result)  # type: ignore[arg-type]
    finally:
        undo()
    text = "".join(lines)
    assert "supervision_register_scoring_policies" in text
    assert "supervision_report_received" in text


def test_registries_are_rebuilt_when_a_plugin_is_added_or_blocked(
    supdesk_plugin_manager: PluginManager,
) -> None:
    host = PluginHost(supdesk_plugin_manager)
    assert "pigeon" not in host.notifiers()

    class Pigeons:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(_Notifier())

    plugin = Pigeons()
    supdesk_plugin_manager.register(plugin, name="pigeons")
    assert "pigeon" in host.notifiers()
    assert host.notifiers() is host.notifiers()  # built once per change, not per call
    supdesk_plugin_manager.unregister(plugin)
    assert "pigeon" not in host.notifiers()
    supdesk_plugin_manager.register(Pigeons(), name="pigeons")
    supdesk_plugin_manager.set_blocked("pigeons")
    assert "pigeon" not in host.notifiers()
    supdesk_plugin_manager.set_blocked("channels.email")
    assert "email" not in host.notifiers()


def test_a_built_in_keeps_its_name_whatever_the_call_order(
    supdesk_plugin_manager: PluginManager,
) -> None:
    class Early:
        @hookimpl(tryfirst=True)
        def supervision_register_scoring_policies(self, register: Any) -> None:
            register.add("default", DefaultPolicy())

    supdesk_plugin_manager.register(Early(), name="early")
    with pytest.raises(PluginError) as info:
        PluginHost(supdesk_plugin_manager).scoring_policies()
    assert info.value.plugin == "early" and "supervision_core.rules.scoring" in str(info.value)


# ------------------------------------------------------------------ blocking


@pytest.fixture
def fake_township(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """An installed distribution whose entry point is a real module on sys.path."""
    module = "supdesk_fake_township_plugin"
    (tmp_path / f"{module}.py").write_text(
        "from supervision_core import hookimpl\n\n"
        "@hookimpl\n"
        "def supervision_closure_days(year):\n"
        "    return None\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    entry = metadata.EntryPoint(name="faketown", value=module, group="supervision_desk")
    dist = _FakeDist("supervision-township-faketown", "2.0", [entry])  # type: ignore[list-item]
    monkeypatch.setattr(metadata, "distributions", lambda: [dist])
    return module


def test_the_fake_township_loads_when_not_blocked(fake_township: str) -> None:
    host = PluginHost(get_plugin_manager())
    assert fake_township in sys.modules
    info = next(p for p in host.plugins() if p.name == "faketown")
    assert not info.blocked and info.hooks == ("supervision_closure_days",)


def test_supdesk_disable_plugins_keeps_a_plugin_out(
    fake_township: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPDESK_DISABLE_PLUGINS", " other , faketown")
    host = PluginHost(get_plugin_manager())
    assert fake_township not in sys.modules  # never imported
    info = next(p for p in host.plugins() if p.name == "faketown")
    assert info.blocked and info.hooks == ()
    assert (info.distribution, info.version) == ("supervision-township-faketown", "2.0")


def test_plugins_blocked_in_the_config_are_never_imported(
    fake_township: str, supdesk_settings: Settings, tmp_path: Any
) -> None:
    import attrs

    settings = attrs.evolve(supdesk_settings, blocked_plugins=("faketown",))
    ledger = open_ledger(f"sqlite:///{tmp_path / 'x.db'}", settings=settings, create=True)
    try:
        assert fake_township not in sys.modules
        assert [p.name for p in ledger.host.plugins() if p.blocked] == ["faketown"]
    finally:
        ledger.close()


def test_blocking_a_channel_package_blocks_its_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    from supervision_core import plugins

    monkeypatch.setattr(plugins, "DEFAULT_PLUGINS", ("supervision_core.rules.scoring", "json.tool"))
    pm = get_plugin_manager(load_entrypoints=False, blocked=["json"])
    assert pm.is_blocked("json.tool") and pm.get_plugin("supervision_core.rules.scoring")


def test_supdesk_plugins_shows_a_blocked_plugin(
    fake_township: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from supervision_core.cli import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    monkeypatch.setenv("SUPDESK_DISABLE_PLUGINS", "faketown")
    shown = CliRunner().invoke(cli, ["plugins"], catch_exceptions=False)
    assert "faketown" in shown.output and "已停用" in shown.output
    assert fake_township not in sys.modules
    data = CliRunner().invoke(cli, ["plugins", "--json"], catch_exceptions=False)
    (entry,) = [p for p in json.loads(data.output) if p["name"] == "faketown"]
    assert entry["blocked"] is True


def test_closure_days_of_the_wrong_type_are_reported_and_the_others_kept(
    supdesk_plugin_manager: PluginManager,
) -> None:
    class Naadam:
        @hookimpl
        def supervision_closure_days(self, year: int) -> list[dt.date]:
            return [dt.date(year, 7, 11)]

    class Sloppy:
        @hookimpl
        def supervision_closure_days(self) -> Any:
            return 20260711

    supdesk_plugin_manager.register(Naadam(), name="naadam")
    supdesk_plugin_manager.register(Sloppy(), name="sloppy-days")
    host = PluginHost(supdesk_plugin_manager)
    assert host.closure_days([2026]) == {dt.date(2026, 7, 11)}
    assert [(f.plugin, f.hook) for f in host.failures] == [
        ("sloppy-days", "supervision_closure_days")
    ]
    assert "日期" in host.failures[0].error


def test_a_blocked_name_that_matches_nothing_is_listed_without_a_source() -> None:
    pm = get_plugin_manager(load_entrypoints=False, blocked=["no-such-plugin"])
    (info,) = [p for p in PluginHost(pm).plugins() if p.name == "no-such-plugin"]
    assert info.blocked and (info.distribution, info.version, info.hooks) == ("", "", ())

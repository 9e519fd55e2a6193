"""The plugin manager factory and the typed facade over its hooks.

There is no module-global manager: every ledger, command and test builds its own
with :func:`get_plugin_manager`, as tox and pluggy's eggsample do.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Iterable
from importlib import metadata
from typing import Any, TypeVar

import attrs
import pluggy

from supervision_core import hookspecs
from supervision_core.errors import PluginError
from supervision_core.model.centers import Center
from supervision_core.model.issues import Issue, IssueEvent
from supervision_core.model.reports import IntakeResult, QuarantinedReport, Report, Sender
from supervision_core.registries import (
    ChannelRegistry,
    CheckRegistry,
    NotifierRegistry,
    PolicyRegistry,
    ProfileRegistry,
    Registry,
    RouteRegistry,
    ScreeningCheck,
    SupervisorDirectory,
)
from supervision_core.rules.screening import ScreeningProposal

__all__ = [
    "DEFAULT_PLUGINS",
    "PluginFailure",
    "PluginHost",
    "PluginInfo",
    "PluginManager",
    "get_plugin_manager",
]

log = logging.getLogger("supervision_core.plugins")

#: Built-in behaviour, registered as ordinary plugins. Registered after entry-point
#: plugins, so (pluggy calls LIFO) built-ins run first unless marked ``trylast``.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "supervision_core.rules.matching",
    "supervision_core.rules.screening",
    "supervision_core.rules.scoring",
    "channels.phone",
    "channels.walk_in",
    "channels.email",
    "channels.telegram",
    "supervision_web.console",
)

R = TypeVar("R", bound=Registry[Any])


def get_plugin_manager(
    *,
    load_entrypoints: bool = True,
    blocked: Iterable[str] = (),
    extra_plugins: Iterable[tuple[object, str]] = (),
) -> PluginManager:
    """A fresh plugin manager with the built-ins and the installed plugins.

    :param load_entrypoints: find third-party plugins in the ``supervision_desk``
        entry-point group (tests of the core usually turn this off)
    :param blocked: plugin names (entry-point or module names) not to load
    :param extra_plugins: ``(plugin, name)`` pairs to register as well
    :raises PluginError: a plugin failed to import, or implements a hook that does
        not exist (a misspelling), naming the plugin
    """
    pm = PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    if load_entrypoints:
        _load_entrypoints(pm)
    for modname in DEFAULT_PLUGINS:
        if not pm.is_blocked(modname):
            pm.register(importlib.import_module(modname), modname)
    for plugin, name in extra_plugins:
        pm.register(plugin, name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(pm.get_name(exc.plugin) or "?", f"实现了不存在的钩子：{exc}") from exc
    return pm


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering which distribution each entry-point plugin came from."""

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        self.distributions: dict[str, tuple[str, str]] = {}


def _load_entrypoints(pm: PluginManager) -> None:
    for dist in list(metadata.distributions()):
        for ep in dist.entry_points:
            if ep.group != hookspecs.PROJECT or pm.get_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                msg = f"无法加载（{dist.metadata['name']} {dist.version}）：{exc!r}"
                raise PluginError(ep.name, msg) from exc
            try:
                pm.register(plugin, name=ep.name)
            except pluggy.PluginValidationError as exc:
                raise PluginError(ep.name, str(exc)) from exc
            # Recorded for `supdesk plugins`, as pluggy's own loader does.
            pm.distributions[ep.name] = (dist.metadata["name"], dist.version)


@attrs.frozen
class PluginInfo:
    """An installed plugin, for ``supdesk plugins``."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


@attrs.frozen
class PluginFailure:
    """A plugin that raised or answered wrongly during a hook call; intake went on."""

    plugin: str
    hook: str
    error: str


class PluginHost:
    """Typed calls to the hooks, each with keyword arguments (tox's ``Plugin`` facade).

    Hooks that notify or contribute are called implementation by implementation, so
    one broken plugin is reported with its name and the others still run.
    """

    def __init__(self, pm: PluginManager) -> None:
        self.pm = pm
        self.failures: list[PluginFailure] = []
        self._registries: dict[str, Registry[Any]] = {}

    # ----------------------------------------------------------- plumbing

    def _impls(self, hook: str) -> list[pluggy.HookImpl]:
        # get_hookimpls() lists in registration order; pluggy calls in reverse.
        return list(reversed(getattr(self.pm.hook, hook).get_hookimpls()))

    def listens(self, hook: str) -> bool:
        """Whether any plugin implements ``hook`` (so building its arguments is worth it)."""
        return bool(getattr(self.pm.hook, hook).get_hookimpls())

    def matches_by_identity_only(self) -> bool:
        """Whether senders are matched by the built-in identity look-up alone.

        Then a bulk import may look callers up in a table of identities itself, in
        another process, and get the answers :meth:`match_sender` would give.
        """
        impls = self._impls("supervision_match_sender")
        return [i.plugin_name for i in impls] == ["supervision_core.rules.matching"]

    def _fail(self, plugin: str, hook: str, exc: BaseException | str) -> None:
        failure = PluginFailure(plugin, hook, exc if isinstance(exc, str) else repr(exc))
        self.failures.append(failure)
        log.error("插件 %s 在 %s 中出错：%s", plugin, hook, failure.error)

    def _call_each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        results = []
        for impl in self._impls(hook):
            args = {name: kwargs[name] for name in impl.argnames}
            try:
                results.append((impl.plugin_name, impl.function(**args)))
            except Exception as exc:
                self._fail(impl.plugin_name, hook, exc)
        return results

    def _collect(self, hook: str, registry: R) -> R:
        if hook in self._registries:
            return self._registries[hook]  # type: ignore[return-value]
        # Built-ins register first, so a duplicate name is blamed on the newcomer.
        impls = sorted(self._impls(hook), key=lambda i: i.plugin_name not in DEFAULT_PLUGINS)
        for impl in impls:
            # A registration error (a duplicate, a wrong type) is a start-up error:
            # it is raised, naming the plugin, instead of being skipped.
            impl.function(register=registry._as(impl.plugin_name))
        self._registries[hook] = registry
        return registry

    # ----------------------------------------------------------- registries

    def channels(self) -> ChannelRegistry:
        """Every registered channel, by name."""
        return self._collect("supervision_register_channels", ChannelRegistry())

    def scoring_policies(self) -> PolicyRegistry:
        """Every registered scoring policy, by name."""
        return self._collect("supervision_register_scoring_policies", PolicyRegistry())

    def screening_checks(self) -> CheckRegistry:
        """Every registered screening check, by name."""
        return self._collect("supervision_register_screening_checks", CheckRegistry())

    def notifiers(self) -> NotifierRegistry:
        """Every registered notifier, by name."""
        return self._collect("supervision_register_notifiers", NotifierRegistry())

    def import_profiles(self) -> ProfileRegistry:
        """Every registered column profile, by name."""
        return self._collect("supervision_register_import_profiles", ProfileRegistry())

    def routes(self) -> RouteRegistry:
        """The web pages plugins contribute (``supervision_register_routes``)."""
        return self._collect("supervision_register_routes", RouteRegistry())

    def register_commands(self, cli: Any) -> None:
        """Let plugins add subcommands to ``cli``."""
        for impl in self._impls("supervision_register_commands"):
            try:
                impl.function(cli=cli)
            except Exception as exc:
                self._fail(impl.plugin_name, "supervision_register_commands", exc)

    # ----------------------------------------------------------- decisions

    def match_sender(
        self, *, sender: Sender, center: Center, directory: SupervisorDirectory
    ) -> int | None:
        """The supervisor who sent a report, or ``None``; the first answer wins."""
        hook = "supervision_match_sender"
        for impl in self._impls(hook):
            try:
                answer = impl.function(
                    **{
                        k: v
                        for k, v in {
                            "sender": sender,
                            "center": center,
                            "directory": directory,
                        }.items()
                        if k in impl.argnames
                    }
                )
            except Exception as exc:
                self._fail(impl.plugin_name, hook, exc)
                continue
            if answer is None:
                continue
            if isinstance(answer, bool) or not isinstance(answer, int):
                self._fail(
                    impl.plugin_name, hook, f"应返回监督员编号(int)或 None，实际为 {answer!r}"
                )
                continue
            return answer
        return None

    def screen(self, report: Report) -> list[tuple[str, ScreeningProposal]]:
        """Every check's proposal for ``report``; broken checks are reported and skipped."""
        proposals = []
        checks = self.screening_checks()
        for name in checks:
            check: ScreeningCheck = checks[name]
            try:
                answer = check(report)
            except Exception as exc:
                self._fail(checks.plugin_of(name), f"screening check {name}", exc)
                continue
            if answer is None:
                continue
            if not isinstance(answer, ScreeningProposal):
                self._fail(
                    checks.plugin_of(name),
                    f"screening check {name}",
                    f"应返回 ScreeningProposal 或 None，实际为 {answer!r}",
                )
                continue
            proposals.append((name, answer))
        return proposals

    def closure_days(self, years: Iterable[int]) -> set[dt.date]:
        """Every plugin's extra closure days in ``years``."""
        days: set[dt.date] = set()
        for year in years:
            for plugin, answer in self._call_each("supervision_closure_days", year=year):
                if answer is None:
                    continue
                try:
                    found = {d for d in answer if isinstance(d, dt.date)}
                except TypeError:
                    self._fail(
                        plugin, "supervision_closure_days", f"应返回日期列表，实际为 {answer!r}"
                    )
                    continue
                days |= found
        return days

    # ----------------------------------------------------------- notifications

    def report_received(self, *, report: Report, result: IntakeResult) -> None:
        """Tell plugins a report was filed."""
        self._call_each("supervision_report_received", report=report, result=result)

    def report_quarantined(self, *, report: Report, quarantined: QuarantinedReport) -> None:
        """Tell plugins a report was quarantined."""
        self._call_each("supervision_report_quarantined", report=report, quarantined=quarantined)

    def issue_changed(self, *, issue: Issue, event: IssueEvent) -> None:
        """Tell plugins a step of an issue's life was recorded."""
        self._call_each("supervision_issue_changed", issue=issue, event=event)

    # ----------------------------------------------------------- introspection

    def plugins(self) -> list[PluginInfo]:
        """Installed plugins with their distributions, versions and hooks."""
        own = metadata.version("supervision-desk")
        infos = []
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda pair: pair[0]):
            if plugin is None:
                continue
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()))
            dist, version = self.pm.distributions.get(name, ("supervision-desk", own))
            infos.append(PluginInfo(name, dist, version, hooks))
        return infos

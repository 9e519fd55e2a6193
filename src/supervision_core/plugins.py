"""The plugin manager factory and the typed facade over its hooks.

There is no module-global manager: every ledger, command and test builds its own
with :func:`get_plugin_manager`, as tox and pluggy's eggsample do.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import os
from collections.abc import Callable, Generator, Iterable, Mapping
from contextvars import ContextVar
from importlib import metadata
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs
import pluggy

from supervision_core import hookspecs
from supervision_core.errors import PluginError
from supervision_core.registries import (
    ChannelRegistry,
    CheckRegistry,
    NotifierRegistry,
    PolicyRegistry,
    ProfileRegistry,
    Registry,
    RouteRegistry,
)

# Only for annotations: every ``supdesk`` command builds a plugin manager, and the
# value modules cost it start-up time (bench/bench_cli.py).
if TYPE_CHECKING:
    from supervision_core.model.centers import Center
    from supervision_core.model.issues import Issue, IssueEvent
    from supervision_core.model.reports import IntakeResult, QuarantinedReport, Report, Sender
    from supervision_core.model.screening import ScreeningProposal
    from supervision_core.registries import ScreeningCheck, SupervisorDirectory

__all__ = [
    "DEFAULT_PLUGINS",
    "DISABLE_ENV",
    "PluginFailure",
    "PluginHost",
    "PluginInfo",
    "PluginManager",
    "disabled_plugins",
    "get_plugin_manager",
]


def _log_error(message: str, *args: object) -> None:
    # logging loads on the first failure, not with every `supdesk` (bench/bench_cli.py).
    import logging

    logging.getLogger("supervision_core.plugins").error(message, *args)


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
    "supervision_web.api",
    "supervision_web.me",
    # The web desk's and the daemon's commands (the channels add theirs from their packages).
    "supervision_web.commands",
    "supervision_daemon.commands",
)

#: Where ``SUPDESK_DISABLE_PLUGINS`` (names, comma-separated) is read, as tox reads
#: ``TOX_DISABLED_EXTERNAL_PLUGINS``: a plugin that breaks start-up can be kept out.
DISABLE_ENV = "SUPDESK_DISABLE_PLUGINS"

#: The one register hook whose failures are isolated: a broken plugin's commands must
#: not take the whole command line down.
_COMMANDS = "supervision_register_commands"

R = TypeVar("R", bound=Registry[Any])


def disabled_plugins(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The plugin names ``SUPDESK_DISABLE_PLUGINS`` keeps out (comma-separated)."""
    raw = (os.environ if environ is None else environ).get(DISABLE_ENV, "")
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def get_plugin_manager(
    *,
    load_entrypoints: bool = True,
    blocked: Iterable[str] = (),
    extra_plugins: Iterable[tuple[object, str]] = (),
) -> PluginManager:
    """A fresh plugin manager with the built-ins and the installed plugins.

    A blocked plugin is never imported. Blocking a package (``channels.phone``)
    blocks the built-in modules under it too (``channels.phone.commands``).

    :param load_entrypoints: find third-party plugins in the ``supervision_desk``
        entry-point group (tests of the core usually turn this off)
    :param blocked: plugin names (entry-point or module names) not to load, besides
        those in ``SUPDESK_DISABLE_PLUGINS``
    :param extra_plugins: ``(plugin, name)`` pairs to register as well
    :raises PluginError: a plugin failed to import, or implements a hook that does
        not exist (a misspelling), naming the plugin
    """
    pm = PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    names = {*blocked, *disabled_plugins()}
    for name in sorted(names):
        pm.set_blocked(name)
    if load_entrypoints:
        _load_entrypoints(pm)
    for modname in DEFAULT_PLUGINS:
        if any(modname == b or modname.startswith(f"{b}.") for b in names):
            pm.set_blocked(modname)
        else:
            pm.register(importlib.import_module(modname), modname)
    for plugin, name in extra_plugins:
        pm.register(plugin, name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(pm.get_name(exc.plugin) or "?", f"实现了不存在的钩子：{exc}") from exc
    return pm


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, guarding each implementation and counting changes.

    Every implementation is wrapped as it is registered (:func:`_guard`), so calls go
    through ``pm.hook`` (wrappers, ``firstresult``, tracing all work) and an error still
    names its plugin. ``generation`` changes whenever a plugin is registered,
    unregistered or blocked, so registries built before are rebuilt.
    """

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        #: ``name -> (distribution, version)`` of the entry-point plugins, loaded or blocked.
        self.distributions: dict[str, tuple[str, str]] = {}
        #: Bumped on every change of the set of plugins.
        self.generation = 0

    def register(self, plugin: object, name: str | None = None) -> str | None:
        """Register ``plugin`` (as pluggy does) and guard its implementations."""
        registered = super().register(plugin, name)
        if registered is not None:
            for caller in self.get_hookcallers(plugin) or ():
                for impl in caller.get_hookimpls():
                    if impl.plugin is plugin:
                        _install_guard(impl, caller.name)
            self.generation += 1
        return registered

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any | None:
        """Unregister a plugin (as pluggy does)."""
        removed = super().unregister(plugin, name)
        self.generation += 1
        return removed

    def set_blocked(self, name: str) -> None:
        """Block ``name`` (as pluggy does): it is unregistered and never registered again."""
        super().set_blocked(name)
        self.generation += 1


def _load_entrypoints(pm: PluginManager) -> None:
    for dist in list(metadata.distributions()):
        for ep in dist.entry_points:
            if ep.group != hookspecs.PROJECT or pm.get_plugin(ep.name):
                continue
            # Recorded for `supdesk plugins`, as pluggy's own loader does, blocked or not.
            pm.distributions[ep.name] = (dist.metadata["name"], dist.version)
            if pm.is_blocked(ep.name):
                continue  # never imported
            try:
                plugin = ep.load()
            except Exception as exc:
                msg = f"无法加载（{dist.metadata['name']} {dist.version}）：{exc!r}"
                raise PluginError(ep.name, msg) from exc
            try:
                pm.register(plugin, name=ep.name)
            except pluggy.PluginValidationError as exc:
                raise PluginError(ep.name, str(exc)) from exc


# ------------------------------------------------------------------ guards

#: The host a hook call is made for: where an isolated failure is reported.
_calling: ContextVar[PluginHost | None] = ContextVar("supdesk_calling", default=None)


def _report(plugin: str, hook: str, error: BaseException | str) -> None:
    host = _calling.get()
    if host is not None:
        host._fail(plugin, hook, error)
    else:  # pm.hook called directly: no host to keep it, but never silent
        _log_error("插件 %s 在 %s 中出错：%r", plugin, hook, error)


def _sender_id(answer: object) -> object:
    if answer is None or (isinstance(answer, int) and not isinstance(answer, bool)):
        return answer
    msg = f"应返回监督员编号(int)或 None，实际为 {answer!r}"
    raise TypeError(msg)


def _dates(answer: object) -> object:
    if answer is None:
        return None
    try:
        return frozenset(d for d in answer if isinstance(d, dt.date))  # type: ignore[attr-defined]
    except TypeError:
        msg = f"应返回日期列表，实际为 {answer!r}"
        raise TypeError(msg) from None


#: Checks of what a decision or a contribution answers; a wrong answer is a failure.
_ANSWERS: dict[str, Callable[[object], object]] = {
    "supervision_match_sender": _sender_id,
    "supervision_closure_days": _dates,
}


def _raises(hook: str) -> bool:
    """Whether an error in ``hook`` stops start-up (registrations) or is isolated."""
    return hook.startswith("supervision_register_") and hook != _COMMANDS


def _as_plugin(args: tuple[Any, ...], position: int | None, plugin: str) -> tuple[Any, ...]:
    if position is None or not isinstance(args[position], Registry):
        return args
    return (*args[:position], args[position].as_plugin(plugin), *args[position + 1 :])


def _install_guard(impl: pluggy.HookImpl, hook: str) -> None:
    """Wrap ``impl.function`` so that an error names ``impl.plugin_name``.

    In a register hook the implementation gets the registry's view for its plugin and
    an error is raised as :class:`PluginError`; in any other hook an error (or a wrong
    answer) is reported as a :class:`PluginFailure` and the implementation counts as
    having answered ``None``, so the others still run.
    """
    if getattr(impl.function, "__supdesk_guarded__", False):
        return
    function, plugin = impl.function, impl.plugin_name
    raises = _raises(hook)
    position = impl.argnames.index("register") if "register" in impl.argnames else None
    guarded: Callable[..., Any]
    if impl.wrapper or impl.hookwrapper:
        wrapper = cast("Callable[..., Generator[Any, Any, Any]]", function)

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            try:
                return (yield from wrapper(*_as_plugin(args, position, plugin), **kwargs))
            except PluginError:
                raise  # raised by an inner implementation, already named
            except Exception as exc:
                # The host reports it (isolated hooks) or lets it stop start-up.
                raise PluginError(plugin, f"{hook} 出错：{exc!r}") from exc

    else:
        check = _ANSWERS.get(hook)

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                answer = function(*_as_plugin(args, position, plugin), **kwargs)
            except Exception as exc:
                if not raises:
                    _report(plugin, hook, exc)
                    return None
                if isinstance(exc, PluginError):
                    raise
                raise PluginError(plugin, f"{hook} 出错：{exc!r}") from exc
            if check is None:
                return answer
            try:
                return check(answer)
            except TypeError as exc:
                _report(plugin, hook, str(exc))
                return None

    guarded.__supdesk_guarded__ = True  # type: ignore[attr-defined]
    # HookImpl.function is Final only for type checkers: pluggy reads it at every call.
    object.__setattr__(impl, "function", guarded)


@attrs.frozen
class PluginInfo:
    """An installed or blocked plugin, for ``supdesk plugins``."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]
    #: Kept out by ``[plugins] blocked`` or ``SUPDESK_DISABLE_PLUGINS``: never imported.
    blocked: bool = False


@attrs.frozen
class PluginFailure:
    """A plugin that raised or answered wrongly during a hook call; intake went on."""

    plugin: str
    hook: str
    error: str


class PluginHost:
    """Typed calls to ``pm.hook``, each with keyword arguments (tox's ``Plugin`` facade).

    One broken plugin in a notification, a decision or ``closure_days`` is reported
    with its name in :attr:`failures` (and logged) and the others still run; an error
    in a register hook raises :class:`PluginError` naming the plugin.
    """

    def __init__(self, pm: PluginManager) -> None:
        self.pm = pm
        self.failures: list[PluginFailure] = []
        self._registries: dict[str, tuple[int, Registry[Any]]] = {}
        #: Listeners of every step, called after the plugins, after the step's commit;
        #: one that raises is logged and the step stands. (Webhook posts are not queued
        #: here but in the step's own transaction: a crash in between loses none.)
        self.listeners: list[Callable[[Issue, IssueEvent], None]] = []

    # ----------------------------------------------------------- plumbing

    def listens(self, hook: str) -> bool:
        """Whether any plugin implements ``hook`` (so building its arguments is worth it)."""
        return bool(getattr(self.pm.hook, hook).get_hookimpls())

    def matches_by_identity_only(self) -> bool:
        """Whether senders are matched by the built-in identity look-up alone.

        Then a bulk import may look callers up in a table of identities itself, in
        another process, and get the answers :meth:`match_sender` would give.
        """
        impls = self.pm.hook.supervision_match_sender.get_hookimpls()
        return [i.plugin_name for i in impls] == ["supervision_core.rules.matching"]

    def _fail(self, plugin: str, hook: str, exc: BaseException | str) -> None:
        failure = PluginFailure(plugin, hook, exc if isinstance(exc, str) else repr(exc))
        self.failures.append(failure)
        _log_error("插件 %s 在 %s 中出错：%s", plugin, hook, failure.error)

    def _call(self, hook: str, **kwargs: Any) -> Any:
        token = _calling.set(self)
        try:
            return getattr(self.pm.hook, hook)(**kwargs)
        except PluginError as exc:
            if _raises(hook):
                raise
            # A wrapper that raised: the implementations inside it have run.
            self._fail(exc.plugin, hook, exc.__cause__ or exc)
            return None
        finally:
            _calling.reset(token)

    def _collect(self, hook: str, make: Callable[[], R]) -> R:
        cached = self._registries.get(hook)
        if cached is not None and cached[0] == self.pm.generation:
            return cached[1]  # type: ignore[return-value]
        registry = make()
        registry.builtins = frozenset(DEFAULT_PLUGINS)
        self._call(hook, register=registry)
        self._registries[hook] = (self.pm.generation, registry)
        return registry

    # ----------------------------------------------------------- registries

    def channels(self) -> ChannelRegistry:
        """Every registered channel, by name."""
        return self._collect("supervision_register_channels", ChannelRegistry)

    def scoring_policies(self) -> PolicyRegistry:
        """Every registered scoring policy, by name."""
        return self._collect("supervision_register_scoring_policies", PolicyRegistry)

    def screening_checks(self) -> CheckRegistry:
        """Every registered screening check, by name."""
        return self._collect("supervision_register_screening_checks", CheckRegistry)

    def notifiers(self) -> NotifierRegistry:
        """Every registered notifier, by name."""
        return self._collect("supervision_register_notifiers", NotifierRegistry)

    def import_profiles(self) -> ProfileRegistry:
        """Every registered column profile, by name."""
        return self._collect("supervision_register_import_profiles", ProfileRegistry)

    def routes(self) -> RouteRegistry:
        """The web pages plugins contribute (``supervision_register_routes``)."""
        return self._collect("supervision_register_routes", RouteRegistry)

    def register_commands(self, cli: Any) -> None:
        """Let plugins add subcommands to ``cli``."""
        self._call(_COMMANDS, cli=cli)

    # ----------------------------------------------------------- decisions

    def match_sender(
        self, *, sender: Sender, center: Center, directory: SupervisorDirectory
    ) -> int | None:
        """The supervisor who sent a report, or ``None``; the first answer wins."""
        answer = self._call(
            "supervision_match_sender", sender=sender, center=center, directory=directory
        )
        if answer is None or (isinstance(answer, int) and not isinstance(answer, bool)):
            return answer
        return None  # a wrapper changed the answer into something else

    def screen(self, report: Report) -> list[tuple[str, ScreeningProposal]]:
        """Every check's proposal for ``report``; broken checks are reported and skipped."""
        from supervision_core.model.screening import ScreeningProposal  # loaded with reports

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
            for found in self._call("supervision_closure_days", year=year) or ():
                days.update(d for d in found if isinstance(d, dt.date))
        return days

    # ----------------------------------------------------------- notifications

    def report_received(self, *, report: Report, result: IntakeResult) -> None:
        """Tell plugins a report was filed."""
        self._call("supervision_report_received", report=report, result=result)

    def report_quarantined(self, *, report: Report, quarantined: QuarantinedReport) -> None:
        """Tell plugins a report was quarantined."""
        self._call("supervision_report_quarantined", report=report, quarantined=quarantined)

    def issue_changed(self, *, issue: Issue, event: IssueEvent) -> None:
        """Tell plugins a step of an issue's life was recorded."""
        self._call("supervision_issue_changed", issue=issue, event=event)
        for listener in self.listeners:
            try:
                listener(issue, event)
            except Exception:
                import logging

                logging.getLogger("supervision_core.plugins").exception(
                    "a listener of the step %s failed", event.kind
                )

    # ----------------------------------------------------------- introspection

    def plugins(self) -> list[PluginInfo]:
        """Installed plugins with their distributions, versions and hooks; blocked ones too."""
        own = metadata.version("supervision-desk")
        infos = []
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda pair: pair[0]):
            if plugin is None:
                known = name in self.pm.distributions or name in DEFAULT_PLUGINS
                dist, version = self.pm.distributions.get(
                    name, ("supervision-desk", own) if known else ("", "")
                )
                infos.append(PluginInfo(name, dist, version, (), blocked=True))
                continue
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()))
            dist, version = self.pm.distributions.get(name, ("supervision-desk", own))
            infos.append(PluginInfo(name, dist, version, hooks))
        return infos

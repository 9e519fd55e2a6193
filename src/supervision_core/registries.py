"""The ``register`` objects handed to ``supervision_register_*`` hooks.

A registry knows which plugin is registering (the host hands each implementation
its own view, :meth:`Registry.as_plugin`), so a duplicate name is reported with both
plugins' names, as pluggy's ``register()`` does, and is never silently renamed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Generic, Protocol, Self, TypeVar

from supervision_core.errors import PluginError
from supervision_core.model.notifications import Notifier
from supervision_core.model.profiles import ColumnProfile
from supervision_core.model.reports import Report
from supervision_core.model.scoring import ScoringPolicy
from supervision_core.model.screening import ScreeningProposal

__all__ = [
    "Channel",
    "ChannelRegistry",
    "CheckRegistry",
    "NotifierRegistry",
    "PolicyRegistry",
    "ProfileRegistry",
    "Registry",
    "RouteRegistry",
    "ScreeningCheck",
    "SupervisorDirectory",
]

T = TypeVar("T")

ScreeningCheck = Callable[[Report], "ScreeningProposal | None"]


class Channel(Protocol):
    """An intake channel: turns what arrives into normalized reports.

    ``name`` is what a center enables in ``supdesk.toml``; ``label`` is shown to people.
    """

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...


class SupervisorDirectory(Protocol):
    """Read-only look-ups a sender matcher may use."""

    def find_by_identity(self, kind: str, value: str) -> int | None:
        """The id of the supervisor with this identity (normalized), or ``None``."""
        ...


class Registry(Generic[T]):
    """Named contributions, each remembered with the plugin that made it.

    The host hands each implementation its own view (:meth:`as_plugin`), so every
    entry, and every error, names the plugin that made it.  A built-in's entries come
    first and a built-in keeps its names: on a duplicate, the plugin that is not
    built in is blamed, whatever order pluggy called them in (as before, the later
    of two third-party plugins is blamed).
    """

    kind: str = "item"

    def __init__(self, validate: Callable[[str, object], T]) -> None:
        self._items: dict[str, tuple[str, T]] = {}
        self._validate = validate
        self._plugin = "?"
        #: The names of the built-in plugins (set by the host).
        self.builtins: frozenset[str] = frozenset()

    def as_plugin(self, plugin: str) -> Self:
        """A view of this registry that records ``plugin`` as the one registering."""
        view = copy.copy(self)  # shares the entries, not the name of the plugin
        view._plugin = plugin
        return view

    def _first(self, plugin: str) -> bool:
        return plugin in self.builtins

    def _add(self, name: str, item: object) -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(self._plugin, f"注册的{self.kind}名称必须是非空字符串：{name!r}")
        if name in self._items:
            other = self._items[name][0]
            blamed, owner = self._plugin, other
            if self._first(self._plugin) and not self._first(other):
                blamed, owner = other, self._plugin  # the built-in keeps its name
            msg = f"{self.kind} {name!r} 已由插件 {owner} 注册，不能重复注册"
            raise PluginError(blamed, msg)
        try:
            checked = self._validate(name, item)
        except (TypeError, ValueError) as exc:
            raise PluginError(self._plugin, f"{self.kind} {name!r} 无效：{exc}") from exc
        self._items[name] = (self._plugin, checked)

    def _ordered(self) -> list[str]:
        # Stable: the built-ins' entries first, each group in the order it came.
        return sorted(self._items, key=lambda n: not self._first(self._items[n][0]))

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._ordered())

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, name: str) -> T:
        return self._items[name][1]

    def plugin_of(self, name: str) -> str:
        """The plugin that registered ``name``."""
        return self._items[name][0]

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._items)


def _has(item: object, *attributes: str) -> None:
    missing = [a for a in attributes if not hasattr(item, a)]
    if missing:
        msg = f"缺少属性 {', '.join(missing)}"
        raise TypeError(msg)


def _channel(name: str, item: object) -> Channel:
    _has(item, "name", "label")
    return item  # type: ignore[return-value]


def _policy(name: str, item: object) -> ScoringPolicy:
    _has(item, "score", "label")
    return item  # type: ignore[return-value]


def _check(name: str, item: object) -> ScreeningCheck:
    if not callable(item):
        msg = "筛查检查必须可调用：check(report) -> ScreeningProposal | None"
        raise TypeError(msg)
    return item


def _notifier(name: str, item: object) -> Notifier:
    _has(item, "name", "deliver")
    return item  # type: ignore[return-value]


class ChannelRegistry(Registry[Channel]):
    """Collects channels: ``register.add(channel)``."""

    kind = "渠道"

    def __init__(self) -> None:
        super().__init__(_channel)

    def add(self, channel: Channel) -> None:
        """Register ``channel`` under its ``name``."""
        self._add(getattr(channel, "name", ""), channel)


class PolicyRegistry(Registry[ScoringPolicy]):
    """Collects scoring policies: ``register.add(name, policy)``."""

    kind = "评分办法"

    def __init__(self) -> None:
        super().__init__(_policy)

    def add(self, name: str, policy: ScoringPolicy) -> None:
        """Register ``policy`` under ``name``."""
        self._add(name, policy)


class CheckRegistry(Registry[ScreeningCheck]):
    """Collects screening checks: ``register.add(name, check)``."""

    kind = "筛查检查"

    def __init__(self) -> None:
        super().__init__(_check)

    def add(self, name: str, check: ScreeningCheck) -> None:
        """Register ``check`` under ``name``."""
        self._add(name, check)


class NotifierRegistry(Registry[Notifier]):
    """Collects notifiers: ``register.add(notifier)``."""

    kind = "通知方式"

    def __init__(self) -> None:
        super().__init__(_notifier)

    def add(self, notifier: Notifier) -> None:
        """Register ``notifier`` under its ``name``."""
        self._add(getattr(notifier, "name", ""), notifier)


def _profile(name: str, item: object) -> ColumnProfile:
    if not isinstance(item, ColumnProfile):
        msg = "应为 ColumnProfile"
        raise TypeError(msg)
    if item.name != name:
        msg = f"注册名 {name!r} 与 profile.name {item.name!r} 不一致"
        raise ValueError(msg)
    return item


class ProfileRegistry(Registry[ColumnProfile]):
    """Collects column profiles for imported files: ``register.add(profile)``."""

    kind = "列配置"

    def __init__(self) -> None:
        super().__init__(_profile)

    def add(self, profile: ColumnProfile) -> None:
        """Register ``profile`` under its ``name``."""
        self._add(getattr(profile, "name", ""), profile)


def _route(name: str, item: object) -> object:
    _has(item, "path")
    if not name.startswith("/"):
        msg = "路径必须以 / 开头"
        raise ValueError(msg)
    return item


class RouteRegistry(Registry[object]):
    """Collects the web desk's pages: ``register.add(route)``, with Starlette routes.

    ``add_templates(path)`` adds a folder of Jinja templates (searched before the
    built-in ones) and ``add_nav(path, label)`` a link in the staff's menu.
    """

    kind = "网页路径"

    def __init__(self) -> None:
        super().__init__(_route)
        self._template_dirs: list[tuple[str, Path]] = []
        self._nav: list[tuple[str, tuple[str, str]]] = []

    def add(self, route: object) -> None:
        """Register a Starlette ``Route`` or ``Mount`` under its path."""
        methods = sorted(getattr(route, "methods", None) or [])
        key = getattr(route, "path", "") + (f" {','.join(methods)}" if methods else "")
        self._add(key, route)

    def add_templates(self, path: Path) -> None:
        """Search ``path`` for templates, before the built-in folder."""
        self._template_dirs.append((self._plugin, Path(path)))

    def add_nav(self, path: str, label: str) -> None:
        """Show ``label`` linking to ``path`` in the menu of signed-in staff."""
        self._nav.append((self._plugin, (path, label)))

    @property
    def template_dirs(self) -> list[Path]:
        """The plugins' template folders, the built-ins' first."""
        return [p for _, p in sorted(self._template_dirs, key=lambda e: not self._first(e[0]))]

    @property
    def nav(self) -> list[tuple[str, str]]:
        """The menu links ``(path, label)``, the built-ins' first."""
        return [n for _, n in sorted(self._nav, key=lambda e: not self._first(e[0]))]

    @property
    def routes(self) -> list[Any]:
        """The registered routes, the built-ins' first, each in registration order."""
        return [self[name] for name in self]

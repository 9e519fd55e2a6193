"""The ``register`` objects handed to ``supervision_register_*`` hooks.

A registry knows which plugin is registering (the host hands each implementation
its own view, :meth:`Registry.as_plugin`), so a duplicate name is reported with both
plugins' names, as pluggy's ``register()`` does, and is never silently renamed.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

import attrs

from supervision_core.errors import PluginError

# Only for annotations: every ``supdesk`` command builds the registries' module, and
# asyncio, the configuration and the value modules cost it start-up time (bench/bench_cli.py).
if TYPE_CHECKING:
    import asyncio
    import datetime as dt

    from supervision_core.config import Settings
    from supervision_core.ledger import Ledger
    from supervision_core.model.accounts import StaffUser
    from supervision_core.model.notifications import Notifier
    from supervision_core.model.profiles import ColumnProfile
    from supervision_core.model.reports import Report
    from supervision_core.model.scoring import ScoringPolicy
    from supervision_core.model.screening import ScreeningProposal

__all__ = [
    "Channel",
    "ChannelRegistry",
    "ChannelWithJobs",
    "CheckRegistry",
    "Job",
    "NotifierRegistry",
    "PolicyRegistry",
    "ProfileRegistry",
    "Registry",
    "RouteRegistry",
    "ScreeningCheck",
    "SignInWay",
    "SupervisorDirectory",
    "channel_jobs",
]

T = TypeVar("T")

ScreeningCheck = Callable[["Report"], "ScreeningProposal | None"]


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        msg = f"{attribute.name} 不能为负数：{value!r}"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class Job:
    """One piece of work a channel runs in ``supdesk daemon``: a poller, a listener, a folder.

    Give either ``run`` or ``poll_once``:

    - ``run(stop)`` is awaited once and returns when ``stop`` (an :class:`asyncio.Event`)
      is set: a listener (the LMTP receiver) starts, waits on ``stop`` and stops.
    - ``poll_once()`` is called every ``every`` seconds until the daemon stops; a plain
      function runs in a worker thread (it may block on the ledger), a coroutine function
      is awaited on the daemon's loop (a long poll that waits itself takes ``every=0``).

    ``lease=True`` keeps a poller to one daemon at a time when several share a PostgreSQL
    database: it polls only while it holds the lease named after the job, and another
    daemon takes over when the holder stops renewing it. ``close()`` (sync or async) is
    called once when the job ends, to let go of connections.

    The daemon supervises every job the same way: an exception is logged, shown in
    ``/healthz`` as ``retrying`` with its message, and the job is started again after a
    backoff (1 s, doubling up to 5 minutes); it never stops the other jobs.
    """

    name: str = attrs.field()
    run: Callable[[asyncio.Event], Awaitable[None]] | None = None
    poll_once: Callable[[], object] | None = None
    every: float = attrs.field(default=60.0, validator=_positive)
    lease: bool = False
    close: Callable[[], object] | None = None

    @name.validator
    def _check(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value:
            msg = "任务名称必须是非空字符串"
            raise ValueError(msg)
        if (self.run is None) == (self.poll_once is None):
            msg = f"任务 {value!r} 必须且只能给出 run 或 poll_once 之一"
            raise ValueError(msg)
        if self.lease and self.poll_once is None:
            msg = f"任务 {value!r}：租约（lease）只用于 poll_once 任务"
            raise ValueError(msg)


class Channel(Protocol):
    """An intake channel: turns what arrives into normalized reports.

    ``name`` is what a center enables in ``supdesk.toml`` (``channels = [...]``) and the
    table its options live in (``[channels.NAME]``); ``label`` is shown to people.

    A channel that runs in ``supdesk daemon`` also has (both optional, looked up with
    :func:`channel_jobs`):

    - ``settings_type``: a class with ``from_table(table: PluginTable) -> Self`` that
      validates ``[channels.NAME]`` (see :class:`~supervision_core.PluginTable`);
      without it the channel gets the :class:`PluginTable` itself;
    - ``jobs(ledger, settings) -> Iterable[Job]``: the pollers, listeners and watched
      folders to run, given the ledger and the validated settings. Called once when the
      daemon starts, and only when some center enables the channel.

    Web routes (a webhook, a form) are contributed with the ``supervision_register_routes``
    hook, from the same plugin module.
    """

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...


class ChannelWithJobs(Channel, Protocol):
    """A :class:`Channel` that runs jobs in the daemon."""

    def jobs(self, ledger: Ledger, settings: Any) -> Iterable[Job]:
        """The jobs to run for the centers that enable this channel."""
        ...


def channel_jobs(channel: Channel, ledger: Ledger) -> list[Job]:
    """The jobs ``channel`` declares, given its validated ``[channels.NAME]`` settings.

    :raises ConfigError: the channel's table is wrong (naming the file and the key)
    :raises PluginError: the channel answered something that is not a list of jobs
    """
    jobs = getattr(channel, "jobs", None)
    if jobs is None:
        return []
    from supervision_core.config import plugin_settings  # loaded with the ledger's settings

    settings = plugin_settings(channel, ledger.settings.plugin_table("channels", channel.name))
    found = list(jobs(ledger, settings))
    for job in found:
        if not isinstance(job, Job):
            msg = f"渠道 {channel.name} 的 jobs() 应返回 Job，实际为 {job!r}"
            raise PluginError(channel.name, msg)
    return found


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


def _callable_if_present(item: object, attribute: str) -> None:
    if hasattr(item, attribute) and not callable(getattr(item, attribute)):
        msg = f"{attribute} 应可调用"
        raise TypeError(msg)


def _settings_type_if_present(item: object) -> None:
    kind = getattr(item, "settings_type", None)
    if kind is not None and not callable(getattr(kind, "from_table", None)):
        msg = "settings_type 应有类方法 from_table(table)"
        raise TypeError(msg)


def _channel(name: str, item: object) -> Channel:
    _has(item, "name", "label")
    _callable_if_present(item, "jobs")
    _settings_type_if_present(item)
    return item  # type: ignore[return-value]


def _policy(name: str, item: object) -> ScoringPolicy:
    _has(item, "score", "label")
    return item  # type: ignore[return-value]


def _check(name: str, item: object) -> ScreeningCheck:
    if not callable(item):
        msg = "筛查检查必须可调用：check(report) -> ScreeningProposal | None"
        raise TypeError(msg)
    return item


#: Transports the desk itself records (model.outbox's INBOX and PHONE_CALL): no notifier's name.
_RESERVED_NOTIFIERS = ("console", "phone")


def _notifier(name: str, item: object) -> Notifier:
    if name in _RESERVED_NOTIFIERS:
        msg = f"名称 {'、'.join(_RESERVED_NOTIFIERS)} 留给工作台自己的告知方式（控制台收件箱、电话告知）"
        raise ValueError(msg)
    _has(item, "name", "deliver")
    _settings_type_if_present(item)
    if getattr(item, "settings_type", None) is not None:
        _has(item, "configure")
        _callable_if_present(item, "configure")
    return item  # type: ignore[return-value]


class ChannelRegistry(Registry[Channel]):
    """Collects channels: ``register.add(channel)``."""

    kind = "渠道"

    def __init__(self) -> None:
        super().__init__(_channel)

    def add(self, channel: Channel) -> None:
        """Register ``channel`` under its ``name``."""
        self._add(getattr(channel, "name", ""), channel)


class PolicyRegistry(Registry["ScoringPolicy"]):
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


class NotifierRegistry(Registry["Notifier"]):
    """Collects notifiers: ``register.add(notifier)``."""

    kind = "通知方式"

    def __init__(self) -> None:
        super().__init__(_notifier)

    def add(self, notifier: Notifier) -> None:
        """Register ``notifier`` under its ``name``.

        A notifier with options declares ``settings_type`` (a class with
        ``from_table(table: PluginTable) -> Self``, validating ``[notifiers.NAME]``) and
        ``configure(settings) -> Notifier``, which returns the notifier to deliver with.
        """
        self._add(getattr(notifier, "name", ""), notifier)

    def configured(
        self,
        name: str,
        settings: Settings,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> Notifier:
        """Notifier ``name`` ready to deliver, with its ``[notifiers.NAME]`` options.

        Built on every call, so a rotated secret (a file, an environment variable) is
        read again; a wrong table raises :class:`~supervision_core.ConfigError`, which
        the outbox records as the delivery's error and retries. A ``configure`` that
        names a ``clock`` parameter is given ``clock``, the desk's clock (a callable
        returning the aware time now), for rules that depend on the hour (quiet hours).
        """
        notifier = self[name]
        if getattr(notifier, "settings_type", None) is None:
            return notifier
        from supervision_core.config import plugin_settings  # loaded with ``settings``

        options = plugin_settings(notifier, settings.plugin_table("notifiers", name))
        import inspect  # pluggy has loaded it already

        configure = notifier.configure  # type: ignore[attr-defined]
        if clock is not None and "clock" in inspect.signature(configure).parameters:
            configured: Notifier = configure(options, clock=clock)
        else:
            configured = configure(options)
        return configured


def _profile(name: str, item: object) -> ColumnProfile:
    from supervision_core.model.profiles import ColumnProfile

    if not isinstance(item, ColumnProfile):
        msg = "应为 ColumnProfile"
        raise TypeError(msg)
    if item.name != name:
        msg = f"注册名 {name!r} 与 profile.name {item.name!r} 不一致"
        raise ValueError(msg)
    return item


class ProfileRegistry(Registry["ColumnProfile"]):
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


@attrs.frozen
class SignInWay:
    """Another way for a supervisor to sign in to ``/me`` (``RouteRegistry.add_sign_in``).

    ``path`` starts it (a GET link); ``available(ledger)`` says whether it is offered now
    (its plugin configured); a browser whose User-Agent contains ``agent`` sees it first,
    as the main button (WeChat's in-app browser: ``MicroMessenger``).
    """

    path: str
    label: str
    available: Callable[[Ledger], bool] | None = None
    agent: str | None = None


class RouteRegistry(Registry[object]):
    """Collects the web desk's pages: ``register.add(route)``, with Starlette routes.

    ``add_templates(path)`` adds a folder of Jinja templates (searched before the
    built-in ones), ``add_nav(path, label)`` a link in the staff's menu, with a count
    beside it if a ``badge`` is given, and ``add_sign_in(path, label)`` another way for
    supervisors to sign in to ``/me`` (WeChat OAuth).
    """

    kind = "网页路径"

    def __init__(self) -> None:
        super().__init__(_route)
        self._template_dirs: list[tuple[str, Path]] = []
        self._nav: list[tuple[str, tuple[str, str]]] = []
        self._badges: dict[str, Callable[[Ledger, StaffUser], int]] = {}
        self._sign_ins: list[tuple[str, SignInWay]] = []

    def add(self, route: object) -> None:
        """Register a Starlette ``Route`` or ``Mount`` under its path."""
        methods = sorted(getattr(route, "methods", None) or [])
        key = getattr(route, "path", "") + (f" {','.join(methods)}" if methods else "")
        self._add(key, route)

    def add_templates(self, path: Path) -> None:
        """Search ``path`` for templates, before the built-in folder."""
        self._template_dirs.append((self._plugin, Path(path)))

    def add_nav(
        self, path: str, label: str, *, badge: Callable[[Ledger, StaffUser], int] | None = None
    ) -> None:
        """Show ``label`` linking to ``path`` in the menu of signed-in staff.

        :param badge: ``badge(ledger, user)``, called (in a worker thread) for each page
            a signed-in user opens: a count shown beside the link when above zero (the
            inbox's unread notices). It must be quick; one that raises shows nothing.
        """
        self._nav.append((self._plugin, (path, label)))
        if badge is not None:
            if not callable(badge):
                raise PluginError(self._plugin, f"菜单 {path} 的 badge 应可调用")
            self._badges[path] = badge

    def add_sign_in(
        self,
        path: str,
        label: str,
        *,
        available: Callable[[Ledger], bool] | None = None,
        agent: str | None = None,
    ) -> None:
        """Offer ``label`` linking to ``path`` on the supervisors' sign-in page (``/me/login``).

        The route at ``path`` (registered with :meth:`add`) proves who the supervisor
        is, calls :meth:`~supervision_core.Ledger.start_supervisor_session` and sets the
        cookie with ``supervision_web.me.auth.signed_in_response``.

        :param available: ``available(ledger)``, asked at each sign-in page: whether the
            way is offered now (say, its plugin is configured); one that raises hides it
        :param agent: a browser whose User-Agent contains it sees the way first, as the
            page's main button (``"MicroMessenger"``: WeChat's in-app browser)
        """
        if not path.startswith("/") or not label:
            raise PluginError(self._plugin, f"登录方式应有以 / 开头的路径和名称：{path!r}")
        if available is not None and not callable(available):
            raise PluginError(self._plugin, f"登录方式 {path} 的 available 应可调用")
        way = SignInWay(path, label, available, agent)
        self._sign_ins.append((self._plugin, way))

    @property
    def sign_ins(self) -> list[SignInWay]:
        """The other ways to sign in to ``/me``, the built-ins' first."""
        return [w for _, w in sorted(self._sign_ins, key=lambda e: not self._first(e[0]))]

    @property
    def template_dirs(self) -> list[Path]:
        """The plugins' template folders, the built-ins' first."""
        return [p for _, p in sorted(self._template_dirs, key=lambda e: not self._first(e[0]))]

    @property
    def nav(self) -> list[tuple[str, str]]:
        """The menu links ``(path, label)``, the built-ins' first."""
        return [n for _, n in sorted(self._nav, key=lambda e: not self._first(e[0]))]

    @property
    def badges(self) -> dict[str, Callable[[Ledger, StaffUser], int]]:
        """The menu links' counts: ``path -> badge(ledger, user)``."""
        return dict(self._badges)

    @property
    def routes(self) -> list[Any]:
        """The registered routes, the built-ins' first, each in registration order."""
        return [self[name] for name in self]

"""The state of a running ``supdesk`` command, and the helpers plugins' commands use.

:func:`current_ledger`, :func:`wants_json`, :func:`json_option`, :func:`actor_option`
and :func:`resolve_actor` are public (exported by :mod:`supervision_core`): a plugin's
command opens the same ledger, speaks the same ``--json`` and names the same actor as
the built-in ones. Nothing here imports the database layer until a command runs.
"""

from __future__ import annotations

import enum
import importlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click

if TYPE_CHECKING:
    from supervision_core.config import Settings
    from supervision_core.ledger import Ledger
    from supervision_core.model.vocabulary import Vocabulary
    from supervision_core.plugins import PluginManager

__all__ = [
    "CENTER",
    "DATE",
    "UNIT",
    "CenterType",
    "State",
    "UnitType",
    "actor_option",
    "choice",
    "current_ledger",
    "json_option",
    "lazy_choice",
    "names",
    "pass_state",
    "resolve_actor",
    "wants_json",
]

F = TypeVar("F", bound=Callable[..., Any])


@attrs.define
class State:
    """What the root group's options say: where the ledger is, and how to answer."""

    database: str | None
    config: Path | None
    json: bool = False
    _ledger: Ledger | None = None
    _vocabulary: Vocabulary | None = None
    #: The manager :func:`~supervision_core.cli.main` built for the commands, reused by
    #: the ledger rather than loading every plugin a second time.
    plugin_manager: PluginManager | None = attrs.field(default=None, kw_only=True)

    def settings(self) -> Settings:
        """The configuration: ``--config``, or ``supdesk.toml`` here, or the defaults."""
        from supervision_core.config import Settings, load_settings

        if self.config is not None:
            return load_settings(self.config)
        default = Path("supdesk.toml")
        return load_settings(default) if default.exists() else Settings()

    def url(self, settings: Settings) -> str:
        """The database URL: ``--database``, the configuration's, or the default file."""
        from supervision_core.store.engine import DEFAULT_DATABASE_URL

        return self.database or settings.database_url or DEFAULT_DATABASE_URL

    def vocabulary(self) -> Vocabulary:
        """The ledger's names of its codes (centers, units...), read once per command."""
        if self._vocabulary is None:
            self._vocabulary = self.ledger().vocabulary()
        return self._vocabulary

    def ledger(self) -> Ledger:
        """The ledger, opened on first use."""
        if self._ledger is None:
            from supervision_core.ledger import open_ledger

            settings = self.settings()
            # A manager built before the configuration was read does not keep out its
            # `[plugins] blocked`: then the ledger builds its own, as without one.
            manager = None if settings.blocked_plugins else self.plugin_manager
            self._ledger = open_ledger(
                self.url(settings), settings=settings, plugin_manager=manager
            )
        return self._ledger


pass_state = click.make_pass_decorator(State)


def current_ledger() -> Ledger:
    """The ledger of the running ``supdesk`` command (for plugins' commands).

    Opened on first use from ``--database`` and ``--config``, as every built-in
    command's is.
    """
    state = click.get_current_context().find_object(State)
    if state is None:
        msg = "current_ledger() 只能在 supdesk 命令中调用"
        raise RuntimeError(msg)
    return state.ledger()


def names() -> Vocabulary:
    """The running command's ledger's :class:`Vocabulary`, to print names for codes."""
    state = click.get_current_context().find_object(State)
    if state is None:
        msg = "names() 只能在 supdesk 命令中调用"
        raise RuntimeError(msg)
    return state.vocabulary()


def wants_json() -> bool:
    """Whether the running ``supdesk`` command was asked for ``--json`` output."""
    state = click.get_current_context().find_object(State)
    return bool(state and state.json)


def resolve_actor(value: str | None) -> str:
    """The actor recorded for a step: ``--actor``, ``SUPDESK_ACTOR``, or ``cli:<user>``."""
    if value:
        return value
    import getpass  # with the first step recorded, not with every `supdesk` start

    try:
        user = getpass.getuser()
    except OSError:
        user = "unknown"
    return os.environ.get("SUPDESK_ACTOR") or f"cli:{user}"


def json_option(f: F) -> F:
    """The ``--json`` flag: the command answers in JSON (see :func:`wants_json`)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.find_object(State).json = True  # type: ignore[union-attr]

    return click.option(
        "--json",
        "json_",
        is_flag=True,
        expose_value=False,
        callback=callback,
        help="以 JSON 输出，便于脚本处理。",
    )(f)


def actor_option(f: F) -> F:
    """The ``--actor`` option, passed as ``actor``; read it with :func:`resolve_actor`."""
    return click.option("--actor", help="操作人（默认取 SUPDESK_ACTOR 或当前用户）。")(f)


class _TermChoice(click.Choice[str]):
    """A choice among an enum's codes that also takes each member's Chinese label.

    ``--status 待审查`` is ``--status received``: the command gets the code. The help
    lists the codes; a wrong word is refused listing every ``名称(代码)``.
    """

    def _kind(self) -> type[enum.Enum]:
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        for member in self._kind():
            if text in (member.value, getattr(member, "label", None)):
                return str(member.value)
        from supervision_core.model.vocabulary import parse_term

        try:
            parse_term(self._kind(), text)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return text  # pragma: no cover - parse_term found it above


class _EnumChoice(_TermChoice):
    def __init__(self, kind: type[enum.Enum]) -> None:
        self._enum = kind
        super().__init__([m.value for m in kind])

    def _kind(self) -> type[enum.Enum]:
        return self._enum


def choice(kind: type[enum.Enum]) -> click.Choice[str]:
    """A choice among the values of an enum; each member's Chinese label is taken too."""
    return _EnumChoice(kind)


class _LazyChoice(_TermChoice):
    """A choice among an enum's values, read from the enum only when first needed.

    Click reads the choices for its command's ``--help`` or to check a value, so the
    value modules load when that command runs, not whenever ``supdesk`` starts.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._values: Sequence[str] | None = None
        self._enum: type[enum.Enum] | None = None
        super().__init__(())

    def _kind(self) -> type[enum.Enum]:
        if self._enum is None:
            module, _, name = self._path.partition(":")
            self._enum = getattr(importlib.import_module(module), name)
        return self._enum

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        if self._values is None:
            self._values = tuple(m.value for m in self._kind())
        return self._values

    @choices.setter
    def choices(self, _values: Sequence[str]) -> None:
        pass  # Click's constructor sets the empty placeholder; the enum decides


class CenterType(click.ParamType[str]):
    """A center, by its code or its Chinese name (``乌审召镇`` for 乌审召镇便民服务中心).

    The command gets the code; the name is looked up in the ledger's :class:`Vocabulary`
    when the command runs. An unknown or ambiguous name is refused listing the centers.
    """

    name = "中心"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        state = ctx.find_object(State) if ctx is not None else None
        if state is None:
            return text
        try:
            return state.ledger().vocabulary().find_center(text)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class UnitType(click.ParamType[str]):
    """A unit, by its code or its Chinese name, among every center's units.

    A code used by two centers, and a word that names no unit, are kept as given: the
    command refuses them knowing the issue's center.
    """

    name = "单位"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        state = ctx.find_object(State) if ctx is not None else None
        if state is None:
            return text
        vocabulary = state.ledger().vocabulary()
        if any(text in units for units in vocabulary.units.values()):
            return text
        try:
            return vocabulary.find_unit(text)
        except ValueError:
            return text  # the step refuses it naming the units of the center


class DateType(click.DateTime):
    """A date written ``YYYY-MM-DD``, shown so in the help (not click's ``[%Y-%m-%d]``)."""

    name = "日期"

    def __init__(self) -> None:
        super().__init__(["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"“{value}”不是 YYYY-MM-DD 格式的日期（例如 2026-03-02）", param, ctx)


#: A date option's type: ``YYYY-MM-DD``.
DATE = DateType()
#: ``--center``'s type: a code or a name.
CENTER = CenterType()
#: ``--unit``'s type: a code or a name.
UNIT = UnitType()


def lazy_choice(path: str) -> click.Choice[str]:
    """A choice among the values of the enum at ``path`` (``"package.module:Enum"``).

    As :func:`choice`, but the enum's module is imported when the command's options
    are shown or parsed, which keeps ``supdesk --help`` from loading every value module.
    """
    return _LazyChoice(path)

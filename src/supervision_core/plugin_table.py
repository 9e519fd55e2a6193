"""A plugin's table of ``supdesk.toml``: typed getters, and secrets by reference.

Each channel and notifier, built-in or a plugin's, reads its options from its own
table, ``[channels.NAME]`` or ``[notifiers.NAME]``, through a :class:`PluginTable`;
passwords and tokens are never written in the file but referenced
(``token = { env = "VAR" }`` or ``token = { file = "/run/secrets/x" }``) and resolved by
:func:`resolve_secret`, the one place that reads them. :mod:`supervision_core.config`
re-exports these names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

import attrs

from supervision_core.errors import ConfigError, describe_os_error

__all__ = ["PluginTable", "config_error", "plugin_settings", "resolve_secret"]

_MISSING: Any = object()
D = TypeVar("D")


def resolve_secret(
    reference: object, *, source: str, key: str, environ: Mapping[str, str] | None = None
) -> str:
    """The secret a configuration value refers to: ``{ env = "VAR" }`` or ``{ file = "PATH" }``.

    The one place a password or token is read from the environment or a file, so no
    plugin reads ``os.environ`` itself. A file's content is taken without its
    trailing newline. A secret written in the configuration file itself is refused.

    :param reference: the value found at ``key``
    :param source: the configuration file, for the error message
    :param key: the dotted key, for the error message
    :param environ: the environment (default ``os.environ``)
    :raises ConfigError: the reference is malformed, the variable unset, the file unreadable
    """
    if isinstance(reference, str):
        raise config_error(
            source,
            key,
            '密钥不能直接写在配置文件中，请写成 { env = "环境变量名" } 或 { file = "文件路径" }',
        )
    if not isinstance(reference, Mapping) or len(reference) != 1:
        raise config_error(source, key, '应为 { env = "环境变量名" } 或 { file = "文件路径" }')
    ((how, where),) = reference.items()
    if how not in ("env", "file") or not isinstance(where, str) or not where:
        raise config_error(source, key, '应为 { env = "环境变量名" } 或 { file = "文件路径" }')
    if how == "env":
        value = (os.environ if environ is None else environ).get(where)
        if not value:
            raise config_error(source, key, f"环境变量 {where} 未设置或为空")
        return value
    try:
        value = Path(where).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        what = describe_os_error(exc).removeprefix(f"{where}：")
        raise config_error(source, key, f"无法读取密钥文件 {where}：{what}") from exc
    if not value:
        raise config_error(source, key, f"密钥文件 {where} 为空")
    return value


@attrs.frozen
class PluginTable:
    """One plugin's table of ``supdesk.toml``, with getters that check types.

    ``where`` is the dotted name of the table (``channels.email``); every error names
    the file and the full key. A getter without a default makes the key required.
    """

    data: Mapping[str, Any] = attrs.field(converter=dict)
    where: str = ""
    source: str = "supdesk.toml"

    def key(self, name: str) -> str:
        """The full dotted key of ``name`` in this table."""
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, problem: str) -> ConfigError:
        """The error for a wrong value at ``name`` (raise it)."""
        return config_error(self.source, self.key(name), problem)

    def __contains__(self, name: object) -> bool:
        return name in self.data

    def only(self, *names: str) -> None:
        """Refuse keys other than ``names`` (a misspelled option must not be ignored)."""
        unknown = sorted(set(self.data) - set(names))
        if unknown:
            raise config_error(self.source, self.where or "顶层", f"未知的键 {', '.join(unknown)}")

    def _absent(self, name: str, default: Any) -> Any:
        if default is _MISSING:
            raise self.fail(name, "缺少此项")
        return default

    @overload
    def text(self, name: str) -> str: ...
    @overload
    def text(self, name: str, default: D) -> str | D: ...
    def text(self, name: str, default: Any = _MISSING) -> Any:
        """A string; ``default`` when absent (required without one)."""
        if name not in self.data:
            return self._absent(name, default)
        value = self.data[name]
        if not isinstance(value, str):
            raise self.fail(name, f"应为字符串，实际为 {value!r}")
        return value

    @overload
    def integer(self, name: str) -> int: ...
    @overload
    def integer(self, name: str, default: D) -> int | D: ...
    def integer(self, name: str, default: Any = _MISSING) -> Any:
        """An integer; ``default`` when absent (required without one)."""
        if name not in self.data:
            return self._absent(name, default)
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"应为整数，实际为 {value!r}")
        return value

    @overload
    def number(self, name: str) -> float: ...
    @overload
    def number(self, name: str, default: D) -> float | D: ...
    def number(self, name: str, default: Any = _MISSING) -> Any:
        """A number, as ``float``; ``default`` when absent (required without one)."""
        if name not in self.data:
            return self._absent(name, default)
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, f"应为数字，实际为 {value!r}")
        return float(value)

    @overload
    def flag(self, name: str) -> bool: ...
    @overload
    def flag(self, name: str, default: D) -> bool | D: ...
    def flag(self, name: str, default: Any = _MISSING) -> Any:
        """``true`` or ``false``; ``default`` when absent (required without one)."""
        if name not in self.data:
            return self._absent(name, default)
        value = self.data[name]
        if not isinstance(value, bool):
            raise self.fail(name, f"应为 true 或 false，实际为 {value!r}")
        return value

    @overload
    def texts(self, name: str) -> tuple[str, ...]: ...
    @overload
    def texts(self, name: str, default: D) -> tuple[str, ...] | D: ...
    def texts(self, name: str, default: Any = _MISSING) -> Any:
        """A list of strings, as a tuple; ``default`` when absent (required without one)."""
        if name not in self.data:
            return self._absent(name, default)
        value = self.data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(name, f"应为字符串列表，实际为 {value!r}")
        return tuple(value)

    def table(self, name: str) -> PluginTable:
        """The sub-table ``[where.name]`` (empty when absent)."""
        value = self.data.get(name, {})
        if not isinstance(value, Mapping):
            raise self.fail(name, "应为表")
        return PluginTable(value, where=self.key(name), source=self.source)

    def tables(self, name: str) -> list[PluginTable]:
        """The array of tables ``[[where.name]]`` (empty when absent)."""
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(name, f"应为表数组（[[{self.key(name)}]]）")
        return [
            PluginTable(v, where=f"{self.key(name)}[{n}]", source=self.source)
            for n, v in enumerate(value)
        ]

    @overload
    def secret(self, name: str) -> str: ...
    @overload
    def secret(self, name: str, default: D) -> str | D: ...
    def secret(self, name: str, default: Any = _MISSING) -> Any:
        """A password or token, referenced as ``{ env = "VAR" }`` or ``{ file = "PATH" }``.

        Resolved by :func:`resolve_secret`; ``default`` when absent (required without one).
        """
        if name not in self.data:
            return self._absent(name, default)
        return resolve_secret(self.data[name], source=self.source, key=self.key(name))


def plugin_settings(plugin: object, table: PluginTable) -> Any:
    """A plugin's validated settings: ``plugin.settings_type.from_table(table)``.

    A plugin that declares no ``settings_type`` gets ``table`` itself.

    :raises ConfigError: the table is wrong, naming the file and the key
    """
    kind = getattr(plugin, "settings_type", None)
    if kind is None:
        return table
    try:
        return kind.from_table(table)
    except ConfigError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise config_error(table.source, table.where, f"取值无效：{exc}") from exc


def config_error(source: str, key: str, problem: str) -> ConfigError:
    """The error for a wrong value at ``key`` of the file ``source`` (raise it)."""
    return ConfigError(f"配置文件 {source} 中 {key}：{problem}")

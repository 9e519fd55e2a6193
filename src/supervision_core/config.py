"""``supdesk.toml``: centers and their units, time limits, calendar, plugins.

Centers are configured, never hard-coded: a deployment names its own. Every
error says which file and which key is wrong.

Each channel and notifier, built-in or a plugin's, reads its options from its own
table, ``[channels.NAME]`` or ``[notifiers.NAME]``, through a :class:`PluginTable`:
typed getters that fail in Chinese naming the file and the key, and
:meth:`PluginTable.secret` for passwords and tokens, which are never written in the
file but referenced (``token = { env = "VAR" }`` or ``token = { file = "/run/secrets/x" }``)
and resolved by :func:`resolve_secret`, the one place that reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from supervision_core.errors import ConfigError
from supervision_core.plugin_table import (
    PluginTable,
    plugin_settings,
    resolve_secret,
)
from supervision_core.plugin_table import (
    config_error as _fail,
)

# Plugins import this module for PluginTable and friends as `supdesk` starts; the
# values and rules load when settings are read (bench/bench_cli.py times the start-up).
if TYPE_CHECKING:
    from supervision_core.model.centers import Center, Unit
    from supervision_core.model.profiles import ColumnProfile
    from supervision_core.rules.deadlines import TimeLimits
    from supervision_core.rules.workdays import YearSchedule

__all__ = [
    "CenterSettings",
    "PluginTable",
    "Settings",
    "load_settings",
    "parse_settings",
    "plugin_settings",
    "resolve_secret",
]


def _time_limits() -> TimeLimits:
    from supervision_core.rules.deadlines import TimeLimits

    return TimeLimits()


PluginKind = Literal["channels", "notifiers"]


@attrs.frozen(kw_only=True)
class CenterSettings:
    """One center as configured: what it is, its units, and which plugins it uses."""

    center: Center
    units: tuple[Unit, ...] = ()
    channels: tuple[str, ...] = ()
    scoring_policy: str = "default"
    #: The notifiers the center sends with, in order of preference: each notice goes by
    #: the first that reaches its recipient (``notifiers = ["telegram", "email"]``).
    notifiers: tuple[str, ...] = ()
    #: The center's staff's e-mail address: its notices go there too (``email``
    #: notifier), besides the console's inbox.
    email: str | None = None
    #: Another order for one kind of recipient (``supervisor``, ``unit``, ``center``):
    #: ``delivery_order = { unit = ["wecom", "email"] }``; the others use ``notifiers``.
    delivery_order: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, hash=False)

    def ways(self, recipient_kind: str) -> tuple[str, ...]:
        """The notifiers to try, in order, for a notice to ``recipient_kind``."""
        return self.delivery_order.get(str(recipient_kind), self.notifiers)


@attrs.frozen(kw_only=True)
class Settings:
    """Everything ``supdesk.toml`` configures."""

    centers: tuple[CenterSettings, ...] = ()
    time_limits: TimeLimits = attrs.field(factory=_time_limits)
    closures: frozenset[dt.date] = frozenset()
    #: ``[calendar.YYYY]`` tables: years' holiday schedules, over the built-in ones.
    calendar_years: tuple[YearSchedule, ...] = ()
    blocked_plugins: tuple[str, ...] = ()
    profiles: tuple[ColumnProfile, ...] = ()
    duplicate_threshold: float = 0.5
    delivery_attempts: int = 8
    #: How long a notice being sent is held by its sender: if that process dies
    #: mid-send, the notice is sent again after this long.
    delivery_lease_seconds: float = 300.0
    database_url: str | None = None
    #: ``[desk] metrics_token``: a reference to the secret that opens ``/metrics`` and the
    #: full ``/healthz`` to a monitor elsewhere (``{ env = "VAR" }`` or ``{ file = "PATH" }``,
    #: resolved by :func:`resolve_secret` when the daemon starts); unset, only loopback.
    metrics_token: Mapping[str, str] | None = None
    #: ``[channels.NAME]`` tables, for each channel plugin to read (and check) its own.
    channel_options: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    #: ``[notifiers.NAME]`` tables, for each notifier to read (and check) its own.
    notifier_options: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    source: str = "（默认设置）"

    def center(self, code: str) -> CenterSettings | None:
        """The settings of center ``code``, if configured."""
        return next((c for c in self.centers if c.center.code == code), None)

    def plugin_table(self, kind: PluginKind, name: str) -> PluginTable:
        """The ``[channels.NAME]`` or ``[notifiers.NAME]`` table (empty when absent)."""
        options = self.channel_options if kind == "channels" else self.notifier_options
        return PluginTable(options.get(name, {}), where=f"{kind}.{name}", source=self.source)


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise _fail(source, key, "应为表（[section]）")
    return value


def _strings(value: Any, source: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(source, key, f"应为字符串列表，实际为 {value!r}")
    return tuple(value)


def _center(raw: Any, index: int, source: str) -> CenterSettings:
    from supervision_core.model.centers import Center, Unit

    where = f"centers[{index}]"
    if not isinstance(raw, Mapping):
        raise _fail(source, where, "应为表")
    unknown = set(raw) - {
        "code",
        "name",
        "level",
        "units",
        "channels",
        "scoring_policy",
        "notifiers",
        "email",
        "delivery_order",
    }
    if unknown:
        raise _fail(source, where, f"未知的键 {', '.join(sorted(unknown))}")
    try:
        center = Center(
            code=raw.get("code", ""),
            name=raw.get("name", ""),
            level=raw.get("level", "township"),
        )
    except ValueError as exc:
        raise _fail(source, where, str(exc)) from exc
    units = []
    for j, unit in enumerate(raw.get("units", [])):
        if not isinstance(unit, Mapping):
            raise _fail(source, f"{where}.units[{j}]", "应为表")
        try:
            units.append(
                Unit(center=center.code, code=unit.get("code", ""), name=unit.get("name", ""))
            )
        except ValueError as exc:
            raise _fail(source, f"{where}.units[{j}]", str(exc)) from exc
    codes = [u.code for u in units]
    if len(codes) != len(set(codes)):
        raise _fail(source, f"{where}.units", "单位代码重复")
    policy = raw.get("scoring_policy", "default")
    if not isinstance(policy, str):
        raise _fail(source, f"{where}.scoring_policy", "应为字符串")
    email = raw.get("email")
    if email is not None and (
        not isinstance(email, str) or "@" not in email or email != email.strip()
    ):
        raise _fail(source, f"{where}.email", f"应为电子邮箱地址，实际为 {email!r}")
    order = raw.get("delivery_order", {})
    if not isinstance(order, Mapping):
        raise _fail(source, f"{where}.delivery_order", '应为表，如 { unit = ["wecom", "email"] }')
    wrong = sorted(set(order) - set(_RECIPIENT_KINDS))
    if wrong:
        known = "、".join(_RECIPIENT_KINDS)
        raise _fail(
            source,
            f"{where}.delivery_order",
            f"未知的收件人类别 {', '.join(wrong)}（可用：{known}）",
        )
    return CenterSettings(
        center=center,
        units=tuple(units),
        channels=_strings(raw.get("channels", []), source, f"{where}.channels"),
        scoring_policy=policy,
        notifiers=_strings(raw.get("notifiers", []), source, f"{where}.notifiers"),
        email=email,
        delivery_order={
            kind: _strings(names, source, f"{where}.delivery_order.{kind}")
            for kind, names in order.items()
        },
    )


#: The kinds of recipient ``delivery_order`` may name (RecipientKind's values).
_RECIPIENT_KINDS = ("supervisor", "unit", "center")


def _profile(raw: Any, index: int, source: str) -> ColumnProfile:
    from supervision_core.model.profiles import ColumnProfile

    where = f"profiles[{index}]"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("columns"), Mapping):
        raise _fail(source, where, '应为表，并含 [profiles.columns]：字段 = ["列名", ...]')
    columns = {}
    for field, names in raw["columns"].items():
        columns[field] = _strings(
            names if isinstance(names, list) else [names], source, f"{where}.columns.{field}"
        )
    try:
        profile = ColumnProfile(
            name=str(raw.get("name", "")),
            label=str(raw.get("label", raw.get("name", ""))),
            columns=columns,
            time_formats=_strings(raw.get("time_formats", []), source, f"{where}.time_formats"),
        )
    except ValueError as exc:
        raise _fail(source, where, str(exc)) from exc
    if not profile.name:
        raise _fail(source, where, "缺少 name")
    return profile


_RANGE = ".."
_DAYS_FORMAT = 'YYYY-MM-DD，或区间 "YYYY-MM-DD..YYYY-MM-DD"'


def _day(value: Any, source: str, key: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(source, key, f"日期格式应为 {_DAYS_FORMAT}：{value!r}")


def _days(value: Any, source: str, key: str) -> list[dt.date]:
    """A list of days: ``"2027-01-01"``, a TOML date, or ``"2027-02-06..2027-02-12"``."""
    if not isinstance(value, list):
        raise _fail(
            source, key, f'应为日期列表，如 ["2027-01-01", "2027-02-06..2027-02-12"]：{value!r}'
        )
    days: list[dt.date] = []
    for item in value:
        if isinstance(item, str) and _RANGE in item:
            first, _, last = item.partition(_RANGE)
            start, end = _day(first.strip(), source, key), _day(last.strip(), source, key)
            if end < start:
                raise _fail(source, key, f"区间的终点早于起点：{item!r}")
            days.extend(start + dt.timedelta(days=n) for n in range((end - start).days + 1))
        else:
            days.append(_day(item, source, key))
    seen: set[dt.date] = set()
    for day in days:
        if day in seen:
            raise _fail(source, key, f"{day.isoformat()} 重复出现")
        seen.add(day)
    return days


def _year_schedule(year: int, raw: Any, source: str) -> YearSchedule:
    from supervision_core.rules.workdays import CONFIGURED, YearSchedule

    where = f"calendar.{year}"
    if not isinstance(raw, Mapping):
        raise _fail(
            source, where, f"应为表：[calendar.{year}] 下写 holidays = [...] 和 workdays = [...]"
        )
    if not 2000 <= year <= 2100:
        raise _fail(source, where, f"年份应在 2000 到 2100 之间：{year}")
    unknown = sorted(set(raw) - {"holidays", "workdays", "notice"})
    if unknown:
        raise _fail(
            source, where, f"未知的键 {', '.join(unknown)}（可用：holidays、workdays、notice）"
        )
    if "holidays" not in raw:
        raise _fail(source, f"{where}.holidays", "缺少此项（放假日期列表）")
    if "workdays" not in raw:
        raise _fail(
            source,
            f"{where}.workdays",
            "缺少此项（调休上班日期列表；该年没有调休上班日时写 workdays = []）",
        )
    notice = raw.get("notice", "")
    if not isinstance(notice, str):
        raise _fail(source, f"{where}.notice", f"应为字符串（通知名称或文号）：{notice!r}")
    holidays = _days(raw["holidays"], source, f"{where}.holidays")
    workdays = _days(raw["workdays"], source, f"{where}.workdays")
    try:
        return YearSchedule(year, holidays, workdays, CONFIGURED, notice.strip())
    except ValueError as exc:
        raise _fail(source, where, str(exc)) from exc


def _calendar(
    calendar: Mapping[str, Any], source: str
) -> tuple[frozenset[dt.date], tuple[YearSchedule, ...]]:
    """``[calendar]``: ``closures``, and one ``[calendar.YYYY]`` table per configured year."""
    closures = set()
    for value in calendar.get("closures", []):
        if isinstance(value, dt.date):
            closures.add(value)
            continue
        try:
            closures.add(dt.date.fromisoformat(str(value)))
        except ValueError as exc:
            raise _fail(source, "calendar.closures", f"日期格式应为 YYYY-MM-DD：{value!r}") from exc
    years = []
    for key, raw in calendar.items():
        if key == "closures":
            continue
        if not (len(key) == 4 and key.isascii() and key.isdigit()):
            raise _fail(
                source,
                f"calendar.{key}",
                "未知的键：[calendar] 下只能有 closures 和年份表（如 [calendar.2027]）",
            )
        years.append(_year_schedule(int(key), raw, source))
    return frozenset(closures), tuple(sorted(years, key=lambda y: y.year))


def parse_settings(data: Mapping[str, Any], source: str = "supdesk.toml") -> Settings:
    """Settings from an already-parsed TOML document."""
    from supervision_core.model.centers import CenterLevel
    from supervision_core.rules.deadlines import TimeLimits

    unknown = set(data) - {
        "desk",
        "centers",
        "time_limits",
        "calendar",
        "plugins",
        "profiles",
        "channels",
        "notifiers",
    }
    if unknown:
        raise _fail(source, "顶层", f"未知的节 {', '.join(sorted(unknown))}")
    desk = _table(data, "desk", source)
    centers_raw = data.get("centers", [])
    if not isinstance(centers_raw, list):
        raise _fail(source, "centers", "应为 [[centers]] 表数组")
    centers = tuple(_center(raw, i, source) for i, raw in enumerate(centers_raw))
    codes = [c.center.code for c in centers]
    if len(codes) != len(set(codes)):
        raise _fail(source, "centers", "中心代码重复")
    if sum(1 for c in centers if c.center.level is CenterLevel.BANNER) > 1:
        raise _fail(source, "centers", '最多只能有一个旗级中心（level = "banner"）')
    limits_raw = dict(_table(data, "time_limits", source))
    try:
        limits = TimeLimits(**limits_raw)
    except TypeError as exc:
        known = ", ".join(a.name for a in attrs.fields(TimeLimits))
        raise _fail(source, "time_limits", f"未知的时限名称（可用：{known}）") from exc
    except ValueError as exc:
        raise _fail(source, "time_limits", str(exc)) from exc
    closures, calendar_years = _calendar(_table(data, "calendar", source), source)
    plugins = _table(data, "plugins", source)
    threshold = desk.get("duplicate_threshold", 0.5)
    if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise _fail(source, "desk.duplicate_threshold", f"应为 0 到 1 之间的数：{threshold!r}")
    attempts = desk.get("delivery_attempts", 8)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise _fail(source, "desk.delivery_attempts", f"应为正整数：{attempts!r}")
    lease = desk.get("delivery_lease_seconds", 300)
    if not isinstance(lease, int | float) or isinstance(lease, bool) or lease <= 0:
        raise _fail(source, "desk.delivery_lease_seconds", f"应为正数：{lease!r}")
    database = desk.get("database")
    if database is not None and not isinstance(database, str):
        raise _fail(source, "desk.database", "应为字符串")
    metrics_token = desk.get("metrics_token")
    if metrics_token is not None and not isinstance(metrics_token, Mapping):
        raise _fail(
            source,
            "desk.metrics_token",
            '密钥不能直接写在配置文件中，请写成 { env = "环境变量名" } 或 { file = "文件路径" }',
        )
    profiles = tuple(_profile(raw, i, source) for i, raw in enumerate(data.get("profiles", [])))
    plugin_options = {}
    for kind in ("channels", "notifiers"):
        tables = _table(data, kind, source)
        for name, options in tables.items():
            if not isinstance(options, Mapping):
                raise _fail(source, f"{kind}.{name}", f"应为表（[{kind}.名称]）")
        plugin_options[kind] = {k: dict(v) for k, v in tables.items()}
    return Settings(
        channel_options=plugin_options["channels"],
        notifier_options=plugin_options["notifiers"],
        centers=centers,
        profiles=profiles,
        time_limits=limits,
        closures=closures,
        calendar_years=calendar_years,
        blocked_plugins=_strings(plugins.get("blocked", []), source, "plugins.blocked"),
        duplicate_threshold=float(threshold),
        delivery_attempts=attempts,
        delivery_lease_seconds=float(lease),
        database_url=database,
        metrics_token=dict(metrics_token) if metrics_token is not None else None,
        source=source,
    )


def load_settings(path: str | Path) -> Settings:
    """Settings from the TOML file at ``path``."""
    import tomllib

    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        msg = f"找不到配置文件 {path}（可用 supdesk init 生成示例配置）"
        raise ConfigError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"配置文件 {path} 不是合法的 TOML：{exc}"
        raise ConfigError(msg) from exc
    return parse_settings(data, str(path))


def check_plugins(settings: Settings, *, channels: Any, policies: Any, notifiers: Any) -> None:
    """Refuse a configuration that names a channel, policy or notifier no plugin provides."""
    for cs in settings.centers:
        where = f"中心 {cs.center.code}"
        for kind, names, known in (
            ("渠道", cs.channels, channels),
            ("评分办法", (cs.scoring_policy,), policies),
            (
                "通知方式",
                (*cs.notifiers, *(n for ns in cs.delivery_order.values() for n in ns)),
                notifiers,
            ),
        ):
            for name in names:
                if name not in known:
                    available = "、".join(sorted(known)) or "（无）"
                    msg = (
                        f"配置文件 {settings.source}：{where} 使用了未安装的{kind} {name!r}；"
                        f"已安装：{available}"
                    )
                    raise ConfigError(msg)

"""``supdesk calendar show``: a year's working days, and where its holiday schedule comes from.

Needs no database: the schedule comes from the code (built-in years) or from
``[calendar.YYYY]`` in ``supdesk.toml``, the closures from ``[calendar] closures`` and
the plugins' ``supervision_closure_days``.
"""

from __future__ import annotations

import calendar as monthly
import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from supervision_core.cli.context import State, json_option, pass_state
from supervision_core.cli.output import pad, show

if TYPE_CHECKING:
    from supervision_core.config import Settings
    from supervision_core.rules.workdays import YearSchedule

__all__ = ["calendar"]

_WEEKDAYS = "一二三四五六日"
_MARKS = {"holiday": "休", "makeup": "班", "closure": "闭"}
_CELL = 5


@click.group()
def calendar() -> None:
    """工作日历：各年的法定节假日和调休上班日（期限按工作日计算）。"""


def _closures(state: State, settings: Settings, year: int) -> set[dt.date]:
    from supervision_core.plugins import PluginHost, get_plugin_manager

    # As the ledger does: the command's manager, unless the configuration blocks plugins.
    manager = None if settings.blocked_plugins else state.plugin_manager
    host = PluginHost(manager or get_plugin_manager(blocked=settings.blocked_plugins))
    days = settings.closures | host.closure_days([year])
    return {d for d in days if d.year == year}


def _kind(day: dt.date, schedule: YearSchedule | None, closures: set[dt.date]) -> str:
    if day in closures:
        return "closure"
    if schedule is None:
        return "unconfirmed"
    if day in schedule.workdays:
        return "makeup"
    if day in schedule.holidays:
        return "holiday"
    return "rest" if day.weekday() >= 5 else "workday"


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _spans(days: list[dt.date], *, weekday: bool = False) -> str:
    parts = []
    for first, last in _runs(days):
        if first == last:
            text = _md(first) + (f"（星期{_WEEKDAYS[first.weekday()]}）" if weekday else "")
        else:
            text = f"{_md(first)}至{_md(last)}（{(last - first).days + 1} 天）"
        parts.append(text)
    return "、".join(parts) or "无"


def _example(year: int) -> list[str]:
    return [
        f"[calendar.{year}]",
        f'notice = "国务院办公厅关于{year}年部分节假日安排的通知"',
        f'holidays = ["{year}-01-01", "{year}-MM-DD..{year}-MM-DD"]   # 放假日期，区间用 ..',
        f'workdays = ["{year}-MM-DD"]                             # 调休上班日期，没有则写 []',
    ]


@calendar.command("show")
@click.argument("year", type=click.IntRange(2000, 2100), required=False)
@json_option
@pass_state
def show_year(state: State, year: int | None) -> None:
    """按月显示某年度（默认今年）的工作日历：放假、调休上班、本地闭馆日，及其是否已确认、来自何处。"""
    from supervision_core.model.clock import local_date, now_utc
    from supervision_core.rules.workdays import CONFIGURED, CONFIRMED_YEARS, year_schedules

    settings = state.settings()
    year = year or local_date(now_utc()).year
    schedule = year_schedules(settings.calendar_years).get(year)
    closures = _closures(state, settings, year)
    source = schedule.source if schedule else None
    months: list[dict[str, Any]] = []
    for month in range(1, 13):
        days = []
        for number in range(1, monthly.monthrange(year, month)[1] + 1):
            day = dt.date(year, month, number)
            kind = _kind(day, schedule, closures)
            working = None if kind == "unconfirmed" else kind in ("workday", "makeup")
            days.append(
                {"date": day, "weekday": day.isoweekday(), "kind": kind, "working": working}
            )
        months.append({"month": month, "days": days})
    every = [d for m in months for d in m["days"]]
    data = {
        "year": year,
        "confirmed": schedule is not None,
        "source": source,
        "config_file": settings.source if source == CONFIGURED else None,
        "overrides_built_in": source == CONFIGURED and year in CONFIRMED_YEARS,
        "notice": schedule.notice if schedule else "",
        "holidays": sorted(schedule.holidays) if schedule else [],
        "workdays": sorted(schedule.workdays) if schedule else [],
        "closures": sorted(closures),
        "working_days": sum(1 for d in every if d["working"]) if schedule else None,
        "months": months,
    }

    def human() -> None:
        if schedule is None:
            from supervision_core.config import Settings

            config = (
                "也没有配置文件 supdesk.toml"
                if settings.source == Settings().source
                else f"配置文件 {settings.source} 中也没有 [calendar.{year}]"
            )
            click.echo(f"{year} 年工作日历：未确认（代码中没有内置 {year} 年的放假安排，{config}）")
            click.echo(
                f"涉及 {year} 年的期限不能计算，受理、派单、整改计划和延期将被拒绝。"
                "国务院办公厅公布放假安排后，在 supdesk.toml 中加入："
            )
            click.echo("")
            for line in _example(year):
                click.echo(f"    {line}")
            click.echo("")
        else:
            where = (
                f"supdesk.toml（{settings.source}"
                + ("，覆盖内置数据" if data["overrides_built_in"] else "")
                + "）"
                if source == CONFIGURED
                else "内置"
            )
            click.echo(f"{year} 年工作日历：已确认，来源：{where}")
            if schedule.notice:
                click.echo(f"依据：{schedule.notice}")
            click.echo(f"放假：{_spans(sorted(schedule.holidays))}")
            click.echo(f"调休上班：{_spans(sorted(schedule.workdays), weekday=True)}")
        if closures:
            click.echo(f"本地闭馆：{_spans(sorted(closures))}")
        if schedule is not None:
            click.echo(f"全年工作日 {data['working_days']} 天。")
        click.echo("标记：休 = 放假，班 = 调休上班，闭 = 本地闭馆；周六、周日为休息日")
        for month in months:
            click.echo("")
            click.echo(f"{year} 年 {month['month']} 月")
            click.echo("".join(pad(w, _CELL) for w in _WEEKDAYS).rstrip())
            line = " " * (_CELL * (month["days"][0]["weekday"] - 1))
            for d in month["days"]:
                line += pad(f"{d['date'].day:>2}{_MARKS.get(d['kind'], '')}", _CELL)
                if d["weekday"] == 7:
                    click.echo(line.rstrip())
                    line = ""
            if line:
                click.echo(line.rstrip())

    show(state, data, human)

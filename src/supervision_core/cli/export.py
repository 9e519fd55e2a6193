"""``supdesk export ledger``: the ledger of issues as a workbook or CSV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from supervision_core.cli.context import CENTER, DATE, State, json_option, pass_state
from supervision_core.cli.output import show

__all__ = ["export_"]


@click.group(name="export")
def export_() -> None:
    """导出：反馈问题台账（XLSX、CSV）。"""


@export_.command("ledger")
@click.option("--center", type=CENTER, help="只导出某个中心（默认全部，每个中心一张工作表）。")
@click.option("--from", "start", type=DATE, help="反馈日期起 YYYY-MM-DD。")
@click.option("--to", "end", type=DATE, help="反馈日期止 YYYY-MM-DD（含）。")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv"]),
    default="xlsx",
    show_default=True,
    help="文件格式：xlsx（Excel 工作簿，每个中心一张表）或 csv（逗号分隔，UTF-8）。",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="输出文件（默认 反馈问题台账.xlsx）。",
)
@json_option
@pass_state
def export_ledger_command(
    state: State,
    center: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    fmt: str,
    out: Path | None,
) -> None:
    """导出反馈问题台账（监督员姓名、电话脱敏；公式注入已中和）。"""
    from supervision_core.cli.access import log_shown
    from supervision_core.documents.ledger_workbook import export_ledger

    target = out or Path(f"反馈问题台账.{fmt}")
    ledger = state.ledger()
    exported: set[int] = set()
    count = export_ledger(
        ledger,
        target,
        center=center,
        start=start.date() if start else None,
        end=end.date() if end else None,
        fmt=fmt,
        supervisors=exported,
    )
    log_shown(ledger, "export_ledger", exported, target=target.name)
    where = target.resolve()
    show(
        state,
        {"file": str(where), "issues": count},
        lambda: click.echo(f"已导出 {count} 件问题到 {where}"),
    )

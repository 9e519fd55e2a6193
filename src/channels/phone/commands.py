"""The phone channel's commands: ``supdesk import calls``, ``import batches``, ``import rollback``.

Registered through ``supervision_register_commands``; the importer (and its readers of
CSV, XLSX and XLS) loads only when ``import calls`` runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from channels.shared import import_group
from supervision_core import SHANGHAI, hookimpl
from supervision_core.cli import (
    CENTER,
    actor_option,
    current_ledger,
    emit,
    json_option,
    resolve_actor,
    wants_json,
)

__all__ = ["supervision_register_commands"]

_COUNT_LABELS = {
    "read": "读取",
    "imported": "导入",
    "already_present": "已存在",
    "quarantined": "隔离",
    "rejected": "被拒",
    "skipped": "跳过",
}


@click.command("calls")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--center", type=CENTER, help="没有苏木镇列（或该列为空）的行归入的中心（代码或名称）。"
)
@click.option("--profile", help="列配置名称（默认按表头自动匹配）。")
@click.option("--dry-run", is_flag=True, help="只检查，不写入。")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="被拒行写入的文件（默认写在当前文件夹：所导入文件的文件名加 .rejects.csv，不写入其所在的文件夹）。",
)
@actor_option
@json_option
def calls(
    file: Path,
    center: str | None,
    profile: str | None,
    dry_run: bool,
    rejects: Path | None,
    actor: str | None,
) -> None:
    """导入来电记录（CSV、XLSX、XLS），可重复运行。"""
    from channels.phone.importer import import_call_log

    ledger = current_ledger()
    if rejects is None:
        # Next to where the operator works (the import's other output), never into the
        # input's folder, which may be a share, read-only, or the source tree.
        rejects = Path.cwd() / f"{file.name}.rejects.csv"
    show_bar = not wants_json() and sys.stderr.isatty()
    size = file.stat().st_size if file.exists() else 0
    with click.progressbar(
        length=size or 1, label="导入中", file=sys.stderr, hidden=not show_bar
    ) as bar:
        last = {"at": 0}

        def progress(at: int) -> None:
            if at > last["at"]:
                bar.update(min(at, size) - last["at"]) if size else None
                last["at"] = min(at, size)

        summary = import_call_log(
            ledger,
            file,
            actor=resolve_actor(actor),
            center=center,
            profile=profile,
            dry_run=dry_run,
            rejects_path=rejects,
            progress=progress,
        )
    if wants_json():
        emit(summary)
        if summary.stored_nothing:
            sys.exit(1)
        return
    verb = "（试运行，未写入）" if dry_run else f"（导入批次 #{summary.batch}）"
    click.echo(
        f"{file.name}{verb}：按列配置 {summary.profile} 读取 {summary.read} 行，"
        f"导入 {summary.imported}，已存在 {summary.already_present}，"
        f"进入隔离区 {summary.quarantined}，被拒 {summary.rejected}，跳过空行/合计行 {summary.skipped}。"
    )
    for rejected in summary.rejects[:20]:
        click.echo(f"  第 {rejected.row} 行 [{rejected.column}]：{rejected.reason}")
    if summary.rejected > 20:
        click.echo(f"  ……其余 {summary.rejected - 20} 行见被拒文件")
    if summary.rejects_file:
        click.echo(f"被拒的行已写入 {summary.rejects_file}，修改后可再次导入。")
    if summary.stored_nothing:
        # Said on stderr and in the exit status: a script must not take this for a success.
        what = "所有行都被拒" if summary.rejected else "文件中没有可导入的行"
        click.echo(f"错误：{file.name} 未导入任何记录（{what}）。", err=True)
        sys.exit(1)


@click.command("batches")
@json_option
def batches() -> None:
    """列出导入批次。"""
    found = current_ledger().batches()
    if wants_json():
        emit(found)
        return
    if not found:
        click.echo("还没有导入批次。")
    for b in found:
        state = f"已撤销（{b.rolled_back_by}）" if b.rolled_back_at else "有效"
        counts = "，".join(f"{_COUNT_LABELS.get(k, k)} {v}" for k, v in b.counts.items())
        click.echo(
            f"#{b.id:<4} {b.started_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}  {b.source_name}  {state}  {counts}"
        )


@click.command("rollback")
@click.argument("batch_id", type=int)
@actor_option
@json_option
def rollback(batch_id: int, actor: str | None) -> None:
    """撤销一个导入批次（其中的问题都还未审查时）。"""
    removed = current_ledger().rollback_batch(batch_id, actor=resolve_actor(actor))
    if wants_json():
        emit({"batch": batch_id, "removed": removed})
        return
    click.echo(f"导入批次 #{batch_id} 已撤销，移除反馈 {removed} 条。")


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk import calls``, ``import batches`` and ``import rollback``."""
    group = import_group(cli)
    for command in (calls, batches, rollback):
        group.add_command(command)

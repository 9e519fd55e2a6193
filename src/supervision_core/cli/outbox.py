"""``supdesk outbox ...``: notices waiting, sent, failed and sent again."""

from __future__ import annotations

import click

from supervision_core.cli.context import State, json_option, lazy_choice, pass_state
from supervision_core.cli.output import pad, show

__all__ = ["outbox"]


@click.group()
def outbox() -> None:
    """发送队列：给监督员和责任单位的通知，失败重试与人工重发。"""


@outbox.command("list")
@click.option(
    "--status",
    type=lazy_choice("supervision_core.model.outbox:OutboxStatus"),
    help="只看某种状态（dead 为发送失败）。",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
@pass_state
def outbox_list(state: State, status: str | None, limit: int) -> None:
    """列出通知及其发送情况。"""
    found = state.ledger().outbox(status=status, limit=limit)

    def human() -> None:
        if not found:
            click.echo("发送队列为空。")
        for e in found:
            error = f"  错误：{e.last_error}" if e.last_error else ""
            click.echo(
                f"#{e.id:<5} {pad(e.status.label, 8)} {pad(e.notifier, 10)} 尝试 {e.attempts} 次  "
                f"{e.notice.subject}{error}"
            )

    show(state, found, human)


@outbox.command("deliver")
@json_option
@pass_state
def outbox_deliver(state: State) -> None:
    """立即发送到期的通知（守护进程会定时执行）。"""
    report = state.ledger().deliver_notices()
    show(
        state,
        report,
        lambda: click.echo(
            f"已送达 {report.delivered} 条，待重试 {report.retrying} 条，转入发送失败 {report.dead} 条。"
        ),
    )


@outbox.command("retry")
@click.argument("entry_id", type=int)
@json_option
@pass_state
def outbox_retry(state: State, entry_id: int) -> None:
    """将发送失败的通知重新排入队列。"""
    entry = state.ledger().retry_notice(entry_id)
    show(state, entry, lambda: click.echo(f"通知 #{entry.id} 已重新排队。"))

"""``supdesk outbox ...``: notices waiting, sent, failed, told by phone, and sent again."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from supervision_core.cli.context import (
    CENTER,
    State,
    actor_option,
    json_option,
    lazy_choice,
    pass_state,
    resolve_actor,
)
from supervision_core.cli.output import fail, pad, show

if TYPE_CHECKING:
    from supervision_core.model.outbox import OutboxEntry

__all__ = ["outbox"]


@click.group()
def outbox() -> None:
    """发送队列：给监督员、责任单位和中心工作人员的通知，送达情况、电话告知与重发。"""


def _masked(entry: OutboxEntry) -> OutboxEntry:
    """``entry`` with the phone numbers among its addresses masked (as every listing shows them)."""
    import attrs

    from supervision_core.model.supervisors import ContactKind, Identity
    from supervision_core.rules.masking import mask_phone

    addresses = tuple(
        Identity(a.kind, mask_phone(a.value)) if a.kind is ContactKind.PHONE else a
        for a in entry.notice.addresses
    )
    return attrs.evolve(entry, notice=attrs.evolve(entry.notice, addresses=addresses))


@outbox.command("list")
@click.option(
    "--status",
    type=lazy_choice("supervision_core.model.outbox:OutboxStatus"),
    help="只看某种状态：pending 待发送、retrying 待重试、delivered 已送达、unreachable 无法送达、"
    "call_task 待电话告知、done_by_phone 已电话告知、dead 发送失败。",
)
@click.option("--center", type=CENTER, help="只看某个中心发出的和发给它的通知。")
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="最多列出几条。"
)
@json_option
@pass_state
def outbox_list(state: State, status: str | None, center: str | None, limit: int) -> None:
    """列出通知、送达状态和实际送达的方式（电话号码已遮蔽）。"""
    from supervision_core.documents.ledger_workbook import notifier_labels

    ledger = state.ledger()
    found = [_masked(e) for e in ledger.outbox(status=status, center=center, limit=limit)]
    labels = notifier_labels(ledger)  # 电子邮件, not email

    def human() -> None:
        if not found:
            click.echo("发送队列为空。")
        for e in found:
            note = f"  原因：{e.last_error}" if e.last_error else ""
            if e.receipt is not None:
                note = f"  回执：{e.receipt.label}{note}"
            click.echo(
                f"#{e.id:<5} {pad(e.status.label, 10)} "
                f"{pad(labels.get(e.transport or '') or e.transport_label, 12)} "
                f"尝试 {e.attempts} 次  {e.notice.subject}{note}"
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
            f"已送达 {report.delivered} 条，待重试 {report.retrying} 条，"
            f"转为电话告知 {report.call_tasks} 条，无法送达 {report.unreachable} 条，"
            f"转入发送失败 {report.dead} 条。"
        ),
    )


@outbox.command("retry")
@click.argument("entry_id", type=int)
@json_option
@pass_state
def outbox_retry(state: State, entry_id: int) -> None:
    """将发送失败、无法送达或待电话告知的通知重新排入队列（按监督员现在的联系方式）。"""
    entry = state.ledger().retry_notice(entry_id)
    show(state, _masked(entry), lambda: click.echo(f"通知 #{entry.id} 已重新排队。"))


@outbox.command("called")
@click.argument("entry_id", type=int)
@click.option(
    "--at",
    "called_at",
    help="通话时间（北京时间，如 2026-03-02 10:30；默认现在）。",
)
@actor_option
@json_option
@pass_state
def outbox_called(state: State, entry_id: int, called_at: str | None, actor: str | None) -> None:
    """记录已电话告知监督员（待电话告知的任务）。"""
    from supervision_core.model.clock import SHANGHAI

    ledger = state.ledger()
    if called_at is None:
        when = ledger.clock()
    else:
        try:
            when = dt.datetime.fromisoformat(called_at.strip())
        except ValueError:
            fail(f"通话时间格式应为 年-月-日 时:分，如 2026-03-02 10:30：{called_at!r}")
        if when.tzinfo is None:
            when = when.replace(tzinfo=SHANGHAI)
    entry = ledger.record_call(entry_id, called_at=when, actor=resolve_actor(actor))
    show(
        state,
        _masked(entry),
        lambda: click.echo(f"通知 #{entry.id} 已记为电话告知（{entry.called_by}）。"),
    )

"""``supdesk webhooks ...``: subscriptions of other systems to the ledger's events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from supervision_core.cli.context import CENTER, UNIT, State, json_option, names, pass_state
from supervision_core.cli.output import fail, show

if TYPE_CHECKING:  # the value modules load with the ledger, not for `supdesk --help`
    from supervision_core.model.webhooks import Webhook, WebhookDelivery

__all__ = ["webhooks"]


@click.group()
def webhooks() -> None:
    """事件推送：向其他系统推送签名的 JSON 事件（收到反馈、受理、派单、整改、逾期、评价）。"""


def _hook_data(h: Webhook) -> dict[str, Any]:
    return {
        "id": h.id,
        "url": h.url,
        "center": h.center,
        "unit": h.unit,
        "events": sorted(e.value for e in h.events),
        "disabled": h.disabled,
    }


def _hook_line(h: Webhook) -> str:
    unit = f" 单位 {names().unit(h.unit, h.center)}" if h.unit else ""
    events = "、".join(e.label for e in sorted(h.events))
    state = "（已停用）" if h.disabled else ""
    return f"#{h.id}  {h.url}  {names().center(h.center)}{unit}  {events}{state}"


def _delivery_data(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "webhook_id": d.webhook_id,
        "event": d.event.value,
        "status": d.status.value,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": d.created_at.isoformat(),
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
    }


@webhooks.command("add")
@click.argument("url")
@click.option(
    "--events",
    "event_text",
    required=True,
    help="事件，逗号分隔，如 issue.accepted,issue.dispatched。",
)
@click.option(
    "--center", type=CENTER, required=True, help="订阅哪个中心的事件（旗中心可收到所有中心的）。"
)
@click.option("--unit", type=UNIT, help="只订阅派给该单位的问题（单位订阅不含报告人信息）。")
@json_option
@pass_state
def webhooks_add(state: State, url: str, event_text: str, center: str, unit: str | None) -> None:
    """新建订阅。签名密钥只显示这一次，请立即交给接收方保存。"""
    events = [e.strip() for e in event_text.replace("，", ",").split(",") if e.strip()]
    hook, secret = state.ledger().webhooks.add(url=url, center=center, events=events, unit=unit)

    def human() -> None:
        click.echo(f"已新建订阅：{_hook_line(hook)}")
        click.echo(f"签名密钥（只显示这一次）：{secret}")

    show(state, {**_hook_data(hook), "secret": secret}, human)


@webhooks.command("list")
@json_option
@pass_state
def webhooks_list(state: State) -> None:
    """列出订阅（不显示密钥）。"""
    found = state.ledger().webhooks.list()

    def human() -> None:
        if not found:
            click.echo(
                "还没有订阅：supdesk webhooks add 地址 --events issue.accepted --center 中心"
            )
        for h in found:
            click.echo(_hook_line(h))

    show(state, [_hook_data(h) for h in found], human)


@webhooks.command("disable")
@click.argument("webhook_id", type=int)
@json_option
@pass_state
def webhooks_disable(state: State, webhook_id: int) -> None:
    """停用订阅：此后不再推送（推送记录保留）。"""
    hook = state.ledger().webhooks.disable(webhook_id)
    show(state, _hook_data(hook), lambda: click.echo(f"已停用订阅：{_hook_line(hook)}"))


@webhooks.command("log")
@click.option("--webhook", "webhook_id", type=int, help="只列出该订阅的推送。")
@json_option
@pass_state
def webhooks_log(state: State, webhook_id: int | None) -> None:
    """推送记录：每个事件送达与否、尝试次数、最后的错误。"""
    found = state.ledger().webhooks.deliveries(webhook_id=webhook_id)

    def human() -> None:
        if not found:
            click.echo("还没有推送记录。")
        for d in found:
            error = f"  {d.last_error}" if d.last_error else ""
            click.echo(
                f"#{d.id}  订阅 #{d.webhook_id}  {d.event.label}  {d.status.label}"
                f"  尝试 {d.attempts} 次{error}"
            )

    show(state, [_delivery_data(d) for d in found], human)


@webhooks.command("replay")
@click.argument("delivery_id", type=int)
@json_option
@pass_state
def webhooks_replay(state: State, delivery_id: int) -> None:
    """重新推送一条记录（已放弃或已送达的），下一轮推送时发出。"""
    delivery = state.ledger().webhooks.replay(delivery_id)
    show(
        state,
        _delivery_data(delivery),
        lambda: click.echo(f"已安排重新推送：#{delivery.id}（{delivery.event.label}）"),
    )


@webhooks.command("deliver")
@json_option
@pass_state
def webhooks_deliver(state: State) -> None:
    """立即推送一轮到期的事件（守护进程会定期自动推送）。"""
    delivered, failed = state.ledger().deliver_webhooks()
    if failed and not delivered:
        fail(f"本轮推送失败 {failed} 条，将按退避时间重试（supdesk webhooks log 查看原因）")
    show(
        state,
        {"delivered": delivered, "failed": failed},
        lambda: click.echo(f"本轮送达 {delivered} 条，失败 {failed} 条。"),
    )

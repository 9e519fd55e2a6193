"""Announced activities and sign-up: ``activities announce``/``cancel``/``signups``/``signup``/``withdraw``.

A center announces an activity (培训、座谈、集中体验……); its supervisors sign up on
``/me`` (or staff sign them up when they call); after it, ``activities attend``
records who came, which is what the year counts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from supervision_core.cli.access import log_shown
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
from supervision_core.cli.year import activities

if TYPE_CHECKING:
    from supervision_core.model.year import Activity

__all__: list[str] = []

_MOMENT = click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"])


def _local(value: dt.datetime) -> dt.datetime:
    """A time typed at the command line, read in Asia/Shanghai."""
    from supervision_core.model.clock import SHANGHAI

    return value.replace(tzinfo=SHANGHAI)


def _when(value: dt.datetime | None) -> str:
    from supervision_core.model.clock import SHANGHAI

    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else "—"


def _summary(a: Activity) -> str:
    places = "不限名额" if a.capacity is None else f"名额 {a.capacity}"
    state = "（已取消）" if a.cancelled else ""
    return (
        f"活动 #{a.id}{state}：{a.kind.label}“{a.title}”，{_when(a.starts_at)}，{a.place}；"
        f"报名截止 {_when(a.signup_deadline)}，{places}，已报名 {len(a.signed_up)} 人"
    )


@activities.command("announce")
@click.option("--center", type=CENTER, required=True, help="中心代码。")
@click.option(
    "--kind",
    type=lazy_choice("supervision_core.model.year:ActivityKind"),
    required=True,
    help="活动类型。",
)
@click.option("--title", required=True, help="活动名称。")
@click.option("--place", required=True, help="地点。")
@click.option(
    "--start", "starts_at", type=_MOMENT, required=True, help="开始时间 YYYY-MM-DD HH:MM。"
)
@click.option(
    "--deadline", type=_MOMENT, required=True, help="报名截止时间 YYYY-MM-DD HH:MM（不晚于开始）。"
)
@click.option("--capacity", type=int, help="名额（人数）；不写为不限。")
@click.option("--description", default="", help="活动说明。")
@actor_option
@json_option
@pass_state
def activities_announce(
    state: State,
    center: str,
    kind: str,
    title: str,
    place: str,
    starts_at: dt.datetime,
    deadline: dt.datetime,
    capacity: int | None,
    description: str,
    actor: str | None,
) -> None:
    """发布一项活动，本中心监督员可在监督员页面报名（时间按北京时间）。"""
    activity = state.ledger().announce_activity(
        center=center,
        kind=kind,
        title=title,
        place=place,
        starts_at=_local(starts_at),
        signup_deadline=_local(deadline),
        capacity=capacity,
        description=description,
        actor=resolve_actor(actor),
    )
    show(state, activity, lambda: click.echo(f"已发布{_summary(activity)}"))


@activities.command("cancel")
@click.argument("activity_id", type=int)
@click.option("--reason", required=True, help="取消的理由（会告知已报名的监督员）。")
@actor_option
@json_option
@pass_state
def activities_cancel(state: State, activity_id: int, reason: str, actor: str | None) -> None:
    """取消一项尚未开始的活动；已报名的监督员会收到通知。"""
    activity = state.ledger().cancel_activity(
        activity_id, reason=reason, actor=resolve_actor(actor)
    )
    show(
        state,
        activity,
        lambda: click.echo(
            f"已取消活动 #{activity.id}“{activity.title}”，将通知已报名的 {len(activity.signed_up)} 名监督员"
        ),
    )


@activities.command("signups")
@click.argument("activity_id", type=int)
@json_option
@pass_state
def activities_signups(state: State, activity_id: int) -> None:
    """列出报名的监督员（手机号已遮蔽）及其出席情况。"""
    from supervision_core.model.supervisors import ContactKind
    from supervision_core.rules.masking import mask_phone

    ledger = state.ledger()
    activity = ledger.activity(activity_id)
    attendance = dict(activity.attendance)
    rows: list[dict[str, Any]] = []
    for sid in activity.signed_up:
        sup = ledger.supervisor(sid)
        phone = next((i.value for i in sup.identities if i.kind is ContactKind.PHONE), "")
        status = attendance.get(sid)
        rows.append(
            {
                "supervisor_id": sid,
                "name": sup.name,
                "phone": mask_phone(phone) if phone else "",
                "attendance": status.value if status else None,
            }
        )
    log_shown(ledger, "activity_signups", activity.signed_up, target=f"activity:{activity.id}")

    def human() -> None:
        click.echo(_summary(activity))
        if not rows:
            click.echo("还没有监督员报名。")
        for r in rows:
            status = attendance.get(r["supervisor_id"])
            click.echo(
                f"#{r['supervisor_id']:<5} {pad(r['name'], 10)} {pad(r['phone'] or '—', 12)}"
                f" {status.label if status else '未记录出席'}"
            )

    show(state, {"activity": activity, "signups": rows}, human)


@activities.command("signup")
@click.argument("activity_id", type=int)
@click.argument("supervisor_id", type=int)
@json_option
@pass_state
def activities_signup(state: State, activity_id: int, supervisor_id: int) -> None:
    """替监督员报名（如电话报名）；与监督员在页面上报名相同，截止前有效。"""
    activity = state.ledger().sign_up_for_activity(activity_id, supervisor_id)
    show(
        state, activity, lambda: click.echo(f"监督员 #{supervisor_id} 已报名：{_summary(activity)}")
    )


@activities.command("withdraw")
@click.argument("activity_id", type=int)
@click.argument("supervisor_id", type=int)
@json_option
@pass_state
def activities_withdraw(state: State, activity_id: int, supervisor_id: int) -> None:
    """替监督员取消报名（截止前）。"""
    activity = state.ledger().withdraw_from_activity(activity_id, supervisor_id)
    if supervisor_id in activity.signed_up:  # pragma: no cover - the ledger refuses first
        fail("未能取消报名")
    show(
        state,
        activity,
        lambda: click.echo(f"监督员 #{supervisor_id} 已取消报名：{_summary(activity)}"),
    )

"""``supdesk tokens ...``: the API tokens other systems call the HTTP API with."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from supervision_core.cli.context import CENTER, UNIT, State, json_option, names, pass_state
from supervision_core.cli.output import fail, show

if TYPE_CHECKING:  # the value modules load with the ledger, not for `supdesk --help`
    from supervision_core.model.tokens import ApiToken

__all__ = ["tokens"]


@click.group()
def tokens() -> None:
    """接口令牌：其他系统调用 HTTP 接口（Open311、/api/v1）所用的令牌。"""


def _token_data(t: ApiToken) -> dict[str, Any]:
    return {
        "name": t.name,
        "center": t.center,
        "unit": t.unit,
        "scopes": sorted(s.value for s in t.scopes),
        "hint": t.hint,
        "created_at": t.created_at.isoformat(),
        "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
    }


def _token_line(t: ApiToken, now: dt.datetime) -> str:
    scopes = "、".join(s.label for s in sorted(t.scopes))
    unit = f" 单位 {names().unit(t.unit, t.center)}" if t.unit else ""
    if t.revoked_at is not None:
        state = "（已吊销）"
    elif not t.active(now):
        state = "（已过期）"
    else:
        state = ""
    until = f" 有效期至 {t.expires_at.date().isoformat()}" if t.expires_at else ""
    return f"{t.name}  {t.hint}…  {names().center(t.center)}{unit}  {scopes}{until}{state}"


def _expiry(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    from supervision_core.model.clock import SHANGHAI

    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        fail(f"有效期应为日期 YYYY-MM-DD：{text!r}")
    # Valid through that day in Asia/Shanghai.
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI)


@tokens.command("add")
@click.argument("name")
@click.option(
    "--center",
    type=CENTER,
    required=True,
    help="令牌所属中心（代码或名称）；旗中心的令牌可查看所有中心。",
)
@click.option(
    "--scope",
    "scope_text",
    required=True,
    help="权限范围，逗号分隔：read、screen、dispatch、unit、export、open311-submit。",
)
@click.option("--unit", type=UNIT, help="承办单位令牌所属单位，代码或名称（--scope unit 时必填）。")
@click.option("--expires", help="有效期至 YYYY-MM-DD（含当天）；不填则长期有效。")
@json_option
@pass_state
def tokens_add(
    state: State, name: str, center: str, scope_text: str, unit: str | None, expires: str | None
) -> None:
    """新建令牌。令牌只显示这一次，系统只保存其摘要，请立即妥善保存。"""
    from supervision_core.model.tokens import parse_scopes

    try:
        scopes = parse_scopes(scope_text)
    except ValueError as e:
        fail(str(e))
    token, secret = state.ledger().tokens.add(
        name=name, center=center, scopes=scopes, unit=unit, expires_at=_expiry(expires)
    )

    def human() -> None:
        click.echo(f"已新建令牌：{_token_line(token, state.ledger().clock())}")
        click.echo(f"令牌（只显示这一次）：{secret}")

    show(state, {**_token_data(token), "secret": secret}, human)


@tokens.command("list")
@click.option("--center", type=CENTER, help="只列出该中心的令牌。")
@json_option
@pass_state
def tokens_list(state: State, center: str | None) -> None:
    """列出令牌（不显示令牌本身）。"""
    ledger = state.ledger()
    found = ledger.tokens.list(center=center)

    def human() -> None:
        if not found:
            click.echo("还没有令牌：supdesk tokens add 名称 --center 中心 --scope read")
        for t in found:
            click.echo(_token_line(t, ledger.clock()))

    show(state, [_token_data(t) for t in found], human)


@tokens.command("revoke")
@click.argument("name")
@json_option
@pass_state
def tokens_revoke(state: State, name: str) -> None:
    """吊销令牌：此后用它的每次调用都被拒绝。"""
    ledger = state.ledger()
    token = ledger.tokens.revoke(name)
    show(
        state,
        _token_data(token),
        lambda: click.echo(f"已吊销令牌：{_token_line(token, ledger.clock())}"),
    )

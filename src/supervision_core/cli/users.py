"""``supdesk users ...``: the staff accounts that sign in to the web desk."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from supervision_core.cli.context import (
    CENTER,
    UNIT,
    State,
    json_option,
    lazy_choice,
    names,
    pass_state,
)
from supervision_core.cli.output import show

if TYPE_CHECKING:  # the value modules load with the ledger, not for `supdesk --help`
    from supervision_core.model.accounts import StaffUser

__all__ = ["users"]


@click.group()
def users() -> None:
    """工作人员账号：网页前台和控制台的登录账号。"""


def _user_line(u: StaffUser) -> str:
    unit = f" 单位 {names().unit(u.unit, u.center)}" if u.unit else ""
    state = "（已停用）" if u.disabled else ""
    return (
        f"{u.username}  {u.display_name}  {u.role.label}  {names().center(u.center)}{unit}{state}"
    )


def _new_password(username: str) -> str:
    password = os.environ.get("SUPDESK_NEW_PASSWORD")
    if password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    return password


@users.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名（显示在页面和回执上）。")
@click.option(
    "--center",
    type=CENTER,
    required=True,
    help="所属中心（代码或名称）；旗中心的工作人员可查看所有中心。",
)
@click.option(
    "--role",
    type=lazy_choice("supervision_core.model.accounts:Role"),
    default="staff",
    show_default=True,
    help="角色。",
)
@click.option("--unit", type=UNIT, help="承办单位账号所属单位，代码或名称（--role unit 时必填）。")
@json_option
@pass_state
def users_add(
    state: State, username: str, display_name: str, center: str, role: str, unit: str | None
) -> None:
    """新建账号。密码交互输入（或取自环境变量 SUPDESK_NEW_PASSWORD），至少 10 个字符。"""
    user = state.ledger().users.add(
        username=username,
        display_name=display_name,
        password=_new_password(username),
        role=role,
        center=center,
        unit=unit,
    )
    show(state, user, lambda: click.echo(f"已新建账号：{_user_line(user)}"))


@users.command("list")
@click.option("--center", type=CENTER, help="只列出该中心的账号。")
@json_option
@pass_state
def users_list(state: State, center: str | None) -> None:
    """列出账号。"""
    found = state.ledger().users.list(center=center)

    def human() -> None:
        if not found:
            click.echo("还没有账号：supdesk users add 用户名 --name 姓名 --center 中心")
        for u in found:
            click.echo(_user_line(u))

    show(state, found, human)


@users.command("disable")
@click.argument("username")
@json_option
@pass_state
def users_disable(state: State, username: str) -> None:
    """停用账号：立即退出其所有会话，不能再登录。"""
    user = state.ledger().users.set_disabled(username, True)
    show(state, user, lambda: click.echo(f"已停用：{_user_line(user)}"))


@users.command("enable")
@click.argument("username")
@json_option
@pass_state
def users_enable(state: State, username: str) -> None:
    """重新启用账号（同时解除登录锁定）。"""
    user = state.ledger().users.set_disabled(username, False)
    show(state, user, lambda: click.echo(f"已启用：{_user_line(user)}"))


@users.command("role")
@click.argument("username")
@click.option(
    "--role",
    type=lazy_choice("supervision_core.model.accounts:Role"),
    required=True,
    help="新的角色。",
)
@click.option("--unit", type=UNIT, help="承办单位账号所属单位，代码或名称（--role unit 时必填）。")
@json_option
@pass_state
def users_role(state: State, username: str, role: str, unit: str | None) -> None:
    """更改账号的角色：立即退出其所有会话。"""
    user = state.ledger().users.set_role(username, role, unit=unit)
    show(state, user, lambda: click.echo(f"已更改角色：{_user_line(user)}"))


@users.command("password")
@click.argument("username")
@json_option
@pass_state
def users_password(state: State, username: str) -> None:
    """重设密码（同时解除登录锁定，并退出其所有会话）。"""
    state.ledger().users.set_password(username, _new_password(username))
    # The password itself is never printed, in JSON neither.
    show(
        state,
        {"username": username, "password_reset": True},
        lambda: click.echo(f"已重设 {username} 的密码"),
    )

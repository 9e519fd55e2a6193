"""Staff accounts: the rules (no database) and the store with lock-out, and `supdesk users`."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from conftest import PASSWORD
from supervision_core import (
    InvalidInput,
    NotFound,
    StaffUser,
    can_enter_reports,
    can_see_center,
    hash_password,
    verify_password,
)
from supervision_core.cli import cli
from supervision_core.model.accounts import lockout_until

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def user(role="staff", center="wushenzhao", level="township", username="desk", **kw) -> StaffUser:
    return StaffUser(
        id=1,
        username=username,
        display_name="前台",
        role=role,
        center=center,
        center_level=level,
        **kw,
    )


def test_who_sees_which_center():
    town, banner = user(), user(center="banner", level="banner")
    assert can_see_center(town, "wushenzhao") and not can_see_center(town, "galutu")
    assert can_see_center(banner, "galutu") and can_enter_reports(banner, "galutu")
    auditor = user(role="auditor")
    assert can_see_center(auditor, "wushenzhao") and not can_enter_reports(auditor, "wushenzhao")
    assert not can_see_center(user(role="unit", unit="realty"), "wushenzhao")
    assert not can_see_center(user(disabled=True), "wushenzhao")


# docs/web_desk.md: "Five failed sign-ins in a row lock the account for 15 minutes".
LOCKOUT_ATTEMPTS = 5


def test_lockout_rule():
    assert lockout_until(LOCKOUT_ATTEMPTS - 1, NOW) is None
    assert lockout_until(LOCKOUT_ATTEMPTS, NOW) == NOW + dt.timedelta(minutes=15)
    assert user(locked_until=NOW + dt.timedelta(minutes=1)).locked(NOW)
    assert not user(locked_until=NOW).locked(NOW)


def test_passwords_are_argon2id_hashes():
    stored = hash_password("一个足够长的密码 2026")
    assert stored.startswith("$argon2id$") and "2026" not in stored
    assert verify_password(stored, "一个足够长的密码 2026")
    assert not verify_password(stored, "一个足够长的密码 2025")
    assert not verify_password("not a hash", "anything")


def test_usernames_are_checked():
    with pytest.raises(ValueError, match="用户名"):
        user(username="Bad Name")


def test_store_refuses_weak_passwords_and_bad_units(supdesk_ledger):
    users = supdesk_ledger.users
    with pytest.raises(InvalidInput, match="至少需要 10 个字符"):
        users.add(
            username="desk", display_name="前台", password="short", role="staff", center="banner"
        )
    with pytest.raises(InvalidInput, match="不能包含用户名"):
        users.add(
            username="desk",
            display_name="前台",
            password="desk-desk-desk",
            role="staff",
            center="banner",
        )
    with pytest.raises(InvalidInput, match="必须指定单位"):
        users.add(
            username="unit1", display_name="单位", password=PASSWORD, role="unit", center="banner"
        )
    with pytest.raises(NotFound):
        users.add(
            username="unit1",
            display_name="单位",
            password=PASSWORD,
            role="unit",
            center="banner",
            unit="nope",
        )
    with pytest.raises(NotFound):
        users.add(
            username="desk", display_name="前台", password=PASSWORD, role="staff", center="nowhere"
        )
    users.add(
        username="desk", display_name="前台", password=PASSWORD, role="staff", center="banner"
    )
    with pytest.raises(InvalidInput, match="已存在"):
        users.add(
            username="desk", display_name="另一个", password=PASSWORD, role="staff", center="banner"
        )


def test_sign_in_counts_failures_and_unlocks(supdesk_ledger, supdesk_clock):
    users = supdesk_ledger.users
    users.add(
        username="desk", display_name="前台", password=PASSWORD, role="staff", center="banner"
    )
    assert users.sign_in("desk", PASSWORD).ok
    for _ in range(LOCKOUT_ATTEMPTS):
        assert not users.sign_in("desk", "wrong").ok
    assert users.by_name("desk").locked(supdesk_clock())
    assert "已锁定" in users.sign_in("desk", PASSWORD).message
    users.set_password("desk", "a new password 2026")  # an operator's reset lifts the lock
    assert users.sign_in("desk", "a new password 2026").ok
    assert not users.sign_in("nobody", PASSWORD).ok


def test_cli_users(supdesk_database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    base = ["--database", supdesk_database_url]
    assert runner.invoke(cli, [*base, "init", "--demo"]).exit_code == 0
    monkeypatch.setenv("SUPDESK_NEW_PASSWORD", PASSWORD)
    added = runner.invoke(
        cli, [*base, "users", "add", "zhang", "--name", "张三", "--center", "wushenzhao"]
    )
    assert added.exit_code == 0, added.output
    assert "已新建账号：zhang  张三  中心工作人员  wushenzhao" in added.output
    bad = runner.invoke(
        cli,
        [*base, "users", "add", "li", "--name", "李四", "--center", "wushenzhao", "--role", "unit"],
    )
    assert bad.exit_code != 0 and "必须指定单位" in bad.output and "Traceback" not in bad.output
    listed = runner.invoke(cli, [*base, "users", "list", "--json"])
    assert {u["username"] for u in __import__("json").loads(listed.output)} >= {
        "zhang",
        "banner-desk",
    }
    assert "password" not in listed.output
    disabled = runner.invoke(cli, [*base, "users", "disable", "zhang"])
    assert "已停用" in disabled.output
    enabled = runner.invoke(cli, [*base, "users", "enable", "zhang"])
    assert "已启用" in enabled.output

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
    locked = users.sign_in("desk", PASSWORD)  # the right password, while locked
    nobody = users.sign_in("nobody", PASSWORD)
    assert not locked.ok and not nobody.ok
    assert locked.message == nobody.message  # a lock does not tell that the name exists
    users.set_password("desk", "a new password 2026")  # an operator's reset lifts the lock
    assert users.sign_in("desk", "a new password 2026").ok


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
    assert "已新建账号：zhang  张三  中心工作人员  乌审召镇便民服务中心" in added.output
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


def _desk(users, name="desk"):
    return users.add(
        username=name, display_name="前台", password=PASSWORD, role="staff", center="banner"
    )


def test_a_lock_runs_out_and_the_count_starts_again(supdesk_ledger, supdesk_clock):
    users = supdesk_ledger.users
    _desk(users)
    for _ in range(LOCKOUT_ATTEMPTS):
        users.sign_in("desk", "wrong")
    assert users.by_name("desk").locked(supdesk_clock())
    supdesk_clock.advance(minutes=16)
    # One failure after the lock ran out does not lock again: the count starts anew
    # (else one guess each quarter hour would keep the account locked for ever).
    for _ in range(LOCKOUT_ATTEMPTS - 1):
        assert not users.sign_in("desk", "wrong").ok
        assert not users.by_name("desk").locked(supdesk_clock())
    assert users.sign_in("desk", PASSWORD).ok
    for _ in range(LOCKOUT_ATTEMPTS - 1):  # a success cleared the count
        users.sign_in("desk", "wrong")
    assert not users.by_name("desk").locked(supdesk_clock())


class CountingChecks:
    """verify_password, counting the checks against a stored hash and the dummy's."""

    def __init__(self, monkeypatch, hold=None):
        import threading

        import supervision_core.store.users as store
        from supervision_core.model.accounts import dummy_hash

        self.real = self.dummy = self.inside = self.most_inside = 0
        self.lock = threading.Lock()
        self.hold = hold  # an Event the real checks wait for, when given
        self._verify, self._dummy = store.verify_password, dummy_hash()
        monkeypatch.setattr(store, "verify_password", self)

    def __call__(self, stored, password):
        with self.lock:
            if stored == self._dummy:
                self.dummy += 1
            else:
                self.real += 1
                self.inside += 1
                self.most_inside = max(self.most_inside, self.inside)
        try:
            if self.hold is not None and stored != self._dummy:
                assert self.hold.wait(60), "the test never released the checks"
            return self._verify(stored, password)
        finally:
            if stored != self._dummy:
                with self.lock:
                    self.inside -= 1


def test_a_wrong_name_a_wrong_password_and_a_lock_cost_the_same(supdesk_ledger, monkeypatch):
    users = supdesk_ledger.users
    _desk(users)
    checks = CountingChecks(monkeypatch)
    answers = [users.sign_in("nobody", "wrong").message]
    assert (checks.real, checks.dummy) == (0, 1)
    answers.append(users.sign_in("desk", "wrong").message)
    assert (checks.real, checks.dummy) == (1, 1)
    for _ in range(LOCKOUT_ATTEMPTS):
        answers.append(users.sign_in("desk", "wrong").message)
    # Locked: one check against the dummy hash, as long as a real one, and the same words.
    assert (checks.real, checks.dummy) == (LOCKOUT_ATTEMPTS, 2)
    assert len(set(answers)) == 1
    assert not users.sign_in("nobody\x00", "x").ok  # no name holds a NUL (nor can PostgreSQL)


def test_concurrent_wrong_passwords_are_all_counted_and_only_five_checked(
    supdesk_ledger, supdesk_clock, monkeypatch
):
    """Threads at once, on SQLite and PostgreSQL: no failure is lost, none beyond the lock is tried."""
    from concurrent.futures import ThreadPoolExecutor

    users = supdesk_ledger.users
    _desk(users)
    checks = CountingChecks(monkeypatch)
    attempts = 30
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: users.sign_in("desk", "wrong"), range(attempts)))
    assert not any(r.ok for r in results)
    assert checks.real == LOCKOUT_ATTEMPTS  # the rest were refused before any check
    assert checks.dummy == attempts - LOCKOUT_ATTEMPTS
    assert users.by_name("desk").locked(supdesk_clock())
    assert not users.sign_in("desk", PASSWORD).ok


def test_the_right_password_among_concurrent_guesses_is_refused(
    supdesk_ledger, supdesk_clock, monkeypatch
):
    """Five guesses being checked take the account's five attempts: a sixth is refused even
    when it is the right password (the old count-after-check let it in)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from supervision_core.testing import wait_until

    users = supdesk_ledger.users
    _desk(users)
    hold = threading.Event()
    checks = CountingChecks(monkeypatch, hold=hold)
    with ThreadPoolExecutor(max_workers=LOCKOUT_ATTEMPTS) as pool:
        guesses = [
            pool.submit(users.sign_in, "desk", f"guess {i}") for i in range(LOCKOUT_ATTEMPTS)
        ]
        wait_until(lambda: checks.inside == LOCKOUT_ATTEMPTS, timeout=30, what="five checks")
        right = users.sign_in("desk", PASSWORD)
        hold.set()
        assert not any(g.result().ok for g in guesses)
    assert not right.ok
    assert checks.most_inside == LOCKOUT_ATTEMPTS
    assert users.by_name("desk").locked(supdesk_clock())


def test_sessions_end_on_a_new_password_disabling_a_new_role_and_sign_out(supdesk_ledger):
    users = supdesk_ledger.users
    user = _desk(users)
    versions = [user.session_version]
    users.set_password("desk", "another password 2026")
    versions.append(users.by_name("desk").session_version)
    users.set_disabled("desk", True)
    versions.append(users.by_name("desk").session_version)
    users.set_disabled("desk", False)
    versions.append(users.by_name("desk").session_version)
    changed = users.set_role("desk", "auditor")
    assert changed.role.value == "auditor"
    versions.append(changed.session_version)
    users.end_sessions(user.id)
    versions.append(users.get(user.id).session_version)
    assert versions == sorted(set(versions)), versions  # each one raised it
    with pytest.raises(InvalidInput, match="必须指定单位"):
        users.set_role("desk", "unit")
    with pytest.raises(NotFound):
        users.set_role("desk", "unit", unit="nope")
    assert users.set_role("desk", "unit", unit="realty").unit == "realty"

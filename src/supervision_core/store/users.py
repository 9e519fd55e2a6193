"""The store of staff accounts: adding, listing, disabling, and signing in with lock-out."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import InvalidInput, NotFound
from supervision_core.model.accounts import (
    LOCKOUT_ATTEMPTS,
    LOCKOUT_MINUTES,
    Role,
    SignInResult,
    StaffUser,
    check_password_strength,
    dummy_hash,
    hash_password,
    lockout_until,
    verify_password,
)
from supervision_core.store.tables import AccessLogRow, CenterRow, StaffUserRow, UnitRow, table_of

__all__ = ["UserStore"]


def _user(row: StaffUserRow, level: str) -> StaffUser:
    assert row.id is not None
    return StaffUser(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        center=row.center_code,
        center_level=level,
        unit=row.unit_code,
        disabled=row.disabled,
        locked_until=row.locked_until,
        session_version=row.session_version,
    )


# One message for a wrong name, a wrong password and a locked account alike, so that
# the answer never tells which user names exist (nor which are locked).
_REFUSED = (
    f"用户名或密码不正确；连续 {LOCKOUT_ATTEMPTS} 次失败后账号将锁定 {LOCKOUT_MINUTES} 分钟，"
    "期间请稍后再试"
)


_USER = table_of(StaffUserRow)
_CENTER = table_of(CenterRow)
_BY_ID = (
    sa.select(_USER, _CENTER.c.level)
    .join(_CENTER, _CENTER.c.code == _USER.c.center_code)
    .where(_USER.c.id == sa.bindparam("uid"))
)


class UserStore:
    """Staff accounts on the ledger's database."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], dt.datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def _select(self) -> Any:  # sqlmodel's Select of (row, level)
        return select(StaffUserRow, CenterRow.level).join(
            CenterRow, col(CenterRow.code) == col(StaffUserRow.center_code)
        )

    def add(
        self,
        *,
        username: str,
        display_name: str,
        password: str,
        role: Role | str,
        center: str,
        unit: str | None = None,
    ) -> StaffUser:
        """Create an account. The password is checked for strength and stored hashed."""
        role = Role(role)
        try:
            check_password_strength(password, username)
        except ValueError as e:
            raise InvalidInput(str(e)) from None
        if (role is Role.UNIT) != (unit is not None):
            raise InvalidInput("承办单位账号必须指定单位（--unit），其他账号不能指定单位")
        with Session(self.engine) as s:
            if s.get(CenterRow, center) is None:
                raise NotFound(f"没有代码为 {center} 的中心")
            if unit is not None:
                found = s.exec(
                    select(UnitRow).where(UnitRow.center_code == center, UnitRow.code == unit)
                ).first()
                if found is None:
                    raise NotFound(f"中心 {center} 没有代码为 {unit} 的单位")
            taken = s.exec(select(StaffUserRow).where(StaffUserRow.username == username)).first()
            if taken is not None:
                raise InvalidInput(f"用户名 {username} 已存在")
            row = StaffUserRow(
                username=username,
                display_name=display_name.strip() or username,
                password_hash=hash_password(password),
                role=role.value,
                center_code=center,
                unit_code=unit,
                created_at=self.clock(),
            )
            # Validate the name through the value class before anything is written.
            try:
                StaffUser(
                    id=0,
                    username=username,
                    display_name=row.display_name,
                    role=role,
                    center=center,
                    center_level="township",
                )
            except ValueError as e:
                raise InvalidInput(str(e)) from None
            s.add(row)
            s.commit()
            assert row.id is not None
            return self.get(row.id)

    def get(self, user_id: int) -> StaffUser:
        """The account with this id; :class:`NotFound` if there is none."""
        # Called on every request of a signed-in user: one prebuilt Core query (bench/bench_console.py).
        with self.engine.connect() as connection:
            found = connection.execute(_BY_ID, {"uid": user_id}).mappings().first()
        if found is None:
            raise NotFound(f"没有编号为 {user_id} 的账号")
        return StaffUser(
            id=found["id"],
            username=found["username"],
            display_name=found["display_name"],
            role=Role(found["role"]),
            center=found["center_code"],
            center_level=found["level"],
            unit=found["unit_code"],
            disabled=bool(found["disabled"]),
            locked_until=found["locked_until"],
            session_version=found["session_version"],
        )

    def by_name(self, username: str) -> StaffUser:
        """The account with this user name; :class:`NotFound` if there is none."""
        with Session(self.engine) as s:
            found = s.exec(self._select().where(col(StaffUserRow.username) == username)).first()
        if found is None:
            raise NotFound(f"没有用户名为 {username} 的账号")
        return _user(*found)

    def list(self, *, center: str | None = None) -> list[StaffUser]:
        """All accounts, or a center's, by user name."""
        query = self._select().order_by(StaffUserRow.username)
        if center is not None:
            query = query.where(col(StaffUserRow.center_code) == center)
        with Session(self.engine) as s:
            return [_user(*found) for found in s.exec(query)]

    def set_disabled(self, username: str, disabled: bool = True) -> StaffUser:
        """Disable (or enable again) an account; a disabled account's sessions stop working."""
        with Session(self.engine) as s:
            row = s.exec(select(StaffUserRow).where(StaffUserRow.username == username)).first()
            if row is None:
                raise NotFound(f"没有用户名为 {username} 的账号")
            row.disabled = disabled
            row.failed_attempts = 0
            row.locked_until = None
            row.session_version += 1  # every session ends
            s.add(row)
            s.commit()
        return self.by_name(username)

    def set_password(self, username: str, password: str) -> None:
        """Replace an account's password, lift a lock-out and end every session."""
        try:
            check_password_strength(password, username)
        except ValueError as e:
            raise InvalidInput(str(e)) from None
        with Session(self.engine) as s:
            row = s.exec(select(StaffUserRow).where(StaffUserRow.username == username)).first()
            if row is None:
                raise NotFound(f"没有用户名为 {username} 的账号")
            row.password_hash = hash_password(password)
            row.failed_attempts = 0
            row.locked_until = None
            row.session_version += 1
            s.add(row)
            s.commit()

    def set_role(self, username: str, role: Role | str, *, unit: str | None = None) -> StaffUser:
        """Give an account another role (a unit's account names its unit); ends every session."""
        role = Role(role)
        if (role is Role.UNIT) != (unit is not None):
            raise InvalidInput("承办单位账号必须指定单位（--unit），其他账号不能指定单位")
        with Session(self.engine) as s:
            row = s.exec(select(StaffUserRow).where(StaffUserRow.username == username)).first()
            if row is None:
                raise NotFound(f"没有用户名为 {username} 的账号")
            if unit is not None:
                found = s.exec(
                    select(UnitRow).where(
                        UnitRow.center_code == row.center_code, UnitRow.code == unit
                    )
                ).first()
                if found is None:
                    raise NotFound(f"中心 {row.center_code} 没有代码为 {unit} 的单位")
            row.role, row.unit_code = role.value, unit
            row.session_version += 1
            s.add(row)
            s.commit()
        return self.by_name(username)

    def end_sessions(self, user_id: int) -> None:
        """End every session of the account (sign-out does, on every device at once)."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(_USER)
                .where(_USER.c.id == user_id)
                .values(session_version=_USER.c.session_version + 1)
            )

    def log_access(self, username: str, action: str, target: str) -> None:
        """Record that ``username`` saw a supervisor's personal data (``action`` on ``target``)."""
        with Session(self.engine) as s:
            s.add(
                AccessLogRow(at=self.clock(), username=username, action=action, target=target[:200])
            )
            s.commit()

    def access_log(self, *, limit: int = 200) -> builtins.list[tuple[dt.datetime, str, str, str]]:
        """The latest entries of the access log: (at, user, action, target)."""
        with Session(self.engine) as s:
            rows = s.exec(
                select(AccessLogRow).order_by(col(AccessLogRow.id).desc()).limit(limit)
            ).all()
        return [(r.at, r.username, r.action, r.target) for r in rows]

    def sign_in(self, username: str, password: str) -> SignInResult:
        """Check a user name and password, counting failures and locking after too many.

        Every attempt is counted *before* its password is checked, in one atomic
        ``UPDATE ... RETURNING`` (SQLite and PostgreSQL alike): of any number of
        concurrent attempts only the first :data:`LOCKOUT_ATTEMPTS` get their password
        checked, and the account is locked for :data:`LOCKOUT_MINUTES`; a right password
        clears the count. When a lock has run out the count starts again. A wrong name,
        a wrong password and a locked account get the same message after the same work
        (one Argon2 verification), so neither tells which names exist.
        """
        now = self.clock()
        # No name holds a NUL (nor does PostgreSQL compare text with one).
        attempt = None if "\x00" in username else self._count_attempt(username, now)
        if attempt is None or attempt["failed_attempts"] > LOCKOUT_ATTEMPTS:
            verify_password(dummy_hash(), password)  # the same time as a real check
            return SignInResult(None, _REFUSED)
        if not verify_password(attempt["password_hash"], password):
            return SignInResult(None, _REFUSED)  # already counted
        if attempt["disabled"]:
            return SignInResult(None, "该账号已停用，请联系管理员")
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(_USER)
                .where(_USER.c.id == attempt["id"])
                .values(failed_attempts=0, locked_until=None, last_login_at=now)
            )
        return SignInResult(self.get(attempt["id"]))

    def _count_attempt(self, username: str, now: dt.datetime) -> Any:
        """Count one more attempt, atomically; the row's id, hash and new count, or None.

        A lock that has run out starts the count again at one; reaching
        :data:`LOCKOUT_ATTEMPTS` locks the account; a running lock is kept as it is.
        """
        lock = _USER.c.locked_until
        expired = sa.and_(lock.is_not(None), lock <= now)
        failures = sa.case((expired, 1), else_=_USER.c.failed_attempts + 1)
        locked_until = sa.case(
            (sa.and_(lock.is_not(None), lock > now), lock),
            (
                failures >= LOCKOUT_ATTEMPTS,
                sa.literal(lockout_until(LOCKOUT_ATTEMPTS, now), lock.type),
            ),
            else_=sa.null(),
        )
        statement = (
            sa.update(_USER)
            .where(_USER.c.username == username)
            .values(failed_attempts=failures, locked_until=locked_until)
            .returning(_USER.c.id, _USER.c.password_hash, _USER.c.failed_attempts, _USER.c.disabled)
        )
        with self.engine.begin() as connection:
            return connection.execute(statement).mappings().first()

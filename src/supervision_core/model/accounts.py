"""Staff accounts (工作人员账号): who may sign in to the web desk, and what each may see.

Values and rules only; :class:`supervision_core.store.users.UserStore` keeps them. Passwords are
hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from collections.abc import Collection
from typing import TYPE_CHECKING

import attrs

from supervision_core.model.centers import CenterLevel

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = [
    "LOCKOUT_ATTEMPTS",
    "LOCKOUT_MINUTES",
    "Role",
    "SignInResult",
    "StaffUser",
    "can_enter_reports",
    "can_see_center",
    "can_work_issue",
    "check_password_strength",
    "dummy_hash",
    "hash_password",
    "lockout_until",
    "verify_password",
]

LOCKOUT_ATTEMPTS = 5  # failed sign-ins in a row before the account locks
LOCKOUT_MINUTES = 15

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


class Role(enum.StrEnum):
    """What an account is for; enforced by the server on every page and action."""

    STAFF = "staff"  # a center's staff: their own center, or every center at the banner
    UNIT = "unit"  # a unit's user: only the issues dispatched to that unit
    AUDITOR = "auditor"  # reads everything its center may see, changes nothing

    @property
    def label(self) -> str:
        """The role in Chinese."""
        return {"staff": "中心工作人员", "unit": "承办单位", "auditor": "审计（只读）"}[self.value]


def _check_username(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not _USERNAME.match(value):
        msg = f"用户名只能由小写字母、数字、. _ - 组成（2 至 40 个字符）：{value!r}"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class StaffUser:
    """One account. ``center_level`` is the level of its center (a banner center sees all)."""

    id: int
    username: str = attrs.field(validator=_check_username)
    display_name: str
    role: Role = attrs.field(converter=Role)
    center: str
    center_level: CenterLevel = attrs.field(converter=CenterLevel)
    unit: str | None = None
    disabled: bool = False
    locked_until: dt.datetime | None = None
    #: Raised by sign-out, a new password, disabling and a new role: every session
    #: signed with an older version ends (the web desk keeps it in the session).
    session_version: int = 0

    def locked(self, now: dt.datetime) -> bool:
        """Whether sign-in is refused at ``now`` because of repeated failures."""
        return self.locked_until is not None and now < self.locked_until


def can_see_center(user: StaffUser, center: str) -> bool:
    """Whether ``user`` may see the reports of ``center`` (units see theirs elsewhere)."""
    if user.disabled or user.role is Role.UNIT:
        return False
    return user.center_level is CenterLevel.BANNER or user.center == center


def can_enter_reports(user: StaffUser, center: str) -> bool:
    """Whether ``user`` may file a report for ``center`` at the front desk."""
    return user.role is Role.STAFF and can_see_center(user, center)


def can_work_issue(
    user: StaffUser, center: str, unit: str | None, center_units: Collection[str]
) -> bool:
    """Whether a unit's account may see and work an issue of ``center`` dispatched to ``unit``.

    Its own center's issues dispatched to its unit; a banner-level unit also a township's
    issues dispatched to it (a township may dispatch to the banner's units), unless the
    township has a unit of its own by that code (``center_units``, its codes), whose
    issue it then is. Nothing else of a township.
    """
    if user.disabled or user.role is not Role.UNIT or not user.unit or unit != user.unit:
        return False
    if center == user.center:
        return True
    return user.center_level is CenterLevel.BANNER and unit not in center_units


def lockout_until(failures: int, now: dt.datetime) -> dt.datetime | None:
    """When an account with ``failures`` failed sign-ins in a row unlocks, if it is locked."""
    if failures < LOCKOUT_ATTEMPTS:
        return None
    return now + dt.timedelta(minutes=LOCKOUT_MINUTES)


def check_password_strength(password: str, username: str) -> None:
    """Refuse a password that is short or is the user name; raises ``ValueError`` in Chinese."""
    if len(password) < 10:
        msg = "密码至少需要 10 个字符"
        raise ValueError(msg)
    if username.lower() in password.lower():
        msg = "密码不能包含用户名"
        raise ValueError(msg)


@functools.cache
def _hasher() -> PasswordHasher:
    # argon2 loads on first use: most commands never hash a password.
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """The Argon2id hash (PHC string) stored for ``password``."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; a malformed hash never matches."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Compared against when the user name is unknown, so that a wrong name takes as long
# as a wrong password and the timing does not tell which names exist.
@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when there is no such user, so the timing stays the same.

    Made on first use, not at import: hashing takes a visible moment, and most commands
    never sign anyone in.
    """
    return _hasher().hash("no such user: the timing stays the same")


class SignInResult:
    """The outcome of a sign-in: the user, or a message in Chinese saying why not."""

    def __init__(self, user: StaffUser | None, message: str | None = None) -> None:
        self.user = user
        self.message = message

    @property
    def ok(self) -> bool:
        """Whether the user is signed in."""
        return self.user is not None

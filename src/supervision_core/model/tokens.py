"""API tokens (接口令牌): what another system presents to call the HTTP API.

Values and rules only; :class:`supervision_core.store.tokens.TokenStore` keeps them. A token
acts as an account of its center would: its scopes say which of the console's roles it
plays (``read`` like an auditor, ``screen``/``dispatch``/``export`` like a center's staff,
``unit`` like a unit's account), and every call is checked with the console's own rules
(:func:`~supervision_core.can_see_center`, :func:`~supervision_core.can_work_issue`) on the
:class:`~supervision_core.StaffUser` that :meth:`ApiToken.as_user` makes. The secret is shown
once; only its SHA-256 is stored (a 256-bit random secret needs no slow hash).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
import secrets
from collections.abc import Iterable

import attrs

from supervision_core.model.accounts import Role, StaffUser
from supervision_core.model.centers import CenterLevel

__all__ = [
    "TOKEN_PREFIX",
    "ApiToken",
    "TokenScope",
    "hash_token",
    "new_token_secret",
    "parse_scopes",
]

#: Every secret starts with this, so a leaked one is recognisable (secret scanners).
TOKEN_PREFIX = "sdk_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,29}$")


class TokenScope(enum.StrEnum):
    """What a token may do; each matches a part of the console's roles."""

    READ = "read"  # list and read issues, the register (masked), the outbox
    SCREEN = "screen"  # accept, not accept, close, merge
    DISPATCH = "dispatch"  # dispatch, extend
    UNIT = "unit"  # a unit's steps on its own issues: plan, progress, complete, explain
    EXPORT = "export"  # downloads of the ledger
    OPEN311_SUBMIT = "open311-submit"  # file reports through Open311 (the hotline platform)

    @property
    def label(self) -> str:
        """The scope in Chinese."""
        return _LABELS[self]


_LABELS = {
    TokenScope.READ: "查阅",
    TokenScope.SCREEN: "审核",
    TokenScope.DISPATCH: "派单",
    TokenScope.UNIT: "承办单位办理",
    TokenScope.EXPORT: "导出",
    TokenScope.OPEN311_SUBMIT: "Open311 提交",
}


def parse_scopes(text: str) -> frozenset[TokenScope]:
    """``read,screen`` -> the scopes; ``ValueError`` in Chinese naming an unknown one."""
    found = set()
    for part in text.replace("，", ",").split(","):
        name = part.strip().lower()
        if not name:
            continue
        try:
            found.add(TokenScope(name))
        except ValueError:
            known = "、".join(s.value for s in TokenScope)
            msg = f"未知的权限范围 {name!r}；可用：{known}"
            raise ValueError(msg) from None
    if not found:
        msg = "至少需要一个权限范围（--scope），例如 read"
        raise ValueError(msg)
    return frozenset(found)


def _check_name(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not _NAME.match(value):
        msg = f"令牌名称只能由小写字母、数字、. _ - 组成（2 至 30 个字符）：{value!r}"
        raise ValueError(msg)


def _check_scopes(
    token: ApiToken, _: attrs.Attribute[frozenset[TokenScope]], value: object
) -> None:
    if not value:
        msg = "至少需要一个权限范围"
        raise ValueError(msg)
    if (TokenScope.UNIT in token.scopes) != (token.unit is not None):
        msg = "承办单位令牌（unit）必须指定单位（--unit），其他令牌不能指定单位"
        raise ValueError(msg)
    if TokenScope.UNIT in token.scopes and token.scopes - {TokenScope.UNIT, TokenScope.READ}:
        msg = "承办单位令牌只能有 unit 和 read 权限"
        raise ValueError(msg)


def _to_scopes(value: Iterable[TokenScope | str]) -> frozenset[TokenScope]:
    return frozenset(TokenScope(s) for s in value)


@attrs.frozen(kw_only=True)
class ApiToken:
    """One API token as stored (never its secret): whose, what for, until when."""

    id: int
    name: str = attrs.field(validator=_check_name)
    center: str
    center_level: CenterLevel = attrs.field(converter=CenterLevel)
    unit: str | None = None
    scopes: frozenset[TokenScope] = attrs.field(converter=_to_scopes, validator=_check_scopes)
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    #: The secret's first characters, shown in listings to tell tokens apart.
    hint: str = ""

    def active(self, now: dt.datetime) -> bool:
        """Whether the token is neither revoked nor expired at ``now``."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at

    def allows(self, scope: TokenScope) -> bool:
        """Whether the token carries ``scope``."""
        return scope in self.scopes

    @property
    def actor(self) -> str:
        """How the token is recorded as the actor of a step and in the access log."""
        return f"api:{self.name}"

    def as_user(self) -> StaffUser:
        """The account the token acts as, for the console's own checks.

        A unit token is a unit's account; a token that may change anything is a center's
        staff; a read-only token is an auditor.
        """
        if TokenScope.UNIT in self.scopes:
            role = Role.UNIT
        elif self.scopes & {TokenScope.SCREEN, TokenScope.DISPATCH, TokenScope.OPEN311_SUBMIT}:
            role = Role.STAFF
        else:
            role = Role.AUDITOR
        return StaffUser(
            id=-self.id,
            username=f"api.{self.name}"[:40],
            display_name=f"接口令牌 {self.name}",
            role=role,
            center=self.center,
            center_level=self.center_level,
            unit=self.unit,
        )


def new_token_secret() -> str:
    """A new secret: the prefix and 256 random bits (URL-safe)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    """The SHA-256 (hex) stored for ``secret``."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()

"""The store of API tokens and of the first answers to idempotent POSTs."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import InvalidInput, NotFound
from supervision_core.model.tokens import ApiToken, TokenScope, hash_token, new_token_secret
from supervision_core.store.tables import ApiTokenRow, CenterRow, IdempotencyRow, UnitRow

__all__ = ["StoredAnswer", "TokenStore"]


def _token(row: ApiTokenRow, level: str) -> ApiToken:
    assert row.id is not None
    return ApiToken(
        id=row.id,
        name=row.name,
        center=row.center_code,
        center_level=level,
        unit=row.unit_code,
        scopes=frozenset(TokenScope(s) for s in row.scopes.split(",") if s),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        hint=row.hint,
    )


class StoredAnswer(tuple[int, str, bytes, str]):
    """The first answer to a POST: status, content type, body, and the request's hash."""

    __slots__ = ()

    @property
    def status(self) -> int:
        return self[0]

    @property
    def content_type(self) -> str:
        return self[1]

    @property
    def body(self) -> bytes:
        return self[2]

    @property
    def request_hash(self) -> str:
        return self[3]


class TokenStore:
    """API tokens on the ledger's database: added (shown once), listed, revoked, checked."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], dt.datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def add(
        self,
        *,
        name: str,
        center: str,
        scopes: Iterable[TokenScope | str],
        unit: str | None = None,
        expires_at: dt.datetime | None = None,
    ) -> tuple[ApiToken, str]:
        """Create a token; returns it and its secret, which is never stored nor shown again."""
        scope_set = frozenset(TokenScope(s) for s in scopes)
        now = self.clock()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("有效期必须晚于现在")
        secret = new_token_secret()
        with Session(self.engine) as s:
            center_row = s.get(CenterRow, center)
            if center_row is None:
                raise NotFound(f"没有代码为 {center} 的中心")
            if unit is not None:
                found = s.exec(
                    select(UnitRow).where(UnitRow.center_code == center, UnitRow.code == unit)
                ).first()
                if found is None:
                    raise NotFound(f"中心 {center} 没有代码为 {unit} 的单位")
            try:  # the value checks the name and the scopes before anything is written
                ApiToken(
                    id=0,
                    name=name,
                    center=center,
                    center_level=center_row.level,
                    unit=unit,
                    scopes=scope_set,
                    created_at=now,
                )
            except ValueError as e:
                raise InvalidInput(str(e)) from None
            if s.exec(select(ApiTokenRow).where(ApiTokenRow.name == name)).first() is not None:
                raise InvalidInput(f"令牌名称 {name} 已存在")
            row = ApiTokenRow(
                name=name,
                secret_hash=hash_token(secret),
                hint=secret[:8],
                center_code=center,
                unit_code=unit,
                scopes=",".join(sorted(s.value for s in scope_set)),
                created_at=now,
                expires_at=expires_at,
            )
            s.add(row)
            s.commit()
            s.refresh(row)
            return _token(row, center_row.level), secret

    def _select(self) -> sa.Select[tuple[ApiTokenRow, str]]:
        stmt = select(ApiTokenRow, CenterRow.level).join(
            CenterRow, col(CenterRow.code) == col(ApiTokenRow.center_code)
        )
        return stmt  # type: ignore[return-value]

    def list(self, *, center: str | None = None) -> builtins.list[ApiToken]:
        """Every token (revoked and expired ones too), oldest first."""
        stmt = self._select().order_by(col(ApiTokenRow.id))
        if center is not None:
            stmt = stmt.where(col(ApiTokenRow.center_code) == center)
        with Session(self.engine) as s:
            return [_token(row, level) for row, level in s.exec(stmt).all()]  # type: ignore[call-overload]

    def revoke(self, name: str) -> ApiToken:
        """Revoke the token ``name``: every call with it is refused from now on."""
        with Session(self.engine) as s:
            row = s.exec(select(ApiTokenRow).where(ApiTokenRow.name == name)).first()
            if row is None:
                raise NotFound(f"没有名为 {name} 的令牌")
            if row.revoked_at is None:
                row.revoked_at = self.clock()
                s.add(row)
                s.commit()
        return next(t for t in self.list() if t.name == name)

    def authenticate(self, secret: str) -> ApiToken | None:
        """The active token whose secret is ``secret``; ``None`` if unknown, revoked or expired."""
        if not secret or len(secret) > 200:
            return None
        stmt = self._select().where(col(ApiTokenRow.secret_hash) == hash_token(secret))
        with Session(self.engine) as s:
            found = s.exec(stmt).first()  # type: ignore[call-overload]
        if found is None:
            return None
        token = _token(found[0], found[1])
        return token if token.active(self.clock()) else None

    def recall(self, token_id: int, key: str) -> StoredAnswer | None:
        """The first answer given to the POST with ``key`` by this token, if any."""
        with Session(self.engine) as s:
            row = s.get(IdempotencyRow, (token_id, key))
            if row is None:
                return None
            return StoredAnswer((row.status, row.content_type, bytes(row.body), row.request_hash))

    def remember(
        self,
        token_id: int,
        key: str,
        *,
        request_hash: str,
        status: int,
        content_type: str,
        body: bytes,
    ) -> None:
        """Keep the first answer to the POST with ``key`` (a second one keeps the first)."""
        with Session(self.engine) as s:
            if s.get(IdempotencyRow, (token_id, key)) is not None:
                return
            s.add(
                IdempotencyRow(
                    token_id=token_id,
                    key=key,
                    request_hash=request_hash,
                    status=status,
                    content_type=content_type,
                    body=body,
                    created_at=self.clock(),
                )
            )
            try:
                s.commit()
            except sa.exc.IntegrityError:  # the same key at the same moment: first wins
                s.rollback()

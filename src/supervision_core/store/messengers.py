"""What any messenger channel keeps: link codes, conversation sessions, update cursors.

A supervisor links a messenger account once with a one-time code an operator issues
(``supdesk supervisors link-code ID``); the account becomes one of the supervisor's
identities (``messenger``, e.g. ``telegram:12345``). Conversations and the position in
a messenger's update stream are stored so that a crash re-reads instead of losing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import InvalidInput, NotFound
from supervision_core.model.messengers import LinkCode, link_code_hash, new_link_code
from supervision_core.model.supervisors import ContactKind, Identity, normalize_identity
from supervision_core.store.tables import (
    ChannelCursorRow,
    IdentityRow,
    LinkCodeRow,
    MessengerSessionRow,
    SupervisorRow,
)

__all__ = ["MessengerStore"]


class MessengerStore:
    """Link codes, conversation sessions and cursors, on the ledger's database."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], dt.datetime]) -> None:
        self.engine = engine
        self.clock = clock

    # ------------------------------------------------------------ linking

    def issue_link_code(self, supervisor_id: int, *, minutes: int = 30) -> LinkCode:
        """A one-time code linking a messenger account to ``supervisor_id``."""
        if not 1 <= minutes <= 7 * 24 * 60:
            raise InvalidInput("绑定码有效期应在 1 分钟到 7 天之间")
        now = self.clock()
        with Session(self.engine) as s:
            supervisor = s.get(SupervisorRow, supervisor_id)
            if supervisor is None:
                raise NotFound(f"没有编号为 {supervisor_id} 的监督员")
            if supervisor.status != "active":
                raise InvalidInput(f"监督员 {supervisor.name} 当前不在任，不能绑定")
            code = new_link_code()
            expires = now + dt.timedelta(minutes=minutes)
            s.add(
                LinkCodeRow(
                    code_hash=link_code_hash(code),
                    supervisor_id=supervisor_id,
                    created_at=now,
                    expires_at=expires,
                )
            )
            s.commit()
        return LinkCode(code=code, supervisor_id=supervisor_id, expires_at=expires)

    def redeem_link_code(self, code: str, account: str) -> int:
        """Link ``account`` ("telegram:12345") with the code's supervisor; their id.

        A code works once and until it expires; an account linked to someone else is
        refused. Messages are in Chinese, for the person typing the code.
        """
        now = self.clock()
        value = normalize_identity(ContactKind.MESSENGER, account)
        with Session(self.engine) as s:
            row = s.exec(
                select(LinkCodeRow)
                .where(LinkCodeRow.code_hash == link_code_hash(code))
                .with_for_update()
            ).first()
            if row is None:
                raise InvalidInput("绑定码不正确，请核对后重新发送")
            if row.used_at is not None:
                raise InvalidInput("该绑定码已使用过，请向中心工作人员重新申领")
            if now >= row.expires_at:
                raise InvalidInput("绑定码已过期，请向中心工作人员重新申领")
            owner = s.exec(
                select(IdentityRow.supervisor_id).where(
                    IdentityRow.kind == ContactKind.MESSENGER.value, IdentityRow.value == value
                )
            ).first()
            if owner is not None and owner != row.supervisor_id:
                raise InvalidInput("该账号已绑定其他监督员，请联系中心工作人员")
            if owner is None:
                s.add(
                    IdentityRow(
                        supervisor_id=row.supervisor_id,
                        kind=ContactKind.MESSENGER.value,
                        value=value,
                        raw=account,
                    )
                )
            row.used_at = now
            row.used_by = account
            s.add(row)
            s.commit()
            return row.supervisor_id

    def linked_supervisor(self, account: str) -> int | None:
        """The supervisor a messenger account is linked to, if any."""
        identity = Identity(ContactKind.MESSENGER, account)
        with Session(self.engine) as s:
            return s.exec(
                select(IdentityRow.supervisor_id).where(
                    IdentityRow.kind == identity.kind.value,
                    IdentityRow.value == normalize_identity(identity.kind, identity.value),
                )
            ).first()

    # ------------------------------------------------------------ sessions

    def session(self, account: str) -> tuple[dict[str, Any], int]:
        """A conversation's state and the last update it took in (``-1`` if none)."""
        with Session(self.engine) as s:
            row = s.get(MessengerSessionRow, account)
            return (dict(row.state), row.last_update_id) if row else ({}, -1)

    def save_session(self, account: str, state: dict[str, Any], last_update_id: int) -> None:
        """Store a conversation's state after an update (never moving it backwards)."""
        with Session(self.engine) as s:
            row = s.get(MessengerSessionRow, account, with_for_update=True)
            if row is None:
                row = MessengerSessionRow(
                    account=account,
                    state=state,
                    last_update_id=last_update_id,
                    updated_at=self.clock(),
                )
            elif last_update_id >= row.last_update_id:
                row.state, row.last_update_id, row.updated_at = state, last_update_id, self.clock()
            s.add(row)
            s.commit()

    # ------------------------------------------------------------ cursors

    def cursor(self, name: str) -> int | None:
        """Where a channel is in its source (an update offset), if it has started."""
        with Session(self.engine) as s:
            row = s.get(ChannelCursorRow, name)
            return row.value if row else None

    def advance_cursor(self, name: str, value: int) -> None:
        """Move a channel's cursor forward to ``value`` (never back)."""
        with Session(self.engine) as s:
            row = s.get(ChannelCursorRow, name, with_for_update=True)
            if row is None:
                s.add(ChannelCursorRow(name=name, value=value, updated_at=self.clock()))
            elif value > row.value:
                row.value, row.updated_at = value, self.clock()
                s.add(row)
            s.commit()

    def linked_accounts(self, supervisor_id: int, prefix: str) -> list[str]:
        """A supervisor's linked accounts on one messenger (``prefix`` like "telegram:")."""
        with Session(self.engine) as s:
            rows = s.exec(
                select(IdentityRow.raw).where(
                    IdentityRow.supervisor_id == supervisor_id,
                    IdentityRow.kind == ContactKind.MESSENGER.value,
                    col(IdentityRow.value).startswith(prefix),
                )
            ).all()
        return list(rows)

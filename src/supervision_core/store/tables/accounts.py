"""Accounts and sessions, and what goes with them.

Staff users, messenger links and sessions, cursors, leases, the access log, the
supervisors' sign-in codes and sessions, API tokens and idempotent answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import supervision_core.store.tables.core  # noqa: F401  (the tables their foreign keys name)
from supervision_core.store.tables.base import when as _when


class StaffUserRow(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True)
    display_name: str
    password_hash: str
    role: str = Field(max_length=16)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    unit_code: str | None = Field(default=None, max_length=40)
    disabled: bool = False
    failed_attempts: int = 0
    locked_until: dt.datetime | None = _when(nullable=True)
    last_login_at: dt.datetime | None = _when(nullable=True)
    created_at: dt.datetime = _when()
    session_version: int = 0  # raised to end every session of the account


class LinkCodeRow(SQLModel, table=True):
    __tablename__ = "link_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    created_at: dt.datetime = _when()
    expires_at: dt.datetime = _when()
    used_at: dt.datetime | None = _when(nullable=True)
    used_by: str | None = Field(default=None, max_length=320)


class MessengerSessionRow(SQLModel, table=True):
    __tablename__ = "messenger_session"

    account: str = Field(primary_key=True, max_length=320)  # "telegram:12345"
    state: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    last_update_id: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    updated_at: dt.datetime = _when()


class ChannelCursorRow(SQLModel, table=True):
    __tablename__ = "channel_cursor"

    name: str = Field(primary_key=True, max_length=80)  # "telegram:getUpdates"
    value: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    updated_at: dt.datetime = _when()


class LeaseRow(SQLModel, table=True):
    """Who holds a single-reader job (an IMAP folder, Telegram polling) until when."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=120)
    holder: str = Field(max_length=200)
    expires_at: dt.datetime = _when()


class AccessLogRow(SQLModel, table=True):
    """Every view of a supervisor's personal data: who, when, what, whose, and why.

    Append-only (a trigger refuses UPDATE and DELETE). One row per supervisor seen:
    a list of twenty supervisors is twenty rows, so each supervisor's can be listed.
    """

    __tablename__ = "access_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _when(index=True)
    username: str = Field(max_length=40, index=True)
    action: str = Field(max_length=40)
    target: str = Field(max_length=200)
    supervisor_id: int | None = Field(default=None, index=True)
    center_code: str | None = Field(default=None, max_length=40, index=True)
    purpose: str | None = Field(default=None, max_length=200)  # the page or the command


class SignInCodeRow(SQLModel, table=True):
    """A one-time code asked for on the supervisor's page, kept as a salted digest only.

    A request for a contact nobody registered is kept too (no supervisor, no code): the
    limit per network address counts it.
    """

    __tablename__ = "sign_in_code"
    __table_args__ = (
        sa.Index("ix_sign_in_code_supervisor", "supervisor_id", "created_at"),
        sa.Index("ix_sign_in_code_ip", "ip", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int | None = Field(default=None, foreign_key="supervisor.id")
    ip: str | None = Field(default=None, max_length=64)
    salt: str | None = Field(default=None, max_length=32)
    code_hash: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = _when()
    expires_at: dt.datetime = _when()
    used_at: dt.datetime | None = _when(nullable=True)
    tries: int = 0


class SupervisorSessionRow(SQLModel, table=True):
    """A supervisor's signed-in browser on their page (/me); the token kept as a digest."""

    __tablename__ = "supervisor_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    via: str = Field(max_length=32)
    created_at: dt.datetime = _when()
    expires_at: dt.datetime = _when()
    last_seen_at: dt.datetime = _when()
    revoked_at: dt.datetime | None = _when(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=200)


class ApiTokenRow(SQLModel, table=True):
    """An API token: its secret's SHA-256 only, its center (and unit), scopes and expiry."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=30, unique=True)
    secret_hash: str = Field(max_length=64, unique=True)
    hint: str = Field(max_length=12)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    unit_code: str | None = Field(default=None, max_length=40)
    scopes: str = Field(max_length=200)  # comma-separated Scope values
    created_at: dt.datetime = _when()
    expires_at: dt.datetime | None = _when(nullable=True)
    revoked_at: dt.datetime | None = _when(nullable=True)


class IdempotencyRow(SQLModel, table=True):
    """The first answer to a POST with an ``Idempotency-Key``, per token, replayed after."""

    __tablename__ = "api_idempotency"

    token_id: int = Field(foreign_key="api_token.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    status: int
    content_type: str = Field(max_length=100)
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: dt.datetime = _when()

"""A supervisor's record beyond the ledger: activities, attendance, discipline, changes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import supervision_core.store.tables.core  # noqa: F401  (the tables their foreign keys name)
from supervision_core.store.tables.base import when as _when


class ActivityRow(SQLModel, table=True):
    __tablename__ = "activity"
    __table_args__ = (sa.Index("ix_activity_center_held", "center_code", "held_on"),)

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    kind: str = Field(max_length=32)
    title: str
    held_on: dt.date
    place: str
    organizer: str
    # An announced activity (sign-up on /me): when it starts, until when supervisors
    # sign up, how many places (NULL: no limit); NULL for one only recorded afterwards.
    starts_at: dt.datetime | None = _when(nullable=True)
    signup_deadline: dt.datetime | None = _when(nullable=True)
    capacity: int | None = None
    description: str | None = None
    announced_by: str | None = Field(default=None, max_length=200)
    announced_at: dt.datetime | None = _when(nullable=True)
    cancelled_at: dt.datetime | None = _when(nullable=True)
    cancelled_by: str | None = Field(default=None, max_length=200)
    cancel_reason: str | None = None


class ActivitySignupRow(SQLModel, table=True):
    """A supervisor signed up for an announced activity; withdrawing deletes the row."""

    __tablename__ = "activity_signup"

    activity_id: int = Field(foreign_key="activity.id", primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", primary_key=True, index=True)
    signed_up_at: dt.datetime = _when()


class AttendanceRow(SQLModel, table=True):
    __tablename__ = "attendance"

    activity_id: int = Field(foreign_key="activity.id", primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", primary_key=True, index=True)
    status: str = Field(max_length=16)


class DisciplineRow(SQLModel, table=True):
    __tablename__ = "discipline"

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    kind: str = Field(max_length=32)
    on: dt.date
    reason: str
    authority: str | None = None
    actor: str
    recorded_at: dt.datetime = _when()
    response: str | None = None  # the supervisor's response (表态) to an admonition


class SupervisorChangeRow(SQLModel, table=True):
    """A supervisor's status changes and attendance records, as they happened (append-only)."""

    __tablename__ = "supervisor_change"

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    at: dt.datetime = _when()
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=32)  # suspended, reinstated, revoked, attendance
    before: str | None = Field(default=None, max_length=32)
    after: str | None = Field(default=None, max_length=32)
    activity_id: int | None = Field(default=None, foreign_key="activity.id")
    note: str | None = None

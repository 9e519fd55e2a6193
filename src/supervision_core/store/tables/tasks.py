"""Tasks given to supervisors and the library of documents."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import supervision_core.store.tables.core  # noqa: F401  (the tables their foreign keys name)
from supervision_core.store.tables.base import when as _when


class TaskRow(SQLModel, table=True):
    """A task (服务体验, 明察暗访) a center gives to supervisors."""

    __tablename__ = "task"
    __table_args__ = (sa.Index("ix_task_center_ends", "center_code", "ends_on"),)

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    kind: str = Field(max_length=16)
    place: str
    service: str
    instructions: str
    starts_on: dt.date
    ends_on: dt.date
    created_by: str = Field(max_length=200)
    created_at: dt.datetime = _when()


class TaskAssignmentRow(SQLModel, table=True):
    """One supervisor's part in a task: the answer, then the visit."""

    __tablename__ = "task_assignment"

    task_id: int = Field(foreign_key="task.id", primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", primary_key=True, index=True)
    status: str = Field(max_length=16)
    responded_at: dt.datetime | None = _when(nullable=True)
    decline_reason: str | None = None
    visited_on: dt.date | None = None
    found_nothing: bool | None = None
    note: str = ""
    issue_id: int | None = Field(default=None, foreign_key="issue.id", unique=True)
    recorded_at: dt.datetime | None = _when(nullable=True)


class LibraryDocumentRow(SQLModel, table=True):
    """A document of the library; the content is read only when it is opened."""

    __tablename__ = "library_document"
    __table_args__ = (sa.Index("ix_library_document_center", "center_code", "withdrawn_at"),)

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    category: str = Field(max_length=16)
    title: str = Field(max_length=200)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    published_at: dt.datetime = _when()
    published_by: str = Field(max_length=200)
    withdrawn_at: dt.datetime | None = _when(nullable=True)
    withdrawn_by: str | None = Field(default=None, max_length=200)

"""tasks and their assignments; the documents library

Revision ID: 0018_desk_tasks
Revises: 0017
Create Date: 2026-12-02 09:30:00

A center's tasks (服务体验, 明察暗访) given to supervisors, each supervisor's answer
and visit; the documents a center publishes to its supervisors (资料库).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from supervision_core.store.tables import UTCDateTime

revision: str = "0018_desk_tasks"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("instructions", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["center_code"], ["center.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_center_ends", "task", ["center_code", "ends_on"], unique=False)
    op.create_table(
        "task_assignment",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("responded_at", UTCDateTime(), nullable=True),
        sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("found_nothing", sa.Boolean(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.ForeignKeyConstraint(["issue_id"], ["issue.id"]),
        sa.PrimaryKeyConstraint("task_id", "supervisor_id"),
        sa.UniqueConstraint("issue_id"),
    )
    op.create_index(
        "ix_task_assignment_supervisor_id", "task_assignment", ["supervisor_id"], unique=False
    )
    op.create_table(
        "library_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["center_code"], ["center.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_library_document_center",
        "library_document",
        ["center_code", "withdrawn_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_library_document_center", table_name="library_document")
    op.drop_table("library_document")
    op.drop_index("ix_task_assignment_supervisor_id", table_name="task_assignment")
    op.drop_table("task_assignment")
    op.drop_index("ix_task_center_ends", table_name="task")
    op.drop_table("task")

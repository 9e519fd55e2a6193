"""briefing meeting and attendance; outbox.attachments

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 09:00:00

Extends 0006 (``briefing_opinion``, the opinions heard) with the meeting they were
heard at (date, place, chair) and who came; the outbox gets the files a notice
carries (the briefing's PDF).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import supervision_core.store.tables

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "briefing_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("chair", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "recorded_at", supervision_core.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["center_code"], ["center.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("center_code", "period", name="uq_briefing_meeting_center_period"),
    )
    op.create_table(
        "briefing_attendance",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["briefing_meeting.id"]),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.PrimaryKeyConstraint("meeting_id", "supervisor_id"),
    )
    with op.batch_alter_table("briefing_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_briefing_attendance_supervisor_id"), ["supervisor_id"], unique=False
        )
    # A plain ADD COLUMN (SQLite has it), as 0012 does: no batch copy of the outbox.
    op.add_column("outbox", sa.Column("attachments", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "attachments")
    with op.batch_alter_table("briefing_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_briefing_attendance_supervisor_id"))
    op.drop_table("briefing_attendance")
    op.drop_table("briefing_meeting")

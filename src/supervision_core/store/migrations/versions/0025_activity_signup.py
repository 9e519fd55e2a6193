"""activities announced for sign-up: start time, deadline, capacity; who signed up

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from supervision_core.store.tables import UTCDateTime

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("signup_deadline", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("description", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("announced_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("announced_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(), nullable=True))
    op.create_table(
        "activity_signup",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("signed_up_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"]),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.PrimaryKeyConstraint("activity_id", "supervisor_id"),
    )
    op.create_index(
        "ix_activity_signup_supervisor_id", "activity_signup", ["supervisor_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_activity_signup_supervisor_id", table_name="activity_signup")
    op.drop_table("activity_signup")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        for name in (
            "cancel_reason",
            "cancelled_by",
            "cancelled_at",
            "announced_at",
            "announced_by",
            "description",
            "capacity",
            "signup_deadline",
            "starts_at",
        ):
            batch_op.drop_column(name)

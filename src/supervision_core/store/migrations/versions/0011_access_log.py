"""access log of personal data views

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from supervision_core.store.tables import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"], unique=False)
    op.create_index("ix_access_log_username", "access_log", ["username"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_access_log_username", table_name="access_log")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_table("access_log")

"""issue.completed_on_time

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it): a batch copy of the issue table would have to
    # drop a table that every event row refers to.
    op.add_column("issue", sa.Column("completed_on_time", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("issue", "completed_on_time")

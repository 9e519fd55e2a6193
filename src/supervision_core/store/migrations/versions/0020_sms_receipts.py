"""outbox.receipt_*: the delivery receipt a transport's provider sent back (an SMS 回执)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supervision_core.store.tables

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A notice the provider accepted may still not reach the phone: the receipt says
    # whether it did, when, and why not. NULL while no receipt came.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("receipt_ok", sa.Boolean(), nullable=True))
        batch.add_column(
            sa.Column(
                "receipt_at",
                supervision_core.store.tables.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("receipt_detail", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("receipt_detail")
        batch.drop_column("receipt_at")
        batch.drop_column("receipt_ok")

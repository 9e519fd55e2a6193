"""messenger link codes, conversation sessions, channel cursors, leases

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from supervision_core.store.tables import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("used_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_link_code_supervisor_id", "link_code", ["supervisor_id"], unique=False)
    op.create_table(
        "messenger_session",
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("last_update_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
    )
    op.create_table(
        "channel_cursor",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )

    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("lease")
    op.drop_table("channel_cursor")
    op.drop_table("messenger_session")
    op.drop_index("ix_link_code_supervisor_id", table_name="link_code")
    op.drop_table("link_code")

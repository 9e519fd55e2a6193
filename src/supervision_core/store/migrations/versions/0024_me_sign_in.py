"""the supervisor's page: one-time sign-in codes and supervisor sessions

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from supervision_core.store.tables import UTCDateTime

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("salt", sa.String(length=32), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_sign_in_code_supervisor", "sign_in_code", ["supervisor_id", "created_at"], unique=False
    )
    op.create_index("ix_sign_in_code_ip", "sign_in_code", ["ip", "created_at"], unique=False)
    op.create_table(
        "supervisor_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(
        "ix_supervisor_session_supervisor_id",
        "supervisor_session",
        ["supervisor_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_supervisor_session_supervisor_id", table_name="supervisor_session")
    op.drop_table("supervisor_session")
    op.drop_index("ix_sign_in_code_ip", table_name="sign_in_code")
    op.drop_index("ix_sign_in_code_supervisor", table_name="sign_in_code")
    op.drop_table("sign_in_code")

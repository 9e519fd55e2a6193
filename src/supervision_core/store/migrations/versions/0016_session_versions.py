"""staff_user.session_version

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Sign-out, a new password, disabling and a new role raise it: a session cookie
    # signed with an older version no longer signs anybody in.
    op.add_column(
        "staff_user",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("staff_user", "session_version")

"""index issues by center and problem type (duplicate candidates)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_issue_center_type_id", "issue", ["center_code", "problem_type", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_issue_center_type_id", table_name="issue")

"""a supervisor's issues by id: the index "my reports" pages through (newest first, ?before=)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 11:45:00

``ix_issue_supervisor_received`` (supervisor, received_at) made SQLite read all of a
supervisor's issues and sort them by id for every page of 50 (0.8 ms for a supervisor
with 1,000 issues, 0.09 ms with this index; bench/bench_me.py), and PostgreSQL walk the
primary key backwards filtering on the supervisor.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_issue_supervisor_id", "issue", ["supervisor_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_issue_supervisor_id", table_name="issue")

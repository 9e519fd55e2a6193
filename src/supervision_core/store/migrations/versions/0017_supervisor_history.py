"""supervisor_change history; access_log says whose data, which center, why

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from supervision_core.store.tables import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("supervisor_change", "access_log")


def upgrade() -> None:
    op.create_table(
        "supervisor_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("before", sa.String(length=32), nullable=True),
        sa.Column("after", sa.String(length=32), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_supervisor_change_supervisor_id", "supervisor_change", ["supervisor_id"], unique=False
    )
    # Plain ADD COLUMNs (SQLite has them): the old entries keep NULL, meaning not known.
    op.add_column("access_log", sa.Column("supervisor_id", sa.Integer(), nullable=True))
    op.add_column("access_log", sa.Column("center_code", sa.String(length=40), nullable=True))
    op.add_column("access_log", sa.Column("purpose", sa.String(length=200), nullable=True))
    op.create_index("ix_access_log_supervisor_id", "access_log", ["supervisor_id"], unique=False)
    op.create_index("ix_access_log_center_code", "access_log", ["center_code"], unique=False)
    # Both are records of what happened: nobody edits or deletes them (0003 made the
    # PostgreSQL function, for issue_event).
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "sqlite":
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION supdesk_append_only()"
            )


def downgrade() -> None:
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.drop_index("ix_access_log_center_code", table_name="access_log")
    op.drop_index("ix_access_log_supervisor_id", table_name="access_log")
    with op.batch_alter_table("access_log") as batch:
        batch.drop_column("purpose")
        batch.drop_column("center_code")
        batch.drop_column("supervisor_id")
    op.drop_index("ix_supervisor_change_supervisor_id", table_name="supervisor_change")
    op.drop_table("supervisor_change")

"""catalog_version: bumped by triggers whenever what filing keeps per process changes

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 11:30:00

Filing keeps identities, supervisors' status and terms, centers and webhook
subscriptions in the process (store/catalog.py, bench/bench_receive.py) and checks this
one value before using them. The triggers bump it in the same transaction as any change
to those tables, whoever makes it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("center", "supervisor", "supervisor_identity", "webhook")
BUMP = "UPDATE catalog_version SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO catalog_version (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for action in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_catalog_{action.lower()} AFTER {action} ON {table} "
                    f"BEGIN {BUMP}; END"
                )
    else:
        op.execute(
            "CREATE FUNCTION supdesk_catalog_bump() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_catalog AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION supdesk_catalog_bump()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_catalog_{action}")
    else:
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_catalog ON {table}")
        op.execute("DROP FUNCTION supdesk_catalog_bump()")
    op.drop_table("catalog_version")

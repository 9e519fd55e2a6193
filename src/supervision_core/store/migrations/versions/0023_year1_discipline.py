"""discipline response; revocation grounds; evaluation supersedes and reason

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (SQLite has them; the evaluation's triggers refuse only UPDATE and
    # DELETE of rows): old rows keep NULL, meaning none given.
    op.add_column("discipline", sa.Column("response", sqlmodel.sql.sqltypes.AutoString()))
    op.add_column("supervisor", sa.Column("revocation_admonitions", sa.JSON(), nullable=True))
    op.add_column(
        "supervisor", sa.Column("revocation_override", sqlmodel.sql.sqltypes.AutoString())
    )
    op.add_column(
        "supervisor",
        sa.Column("revocation_decided_by", sqlmodel.sql.sqltypes.AutoString(length=200)),
    )
    op.add_column("evaluation", sa.Column("supersedes", sa.Integer(), nullable=True))
    op.add_column("evaluation", sa.Column("reason", sqlmodel.sql.sqltypes.AutoString()))


def downgrade() -> None:
    # Plain DROP COLUMNs (SQLite has them since 3.35): a batch copy of ``supervisor``
    # would trip the foreign keys that point at it.
    for table, column in (
        ("evaluation", "reason"),
        ("evaluation", "supersedes"),
        ("supervisor", "revocation_decided_by"),
        ("supervisor", "revocation_override"),
        ("supervisor", "revocation_admonitions"),
        ("discipline", "response"),
    ):
        op.drop_column(table, column)

"""outbox: one entry a notice, with its status, the transport that carried it, calls and reads

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 09:00:00

Before, a notice was written once for each notifier its center listed (the key ended in
":<notifier>") and an entry counted as delivered when its notifier returned, even when
the notifier had nobody to send to. Now a notice is one entry that tries the
recipient's ways in order: ``status`` says where it stands, ``notifier`` what carried
it. The upgrade folds each notice's entries into one — the one delivered, else the one
still waiting, else a dead one — and gives it the notice's key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import supervision_core.store.tables

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The notice's own key: the entry's key without its ":<notifier>" ending.
_BASE = (
    "CASE WHEN substr(key, length(key) - length(notifier)) = ':' || notifier "
    "THEN substr(key, 1, length(key) - length(notifier) - 1) ELSE key END"
)


def upgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column(
            "status",
            sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=False,
            server_default="pending",
        ),
    )
    op.add_column(
        "outbox",
        sa.Column("called_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    )
    op.add_column(
        "outbox",
        sa.Column(
            "read_at", supervision_core.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
    )
    op.add_column(
        "outbox", sa.Column("read_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
    )
    # One entry a notice: keep the delivered one, else the waiting one, else a dead one.
    op.execute(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM ("
        f"SELECT id, row_number() OVER (PARTITION BY {_BASE} ORDER BY "
        "CASE WHEN delivered_at IS NOT NULL THEN 0 WHEN dead_at IS NULL THEN 1 ELSE 2 END, id"
        ") AS n FROM outbox) ranked WHERE n > 1)"
    )
    op.execute(f"UPDATE outbox SET key = {_BASE} WHERE key <> {_BASE}")
    op.execute(
        "UPDATE outbox SET status = CASE WHEN delivered_at IS NOT NULL THEN 'delivered' "
        "WHEN dead_at IS NOT NULL THEN 'dead' WHEN attempts > 0 THEN 'retrying' "
        "ELSE 'pending' END"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column(
            "notifier", existing_type=sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True
        )
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_outbox_inbox", ["recipient_kind", "recipient", "read_at"], unique=False
        )
    # A notifier is now what carried the notice: nothing has carried one not delivered.
    op.execute("UPDATE outbox SET notifier = NULL WHERE status <> 'delivered'")


def downgrade() -> None:
    # Each entry keeps the notice's key; one not delivered names no notifier.
    op.execute("UPDATE outbox SET notifier = '' WHERE notifier IS NULL")
    # A notice the desk phoned or that reached nobody was not delivered by a notifier.
    op.execute(
        "UPDATE outbox SET dead_at = next_attempt_at "
        "WHERE status IN ('unreachable', 'call_task') AND dead_at IS NULL"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_inbox")
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index(
            "ix_outbox_pending", ["delivered_at", "dead_at", "next_attempt_at"], unique=False
        )
        batch_op.alter_column(
            "notifier", existing_type=sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False
        )
        batch_op.drop_column("read_by")
        batch_op.drop_column("read_at")
        batch_op.drop_column("called_by")
        batch_op.drop_column("status")

"""outbox.kind and outbox.fields: what a notice is about, for templated transports

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SMS and WeChat template messages carry a template id and its parameters, never
    # free text: the kind picks the template, the fields fill it. Older notices keep
    # an empty kind, which a templated transport treats as "no template".
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=40), nullable=False, server_default=""))
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("fields")
        batch.drop_column("kind")

"""field visits that found nothing, commendations, recommendations into the officer team

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from supervision_core.store.tables import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "field_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("center_code", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("venue", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["center_code"], ["center.code"]),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_field_visit_supervisor_id", "field_visit", ["supervisor_id"], unique=False)
    op.create_index("ix_field_visit_on", "field_visit", ["on"], unique=False)
    op.create_table(
        "commendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_code", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("decision_number", sa.String(length=80), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["center_code"], ["center.code"]),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluation.id"]),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "center_code", "year", "supervisor_id", name="uq_commendation_supervisor"
        ),
    )
    op.create_table(
        "officer_recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("center_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["center_code"], ["center.code"]),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisor.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_officer_recommendation_supervisor_id",
        "officer_recommendation",
        ["supervisor_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_officer_recommendation_supervisor_id", table_name="officer_recommendation")
    op.drop_table("officer_recommendation")
    op.drop_table("commendation")
    op.drop_index("ix_field_visit_on", table_name="field_visit")
    op.drop_index("ix_field_visit_supervisor_id", table_name="field_visit")
    op.drop_table("field_visit")

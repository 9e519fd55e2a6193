"""issue events are append-only, enforced by the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "issue_event is append-only: record a new event instead"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER issue_event_no_{action.lower()} BEFORE {action} ON issue_event "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION supdesk_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER issue_event_append_only BEFORE UPDATE OR DELETE ON issue_event "
            "FOR EACH ROW EXECUTE FUNCTION supdesk_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER issue_event_no_update")
        op.execute("DROP TRIGGER issue_event_no_delete")
    else:
        op.execute("DROP TRIGGER issue_event_append_only ON issue_event")
        op.execute("DROP FUNCTION supdesk_append_only()")

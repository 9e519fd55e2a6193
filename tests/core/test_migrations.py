"""The schema comes from Alembic migrations, and they agree with the tables."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from supervision_core import SchemaError, Settings, create_engine, migrate, open_ledger
from supervision_core.store import tables as _tables  # noqa: F401

SRC = Path(__file__).resolve().parents[2] / "src"


def test_migrations_match_the_tables(supdesk_database_url: str) -> None:
    engine = create_engine(supdesk_database_url)
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    migrate(engine)  # a second upgrade is a no-op
    engine.dispose()


def test_opening_an_empty_database_without_create_says_to_init(supdesk_database_url: str) -> None:
    try:
        open_ledger(supdesk_database_url, settings=Settings())
    except SchemaError as exc:
        assert "supdesk init" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected SchemaError")


def test_indexes_cover_the_ledger_queries(supdesk_database_url: str) -> None:
    engine = create_engine(supdesk_database_url)
    migrate(engine)
    indexes = {tuple(ix["column_names"]) for ix in sa.inspect(engine).get_indexes("issue")}
    assert ("center_code", "state", "due_on") in indexes
    assert ("supervisor_id", "received_at") in indexes
    assert ("state", "due_on") in indexes
    engine.dispose()


def test_production_code_never_calls_create_all() -> None:
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "create_all"
        ]
        assert not calls, path


def test_events_cannot_be_changed_or_deleted(supdesk_ledger, supdesk_report) -> None:  # type: ignore[no-untyped-def]
    import pytest

    supdesk_ledger.receive(supdesk_report())
    for statement in ("UPDATE issue_event SET actor = 'forger'", "DELETE FROM issue_event"):
        with (
            pytest.raises(sa.exc.DatabaseError, match="append-only"),
            supdesk_ledger.engine.begin() as connection,
        ):
            connection.execute(sa.text(statement))
    assert [e.actor for e in supdesk_ledger.history(1)] == ["system:intake"]

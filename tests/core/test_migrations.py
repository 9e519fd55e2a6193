"""The schema comes from Alembic migrations, and they agree with the tables."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from supervision_core import SchemaError, Settings, create_engine, migrate, open_ledger
from supervision_core.store import tables
from supervision_core.store.tables import UTCDateTime

tables.load_all()  # the whole schema on SQLModel.metadata, as the migrations see it

SRC = Path(__file__).resolve().parents[2] / "src"


def test_migrations_match_the_tables(supdesk_database_url: str) -> None:
    engine = create_engine(supdesk_database_url)
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    migrate(engine)  # a second upgrade is a no-op
    engine.dispose()


_EVERY_TABLE_MODULE = """
import importlib, json, pkgutil, sys
from sqlmodel import SQLModel
from supervision_core import create_engine, migrate
from supervision_core.store import tables
before = set(SQLModel.metadata.tables)
migrate(create_engine(sys.argv[1]))  # Alembic's env.py loads the tables it compares
loaded = set(SQLModel.metadata.tables)
where = {}
for info in pkgutil.iter_modules(tables.__path__):
    module = importlib.import_module(f"supervision_core.store.tables.{info.name}")
    for name, value in vars(module).items():
        if getattr(value, "__module__", None) == module.__name__ and hasattr(value, "__table__"):
            where[name] = [info.name, value.__table__.name]
print(json.dumps({"before": sorted(before), "loaded": sorted(loaded), "all": sorted(SQLModel.metadata.tables),
                  "where": where, "registry": tables.WHERE}))
"""


def test_migrations_see_every_table_though_a_command_builds_only_those_it_names(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = subprocess.run(
        [sys.executable, "-c", _EVERY_TABLE_MODULE, url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert len(found["before"]) < len(found["all"])  # a fresh interpreter builds none yet
    assert found["loaded"] == found["all"]  # nothing more after importing every module
    assert len(found["all"]) >= 41
    # Every class is named in the registry, under its own module, and the other way round.
    assert {name: module for name, (module, _) in found["where"].items()} == found["registry"]
    assert sorted(table for _, table in found["where"].values()) == found["all"]


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


def test_0014_fills_the_deadlines_from_the_history_as_the_rules_would(
    supdesk_ledger, supdesk_report, supdesk_clock
) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from alembic import command

    from supervision_core.store.engine import _alembic_config

    ledger, op = supdesk_ledger, "operator:test"
    refs = [ledger.receive(supdesk_report(f"第{n}件：窗口无人")).issue_number for n in range(4)]
    on_time, late, open_, old = refs
    for ref in refs:
        ledger.accept(ref, actor=op)
        ledger.dispatch(ref, unit="realty", responsible_person="赵", actor=op)
        ledger.plan(ref, track="scheduled", measures="排班", days=3, actor=op)  # due 03-05
    ledger.complete(on_time, evidence="已排班", actor=op)
    supdesk_clock.advance(days=7)  # Monday 03-09: the deadline has passed
    ledger.extend(late, days=2, reason="人手不足", actor=op, granted_by="banner")
    ledger.extend(open_, days=3, reason="人手不足", actor=op, granted_by="banner")
    ledger.complete(late, evidence="已排班", actor=op)
    expected = {ref: ledger.issue(ref) for ref in (on_time, late, open_)}
    assert expected[late].late_working_days == 2 and expected[open_].missed_due_on

    with ledger.engine.begin() as connection:
        config = _alembic_config(connection)
        command.downgrade(config, "0014")  # whatever came after it
        command.downgrade(config, "-1")
        assert "missed_due_on" not in {
            c["name"] for c in sa.inspect(connection).get_columns("issue")
        }
        # Before 0014 an extension past the deadline went through, and the fix after it
        # counted as on time; 0012 left completed_on_time empty on older rows.
        row = connection.execute(
            sa.text("SELECT id FROM issue WHERE number = :n"), {"n": old}
        ).scalar_one()
        events = sa.table(
            "issue_event",
            *(sa.column(n) for n in ("issue_id", "kind", "actor", "note")),
            sa.column("at", UTCDateTime()),
            sa.column("data", sa.JSON()),
        )
        connection.execute(
            events.insert(),
            [
                {"issue_id": row, "kind": "extended", "at": ledger.clock(), "actor": op,
                 "note": "逾期后延期", "data": {"days": 2, "due_on": "2026-03-11", "max_extensions": 3}},
                {"issue_id": row, "kind": "completed", "at": ledger.clock(), "actor": op,
                 "note": None, "data": {"evidence": "已排班"}},
            ],
        )  # fmt: skip
        connection.execute(
            sa.text(
                "UPDATE issue SET state = 'completed', due_on = NULL, extensions = 1, "
                "evidence = '已排班', completed_at = :at, completed_on_time = :t WHERE id = :id"
            ),
            {"at": ledger.clock().astimezone(dt.UTC).replace(tzinfo=None), "t": True, "id": row},
        )
        connection.execute(sa.text("UPDATE issue SET completed_on_time = NULL"))
        command.upgrade(config, "head")

    for ref, issue in expected.items():
        assert ledger.issue(ref) == issue, ref
    backfilled = ledger.issue(old)
    assert backfilled.missed_due_on == backfilled.original_due_on == dt.date(2026, 3, 5)
    assert backfilled.rectification_due_on == dt.date(2026, 3, 11)
    assert backfilled.completed_on_time is False and backfilled.late_working_days is None
    assert all(ledger.verify(ref) for ref in refs)

"""Alembic environment: migrates ``SQLModel.metadata`` on the connection it is handed."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

from supervision_core.store import tables
from supervision_core.store.engine import create_engine

config = context.config
tables.load_all()  # every table on the metadata, not only those imported so far
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise SystemExit("set sqlalchemy.url or pass a connection")
        with create_engine(url).begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

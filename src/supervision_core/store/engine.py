"""Engines and schema: SQLite (a file, WAL) by default, PostgreSQL by URL, Alembic migrations."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import sqlalchemy as sa

from supervision_core.errors import ConfigError, SchemaError

# Alembic (with Mako and Pygments) loads only to migrate: every command that opens the
# ledger checks the schema, and importing it there doubled `supdesk issues list`'s
# start-up (bench/bench_cli.py).
if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Engine",
    "create_engine",
    "head_revision",
    "make_private",
    "migrate",
    "schema_status",
]

DEFAULT_DATABASE_URL = "sqlite:///supdesk.db"

Engine: TypeAlias = sa.Engine
"""A database engine, for callers outside ``store`` that only pass it on."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _sqlite_path(engine_or_url: sa.Engine | sa.URL) -> Path | None:
    url = engine_or_url.url if isinstance(engine_or_url, sa.Engine) else engine_or_url
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # a URI filename: SQLite itself decides
        return None
    return Path(database)


def _create_private(path: Path) -> None:
    """Create the empty database file readable by its owner only, if it is not there.

    SQLite gives its -wal and -shm files the database file's permissions, so they
    are private too. (Creating it here, with the mode given to ``open``, rather than
    by changing the process's umask: other threads may be creating files meanwhile.)
    """
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_private(engine: sa.Engine) -> list[Path]:
    """Make a SQLite ledger's files (and its -wal, -shm) readable by their owner only.

    For a database created before the desk did so itself; returns the files changed.
    Nothing for PostgreSQL (its files are the server's).
    """
    path = _sqlite_path(engine)
    changed: list[Path] = []
    if path is None:
        return changed
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
                changed.append(file)
    return changed


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url``: ``sqlite:///path.db`` or ``postgresql://...``.

    A bare ``postgresql://`` URL uses psycopg 3. SQLite gets WAL journaling and
    enforced foreign keys on every connection, and a database file it creates is
    readable by its owner only (as are the -wal and -shm files beside it): the ledger
    holds supervisors' personal data.
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        msg = f"数据库地址无法识别：{url!r}（示例：sqlite:///supdesk.db 或 postgresql://user@host/db）"
        raise ConfigError(msg) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = sa.create_engine(parsed, connect_args={"check_same_thread": False})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            path = _sqlite_path(parsed)
            if path is not None:

                def private(*_: Any) -> None:
                    _create_private(path)

                sa.event.listen(engine, "do_connect", private)
            return engine
        return sa.create_engine(parsed, pool_pre_ping=True)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        msg = f"无法使用数据库 {parsed.get_backend_name()}：{exc}（PostgreSQL 需要安装 supervision-desk[postgres]）"
        raise ConfigError(msg) from exc


def _migrations() -> Any:
    return resources.files("supervision_core") / "store" / "migrations"


def _alembic_config(connection: sa.Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_migrations()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


#: A migration's file name: its revision, then what it does (``0012_completed_on_time.py``).
_MIGRATION = re.compile(r"(\d{4})_\w+\.py")
_REVISION = re.compile(r'^revision(?::\s*str)?\s*=\s*"([^"]+)"', re.M)


def head_revision() -> str | None:
    """The code's head revision, read from the migrations' files.

    Revisions are numbered ``0001``, ``0002`` ... one after the other, each file named
    after its number; the newest file's declared ``revision`` is the head (it may be
    longer than the number, ``0018_year1``). A test checks this head against Alembic's
    own, so the head is known without loading Alembic.
    """
    files = {
        m.group(1): entry
        for entry in (_migrations() / "versions").iterdir()
        if (m := _MIGRATION.fullmatch(entry.name))
    }
    if not files:
        return None
    number = max(files)
    # A branch's migration may carry a longer id (``0018_desk_tasks``) until it is merged
    # and renumbered: the newest file's own ``revision = "..."`` line says which.
    text = files[number].read_text(encoding="utf-8")
    found = _REVISION.search(text)
    return found.group(1) if found else number


def _current_revision(connection: sa.Connection) -> str | None:
    # What Alembic's MigrationContext.get_current_revision() reads: the one row of
    # alembic_version, or nothing when the table does not exist yet.
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return ",".join(sorted(rows)) or None


def _missing_sqlite_file(url: sa.URL) -> Path | None:
    """The absolute path of a SQLite database file that does not exist yet, or ``None``."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    path = Path(url.database)
    return None if path.exists() else path.resolve()


def schema_status(engine: sa.Engine) -> tuple[str | None, str | None]:
    """The database's schema revision and the code's head revision."""
    try:
        with engine.connect() as connection:
            current = _current_revision(connection)
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "连接失败"
        msg = (
            f"无法连接数据库 {engine.url.render_as_string(hide_password=True)}：{reason}"
            "（请确认数据库已启动、地址和端口正确，或用 --database 指定）"
        )
        raise SchemaError(msg) from exc
    return current, head_revision()


def migrate(engine: sa.Engine) -> None:
    """Create or upgrade the schema to this version's head, through Alembic.

    A SQLite ledger's files are made private to their owner on the way (see
    :func:`make_private`), for ledgers created before the desk did so itself.
    """
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")
    make_private(engine)


def check_schema(engine: sa.Engine) -> None:
    """Raise :class:`SchemaError` unless the schema is exactly at this version's head.

    A SQLite file that does not exist is not created by looking (SQLite would make an
    empty one): a command run in the wrong folder leaves nothing behind.
    """
    missing = _missing_sqlite_file(engine.url)
    if missing is not None:
        msg = (
            f"数据库文件 {missing} 不存在：请在数据库所在的文件夹运行，"
            "或用 --database 指定，或先运行 supdesk init 创建"
        )
        raise SchemaError(msg)
    current, head = schema_status(engine)
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        msg = f"数据库 {where} 尚未初始化：请先运行 supdesk init"
    else:
        msg = f"数据库 {where} 的结构版本为 {current}，本程序需要 {head}：请运行 supdesk init 升级"
    raise SchemaError(msg)

"""Filing one report at a time: ``Ledger.receive`` against the database's own limit.

The baseline is the durable single-row commit rate of the same database on the same
disk: one INSERT of a report-shaped row and one COMMIT, with the ledger's own SQLite
settings (WAL, synchronous=NORMAL), on the driver's cursor. ``Ledger.receive`` does
everything a live channel needs on top of that: the duplicate-delivery check, the
sender's match and status, the screening checks, a duplicate candidate look-up, the
issue number, the report, the issue, its first event, the screening deadline and the
notice to the supervisor, in one transaction. The two are measured alternately, in
rounds, and the ratio of the rates is printed with its target (>= 0.25).

    python bench/bench_receive.py [--reports 2000] [--rounds 5] [--profile [--sort tottime]]
    python bench/bench_receive.py --database postgresql://postgres@127.0.0.1:5432/bench

On PostgreSQL (for information; the target is SQLite's) the ledger gets a schema of its
own in that database, and the baseline is the same single-row INSERT + COMMIT on
psycopg's own cursor, in that schema.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from supervision_core import ContactKind, Report, ReportHints, Sender, open_ledger
from supervision_core.demo import demo_settings, load_demo

TARGET = 0.25
TEXTS = (
    "不动产登记窗口要求补交三次材料，没有一次性告知。",
    "社保窗口工作人员态度生硬，办事群众排队一个多小时。",
    "网上办事大厅营业执照变更页面多次提交失败。",
    "大厅门口有人自称可以加急办理，收取费用。",
)


def raw_rate(path: Path, count: int, start: int) -> float:
    """Durable single-row commits of a report-shaped row, on the driver's cursor."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS report (id INTEGER PRIMARY KEY, channel TEXT, external_id TEXT,"
        " center_code TEXT, received_at TEXT, sender_kind TEXT, sender_value TEXT, text TEXT,"
        " UNIQUE (channel, external_id))"
    )
    began = time.perf_counter()
    for n in range(start, start + count):
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO report (channel, external_id, center_code, received_at, sender_kind,"
            " sender_value, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("bench", f"r{n}", "wushenzhao", "2026-03-02 01:00:00", "email",
             "bateer@example.cn", TEXTS[n % len(TEXTS)]),
        )  # fmt: skip
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - began
    connection.close()
    return count / elapsed


def raw_rate_postgres(url: str, schema: str, count: int, start: int) -> float:
    """The same on PostgreSQL: one INSERT and one COMMIT a row, on psycopg's cursor."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute(f'SET search_path TO "{schema}"')
        connection.execute(
            "CREATE TABLE IF NOT EXISTS raw_report (id SERIAL PRIMARY KEY, channel TEXT,"
            " external_id TEXT, center_code TEXT, received_at TIMESTAMPTZ, sender_kind TEXT,"
            " sender_value TEXT, text TEXT, UNIQUE (channel, external_id))"
        )
        connection.commit()
        began = time.perf_counter()
        for n in range(start, start + count):
            connection.execute(
                "INSERT INTO raw_report (channel, external_id, center_code, received_at,"
                " sender_kind, sender_value, text) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                ("bench", f"r{n}", "wushenzhao", "2026-03-02 01:00:00+00", "email",
                 "bateer@example.cn", TEXTS[n % len(TEXTS)]),
            )  # fmt: skip
            connection.commit()
        return count / (time.perf_counter() - began)


def _postgres_schema(url: str) -> tuple[str, str]:
    """A fresh schema in the database at ``url``: (the ledger's URL, the schema)."""
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    parsed = sa.make_url(url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(parsed)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    scoped = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def _drop_schema(url: str, schema: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def ledger_rate(ledger: object, count: int, start: int) -> float:
    receive = ledger.receive  # type: ignore[attr-defined]
    now = ledger.clock()  # type: ignore[attr-defined]
    sender = Sender(ContactKind.EMAIL, "bateer@example.cn")
    hints = ReportHints(problem_type="attitude", venue="政务服务大厅")
    began = time.perf_counter()
    for n in range(start, start + count):
        receive(
            Report(channel="bench", external_id=f"s{n}", center="wushenzhao", received_at=now,
                   sender=sender, text=TEXTS[n % len(TEXTS)], hints=hints)
        )  # fmt: skip
    return count / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000, help="reports per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile one round of receive")
    parser.add_argument("--sort", default="cumulative", help="profile order: cumulative, tottime")
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    schema = None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'ledger.db'}"
        raw: Any = lambda count, start: raw_rate(work / "raw.db", count, start)  # noqa: E731
        if args.database:
            url, schema = _postgres_schema(args.database)
            raw = lambda count, start: raw_rate_postgres(args.database, schema, count, start)  # noqa: E731
        try:
            ours, raws = _run(args, url, raw)
        finally:
            if schema is not None:
                _drop_schema(args.database, schema)
    if not ours:
        return
    ratios = [o / w for o, w in zip(ours, raws, strict=True)]
    kind = "PostgreSQL" if args.database else "SQLite"
    print(f"Filing one report at a time, {kind}, {args.rounds} rounds of {args.reports}")
    print(f"  raw single-row commit   {statistics.median(raws):9,.0f} rows/s (median)")
    print(f"  Ledger.receive          {statistics.median(ours):9,.0f} reports/s (median)")
    print(
        f"  ours / raw rate         {statistics.median(ratios):9.2f}"
        f"   (rounds {min(ratios):.2f}-{max(ratios):.2f}; target >= {TARGET})"
    )
    sys.exit(0)


def _run(args: argparse.Namespace, url: str, raw: Any) -> tuple[list[float], list[float]]:
    """Rounds of the baseline and of ``Ledger.receive``, alternately (or one profile)."""
    with open_ledger(url, settings=demo_settings(), create=True) as ledger:
        load_demo(ledger)
        ledger_rate(ledger, 200, -1000)  # warm up: caches, statements, the first page
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            ledger_rate(ledger, args.reports, -100_000)
            profile.disable()
            pstats.Stats(profile).sort_stats(args.sort).print_stats(45)
            return [], []
        raws, ours = [], []
        for r in range(args.rounds):
            raws.append(raw(args.reports, r * args.reports))
            ours.append(ledger_rate(ledger, args.reports, r * args.reports))
    return ours, raws


if __name__ == "__main__":
    main()

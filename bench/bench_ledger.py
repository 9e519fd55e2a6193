"""Ledger queries through the public API against the same queries as raw SQL.

A ledger of N issues (default 1,000,000) across seven centers is built once with bulk
inserts; then three queries are timed both ways, interleaved, best of several runs:

- the overdue issues of one township   (Ledger.overdue(center=...))
- issue counts by center and state      (Ledger.count_by_center_and_state())
- one supervisor's issues               (Ledger.issues(supervisor=...))

The baseline is the same SQL run on the driver's own cursor of the same database, so
the ratio is what the API costs on top of the database's own work. This machine is
shared and noisy: only ratios measured in the same run mean anything.

    python bench/bench_ledger.py [--rows N] [--database URL] [--runs K] [--check]

``--check`` exits 1 when a ratio is above 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from supervision_core import OPEN_STATES, IssueState, get_plugin_manager, open_ledger
from supervision_core.demo import demo_settings

LIMIT = 2.0


def build(url: str, rows: int, seed: int = 7) -> Any:
    settings = demo_settings()
    ledger = open_ledger(
        url,
        settings=settings,
        plugin_manager=get_plugin_manager(load_entrypoints=False),
        create=True,
    )
    centers = [c.center.code for c in settings.centers]
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    today = ledger.today()
    with ledger.engine.begin() as conn:
        supervisors = [
            {
                "id": i + 1,
                "name": f"监督员{i + 1}",
                "center_code": centers[i % 7],
                "origin": "experience_officer",
                "status": "active",
                "created_at": now,
            }
            for i in range(700)
        ]
        conn.execute(
            sa.text(
                "INSERT INTO supervisor (id, name, center_code, origin, status, created_at) "
                "VALUES (:id, :name, :center_code, :origin, :status, :created_at)"
            ),
            supervisors,
        )
    states = [s.value for s in IssueState]
    batch = 20_000
    report_sql = sa.text(
        "INSERT INTO report (id, channel, external_id, center_code, received_at, sender_kind, sender_value, "
        "text, supervisor_id, status, issue_id, stored_at) VALUES (:id, 'bench', :ext, :center, :at, 'email', "
        ":sender, :text, :sup, 'filed', :id, :at)"
    )
    issue_sql = sa.text(
        "INSERT INTO issue (id, number, center_code, report_id, supervisor_id, received_at, text, state, "
        "due_on, due_confirmed, extensions, progress_count, reopen_count, unit_code, problem_type) "
        "VALUES (:id, :number, :center, :id, :sup, :at, :text, :state, :due, true, 0, 0, 0, :unit, 'slow')"
    )
    started = time.perf_counter()
    for start in range(0, rows, batch):
        chunk = []
        for i in range(start + 1, min(start + batch, rows) + 1):
            sup = rng.randrange(1, 701)
            state = rng.choice(states)
            due = (
                today + dt.timedelta(days=rng.randrange(-40, 20))
                if IssueState(state) in OPEN_STATES
                else None
            )
            at = now - dt.timedelta(minutes=rng.randrange(0, 500_000))
            chunk.append(
                {
                    "id": i,
                    "ext": f"b{i}",
                    "center": centers[(sup - 1) % 7],
                    "at": at.replace(tzinfo=None) if url.startswith("sqlite") else at,
                    "sender": f"s{sup}@example.cn",
                    "text": "窗口办事慢，来回跑",
                    "sup": sup,
                    "number": f"{centers[(sup - 1) % 7]}-b-{i:07d}",
                    "state": state,
                    "due": due,
                    "unit": "window",
                }
            )
        with ledger.engine.begin() as conn:
            conn.execute(report_sql, chunk)
            conn.execute(issue_sql, chunk)
    with ledger.engine.begin() as conn:
        if url.startswith("sqlite"):
            conn.execute(sa.text("ANALYZE"))
        else:
            conn.execute(sa.text("ANALYZE issue"))
    print(
        f"built {rows:,} issues in {time.perf_counter() - started:.1f}s on {ledger.engine.dialect.name}"
    )
    return ledger


def best(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def raw(ledger: Any, sql: str, params: tuple[Any, ...]) -> Callable[[], list[Any]]:
    def run() -> list[Any]:
        connection = ledger.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            connection.close()

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if a ratio exceeds {LIMIT}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        ledger = build(url, args.rows)
        mark = "?" if ledger.engine.dialect.name == "sqlite" else "%s"
        today = ledger.today().isoformat() if mark == "?" else ledger.today()
        open_states = tuple(sorted(s.value for s in OPEN_STATES))
        slots = ", ".join([mark] * len(open_states))
        columns = (
            "id, number, center_code, supervisor_id, state, received_at, due_on, due_confirmed, "
            "unit_code, problem_type"
        )
        cases = [
            (
                "overdue issues of one township",
                lambda: ledger.overdue(center="wushenzhao"),
                raw(
                    ledger,
                    f"SELECT {columns} FROM issue WHERE center_code = {mark} AND state IN ({slots}) "
                    f"AND due_on < {mark} ORDER BY id",
                    ("wushenzhao", *open_states, today),
                ),
            ),
            (
                "counts by center and state",
                ledger.count_by_center_and_state,
                raw(
                    ledger,
                    "SELECT center_code, state, count(*) FROM issue GROUP BY center_code, state",
                    (),
                ),
            ),
            (
                "one supervisor's issues",
                lambda: ledger.issues(supervisor=42),
                raw(
                    ledger,
                    f"SELECT {columns} FROM issue WHERE supervisor_id = {mark} ORDER BY id",
                    (42,),
                ),
            ),
        ]
        worst = 0.0
        print(f"{'query':<34}{'rows':>8}{'api ms':>10}{'raw ms':>10}{'ratio':>8}")
        for name, api, baseline in cases:
            api_time = raw_time = float("inf")
            api_rows = raw_rows = None
            for _ in range(args.runs):  # interleaved, so both see the same noise
                t, api_rows = best(api, 1)
                api_time = min(api_time, t)
                t, raw_rows = best(baseline, 1)
                raw_time = min(raw_time, t)
            assert api_rows is not None and raw_rows is not None
            assert len(api_rows) == len(raw_rows), (name, len(api_rows), len(raw_rows))  # type: ignore[arg-type]
            ratio = api_time / raw_time
            worst = max(worst, ratio)
            print(
                f"{name:<34}{len(raw_rows):>8}{api_time * 1000:>10.1f}{raw_time * 1000:>10.1f}{ratio:>8.2f}"
            )  # type: ignore[arg-type]
        ledger.close()
    print(f"worst ratio {worst:.2f} (limit {LIMIT})")
    return 1 if args.check and worst > LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())

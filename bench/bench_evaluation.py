"""Evaluating 2,000 supervisors over 1,000,000 issues, against one aggregate query.

The evaluation builds every supervisor's year (each fact pointing to the issues and
activities that earned it), scores, ranks and publishes. The baseline is a single
GROUP BY over the same issues that counts what the scores need, without any of the
references. Target: within 5x. Ratios only: this machine is shared and noisy.

    python bench/bench_evaluation.py [--rows N] [--supervisors N] [--database URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from supervision_core import get_plugin_manager, open_ledger
from supervision_core.demo import demo_settings

YEAR = 2026


def build(url: str, rows: int, supervisors: int):  # type: ignore[no-untyped-def]
    ledger = open_ledger(
        url,
        settings=demo_settings(),
        plugin_manager=get_plugin_manager(load_entrypoints=False),
        create=True,
    )
    rng = random.Random(11)
    now = dt.datetime(YEAR, 12, 1, tzinfo=dt.UTC)
    sqlite = url.startswith("sqlite")

    def when(moment: dt.datetime) -> object:
        return moment.replace(tzinfo=None) if sqlite else moment

    with ledger.engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO supervisor (id, name, center_code, origin, status, created_at) "
                "VALUES (:id, :name, 'banner', 'experience_officer', 'active', :at)"
            ),
            [
                {
                    "id": i,
                    "name": f"监督员{i}",
                    "at": when(dt.datetime(YEAR - 1, 6, 1, tzinfo=dt.UTC)),
                }
                for i in range(1, supervisors + 1)
            ],
        )
    states = [
        "received",
        "accepted",
        "not_accepted",
        "dispatched",
        "rectifying",
        "completed",
        "closed",
        "merged",
    ]
    tracks = [None, "immediate", "scheduled", "explained"]
    methods = [None, "in_person", "simulated", "inspection"]
    report_sql = sa.text(
        "INSERT INTO report (id, channel, external_id, center_code, received_at, sender_kind, sender_value, "
        "text, supervisor_id, status, issue_id, stored_at) VALUES (:id, 'bench', :ext, 'banner', :at, 'email', "
        "'x', 't', :sup, 'filed', :id, :at)"
    )
    issue_sql = sa.text(
        "INSERT INTO issue (id, number, center_code, report_id, supervisor_id, received_at, text, state, track, "
        "method, due_confirmed, extensions, progress_count, reopen_count) VALUES (:id, :number, 'banner', :id, "
        ":sup, :at, 't', :state, :track, :method, true, 0, 0, 0)"
    )
    for start in range(0, rows, 20000):
        chunk = [
            {
                "id": i,
                "ext": f"e{i}",
                "sup": rng.randrange(1, supervisors + 1),
                "number": f"banner-b-{i:07d}",
                "at": when(now - dt.timedelta(minutes=rng.randrange(0, 480000))),
                "state": rng.choice(states),
                "track": rng.choice(tracks),
                "method": rng.choice(methods),
            }
            for i in range(start + 1, min(start + 20000, rows) + 1)
        ]
        with ledger.engine.begin() as c:
            c.execute(report_sql, chunk)
            c.execute(issue_sql, chunk)
    with ledger.engine.begin() as c:
        c.execute(sa.text("ANALYZE"))
    return ledger


def aggregate(ledger) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    start = dt.datetime(YEAR, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    end = dt.datetime(YEAR + 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    sql = sa.text(
        "SELECT supervisor_id, count(*), "
        "sum(CASE WHEN state IN ('accepted','dispatched','rectifying','completed','explained','reopened','closed') "
        "THEN 1 ELSE 0 END), "
        "sum(CASE WHEN track IN ('immediate','scheduled') AND state IN ('completed','closed') THEN 1 ELSE 0 END), "
        "sum(CASE WHEN method IN ('simulated','accompanying','in_person','overseeing') THEN 1 ELSE 0 END) "
        "FROM issue WHERE received_at >= :start AND received_at < :end GROUP BY supervisor_id"
    )
    params = {"start": start, "end": end}
    if ledger.engine.dialect.name == "sqlite":
        params = {
            k: v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in params.items()
        }
    with ledger.engine.connect() as c:
        return list(c.execute(sql, params))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--supervisors", type=int, default=2000)
    parser.add_argument("--database")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'evaluation.db'}"
        started = time.perf_counter()
        ledger = build(url, args.rows, args.supervisors)
        print(
            f"built {args.rows:,} issues, {args.supervisors:,} supervisors in {time.perf_counter() - started:.0f}s"
        )
        ours = base = float("inf")
        for _ in range(args.runs):
            t = time.perf_counter()
            evaluation = ledger.evaluate_year(YEAR, center="banner", actor="bench")
            ours = min(ours, time.perf_counter() - t)
            t = time.perf_counter()
            counted = aggregate(ledger)
            base = min(base, time.perf_counter() - t)
        by_id = {e.supervisor_id: e for e in evaluation.entries}
        for sid, _count, verified, fixed, _experience in counted:  # same facts, two ways
            assert len(by_id[sid].year_facts.verified_reports) == verified, sid
            assert len(by_id[sid].year_facts.led_to_fix) == fixed, sid
        ratio = ours / base
        print(
            f"evaluate_year: {ours:.2f} s; one aggregate query: {base:.2f} s; ratio {ratio:.2f} (target <= 5)"
        )
        ledger.close()
    return 1 if args.check and ratio > 5 else 0


if __name__ == "__main__":
    sys.exit(main())

"""Signing up for an activity, and a supervisor's list of coming activities, against their SQL.

A township with ``--supervisors`` supervisors and ``--activities`` announced activities.
Sign-up: every supervisor signs up for one activity with no limit through
``ledger.sign_up_for_activity`` (the visibility check, the row lock, the place count,
the insert, the value read back), against the same number of bare one-row INSERT
transactions on the driver's cursor. Listing: ``ledger.supervisor_activities`` (what
``/me/activities`` shows) with every activity carrying sign-ups, against its SQL (the
activities, then their sign-ups and attendance), best of several runs, interleaved.

Targets (set after measuring, see bench/README.md): sign-up within 25x of the bare insert
(it runs seven statements to the insert's one: the write lock, the visibility check under
the row lock, the place count, the insert, and the activity read back in three); the
listing within 15x of its SQL (the same three statements on the bare cursor).

    python bench/bench_activities.py [--supervisors N] [--activities M] [--database URL] [--check]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_ledger import best

from supervision_core import SHANGHAI, NewSupervisor, open_ledger
from supervision_core.demo import demo_settings
from supervision_core.testing import FrozenClock

SIGN_UP_LIMIT = 25.0
LIST_LIMIT = 15.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--supervisors", type=int, default=500)
    parser.add_argument("--activities", type=int, default=20)
    parser.add_argument("--database")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    clock = FrozenClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
    ledger = open_ledger(url, settings=demo_settings(), create=True, clock=clock)
    ids = [
        ledger.add_supervisor(NewSupervisor(name=f"监督员{i}", center="wushenzhao")).id
        for i in range(args.supervisors)
    ]
    start = dt.datetime(2026, 3, 20, 9, 30, tzinfo=SHANGHAI)

    def announce(n: int) -> int:
        return ledger.announce_activity(
            center="wushenzhao", kind="forum", title=f"座谈会{n}", place="会议室",
            starts_at=start + dt.timedelta(days=n), signup_deadline=start - dt.timedelta(days=1),
            actor="bench",
        ).id  # fmt: skip

    target, other = announce(0), announce(1)

    t = time.perf_counter()
    for sid in ids:
        ledger.sign_up_for_activity(target, sid)
    library = time.perf_counter() - t
    insert = "INSERT INTO activity_signup (activity_id, supervisor_id, signed_up_at) VALUES "
    insert += "(?, ?, ?)" if url.startswith("sqlite") else "(%s, %s, %s)"
    moment = clock().astimezone(dt.UTC)
    stamp = moment.replace(tzinfo=None) if url.startswith("sqlite") else moment
    connection = ledger.engine.raw_connection()
    try:
        t = time.perf_counter()
        for sid in ids:
            cursor = connection.cursor()
            cursor.execute(insert, (other, sid, stamp))
            connection.commit()
        bare = time.perf_counter() - t
    finally:
        connection.close()
    ratio = library / bare
    print(
        f"sign-up of {len(ids)} supervisors: {library:.2f} s; bare inserts {bare:.2f} s; "
        f"ratio {ratio:.2f} (target <= {SIGN_UP_LIMIT:g})"
    )

    for n in range(2, args.activities):
        announce(n)
    me = ids[0]
    sql = (
        "SELECT id FROM activity WHERE center_code = 'wushenzhao' AND starts_at IS NOT NULL "
        "AND cancelled_at IS NULL AND held_on >= '2026-03-02' ORDER BY starts_at, id"
    )

    def bare_list() -> int:
        c = ledger.engine.raw_connection()
        try:
            cursor = c.cursor()
            cursor.execute(sql)
            found = [r[0] for r in cursor.fetchall()]
            rows = 0
            for table in ("attendance", "activity_signup"):
                marks = ", ".join(str(int(i)) for i in found)
                cursor.execute(f"SELECT * FROM {table} WHERE activity_id IN ({marks})")
                rows += len(cursor.fetchall())
            return rows
        finally:
            c.close()

    lib_times, sql_times = [], []
    for _ in range(args.runs):
        lib_times.append(best(lambda: ledger.supervisor_activities(me), 1)[0])
        sql_times.append(best(bare_list, 1)[0])
    listed = len(ledger.supervisor_activities(me))
    list_ratio = min(lib_times) / min(sql_times)
    print(
        f"coming activities ({listed}, {len(ids) * 2} sign-ups): {min(lib_times) * 1000:.1f} ms;"
        f" its SQL {min(sql_times) * 1000:.1f} ms; ratio {list_ratio:.2f} (target <= {LIST_LIMIT:g})"
    )
    ledger.engine.dispose()
    tmp.cleanup()
    if args.check and (ratio > SIGN_UP_LIMIT or list_ratio > LIST_LIMIT):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The console's pages on a ledger of 1,000,000 issues, against their SQL alone.

The ledger is built as in bench_ledger.py (seven centers, 700 supervisors, issues in
every state with deadlines around today). Two pages are timed through the whole web
application in-process (session cookie, role checks, the ledger's queries, the
template), best of several runs, interleaved with the same SQL run on the driver's
cursor of the same database:

- the overdue view of one township, first page (``/console?view=overdue&center=...``)
- the dashboard of the banner center, every center (``/console/dashboard``)

Target: each page within 3x of its SQL.

    python bench/bench_console.py [--rows N] [--database URL] [--runs K]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_ledger import best, build
from starlette.testclient import TestClient

from supervision_web import WebSettings, create_app

PASSWORD = "console bench 2026 pw"


def sql_overdue(ledger: Any, center: str) -> Any:
    import sqlalchemy as sa

    from supervision_core.store.rows import ISSUE as _ISSUE
    from supervision_core.store.rows import OPEN as _OPEN
    from supervision_core.store.rows import SUMMARY_COLUMNS as _SUMMARY_COLUMNS

    query = (
        sa.select(*_SUMMARY_COLUMNS)
        .where(
            _ISSUE.c.center_code == center,
            _ISSUE.c.state.in_(_OPEN),
            _ISSUE.c.due_on < ledger.today(),
        )
        .order_by(_ISSUE.c.id)
        .limit(50)
    )
    compiled = query.compile(ledger.engine, compile_kwargs={"literal_binds": True})

    def run() -> list[Any]:
        with ledger.engine.connect() as c:
            cursor = c.connection.cursor()
            cursor.execute(str(compiled))
            return cursor.fetchall()

    return run


def sql_dashboard(ledger: Any) -> Any:
    import datetime as dt

    today = ledger.today()
    start = (today - dt.timedelta(weeks=12)).isoformat()
    open_states = "('received','accepted','dispatched','rectifying','reopened')"
    queries = [
        f"SELECT channel, date(received_at), count(*) FROM report WHERE received_at >= '{start}' "
        "GROUP BY channel, date(received_at)",
        f"SELECT count(*), sum(CASE WHEN due_on < '{today}' THEN 1 ELSE 0 END) FROM issue WHERE state IN {open_states}",
        f"SELECT problem_type, count(*) FROM issue WHERE state IN {open_states} GROUP BY problem_type",
        f"SELECT stage, count(*) FROM issue WHERE state IN {open_states} GROUP BY stage",
        "SELECT count(completed_on_time), sum(CASE WHEN completed_on_time THEN 1 ELSE 0 END) FROM issue",
    ]

    def run() -> list[Any]:
        out = []
        with ledger.engine.connect() as c:
            cursor = c.connection.cursor()
            for q in queries:
                cursor.execute(q)
                out.append(cursor.fetchall())
        return out

    return run


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'console.db'}"
        ledger = build(url, args.rows)
        ledger.users.add(
            username="bench-banner",
            display_name="压测",
            password=PASSWORD,
            role="staff",
            center="banner",
        )
        app = create_app(ledger, WebSettings(secret_key="b" * 48, secure_cookies=False))
        with TestClient(app, follow_redirects=False) as client:
            page = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            client.post(
                "/login",
                data={"csrf_token": token, "username": "bench-banner", "password": PASSWORD},
            )

            def get(path: str) -> Any:
                def run() -> Any:
                    response = client.get(path)
                    assert response.status_code == 200, response.text[:500]
                    return response

                return run

            pages = [
                (
                    "overdue view, one township",
                    get("/console?view=overdue&center=wushenzhao"),
                    sql_overdue(ledger, "wushenzhao"),
                ),
                ("dashboard, every center", get("/console/dashboard"), sql_dashboard(ledger)),
            ]
            worst = 0.0
            for name, page_run, sql_run in pages:
                page_time, _ = best(page_run, args.runs)
                sql_time, _ = best(sql_run, args.runs)
                ratio = page_time / sql_time
                worst = max(worst, ratio)
                print(
                    f"{name:28s} page {page_time * 1000:8.1f} ms   SQL {sql_time * 1000:8.1f} ms   ratio {ratio:5.2f}"
                )
        ledger.close()
    print(f"worst ratio {worst:.2f} (target <= 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

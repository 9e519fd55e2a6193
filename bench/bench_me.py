"""The supervisor's "my reports" page (/me/reports) on a ledger of 1,000,000 issues, against its SQL.

The ledger is built as in bench_ledger.py (seven centers, 700 supervisors, issues in every
state), plus one supervisor with exactly 1,000 issues. That supervisor has a session (as a
one-time code gives), and the page is timed through the whole web
application in-process (the session cookie checked in the ledger, the supervisor looked
up, a page of their issues, the template), best of several runs, interleaved with the
page's SQL run on the driver's cursor of the same database, as the page sends it: the
session by its token's digest joined with its supervisor in office and their contacts (one
query), then the newest 50 of their issues. The first page and a page deep in the list
(``?before=``) are both timed.

Target: within 2x of its SQL, through the in-process client (``--check``). Two more numbers are
printed beside it: an empty request through the same client (``/healthz``: the HTTP
client's own cost, which no page goes below), and the application alone, one ASGI call with
no HTTP client (what the page costs a server beyond reading and writing the socket).

    python bench/bench_me.py [--rows N] [--database URL] [--runs K] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

from bench_ledger import best, build
from starlette.testclient import TestClient

from supervision_web import WebSettings, create_app

LIMIT = 2.0
MINE = 1_000
PHONE = "13904770701"


def add_supervisor_with_issues(ledger: Any, start_id: int, count: int) -> int:
    """Supervisor 701 of 乌审召镇, with ``count`` issues, ids from ``start_id``."""
    now = dt.datetime.now(dt.UTC)
    sqlite = ledger.engine.dialect.name == "sqlite"
    with ledger.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO supervisor (id, name, center_code, origin, status, created_at) "
                "VALUES (701, '千件监督员', 'wushenzhao', 'experience_officer', 'active', :at)"
            ),
            {"at": now.replace(tzinfo=None) if sqlite else now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO supervisor_identity (supervisor_id, kind, value, raw) "
                "VALUES (701, 'phone', :p, :p)"
            ),
            {"p": PHONE},
        )
        rows = []
        for n in range(count):
            i = start_id + n
            at = now - dt.timedelta(hours=count - n)
            rows.append(
                {
                    "id": i,
                    "ext": f"me{i}",
                    "at": at.replace(tzinfo=None) if sqlite else at,
                    "number": f"wushenzhao-me-{i:07d}",
                    "state": ("received", "dispatched", "completed", "closed")[n % 4],
                    "due": ledger.today() + dt.timedelta(days=(n % 30) - 15) if n % 4 < 2 else None,
                }
            )
        conn.execute(
            sa.text(
                "INSERT INTO report (id, channel, external_id, center_code, received_at, sender_kind, "
                "sender_value, text, supervisor_id, status, issue_id, stored_at) VALUES (:id, 'me', "
                ":ext, 'wushenzhao', :at, 'register', '701', '窗口办事慢', 701, 'filed', :id, :at)"
            ),
            rows,
        )
        conn.execute(
            sa.text(
                "INSERT INTO issue (id, number, center_code, report_id, supervisor_id, received_at, text, "
                "state, due_on, due_confirmed, extensions, progress_count, reopen_count, unit_code, "
                "problem_type) VALUES (:id, :number, 'wushenzhao', :id, 701, :at, '窗口办事慢', :state, "
                ":due, true, 0, 0, 0, 'window', 'slow')"
            ),
            rows,
        )
        conn.execute(sa.text("ANALYZE"))
    return 701


def get_plain(client: Any, path: str) -> Any:
    """An in-process request that does nothing (``/healthz``): the floor of any page."""

    def run() -> Any:
        return client.get(path)

    return run


def page_sql(ledger: Any, token_digest: str, before: int | None) -> Any:
    """The page's own SQL, as the page sends it: the session with its supervisor and contacts
    (one joined query), then a page of issues.

    Until 2026-12-02 (round two) this ran the session, the supervisor and the contacts as
    three queries; the page has sent one joined query since round one, so the baseline
    now sends that one (the same rows, nothing less, nothing more).
    """
    from supervision_core.store.rows import ISSUE, SUMMARY_COLUMNS

    issues = sa.select(*SUMMARY_COLUMNS).where(ISSUE.c.supervisor_id == 701)
    if before is not None:
        issues = issues.where(ISSUE.c.id < before)
    issues = issues.order_by(ISSUE.c.id.desc()).limit(50)
    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    queries = [
        "SELECT s.id, s.last_seen_at, supervisor.*, i.kind, i.raw FROM supervisor_session s "
        "JOIN supervisor ON supervisor.id = s.supervisor_id "
        "LEFT OUTER JOIN supervisor_identity i ON i.supervisor_id = supervisor.id "
        f"WHERE s.token_hash = '{token_digest}' AND s.revoked_at IS NULL AND s.expires_at > '{now}' "
        "AND supervisor.status = 'active' ORDER BY i.id",
        str(issues.compile(ledger.engine, compile_kwargs={"literal_binds": True})),
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


def asgi_get(app: Any, path: str, cookies: dict[str, str]) -> Any:
    """The application alone: one ASGI call on an event loop of this thread, no HTTP client.

    What the page costs a server (uvicorn) beyond parsing the request and writing the
    socket; the in-process client (httpx through a portal thread) is not in it.
    """
    raw, _, query = path.partition("?")
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": raw, "raw_path": raw.encode(), "query_string": query.encode(),
        "root_path": "", "headers": [(b"host", b"testserver"), (b"cookie", cookie)],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }  # fmt: skip
    loop = asyncio.new_event_loop()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def timed() -> float:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        started = time.perf_counter()
        await app(dict(scope), receive, send)
        elapsed = time.perf_counter() - started
        assert sent[0]["status"] == 200, sent
        assert b"".join(m.get("body", b"") for m in sent[1:]).count(b'class="me-number"') == 50
        return elapsed

    def run() -> float:
        return loop.run_until_complete(timed())

    run.close = loop.close  # type: ignore[attr-defined]
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if a ratio exceeds {LIMIT}")
    args = parser.parse_args()
    from supervision_core.rules.sign_in import token_digest

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'me.db'}"
        ledger = build(url, args.rows - MINE)
        add_supervisor_with_issues(ledger, args.rows - MINE + 1, MINE)
        app = create_app(ledger, WebSettings(secret_key="m" * 48, secure_cookies=False))
        # Signed in as the code would (tests/web/test_me.py signs in with a code).
        token = ledger.start_supervisor_session(701, via="bench").token
        with TestClient(app, follow_redirects=False, cookies={"supdesk_me": token}) as client:
            deep = args.rows - MINE // 2  # an issue id halfway through their list

            def get(path: str) -> Any:
                def run() -> Any:
                    response = client.get(path)
                    assert response.status_code == 200, response.text[:500]
                    assert response.text.count('class="me-number"') == 50
                    return response

                return run

            get("/me/reports")()  # the web desk's session cookie (its CSRF token) is set
            jar = {name: value for name, value in client.cookies.items()}
            cases = [
                ("my reports, newest 50 of 1,000", "/me/reports", page_sql(ledger, token_digest(token), None)),
                ("my reports, a page deep in the list", f"/me/reports?before={deep}",
                 page_sql(ledger, token_digest(token), deep)),
            ]  # fmt: skip
            floor_run = get_plain(client, "/healthz")
            worst = 0.0
            for name, path, sql_run in cases:
                page_run, alone_run = get(path), asgi_get(app, path, jar)
                page_time = sql_time = floor = alone = float("inf")
                for _ in range(args.runs):  # interleaved: all see the same noise
                    page_time = min(page_time, best(page_run, 1)[0])
                    sql_time = min(sql_time, best(sql_run, 1)[0])
                    floor = min(floor, best(floor_run, 1)[0])
                    alone = min(alone, alone_run())
                alone_run.close()
                ratio = page_time / sql_time
                worst = max(worst, ratio)
                print(
                    f"{name:38s} page {page_time * 1000:7.2f} ms   SQL {sql_time * 1000:7.2f} ms   "
                    f"ratio {ratio:5.2f}\n{'':38s} (an empty request {floor * 1000:.2f} ms, beyond "
                    f"it {(page_time - floor) / sql_time:.2f}x; the application alone, no HTTP "
                    f"client: {alone * 1000:.2f} ms, {alone / sql_time:.2f}x)"
                )
        ledger.close()
    print(f"worst ratio {worst:.2f} through the in-process client (target {LIMIT})")
    return 1 if args.check and worst > LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())

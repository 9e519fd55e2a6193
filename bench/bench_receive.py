"""Filing one report at a time: ``Ledger.receive`` against the database's own limit.

The baseline is the durable single-row commit rate of the same database on the same
disk: one INSERT of a report-shaped row and one COMMIT, with the ledger's own SQLite
settings (WAL, synchronous=NORMAL), on the driver's cursor. ``Ledger.receive`` does
everything a live channel needs on top of that: the duplicate-delivery check, the
sender's match and status, the screening checks, a duplicate candidate look-up, the
issue number, the report, the issue, its first event, the screening deadline and the
notice to the supervisor, in one transaction. The two are measured alternately, in
rounds, and the ratio of the rates is printed with its target (>= 0.25).

    python bench/bench_receive.py [--reports 2000] [--rounds 5] [--profile]
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
from pathlib import Path

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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'ledger.db'}"
        with open_ledger(url, settings=demo_settings(), create=True) as ledger:
            load_demo(ledger)
            ledger_rate(ledger, 200, -1000)  # warm up: caches, statements, the first page
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                ledger_rate(ledger, args.reports, -100_000)
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
                return
            raws, ours = [], []
            for r in range(args.rounds):
                raws.append(raw_rate(work / "raw.db", args.reports, r * args.reports))
                ours.append(ledger_rate(ledger, args.reports, r * args.reports))
        ratios = [o / w for o, w in zip(ours, raws, strict=True)]
    print(f"Filing one report at a time, SQLite, {args.rounds} rounds of {args.reports}")
    print(f"  raw single-row commit   {statistics.median(raws):9,.0f} rows/s (median)")
    print(f"  Ledger.receive          {statistics.median(ours):9,.0f} reports/s (median)")
    print(
        f"  ours / raw rate         {statistics.median(ratios):9.2f}"
        f"   (rounds {min(ratios):.2f}-{max(ratios):.2f}; target >= {TARGET})"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()

"""Exporting the ledger: our streamed workbook against the bare XLSX writer (XlsxWriter).

Builds N issues (default 1,000,000; bench_ledger's data), exports them with
``export_ledger`` (masking, labels, neutralising, styles, a sheet per center), and
writes the same number of 26-column rows with XlsxWriter's constant-memory mode and
nothing else. Prints rows per second as a ratio, and the export's peak memory (VmHWM) measured
in a child process.

    python bench/bench_export.py [--rows N]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def bare(path: Path, rows: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("ledger")
    row = [
        "wushenzhao-b-0000001",
        "2026-03-02 09:00",
        "张*",
        "亲身办",
        "受理",
        "窗口工作人员",
        "办事慢",
        "窗口办事慢，来回跑",
        "综合窗口",
        "受理",
        "",
        "限时整改",
        "综合窗口",
        "高娃",
        "措施",
        "2026-03-16",
        "",
        "",
        "",
        "",
        "",
        "",
        "否",
        "",
        "",
        "整改中",
    ]
    for n in range(rows):
        sheet.write_row(n, 0, row)
    book.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # the measured export, in its own process
        from supervision_core import get_plugin_manager, open_ledger
        from supervision_core.demo import demo_settings
        from supervision_core.documents.ledger_workbook import export_ledger

        ledger = open_ledger(
            f"sqlite:///{args.child}",
            settings=demo_settings(),
            plugin_manager=get_plugin_manager(load_entrypoints=False),
        )
        started = time.perf_counter()
        count = export_ledger(ledger, Path(args.child).with_suffix(".xlsx"))
        elapsed = time.perf_counter() - started
        peak = re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)  # type: ignore[union-attr]
        print(count, elapsed, int(peak) / 1024)
        return 0
    import bench_ledger

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ledger.db"
        bench_ledger.build(f"sqlite:///{db}", args.rows).close()
        started = time.perf_counter()
        bare(Path(tmp) / "bare.xlsx", args.rows)
        bare_s = time.perf_counter() - started
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(db)],
            capture_output=True,
            text=True,
            check=True,
        )
        count, ours_s, peak = out.stdout.split()
        ours = float(ours_s)
        print(f"bare XlsxWriter:      {args.rows / bare_s:10,.0f} rows/s")
        print(f"export_ledger:        {int(count) / ours:10,.0f} rows/s  ({int(count):,} rows)")
        print(f"ratio (ours / bare):  {bare_s / ours:10.2f}")
        print(f"peak memory of the export: {float(peak):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

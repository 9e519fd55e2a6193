"""How fast ``supdesk`` starts: its commands' process wall time against bare imports.

Each row runs in a fresh interpreter, the way a person or a script runs ``supdesk``:

- ``supdesk --help`` against ``python -c "import click"`` (the least any Click program
  pays): target within 3x;
- ``supdesk issues list`` on the demo ledger (SQLite, made by ``supdesk init --demo``
  in a temporary folder) against ``python -c "import sqlalchemy"`` (the least any
  command that reads the ledger pays): target within 3x.

Rounds are interleaved (baseline, command, baseline, command ...) and the medians are
compared; this machine is shared and noisy, so read the ratios, not the times. The
heavy libraries each command imported are listed, since they are what moves the ratio.

    python bench/bench_cli.py [--rounds 9] [--check]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 3.0

SUPDESK = "from supervision_core.cli import main; main()"  # what the console script runs

# Libraries a command should load only when it needs them.
HEAVY = (
    "alembic",
    "argon2",
    "docx",
    "fpdf",
    "httpx",
    "jinja2",
    "matplotlib",
    "numpy",
    "openpyxl",
    "pydantic",
    "sqlalchemy",
    "sqlmodel",
    "starlette",
    "telegram",
    "uvicorn",
)

LOADED = """
import runpy, sys
sys.argv = ["supdesk", *sys.argv[1:]]
try:
    runpy.run_module("supervision_core.cli", run_name="__main__")
except SystemExit:
    pass
heavy = {heavy!r}
sys.stderr.write("LOADED " + " ".join(sorted(set(heavy) & set(sys.modules))) + "\\n")
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(argv: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process, start to exit (output discarded)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def loaded(args: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    """The heavy libraries ``supdesk ARGS`` imports."""
    code = LOADED.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("LOADED")][-1]
    return line.removeprefix("LOADED").strip() or "(none)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9, help="runs of each process")
    parser.add_argument("--check", action="store_true", help="exit 1 above the target")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        env = {**os.environ, "SUPDESK_DATABASE_URL": f"sqlite:///{here / 'supdesk.db'}"}
        env.pop("SUPDESK_CONFIG", None)
        # An installed program runs from compiled bytecode; so do both sides here,
        # cached in the temporary folder rather than beside the sources.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(here / "pycache")
        subprocess.run(
            [sys.executable, "-c", SUPDESK, "init", "--demo"],
            cwd=here,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        rows = [
            ("supdesk --help", ["--help"], "import click"),
            ("supdesk issues list", ["issues", "list"], "import sqlalchemy"),
        ]
        print(
            f"CLI start-up, median of {options.rounds} runs each (target: wall time <= {TARGET:g}x)"
        )
        failed = False
        for label, args, baseline in rows:
            ours: list[tuple[float, float]] = []
            base: list[tuple[float, float]] = []
            for argv in ([sys.executable, "-c", baseline], [sys.executable, "-c", SUPDESK, *args]):
                wall(argv, cwd=here, env=env)  # compile, and warm the file caches
            for _ in range(options.rounds):
                base.append(wall([sys.executable, "-c", baseline], cwd=here, env=env))
                ours.append(wall([sys.executable, "-c", SUPDESK, *args], cwd=here, env=env))
            ours_wall, ours_cpu = (statistics.median(x) for x in zip(*ours, strict=True))
            base_wall, base_cpu = (statistics.median(x) for x in zip(*base, strict=True))
            ratio = ours_wall / base_wall
            failed |= ratio > TARGET
            print(f"{label}, against python -c {baseline!r}")
            print(
                f"  wall  {ours_wall * 1000:6.0f} ms / {base_wall * 1000:4.0f} ms = {ratio:5.2f}x"
            )
            print(
                f"  cpu   {ours_cpu * 1000:6.0f} ms / {base_cpu * 1000:4.0f} ms = {ours_cpu / base_cpu:5.2f}x"
            )
            print(f"  heavy imports: {loaded(args, cwd=here, env=env)}")
    if options.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""The documentation is kept honest: hooks documented exactly, tested, and examples run."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from supervision_core import SHANGHAI, hookspecs

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _hooks() -> list[str]:
    return sorted(n for n in dir(hookspecs) if n.startswith("supervision_"))


def _signature(name: str) -> str:
    annotations = dict(getattr(hookspecs, name).__annotations__)
    returns = annotations.pop("return")
    params = ", ".join(f"{k}: {v}" for k, v in annotations.items())
    return f"{name}({params}) -> {returns}"


def test_every_hook_has_the_prefix() -> None:
    specs = [
        n
        for n in dir(hookspecs)
        if callable(getattr(hookspecs, n))
        and hasattr(getattr(hookspecs, n), "supervision_desk_spec")
    ]
    assert specs and all(n.startswith("supervision_") for n in specs)
    assert sorted(specs) == _hooks()


@pytest.mark.parametrize("hook", _hooks())
def test_every_hook_is_documented_with_its_exact_signature(hook: str) -> None:
    text = (DOCS / "plugin_hooks.md").read_text(encoding="utf-8")
    assert f"## {_signature(hook)}\n" in text


@pytest.mark.parametrize("hook", _hooks())
def test_every_hook_has_a_test(hook: str) -> None:
    tests = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    assert f"def test_hook_{hook}(" in tests


@pytest.mark.parametrize("hook", _hooks())
def test_every_hook_spec_has_a_docstring_saying_when_and_what(hook: str) -> None:
    doc = getattr(hookspecs, hook).__doc__ or ""
    assert "Called" in doc and ("Return" in doc or "return" in doc)


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_embedding_example_runs(tmp_path: Path) -> None:
    (example,) = [b for b in _python_blocks(DOCS / "embedding.md") if "open_ledger(" in b]
    assert 20 <= len(example.strip().splitlines()) <= 50
    script = tmp_path / "example.py"
    script.write_text(example, encoding="utf-8")
    for _ in range(2):  # as a reader would: twice in a row, in the same folder
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "TZ": "UTC"},
        )
        assert done.returncode == 0, done.stderr
        assert "限时整改" not in done.stdout  # prints the state label, not the track
        assert "整改中" in done.stdout and "监督员评价" in done.stdout
        # Every time printed is Asia/Shanghai's, whatever the machine's zone.
        now = dt.datetime.now(SHANGHAI)
        stamps = re.findall(r"^(\d{4}-\d{2}-\d{2} \d{2}):\d{2} ", done.stdout, re.M)
        assert stamps, done.stdout
        assert all(
            abs(dt.datetime.strptime(s, "%Y-%m-%d %H").replace(tzinfo=SHANGHAI) - now)
            < dt.timedelta(hours=2)
            for s in stamps
        ), (stamps, now)


def test_writing_plugins_walkthrough_matches_the_township_package() -> None:
    text = (DOCS / "writing_plugins.md").read_text(encoding="utf-8")
    package = ROOT / "plugins" / "supervision-township-wushenzhao"
    pyproject = (package / "pyproject.toml").read_text(encoding="utf-8")
    assert (
        '[project.entry-points.supervision_desk]\nwushenzhao = "supervision_township_wushenzhao"'
        in pyproject
    )
    assert (
        '[project.entry-points.supervision_desk]\nwushenzhao = "supervision_township_wushenzhao"'
        in text
    )
    for block in _python_blocks(DOCS / "writing_plugins.md"):
        compile(block, "writing_plugins.md", "exec")


def _packages() -> list[str]:
    """Every package under src/, dotted: top-level packages and their subpackages."""
    src = ROOT / "src"
    return sorted(".".join(init.parent.relative_to(src).parts) for init in src.rglob("__init__.py"))


def test_architecture_names_every_package() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    packages = _packages()
    assert {"supervision_core", "supervision_core.model", "channels.phone"} <= set(packages)
    missing = [p for p in packages if f"`{p}`" not in text]
    assert missing == [], "docs/architecture.md does not name these packages"


def test_architecture_names_every_layering_contract() -> None:
    import tomllib

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ids = [c["id"] for c in config["tool"]["importlinter"]["contracts"]]
    assert ids and [i for i in ids if f"`{i}`" not in text] == []


def test_architecture_tells_how_a_report_flows_in_and_a_notice_out() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    flow = text[text.index("## How a report flows") :]
    for step in (
        "ledger.receive(report)",
        "supervision_match_sender",
        "outbox",
        "supervision_report_received",
        "deliver_notices()",
        "notifier.deliver",
    ):
        assert step in flow, step

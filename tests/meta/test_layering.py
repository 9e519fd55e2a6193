"""The layering contracts of pyproject.toml: lint-imports really fails when one is broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")  # the dev extra installs it


def _contracts() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c["name"] for c in config["tool"]["importlinter"]["contracts"]}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of every root package the contracts name, with the project's configuration."""
    src = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__", "static", "templates")
    for package in (ROOT / "src").iterdir():
        if package.is_dir() and (package / "__init__.py").exists():
            shutil.copytree(package, src / package.name, ignore=skip)
    for package in (ROOT / "plugins").glob("*/src/*"):
        if (package / "__init__.py").exists():
            shutil.copytree(package, src / package.name, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(tree: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS.exists(), "install the dev extra: import-linter provides lint-imports"
    args = [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")]
    for contract in contracts:
        args += ["--contract", contract]
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}  # the copy, not the project
    return subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True, check=False)


def test_every_contract_has_an_id_and_a_name() -> None:
    contracts = _contracts()
    assert {"layers", "public-api", "pure-core", "no-core-cycles"} <= set(contracts)
    assert all(contracts.values())


def test_lint_imports_fails_when_the_model_imports_the_store(tree: Path) -> None:
    kept = _lint(tree, "pure-core")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    (tree / "src" / "supervision_core" / "model" / "probe.py").write_text(
        '"""A value module that reaches for the database: what the contract forbids."""\n\n'
        "import supervision_core.store.engine\n",
        encoding="utf-8",
    )
    broken = _lint(tree, "pure-core")
    assert broken.returncode != 0
    assert f"{_contracts()['pure-core']} BROKEN" in broken.stdout
    assert "supervision_core.model.probe -> supervision_core.store.engine" in broken.stdout


def test_lint_imports_fails_when_a_channel_imports_a_private_core_module(tree: Path) -> None:
    kept = _lint(tree, "public-api")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    (tree / "src" / "channels" / "probe.py").write_text(
        '"""A channel module that skips the public API."""\n\n'
        "from supervision_core.ledger import Ledger\n",
        encoding="utf-8",
    )
    broken = _lint(tree, "public-api")
    assert broken.returncode != 0
    assert f"{_contracts()['public-api']} BROKEN" in broken.stdout
    assert "channels.probe -> supervision_core.ledger" in broken.stdout


def test_scripts_test_runs_lint_imports() -> None:
    lines = (ROOT / "scripts" / "test").read_text(encoding="utf-8").splitlines()
    commands = [line.split()[0] for line in lines if line.startswith(".venv/bin/")]
    assert commands.index(".venv/bin/lint-imports") == commands.index(".venv/bin/mypy") + 1

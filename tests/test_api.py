"""The public API and the layering: plugins and channels use supervision_core's __all__ only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import supervision_core

ROOT = Path(__file__).resolve().parent.parent


def test_all_is_sorted_and_complete() -> None:
    names = supervision_core.__all__
    consts = [n for n in names if n.isupper()]
    classes = [n for n in names if not n.isupper() and n[0].isupper()]
    funcs = [n for n in names if n[0].islower()]
    assert names == sorted(consts) + sorted(classes) + sorted(funcs)
    for name in names:
        assert hasattr(supervision_core, name), name


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names)
    return found


def test_plugins_and_channels_import_only_the_public_api() -> None:
    allowed = set(supervision_core.__all__)
    sources = list((ROOT / "plugins").glob("*/src/**/*.py")) + list(
        (ROOT / "src" / "channels").rglob("*.py")
    )
    assert sources
    for path in sources:
        for module, names in _imports(path):
            if module == "supervision_core":
                assert set(names) <= allowed, (path, set(names) - allowed)
            else:
                assert not module.startswith("supervision_core."), (path, module)


def test_the_core_never_imports_channels_or_plugins() -> None:
    for path in (ROOT / "src" / "supervision_core").rglob("*.py"):
        for module, _ in _imports(path):
            assert not module.startswith(
                ("channels", "supervision_township", "supervision_notifier")
            ), (path, module)


def test_names_load_on_first_use() -> None:
    """The reading process of a large import needs a few values, not the database."""
    code = (
        "import sys, supervision_core, channels.phone.reader; "
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'openpyxl') if m in sys.modules)); "
        "supervision_core.Ledger; print('sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True"]
    assert set(supervision_core.__all__) <= set(dir(supervision_core))

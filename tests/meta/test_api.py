"""The public API: one list in tiers, documented, lazily loaded, and the only way in."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import types
from pathlib import Path

import supervision_core

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
INIT = ROOT / "src" / "supervision_core" / "__init__.py"

#: The tiers of supervision_core._API and the headings that document them in docs/api.md.
TIER_HEADINGS = {"embedding": "## For embedding", "plugins": "## For plugin authors"}
#: The documented helpers for plugins that add commands (docs/api.md).
CLI_HEADING = "## supervision_core.cli"


def test_all_is_sorted_and_complete() -> None:
    names = supervision_core.__all__
    consts = [n for n in names if n.isupper()]
    classes = [n for n in names if not n.isupper() and n[0].isupper()]
    funcs = [n for n in names if n[0].islower()]
    assert names == sorted(consts) + sorted(classes) + sorted(funcs)
    for name in names:
        assert hasattr(supervision_core, name), name


def test_all_is_derived_from_the_one_list_in_tiers() -> None:
    api = supervision_core._API
    assert set(api) == set(TIER_HEADINGS)
    listed = [name for modules in api.values() for names in modules.values() for name in names]
    assert len(listed) == len(set(listed)), "a name is exported twice"
    assert set(listed) == set(supervision_core.__all__)
    for modules in api.values():
        for module, names in modules.items():
            for name in names:  # each name really lives where the list says
                value = getattr(supervision_core, name)
                source = sys.modules[f"supervision_core.{module}"]
                assert getattr(source, name) is value, (module, name)


def _type_checking_imports() -> dict[str, str]:
    """``name -> module`` of the imports under ``if TYPE_CHECKING:`` in __init__.py."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    (block,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
    ]
    found: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.unparse(node)
        for alias in node.names:
            assert alias.asname == alias.name, f"re-export as `{alias.name} as {alias.name}`"
            found[alias.name] = node.module.removeprefix("supervision_core.")
    return found


def test_type_checking_imports_agree_with_the_list() -> None:
    """The imports type checkers read name exactly the exported names, from the same modules."""
    assert _type_checking_imports() == supervision_core._EXPORTS


def test_nothing_else_is_importable_from_the_root() -> None:
    for name in supervision_core.__all__:
        getattr(supervision_core, name)  # load everything first
    namespace = vars(supervision_core)
    submodules = {
        n
        for n, v in namespace.items()
        if isinstance(v, types.ModuleType) and v.__name__ == f"supervision_core.{n}"
    }
    # pytest's assertion rewriting adds "@py_builtins": not a name anyone can import
    public = {n for n in namespace if n.isidentifier() and not n.startswith("_")} - submodules
    assert public == set(supervision_core.__all__)
    dunders = {n for n in dir(supervision_core) if n.startswith("__") or not n.isidentifier()}
    assert set(dir(supervision_core)) == set(supervision_core.__all__) | dunders | submodules
    for gone in ("emit", "current_ledger", "json_option", "link_code_hash", "importlib"):
        assert not hasattr(supervision_core, gone), gone


def _section(text: str, heading: str) -> str:
    start = text.index(f"{heading}")
    following = text.find("\n## ", start + len(heading))
    return text[start : following if following != -1 else len(text)]


def _documented(section: str) -> set[str]:
    """The names a section documents: list items starting with a `name`."""
    return set(re.findall(r"^- `([A-Za-z_][A-Za-z0-9_]*)`", section, re.M))


def test_every_exported_name_is_documented_in_its_tier() -> None:
    text = API_DOC.read_text(encoding="utf-8")
    for tier, heading in TIER_HEADINGS.items():
        exported = {n for names in supervision_core._API[tier].values() for n in names}
        documented = _documented(_section(text, heading))
        assert exported - documented == set(), f"undocumented in {heading}"
        assert documented - exported == set(), f"documented in {heading} but not exported there"


def test_the_command_helpers_are_documented_and_exist() -> None:
    import supervision_core.cli as cli

    helpers = _documented(_section(API_DOC.read_text(encoding="utf-8"), CLI_HEADING))
    assert helpers == {
        "CENTER",
        "DATE",
        "UNIT",
        "actor_option",
        "current_ledger",
        "emit",
        "json_option",
        "resolve_actor",
        "wants_json",
    }
    for name in helpers:
        assert callable(getattr(cli, name)), name


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names)
    return found


def test_plugins_channels_web_and_daemon_import_only_the_public_api() -> None:
    """Names from the root's __all__, or the documented command helpers; no private module."""
    allowed = set(supervision_core.__all__)
    helpers = _documented(_section(API_DOC.read_text(encoding="utf-8"), CLI_HEADING))
    sources = [
        *(ROOT / "plugins").glob("*/src/**/*.py"),
        *(ROOT / "src" / "channels").rglob("*.py"),
        *(ROOT / "src" / "supervision_web").rglob("*.py"),
        *(ROOT / "src" / "supervision_daemon").rglob("*.py"),
    ]
    assert len(sources) > 10
    for path in sources:
        for module, names in _imports(path):
            if module == "supervision_core":
                assert set(names) <= allowed, (path, set(names) - allowed)
            elif module == "supervision_core.cli":
                assert set(names) <= helpers, (path, set(names) - helpers)
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

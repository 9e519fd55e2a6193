"""Names imported on first use, so a command loads only the store modules it needs.

``Outbox = Lazy("supervision_core.store.outbox:Outbox")`` stands for the class:
calling it, or resolving an attribute taken from it (``Outbox.entries``), imports the
module then. The ledger names its store modules this way (with the real imports under
``TYPE_CHECKING`` for mypy): every store module imports the table classes it uses, and
building them all was a quarter of ``supdesk issues list``'s start-up (bench/bench_cli.py).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Lazy", "resolve"]


class Lazy:
    """A module (``"pkg.mod"``) or a name in one (``"pkg.mod:Class.method"``), not imported yet."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __getattr__(self, name: str) -> Lazy:
        if name.startswith("__"):
            raise AttributeError(name)
        return Lazy(f"{self.path}{'.' if ':' in self.path else ':'}{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return resolve(self)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Lazy({self.path!r})"


def resolve(value: Any) -> Any:
    """What a :class:`Lazy` stands for, imported now; any other value as it is."""
    if not isinstance(value, Lazy):
        return value
    module, _, names = value.path.partition(":")
    found: Any = importlib.import_module(module)
    for name in names.split(".") if names else ():
        found = getattr(found, name)
    return found

"""Facade methods that are store methods: the :class:`Via` descriptor of the ledger.

``accept = Via("_issues", Issues.accept)`` in a class body makes ``ledger.accept`` the
store method bound to ``ledger._issues``, with its signature (checked by mypy through a
ParamSpec) and its docstring. A method named lazily (:class:`~supervision_core.lazy.Lazy`)
is imported on its first call, so a command loads only the store modules it uses.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from supervision_core.lazy import Lazy, resolve

__all__ = ["Via"]

P = ParamSpec("P")
R = TypeVar("R")
PartT = TypeVar("PartT")


class Via(Generic[PartT, P, R]):
    """A facade method that is a store method: ``accept = Via("_issues", Issues.accept)``.

    On a ledger, ``ledger.accept`` is ``Issues.accept`` bound to ``ledger._issues``:
    the same signature (checked by mypy through the ParamSpec) and the same docstring.
    """

    def __init__(self, part: str, method: Callable[Concatenate[PartT, P], R]) -> None:
        self.part = part
        self.method = method
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, ledger: None, owner: type[Any]) -> Via[PartT, P, R]: ...
    @overload
    def __get__(self, ledger: object, owner: type[Any]) -> Callable[P, R]: ...
    def __get__(self, ledger: object | None, owner: type[Any]) -> Any:
        if ledger is None:
            return self
        method = self.method
        if isinstance(method, Lazy):  # the store module is imported on first use
            method = self.method = resolve(method)
            self.__doc__ = method.__doc__
        return types.MethodType(method, getattr(ledger, self.part))

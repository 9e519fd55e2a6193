"""What filing looks up for every report, kept per process while the database says it holds.

Who owns an identity, a supervisor's status, term and addresses, and the enabled webhook
subscriptions with the centers' levels change rarely, and every report reads them
(bench/bench_receive.py). They are kept here, in the process, under the value of the
one-row table ``catalog_version``, which triggers on ``center``, ``supervisor``,
``supervisor_identity`` and ``webhook`` bump in the same transaction as any change to
them (migration 0028) — whoever makes it, in this process or another, through the ORM or
not. Each use reads the version (one indexed row): a different value starts an empty
catalog, filled again as reports need it. There is no time-to-live to wait out.

A state is never emptied in place: a thread still filing with the old one fills the old
dictionaries, never the new.
"""

from __future__ import annotations

import datetime as dt
import threading

import attrs
import sqlalchemy as sa
from sqlmodel import Session

from supervision_core.model.centers import CenterLevel
from supervision_core.model.supervisors import Identity
from supervision_core.model.webhooks import Webhook
from supervision_core.store.driver import Statement
from supervision_core.store.tables import CatalogVersionRow, table_of

__all__ = ["Catalog", "CatalogState"]

_VERSION_TABLE = table_of(CatalogVersionRow)
_VERSION = Statement(sa.select(_VERSION_TABLE.c.value).where(_VERSION_TABLE.c.id == 1))


@attrs.define(eq=False)
class CatalogState:
    """The look-ups made under one version of the catalog."""

    version: int | None
    identities: dict[tuple[str, str], int | None] = attrs.Factory(dict)
    supervisors: dict[int, tuple[str, str | None] | None] = attrs.Factory(dict)
    terms: dict[int, tuple[dt.date | None, dt.date | None]] = attrs.Factory(dict)
    addresses: dict[int, tuple[Identity, ...]] = attrs.Factory(dict)
    #: The enabled subscriptions and every center's level, once read.
    webhooks: tuple[list[Webhook], dict[str, CenterLevel]] | None = None


class Catalog:
    """The process's catalog of one database."""

    def __init__(self) -> None:
        self._state = CatalogState(version=None)
        self._lock = threading.Lock()

    def state(self, s: Session, *, pin: bool = False) -> CatalogState:
        """The catalog as of ``s``'s database now: the kept one if the version is unchanged.

        With ``pin`` the state is kept in ``s`` and returned without a second look for
        the rest of its life: for a session that changes none of the catalog's tables
        (filing, store/intake.py), so its steps read the version once.
        """
        pinned: CatalogState | None = s.info.get("supdesk_catalog")
        if pinned is not None:
            return pinned
        version = _VERSION.scalar(s, {})
        with self._lock:
            if version is None or self._state.version != version:
                # No version row (a database not migrated yet): nothing is kept.
                self._state = CatalogState(version=version)
            state = self._state
        if pin:
            s.info["supdesk_catalog"] = state
        return state

"""Leases: which process runs a single-reader job (a mailbox, a bot) right now."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa

from supervision_core.store.bulk import insert_or_skip
from supervision_core.store.tables import LeaseRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.session import Database


class Leases:
    """Named leases with a holder and an expiry."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def acquire_lease(self, name: str, holder: str, *, seconds: float) -> bool:
        """Hold the single-reader job ``name`` for ``seconds`` (or renew it); whether we do.

        A lease that its holder stopped renewing (it died) is taken over once expired.
        """
        now = self.db.clock()
        until = now + dt.timedelta(seconds=seconds)
        lease = table_of(LeaseRow)
        insert = insert_or_skip(self.db.engine, lease, "name")
        # Core: INSERT ... ON CONFLICT DO NOTHING has no ORM spelling; a lease must be atomic.
        with self.db.engine.begin() as connection:
            connection.execute(insert, {"name": name, "holder": holder, "expires_at": until})
            taken = connection.execute(
                sa.update(lease)
                .where(
                    lease.c.name == name,
                    sa.or_(lease.c.holder == holder, lease.c.expires_at < now),
                )
                .values(holder=holder, expires_at=until)
            ).rowcount
        return bool(taken)

    def release_lease(self, name: str, holder: str) -> None:
        """Give a lease up (on a clean stop), so another instance need not wait it out."""
        lease = table_of(LeaseRow)
        with self.db.engine.begin() as connection:
            connection.execute(
                sa.delete(lease).where(lease.c.name == name, lease.c.holder == holder)
            )

    def held(self) -> list[tuple[str, str, dt.datetime]]:
        """Every lease: (name, holder, expires at)."""
        lease = table_of(LeaseRow)
        with self.db.engine.connect() as connection:
            rows = connection.execute(sa.select(lease.c.name, lease.c.holder, lease.c.expires_at))
            return [(r[0], r[1], r[2]) for r in rows]

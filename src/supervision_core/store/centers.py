"""Centers and their units: kept in step with ``supdesk.toml``, cached for pages."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import select

from supervision_core.errors import InvalidInput, NotFound
from supervision_core.model.centers import Center, CenterLevel, Unit
from supervision_core.store.tables import CenterRow, UnitRow

if TYPE_CHECKING:
    from supervision_core.store.session import Database


class Centers:
    """The centers and units of the ledger."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cached: tuple[float, list[Center]] | None = None
        #: Raised whenever this process changes centers or units: what is kept of them
        #: elsewhere (the ledger's vocabulary) is built again.
        self.generation = 0

    def sync_centers(self) -> None:
        """Make the database's centers and units match the configuration.

        Centers and units are added or renamed, never deleted: issues refer to them.
        """
        self._cached = None
        self.generation += 1
        if not self.db.settings.centers:
            return
        with self.db.session() as s:
            for cs in self.db.settings.centers:
                row = s.get(CenterRow, cs.center.code)
                if row is None:
                    s.add(
                        CenterRow(code=cs.center.code, name=cs.center.name, level=cs.center.level)
                    )
                else:
                    row.name, row.level = cs.center.name, cs.center.level.value
                s.flush()
                for unit in cs.units:
                    urow = s.exec(
                        select(UnitRow).where(
                            UnitRow.center_code == unit.center, UnitRow.code == unit.code
                        )
                    ).first()
                    if urow is None:
                        s.add(UnitRow(center_code=unit.center, code=unit.code, name=unit.name))
                    else:
                        urow.name, urow.active = unit.name, True
            s.commit()

    def centers(self) -> list[Center]:
        """Every center in the ledger, the banner center first."""
        # Centers change only when the configuration is synced (at start), so pages that
        # ask on every request are answered from memory; a center added to the database
        # by another process is seen after a moment.
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > 60:
            with self.db.session() as s:
                rows = s.exec(select(CenterRow)).all()
            centers = [Center(code=r.code, name=r.name, level=r.level) for r in rows]
            centers.sort(key=lambda c: (c.level is not CenterLevel.BANNER, c.code))
            self._cached = (now, centers)
        return list(self._cached[1])

    def center(self, code: str) -> Center:
        """The center ``code``, or :class:`NotFound`."""
        return require_center(self.db, code)

    def units(self, center: str | None = None) -> list[Unit]:
        """The units of ``center``, or of every center."""
        with self.db.session() as s:
            query = select(UnitRow).where(UnitRow.active == True)  # noqa: E712
            if center:
                query = query.where(UnitRow.center_code == center)
            rows = s.exec(query.order_by(UnitRow.center_code, UnitRow.code)).all()
        return [Unit(center=r.center_code, code=r.code, name=r.name) for r in rows]

    def add_unit(self, unit: Unit) -> Unit:
        """Add a unit to its center (units may also come from ``supdesk.toml``)."""
        self.center(unit.center)
        self.generation += 1
        with self.db.session() as s:
            s.add(UnitRow(center_code=unit.center, code=unit.code, name=unit.name))
            try:
                s.commit()
            except sa.exc.IntegrityError as exc:
                msg = f"中心 {unit.center} 已有代码为 {unit.code} 的单位"
                raise InvalidInput(msg) from exc
        return unit


def require_center(db: Database, code: str) -> Center:
    """The center ``code``, or :class:`NotFound` naming the centers there are.

    Shared by the store modules that record something of a center (year, briefing).
    """
    with db.session() as s:
        row = s.get(CenterRow, code)
        if row is None:
            rows = s.exec(select(CenterRow.code, CenterRow.level)).all()
            # Listed as Centers.centers lists them: the banner center first.
            codes = sorted(rows, key=lambda r: (r[1] != CenterLevel.BANNER.value, r[0]))
            known = "、".join(c for c, _ in codes) or "（无，请检查 supdesk.toml）"
            msg = f"没有代码为 {code!r} 的服务中心；已有：{known}"
            raise NotFound(msg)
        return Center(code=row.code, name=row.name, level=row.level)

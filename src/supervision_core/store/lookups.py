"""What intake looks up for every report: centers, identities, supervisors' status.

Statements are built once, with bind parameters: building and coercing a statement for
every report cost more than running it (bench/bench_walk_in.py, one report a request).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs
import sqlalchemy as sa
from sqlmodel import Session, select

from supervision_core.model.centers import Center
from supervision_core.model.supervisors import Identity
from supervision_core.store.catalog import CatalogState
from supervision_core.store.driver import Statement
from supervision_core.store.tables import (
    CenterRow,
    CounterRow,
    EventRow,
    IdentityRow,
    IssueRow,
    ReportRow,
    SupervisorRow,
    table_of,
)

if TYPE_CHECKING:
    pass

_REPORT: sa.Table = table_of(ReportRow)
_ISSUE: sa.Table = table_of(IssueRow)
_EVENT: sa.Table = table_of(EventRow)
_CENTER = table_of(CenterRow)
_SUPERVISOR = table_of(SupervisorRow)
_IDENTITY = table_of(IdentityRow)
_COUNTER = table_of(CounterRow)
_CENTERS = sa.select(_CENTER.c.code, _CENTER.c.name, _CENTER.c.level)
_ONE_CENTER = Statement(_CENTERS.where(_CENTER.c.code == sa.bindparam("code")))
_IDENTITY_OWNER = Statement(
    sa.select(_IDENTITY.c.supervisor_id).where(
        _IDENTITY.c.kind == sa.bindparam("kind"), _IDENTITY.c.value == sa.bindparam("value")
    )
)
# A supervisor's status and the identities notices go to, in one look-up.
_STATUS = Statement(
    sa.select(
        _SUPERVISOR.c.status,
        _SUPERVISOR.c.status_note,
        _IDENTITY.c.kind,
        _IDENTITY.c.raw,
        _SUPERVISOR.c.term_start,
        _SUPERVISOR.c.term_end,
    )
    .select_from(_SUPERVISOR.outerjoin(_IDENTITY, _IDENTITY.c.supervisor_id == _SUPERVISOR.c.id))
    .where(_SUPERVISOR.c.id == sa.bindparam("sid"))
    .order_by(_IDENTITY.c.id)
)
_ADDRESSES = Statement(
    sa.select(_IDENTITY.c.kind, _IDENTITY.c.raw).where(
        _IDENTITY.c.supervisor_id == sa.bindparam("sid")
    )
)
_EXISTING_COLUMNS = (
    sa.select(
        _REPORT.c.id,
        _REPORT.c.external_id,
        _REPORT.c.issue_id,
        _REPORT.c.quarantine_reason,
        _ISSUE.c.number,
        _ISSUE.c.possible_duplicate_of,
    )
    .select_from(_REPORT.outerjoin(_ISSUE, _ISSUE.c.id == _REPORT.c.issue_id))
    .where(_REPORT.c.channel == sa.bindparam("channel"))
)
# The stored reports among a channel's deliveries, and what became of each.
EXISTING_REPORTS = _EXISTING_COLUMNS.where(
    _REPORT.c.external_id.in_(sa.bindparam("ids", expanding=True))
)
# One delivery (a message, a form): a plain parameter, since an expanding one makes
# SQLAlchemy render the statement again on every execution.
EXISTING_REPORT = Statement(_EXISTING_COLUMNS.where(_REPORT.c.external_id == sa.bindparam("id")))


def _date(value: dt.date | str | None) -> dt.date | None:
    """A date column read by the driver (text on SQLite) or by SQLAlchemy."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


@attrs.define
class Lookups:
    """What one run of intake looks up for every report.

    An import loads everything once (``eager``); a single report looks up only what
    it needs, so taking one message in does not read every supervisor.
    """

    centers: dict[str, Center]
    identities: dict[tuple[str, str], int | None]
    supervisors: dict[int, tuple[str, str | None] | None]
    addresses: dict[int, tuple[Identity, ...]]
    eager: bool = False
    # Each supervisor's appointment term (聘期) as recorded: (start, end), either may be None.
    terms: dict[int, tuple[dt.date | None, dt.date | None]] = attrs.Factory(dict)
    candidates: dict[tuple[str, str, str], list[tuple[int, frozenset[str]]]] = attrs.Factory(dict)
    session: Session | None = None

    @classmethod
    def load(cls, s: Session, *, eager: bool = True) -> Lookups:
        centers = {
            code: Center(code=code, name=name, level=level)
            for code, name, level in s.connection().execute(_CENTERS)
        }
        lookups = cls(
            centers=centers, identities={}, supervisors={}, addresses={}, eager=eager, session=s
        )
        if not eager:
            return lookups
        addresses: dict[int, list[Identity]] = {}
        for ident in s.exec(select(IdentityRow)):
            lookups.identities[(ident.kind, ident.value)] = ident.supervisor_id
            addresses.setdefault(ident.supervisor_id, []).append(Identity(ident.kind, ident.raw))
        for r in s.exec(select(SupervisorRow)):
            if r.id is not None:
                lookups.supervisors[r.id] = (r.status, r.status_note)
                lookups.terms[r.id] = (r.term_start, r.term_end)
        lookups.addresses = {k: tuple(v) for k, v in addresses.items()}
        return lookups

    @classmethod
    def lazy(cls, centers: Iterable[Center], kept: CatalogState | None = None) -> Lookups:
        """Look-ups for a few reports: the centers known already, the rest as needed.

        With ``kept`` (the process's catalog, checked current) what is looked up is
        read from it and added to it, for the next reports.
        """
        if kept is None:
            kept = CatalogState(version=None)
        return cls(
            centers={c.code: c for c in centers},
            identities=kept.identities,
            supervisors=kept.supervisors,
            addresses=kept.addresses,
            terms=kept.terms,
        )

    def center(self, code: str) -> Center | None:
        """The center ``code``; one added since the centers were read is looked up."""
        if code not in self.centers and self.session is not None:
            row = _ONE_CENTER.first(self.session, {"code": code})
            if row is not None:
                self.centers[code] = Center(code=row[0], name=row[1], level=row[2])
        return self.centers.get(code)

    def _s(self) -> Session:
        assert self.session is not None
        return self.session

    def find_by_identity(self, kind: str, value: str) -> int | None:
        """The built-in matcher's look-up (``SupervisorDirectory``)."""
        key = (kind, value)
        if key not in self.identities and not self.eager:
            self.identities[key] = _IDENTITY_OWNER.scalar(self._s(), {"kind": kind, "value": value})
        return self.identities.get(key)

    def status(self, supervisor_id: int) -> tuple[str, str | None] | None:
        """A supervisor's status and its note, or ``None`` if there is no such supervisor."""
        if supervisor_id not in self.supervisors and not self.eager:
            rows = _STATUS.rows(self._s(), {"sid": supervisor_id})
            if rows:
                self.terms[supervisor_id] = (_date(rows[0][4]), _date(rows[0][5]))
            self.addresses[supervisor_id] = tuple(
                Identity(kind, raw) for _, _, kind, raw, _, _ in rows if kind is not None
            )
            # Written last: a supervisor known here has their term and addresses known too.
            self.supervisors[supervisor_id] = (rows[0][0], rows[0][1]) if rows else None
        return self.supervisors.get(supervisor_id)

    def term(self, supervisor_id: int) -> tuple[dt.date | None, dt.date | None]:
        """A supervisor's recorded term (start, end), after :meth:`status` looked them up."""
        return self.terms.get(supervisor_id, (None, None))

    def addresses_of(self, supervisor_id: int) -> tuple[Identity, ...]:
        """How to reach a supervisor, for the notices."""
        if supervisor_id not in self.addresses and not self.eager:
            self.addresses[supervisor_id] = tuple(
                Identity(kind, raw)
                for kind, raw in _ADDRESSES.rows(self._s(), {"sid": supervisor_id})
            )
        return self.addresses.get(supervisor_id, ())

"""The unit of work every store module shares: the database, a session, the event append.

A :class:`Database` holds what the ledger's aggregates need besides their own rows:
the engine, the settings, the plugin host, the clock and the working calendar. Its
``session()`` opens one transaction's session; :meth:`Database.append` is the one way
an event is added to an issue (apply it, write the row, queue its notices and webhook
posts), so every
step, whichever module takes it, records its history the same way.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlmodel import Session, select

from supervision_core.errors import InvalidInput, NotFound
from supervision_core.model.clock import local_date
from supervision_core.model.issues import EventKind, Issue, IssueEvent
from supervision_core.model.supervisors import Identity
from supervision_core.rules.lifecycle import apply_event
from supervision_core.store.catalog import Catalog
from supervision_core.store.notices import enqueue_notices
from supervision_core.store.rows import MAX_ROW_ID, IssueRef, get_row, issue_of, write_issue
from supervision_core.store.tables import EventRow, IdentityRow, IssueRow, SupervisorRow
from supervision_core.store.webhooks import enqueue_webhooks

if TYPE_CHECKING:
    from supervision_core.config import Settings
    from supervision_core.plugins import PluginHost
    from supervision_core.rules.workdays import WorkCalendar

__all__ = ["Database"]


class Database:
    """The ledger's database and what its steps depend on, shared by every store module.

    ``clock`` and ``host`` may be replaced after construction (the demo moves the
    clock; tests swap the plugins): modules read them here on every call.
    """

    def __init__(
        self,
        engine: sa.Engine,
        *,
        settings: Settings,
        host: PluginHost,
        clock: Callable[[], dt.datetime],
        calendar: WorkCalendar,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.host = host
        self.clock = clock
        self.calendar = calendar
        self.limits = settings.time_limits
        # Character bigrams of recent issues' texts (immutable once filed), by issue id:
        # each new report is compared with up to 20 of them.
        self.bigram_cache: dict[tuple[int, str], frozenset[str]] = {}
        # Identities, supervisors' status and webhook subscriptions, kept while the
        # database's catalog version holds (store/catalog.py).
        self.catalog = Catalog()
        # SQLite has one writer at a time and makes the others sleep and retry; threads
        # of one process (the daemon's channels, the web desk) queue here instead.
        self.write_lock: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )
        self._filing: sa.Connection | None = None

    @contextmanager
    def filing_session(self) -> Iterator[Session]:
        """A session for filing reports; on SQLite, call it holding ``write_lock`` only.

        On SQLite filing has one writer at a time anyway, so its sessions share one kept
        connection instead of taking one from the pool and handing it back (with its
        rollback) for every report: a fast path measured by bench/bench_receive.py.
        """
        if self.engine.dialect.name != "sqlite":
            with self.session() as session:
                yield session
            return
        if self._filing is None or self._filing.closed or self._filing.invalidated:
            self._filing = self.engine.connect()
        with Session(bind=self._filing, expire_on_commit=False) as session:
            yield session

    def close(self) -> None:
        """Close the connection kept for filing (the engine's pool is the ledger's)."""
        if self._filing is not None:
            self._filing.close()
            self._filing = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one unit of work; objects stay readable after its commit."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def today(self) -> dt.date:
        """Today in Asia/Shanghai, by the clock."""
        return local_date(self.clock())

    def issue_row(self, s: Session, ref: IssueRef, *, lock: bool = False) -> IssueRow:
        """The row of issue ``ref`` (id or number), locked for update if asked; or NotFound."""
        query = select(IssueRow)
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):
            if not 0 <= int(ref) <= MAX_ROW_ID:  # no such id; the database would refuse it
                raise NotFound(f"没有编号为 {ref} 的问题")
            query = query.where(IssueRow.id == int(ref))
        else:
            query = query.where(IssueRow.number == ref)
        if lock:
            query = query.with_for_update()
        row = s.exec(query).first()
        if row is None:
            msg = f"没有编号为 {ref} 的问题"
            raise NotFound(msg)
        return row

    def supervisor_row(self, s: Session, supervisor_id: int) -> SupervisorRow:
        """The row of supervisor ``supervisor_id``, or NotFound."""
        return get_row(s, SupervisorRow, supervisor_id, f"没有编号为 {supervisor_id} 的监督员")

    def append(
        self,
        s: Session,
        row: IssueRow,
        kind: EventKind,
        actor: str,
        note: str | None,
        data: dict[str, Any],
        at: dt.datetime,
    ) -> tuple[Issue, IssueEvent]:
        """Add an event to the issue in ``row``, in ``s``'s transaction, with its notices.

        The event is applied by the lifecycle rules (which refuse a step the state does
        not allow), the row rewritten, the event stored and the notices and webhook posts
        it causes queued.
        """
        if not actor.strip():
            msg = "必须说明由谁操作（actor）"
            raise InvalidInput(msg)
        assert row.id is not None
        event = IssueEvent(kind=kind, at=at, actor=actor, note=note, data=data)
        issue = apply_event(issue_of(row), event)
        event_row = EventRow(
            issue_id=row.id, kind=kind.value, at=at, actor=actor, note=note, data=dict(data)
        )
        s.add(event_row)
        write_issue(row, issue)
        s.add(row)
        s.flush()
        event = attrs.evolve(event, id=event_row.id)
        identities = s.exec(
            select(IdentityRow).where(IdentityRow.supervisor_id == issue.supervisor_id)
        ).all()
        addresses = {
            issue.supervisor_id: tuple(Identity(kind=i.kind, value=i.raw) for i in identities)
        }
        enqueue_notices(self.settings, s, [(issue, event)], addresses, at)
        enqueue_webhooks(s, [(issue, event)], at, self.catalog)
        return issue, event

"""Taking reports in, one at a time or by the hundred thousand, through one path.

``Ledger.receive`` and ``Ledger.receive_many`` both come here. Reports are taken in
chunks, one transaction a chunk: what is looked up again and again (centers,
identities, supervisors' status, duplicate candidates) is loaded once per run, and
rows are written with executemany. A report is acknowledged only once its chunk has
committed; plugins are told after that.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlmodel import Session, select

from supervision_core.model.centers import Center
from supervision_core.model.clock import local_date
from supervision_core.model.issues import OPEN_STATES, EventKind, Issue, IssueEvent
from supervision_core.model.notifications import notices_for
from supervision_core.model.reports import (
    IntakeResult,
    QuarantinedReport,
    QuarantineReason,
    Report,
    ReportHints,
    Sender,
)
from supervision_core.model.supervisors import Identity, SupervisorStatus
from supervision_core.rules.deadlines import due_after
from supervision_core.rules.lifecycle import apply_event
from supervision_core.model.screening import ScreeningProposal
from supervision_core.rules.similarity import bigrams
from supervision_core.store.staging import BULK_COLUMNS, STAGE_TABLE, BulkQuarantine, read_stage
from supervision_core.store.tables import (
    AttachmentRow,
    CenterRow,
    CounterRow,
    EventRow,
    IdentityRow,
    IssueRow,
    OutboxRow,
    ProposalRow,
    ReportRow,
    SupervisorRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.ledger import Ledger

_REPORT: sa.Table = table_of(ReportRow)
_ISSUE: sa.Table = table_of(IssueRow)
_EVENT: sa.Table = table_of(EventRow)
_OPEN = [s.value for s in OPEN_STATES]
# Most recent open issues a new report is compared with, per (center, type, place).
# A flag is advice for the operator; bounding it keeps a large import linear.
_CANDIDATES = 20
_BIGRAM_CACHE = 20_000

# Statements built once, with bind parameters: building and coercing a statement for
# every report cost more than running it (bench/bench_walk_in.py, one report a request).
_CENTER = table_of(CenterRow)
_SUPERVISOR = table_of(SupervisorRow)
_IDENTITY = table_of(IdentityRow)
_COUNTER = table_of(CounterRow)
_CENTERS = sa.select(_CENTER.c.code, _CENTER.c.name, _CENTER.c.level)
_ONE_CENTER = _CENTERS.where(_CENTER.c.code == sa.bindparam("code"))
_IDENTITY_OWNER = sa.select(_IDENTITY.c.supervisor_id).where(
    _IDENTITY.c.kind == sa.bindparam("kind"), _IDENTITY.c.value == sa.bindparam("value")
)
# A supervisor's status and the identities notices go to, in one look-up.
_STATUS = (
    sa.select(_SUPERVISOR.c.status, _SUPERVISOR.c.status_note, _IDENTITY.c.kind, _IDENTITY.c.raw)
    .select_from(_SUPERVISOR.outerjoin(_IDENTITY, _IDENTITY.c.supervisor_id == _SUPERVISOR.c.id))
    .where(_SUPERVISOR.c.id == sa.bindparam("sid"))
    .order_by(_IDENTITY.c.id)
)
_ADDRESSES = sa.select(_IDENTITY.c.kind, _IDENTITY.c.raw).where(
    _IDENTITY.c.supervisor_id == sa.bindparam("sid")
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
_EXISTING = _EXISTING_COLUMNS.where(_REPORT.c.external_id.in_(sa.bindparam("ids", expanding=True)))
# One delivery (a message, a form): a plain parameter, since an expanding one makes
# SQLAlchemy render the statement again on every execution.
_EXISTING_ONE = _EXISTING_COLUMNS.where(_REPORT.c.external_id == sa.bindparam("id"))
_BUMP = (
    sa.update(_COUNTER)
    .where(
        _COUNTER.c.center_code == sa.bindparam("b_center"),
        _COUNTER.c.year == sa.bindparam("b_year"),
    )
    .values(value=_COUNTER.c.value + sa.bindparam("b_count"))
    .returning(_COUNTER.c.value)
)
_CANDIDATE_QUERY = (
    sa.select(_ISSUE.c.id, _ISSUE.c.text)
    .where(
        _ISSUE.c.center_code == sa.bindparam("center"),
        _ISSUE.c.state.in_(_OPEN),
        _ISSUE.c.problem_type == sa.bindparam("problem_type"),
        sa.or_(
            _ISSUE.c.venue == sa.bindparam("place"),
            _ISSUE.c.unit_hint == sa.bindparam("place"),
            _ISSUE.c.unit_code == sa.bindparam("place"),
        ),
    )
    .order_by(_ISSUE.c.id.desc())
    .limit(_CANDIDATES)
)
_LINK_REPORT = (
    sa.update(_REPORT)
    .where(_REPORT.c.id == sa.bindparam("rid"))
    .values(issue_id=sa.bindparam("iid"))
)
_WRITE_LOCK = sa.text("UPDATE issue_counter SET value = value WHERE 0")
_MAX_IDS = ("report", "issue", "issue_event")
_ALL_MAX_IDS = sa.select(
    *(sa.select(sa.func.max(t.c.id)).scalar_subquery() for t in (_REPORT, _ISSUE, _EVENT))
)
_NEXT_IDS = sa.text(
    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
)
_EAGER = 50  # reports in a chunk from which loading every identity at once pays


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
        lookups.addresses = {k: tuple(v) for k, v in addresses.items()}
        return lookups

    @classmethod
    def lazy(cls, centers: Iterable[Center]) -> Lookups:
        """Look-ups for a few reports: the centers known already, the rest as needed."""
        return cls(
            centers={c.code: c for c in centers}, identities={}, supervisors={}, addresses={}
        )

    def center(self, code: str) -> Center | None:
        """The center ``code``; one added since the centers were read is looked up."""
        if code not in self.centers and self.session is not None:
            row = self.session.connection().execute(_ONE_CENTER, {"code": code}).first()
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
            self.identities[key] = (
                self._s().connection().execute(_IDENTITY_OWNER, {"kind": kind, "value": value})
            ).scalar()
        return self.identities.get(key)

    def status(self, supervisor_id: int) -> tuple[str, str | None] | None:
        """A supervisor's status and its note, or ``None`` if there is no such supervisor."""
        if supervisor_id not in self.supervisors and not self.eager:
            rows = self._s().connection().execute(_STATUS, {"sid": supervisor_id}).all()
            self.supervisors[supervisor_id] = (rows[0][0], rows[0][1]) if rows else None
            self.addresses[supervisor_id] = tuple(
                Identity(kind, raw) for _, _, kind, raw in rows if kind is not None
            )
        return self.supervisors.get(supervisor_id)

    def addresses_of(self, supervisor_id: int) -> tuple[Identity, ...]:
        """How to reach a supervisor, for the notices."""
        if supervisor_id not in self.addresses and not self.eager:
            self.addresses[supervisor_id] = tuple(
                Identity(kind, raw)
                for kind, raw in self._s().connection().execute(_ADDRESSES, {"sid": supervisor_id})
            )
        return self.addresses.get(supervisor_id, ())


@attrs.frozen
class Filing:
    """A stored report about to become an issue."""

    report_id: int
    channel: str
    center: str
    received_at: dt.datetime
    subject: str | None
    text: str
    hints: ReportHints
    supervisor_id: int
    proposals: tuple[tuple[str, ScreeningProposal], ...] = ()

    @classmethod
    def of(cls, ledger: Ledger, report_id: int, report: Report, supervisor_id: int) -> Filing:
        """The filing of a stored ``report``, with the screening checks' proposals."""
        return cls(
            report_id=report_id,
            channel=report.channel,
            center=report.center,
            received_at=report.received_at,
            subject=report.subject,
            text=report.text,
            hints=report.hints,
            supervisor_id=supervisor_id,
            proposals=tuple(ledger.host.screen(report)),
        )


def _hint_values(hints: ReportHints) -> dict[str, Any]:
    return {
        "method": hints.method,
        "stage": hints.stage,
        "topic": hints.topic,
        "problem_type": hints.problem_type,
        "venue": hints.venue,
        "unit_hint": hints.unit,
    }


def _chunks(items: Iterable[Report], size: int) -> Iterator[list[Report]]:
    chunk: list[Report] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def receive_many(
    ledger: Ledger,
    reports: Iterable[Report],
    *,
    batch_id: int | None,
    chunk_size: int,
    dry_run: bool = False,
) -> Iterator[IntakeResult]:
    """Take reports in, yielding one result per report, in order.

    With ``dry_run`` every check runs and every row is written, then each chunk is
    rolled back instead of committed: the results say exactly what would happen.
    """
    lookups: Lookups | None = None
    for chunk in _chunks(reports, chunk_size):
        for attempt in range(2):
            if lookups is None:
                if len(chunk) >= _EAGER:
                    with ledger._session() as s:
                        lookups = Lookups.load(s, eager=True)
                else:
                    # A few reports (a message, a form): no session just to read centers.
                    lookups = Lookups.lazy(ledger.centers())
            try:
                with ledger.write_lock:
                    results, told = _receive_chunk(ledger, chunk, lookups, batch_id, dry_run)
            except sa.exc.IntegrityError:
                # Another worker stored some of these deliveries meanwhile: look again.
                lookups = None
                if attempt:
                    raise
                continue
            if not dry_run:
                _tell(ledger, chunk, told)
            yield from results
            break


def _existing(s: Session, chunk: Sequence[Report]) -> dict[tuple[str, str], IntakeResult]:
    found: dict[tuple[str, str], IntakeResult] = {}
    by_channel: dict[str, set[str]] = {}
    for report in chunk:
        by_channel.setdefault(report.channel, set()).add(report.external_id)
    connection = s.connection()
    for channel, ids in by_channel.items():
        if len(ids) == 1:
            (only,) = ids
            rows = connection.execute(_EXISTING_ONE, {"channel": channel, "id": only})
        else:
            rows = connection.execute(_EXISTING, {"channel": channel, "ids": sorted(ids)})
        for rid, ext, issue_id, reason, number, dup in rows:
            if issue_id is not None:
                result = IntakeResult(
                    report_id=rid,
                    issue_id=issue_id,
                    issue_number=number,
                    duplicate_delivery=True,
                    possible_duplicate_of=dup,
                )
            else:
                result = IntakeResult(
                    report_id=rid,
                    quarantine_id=rid,
                    quarantine_reason=QuarantineReason(reason or "unparseable"),
                    duplicate_delivery=True,
                )
            found[(channel, ext)] = result
    return found


def _classify(
    ledger: Ledger, report: Report, lookups: Lookups
) -> tuple[int | None, QuarantineReason | None, str | None]:
    if report.quarantine is not None:
        detail = report.quarantine_detail
        return None, report.quarantine, detail
    center = lookups.center(report.center)
    if center is None:
        return None, QuarantineReason.UNKNOWN_CENTER, f"中心代码 {report.center!r} 未配置"
    supervisor_id = ledger.host.match_sender(sender=report.sender, center=center, directory=lookups)
    if supervisor_id is None:
        return (
            None,
            QuarantineReason.UNMATCHED_SENDER,
            (f"{report.sender.kind.value}:{report.sender.value} 未登记"),
        )
    status = lookups.status(supervisor_id)
    if status is None:
        return (
            None,
            QuarantineReason.UNMATCHED_SENDER,
            f"插件给出的监督员编号 {supervisor_id} 不存在",
        )
    if status[0] == SupervisorStatus.SUSPENDED:
        return supervisor_id, QuarantineReason.SUSPENDED_SENDER, status[1]
    if status[0] == SupervisorStatus.REVOKED:
        return supervisor_id, QuarantineReason.REVOKED_SENDER, status[1]
    return supervisor_id, None, None


@attrs.define
class _Told:
    """What plugins are to be told once the chunk has committed."""

    received: list[tuple[int, IntakeResult, Issue, IssueEvent]] = attrs.Factory(list)
    quarantined: list[tuple[int, QuarantinedReport]] = attrs.Factory(list)


def _receive_chunk(
    ledger: Ledger, chunk: list[Report], lookups: Lookups, batch_id: int | None, dry_run: bool
) -> tuple[list[IntakeResult], _Told]:
    now = ledger.clock()
    results: list[IntakeResult | None] = [None] * len(chunk)
    told = _Told()
    with ledger._session() as s:
        lookups.session = s
        existing = _existing(s, chunk)
        first: dict[tuple[str, str], int] = {}
        fresh: list[int] = []
        repeats: list[tuple[int, int]] = []
        for i, report in enumerate(chunk):
            key = (report.channel, report.external_id)
            if key in existing:
                results[i] = existing[key]
            elif key in first:
                repeats.append((i, first[key]))
            else:
                first[key] = i
                fresh.append(i)
        decisions = {i: _classify(ledger, chunk[i], lookups) for i in fresh}
        follow_ups = _follow_ups(s, chunk, fresh, decisions)
        rows = []
        for i in fresh:
            report, (supervisor_id, reason, detail) = chunk[i], decisions[i]
            rows.append(
                {
                    "channel": report.channel,
                    "external_id": report.external_id,
                    "center_code": report.center,
                    "received_at": report.received_at,
                    "sender_kind": report.sender.kind.value,
                    "sender_value": report.sender.value,
                    "sender_name": report.sender.display_name,
                    "subject": report.subject,
                    "text": report.text,
                    **_hint_values(report.hints),
                    "supervisor_id": supervisor_id,
                    "status": "quarantined"
                    if reason
                    else ("attached" if i in follow_ups else "filed"),
                    "quarantine_reason": reason.value if reason else None,
                    "quarantine_detail": detail,
                    "issue_id": None,
                    "batch_id": batch_id,
                    "resolved_by": None,
                    "resolved_note": None,
                    "stored_at": now,
                }
            )
        to_file = [
            n for n, i in enumerate(fresh) if decisions[i][1] is None and i not in follow_ups
        ]
        # Reserving issue numbers is the first write, and takes SQLite's write lock:
        # ids read after it cannot be taken by another writer.
        numbers = _numbers_for(
            s, [(chunk[fresh[n]].center, chunk[fresh[n]].received_at) for n in to_file]
        )
        if not to_file:
            _take_write_lock(s)
        report_ids = _allocate_ids(s, _REPORT, len(rows))
        issue_ids = _allocate_ids(s, _ISSUE, len(to_file))
        for row, rid in zip(rows, report_ids, strict=True):
            row["id"] = rid
        for n, iid in zip(to_file, issue_ids, strict=True):
            rows[n]["issue_id"] = iid
        for n, i in enumerate(fresh):
            if i in follow_ups:
                rows[n]["issue_id"] = follow_ups[i]
        bulk_insert(s, _REPORT, rows)
        attachments = [
            _attachment(rid, a)
            for rid, i in zip(report_ids, fresh, strict=True)
            for a in chunk[i].attachments
        ]
        bulk_insert(s, table_of(AttachmentRow), attachments)
        filings: list[tuple[int, Filing]] = []
        for rid, i in zip(report_ids, fresh, strict=True):
            report, (supervisor_id, reason, detail) = chunk[i], decisions[i]
            if reason is not None:
                q = QuarantinedReport.of(rid, report, reason, detail)
                results[i] = IntakeResult(
                    report_id=rid, quarantine_id=rid, quarantine_reason=reason
                )
                told.quarantined.append((i, q))
                continue
            assert supervisor_id is not None
            if i in follow_ups:
                target = s.get(IssueRow, follow_ups[i], with_for_update=True)
                assert target is not None
                data = {"report_id": rid, "channel": report.channel}
                issue, event = ledger._append(
                    s, target, EventKind.SUPPLEMENTED, "system:intake", None, data, now
                )
                result = IntakeResult(
                    report_id=rid, issue_id=issue.id, issue_number=issue.number, supplement=True
                )
                results[i] = result
                told.received.append((i, result, issue, event))
                # The event went in by the ORM: ids counted on from before are stale.
                s.info.pop("supdesk_top_ids", None)
                continue
            filings.append((i, Filing.of(ledger, rid, report, supervisor_id)))
        filed = file_issues(
            ledger,
            s,
            [f for _, f in filings],
            lookups,
            now,
            locked=True,
            numbers=numbers,
            ids=issue_ids,
        )
        for (i, filing), (issue, event) in zip(filings, filed, strict=True):
            result = IntakeResult(
                report_id=filing.report_id,
                issue_id=issue.id,
                issue_number=issue.number,
                possible_duplicate_of=issue.possible_duplicate_of,
            )
            results[i] = result
            told.received.append((i, result, issue, event))
        if dry_run:
            s.rollback()
            lookups.candidates.clear()  # they may hold issues that were never committed
        else:
            s.commit()
    for i, j in repeats:
        original = results[j]
        assert original is not None
        results[i] = attrs.evolve(original, duplicate_delivery=True)
    return [r for r in results if r is not None], told


_FOLLOWED = sa.select(_ISSUE.c.id, _ISSUE.c.center_code, _ISSUE.c.supervisor_id).where(
    _ISSUE.c.number == sa.bindparam("number")
)


def _follow_ups(
    s: Session,
    chunk: list[Report],
    fresh: list[int],
    decisions: dict[int, tuple[int | None, QuarantineReason | None, str | None]],
) -> dict[int, int]:
    """The reports that follow up an issue of their own sender, with that issue's id."""
    found: dict[int, int] = {}
    for i in fresh:
        report, (supervisor_id, reason, _) = chunk[i], decisions[i]
        if report.follows_up is None or reason is not None:
            continue
        row = s.connection().execute(_FOLLOWED, {"number": report.follows_up}).first()
        # Only the same supervisor's issue in the same center: a reply cannot be used
        # to write into somebody else's issue.
        if row is not None and row[1] == report.center and row[2] == supervisor_id:
            found[i] = row[0]
    return found


def _tell(ledger: Ledger, chunk: list[Report], told: _Told) -> None:
    for i, q in told.quarantined:
        ledger.host.report_quarantined(report=chunk[i], quarantined=q)
    for i, result, issue, event in told.received:
        ledger.host.report_received(report=chunk[i], result=result)
        ledger.host.issue_changed(issue=issue, event=event)


def _attachment(report_id: int, attachment: Any) -> dict[str, Any]:
    return {
        "report_id": report_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "content": attachment.content,
    }


_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


def _sqlite_converter(column: sa.Column[Any]) -> Any:
    """How one column's values must be changed before the driver sees them, or None."""
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.DateTime):
        return lambda v: v.astimezone(dt.UTC).strftime(_SQLITE_TIME)
    if isinstance(kind, sa.Date):
        return dt.date.isoformat
    if isinstance(kind, sa.JSON):
        return json.dumps
    if isinstance(kind, sa.Boolean):
        return int
    return None


@functools.cache
def _sqlite_insert(table: sa.Table, names: tuple[str, ...]) -> tuple[str, list[tuple[int, Any]]]:
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    converters = [
        (i, convert)
        for i, name in enumerate(names)
        if (convert := _sqlite_converter(table.c[name])) is not None
    ]
    return sql, converters


def bulk_insert(s: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) in one executemany.

    On SQLite the rows go straight to the driver, converted as SQLAlchemy would
    store them: its per-row parameter processing cost more than the insert itself
    (bench/bench_phone_import.py). Elsewhere SQLAlchemy's executemany is used.
    """
    if not rows:
        return
    if s.get_bind().dialect.name != "sqlite":
        s.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    sql, converters = _sqlite_insert(table, tuple(names))
    pick = operator.itemgetter(*names)
    params = []
    for row in rows:
        values = list(pick(row))
        for i, convert in converters:
            if values[i] is not None:
                values[i] = convert(values[i])
        params.append(tuple(values))
    s.connection().exec_driver_sql(sql, params)


def _take_write_lock(s: Session) -> None:
    """On SQLite, start writing now, so ids read next cannot be taken by another writer."""
    if s.get_bind().dialect.name == "sqlite":
        s.connection().execute(_WRITE_LOCK)


def _allocate_ids(s: Session, table: sa.Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, so rows go in by plain executemany.

    (With RETURNING, SQLAlchemy inserts row by row on SQLite to keep the order.)
    PostgreSQL takes them from the table's sequence; SQLite, under the write lock,
    after the largest id in use.
    """
    if count == 0:
        return []
    if s.get_bind().dialect.name == "postgresql":
        rows = s.connection().execute(_NEXT_IDS, {"table": table.name, "n": count})
        return [r[0] for r in rows]
    # Under the write lock, the largest ids of the three tables intake writes are read
    # in one statement, once a transaction; later allocations count on from there.
    transaction = s.get_transaction()
    held = s.info.get("supdesk_top_ids")
    if held is None or held[0] is not transaction:
        held = s.info["supdesk_top_ids"] = (transaction, {})
    top: dict[str, int | None] = held[1]
    if table.name not in top:
        if table.name in _MAX_IDS:
            top.update(zip(_MAX_IDS, s.connection().execute(_ALL_MAX_IDS).one(), strict=True))
        else:
            top[table.name] = s.connection().execute(sa.select(sa.func.max(table.c.id))).scalar()
    first = (top[table.name] or 0) + 1
    top[table.name] = first + count - 1
    return list(range(first, first + count))


def _numbers_for(s: Session, places: list[tuple[str, dt.datetime]]) -> list[str]:
    """Issue numbers for reports of these (center, received at), in order."""
    years: dict[tuple[str, int], list[int]] = {}
    for n, (center, received_at) in enumerate(places):
        years.setdefault((center, local_date(received_at).year), []).append(n)
    numbers: list[str] = [""] * len(places)
    for (center, year), members in years.items():
        for n, number in zip(members, _reserve_numbers(s, center, year, len(members)), strict=True):
            numbers[n] = number
    return numbers


def _reserve_numbers(s: Session, center: str, year: int, count: int) -> list[str]:
    params = {"b_center": center, "b_year": year, "b_count": count}
    last = s.connection().execute(_BUMP, params).scalar()
    if last is None:
        try:
            with s.begin_nested():
                s.add(CounterRow(center_code=center, year=year, value=count))
            last = count
        except sa.exc.IntegrityError:
            last = s.connection().execute(_BUMP, params).scalar_one()
    return [f"{center}-{year}-{n:05d}" for n in range(last - count + 1, last + 1)]


def _duplicate_of(
    ledger: Ledger, s: Session, filing: Filing, lookups: Lookups, threshold: float
) -> tuple[int | None, float | None, tuple[str, str, str] | None, frozenset[str]]:
    grams = bigrams(filing.text)
    h = filing.hints
    place = h.venue or h.unit
    if not (h.problem_type and place):
        return None, None, None, grams  # the rule needs a type and a place to compare
    key = (filing.center, h.problem_type.value, place)
    if key not in lookups.candidates:
        params = {"center": filing.center, "problem_type": h.problem_type.value, "place": place}
        found = s.connection().execute(_CANDIDATE_QUERY, params)
        cache = ledger.bigram_cache
        candidates = []
        for iid, text in found:
            # Keyed by the text too: an id seen in a transaction that was rolled back
            # (a dry run) may come back with another text.
            grams_of = cache.get((iid, text))
            if grams_of is None:
                if len(cache) >= _BIGRAM_CACHE:
                    cache.clear()  # crude but bounded; refilled from the next queries
                grams_of = cache[(iid, text)] = bigrams(text)
            candidates.append((iid, grams_of))
        lookups.candidates[key] = candidates
    best_id, best = None, 0.0
    size = len(grams)
    if size:
        for iid, other in lookups.candidates[key]:
            if other:
                score = 2 * len(grams & other) / (size + len(other))
                if score >= threshold and score > best:
                    best_id, best = iid, score
    return best_id, None if best_id is None else round(best, 3), key, grams


def file_issues(
    ledger: Ledger,
    s: Session,
    filings: list[Filing],
    lookups: Lookups,
    now: dt.datetime,
    *,
    locked: bool = False,
    numbers: list[str] | None = None,
    ids: list[int] | None = None,
) -> list[tuple[Issue, IssueEvent]]:
    """Make issues of stored reports, with their first event, in the session's transaction.

    :param locked: the caller holds SQLite's write lock already (intake does)
    :param numbers: issue numbers reserved already, one per filing
    :param ids: issue ids allocated already, the reports stored with them
    """
    if not filings:
        return []
    link = ids is None  # intake writes reports already linked to the ids it allocated
    if numbers is None:
        numbers = _numbers_for(s, [(f.center, f.received_at) for f in filings])
    if not locked:
        _take_write_lock(s)
    if ids is None:
        ids = _allocate_ids(s, _ISSUE, len(filings))
    event_ids = _allocate_ids(s, _EVENT, len(filings))
    rows, events, filed = [], [], []
    for f, number, issue_id, event_id in zip(filings, numbers, ids, event_ids, strict=True):
        dup, score, key, grams = _duplicate_of(
            ledger, s, f, lookups, ledger.settings.duplicate_threshold
        )
        if key is not None:  # later reports, of this chunk too, are compared with this one
            recent = lookups.candidates[key]
            recent.insert(0, (issue_id, grams))
            del recent[_CANDIDATES:]
        due = due_after(f.received_at, ledger.limits.screening, ledger.calendar, ledger.limits)
        data: dict[str, Any] = {
            "channel": f.channel,
            "due_on": due.due_on.isoformat(),
            "due_confirmed": due.confirmed,
        }
        if dup is not None:
            data["possible_duplicate_of"] = dup
        seed = Issue(
            id=issue_id,
            number=number,
            center=f.center,
            report_id=f.report_id,
            supervisor_id=f.supervisor_id,
            received_at=f.received_at,
            subject=f.subject,
            text=f.text,
            hints=f.hints,
            possible_duplicate_of=dup,
        )
        event = IssueEvent(
            id=event_id, kind=EventKind.RECEIVED, at=now, actor="system:intake", data=data
        )
        # The issue is written as the first event leaves it: its deadline included.
        issue = apply_event(seed, event)
        filed.append((issue, event))
        rows.append(
            {
                "id": issue_id,
                "number": number,
                "center_code": f.center,
                "report_id": f.report_id,
                "supervisor_id": f.supervisor_id,
                "received_at": f.received_at,
                "subject": f.subject,
                "text": f.text,
                **_hint_values(f.hints),
                "state": issue.state.value,
                "due_on": issue.due_on,
                "due_confirmed": issue.due_confirmed,
                "extensions": 0,
                "progress_count": 0,
                "reopen_count": 0,
                "possible_duplicate_of": dup,
                "duplicate_score": score,
            }
        )
        events.append(
            {
                "id": event_id,
                "issue_id": issue_id,
                "kind": "received",
                "at": now,
                "actor": "system:intake",
                "note": None,
                "data": data,
            }
        )
    bulk_insert(s, _ISSUE, rows)
    if link:
        links = [{"rid": f.report_id, "iid": i} for f, i in zip(filings, ids, strict=True)]
        s.connection().execute(_LINK_REPORT, links)
    proposals = [
        {"issue_id": i, "check_name": name, "reason": p.reason.value, "evidence": p.evidence}
        for f, i in zip(filings, ids, strict=True)
        for name, p in f.proposals
    ]
    bulk_insert(s, table_of(ProposalRow), proposals)
    bulk_insert(s, _EVENT, events)
    enqueue_notices(
        ledger,
        s,
        filed,
        {i.supervisor_id: lookups.addresses_of(i.supervisor_id) for i, _ in filed},
        now,
    )
    return filed


def enqueue_notices(
    ledger: Ledger,
    s: Session,
    steps: list[tuple[Issue, IssueEvent]],
    addresses: dict[int, tuple[Identity, ...]],
    now: dt.datetime,
) -> None:
    """Write the notices these steps cause to the outbox, in the same transaction."""
    rows = []
    for issue, event in steps:
        center = ledger.settings.center(issue.center)
        if center is None or not center.notifiers:
            continue
        for notice in notices_for(issue, event, addresses.get(issue.supervisor_id, ())):
            for notifier in center.notifiers:
                rows.append(
                    {
                        "key": f"{notice.key}:{notifier}",
                        "issue_id": issue.id,
                        "center_code": notice.center,
                        "notifier": notifier,
                        "recipient_kind": notice.recipient_kind.value,
                        "recipient": notice.recipient,
                        "addresses": [
                            {"kind": a.kind.value, "value": a.value} for a in notice.addresses
                        ],
                        "subject": notice.subject,
                        "body": notice.body,
                        "created_at": now,
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                )
    bulk_insert(s, table_of(OutboxRow), rows)


_BULK_CONSTANTS = ("channel", "sender_kind", "status", "quarantine_reason", "batch_id", "stored_at")


def _literal(value: str | int | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def _bulk_sql(
    ledger: Ledger,
    channel: str,
    sender_kind: str,
    reason: QuarantineReason,
    batch_id: int | None,
    *,
    staged: bool = False,
) -> str:
    """The insert of one bulk call, what every row shares written into the statement.

    Then the rows go to the driver as they came (no tuple is built per row), or, with
    ``staged``, come from the attached file ``supdesk_stage`` without passing through
    Python at all.
    """
    dialect = ledger.engine.dialect.name
    stored_at = ledger.clock().astimezone(dt.UTC).strftime(_SQLITE_TIME)
    constants = (channel, sender_kind, "quarantined", reason.value, batch_id, stored_at)
    shared = [_literal(v) for v in constants]
    mark = "?" if dialect == "sqlite" else "%s"
    values = list(BULK_COLUMNS) if staged else [mark] * len(BULK_COLUMNS)
    if dialect != "sqlite":  # the UTC texts become timestamptz
        at = BULK_COLUMNS.index("received_at")
        values[at] = f"CAST({values[at]} AS TIMESTAMP) AT TIME ZONE 'UTC'"
        shared[-1] = f"CAST({shared[-1]} AS TIMESTAMP) AT TIME ZONE 'UTC'"
    columns = ", ".join(_BULK_CONSTANTS + BULK_COLUMNS)
    source = (
        f"SELECT {', '.join(shared + values)} FROM supdesk_stage.{STAGE_TABLE} WHERE true"
        if staged
        else f"VALUES ({', '.join(shared + values)})"
    )
    return f"INSERT INTO report ({columns}) {source} ON CONFLICT (channel, external_id) DO NOTHING"


def quarantine_many(
    ledger: Ledger,
    channel: str,
    sender_kind: str,
    reason: QuarantineReason,
    rows: Sequence[tuple[Any, ...]],
    *,
    batch_id: int | None,
    dry_run: bool = False,
) -> int:
    """Keep ``rows`` (:class:`BulkQuarantine`) in quarantine, in one transaction.

    A row whose ``(channel, external_id)`` is stored already is left alone, as
    :func:`receive_many` would. Returns how many rows were stored; with ``dry_run``,
    how many would have been (the transaction is rolled back).
    """
    if not rows:
        return 0
    sql = _bulk_sql(ledger, channel, sender_kind, reason, batch_id)
    listening = ledger.host.listens("supervision_report_quarantined") and not dry_run
    with ledger.write_lock, ledger._session() as s:
        _take_write_lock(s)
        before = _stored_ids(s, channel, rows) if listening else {}
        cursor = s.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, rows)
            stored = int(cursor.rowcount)
        finally:
            cursor.close()
        after = _stored_ids(s, channel, rows) if listening else {}
        if dry_run:
            s.rollback()
        else:
            s.commit()
    if listening:
        _tell_quarantined(ledger, channel, sender_kind, reason, rows, before, after)
    return stored


def quarantine_staged(
    ledger: Ledger,
    channel: str,
    sender_kind: str,
    reason: QuarantineReason,
    path: str,
    *,
    batch_id: int | None,
    dry_run: bool = False,
) -> int:
    """Like :func:`quarantine_many`, the rows read from a file :func:`stage_quarantine` wrote.

    On SQLite the rows go from file to ledger in one ``INSERT ... SELECT``: no Python
    object per row in this process (a reading process wrote the file meanwhile).
    Returns how many rows were stored.
    """
    if ledger.engine.dialect.name != "sqlite" or ledger.host.listens(
        "supervision_report_quarantined"
    ):
        return quarantine_many(
            ledger,
            channel,
            sender_kind,
            reason,
            read_stage(path),
            batch_id=batch_id,
            dry_run=dry_run,
        )
    sql = _bulk_sql(ledger, channel, sender_kind, reason, batch_id, staged=True)
    with ledger.write_lock:
        raw = ledger.engine.raw_connection()
        cursor = raw.cursor()
        try:
            # Attached outside any transaction (SQLite allows it only there).
            cursor.execute("ATTACH DATABASE ? AS supdesk_stage", (path,))
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(sql)
                stored = int(cursor.rowcount)
                (raw.rollback if dry_run else raw.commit)()
            except BaseException:
                raw.rollback()
                raise
            finally:
                cursor.execute("DETACH DATABASE supdesk_stage")
        finally:
            cursor.close()
            raw.close()
    return stored


def _stored_ids(s: Session, channel: str, rows: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    ids = sorted({r[0] for r in rows})
    found: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        params = {"channel": channel, "ids": ids[start : start + 500]}
        for rid, ext, *_ in s.connection().execute(_EXISTING, params):
            found[ext] = rid
    return found


def _tell_quarantined(
    ledger: Ledger,
    channel: str,
    sender_kind: str,
    reason: QuarantineReason,
    rows: Sequence[tuple[Any, ...]],
    before: dict[str, int],
    after: dict[str, int],
) -> None:
    """Tell plugins, after the commit, as :func:`receive_many` does for each report."""
    for row in rows:
        r = BulkQuarantine(*row)
        rid = after.get(r.external_id)
        if rid is None or r.external_id in before:
            continue
        before[r.external_id] = rid  # the same id twice in the rows: told once
        received = dt.datetime.strptime(r.received_at, _SQLITE_TIME).replace(tzinfo=dt.UTC)
        report = Report(
            channel=channel,
            external_id=r.external_id,
            center=r.center,
            received_at=received,
            sender=Sender(sender_kind, r.sender_value, r.sender_name),
            text=r.text,
            subject=r.subject,
            hints=ReportHints(problem_type=r.problem_type, venue=r.venue),
        )
        quarantined = QuarantinedReport.of(rid, report, reason, r.detail)
        ledger.host.report_quarantined(report=report, quarantined=quarantined)

"""Taking reports in, one at a time or by the hundred thousand, through one path.

``Ledger.receive`` and ``Ledger.receive_many`` both come here. Reports are taken in
chunks, one transaction a chunk: what is looked up again and again (centers,
identities, supervisors' status, duplicate candidates) is loaded once per run, and
rows are written with executemany. A report is acknowledged only once its chunk has
committed; plugins are told after that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlmodel import Session

from supervision_core.errors import CalendarUnconfirmed
from supervision_core.model.centers import Center
from supervision_core.model.clock import local_date
from supervision_core.model.issues import OPEN_STATES, EventKind, Issue, IssueEvent
from supervision_core.model.reports import (
    IntakeResult,
    QuarantinedReport,
    QuarantineReason,
    Report,
    ReportHints,
)
from supervision_core.model.screening import ScreeningProposal
from supervision_core.model.supervisors import SupervisorStatus
from supervision_core.rules.deadlines import due_after
from supervision_core.rules.lifecycle import apply_event
from supervision_core.rules.similarity import bigrams
from supervision_core.store.bulk import allocate_ids, bulk_insert, take_write_lock
from supervision_core.store.driver import Statement
from supervision_core.store.lookups import EXISTING_REPORT, EXISTING_REPORTS, Lookups
from supervision_core.store.notices import enqueue_notices
from supervision_core.store.rows import hint_values
from supervision_core.store.tables import (
    AttachmentRow,
    CounterRow,
    EventRow,
    IssueRow,
    ProposalRow,
    ReportRow,
    table_of,
)
from supervision_core.store.webhooks import enqueue_webhooks

if TYPE_CHECKING:
    from supervision_core.store.session import Database

_REPORT: sa.Table = table_of(ReportRow)
_ISSUE: sa.Table = table_of(IssueRow)
_EVENT: sa.Table = table_of(EventRow)
_COUNTER: sa.Table = table_of(CounterRow)
_OPEN = [s.value for s in OPEN_STATES]
# Most recent open issues a new report is compared with, per (center, type, place).
# A flag is advice for the operator; bounding it keeps a large import linear.
_CANDIDATES = 20
_BIGRAM_CACHE = 20_000

_BUMP = Statement(
    sa.update(_COUNTER)
    .where(
        _COUNTER.c.center_code == sa.bindparam("b_center"),
        _COUNTER.c.year == sa.bindparam("b_year"),
    )
    .values(value=_COUNTER.c.value + sa.bindparam("b_count"))
    .returning(_COUNTER.c.value)
)
_CANDIDATE_QUERY = Statement(
    sa.select(_ISSUE.c.id, _ISSUE.c.text)
    .where(
        _ISSUE.c.center_code == sa.bindparam("center"),
        # The open states written into the SQL (constants of the code), not an expanding
        # parameter: the statement then runs as driver SQL on SQLite (store/driver.py).
        _ISSUE.c.state.in_([sa.literal_column(f"'{state}'") for state in _OPEN]),
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
_EAGER = 50  # reports in a chunk from which loading every identity at once pays


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
    def of(cls, db: Database, report_id: int, report: Report, supervisor_id: int) -> Filing:
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
            proposals=tuple(db.host.screen(report)),
        )


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
    db: Database,
    known_centers: Callable[[], list[Center]],
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
            # An import reads every identity at once; a few reports (a message, a form)
            # are looked up as needed, in the process's catalog first (store/catalog.py).
            if lookups is None and len(chunk) >= _EAGER:
                with db.session() as s:
                    lookups = Lookups.load(s, eager=True)
            try:
                with db.write_lock:
                    results, told = _receive_chunk(
                        db, chunk, lookups, known_centers, batch_id, dry_run
                    )
            except sa.exc.IntegrityError:
                # Another worker stored some of these deliveries meanwhile: look again.
                lookups = None
                if attempt:
                    raise
                continue
            if not dry_run:
                _tell(db, chunk, told)
            yield from results
            break


def _existing(s: Session, chunk: Sequence[Report]) -> dict[tuple[str, str], IntakeResult]:
    found: dict[tuple[str, str], IntakeResult] = {}
    by_channel: dict[str, set[str]] = {}
    for report in chunk:
        by_channel.setdefault(report.channel, set()).add(report.external_id)
    for channel, ids in by_channel.items():
        if len(ids) == 1:
            (only,) = ids
            rows: Iterable[Any] = EXISTING_REPORT.rows(s, {"channel": channel, "id": only})
        else:
            params = {"channel": channel, "ids": sorted(ids)}
            rows = s.connection().execute(EXISTING_REPORTS, params)
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
    db: Database, report: Report, lookups: Lookups
) -> tuple[int | None, QuarantineReason | None, str | None]:
    if report.quarantine is not None:
        detail = report.quarantine_detail
        return None, report.quarantine, detail
    center = lookups.center(report.center)
    if center is None:
        return None, QuarantineReason.UNKNOWN_CENTER, f"中心代码 {report.center!r} 未配置"
    supervisor_id = db.host.match_sender(sender=report.sender, center=center, directory=lookups)
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
    start, end = lookups.term(supervisor_id)
    if start is not None or end is not None:
        day = local_date(report.received_at)
        if (start is not None and day < start) or (end is not None and day > end):
            detail = f"聘期 {start or '—'} 至 {end or '—'}，反馈收到于 {day}"
            return supervisor_id, QuarantineReason.OUT_OF_TERM, detail
    return supervisor_id, None, None


@attrs.define
class _Told:
    """What plugins are to be told once the chunk has committed."""

    received: list[tuple[int, IntakeResult, Issue, IssueEvent]] = attrs.Factory(list)
    quarantined: list[tuple[int, QuarantinedReport]] = attrs.Factory(list)


def _receive_chunk(
    db: Database,
    chunk: list[Report],
    eager: Lookups | None,
    known_centers: Callable[[], list[Center]],
    batch_id: int | None,
    dry_run: bool,
) -> tuple[list[IntakeResult], _Told]:
    now = db.clock()
    results: list[IntakeResult | None] = [None] * len(chunk)
    told = _Told()
    with db.filing_session() as s:
        # One look at the catalog's version for the chunk (filing changes none of it).
        kept = db.catalog.state(s, pin=True)
        lookups = eager or Lookups.lazy(known_centers(), kept)
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
        decisions = {i: _classify(db, chunk[i], lookups) for i in fresh}
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
                    **hint_values(report.hints),
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
            take_write_lock(s)
        report_ids = allocate_ids(s, _REPORT, len(rows))
        issue_ids = allocate_ids(s, _ISSUE, len(to_file))
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
                issue, event = db.append(
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
            filings.append((i, Filing.of(db, rid, report, supervisor_id)))
        filed = file_issues(
            db,
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


_FOLLOWED = Statement(
    sa.select(_ISSUE.c.id, _ISSUE.c.center_code, _ISSUE.c.supervisor_id).where(
        _ISSUE.c.number == sa.bindparam("number")
    )
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
        row = _FOLLOWED.first(s, {"number": report.follows_up})
        # Only the same supervisor's issue in the same center: a reply cannot be used
        # to write into somebody else's issue.
        if row is not None and row[1] == report.center and row[2] == supervisor_id:
            found[i] = row[0]
    return found


def _tell(db: Database, chunk: list[Report], told: _Told) -> None:
    for i, q in told.quarantined:
        db.host.report_quarantined(report=chunk[i], quarantined=q)
    for i, result, issue, event in told.received:
        db.host.report_received(report=chunk[i], result=result)
        db.host.issue_changed(issue=issue, event=event)


def _attachment(report_id: int, attachment: Any) -> dict[str, Any]:
    return {
        "report_id": report_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "content": attachment.content,
    }


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
    last = _BUMP.scalar(s, params)
    if last is None:
        try:
            with s.begin_nested():
                s.add(CounterRow(center_code=center, year=year, value=count))
            last = count
        except sa.exc.IntegrityError:
            last = _BUMP.scalar(s, params)
            assert last is not None
    return [f"{center}-{year}-{n:05d}" for n in range(last - count + 1, last + 1)]


def _duplicate_of(
    db: Database, s: Session, filing: Filing, lookups: Lookups, threshold: float
) -> tuple[int | None, float | None, tuple[str, str, str] | None, frozenset[str]]:
    grams = bigrams(filing.text)
    h = filing.hints
    place = h.venue or h.unit
    if not (h.problem_type and place):
        return None, None, None, grams  # the rule needs a type and a place to compare
    key = (filing.center, h.problem_type.value, place)
    if key not in lookups.candidates:
        params = {"center": filing.center, "problem_type": h.problem_type.value, "place": place}
        found = _CANDIDATE_QUERY.rows(s, params)
        cache = db.bigram_cache
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
    db: Database,
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
        take_write_lock(s)
    if ids is None:
        ids = allocate_ids(s, _ISSUE, len(filings))
    event_ids = allocate_ids(s, _EVENT, len(filings))
    rows, events, filed = [], [], []
    for f, number, issue_id, event_id in zip(filings, numbers, ids, event_ids, strict=True):
        dup, score, key, grams = _duplicate_of(db, s, f, lookups, db.settings.duplicate_threshold)
        if key is not None:  # later reports, of this chunk too, are compared with this one
            recent = lookups.candidates[key]
            recent.insert(0, (issue_id, grams))
            del recent[_CANDIDATES:]
        data: dict[str, Any] = {"channel": f.channel}
        try:
            due = due_after(f.received_at, db.limits.screening, db.calendar, db.limits)
            data |= {"due_on": due.due_on.isoformat(), "due_confirmed": due.confirmed}
        except CalendarUnconfirmed as exc:
            # A report is never turned away: it is filed without a screening deadline
            # rather than with a guessed one (/healthz and `supdesk status` say why).
            data["calendar_unconfirmed"] = exc.year
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
                **hint_values(f.hints),
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
        db.settings,
        s,
        filed,
        {i.supervisor_id: lookups.addresses_of(i.supervisor_id) for i, _ in filed},
        now,
    )
    enqueue_webhooks(s, filed, now, db.catalog)
    return filed

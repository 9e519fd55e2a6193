"""Taking reports in, one at a time or by the hundred thousand, through one path.

``Ledger.receive`` and ``Ledger.receive_many`` both come here. Reports are taken in
chunks, one transaction a chunk: what is looked up again and again (centers,
identities, supervisors' status, duplicate candidates) is loaded once per run, and
rows are written with executemany. A report is acknowledged only once its chunk has
committed; plugins are told after that.

What each report is (a repeat delivery, quarantined, a follow-up, new) is decided in
store/intake_decisions.py; issues are made in store/filing.py (``Filing`` and
``file_issues`` are importable from here too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from supervision_core.model.centers import Center
from supervision_core.model.issues import EventKind, Issue, IssueEvent
from supervision_core.model.reports import IntakeResult, QuarantinedReport, Report
from supervision_core.store.bulk import allocate_ids, bulk_insert, take_write_lock
from supervision_core.store.filing import Filing, file_issues, numbers_for
from supervision_core.store.intake_decisions import (
    classify,
    earlier_deliveries,
    find_follow_ups,
)
from supervision_core.store.lookups import Lookups
from supervision_core.store.rows import hint_values
from supervision_core.store.tables import AttachmentRow, IssueRow, ReportRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.session import Database

_REPORT: sa.Table = table_of(ReportRow)
_ISSUE: sa.Table = table_of(IssueRow)
_EAGER = 50  # reports in a chunk from which loading every identity at once pays


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
        existing = earlier_deliveries(s, chunk)
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
        decisions = {i: classify(db, chunk[i], lookups) for i in fresh}
        follow_ups = find_follow_ups(s, chunk, fresh, decisions)
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
        numbers = numbers_for(
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

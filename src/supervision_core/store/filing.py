"""Making issues of stored reports: numbers, the duplicate flag, the first event.

A stored report that passed intake's checks becomes a ``Filing``; ``file_issues``
reserves its issue number (one counter per center and year), compares it with the
most recent open issues of the same type and place (the duplicate flag), writes the
issue with its first event, the screening checks' proposals, and queues the notices
and webhooks. Intake (store/intake.py) and releasing a quarantined report
(store/quarantine.py) both file through here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlmodel import Session

from supervision_core.errors import CalendarUnconfirmed
from supervision_core.model.clock import local_date
from supervision_core.model.issues import OPEN_STATES, EventKind, Issue, IssueEvent
from supervision_core.model.reports import Report, ReportHints
from supervision_core.model.screening import ScreeningProposal
from supervision_core.rules.deadlines import due_after
from supervision_core.rules.lifecycle import apply_event
from supervision_core.rules.similarity import bigrams
from supervision_core.store.bulk import allocate_ids, bulk_insert, take_write_lock
from supervision_core.store.driver import Statement
from supervision_core.store.lookups import Lookups
from supervision_core.store.notices import enqueue_notices
from supervision_core.store.rows import hint_values
from supervision_core.store.tables import (
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


def numbers_for(s: Session, places: list[tuple[str, dt.datetime]]) -> list[str]:
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
        numbers = numbers_for(s, [(f.center, f.received_at) for f in filings])
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

"""The semi-annual briefing (每半年通报): what a center did with its supervisors' reports.

Figures are computed for every report received in the half year (Asia/Shanghai),
from the report's status, its issue's current state and the issue's events, so they
always agree with the ledger; the rules that count them are in ``rules/briefing.py``.
Here too: the briefing meeting (通报会) and its attendance, and sending the briefing
to the center's active supervisors through the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidInput
from supervision_core.model.briefing import (
    Briefing,
    BriefingDelivery,
    BriefingMeeting,
    BriefingOpinion,
    briefing_period,
)
from supervision_core.model.clock import SHANGHAI
from supervision_core.model.issues import EventKind
from supervision_core.model.notifications import Notice, NoticeKind, RecipientKind
from supervision_core.model.reports import Attachment
from supervision_core.model.supervisors import Identity, SupervisorStatus
from supervision_core.model.year import AttendanceStatus
from supervision_core.rules.briefing import briefing_figures, first_deadline, redispatched
from supervision_core.store.bulk import insert_or_skip
from supervision_core.store.centers import require_center
from supervision_core.store.rows import notice_attachments
from supervision_core.store.tables import (
    BriefingAttendanceRow,
    BriefingMeetingRow,
    BriefingOpinionRow,
    EventRow,
    IdentityRow,
    IssueRow,
    OutboxRow,
    ReportRow,
    SupervisorRow,
    table_of,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from supervision_core.store.session import Database

__all__ = [
    "add_opinion",
    "briefing_notice_key",
    "build_briefing",
    "meeting",
    "record_meeting",
    "send_briefing",
]

_CHUNK = 900  # ids per IN (...): below SQLite's old limit of 999 bound parameters


def _month_of(received_at: sa.ColumnElement[Any], year: int, half: int) -> Any:
    """The Asia/Shanghai month of ``received_at`` as SQL, by comparison with its bounds.

    Compared, not formatted, so the same expression works on both databases and
    uses the stored UTC values as they are.
    """
    months = range(1, 7) if half == 1 else range(7, 13)
    bounds = [(received_at < dt.datetime(year, m + 1, 1, tzinfo=SHANGHAI), m) for m in months[:-1]]
    return sa.case(*bounds, else_=months[-1])


def build_briefing(db: Database, center: str, period: str, *, top: int = 5) -> Briefing:
    """Read the half year's reports, issues, events, meeting and opinions; rules count them."""
    year, half, start, end = briefing_period(period)
    name = require_center(db, center).name
    issue, event, report = table_of(IssueRow), table_of(EventRow), table_of(ReportRow)
    today = db.today()
    in_period = (
        report.c.center_code == center,
        report.c.received_at >= start,
        report.c.received_at < end,
    )
    connection = db.engine.connect()
    if db.engine.dialect.name == "postgresql":
        # One snapshot for all the counts: a report arriving meanwhile is in all or none.
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    # Core: a half year of issues read as plain rows, not ORM objects (bench/bench_evaluation.py).
    with connection as c, c.begin():
        received = c.execute(
            sa.select(sa.func.count()).select_from(report).where(*in_period)
        ).scalar_one()
        month = _month_of(report.c.received_at, year, half)
        others = {
            (status, int(m)): n
            for status, m, n in c.execute(
                sa.select(report.c.status, month, sa.func.count())
                .select_from(report.outerjoin(issue, issue.c.report_id == report.c.id))
                .where(*in_period, issue.c.id.is_(None))
                .group_by(report.c.status, month)
            )
        }
        rows = list(
            c.execute(
                sa.select(
                    issue.c.id,
                    issue.c.number,
                    issue.c.state,
                    issue.c.not_accepted_reason,
                    issue.c.track,
                    issue.c.due_on,
                    issue.c.missed_due_on,
                    issue.c.completed_on_time,
                    issue.c.rectification_due_on,
                    issue.c.completed_at,
                    issue.c.satisfaction,
                    issue.c.reopen_count,
                    issue.c.problem_type,
                    issue.c.stage,
                    issue.c.text,
                    issue.c.measures,
                    issue.c.evidence,
                    issue.c.received_at,
                    report.c.status.label("report_status"),
                )
                .select_from(report.join(issue, issue.c.report_id == report.c.id))
                .where(*in_period)
                .order_by(issue.c.id)
            )
        )
        ids = [r.id for r in rows]
        history: dict[int, list[tuple[str, Any]]] = {}
        for chunk_start in range(0, len(ids), _CHUNK):
            chunk = ids[chunk_start : chunk_start + _CHUNK]
            for issue_id, kind, data in c.execute(
                sa.select(event.c.issue_id, event.c.kind, event.c.data)
                .where(
                    event.c.issue_id.in_(chunk),
                    event.c.kind.in_([EventKind.PLANNED, EventKind.DISPATCHED, EventKind.OBJECTED]),
                )
                .order_by(event.c.id)
            ):
                history.setdefault(issue_id, []).append((kind, data))
    # The deadline in force as the ledger keeps it (moved only by extensions granted in
    # time), so the briefing and the export agree; issues without one (reopened and not
    # re-planned yet) fall back to their first plan's deadline.
    first_due = {}
    for r in rows:
        due = r.rectification_due_on or first_deadline(history.get(r.id, []))
        if due is not None:
            first_due[r.id] = due
    return briefing_figures(
        rows,
        others=others,
        received=received,
        first_due=first_due,
        redispatched_ids={i for i, events in history.items() if redispatched(k for k, _ in events)},
        opinions=_opinions(db, center, f"{year}H{half}"),
        meeting=meeting(db, center, period),
        center=center,
        center_name=name,
        year=year,
        half=half,
        today=today,
        top=top,
    )


def _opinions(db: Database, center: str, period: str) -> list[BriefingOpinion]:
    with db.session() as s:
        return [
            BriefingOpinion(o.supervisor_id, o.text, o.recorded_at)
            for o in s.exec(
                select(BriefingOpinionRow)
                .where(
                    BriefingOpinionRow.center_code == center, BriefingOpinionRow.period == period
                )
                .order_by(col(BriefingOpinionRow.id))
            )
        ]


def add_opinion(
    db: Database,
    center: str,
    period: str,
    text: str,
    *,
    actor: str,
    supervisor_id: int | None = None,
) -> BriefingOpinion:
    year, half, _, _ = briefing_period(period)
    require_center(db, center)
    if not text.strip():
        msg = "意见内容不能为空"
        raise InvalidInput(msg)
    with db.session() as s:
        row = _opinion_row(db, s, center, f"{year}H{half}", text, actor, supervisor_id)
        s.commit()
        return BriefingOpinion(row.supervisor_id, row.text, row.recorded_at)


def _opinion_row(
    db: Database,
    s: Session,
    center: str,
    period: str,
    text: str,
    actor: str,
    supervisor_id: int | None,
) -> BriefingOpinionRow:
    if supervisor_id is not None:
        db.supervisor_row(s, supervisor_id)
    row = BriefingOpinionRow(
        center_code=center,
        period=period,
        supervisor_id=supervisor_id,
        text=text.strip(),
        actor=actor,
        recorded_at=db.clock(),
    )
    s.add(row)
    return row


def record_meeting(
    db: Database,
    center: str,
    period: str,
    *,
    held_on: dt.date,
    place: str,
    actor: str,
    chair: str | None = None,
    note: str | None = None,
    attendance: Mapping[int, AttendanceStatus | str] | None = None,
    opinions: Sequence[str] = (),
) -> BriefingMeeting:
    """Record the period's briefing meeting (通报会): one per center and half year.

    Recording again corrects the date, place, chair and note, and sets the given
    supervisors' attendance (others recorded before stay); ``opinions`` are added
    to the opinions heard.
    """
    year, half, start, _ = briefing_period(period)
    code = f"{year}H{half}"
    require_center(db, center)
    if not place.strip():
        msg = "必须写明通报会的地点"
        raise InvalidInput(msg)
    if held_on < start.date():
        msg = f"通报会日期 {held_on} 早于通报期 {code} 的开始（{start.date()}）"
        raise InvalidInput(msg)
    if not actor.strip():
        msg = "必须说明由谁操作（actor）"
        raise InvalidInput(msg)
    statuses: dict[int, AttendanceStatus] = {}
    for supervisor_id, status in (attendance or {}).items():
        try:
            statuses[supervisor_id] = AttendanceStatus(status)
        except ValueError as exc:
            msg = "出席情况只能是 present（出席）、excused（请假）或 unexcused（无故缺席）"
            raise InvalidInput(msg) from exc
    texts = [t for t in opinions if t.strip()]
    if len(texts) != len(opinions):
        msg = "意见内容不能为空"
        raise InvalidInput(msg)
    with db.session() as s:
        row = s.exec(
            select(BriefingMeetingRow).where(
                BriefingMeetingRow.center_code == center, BriefingMeetingRow.period == code
            )
        ).first()
        if row is None:
            row = BriefingMeetingRow(
                center_code=center, period=code, held_on=held_on, place="", actor=actor
            )
        row.held_on, row.place, row.actor, row.recorded_at = (
            held_on,
            place.strip(),
            actor,
            db.clock(),
        )
        if chair is not None:
            row.chair = chair.strip() or None
        if note is not None:
            row.note = note.strip() or None
        s.add(row)
        s.flush()
        assert row.id is not None
        for supervisor_id, status in statuses.items():
            db.supervisor_row(s, supervisor_id)
            present = s.get(BriefingAttendanceRow, (row.id, supervisor_id))
            if present is None:
                s.add(
                    BriefingAttendanceRow(
                        meeting_id=row.id, supervisor_id=supervisor_id, status=status.value
                    )
                )
            else:
                present.status = status.value
                s.add(present)
        for text in texts:
            _opinion_row(db, s, center, code, text, actor, None)
        s.commit()
    found = meeting(db, center, code)
    assert found is not None
    return found


def meeting(db: Database, center: str, period: str) -> BriefingMeeting | None:
    """The period's briefing meeting, if one was recorded."""
    year, half, _, _ = briefing_period(period)
    require_center(db, center)
    with db.session() as s:
        row = s.exec(
            select(BriefingMeetingRow).where(
                BriefingMeetingRow.center_code == center,
                BriefingMeetingRow.period == f"{year}H{half}",
            )
        ).first()
        if row is None:
            return None
        attendance = s.exec(
            select(BriefingAttendanceRow.supervisor_id, BriefingAttendanceRow.status).where(
                BriefingAttendanceRow.meeting_id == row.id
            )
        ).all()
        return BriefingMeeting(
            center=row.center_code,
            period=row.period,
            held_on=row.held_on,
            place=row.place,
            chair=row.chair,
            note=row.note,
            attendance=dict(attendance),
            recorded_by=row.actor,
            recorded_at=row.recorded_at,
        )


def briefing_notice_key(center: str, period: str, supervisor_id: int) -> str:
    """The key of the briefing's notice to one supervisor: the same on every send."""
    return f"briefing:{center}:{period}:supervisor:{supervisor_id}"


def send_briefing(
    db: Database, briefing: Briefing, render: Callable[[], tuple[str, str, bytes]]
) -> BriefingDelivery:
    """Put the briefing in the outbox for every active supervisor of its center, once.

    One notice per supervisor, delivered as every notice is (the center's notifiers
    in order; a supervisor none reaches becomes a call task), with the text as its
    body and the PDF attached; ``render`` gives the subject, the
    body and the PDF, and is called only if someone is still to be sent to. Keys
    name the center, the period and the supervisor, so sending again adds only
    supervisors not sent to before (one appointed since, say), never a second copy.
    """
    center, period = briefing.center, briefing.period
    settings = db.settings.center(center)
    notifiers = settings.notifiers if settings else ()
    if not notifiers:
        msg = (
            f"中心 {center} 没有配置通知方式（supdesk.toml 中该中心的 notifiers），"
            "无法发送通报；可先用 --pdf 另存后线下送达"
        )
        raise InvalidInput(msg)
    with db.session() as s:
        supervisors = [
            i
            for i in s.exec(
                select(SupervisorRow.id)
                .where(
                    SupervisorRow.center_code == center,
                    SupervisorRow.status == SupervisorStatus.ACTIVE.value,
                )
                .order_by(col(SupervisorRow.id))
            ).all()
            if i is not None
        ]
        identities = s.exec(
            select(IdentityRow)
            .where(col(IdentityRow.supervisor_id).in_(supervisors))
            .order_by(col(IdentityRow.id))
        ).all()
        queued = set(
            s.exec(
                select(OutboxRow.key).where(
                    col(OutboxRow.key).startswith(
                        f"briefing:{center}:{period}:supervisor:", autoescape=True
                    )
                )
            ).all()
        )
    if not supervisors:
        msg = f"中心 {center} 没有在职的监督员，通报无人可发"
        raise InvalidInput(msg)
    addresses: dict[int, list[Identity]] = {}
    for ident in identities:
        addresses.setdefault(ident.supervisor_id, []).append(Identity(ident.kind, ident.raw))
    due = [i for i in supervisors if briefing_notice_key(center, period, i) not in queued]
    sent = 0
    if due:
        subject, body, pdf = render()
        attachment = Attachment(
            f"{briefing.center_name}{period}监督工作情况通报.pdf", "application/pdf", pdf
        )
        now = db.clock()
        outbox = table_of(OutboxRow)
        # Core: INSERT ... ON CONFLICT DO NOTHING, as the outbox writes its keyed notices
        # (a second sender at the same moment adds nothing); RETURNING says whether a
        # row went in, as psycopg reports no rowcount for it.
        insert = insert_or_skip(db.engine, outbox, "key").returning(outbox.c.key)
        with db.engine.begin() as c:
            for supervisor_id in due:
                notice = Notice(
                    key=briefing_notice_key(center, period, supervisor_id),
                    center=center,
                    recipient_kind=RecipientKind.SUPERVISOR,
                    recipient=str(supervisor_id),
                    addresses=addresses.get(supervisor_id, ()),
                    subject=subject,
                    body=body,
                    attachments=(attachment,),
                    kind=NoticeKind.BRIEFING,
                    fields={"period": period, "center": briefing.center_name},
                )
                added = c.execute(insert, _outbox_row(notice, now)).first()
                sent += 1 if added is not None else 0
    return BriefingDelivery(
        center=center,
        period=period,
        supervisors=len(supervisors),
        sent=sent,
        already_sent=len(supervisors) - sent,
        notifiers=tuple(notifiers),
        without_address=tuple(i for i in supervisors if i not in addresses),
    )


def _outbox_row(notice: Notice, now: dt.datetime) -> dict[str, Any]:
    # The row the outbox writes for every notice (store/notices.py): one per recipient.
    return {
        "key": notice.key,
        "issue_id": None,
        "center_code": notice.center,
        "status": "pending",
        "notifier": None,
        "recipient_kind": notice.recipient_kind.value,
        "recipient": notice.recipient,
        "addresses": [{"kind": a.kind.value, "value": a.value} for a in notice.addresses],
        "subject": notice.subject,
        "body": notice.body,
        "kind": notice.kind,
        "fields": notice.fields or None,
        "attachments": notice_attachments(notice),
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }

"""Activities a center announces (培训、座谈、集中体验……) and its supervisors' sign-up (报名).

An announced activity is the same ``activity`` row the supervisors' year counts
(``store/plans_and_attendance.py``): a center announces it with a start time, a sign-up
deadline and perhaps a number of places; its supervisors sign up or withdraw on ``/me``
until the deadline; after it, staff record attendance with :func:`record_attendance
<supervision_core.store.plans_and_attendance.record_attendance>`, and only that counts
in the year.

Places are taken under a lock on the activity's row (PostgreSQL ``SELECT ... FOR
UPDATE``; SQLite's write lock), so two supervisors never take the last place both.
Cancelling tells every supervisor who signed up through the outbox, in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import InvalidInput, InvalidTransition, NotFound
from supervision_core.model.clock import SHANGHAI
from supervision_core.model.notifications import NoticeKind, RecipientKind
from supervision_core.model.supervisors import SupervisorStatus
from supervision_core.model.year import Activity, ActivityKind, AttendanceStatus
from supervision_core.store.centers import require_center
from supervision_core.store.rows import MAX_ROW_ID
from supervision_core.store.tables import (
    ActivityRow,
    ActivitySignupRow,
    AttendanceRow,
    IdentityRow,
    OutboxRow,
    SupervisorRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = [
    "activity_value",
    "announce_activity",
    "cancel_activity",
    "load_activities",
    "sign_up",
    "supervisor_activities",
    "supervisor_activity",
    "withdraw_sign_up",
]

_SHORT = 200  # title, place
_LONG = 2000  # description, a reason
_MAX_CAPACITY = 10_000


def _text(value: str | None, what: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        msg = f"{what}不能为空"
        raise InvalidInput(msg)
    if len(text) > limit:
        msg = f"{what}过长（最多 {limit} 个字，现有 {len(text)} 个字）"
        raise InvalidInput(msg)
    if "\x00" in text:
        msg = f"{what}含有无效字符"
        raise InvalidInput(msg)
    return text


def _when(value: dt.datetime) -> str:
    """A moment as people of the center read it: Asia/Shanghai, to the minute."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


_A = table_of(ActivityRow)
_S = table_of(ActivitySignupRow)
_T = table_of(AttendanceRow)
_SUP = table_of(SupervisorRow)
#: SQLite: take the write lock now (a no-op update), so the places are counted by the
#: one writer; PostgreSQL locks the activity's row instead (FOR UPDATE).
_SQLITE_WRITE_LOCK = sa.text("UPDATE activity SET id = id WHERE 0")
_CHUNK = 500


_IDS: sa.BindParameter[int] = sa.bindparam("ids", expanding=True)
# Built once (the statement's cache key, not its compilation, is what a call pays for).
_ATTENDANCE = (
    sa.select(_T.c.activity_id, _T.c.supervisor_id, _T.c.status)
    .where(_T.c.activity_id.in_(_IDS))
    .order_by(_T.c.supervisor_id)
)
_SIGNED = (
    sa.select(_S.c.activity_id, _S.c.supervisor_id)
    .where(_S.c.activity_id.in_(_IDS))
    .order_by(_S.c.signed_up_at, _S.c.supervisor_id)
)
_ACTIVITIES = sa.select(_A).where(_A.c.id.in_(_IDS))
_VISIBLE = (
    sa.select(_A.c.id, _A.c.signup_deadline, _A.c.capacity, _A.c.cancelled_at, _SUP.c.status)
    .select_from(_A.join(_SUP, _SUP.c.center_code == _A.c.center_code))
    .where(
        _A.c.id == sa.bindparam("aid"),
        _SUP.c.id == sa.bindparam("sid"),
        _A.c.starts_at.is_not(None),
    )
)
_VISIBLE_LOCKED = _VISIBLE.with_for_update(of=_A)
_PLACES = sa.select(
    sa.func.count(), sa.func.count().filter(_S.c.supervisor_id == sa.bindparam("sid"))
).where(_S.c.activity_id == sa.bindparam("aid"))
_MINE = (_S.c.activity_id == sa.bindparam("aid"), _S.c.supervisor_id == sa.bindparam("sid"))
_SIGNED_UP = sa.select(_S.c.supervisor_id).where(*_MINE)
_SIGN_UP = _S.insert()
_WITHDRAW = _S.delete().where(*_MINE)


def load_activities(c: sa.Connection, ids: Sequence[int]) -> list[Activity]:
    """The activities ``ids`` in that order (missing ones left out), with their attendance.

    With their sign-ups too: three statements a chunk of 500, however many there are.
    """
    found: dict[int, Activity] = {}
    for first in range(0, len(ids), _CHUNK):
        chunk = {"ids": list(ids[first : first + _CHUNK])}
        attendance: dict[int, list[tuple[int, AttendanceStatus]]] = defaultdict(list)
        for aid, sid, status in c.execute(_ATTENDANCE, chunk):
            attendance[aid].append((sid, AttendanceStatus(status)))
        signed: dict[int, list[int]] = defaultdict(list)
        for aid, sid in c.execute(_SIGNED, chunk):
            signed[aid].append(sid)
        for r in c.execute(_ACTIVITIES, chunk):
            found[r.id] = Activity(
                id=r.id,
                center=r.center_code,
                kind=r.kind,
                title=r.title,
                held_on=r.held_on,
                place=r.place,
                organizer=r.organizer,
                attendance=tuple(attendance.get(r.id, ())),
                starts_at=r.starts_at,
                signup_deadline=r.signup_deadline,
                capacity=r.capacity,
                description=r.description or "",
                announced_by=r.announced_by,
                cancelled_at=r.cancelled_at,
                cancel_reason=r.cancel_reason,
                signed_up=tuple(signed.get(r.id, ())),
            )
    return [found[i] for i in ids if i in found]


def activity_value(s: Session, row: ActivityRow) -> Activity:
    """The activity in ``row`` with its attendance and sign-ups."""
    assert row.id is not None
    return load_activities(s.connection(), [row.id])[0]


def _row(s: Session, activity_id: int, *, lock: bool = False) -> ActivityRow:
    row = (
        s.get(ActivityRow, activity_id, with_for_update=lock)
        if 0 < activity_id <= MAX_ROW_ID
        else None
    )
    if row is None:
        msg = f"没有编号为 {activity_id} 的活动"
        raise NotFound(msg)
    return row


def announce_activity(
    db: Database,
    *,
    center: str,
    kind: ActivityKind | str,
    title: str,
    place: str,
    starts_at: dt.datetime,
    signup_deadline: dt.datetime,
    actor: str,
    capacity: int | None = None,
    description: str = "",
    organizer: str | None = None,
) -> Activity:
    """Announce an activity of ``center`` for its supervisors to sign up on ``/me``.

    ``starts_at`` and ``signup_deadline`` are aware instants, both in the future, the
    deadline not after the start; ``capacity`` is the number of places (``None``: no
    limit). ``organizer`` defaults to the center's name. The activity is the one the
    year counts: its ``held_on`` is the start's date in Asia/Shanghai. Raises
    :class:`InvalidInput` in Chinese.
    """
    found = require_center(db, center)
    try:
        kind = ActivityKind(kind)
    except ValueError as exc:
        msg = f"活动类型只能是：{'、'.join(f'{k.value}（{k.label}）' for k in ActivityKind)}"
        raise InvalidInput(msg) from exc
    title = _text(title, "活动名称", _SHORT)
    place = _text(place, "地点", _SHORT)
    description = _text(description, "活动说明", _LONG, required=False)
    actor = _text(actor, "操作人", _SHORT)
    organizer = _text(organizer, "组织单位", _SHORT, required=False) or found.name
    if starts_at.tzinfo is None or signup_deadline.tzinfo is None:
        msg = "活动时间必须带时区"
        raise InvalidInput(msg)
    now = db.clock()
    if starts_at <= now:
        msg = f"活动开始时间 {_when(starts_at)} 已经过去"
        raise InvalidInput(msg)
    if signup_deadline <= now:
        msg = f"报名截止时间 {_when(signup_deadline)} 已经过去"
        raise InvalidInput(msg)
    if signup_deadline > starts_at:
        msg = f"报名截止时间 {_when(signup_deadline)} 晚于活动开始时间 {_when(starts_at)}"
        raise InvalidInput(msg)
    if capacity is not None and not 1 <= capacity <= _MAX_CAPACITY:
        msg = f"名额应为 1 至 {_MAX_CAPACITY} 人（不限名额请留空）"
        raise InvalidInput(msg)
    with db.session() as s:
        row = ActivityRow(
            center_code=found.code,
            kind=kind.value,
            title=title,
            held_on=starts_at.astimezone(SHANGHAI).date(),
            place=place,
            organizer=organizer,
            starts_at=starts_at,
            signup_deadline=signup_deadline,
            capacity=capacity,
            description=description or None,
            announced_by=actor,
            announced_at=now,
        )
        s.add(row)
        s.commit()
        return activity_value(s, row)


def cancel_activity(db: Database, activity_id: int, *, reason: str, actor: str) -> Activity:
    """Cancel an announced activity that has not started; tell whoever signed up.

    Each supervisor signed up is sent a notice through the outbox (what, when, why),
    in the same transaction. Their sign-ups stay, for the record. Cancelling twice, or
    after the start, is :class:`InvalidTransition`.
    """
    reason = _text(reason, "取消的理由", _LONG)
    actor = _text(actor, "操作人", _SHORT)
    now = db.clock()
    with db.write_lock, db.session() as s:
        _lock(s.connection())
        row = _row(s, activity_id, lock=True)
        if row.starts_at is None:
            msg = f"活动 #{activity_id} 是事后登记的活动，没有报名，不能取消"
            raise InvalidTransition(msg)
        if row.cancelled_at is not None:
            msg = f"活动 #{activity_id} 已于 {_when(row.cancelled_at)} 取消"
            raise InvalidTransition(msg)
        if row.starts_at <= now:
            msg = f"活动 #{activity_id} 已于 {_when(row.starts_at)} 开始，不能再取消"
            raise InvalidTransition(msg)
        row.cancelled_at, row.cancelled_by, row.cancel_reason = now, actor, reason
        s.add(row)
        s.flush()
        value = activity_value(s, row)
        center_name = require_center(db, row.center_code).name
        subject = f"{center_name}取消了活动：{value.title}"
        body = (
            f"您报名的{value.kind.label}活动“{value.title}”（{_when(row.starts_at)}，"
            f"{value.place}）已取消。\n理由：{reason}\n如有疑问，请与中心联系。"
        )
        addresses: dict[int, list[dict[str, str]]] = defaultdict(list)
        for ident in s.exec(
            select(IdentityRow)
            .where(col(IdentityRow.supervisor_id).in_(value.signed_up))
            .order_by(col(IdentityRow.id))
        ):
            addresses[ident.supervisor_id].append({"kind": ident.kind, "value": ident.raw})
        for sid in value.signed_up:
            s.add(
                OutboxRow(
                    key=f"activity:{activity_id}:cancelled:supervisor:{sid}",
                    center_code=row.center_code,
                    recipient_kind=RecipientKind.SUPERVISOR.value,
                    recipient=str(sid),
                    addresses=addresses.get(sid, []),
                    subject=subject,
                    body=body,
                    kind=NoticeKind.ACTIVITY_CANCELLED.value,
                    fields={"title": value.title, "starts_at": _when(row.starts_at)},
                    created_at=now,
                    next_attempt_at=now,
                )
            )
        s.commit()
        return value


def _visible(c: sa.Connection, activity_id: int, supervisor_id: int, *, lock: bool = False) -> Any:
    """The announced activity of the supervisor's own center, locked if asked; else not found.

    The row carries the activity's deadline, places and cancellation, and the
    supervisor's status.
    """
    if not (0 < activity_id <= MAX_ROW_ID and 0 < supervisor_id <= MAX_ROW_ID):
        msg = f"没有编号为 {activity_id} 的活动"
        raise NotFound(msg)
    statement = _VISIBLE_LOCKED if lock else _VISIBLE
    row = c.execute(statement, {"aid": activity_id, "sid": supervisor_id}).first()
    if row is None:
        msg = f"没有编号为 {activity_id} 的活动"
        raise NotFound(msg)
    return row


def supervisor_activity(db: Database, activity_id: int, supervisor_id: int) -> Activity:
    """An announced activity of the supervisor's center; another center's is :class:`NotFound`."""
    with db.engine.connect() as c:
        _visible(c, activity_id, supervisor_id)
        return load_activities(c, [activity_id])[0]


def supervisor_activities(
    db: Database, supervisor_id: int, *, upcoming: bool = True, limit: int | None = None
) -> list[Activity]:
    """The announced activities of the supervisor's center, soonest first.

    :param upcoming: only those not cancelled that start today or later (Asia/Shanghai);
        otherwise every announced one, newest first
    :param limit: at most this many (the home page shows three)
    """
    with db.engine.connect() as c:
        center = c.execute(sa.select(_SUP.c.center_code).where(_SUP.c.id == supervisor_id)).scalar()
        if center is None:
            msg = f"没有编号为 {supervisor_id} 的监督员"
            raise NotFound(msg)
        query = sa.select(_A.c.id).where(_A.c.center_code == center, _A.c.starts_at.is_not(None))
        if upcoming:
            query = query.where(_A.c.cancelled_at.is_(None), _A.c.held_on >= db.today()).order_by(
                _A.c.starts_at, _A.c.id
            )
        else:
            query = query.order_by(_A.c.starts_at.desc(), _A.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return load_activities(c, list(c.execute(query).scalars()))


def _check_open(row: Any, now: dt.datetime, what: str) -> None:
    if row.cancelled_at is not None:
        msg = f"这项活动已取消，不能{what}"
        raise InvalidTransition(msg)
    if now >= row.signup_deadline:
        msg = f"报名已于 {_when(row.signup_deadline)} 截止，不能再{what}"
        raise InvalidTransition(msg)


def _lock(c: sa.Connection) -> None:
    if c.dialect.name == "sqlite":
        c.execute(_SQLITE_WRITE_LOCK)


def sign_up(db: Database, activity_id: int, supervisor_id: int) -> Activity:
    """Sign ``supervisor_id`` up for an activity of their center, before the deadline.

    Signing up again changes nothing (a resubmitted form). A suspended or revoked
    supervisor is refused (:class:`InvalidInput`); a cancelled activity, a passed
    deadline or a full one is :class:`InvalidTransition`, in Chinese; another center's
    activity is :class:`NotFound`. Core statements, one transaction: the activity
    locked, the places counted, the row written (bench/bench_activities.py).
    """
    now = db.clock()
    with db.write_lock, db.engine.begin() as c:
        _lock(c)
        row = _visible(c, activity_id, supervisor_id, lock=True)
        taken, mine = c.execute(_PLACES, {"aid": activity_id, "sid": supervisor_id}).one()
        if not mine:
            if row.status != SupervisorStatus.ACTIVE.value:
                label = SupervisorStatus(row.status).label
                msg = f"您的监督员资格目前{label}，不能报名参加活动"
                raise InvalidInput(msg)
            _check_open(row, now, "报名")
            if row.capacity is not None and taken >= row.capacity:
                msg = f"报名人数已满（共 {row.capacity} 个名额），不能再报名"
                raise InvalidTransition(msg)
            c.execute(
                _SIGN_UP,
                {"activity_id": activity_id, "supervisor_id": supervisor_id, "signed_up_at": now},
            )
        return load_activities(c, [activity_id])[0]


def withdraw_sign_up(db: Database, activity_id: int, supervisor_id: int) -> Activity:
    """Withdraw the supervisor's sign-up before the deadline; not signed up changes nothing."""
    now = db.clock()
    with db.write_lock, db.engine.begin() as c:
        _lock(c)
        row = _visible(c, activity_id, supervisor_id, lock=True)
        mine = {"aid": activity_id, "sid": supervisor_id}
        if c.execute(_SIGNED_UP, mine).first() is not None:
            _check_open(row, now, "取消报名")
            c.execute(_WITHDRAW, mine)
        return load_activities(c, [activity_id])[0]

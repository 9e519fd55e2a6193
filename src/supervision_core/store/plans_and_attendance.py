"""The year's work plans and activities, and who attended them.

A center's work plan (工作计划) for a year, the activities it holds (group experiences,
forums, research, training) and the attendance recorded after each: what the annual
evaluation counts (``store/year_facts.py``). Signing up for an activity is
``store/activities.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import col, select

from supervision_core.errors import InvalidInput, InvalidTransition, NotFound
from supervision_core.model.supervisors import ChangeKind
from supervision_core.model.year import Activity, ActivityKind, AttendanceStatus, WorkPlan
from supervision_core.store.activities import load_activities
from supervision_core.store.calendar_year import by_center_and_year, check_year, dates_in_year
from supervision_core.store.centers import require_center
from supervision_core.store.rows import MAX_ROW_ID
from supervision_core.store.tables import (
    ActivityRow,
    AttendanceRow,
    SupervisorChangeRow,
    WorkPlanRow,
)

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = [
    "activities",
    "activity",
    "add_activity",
    "add_work_plan",
    "record_attendance",
    "work_plans",
]


def add_work_plan(
    db: Database,
    *,
    center: str,
    year: int,
    title: str,
    responsible_staff: Sequence[str],
    content: str,
) -> WorkPlan:
    require_center(db, center)
    check_year(year, db.today().year + 1)  # next year's plan may be made now
    if not responsible_staff:
        msg = "工作计划必须指定负责的专人"
        raise InvalidInput(msg)
    with db.session() as s:
        row = WorkPlanRow(
            center_code=center,
            year=year,
            title=title,
            responsible_staff=list(responsible_staff),
            content=content,
            created_at=db.clock(),
        )
        s.add(row)
        s.commit()
        assert row.id is not None
        return WorkPlan(
            id=row.id,
            center=center,
            year=year,
            title=title,
            responsible_staff=tuple(responsible_staff),
            content=content,
        )


def work_plans(
    db: Database, *, center: str | None = None, year: int | None = None
) -> list[WorkPlan]:
    query = by_center_and_year(select(WorkPlanRow), WorkPlanRow, center, year)
    with db.session() as s:
        return [
            WorkPlan(
                id=r.id or 0,
                center=r.center_code,
                year=r.year,
                title=r.title,
                responsible_staff=tuple(r.responsible_staff),
                content=r.content,
            )
            for r in s.exec(query.order_by(col(WorkPlanRow.id)))
        ]


def add_activity(
    db: Database,
    *,
    center: str,
    kind: ActivityKind | str,
    title: str,
    held_on: dt.date,
    place: str,
    organizer: str,
) -> Activity:
    require_center(db, center)
    try:
        kind = ActivityKind(kind)
    except ValueError as exc:
        msg = f"活动类型只能是：{'、'.join(f'{k.value}（{k.label}）' for k in ActivityKind)}"
        raise InvalidInput(msg) from exc
    with db.session() as s:
        row = ActivityRow(
            center_code=center,
            kind=kind.value,
            title=title,
            held_on=held_on,
            place=place,
            organizer=organizer,
        )
        s.add(row)
        s.commit()
    return activity(db, row.id or 0)


def record_attendance(
    db: Database,
    activity_id: int,
    supervisor_id: int,
    status: AttendanceStatus | str,
    *,
    actor: str,
    note: str | None = None,
) -> Activity:
    """Record (or correct) whether a supervisor attended an activity.

    Every record and correction is kept in the supervisor's history with ``actor`` and
    the time; a correction shows what it replaced.
    """
    try:
        status = AttendanceStatus(status)
    except ValueError as exc:
        msg = "出席情况只能是 present（出席）、excused（请假）或 unexcused（无故缺席）"
        raise InvalidInput(msg) from exc
    if not actor or not actor.strip():
        msg = "必须指明操作人（actor）"
        raise InvalidInput(msg)
    with db.session() as s:
        found = s.get(ActivityRow, activity_id) if 0 < activity_id <= MAX_ROW_ID else None
        if found is None:
            msg = f"没有编号为 {activity_id} 的活动"
            raise NotFound(msg)
        if found.cancelled_at is not None:
            msg = f"活动 #{activity_id} 已取消，不能记录出席情况"
            raise InvalidTransition(msg)
        if found.starts_at is not None and found.starts_at > db.clock():
            msg = f"活动 #{activity_id} 尚未开始，活动结束后再记录出席情况"
            raise InvalidTransition(msg)
        db.supervisor_row(s, supervisor_id)
        row = s.get(AttendanceRow, (activity_id, supervisor_id))
        before = None if row is None else row.status
        if before == status.value:
            return activity(db, activity_id)  # nothing changes, nothing to record
        if row is None:
            s.add(
                AttendanceRow(
                    activity_id=activity_id, supervisor_id=supervisor_id, status=status.value
                )
            )
        else:
            row.status = status.value
        s.add(
            SupervisorChangeRow(
                supervisor_id=supervisor_id,
                at=db.clock(),
                actor=actor.strip()[:200],
                kind=ChangeKind.ATTENDANCE.value,
                before=before,
                after=status.value,
                activity_id=activity_id,
                note=note.strip() if note and note.strip() else None,
            )
        )
        s.commit()
    return activity(db, activity_id)


def activity(db: Database, activity_id: int) -> Activity:
    """The activity ``activity_id`` with its attendance and sign-ups, or :class:`NotFound`."""
    with db.engine.connect() as c:
        found = load_activities(c, [activity_id]) if 0 < activity_id <= MAX_ROW_ID else []
    if not found:
        msg = f"没有编号为 {activity_id} 的活动"
        raise NotFound(msg)
    return found[0]


def activities(
    db: Database, *, center: str | None = None, year: int | None = None
) -> list[Activity]:
    query = select(ActivityRow.id)
    if center:
        query = query.where(ActivityRow.center_code == center)
    if year:
        query = query.where(dates_in_year(col(ActivityRow.held_on), year))
    with db.session() as s:
        ids = [
            i or 0 for i in s.exec(query.order_by(col(ActivityRow.held_on), col(ActivityRow.id)))
        ]
        return load_activities(s.connection(), ids)

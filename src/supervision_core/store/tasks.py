"""Tasks (服务体验, 明察暗访) and each supervisor's part in them.

A task is given to its supervisors in one transaction; each supervisor's answer and
visit update their own assignment row. Listings read the tasks and their assignments
in two statements, whatever their number.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from supervision_core.errors import InvalidInput, InvalidTransition, NotFound
from supervision_core.model.centers import CenterLevel
from supervision_core.model.notifications import RecipientKind
from supervision_core.model.supervisors import SupervisorStatus
from supervision_core.model.tasks import AssignmentStatus, Task, TaskAssignment, TaskKind
from supervision_core.rules.tasks import task_notice_key, task_notice_text
from supervision_core.store.centers import require_center
from supervision_core.store.rows import MAX_ROW_ID
from supervision_core.store.tables import (
    CenterRow,
    IdentityRow,
    IssueRow,
    OutboxRow,
    SupervisorRow,
    TaskAssignmentRow,
    TaskRow,
)

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = ["Tasks"]

_SHORT = 200  # place, service
_LONG = 2000  # instructions, a note, a reason
_MAX_SUPERVISORS = 200


def _text(value: str | None, what: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        msg = f"{what}不能为空"
        raise InvalidInput(msg)
    if len(text) > limit:
        msg = f"{what}过长（最多 {limit} 个字，现有 {len(text)} 个字）"
        raise InvalidInput(msg)
    return text


def _kind(kind: TaskKind | str) -> TaskKind:
    try:
        return TaskKind(kind)
    except ValueError:
        known = "、".join(f"{k.value}（{k.label}）" for k in TaskKind)
        msg = f"没有这种任务：{kind!r}；可选：{known}"
        raise InvalidInput(msg) from None


def _task(row: TaskRow) -> Task:
    assert row.id is not None
    return Task(
        id=row.id,
        center=row.center_code,
        kind=row.kind,
        place=row.place,
        service=row.service,
        instructions=row.instructions,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _assignment(task: Task, row: TaskAssignmentRow) -> TaskAssignment:
    return TaskAssignment(
        task=task,
        supervisor_id=row.supervisor_id,
        status=row.status,
        responded_at=row.responded_at,
        decline_reason=row.decline_reason,
        visited_on=row.visited_on,
        found_nothing=row.found_nothing,
        note=row.note,
        issue_id=row.issue_id,
    )


class Tasks:
    """The centers' tasks and their assignments."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create_task(
        self,
        center: str,
        kind: TaskKind | str,
        place: str,
        service: str,
        instructions: str,
        starts_on: dt.date,
        ends_on: dt.date,
        supervisor_ids: Iterable[int],
        actor: str,
    ) -> Task:
        """Give a task of ``center`` to the supervisors ``supervisor_ids``.

        Each supervisor must be ``center``'s or the banner center's, and active (a
        suspended or revoked one is refused, naming them). The visit is due between
        ``starts_on`` and ``ends_on`` inclusive; ``ends_on`` may not have passed.
        Every assignment starts ``assigned``, and each supervisor is sent a notice
        through the outbox (what, where, when, how to answer) in the same transaction.
        Raises :class:`InvalidInput` in Chinese.
        """
        task_center = require_center(self.db, center)
        task_kind = _kind(kind)
        place = _text(place, "地点", _SHORT)
        service = _text(service, "体验事项", _SHORT)
        instructions = _text(instructions, "任务要求", _LONG, required=False)
        actor = _text(actor, "操作人", 200)
        if ends_on < starts_on:
            msg = f"结束日期 {ends_on} 早于开始日期 {starts_on}"
            raise InvalidInput(msg)
        if ends_on < self.db.today():
            msg = f"结束日期 {ends_on} 已经过去"
            raise InvalidInput(msg)
        ids = list(dict.fromkeys(supervisor_ids))
        if not ids:
            msg = "任务至少要交给一名监督员"
            raise InvalidInput(msg)
        if len(ids) > _MAX_SUPERVISORS:
            msg = f"一项任务最多交给 {_MAX_SUPERVISORS} 名监督员"
            raise InvalidInput(msg)
        now = self.db.clock()
        with self.db.session() as s:
            banner = set(
                s.exec(
                    select(CenterRow.code).where(CenterRow.level == CenterLevel.BANNER.value)
                ).all()
            )
            for sid in ids:
                if not isinstance(sid, int) or not 0 < sid <= MAX_ROW_ID:
                    msg = f"没有编号为 {sid} 的监督员"
                    raise NotFound(msg)
            rows = {
                r.id: r for r in s.exec(select(SupervisorRow).where(col(SupervisorRow.id).in_(ids)))
            }
            for sid in ids:
                sup = rows.get(sid)
                if sup is None:
                    msg = f"没有编号为 {sid} 的监督员"
                    raise NotFound(msg)
                if sup.center_code != task_center.code and sup.center_code not in banner:
                    msg = (
                        f"监督员 {sup.name}（编号 {sid}）不属于 {task_center.name}，"
                        "也不是旗级监督员，不能交给其任务"
                    )
                    raise InvalidInput(msg)
                if sup.status != SupervisorStatus.ACTIVE.value:
                    label = SupervisorStatus(sup.status).label
                    msg = f"监督员 {sup.name}（编号 {sid}）目前{label}，不能交给其任务"
                    raise InvalidInput(msg)
            row = TaskRow(
                center_code=task_center.code,
                kind=task_kind.value,
                place=place,
                service=service,
                instructions=instructions,
                starts_on=starts_on,
                ends_on=ends_on,
                created_by=actor,
                created_at=now,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            task = _task(row)
            subject, body = task_notice_text(task, task_center.name)
            addresses: dict[int, list[dict[str, str]]] = defaultdict(list)
            for ident in s.exec(
                select(IdentityRow)
                .where(col(IdentityRow.supervisor_id).in_(ids))
                .order_by(col(IdentityRow.id))
            ):
                addresses[ident.supervisor_id].append({"kind": ident.kind, "value": ident.raw})
            for sid in ids:
                s.add(
                    TaskAssignmentRow(
                        task_id=task.id, supervisor_id=sid, status=AssignmentStatus.ASSIGNED.value
                    )
                )
                # Told through the outbox, in the same transaction: the supervisor's ways
                # in the center's order, or a call task for the desk.
                s.add(
                    OutboxRow(
                        key=task_notice_key(task.id, sid),
                        center_code=task.center,
                        recipient_kind=RecipientKind.SUPERVISOR.value,
                        recipient=str(sid),
                        addresses=addresses.get(sid, []),
                        subject=subject,
                        body=body,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
            s.commit()
            return task

    def task(self, task_id: int) -> tuple[Task, list[TaskAssignment]]:
        """The task ``task_id`` and its assignments (by supervisor), or :class:`NotFound`."""
        with self.db.session() as s:
            row = self._task_row(s, task_id)
            task = _task(row)
            assignments = s.exec(
                select(TaskAssignmentRow)
                .where(TaskAssignmentRow.task_id == task_id)
                .order_by(col(TaskAssignmentRow.supervisor_id))
            ).all()
        return task, [_assignment(task, a) for a in assignments]

    def tasks(
        self, center: str, *, open_only: bool = False
    ) -> list[tuple[Task, list[TaskAssignment]]]:
        """The tasks of ``center``, latest end date first, each with its assignments.

        :param open_only: only tasks someone still has to answer or visit for (an
            assignment ``assigned`` or ``accepted``), late ones included
        """
        require_center(self.db, center)
        with self.db.session() as s:
            rows = s.exec(
                select(TaskRow)
                .where(TaskRow.center_code == center)
                .order_by(col(TaskRow.ends_on).desc(), col(TaskRow.id).desc())
            ).all()
            by_task = self._assignments(s, [r.id for r in rows if r.id is not None])
        result = []
        for row in rows:
            task = _task(row)
            assignments = [_assignment(task, a) for a in by_task.get(task.id, [])]
            if open_only and not any(a.status.open for a in assignments):
                continue
            result.append((task, assignments))
        return result

    def task_assignments(self, supervisor_id: int) -> list[TaskAssignment]:
        """Every task given to ``supervisor_id``: open ones first, then by end date, latest first."""
        with self.db.session() as s:
            self.db.supervisor_row(s, supervisor_id)
            pairs = s.exec(
                select(TaskAssignmentRow, TaskRow)
                .join(TaskRow, col(TaskRow.id) == col(TaskAssignmentRow.task_id))
                .where(TaskAssignmentRow.supervisor_id == supervisor_id)
            ).all()
        result = [_assignment(_task(t), a) for a, t in pairs]
        result.sort(key=lambda a: (a.task.ends_on, a.task.id), reverse=True)
        result.sort(key=lambda a: not a.status.open)
        return result

    def task_assignment(self, task_id: int, supervisor_id: int) -> TaskAssignment:
        """``supervisor_id``'s part in task ``task_id``; a task not given to them is :class:`NotFound`."""
        with self.db.session() as s:
            task, row = self._own(s, task_id, supervisor_id)
            return _assignment(task, row)

    def respond_to_task(
        self, task_id: int, supervisor_id: int, *, accept: bool, reason: str | None = None
    ) -> TaskAssignment:
        """Record the supervisor's answer: accept the task, or decline it with a reason.

        The answer may be changed until the visit is recorded (a supervisor who accepted
        and then cannot go declines); accepting needs the task not to have ended. A decline
        is written to the task's center's inbox (with the reason), for staff to give the
        task to someone else. A task not given to this supervisor is :class:`NotFound`,
        as if it did not exist.
        """
        with self.db.session() as s:
            task, row = self._own(s, task_id, supervisor_id)
            self._require_active(s, supervisor_id)
            status = AssignmentStatus(row.status)
            if status is AssignmentStatus.DONE:
                msg = "这项任务已经完成，不能再更改答复"
                raise InvalidTransition(msg)
            if accept:
                if task.ends_on < self.db.today():
                    msg = f"这项任务已于 {task.ends_on} 结束，不能再接受"
                    raise InvalidTransition(msg)
                row.status, row.decline_reason = AssignmentStatus.ACCEPTED.value, None
            else:
                row.decline_reason = _text(reason, "谢绝的理由", _LONG)
                row.status = AssignmentStatus.DECLINED.value
            now = self.db.clock()
            row.responded_at = now
            s.add(row)
            if not accept:  # the center's staff may give the task to someone else
                name = self.db.supervisor_row(s, supervisor_id).name
                s.add(
                    OutboxRow(
                        key=f"task:{task.id}:declined:{supervisor_id}:{now.isoformat()}",
                        center_code=task.center,
                        recipient_kind=RecipientKind.CENTER.value,
                        recipient=task.center,
                        subject=f"监督员{name}谢绝了任务 {task.id}（{task.kind.label}）",
                        body=(
                            f"监督员{name}（编号 {supervisor_id}）谢绝了任务 {task.id}："
                            f"{task.kind.label}，{task.place} · {task.service}，"
                            f"{task.starts_on} 至 {task.ends_on}。\n理由：{row.decline_reason}\n"
                            "如需要，请另行安排其他监督员。"
                        ),
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
            s.commit()
            return _assignment(task, row)

    def record_task_visit(
        self,
        task_id: int,
        supervisor_id: int,
        *,
        visited_on: dt.date,
        found_nothing: bool,
        note: str = "",
        issue_id: int | None = None,
    ) -> TaskAssignment:
        """Record the visit of an accepted task; the assignment becomes ``done``.

        ``visited_on`` lies within the task's days and not in the future. A visit that
        found a problem (``found_nothing=False``) names the issue the supervisor filed
        for it (``issue_id``, their own issue, not linked to another task); one that
        found nothing names none. A task not given to this supervisor is :class:`NotFound`.
        """
        with self.db.session() as s:
            task, row = self._own(s, task_id, supervisor_id)
            self._require_active(s, supervisor_id)
            status = AssignmentStatus(row.status)
            if status is AssignmentStatus.DONE:
                msg = "这项任务的体验情况已经记录"
                raise InvalidTransition(msg)
            if status is not AssignmentStatus.ACCEPTED:
                msg = "请先接受这项任务，再记录体验情况"
                raise InvalidTransition(msg)
            if visited_on > self.db.today():
                msg = f"体验日期 {visited_on} 还没有到"
                raise InvalidInput(msg)
            if not task.starts_on <= visited_on <= task.ends_on:
                msg = f"体验日期 {visited_on} 不在任务期限（{task.starts_on} 至 {task.ends_on}）内"
                raise InvalidInput(msg)
            text = _text(note, "体验情况", _LONG, required=False)
            if found_nothing:
                if issue_id is not None:
                    msg = "未发现问题的体验不能关联反馈的问题"
                    raise InvalidInput(msg)
            else:
                if issue_id is None:
                    msg = "发现了问题，请先反馈该问题，再把它关联到这项任务"
                    raise InvalidInput(msg)
                self._check_issue(s, issue_id, supervisor_id)
            row.status = AssignmentStatus.DONE.value
            row.visited_on = visited_on
            row.found_nothing = found_nothing
            row.note = text
            row.issue_id = issue_id
            row.recorded_at = self.db.clock()
            s.add(row)
            s.commit()
            return _assignment(task, row)

    # ------------------------------------------------------------------ helpers

    def _task_row(self, s: Session, task_id: int) -> TaskRow:
        row = s.get(TaskRow, task_id) if 0 < task_id <= MAX_ROW_ID else None
        if row is None:
            msg = f"没有编号为 {task_id} 的任务"
            raise NotFound(msg)
        return row

    def _own(self, s: Session, task_id: int, supervisor_id: int) -> tuple[Task, TaskAssignmentRow]:
        task = _task(self._task_row(s, task_id))
        row = s.get(TaskAssignmentRow, (task_id, supervisor_id))
        if row is None:  # another supervisor's task: as if there were none
            msg = f"没有编号为 {task_id} 的任务"
            raise NotFound(msg)
        return task, row

    def _require_active(self, s: Session, supervisor_id: int) -> None:
        sup = self.db.supervisor_row(s, supervisor_id)
        if sup.status != SupervisorStatus.ACTIVE.value:
            msg = f"监督员目前{SupervisorStatus(sup.status).label}，不能办理任务"
            raise InvalidInput(msg)

    def _check_issue(self, s: Session, issue_id: int, supervisor_id: int) -> None:
        issue = s.get(IssueRow, issue_id) if 0 < issue_id <= MAX_ROW_ID else None
        if issue is None or issue.supervisor_id != supervisor_id:
            msg = f"没有编号为 {issue_id} 的本人反馈的问题"
            raise InvalidInput(msg)
        linked = s.exec(
            select(TaskAssignmentRow.task_id).where(TaskAssignmentRow.issue_id == issue_id)
        ).first()
        if linked is not None:
            msg = f"问题 {issue.number} 已关联到任务 {linked}"
            raise InvalidInput(msg)

    def _assignments(
        self, s: Session, task_ids: Sequence[int]
    ) -> dict[int, list[TaskAssignmentRow]]:
        by_task: dict[int, list[TaskAssignmentRow]] = defaultdict(list)
        for start in range(0, len(task_ids), 500):
            chunk = task_ids[start : start + 500]
            for a in s.exec(
                select(TaskAssignmentRow)
                .where(col(TaskAssignmentRow.task_id).in_(chunk))
                .order_by(col(TaskAssignmentRow.supervisor_id))
            ):
                by_task[a.task_id].append(a)
        return by_task

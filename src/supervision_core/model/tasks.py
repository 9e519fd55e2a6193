"""Tasks (体验任务): a center sends supervisors to try a service or inspect covertly.

The notice expects centers to organise service experiences (服务体验、集中体验) and
covert inspections (明察暗访) and to hand supervisors tasks. A :class:`Task` names the
place, the service, what to try and the days it may be done; each supervisor it is
given to has a :class:`TaskAssignment`: assigned, then accepted or declined, then done
with the visit recorded (found nothing, or a report filed and linked by its issue).
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

__all__ = ["AssignmentStatus", "Task", "TaskAssignment", "TaskKind"]


class TaskKind(enum.StrEnum):
    """What a supervisor is asked to do."""

    EXPERIENCE = "experience"  # 服务体验、集中体验
    INSPECTION = "inspection"  # 明察暗访

    @property
    def label(self) -> str:
        """The kind in Chinese."""
        return {"experience": "服务体验", "inspection": "明察暗访"}[self.value]


class AssignmentStatus(enum.StrEnum):
    """Where one supervisor's part of a task stands."""

    ASSIGNED = "assigned"  # given, not yet answered
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DONE = "done"  # the visit is recorded

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return {
            "assigned": "待答复",
            "accepted": "已接受",
            "declined": "已谢绝",
            "done": "已完成",
        }[self.value]

    @property
    def open(self) -> bool:
        """Whether the supervisor still has something to do (answer or visit)."""
        return self in (AssignmentStatus.ASSIGNED, AssignmentStatus.ACCEPTED)


@attrs.frozen(kw_only=True)
class Task:
    """A task a center gives to one or several supervisors.

    ``place`` is where to go (the venue: 乌审召镇便民服务中心), ``service`` which
    service to try (不动产登记), ``instructions`` what to try or watch for; the visit
    is due between ``starts_on`` and ``ends_on`` inclusive. ``created_by`` is the staff
    member (or ``cli:…`` actor) who made it.
    """

    id: int
    center: str
    kind: TaskKind = attrs.field(converter=TaskKind)
    place: str
    service: str
    instructions: str
    starts_on: dt.date
    ends_on: dt.date
    created_by: str
    created_at: dt.datetime


@attrs.frozen(kw_only=True)
class TaskAssignment:
    """One supervisor's part in a task: the answer, then the visit.

    ``responded_at`` is when they accepted or declined (``decline_reason`` says why
    they declined). Once done, ``visited_on`` is the day of the visit, ``found_nothing``
    whether it found no problem (``False``: ``issue_id`` is the issue filed for what was
    found), and ``note`` what the supervisor wrote. ``found_nothing`` is ``None``
    before the visit is recorded.
    """

    task: Task
    supervisor_id: int
    status: AssignmentStatus = attrs.field(converter=AssignmentStatus)
    responded_at: dt.datetime | None = None
    decline_reason: str | None = None
    visited_on: dt.date | None = None
    found_nothing: bool | None = None
    note: str = ""
    issue_id: int | None = None

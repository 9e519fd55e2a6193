"""The semi-annual briefing (每半年通报): its period, figures, meeting and delivery, as values.

The figures are built so that they add up: every report a center received in the
half year is in exactly one :class:`BriefingLine`, and every accepted one in exactly
one cell of the :class:`RectificationLine` table.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Any

import attrs

from supervision_core.errors import InvalidInput
from supervision_core.model.clock import SHANGHAI
from supervision_core.model.issues import NotAcceptedReason, RectificationTrack
from supervision_core.model.year import AttendanceStatus

__all__ = [
    "Briefing",
    "BriefingDelivery",
    "BriefingLine",
    "BriefingMeeting",
    "BriefingOpinion",
    "ReceivedLine",
    "RectificationLine",
    "Standing",
    "briefing_period",
]

_PERIOD = re.compile(r"^(\d{4})H([12])$")


def briefing_period(period: str) -> tuple[int, int, dt.datetime, dt.datetime]:
    """``2026H1`` -> (2026, 1, start, end) in Asia/Shanghai."""
    m = _PERIOD.match(period.strip().upper())
    if not m:
        msg = f"通报期应写作 2026H1（上半年）或 2026H2（下半年）：{period!r}"
        raise InvalidInput(msg)
    year, half = int(m.group(1)), int(m.group(2))
    start = dt.datetime(year, 1 if half == 1 else 7, 1, tzinfo=SHANGHAI)
    end = (
        dt.datetime(year, 7, 1, tzinfo=SHANGHAI)
        if half == 1
        else dt.datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    )
    return year, half, start, end


class ReceivedLine(enum.StrEnum):
    """Where a report received in the half year stands: each is in exactly one line."""

    ACCEPTED = "accepted"  # 受理（已进入台账）
    NOT_ACCEPTED = "not_accepted"  # 不予受理，按六类理由分列
    PENDING = "pending"  # 待受理审查
    MERGED = "merged"  # 与其他反馈合并办理
    FOLLOW_UP = "follow_up"  # 对已反馈问题的补充，附于原问题
    QUARANTINED = "quarantined"  # 在隔离区待甄别（发件人未登记、无法识别等）
    DISMISSED = "dismissed"  # 经甄别不属于监督员反馈，已驳回（保留记录）

    @property
    def label(self) -> str:
        """The line in Chinese."""
        return {
            "accepted": "受理",
            "not_accepted": "不予受理",
            "pending": "待受理审查",
            "merged": "与其他反馈合并办理",
            "follow_up": "补充反馈（附于原问题）",
            "quarantined": "隔离区待甄别",
            "dismissed": "经甄别不属于监督员反馈（已驳回）",
        }[self.value]


@attrs.frozen
class BriefingLine:
    """How many of the half year's reports stand in ``line`` (and, if not accepted, why)."""

    line: ReceivedLine = attrs.field(converter=ReceivedLine)
    count: int
    reason: NotAcceptedReason | None = None

    @property
    def label(self) -> str:
        """The line in Chinese; a not-accepted line names its reason."""
        if self.reason is not None:
            return f"{self.line.label}：{self.reason.label}"
        return self.line.label


class Standing(enum.StrEnum):
    """Where an accepted issue stands against its first deadline."""

    ON_TIME = "on_time"  # 按期完成
    LATE = "late"  # 逾期完成
    OPEN = "open"  # 正在办理，未逾期
    OPEN_OVERDUE = "open_overdue"  # 正在办理，已逾期

    @property
    def label(self) -> str:
        """The standing in Chinese."""
        return {
            "on_time": "按期完成",
            "late": "逾期完成",
            "open": "正在办理",
            "open_overdue": "已逾期未完成",
        }[self.value]


@attrs.frozen(kw_only=True)
class RectificationLine:
    """The accepted issues on one track (``None``: not yet dispatched or planned)."""

    track: RectificationTrack | None
    on_time: int = 0
    late: int = 0
    open: int = 0
    open_overdue: int = 0
    total: int = attrs.field(init=False)

    @total.default
    def _total(self) -> int:
        return self.on_time + self.late + self.open + self.open_overdue

    @property
    def label(self) -> str:
        """The track in Chinese."""
        return self.track.label if self.track is not None else "待派单或待确定整改方式"


@attrs.frozen
class BriefingOpinion:
    """One opinion heard at a briefing."""

    supervisor_id: int | None
    text: str
    recorded_at: dt.datetime


def _attendance(
    values: Any,
) -> tuple[tuple[int, AttendanceStatus], ...]:
    return tuple(sorted((int(s), AttendanceStatus(v)) for s, v in dict(values).items()))


@attrs.frozen(kw_only=True)
class BriefingMeeting:
    """The briefing meeting (通报会) of a half year: when, where, who came.

    ``attendance`` is by supervisor id. The opinions heard there are the period's
    :class:`BriefingOpinion` values.
    """

    center: str
    period: str
    held_on: dt.date
    place: str
    chair: str | None = None
    note: str | None = None
    attendance: tuple[tuple[int, AttendanceStatus], ...] = attrs.field(
        default=(), converter=_attendance
    )
    recorded_by: str
    recorded_at: dt.datetime

    def count(self, status: AttendanceStatus | str) -> int:
        """How many invited supervisors answered ``status``."""
        return sum(1 for _, s in self.attendance if s == status)


@attrs.frozen(kw_only=True)
class BriefingDelivery:
    """What ``send_briefing`` put in the outbox.

    A notice per active supervisor, keyed by center,
    period and supervisor: sending again adds only those not sent to before.
    """

    center: str
    period: str
    supervisors: int  # active supervisors of the center
    sent: int  # newly enqueued now
    already_sent: int  # enqueued by an earlier send, not again
    notifiers: tuple[str, ...]
    without_address: tuple[int, ...] = ()  # active supervisors with no address on file


@attrs.frozen(kw_only=True)
class Briefing:
    """The figures of a half year for one center.

    ``received`` is counted straight from the reports; ``lines`` put every one of
    them in exactly one line, so ``sum(line.count)`` equals it (:attr:`adds_up`).
    ``rectification`` puts every accepted issue in one cell; lateness is judged
    against the first deadline its first plan set, whatever re-plans or extensions
    came later.
    """

    center: str
    center_name: str
    period: str
    received: int
    lines: tuple[BriefingLine, ...]
    accepted: int
    not_accepted: dict[str, int]  # by the reason's label
    pending: int
    merged: int
    follow_ups: int
    quarantined: int
    dismissed: int
    rectification: tuple[RectificationLine, ...]
    reopened: int  # accepted issues a supervisor sent back at least once (不满意，重新整改)
    redispatched: int  # accepted issues dispatched again (a unit objected, or reopened)
    closed: int
    satisfaction: dict[str, int]
    problem_types: list[tuple[str, int]]
    stages: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    typical_cases: list[dict[str, Any]]
    opinions: list[BriefingOpinion]
    meeting: BriefingMeeting | None = None

    @property
    def lines_total(self) -> int:
        """The lines summed: equal to ``received`` when nothing arrived while counting."""
        return sum(line.count for line in self.lines)

    @property
    def adds_up(self) -> bool:
        """Whether the lines sum to the reports received, and the table to those accepted."""
        return (
            self.lines_total == self.received
            and sum(r.total for r in self.rectification) == self.accepted
        )

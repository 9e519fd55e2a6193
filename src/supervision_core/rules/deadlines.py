"""Time limits, in working days, and the deadlines they give (DOMAIN: rules with numbers)."""

from __future__ import annotations

import datetime as dt

import attrs

from supervision_core.errors import InvalidInput
from supervision_core.model.clock import local_date
from supervision_core.model.issues import RectificationTrack
from supervision_core.rules.workdays import Deadline, WorkCalendar

__all__ = ["TimeLimits", "check_plan_days", "due_after", "rectification_due"]


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        msg = f"时限 {attribute.name} 不能为负数：{value}"
        raise ValueError(msg)


def _at_most_a_year(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value > _WORKING_YEAR:
        msg = f"时限 {attribute.name} 不能超过 {_WORKING_YEAR} 个工作日（约一年）：{value}"
        raise ValueError(msg)


_WORKING_YEAR = 250


@attrs.frozen(kw_only=True)
class TimeLimits:
    """Every time limit is a setting; these defaults come from comparable practice."""

    screening: int = attrs.field(default=1, validator=_positive)
    dispatch: int = attrs.field(default=1, validator=_positive)
    plan: int = attrs.field(default=1, validator=_positive)
    immediate: int = attrs.field(default=1, validator=_positive)
    scheduled: int = attrs.field(default=10, validator=_positive)
    explanation: int = attrs.field(default=5, validator=_positive)
    max_extensions: int = attrs.field(default=3, validator=_positive)
    max_extension_days: int = attrs.field(default=5, validator=_positive)
    #: The longest term, in working days, a center may set on a plan itself; a unit's
    #: own plan is held to ``scheduled`` (or ``explanation``) and asks the center for more.
    max_plan: int = attrs.field(default=60, validator=[_positive, _at_most_a_year])
    reminder_before: int = attrs.field(default=2, validator=_positive)
    escalate_to_banner_after: int = attrs.field(default=5, validator=_positive)
    count_start_day: bool = False


def due_after(
    moment: dt.datetime, days: int, calendar: WorkCalendar, limits: TimeLimits
) -> Deadline:
    """The deadline ``days`` working days after ``moment`` (counted in Asia/Shanghai)."""
    return calendar.add_working_days(local_date(moment), days, count_start=limits.count_start_day)


def check_plan_days(
    track: RectificationTrack, days: int | None, limits: TimeLimits, *, by_center: bool
) -> None:
    """Refuse a plan's term outside what its author may set (:class:`InvalidInput`).

    A unit may shorten its term but not lengthen it beyond the track's limit
    (``scheduled`` for 限时整改, ``explanation`` for a written explanation): a longer
    term is the center's to approve, up to ``max_plan``; an extension after that has
    its own limits. An immediate fix takes no term.
    """
    if days is None or track is RectificationTrack.IMMEDIATE:
        return
    if days < 1:
        msg = f"整改期限至少 1 个工作日：{days}"
        raise InvalidInput(msg)
    if by_center:
        longest = max(limits.max_plan, limits.scheduled, limits.explanation)
        if days > longest:
            msg = f"整改期限最长 {longest} 个工作日：{days}"
            raise InvalidInput(msg)
        return
    own = limits.scheduled if track is RectificationTrack.SCHEDULED else limits.explanation
    if days > own:
        msg = (
            f"承办单位自行确定的期限最长 {own} 个工作日（现为 {days} 个）；"
            "需要更长期限的，请报中心批准"
        )
        raise InvalidInput(msg)


def rectification_due(
    moment: dt.datetime,
    track: RectificationTrack,
    calendar: WorkCalendar,
    limits: TimeLimits,
    *,
    days: int | None = None,
) -> Deadline:
    """The deadline of a plan chosen at ``moment`` on ``track``.

    ``days`` overrides the default limit of a scheduled plan (限时整改 is set per plan);
    an immediate fix is due by the next working day whatever is asked.
    """
    if track is RectificationTrack.IMMEDIATE:
        return due_after(moment, limits.immediate, calendar, limits)
    check_plan_days(track, days, limits, by_center=True)  # never a term beyond any limit
    if track is RectificationTrack.EXPLAINED:
        return due_after(moment, days or limits.explanation, calendar, limits)
    return due_after(moment, days or limits.scheduled, calendar, limits)

"""Who may see what in the console, checked on the server for every page and action.

A center's staff act on their center's issues (the banner center's staff on all),
auditors only read, units only see their portal.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException

from supervision_core import (
    CenterLevel,
    Issue,
    IssueSummary,
    Ledger,
    NotFound,
    Role,
    StaffUser,
    can_see_center,
    can_work_issue,
)

__all__ = [
    "PAGE",
    "centers_of",
    "require_staff",
    "require_unit",
    "unit_issue_of",
    "unit_issues",
    "visible_issue",
]

PAGE = 50  # rows on a page of the queue or the quarantine


def centers_of(ledger: Ledger, user: StaffUser) -> list[str]:
    """The codes of the centers ``user`` may see."""
    return [c.code for c in ledger.centers() if can_see_center(user, c.code)]


def require_staff(user: StaffUser) -> None:
    """Refuse (403) anyone but a center's staff or an auditor."""
    if user.role not in (Role.STAFF, Role.AUDITOR):
        raise HTTPException(403, "此页面仅供中心工作人员使用。")


def require_unit(user: StaffUser) -> str:
    """The unit code of a unit's account; refuse (403) any other account."""
    if user.role is not Role.UNIT or not user.unit:
        raise HTTPException(403, "此页面仅供承办单位使用。")
    return user.unit


def visible_issue(ledger: Ledger, user: StaffUser, number: str) -> Issue:
    """The issue ``number``, if ``user`` may see its center (404 or 403 otherwise)."""
    try:
        issue = ledger.issue(number)
    except NotFound:
        raise HTTPException(404, "没有这件问题。") from None
    if not can_see_center(user, issue.center):
        raise HTTPException(403, "您无权查看其他中心的问题。")
    return issue


def unit_issue_of(ledger: Ledger, user: StaffUser, number: str) -> Issue:
    """The issue ``number``, if it was dispatched to the unit of ``user`` (404 or 403).

    A banner-level unit also works the townships' issues dispatched to it
    (:func:`~supervision_core.can_work_issue`).
    """
    try:
        issue = ledger.issue(number)
    except NotFound:
        raise HTTPException(404, "没有这件问题。") from None
    local = {u.code for u in ledger.units(issue.center)}
    if not can_work_issue(user, issue.center, issue.unit, local):
        raise HTTPException(403, "这件问题没有派给您的单位。")
    return issue


def unit_issues(ledger: Ledger, user: StaffUser, unit: str) -> list[IssueSummary]:
    """The issues dispatched to ``unit``: of its center, a banner-level unit's also of townships."""
    banner = user.center_level is CenterLevel.BANNER
    rows = ledger.issues(center=None if banner else user.center, unit=unit)
    if not banner:
        return rows
    local: dict[str, set[str]] = {}
    for u in ledger.units():
        local.setdefault(u.center, set()).add(u.code)
    return [r for r in rows if can_work_issue(user, r.center, r.unit, local.get(r.center, set()))]

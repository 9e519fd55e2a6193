"""The steps a posted form asks for, taken on the ledger with the acting user's name.

Staff screen, dispatch, extend, close and merge; staff and units both plan, report
progress, complete and explain; a unit may also object to a dispatch. The ledger's own
rules refuse a step its state does not allow.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException

from supervision_core import InvalidInput, JointAnalysis, Ledger, NotFound, StaffUser

from ..typed import form_date, form_number, refuse_nul
from .access import visible_issue

__all__ = ["act_as_staff", "act_as_unit", "rectification_step"]

MAX_TERM = 9999  # working days; the ledger's own limits are far lower and say so


def act_as_staff(ledger: Ledger, user: StaffUser, number: str, f: dict[str, str]) -> None:
    """Take the step the staff's form ``f`` asks for on issue ``number`` of a visible center."""
    refuse_nul(f)
    issue = visible_issue(ledger, user, number)
    actor = f"user:{user.username}"
    action = f.get("action", "")
    if action == "accept":
        ledger.accept(issue.number, actor=actor, note=f.get("note") or None)
    elif action == "not_accept":
        ledger.not_accept(
            issue.number,
            reason=f.get("reason", ""),
            note=f.get("note", ""),
            actor=actor,
            analysis=_analysis(ledger, f),
        )
    elif action == "dispatch":
        unit = f.get("unit", "")
        if unit not in {u.code for u in ledger.units(issue.center)}:
            raise InvalidInput("请选择本中心的承办单位")
        ledger.dispatch(
            issue.number, unit=unit, responsible_person=f.get("person", ""), actor=actor
        )
    elif action == "extend":
        # Granted by the user's center: past the deadline only the banner center may.
        ledger.extend(
            issue.number,
            days=form_number(f.get("days"), "延期天数", high=MAX_TERM) or 0,
            reason=f.get("reason", ""),
            actor=actor,
            granted_by=user.center,
        )
    elif action == "close":
        ledger.close_issue(issue.number, note=f.get("note", ""), actor=actor)
    elif action == "merge":
        into = f.get("into", "").strip()
        try:
            target = visible_issue(ledger, user, into)
        except HTTPException as e:
            if e.status_code != 404:
                raise
            raise InvalidInput(f"没有编号为 {into[:40]} 的问题，请检查要并入的问题编号") from None
        ledger.merge(issue.number, into=target.number, actor=actor, note=f.get("note") or None)
    elif not rectification_step(ledger, issue.number, f, actor, by_center=True):
        raise InvalidInput(f"未知的操作：{action}")


def _analysis(ledger: Ledger, f: dict[str, str]) -> JointAnalysis | None:
    """The joint analysis of reason six the form gives, if any of its fields is filled."""
    lines = f.get("participants", "").splitlines()
    if not (f.get("analysis_date") or any(x.strip() for x in lines) or f.get("conclusion")):
        return None

    def name(supervisor_id: int) -> str:
        try:
            return ledger.supervisor(supervisor_id).name
        except NotFound:
            raise ValueError(f"没有编号为 {supervisor_id} 的监督员") from None

    try:
        return JointAnalysis.parse(
            held_on=form_date(f.get("analysis_date"), "研判日期"),
            participants=lines,
            conclusion=f.get("conclusion"),
            supervisor_name=name,
        )
    except ValueError as e:
        raise InvalidInput(str(e)) from None


# ---------------------------------------------------------------- the unit's portal


def act_as_unit(ledger: Ledger, user: StaffUser, number: str, f: dict[str, str]) -> None:
    """Take the step the unit's form ``f`` asks for (the caller checked the dispatch)."""
    refuse_nul(f)
    actor = f"unit:{user.unit}:{user.username}"
    if f["action"] == "object":
        ledger.object_dispatch(number, reason=f.get("reason", ""), actor=actor)
    else:
        rectification_step(ledger, number, f, actor, by_center=False)


def rectification_step(
    ledger: Ledger, number: str, f: dict[str, str], actor: str, *, by_center: bool
) -> bool:
    """A step staff and units both take: plan, progress, complete, explain.

    ``by_center``: the center's staff may set a plan's term up to ``max_plan`` working
    days; a unit only up to its track's limit (a longer term is the center's to approve).
    Returns False when ``f`` asks for something else.
    """
    action = f.get("action")
    if action == "plan":
        ledger.plan(
            number,
            track=f.get("track", ""),
            measures=f.get("measures") or None,
            days=form_number(f.get("days"), "整改期限（工作日）", high=MAX_TERM),
            actor=actor,
            by_center=by_center,
        )
    elif action == "progress":
        ledger.progress(number, note=f.get("note", ""), actor=actor)
    elif action == "complete":
        ledger.complete(number, evidence=f.get("evidence", ""), actor=actor)
    elif action == "explain":
        ledger.explain(number, explanation=f.get("explanation", ""), actor=actor)
    else:
        return False
    return True

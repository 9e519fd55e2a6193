"""What a unit may learn of an issue dispatched to it: never who reported it (the notice's independence rule)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from supervision_core.model.clock import local_date
from supervision_core.model.issues import Issue, UnitView
from supervision_core.rules.masking import mask_personal_data

__all__ = ["unit_view"]


def unit_view(
    issue: Issue, *, dissatisfaction: str | None = None, conceal: Iterable[str] = ()
) -> UnitView:
    """What the unit an issue was dispatched to may see: never who reported it.

    ``dissatisfaction`` is the supervisor's reason for not being satisfied (the note
    of the evaluation that reopened the issue); it reaches the unit masked, as the
    issue's text does, and without who gave it: whatever of ``conceal`` (the
    supervisor's name and addresses) it contains is blotted out.
    """
    reason = (
        mask_personal_data(_conceal(dissatisfaction.strip(), conceal)) if dissatisfaction else None
    )
    return UnitView(
        number=issue.number,
        center=issue.center,
        received_on=local_date(issue.received_at),
        text=mask_personal_data(issue.text),
        hints=issue.hints,
        state=issue.state,
        unit=issue.unit,
        responsible_person=issue.responsible_person,
        track=issue.track,
        measures=issue.measures,
        due_on=issue.due_on,
        due_confirmed=issue.due_confirmed,
        dissatisfaction=reason or None,
    )


def _conceal(text: str, values: Iterable[str]) -> str:
    """``text`` with each of ``values`` (two characters or more) replaced by ``***``."""
    for value in sorted({v.strip() for v in values if len(v.strip()) >= 2}, key=len, reverse=True):
        text = re.sub(re.escape(value), "***", text, flags=re.IGNORECASE)
    return text

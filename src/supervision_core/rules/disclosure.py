"""What a unit may learn of an issue dispatched to it: never who reported it (the notice's independence rule)."""

from __future__ import annotations

from supervision_core.model.clock import local_date
from supervision_core.model.issues import Issue, UnitView
from supervision_core.rules.masking import mask_personal_data

__all__ = ["unit_view"]


def unit_view(issue: Issue) -> UnitView:
    """What the unit an issue was dispatched to may see: never who reported it."""
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
    )

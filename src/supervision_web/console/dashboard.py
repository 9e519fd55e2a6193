"""The dashboard (``/console/dashboard``): intake by channel and week, open and overdue issues."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from supervision_core import ProblemType, Stage

from ..app import desk_of, render, require_user
from .access import centers_of, require_staff

__all__ = ["console_dashboard"]


async def console_dashboard(request: Request) -> Response:
    """Intake by channel over time, open and overdue issues, by problem type and stage."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)

    def load() -> Any:
        ledger = desk.ledger
        centers = centers_of(ledger, user)
        return (
            ledger.dashboard(centers),
            {c.code: c.name for c in ledger.centers() if c.code in centers},
            ledger.vocabulary(),
        )

    data, centers, vocabulary = await desk.call(load)
    channels = sorted({ch for week in data["by_week"].values() for ch in week})
    peak = max((sum(w.values()) for w in data["by_week"].values()), default=1) or 1
    labels = {p.value: p.label for p in ProblemType} | {s.value: s.label for s in Stage}
    context = {
        "data": data,
        "centers": centers,
        "channels": channels,
        "channel_names": {ch: vocabulary.channel(ch) for ch in channels},
        "peak": peak,
        "labels": labels,
        "type_peak": max(data["by_type"].values(), default=1) or 1,
        "stage_peak": max(data["by_stage"].values(), default=1) or 1,
    }
    return render(request, "console/dashboard.html", context)

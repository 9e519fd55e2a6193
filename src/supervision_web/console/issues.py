"""One issue (``/console/issues/{number}``): its history, proposals and the staff's steps."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from supervision_core import (
    InvalidInput,
    InvalidTransition,
    JointAnalysis,
    NotAcceptedReason,
    NotFound,
    RecipientKind,
    RectificationTrack,
    Role,
    mask_phone,
)

from ..app import desk_of, posted_fields, render, require_user
from ..typed import said
from .access import require_staff, visible_issue
from .steps import act_as_staff

__all__ = ["console_issue"]


async def console_issue(request: Request) -> Response:
    """An issue with its history, proposals and the actions its state allows."""
    user = await require_user(request)
    require_staff(user)
    desk = desk_of(request)
    number = request.path_params["number"]
    message = None
    status = 200
    typed: dict[str, str] = {}
    if request.method == "POST":
        if user.role is not Role.STAFF:
            raise HTTPException(403, "审计账号只能查看，不能办理。")
        fields = await posted_fields(request)
        try:
            await desk.call(act_as_staff, desk.ledger, user, number, fields)
            return RedirectResponse(f"/console/issues/{number}", status_code=303)
        except (InvalidInput, InvalidTransition, NotFound, ValueError) as e:
            message, status, typed = said(e), 400, fields

    def load() -> Any:
        ledger = desk.ledger
        issue = visible_issue(ledger, user, number)
        supervisor = ledger.supervisor(issue.supervisor_id)
        ledger.log_access(
            user=user.username,
            action="view_issue",
            purpose=f"网页 {request.url.path}",
            supervisors=[supervisor.id],
            target=issue.number,
        )
        phone = next((i.value for i in supervisor.identities if i.kind.value == "phone"), "")
        # The responsible unit by name: the issue's center's, else the banner center's.
        named = {u.code: u.name for u in ledger.units()} | {
            u.code: u.name for u in ledger.units(issue.center)
        }
        return (
            issue,
            ledger.history(issue.id),
            ledger.proposals(issue.id),
            supervisor,
            mask_phone(phone),
            [u for u in ledger.units(issue.center)],
            named.get(issue.unit or ""),
            sorted(ledger.outbox(issue=issue.id), key=lambda e: e.id),
            ledger.vocabulary(),
        )

    (
        issue,
        history,
        proposals,
        supervisor,
        phone,
        units,
        unit_name,
        notices,
        vocabulary,
    ) = await desk.call(load)
    context = {
        "issue": issue,
        "unit_name": unit_name,
        "vocab": vocabulary,
        "late": issue.is_late(desk.ledger.today()),
        "history": history,
        "analyses": {
            i: JointAnalysis.from_data(e.data["analysis"]).summary()
            for i, e in enumerate(history)
            if e.data.get("analysis")
        },
        "proposals": proposals,
        "supervisor_name": supervisor.name,
        "supervisor_phone": phone,
        "units": units,
        "reasons": list(NotAcceptedReason),
        "tracks": list(RectificationTrack),
        "message": message,
        "typed": typed,
        "can_act": user.role is Role.STAFF,
        "notices": notices,
        "recipients": {k.value: label for k, label in _RECIPIENTS.items()},
    }
    return render(request, "console/issue.html", context, status_code=status)


_RECIPIENTS = {
    RecipientKind.SUPERVISOR: "监督员",
    RecipientKind.UNIT: "承办单位",
    RecipientKind.CENTER: "中心",
}

"""The console's page of webhooks (``/console/webhooks``, 事件推送): the log and replay.

It lists the subscriptions and their delivery log. A center's staff and auditors see the
subscriptions of the centers they may see (the banner's all) and their deliveries; only
staff replay a delivery (sent again in the next round of the daemon's ``webhooks`` job).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from supervision_core import InvalidInput, NotFound, Role

from ..app import call_as_user, posted_fields, render
from ..console.access import centers_of, require_staff
from ..typed import form_id, said

__all__ = ["console_webhooks"]

LIMIT = 200


async def console_webhooks(request: Request) -> Response:
    """The subscriptions and the delivery log; POST ``id``: replay that delivery."""
    message, status = None, 200
    if request.method == "POST":
        fields = await posted_fields(request)

        def replay(user: Any) -> None:
            require_staff(user)
            if user.role is not Role.STAFF:
                raise InvalidInput("审计账号只能查看，不能重新推送")
            delivery_id = form_id(fields.get("id"), "推送记录编号")
            if delivery_id is None:
                raise InvalidInput("请选择要重新推送的记录")
            ledger = request.app.state.desk.ledger
            delivery = ledger.webhooks.delivery(delivery_id)
            hooks = {h.id: h for h in ledger.webhooks.list()}
            hook = hooks.get(delivery.webhook_id)
            if hook is None or hook.center not in centers_of(ledger, user):
                raise NotFound("没有这条推送记录")
            ledger.webhooks.replay(delivery_id)

        try:
            await call_as_user(request, replay)
            return RedirectResponse("/console/webhooks", status_code=303)
        except (InvalidInput, NotFound) as e:
            message, status = said(e), 400

    def load(user: Any) -> dict[str, Any]:
        require_staff(user)
        ledger = request.app.state.desk.ledger
        centers = set(centers_of(ledger, user))
        hooks = [h for h in ledger.webhooks.list() if h.center in centers]
        ids = {h.id for h in hooks}
        deliveries = [d for d in ledger.webhooks.deliveries(limit=LIMIT * 5) if d.webhook_id in ids]
        return {
            "hooks": hooks,
            "deliveries": deliveries[:LIMIT],
            "can_act": user.role is Role.STAFF,
        }

    context = await call_as_user(request, load)
    context["message"] = message
    return render(request, "console/webhooks.html", context, status_code=status)

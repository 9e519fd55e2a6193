"""The built-in sender matcher: a supervisor's recorded identities (a default plugin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core.hookspecs import hookimpl
from supervision_core.model.supervisors import ContactKind

if TYPE_CHECKING:
    from supervision_core.model.centers import Center
    from supervision_core.model.reports import Sender
    from supervision_core.registries import SupervisorDirectory


@hookimpl(trylast=True)
def supervision_match_sender(
    sender: Sender, center: Center, directory: SupervisorDirectory
) -> int | None:
    """Look the sender up by the identity the channel gave (e-mail, phone, messenger).

    A sender picked from the register at the front desk names the supervisor's id.
    """
    if sender.kind is ContactKind.REGISTER:
        return int(sender.value) if sender.value.isdigit() else None
    return directory.find_by_identity(sender.kind.value, sender.normalized)

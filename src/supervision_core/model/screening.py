"""A screening check's proposal: the value a check gives the operator."""

from __future__ import annotations

import attrs

from supervision_core.model.issues import NotAcceptedReason

__all__ = ["ScreeningProposal"]


@attrs.frozen
class ScreeningProposal:
    """A check's proposal: one of the six reasons, and the evidence that led to it."""

    reason: NotAcceptedReason = attrs.field(converter=NotAcceptedReason)
    evidence: str

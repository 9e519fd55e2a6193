"""The messenger conversation, now in the core's public API (``supervision_core``).

Kept so that ``channels.messenger.conversation`` goes on working; new code imports
``Inbound``, ``MessengerDesk``... from ``supervision_core``, as plugins must.
"""

from __future__ import annotations

from supervision_core import (
    FileRef,
    Inbound,
    MessengerDesk,
    Outbound,
    StepResult,
    conversation_step,
    evaluation_buttons,
)

__all__ = [
    "FileRef",
    "Inbound",
    "MessengerDesk",
    "Outbound",
    "StepResult",
    "evaluation_buttons",
    "step",
]

step = conversation_step

"""Notices to supervisors and units, and the notifiers that carry them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Protocol

import attrs

from supervision_core.model.reports import Attachment
from supervision_core.model.supervisors import Identity

__all__ = ["Notice", "Notifier", "RecipientKind"]


class RecipientKind(enum.StrEnum):
    """Who a notice is for."""

    SUPERVISOR = "supervisor"
    UNIT = "unit"
    CENTER = "center"  # a center's staff (the routine's reminders and escalations)


def _addresses(values: Iterable[Identity]) -> tuple[Identity, ...]:
    return tuple(values)


def _attachments(values: Iterable[Attachment]) -> tuple[Attachment, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class Notice:
    """One message to one recipient.

    ``key`` is unique per notice and stable across retries, so a transport that
    supports idempotency keys can deliver it exactly once. ``attachments`` are files
    sent with it (the semi-annual briefing's PDF); a transport that cannot carry
    files sends the body alone.
    """

    key: str
    center: str
    recipient_kind: RecipientKind = attrs.field(converter=RecipientKind)
    recipient: str  # supervisor id or unit code
    addresses: tuple[Identity, ...] = attrs.field(converter=_addresses, default=())
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = attrs.field(converter=_attachments, default=())


class Notifier(Protocol):
    """A transport that delivers notices (e-mail, a messenger, SMS...).

    ``deliver`` raises on failure so the caller can retry later; it must not
    block the event loop for long. An optional ``label`` names it in Chinese where
    people read it (the ledger's 告知监督员 column); without one, the label of the
    channel of the same name is used.
    """

    @property
    def name(self) -> str: ...

    def deliver(self, notice: Notice) -> None:
        """Send ``notice`` to whichever of its addresses this transport can reach."""
        ...

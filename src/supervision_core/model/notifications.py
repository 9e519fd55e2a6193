"""Notices to supervisors and units, and the notifiers that carry them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Protocol

import attrs

from supervision_core.errors import SupervisionError
from supervision_core.model.reports import Attachment
from supervision_core.model.supervisors import Identity

__all__ = ["Notice", "Notifier", "RecipientKind", "Unreachable"]


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


class Unreachable(SupervisionError):
    """A notifier cannot reach a notice's recipient at all: nothing was sent.

    Raised by :meth:`Notifier.deliver` when the transport has no way to this
    recipient — no address of its kind (a supervisor without an e-mail address, an
    unlinked Telegram account), or a kind of recipient it does not serve (WeCom's
    group robots reach units only). Trying again will not help, so the outbox does
    not retry: it tries the recipient's next way at once, and when none is left the
    notice becomes ``unreachable`` (or a call task, for a supervisor with a phone
    number). The message says why, in Chinese (``"没有电子邮箱地址"``); the outbox
    records it prefixed with the notifier's name.
    """


class Notifier(Protocol):
    """A transport that delivers notices (e-mail, a messenger, SMS...).

    ``deliver`` has three outcomes, and the outbox believes what it is told:

    - it returns: the transport accepted the notice for its recipient (the notice
      is ``delivered``, and the ledger says it went this way);
    - it raises :class:`Unreachable`: this transport cannot reach the recipient
      (nothing was sent; the next way is tried);
    - it raises anything else: sending failed for now (the next way is tried, and
      the notice is retried later with backoff if none takes it).

    A notifier must never return quietly without sending. An optional ``label``
    names it in Chinese where people read it (the ledger's 告知监督员 column); without
    one, the label of the channel of the same name is used. A notifier that cannot
    carry ``notice.attachments`` sends the body alone. It must not block the
    event loop for long (it is called from a worker thread).
    """

    @property
    def name(self) -> str: ...

    def deliver(self, notice: Notice) -> None:
        """Send ``notice`` to its recipient; raise :class:`Unreachable` when this transport cannot."""
        ...

"""Who reported an issue, as far as a text could give it away: what a unit must never read."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from supervision_core.model.reports import Sender
from supervision_core.model.supervisors import ContactKind, Identity, Supervisor

__all__ = ["Reporter"]


def _strings(values: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.strip():
            seen.setdefault(value.strip(), None)
    return tuple(seen)


def _identities(values: Iterable[Identity]) -> tuple[Identity, ...]:
    return tuple(dict.fromkeys(values))


@attrs.frozen(kw_only=True)
class Reporter:
    """The identifiers of the supervisor behind an issue, for redacting what a unit sees.

    ``names`` are the supervisor's name and the names the channels saw (an e-mail's
    display name, a caller's name as logged); ``numbers`` their appointment letter and
    work-card numbers; ``contacts`` every address, number and account of their identity
    record and of the reports' senders. ``colleagues`` are the full names of the other
    supervisors of the center: a report that names a companion tells who was there too.
    """

    names: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    numbers: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    contacts: tuple[Identity, ...] = attrs.field(default=(), converter=_identities)
    colleagues: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    @classmethod
    def of(
        cls,
        supervisor: Supervisor | None,
        senders: Iterable[Sender] = (),
        *,
        colleagues: Iterable[str] = (),
    ) -> Reporter:
        """The identifiers of ``supervisor`` and of the ``senders`` of their reports."""
        senders = list(senders)
        contacts = list(supervisor.identities) if supervisor else []
        for sender in senders:
            if sender.kind is not ContactKind.REGISTER and sender.normalized:
                contacts.append(Identity(sender.kind, sender.value))
        names = [supervisor.name] if supervisor else []
        names += [s.display_name for s in senders if s.display_name]
        return cls(
            names=names,
            numbers=[supervisor.letter_number, supervisor.card_number] if supervisor else [],
            contacts=contacts,
            colleagues=[c for c in colleagues if c not in names],
        )

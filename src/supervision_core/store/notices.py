"""Notices caused by an issue's steps, written to the outbox in the step's transaction."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from supervision_core.model.issues import EventKind, Issue, IssueEvent
from supervision_core.model.notifications import RecipientKind
from supervision_core.model.supervisors import Identity
from supervision_core.rules.disclosure import unit_notice
from supervision_core.rules.notices import notices_for
from supervision_core.store.bulk import bulk_insert
from supervision_core.store.disclosure import reporter_in

# import BULK_COLUMNS, STAGE_TABLE, BulkQuarantine, read_stage
from supervision_core.store.tables import OutboxRow, SupervisorRow, UnitRow, table_of

if TYPE_CHECKING:
    from supervision_core.config import Settings


def enqueue_notices(
    settings: Settings,
    s: Session,
    steps: list[tuple[Issue, IssueEvent]],
    addresses: dict[int, tuple[Identity, ...]],
    now: dt.datetime,
) -> None:
    """Write the notices these steps cause to the outbox, in the same transaction.

    One entry a notice, whatever the center's notifiers: delivery tries the
    recipient's ways (``settings``, read when it is sent) and says honestly what came
    of it — a notice nothing can carry to a supervisor becomes a call task, one to a
    center's staff lands in the console's inbox.
    """
    rows = []
    for issue, event in steps:
        unit_name = _unit_name(settings, s, issue) if issue.unit else None
        # The supervisor's own words go to the unit on a reopening: hide their name in them.
        reopening = event.kind is EventKind.EVALUATED and issue.unit is not None
        supervisor = s.get(SupervisorRow, issue.supervisor_id) if reopening else None
        for notice in notices_for(
            issue,
            event,
            addresses.get(issue.supervisor_id, ()),
            unit_name=unit_name,
            supervisor_name=supervisor.name if supervisor else None,
        ):
            if notice.recipient_kind is RecipientKind.UNIT:
                # What the unit reads is redacted with the reporter's identifiers too.
                notice = unit_notice(notice, reporter_in(s, issue))
            rows.append(
                {
                    "key": notice.key,
                    "issue_id": issue.id,
                    "center_code": notice.center,
                    "status": "pending",
                    "notifier": None,
                    "recipient_kind": notice.recipient_kind.value,
                    "recipient": notice.recipient,
                    "addresses": [
                        {"kind": a.kind.value, "value": a.value} for a in notice.addresses
                    ],
                    "subject": notice.subject,
                    "body": notice.body,
                    "kind": notice.kind,
                    "fields": notice.fields or None,
                    "created_at": now,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
    bulk_insert(s, table_of(OutboxRow), rows)


def _unit_name(settings: Settings, s: Session, issue: Issue) -> str | None:
    """The name of the issue's unit: of its own center first, then of any (the banner's)."""
    candidates = [
        (u.center, u.name) for c in settings.centers for u in c.units if u.code == issue.unit
    ]
    if not candidates:  # a unit since dropped from the configuration stays in the database
        rows = s.exec(select(UnitRow).where(UnitRow.code == issue.unit)).all()
        candidates = [(r.center_code, r.name) for r in rows]
    candidates.sort(key=lambda c: c[0] != issue.center)
    return candidates[0][1] if candidates else None

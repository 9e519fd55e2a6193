"""Notices caused by an issue's steps, written to the outbox in the step's transaction."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlmodel import Session

from supervision_core.model.issues import Issue, IssueEvent
from supervision_core.model.notifications import RecipientKind
from supervision_core.model.supervisors import Identity
from supervision_core.rules.disclosure import unit_notice
from supervision_core.rules.notices import notices_for
from supervision_core.store.bulk import bulk_insert
from supervision_core.store.disclosure import reporter_in

# import BULK_COLUMNS, STAGE_TABLE, BulkQuarantine, read_stage
from supervision_core.store.tables import OutboxRow, table_of

if TYPE_CHECKING:
    from supervision_core.config import Settings


def enqueue_notices(
    settings: Settings,
    s: Session,
    steps: list[tuple[Issue, IssueEvent]],
    addresses: dict[int, tuple[Identity, ...]],
    now: dt.datetime,
) -> None:
    """Write the notices these steps cause to the outbox, in the same transaction."""
    rows = []
    for issue, event in steps:
        center = settings.center(issue.center)
        if center is None or not center.notifiers:
            continue
        for notice in notices_for(issue, event, addresses.get(issue.supervisor_id, ())):
            if notice.recipient_kind is RecipientKind.UNIT:
                # What the unit reads is redacted with the reporter's identifiers too.
                notice = unit_notice(notice, reporter_in(s, issue))
            for notifier in center.notifiers:
                rows.append(
                    {
                        "key": f"{notice.key}:{notifier}",
                        "issue_id": issue.id,
                        "center_code": notice.center,
                        "notifier": notifier,
                        "recipient_kind": notice.recipient_kind.value,
                        "recipient": notice.recipient,
                        "addresses": [
                            {"kind": a.kind.value, "value": a.value} for a in notice.addresses
                        ],
                        "subject": notice.subject,
                        "body": notice.body,
                        "created_at": now,
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                )
    bulk_insert(s, table_of(OutboxRow), rows)

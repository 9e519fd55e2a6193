"""Notices caused by an issue's steps, written to the outbox in the step's transaction."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlmodel import Session

from supervision_core.model.issues import Issue, IssueEvent
from supervision_core.model.supervisors import Identity
from supervision_core.rules.notices import notices_for
from supervision_core.store.bulk import bulk_insert

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
    """Write the notices these steps cause to the outbox, in the same transaction.

    One entry a notice, whatever the center's notifiers: delivery tries the
    recipient's ways (``settings``, read when it is sent) and says honestly what came
    of it — a notice nothing can carry to a supervisor becomes a call task, one to a
    center's staff lands in the console's inbox.
    """
    rows = []
    for issue, event in steps:
        for notice in notices_for(issue, event, addresses.get(issue.supervisor_id, ())):
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
                    "created_at": now,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
    bulk_insert(s, table_of(OutboxRow), rows)

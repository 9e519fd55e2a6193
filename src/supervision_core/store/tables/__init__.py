"""Database tables (SQLModel ``table=True`` rows only), built when first named.

Rows are converted to domain values by the store; nothing outside the store sees them.
Indexes follow the ledger's queries: a center's open issues by deadline, a supervisor's
issues by date, intake idempotency on (channel, external id), an issue's events in order.

The classes live in a few modules by subject (``core``: the ledger itself; ``people``,
``year``, ``tasks``, ``accounts``), each imported the first time one of its classes is
named here (``from supervision_core.store.tables import IssueRow``). Building a SQLModel
class costs a few milliseconds (a pydantic model and a SQLAlchemy mapper), and
``supdesk issues list`` needs only the core's: building all 41 was a quarter of its
start-up (bench/bench_cli.py). A module imports the modules of the tables its foreign
keys name, so a loaded table's references are always on the metadata.

Whatever works on the whole ``SQLModel.metadata`` (migrations, the tests comparing it
with the migrated schema) calls :func:`load_all` first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from supervision_core.store.tables.base import UTCDateTime, table_of

if TYPE_CHECKING:
    from supervision_core.store.tables.accounts import (
        AccessLogRow,
        ApiTokenRow,
        ChannelCursorRow,
        IdempotencyRow,
        LeaseRow,
        LinkCodeRow,
        MessengerSessionRow,
        SignInCodeRow,
        StaffUserRow,
        SupervisorSessionRow,
    )
    from supervision_core.store.tables.core import (
        AttachmentRow,
        CatalogVersionRow,
        CenterRow,
        CounterRow,
        EventRow,
        IdentityRow,
        ImportBatchRow,
        IssuePurgeRow,
        IssueRow,
        OutboxRow,
        ProposalRow,
        ReportRow,
        SupervisorRow,
        UnitRow,
        WebhookDeliveryRow,
        WebhookRow,
    )
    from supervision_core.store.tables.people import (
        ActivityRow,
        ActivitySignupRow,
        AttendanceRow,
        DisciplineRow,
        SupervisorChangeRow,
    )
    from supervision_core.store.tables.tasks import LibraryDocumentRow, TaskAssignmentRow, TaskRow
    from supervision_core.store.tables.year import (
        BriefingAttendanceRow,
        BriefingMeetingRow,
        BriefingOpinionRow,
        CommendationRow,
        EvaluationRow,
        FieldVisitRow,
        FindingRow,
        OfficerRecommendationRow,
        WorkPlanRow,
    )

__all__ = [
    "AccessLogRow",
    "ActivityRow",
    "ActivitySignupRow",
    "ApiTokenRow",
    "AttachmentRow",
    "AttendanceRow",
    "BriefingAttendanceRow",
    "BriefingMeetingRow",
    "BriefingOpinionRow",
    "CatalogVersionRow",
    "CenterRow",
    "ChannelCursorRow",
    "CommendationRow",
    "CounterRow",
    "DisciplineRow",
    "EvaluationRow",
    "EventRow",
    "FieldVisitRow",
    "FindingRow",
    "IdempotencyRow",
    "IdentityRow",
    "ImportBatchRow",
    "IssuePurgeRow",
    "IssueRow",
    "LeaseRow",
    "LibraryDocumentRow",
    "LinkCodeRow",
    "MessengerSessionRow",
    "OfficerRecommendationRow",
    "OutboxRow",
    "ProposalRow",
    "ReportRow",
    "SignInCodeRow",
    "StaffUserRow",
    "SupervisorChangeRow",
    "SupervisorRow",
    "SupervisorSessionRow",
    "TaskAssignmentRow",
    "TaskRow",
    "UTCDateTime",
    "UnitRow",
    "WebhookDeliveryRow",
    "WebhookRow",
    "WorkPlanRow",
    "load_all",
    "table_of",
]

#: The module (under this package) of every table class.
WHERE: dict[str, str] = {
    "AccessLogRow": "accounts",
    "ActivityRow": "people",
    "ActivitySignupRow": "people",
    "ApiTokenRow": "accounts",
    "AttachmentRow": "core",
    "AttendanceRow": "people",
    "BriefingAttendanceRow": "year",
    "BriefingMeetingRow": "year",
    "BriefingOpinionRow": "year",
    "CatalogVersionRow": "core",
    "CenterRow": "core",
    "ChannelCursorRow": "accounts",
    "CommendationRow": "year",
    "CounterRow": "core",
    "DisciplineRow": "people",
    "EvaluationRow": "year",
    "EventRow": "core",
    "FieldVisitRow": "year",
    "FindingRow": "year",
    "IdempotencyRow": "accounts",
    "IdentityRow": "core",
    "ImportBatchRow": "core",
    "IssuePurgeRow": "core",
    "IssueRow": "core",
    "LeaseRow": "accounts",
    "LibraryDocumentRow": "tasks",
    "LinkCodeRow": "accounts",
    "MessengerSessionRow": "accounts",
    "OfficerRecommendationRow": "year",
    "OutboxRow": "core",
    "ProposalRow": "core",
    "ReportRow": "core",
    "SignInCodeRow": "accounts",
    "StaffUserRow": "accounts",
    "SupervisorChangeRow": "people",
    "SupervisorRow": "core",
    "SupervisorSessionRow": "accounts",
    "TaskAssignmentRow": "tasks",
    "TaskRow": "tasks",
    "UnitRow": "core",
    "WebhookDeliveryRow": "core",
    "WebhookRow": "core",
    "WorkPlanRow": "year",
}


def __getattr__(name: str) -> Any:
    module = WHERE.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def load_all() -> None:
    """Build every table class, so ``SQLModel.metadata`` holds the whole schema."""
    for module in sorted(set(WHERE.values())):
        importlib.import_module(f"{__name__}.{module}")

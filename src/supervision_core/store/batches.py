"""Import batches: a file or a mailbox taken in at once, and taken back out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidTransition
from supervision_core.model.batches import ImportBatch
from supervision_core.model.issues import IssueState
from supervision_core.store.rows import batch_of, get_row
from supervision_core.store.tables import (
    AttachmentRow,
    EventRow,
    ImportBatchRow,
    IssuePurgeRow,
    IssueRow,
    OutboxRow,
    ProposalRow,
    ReportRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.store.session import Database


class Batches:
    """The record of imports, and their rollback."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def start_batch(
        self,
        *,
        channel: str,
        source_name: str,
        checksum: str,
        actor: str,
        profile: str | None = None,
        center: str | None = None,
    ) -> ImportBatch:
        """Record the start of an import (a file, a mailbox) before its reports come in."""
        with self.db.session() as s:
            row = ImportBatchRow(
                channel=channel,
                source_name=source_name,
                checksum=checksum,
                profile=profile,
                center_code=center,
                actor=actor,
                started_at=self.db.clock(),
            )
            s.add(row)
            s.commit()
            return batch_of(row)

    def finish_batch(self, batch_id: int, counts: dict[str, int]) -> ImportBatch:
        """Record an import's end and its counts."""
        with self.db.session() as s:
            row = get_row(s, ImportBatchRow, batch_id, f"没有编号为 {batch_id} 的导入批次")
            row.finished_at, row.counts = self.db.clock(), dict(counts)
            s.commit()
            return batch_of(row)

    def batches(
        self, *, channel: str | None = None, checksum: str | None = None
    ) -> list[ImportBatch]:
        """Import batches, newest first."""
        query = select(ImportBatchRow)
        if channel:
            query = query.where(ImportBatchRow.channel == channel)
        if checksum:
            query = query.where(ImportBatchRow.checksum == checksum)
        with self.db.session() as s:
            return [batch_of(r) for r in s.exec(query.order_by(col(ImportBatchRow.id).desc()))]

    def rollback_batch(self, batch_id: int, *, actor: str) -> int:
        """Take a whole import back out of the ledger, while none of it is past screening.

        Its reports, issues, events, proposals and undelivered notices are removed in
        one transaction; the batch itself stays on record, marked rolled back by
        ``actor``. Issue numbers handed out are not reused. Returns how many reports
        were removed.
        """
        with self.db.session() as s:
            batch = get_row(s, ImportBatchRow, batch_id, f"没有编号为 {batch_id} 的导入批次")
            if batch.rolled_back_at is not None:
                msg = f"导入批次 {batch_id} 已于 {batch.rolled_back_at:%Y-%m-%d %H:%M} 撤销"
                raise InvalidTransition(msg)
            # Core deletes by the batch: a hotline export's batch holds ~1,000,000 rows (bench/bench_phone_import.py).
            # By the batch, not by lists of ids: a batch of a hotline's export holds
            # hundreds of thousands of reports (more than a statement's parameters).
            in_batch = select(ReportRow.id).where(ReportRow.batch_id == batch_id)
            issues = list(s.exec(select(IssueRow).where(col(IssueRow.report_id).in_(in_batch))))
            moved = [i.number for i in issues if i.state != IssueState.RECEIVED]
            if moved:
                shown = "、".join(moved[:5]) + ("等" if len(moved) > 5 else "")
                msg = f"导入批次 {batch_id} 中已有 {len(moved)} 件问题进入审查之后的环节（{shown}），不能整体撤销"
                raise InvalidTransition(msg)
            issue_ids = [i.id for i in issues]
            t = table_of(IssueRow)
            for chunk in slices(issue_ids, 500):
                s.execute(sa.insert(table_of(IssuePurgeRow)), [{"issue_id": i} for i in chunk])
                s.execute(
                    sa.update(t)
                    .where(t.c.possible_duplicate_of.in_(chunk))
                    .values(possible_duplicate_of=None)
                )
                s.execute(sa.delete(table_of(ProposalRow)).where(sa.column("issue_id").in_(chunk)))
                s.execute(sa.delete(table_of(EventRow)).where(sa.column("issue_id").in_(chunk)))
                for issue_id in chunk:
                    s.execute(
                        sa.delete(table_of(OutboxRow)).where(
                            sa.column("key").like(f"{issue_id}:%"),
                            sa.column("delivered_at").is_(None),
                        )
                    )
                s.execute(
                    sa.update(table_of(ReportRow))
                    .where(sa.column("issue_id").in_(chunk))
                    .values(issue_id=None)
                )
                s.execute(sa.delete(t).where(t.c.id.in_(chunk)))
                s.execute(
                    sa.delete(table_of(IssuePurgeRow)).where(sa.column("issue_id").in_(chunk))
                )
            s.execute(
                sa.delete(table_of(AttachmentRow)).where(sa.column("report_id").in_(in_batch))
            )
            deleted = sa.delete(table_of(ReportRow)).where(sa.column("batch_id") == batch_id)
            removed = s.connection().execute(deleted).rowcount
            batch.rolled_back_at, batch.rolled_back_by = self.db.clock(), actor
            s.commit()
        return int(removed)


def slices(items: list[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]

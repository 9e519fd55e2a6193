"""Received reports as stored: one by one, the desk's list, and attachments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, select

from supervision_core.errors import NotFound
from supervision_core.model.reports import Attachment, Report
from supervision_core.model.summaries import AttachmentInfo, ReportSummary
from supervision_core.store.rows import ISSUE, get_row, hints_of, sender_of
from supervision_core.store.tables import AttachmentRow, ReportRow, SupervisorRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.session import Database


def report_of(s: Session, row: ReportRow) -> Report:
    """A stored report as it was received, its attachments read in ``s``."""
    attachments = s.exec(select(AttachmentRow).where(AttachmentRow.report_id == row.id)).all()
    return Report(
        channel=row.channel,
        external_id=row.external_id,
        center=row.center_code,
        received_at=row.received_at,
        sender=sender_of(row),
        subject=row.subject,
        text=row.text,
        attachments=tuple(Attachment(a.filename, a.content_type, a.content) for a in attachments),
        hints=hints_of(row),
    )


class Reports:
    """The reports the channels delivered, whatever became of them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def report(self, report_id: int) -> Report:
        """A stored report exactly as it was received, attachments included."""
        with self.db.session() as s:
            return report_of(s, get_row(s, ReportRow, report_id, f"没有编号为 {report_id} 的反馈"))

    def _report_summaries(
        self, where: list[sa.ColumnElement[bool]], *, limit: int, with_files: bool
    ) -> list[ReportSummary]:
        report, issue, sup = table_of(ReportRow), ISSUE, table_of(SupervisorRow)
        query = (
            sa.select(
                report.c.id,
                report.c.channel,
                report.c.center_code,
                report.c.received_at,
                report.c.subject,
                report.c.sender_kind,
                report.c.sender_value,
                report.c.sender_name,
                report.c.supervisor_id,
                sup.c.name,
                report.c.status,
                report.c.quarantine_reason,
                issue.c.id,
                issue.c.number,
                issue.c.state,
            )
            .select_from(report)
            .outerjoin(issue, issue.c.id == report.c.issue_id)
            .outerjoin(sup, sup.c.id == report.c.supervisor_id)
            .where(*where)
            .order_by(report.c.id.desc())
            .limit(limit)
        )
        # Core join over plain columns: the desk's list of reports (bench/bench_console.py).
        with self.db.engine.connect() as connection:
            rows = connection.execute(query).all()
            files: dict[int, list[AttachmentInfo]] = {}
            if with_files and rows:
                att = table_of(AttachmentRow)
                listed = connection.execute(
                    sa.select(
                        att.c.id,
                        att.c.report_id,
                        att.c.filename,
                        att.c.content_type,
                        att.c.size,
                        att.c.sha256,
                    )
                    .where(att.c.report_id.in_([r[0] for r in rows]))
                    .order_by(att.c.id)
                )
                for a in listed:
                    files.setdefault(a[1], []).append(AttachmentInfo(*a))
        return [
            ReportSummary(*row, attachments=tuple(files.get(row[0], ())))  # type: ignore[call-arg]
            for row in rows
        ]

    def recent_reports(
        self,
        *,
        centers: Iterable[str] | None = None,
        channel: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[ReportSummary]:
        """Received reports, newest first, with what became of each (the desk's list).

        :param centers: only these centers' reports (all when ``None``)
        :param before: only reports with a smaller id (the next page)
        """
        report = table_of(ReportRow)
        where: list[sa.ColumnElement[bool]] = []
        if centers is not None:
            where.append(report.c.center_code.in_(list(centers)))
        if channel is not None:
            where.append(report.c.channel == channel)
        if before is not None:
            where.append(report.c.id < before)
        return self._report_summaries(where, limit=limit, with_files=False)

    def report_summary(self, report_id: int) -> ReportSummary:
        """One received report's summary, its attachments described (not their content)."""
        found = self._report_summaries(
            [table_of(ReportRow).c.id == report_id], limit=1, with_files=True
        )
        if not found:
            raise NotFound(f"没有编号为 {report_id} 的反馈")
        return found[0]

    def find_report(self, channel: str, external_id: str) -> ReportSummary | None:
        """The report a channel delivered under ``external_id``, if it was received."""
        report = table_of(ReportRow)
        found = self._report_summaries(
            [report.c.channel == channel, report.c.external_id == external_id],
            limit=1,
            with_files=False,
        )
        return found[0] if found else None

    def attachment(self, attachment_id: int) -> tuple[AttachmentInfo, bytes]:
        """An attachment's description and content."""
        with self.db.session() as s:
            row = get_row(s, AttachmentRow, attachment_id, f"没有编号为 {attachment_id} 的附件")
            assert row.id is not None
            info = AttachmentInfo(
                row.id, row.report_id, row.filename, row.content_type, row.size, row.sha256
            )
            return info, row.content

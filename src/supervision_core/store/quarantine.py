"""Quarantine: reports kept aside (unknown senders, suspended ones), and what is decided of them."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import InvalidInput, InvalidTransition, NotFound
from supervision_core.model.reports import IntakeResult, QuarantinedReport
from supervision_core.model.supervisors import SupervisorStatus
from supervision_core.store.filing import Filing, file_issues
from supervision_core.store.lookups import Lookups
from supervision_core.store.reports import report_of
from supervision_core.store.rows import quarantined_of
from supervision_core.store.tables import CenterRow, ReportRow

if TYPE_CHECKING:
    from supervision_core.store.session import Database


class Quarantine:
    """Reports held in quarantine, listed, filed or dismissed."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def held(
        self,
        *,
        center: str | None = None,
        centers: Collection[str] | None = None,
        include_resolved: bool = False,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[QuarantinedReport]:
        """Reports kept in quarantine, oldest first.

        A hotline's export can put most of a million calls here: page with ``limit`` and
        ``after`` (the last id of the page before).
        """
        with self.db.session() as s:
            query = self._quarantine_query(select(ReportRow), center, centers, include_resolved)
            if after is not None:
                query = query.where(col(ReportRow.id) > after)
            query = query.order_by(col(ReportRow.id))
            if limit is not None:
                query = query.limit(limit)
            rows = s.exec(query).all()
        return [quarantined_of(r) for r in rows]

    def quarantine_count(
        self,
        *,
        center: str | None = None,
        centers: Collection[str] | None = None,
        include_resolved: bool = False,
        up_to: int | None = None,
    ) -> int:
        """How many reports :meth:`quarantine` would list, counting to ``up_to`` at most.

        Counting a million held calls takes seconds; a page needs only "more than".
        """
        with self.db.session() as s:
            held = self._quarantine_query(select(ReportRow.id), center, centers, include_resolved)
            if up_to is not None:
                held = held.limit(up_to)
            query = select(sa.func.count()).select_from(held.subquery())
            return int(s.exec(query).one())

    @staticmethod
    def _quarantine_query(
        query: Any, center: str | None, centers: Collection[str] | None, include_resolved: bool
    ) -> Any:
        query = query.where(col(ReportRow.quarantine_reason).is_not(None))
        if not include_resolved:
            query = query.where(ReportRow.status == "quarantined")
        if center:
            query = query.where(ReportRow.center_code == center)
        if centers is not None:
            query = query.where(col(ReportRow.center_code).in_(sorted(centers)))
        return query

    def _quarantined_row(self, s: Session, quarantine_id: int) -> ReportRow:
        row = s.get(ReportRow, quarantine_id)
        if row is None or row.quarantine_reason is None:
            msg = f"隔离区中没有编号为 {quarantine_id} 的反馈"
            raise NotFound(msg)
        if row.status != "quarantined":
            msg = f"隔离反馈 {quarantine_id} 已处理（{row.status}）"
            raise InvalidTransition(msg)
        return row

    def assign_quarantined(
        self, quarantine_id: int, *, supervisor_id: int, actor: str
    ) -> IntakeResult:
        """File a quarantined report as an issue of ``supervisor_id``."""
        now = self.db.clock()
        with self.db.session() as s:
            row = self._quarantined_row(s, quarantine_id)
            supervisor = self.db.supervisor_row(s, supervisor_id)
            if supervisor.status != SupervisorStatus.ACTIVE:
                msg = f"监督员 #{supervisor_id} 当前状态为“{SupervisorStatus(supervisor.status).label}”，不能归入"
                raise InvalidTransition(msg)
            if s.get(CenterRow, row.center_code) is None:
                msg = f"该反馈的中心 {row.center_code!r} 未配置，请先在 supdesk.toml 中配置"
                raise InvalidTransition(msg)
            report = report_of(s, row)
            row.supervisor_id, row.status, row.resolved_by = supervisor_id, "released", actor
            s.add(row)
            s.flush()
            filing = Filing.of(self.db, quarantine_id, report, supervisor_id)
            ((issue, event),) = file_issues(self.db, s, [filing], Lookups.load(s, eager=False), now)
            s.commit()
        self.db.host.issue_changed(issue=issue, event=event)
        return IntakeResult(
            report_id=quarantine_id,
            issue_id=issue.id,
            issue_number=issue.number,
            possible_duplicate_of=issue.possible_duplicate_of,
        )

    def dismiss_quarantined(self, quarantine_id: int, *, note: str, actor: str) -> None:
        """Decide a quarantined report is not a report (spam, a test); it is kept, marked."""
        if not note.strip():
            msg = "驳回隔离反馈必须说明理由"
            raise InvalidInput(msg)
        with self.db.session() as s:
            row = self._quarantined_row(s, quarantine_id)
            row.status, row.resolved_by, row.resolved_note = "dismissed", actor, note
            s.commit()

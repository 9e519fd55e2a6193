"""A supervisor's conduct: discipline records and the findings on their reports.

Discipline is 批评教育, a confidentiality breach or a referral, with the supervisor's
response; a finding (认定) says a report was false, an adopted suggestion or led to a
rule change. Both count in the annual evaluation and in revocation review.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidInput
from supervision_core.model.issues import IssueState
from supervision_core.model.year import DisciplineKind, DisciplineRecord, FindingKind
from supervision_core.rules.discipline import discipline_reasons
from supervision_core.store.calendar_year import dates_in_year
from supervision_core.store.tables import DisciplineRow, FindingRow

if TYPE_CHECKING:
    from supervision_core.store.rows import IssueRef
    from supervision_core.store.session import Database

__all__ = [
    "discipline",
    "discipline_record",
    "record_discipline",
    "record_finding",
    "year_discipline_flags",
]


def record_discipline(
    db: Database,
    supervisor_id: int,
    *,
    kind: DisciplineKind | str,
    reason: str,
    actor: str,
    on: dt.date | None = None,
    authority: str | None = None,
    response: str | None = None,
) -> DisciplineRecord:
    """Record 批评教育 or a breach: the facts (``reason``), who (``actor``), the response.

    ``response`` is what the supervisor said to it (本人表态), kept with the record.
    """
    try:
        kind = DisciplineKind(kind)
    except ValueError as exc:
        msg = f"处理类型只能是：{'、'.join(f'{k.value}（{k.label}）' for k in DisciplineKind)}"
        raise InvalidInput(msg) from exc
    if not reason.strip():
        msg = "必须写明理由"
        raise InvalidInput(msg)
    if kind is DisciplineKind.REFERRAL and not (authority or "").strip():
        msg = "移交处理必须写明接收的部门"
        raise InvalidInput(msg)
    with db.session() as s:
        db.supervisor_row(s, supervisor_id)
        row = DisciplineRow(
            supervisor_id=supervisor_id,
            kind=kind.value,
            on=on or db.today(),
            reason=reason.strip(),
            authority=authority,
            actor=actor,
            recorded_at=db.clock(),
            response=response.strip() if response and response.strip() else None,
        )
        s.add(row)
        s.commit()
        return discipline_record(row)


def discipline_record(row: DisciplineRow | sa.Row[Any]) -> DisciplineRecord:
    """The record of a discipline row (an ORM row or a row of ``select(discipline)``)."""
    return DisciplineRecord(
        id=row.id or 0,
        supervisor_id=row.supervisor_id,
        kind=row.kind,
        on=row.on,
        reason=row.reason,
        actor=row.actor,
        authority=row.authority,
        response=row.response,
    )


def discipline(db: Database, supervisor_id: int) -> list[DisciplineRecord]:
    with db.session() as s:
        rows = s.exec(
            select(DisciplineRow)
            .where(DisciplineRow.supervisor_id == supervisor_id)
            .order_by(col(DisciplineRow.on), col(DisciplineRow.id))
        ).all()
        return [discipline_record(r) for r in rows]


def record_finding(
    db: Database, ref: IssueRef, kind: FindingKind | str, *, actor: str, note: str | None = None
) -> None:
    try:
        kind = FindingKind(kind)
    except ValueError as exc:
        msg = f"认定只能是：{'、'.join(f'{k.value}（{k.label}）' for k in FindingKind)}"
        raise InvalidInput(msg) from exc
    with db.session() as s:
        issue = db.issue_row(s, ref)
        if issue.state in (IssueState.RECEIVED, IssueState.NOT_ACCEPTED, IssueState.MERGED):
            msg = (
                f"问题 {issue.number} 当前状态为“{IssueState(issue.state).label}”，尚不能作出此认定"
            )
            raise InvalidInput(msg)
        number = issue.number  # read now: a failed commit expires the row
        s.add(
            FindingRow(
                issue_id=issue.id or 0, kind=kind.value, note=note, actor=actor, at=db.clock()
            )
        )
        try:
            s.commit()
        except sa.exc.IntegrityError as exc:
            msg = f"问题 {number} 已有“{kind.label}”的认定"
            raise InvalidInput(msg) from exc


def year_discipline_flags(
    db: Database, supervisor_ids: Sequence[int], year: int
) -> dict[int, list[str]]:
    """Each supervisor's discipline flags for the year (rules/discipline.py), in Chinese."""
    wanted = set(supervisor_ids)
    records: dict[int, list[DisciplineRecord]] = defaultdict(list)
    with db.session() as s:
        for row in s.exec(select(DisciplineRow).where(dates_in_year(col(DisciplineRow.on), year))):
            if row.supervisor_id in wanted:
                records[row.supervisor_id].append(discipline_record(row))
    return {sid: discipline_reasons(found)[0] for sid, found in records.items()}

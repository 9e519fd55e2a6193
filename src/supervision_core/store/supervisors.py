"""Supervisors: appointment, identities, status, revocation."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import IdentityTaken, InvalidInput, InvalidTransition
from supervision_core.model.supervisors import (
    ChangeKind,
    ContactKind,
    Identity,
    NewSupervisor,
    Revocation,
    Supervisor,
    SupervisorChange,
    SupervisorStatus,
)
from supervision_core.store.rows import supervisor_of
from supervision_core.store.tables import (
    DisciplineRow,
    IdentityRow,
    SupervisorChangeRow,
    SupervisorRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.store.centers import Centers
    from supervision_core.store.session import Database

# Plain table columns: SQLModel's annotated ones cost a comparison per column on every
# execution of a cached statement (measured in bench/bench_ledger.py).
_SUPERVISOR_BRIEF = sa.select(
    table_of(SupervisorRow).c.name,
    table_of(SupervisorRow).c.center_code,
    table_of(SupervisorRow).c.status,
).where(table_of(SupervisorRow).c.id == sa.bindparam("sid"))


class Supervisors:
    """The supervisors of every center, and how to recognise them."""

    def __init__(self, db: Database, centers: Centers) -> None:
        self.db = db
        self.centers = centers

    def add_supervisor(self, new: NewSupervisor) -> Supervisor:
        """Appoint a supervisor; each identity may belong to one supervisor only."""
        self.centers.center(new.center)
        now = self.db.clock()
        with self.db.session() as s:
            row = SupervisorRow(
                name=new.name.strip(),
                center_code=new.center,
                origin=new.origin.value,
                status=SupervisorStatus.ACTIVE.value,
                letter_number=new.letter_number,
                card_number=new.card_number,
                term_start=new.term_start,
                term_end=new.term_end,
                created_at=now,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            for identity in new.identities:
                self._add_identity(s, row.id, identity)
            s.commit()
            return self.supervisor(row.id)

    def _add_identity(self, s: Session, supervisor_id: int, identity: Identity) -> None:
        existing = s.exec(
            select(IdentityRow.supervisor_id).where(
                IdentityRow.kind == identity.kind.value, IdentityRow.value == identity.normalized
            )
        ).first()
        if existing is not None:
            msg = f"联系方式 {identity.kind.value}:{identity.value} 已登记给监督员 #{existing}"
            raise IdentityTaken(msg, existing)
        s.add(
            IdentityRow(
                supervisor_id=supervisor_id,
                kind=identity.kind.value,
                value=identity.normalized,
                raw=identity.value.strip(),
            )
        )

    def add_identity(self, supervisor_id: int, identity: Identity) -> Supervisor:
        """Record another way to recognise a supervisor (a new phone, a messenger)."""
        with self.db.session() as s:
            self.db.supervisor_row(s, supervisor_id)
            self._add_identity(s, supervisor_id, identity)
            s.commit()
        return self.supervisor(supervisor_id)

    def supervisor(self, supervisor_id: int) -> Supervisor:
        """The supervisor ``supervisor_id``, or :class:`NotFound`."""
        with self.db.session() as s:
            row = self.db.supervisor_row(s, supervisor_id)
            identities = s.exec(
                select(IdentityRow).where(IdentityRow.supervisor_id == supervisor_id)
            ).all()
            return supervisor_of(row, identities)

    def supervisors(
        self, *, center: str | None = None, status: SupervisorStatus | None = None
    ) -> list[Supervisor]:
        """Supervisors, by id, optionally of one center or status."""
        with self.db.session() as s:
            query = select(SupervisorRow)
            if center:
                query = query.where(SupervisorRow.center_code == center)
            if status:
                query = query.where(SupervisorRow.status == SupervisorStatus(status).value)
            rows = s.exec(query.order_by(col(SupervisorRow.id))).all()
            ids = [r.id for r in rows]
            identities: dict[int, list[IdentityRow]] = {}
            if ids:
                for ident in s.exec(
                    select(IdentityRow).where(col(IdentityRow.supervisor_id).in_(ids))
                ):
                    identities.setdefault(ident.supervisor_id, []).append(ident)
            return [supervisor_of(r, identities.get(r.id or 0, [])) for r in rows]

    def update_supervisor(
        self,
        supervisor_id: int,
        *,
        name: str | None = None,
        letter_number: str | None = None,
        card_number: str | None = None,
        term_start: dt.date | None = None,
        term_end: dt.date | None = None,
    ) -> Supervisor:
        """Correct a supervisor's name, papers or term; what is not given stays."""
        with self.db.session() as s:
            row = self.db.supervisor_row(s, supervisor_id)
            if name is not None:
                if not name.strip():
                    raise InvalidInput("姓名不能为空")
                row.name = name.strip()
            if letter_number is not None:
                row.letter_number = letter_number.strip() or None
            if card_number is not None:
                row.card_number = card_number.strip() or None
            if term_start is not None:
                row.term_start = term_start
            if term_end is not None:
                row.term_end = term_end
            if row.term_start and row.term_end and row.term_end < row.term_start:
                msg = f"聘期结束日期 {row.term_end} 早于开始日期 {row.term_start}"
                raise InvalidInput(msg)
            s.add(row)
            s.commit()
        return self.supervisor(supervisor_id)

    def suspend(self, supervisor_id: int, *, reason: str, actor: str) -> Supervisor:
        """Suspend a supervisor: their reports go to quarantine until reinstated.

        Recorded in the supervisor's history (:meth:`supervisor_history`) with ``actor``.
        """
        return self._set_status(supervisor_id, SupervisorStatus.SUSPENDED, reason, actor)

    def reinstate(self, supervisor_id: int, *, reason: str, actor: str) -> Supervisor:
        """Lift a suspension; recorded in the supervisor's history with ``actor``."""
        return self._set_status(supervisor_id, SupervisorStatus.ACTIVE, reason, actor)

    def _set_status(
        self, supervisor_id: int, status: SupervisorStatus, reason: str, actor: str
    ) -> Supervisor:
        if not reason.strip():
            msg = "变更监督员状态必须说明理由"
            raise InvalidInput(msg)
        _check_actor(actor)
        with self.db.session() as s:
            row = self.db.supervisor_row(s, supervisor_id)
            if row.status == SupervisorStatus.REVOKED:
                msg = f"监督员 #{supervisor_id} 的资格已取消，不能再变更状态"
                raise InvalidTransition(msg)
            if row.status == status:
                msg = f"监督员 #{supervisor_id} 的状态已经是“{status.label}”"
                raise InvalidTransition(msg)
            kind = (
                ChangeKind.SUSPENDED
                if status is SupervisorStatus.SUSPENDED
                else ChangeKind.REINSTATED
            )
            s.add(self._change(supervisor_id, kind, actor, row.status, status, reason.strip()))
            row.status, row.status_note = status.value, reason.strip()
            s.commit()
        return self.supervisor(supervisor_id)

    def _change(
        self,
        supervisor_id: int,
        kind: ChangeKind,
        actor: str,
        before: str | None,
        after: str | None,
        note: str | None,
    ) -> SupervisorChangeRow:
        return SupervisorChangeRow(
            supervisor_id=supervisor_id,
            at=self.db.clock(),
            actor=actor.strip()[:200],
            kind=kind.value,
            before=before,
            after=after,
            note=note,
        )

    def revoke(self, supervisor_id: int, revocation: Revocation, *, actor: str) -> Supervisor:
        """Revoke a supervisor's status (取消资格), recording whether the papers came back.

        The notice revokes a supervisor who persists after 批评教育: ``revocation``
        names the admonition records before it (this supervisor's, dated on or before
        the revocation), or carries the banner center's ``override`` with its reason;
        with neither it is refused. ``decided_by`` (default: ``actor``) is kept with it.
        Recorded in the supervisor's history with ``actor``; papers not returned stay
        outstanding (:meth:`papers_outstanding`) until :meth:`record_papers_returned`.
        """
        if not revocation.reason.strip():
            msg = "取消监督员资格必须说明理由"
            raise InvalidInput(msg)
        _check_actor(actor)
        override = (revocation.override or "").strip() or None
        decided_by = (revocation.decided_by or "").strip() or actor.strip()
        with self.db.session() as s:
            row = self.db.supervisor_row(s, supervisor_id)
            if row.status == SupervisorStatus.REVOKED:
                msg = f"监督员 #{supervisor_id} 的资格已于 {row.revoked_on} 取消"
                raise InvalidTransition(msg)
            admonitions = sorted(set(revocation.admonitions))
            found = {
                r.id: r
                for r in s.exec(
                    select(DisciplineRow).where(
                        DisciplineRow.supervisor_id == supervisor_id,
                        col(DisciplineRow.id).in_(admonitions or [0]),
                    )
                )
            }
            for record_id in admonitions:
                record = found.get(record_id)
                if record is None or record.kind != "admonition":
                    msg = f"处理记录 #{record_id} 不是该监督员的批评教育记录"
                    raise InvalidInput(msg)
                if record.on > revocation.on:
                    msg = (
                        f"批评教育记录 #{record_id}（{record.on}）晚于取消资格日期 {revocation.on}"
                    )
                    raise InvalidInput(msg)
            if not admonitions and override is None:
                msg = (
                    "按通知要求，经批评教育仍不悔改的才取消资格：请列出此前的批评教育记录，"
                    "或由旗政务服务中心决定并写明理由"
                )
                raise InvalidInput(msg)
            note = revocation.reason.strip()
            if admonitions:
                note += f"（依据批评教育记录 {'、'.join(f'#{i}' for i in admonitions)}）"
            if override:
                note += f"（旗政务服务中心决定：{override}）"
            note += f"；决定人：{decided_by}"
            s.add(
                self._change(
                    supervisor_id,
                    ChangeKind.REVOKED,
                    actor,
                    row.status,
                    SupervisorStatus.REVOKED.value,
                    note,
                )
            )
            row.status = SupervisorStatus.REVOKED.value
            row.status_note = revocation.reason
            row.revoked_on = revocation.on
            row.revocation_reason = revocation.reason
            row.letter_returned = revocation.letter_returned
            row.card_returned = revocation.card_returned
            row.revocation_admonitions = admonitions
            row.revocation_override = override
            row.revocation_decided_by = decided_by[:200]
            s.commit()
        return self.supervisor(supervisor_id)

    def record_papers_returned(
        self, supervisor_id: int, *, letter: bool, card: bool, actor: str, note: str | None = None
    ) -> Supervisor:
        """Record that a revoked supervisor's 聘书 (``letter``) and/or 工作证 (``card``) came back.

        Kept in the supervisor's history with ``actor``; refused for a supervisor not
        revoked, or when neither paper is named or both are back already.
        """
        _check_actor(actor)
        if not letter and not card:
            raise InvalidInput("请指明收回的是聘书（--letter）还是工作证（--card）")
        with self.db.session() as s:
            row = self.db.supervisor_row(s, supervisor_id)
            if row.status != SupervisorStatus.REVOKED:
                msg = f"监督员 #{supervisor_id} 的资格未被取消，无需收回证件"
                raise InvalidTransition(msg)
            before = _papers(bool(row.letter_returned), bool(row.card_returned))
            letter_back = bool(row.letter_returned) or letter
            card_back = bool(row.card_returned) or card
            after = _papers(letter_back, card_back)
            if after == before:
                msg = f"监督员 #{supervisor_id} 的{'、'.join(n for n, w in (('聘书', letter), ('工作证', card)) if w)}已经收回"
                raise InvalidTransition(msg)
            s.add(
                self._change(
                    supervisor_id,
                    ChangeKind.PAPERS_RETURNED,
                    actor,
                    before,
                    after,
                    note.strip() if note and note.strip() else None,
                )
            )
            row.letter_returned, row.card_returned = letter_back, card_back
            s.commit()
        return self.supervisor(supervisor_id)

    def papers_outstanding(self, *, center: str | None = None) -> list[Supervisor]:
        """Revoked supervisors whose 聘书 or 工作证 has not come back yet (the follow-up)."""
        with self.db.session() as s:
            query = select(SupervisorRow.id).where(
                SupervisorRow.status == SupervisorStatus.REVOKED.value,
                sa.or_(
                    sa.not_(sa.func.coalesce(col(SupervisorRow.letter_returned), sa.false())),
                    sa.not_(sa.func.coalesce(col(SupervisorRow.card_returned), sa.false())),
                ),
            )
            if center:
                query = query.where(SupervisorRow.center_code == center)
            ids = list(s.exec(query.order_by(col(SupervisorRow.id))))
        return [self.supervisor(i or 0) for i in ids]

    def supervisor_history(self, supervisor_id: int) -> list[SupervisorChange]:
        """Every change of a supervisor's status and attendance, oldest first, with who made it."""
        with self.db.session() as s:
            self.db.supervisor_row(s, supervisor_id)
            rows = s.exec(
                select(SupervisorChangeRow)
                .where(SupervisorChangeRow.supervisor_id == supervisor_id)
                .order_by(col(SupervisorChangeRow.id))
            ).all()
        return [
            SupervisorChange(
                at=r.at,
                actor=r.actor,
                kind=r.kind,
                before=r.before,
                after=r.after,
                activity_id=r.activity_id,
                note=r.note,
            )
            for r in rows
        ]

    def supervisor_brief(self, supervisor_id: int) -> tuple[str, str, SupervisorStatus] | None:
        """A supervisor's name, center and status in one look-up, or ``None`` (forms use it)."""
        # Core, one cached statement: a form's look-up on every request (bench/bench_walk_in.py).
        with self.db.engine.connect() as connection:
            row = connection.execute(_SUPERVISOR_BRIEF, {"sid": supervisor_id}).first()
        return None if row is None else (row[0], row[1], SupervisorStatus(row[2]))

    def identity_table(self, kind: ContactKind) -> dict[str, int]:
        """Every stored identity of one kind, normalized, with its supervisor's id."""
        with self.db.session() as s:
            found = s.exec(
                select(IdentityRow.value, IdentityRow.supervisor_id).where(
                    IdentityRow.kind == kind.value
                )
            )
            return dict(found.all())


def _papers(letter: bool, card: bool) -> str:
    """The history's before/after of a revoked supervisor's papers (≤ 32 characters)."""
    return f"聘书{'已' if letter else '未'}收回，工作证{'已' if card else '未'}收回"


def _check_actor(actor: str) -> None:
    if not actor or not actor.strip():
        msg = "必须指明操作人（actor）"
        raise InvalidInput(msg)

"""The outbox as people work it: listing and retrying notices, the console's inbox, the call tasks.

What an operator reads and puts back in line (``supdesk outbox``), what a center's
staff read in the console's inbox, and the notices the desk tells by telephone.
Part of :class:`~supervision_core.store.outbox.Outbox`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidInput, InvalidTransition
from supervision_core.model.notifications import RecipientKind
from supervision_core.model.outbox import PHONE_CALL, CallTask, OutboxEntry, OutboxStatus
from supervision_core.model.supervisors import ContactKind
from supervision_core.store.rows import get_row, outbox_entry_of
from supervision_core.store.tables import IdentityRow, IssueRow, OutboxRow, SupervisorRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.session import Database

#: What an operator may put back in line (``supdesk outbox retry``).
_RETRYABLE = (OutboxStatus.DEAD, OutboxStatus.UNREACHABLE, OutboxStatus.CALL_TASK)
#: How far ahead of the desk's clock a recorded call may be (a clock a little fast).
_CLOCK_SKEW = dt.timedelta(minutes=5)

_OUTBOX = table_of(OutboxRow)
_UNREAD = sa.select(sa.func.count()).where(
    _OUTBOX.c.recipient_kind == RecipientKind.CENTER.value,
    _OUTBOX.c.recipient == sa.bindparam("center"),
    _OUTBOX.c.read_at.is_(None),
)
_CALLS = sa.select(sa.func.count()).where(_OUTBOX.c.status == OutboxStatus.CALL_TASK.value)
_CALLS_OF_ONE = _CALLS.where(_OUTBOX.c.center_code == sa.bindparam("center"))
_CALLS_OF = _CALLS.where(_OUTBOX.c.center_code.in_(sa.bindparam("centers", expanding=True)))


class OutboxDesk:
    """Reading the outbox, retrying a notice, the inbox and the call tasks."""

    db: Database

    # ------------------------------------------------------------ reading, retrying

    def entries(
        self,
        *,
        status: OutboxStatus | str | None = None,
        issue: int | None = None,
        center: str | None = None,
        limit: int = 200,
    ) -> list[OutboxEntry]:
        """Notices in the outbox, newest first, optionally by status, issue id or center.

        ``center`` selects what a center sent (its issues' notices) and what was sent
        to its staff.
        """
        query = select(OutboxRow)
        if status is not None:
            query = query.where(OutboxRow.status == OutboxStatus(status).value)
        if issue is not None:
            query = query.where(OutboxRow.issue_id == issue)
        if center is not None:
            query = query.where(
                sa.or_(
                    col(OutboxRow.center_code) == center,
                    sa.and_(
                        col(OutboxRow.recipient_kind) == RecipientKind.CENTER.value,
                        col(OutboxRow.recipient) == center,
                    ),
                )
            )
        with self.db.session() as s:
            rows = s.exec(query.order_by(col(OutboxRow.id).desc()).limit(limit)).all()
        return [outbox_entry_of(r) for r in rows]

    def notices_to_supervisor(self, supervisor_id: int, *, limit: int = 200) -> list[OutboxEntry]:
        """The notices sent (or being sent) to a supervisor, newest first: their own page's list.

        Every kind: a step of their issue, a reminder to evaluate, the half-year
        briefing (with its PDF), a sign-in code (its code blotted out once tried).
        """
        query = (
            select(OutboxRow)
            .where(
                OutboxRow.recipient_kind == RecipientKind.SUPERVISOR.value,
                OutboxRow.recipient == str(supervisor_id),
            )
            .order_by(col(OutboxRow.id).desc())
            .limit(limit)
        )
        with self.db.session() as s:
            return [outbox_entry_of(r) for r in s.exec(query).all()]

    def entry(self, entry_id: int) -> OutboxEntry:
        """The outbox entry ``entry_id``, or :class:`NotFound`."""
        with self.db.session() as s:
            return outbox_entry_of(_get(s, entry_id))

    def retry_notice(self, entry_id: int) -> OutboxEntry:
        """Put a notice that went nowhere back in line, with its attempts reset.

        A dead, unreachable or call-task notice may be retried (after the
        configuration or the supervisor's contacts changed); a notice to a
        supervisor takes the supervisor's contacts as they are now.
        """
        with self.db.session() as s:
            row = _get(s, entry_id)
            if OutboxStatus(row.status) not in _RETRYABLE:
                labels = "、".join(x.label for x in _RETRYABLE)
                msg = f"通知 {entry_id} 为“{OutboxStatus(row.status).label}”，只有{labels}的通知可以重新排队"
                raise InvalidTransition(msg)
            if row.recipient_kind == RecipientKind.SUPERVISOR and row.recipient.isdigit():
                identities = s.exec(
                    select(IdentityRow).where(IdentityRow.supervisor_id == int(row.recipient))
                ).all()
                row.addresses = [{"kind": i.kind, "value": i.raw} for i in identities]
            row.status, row.dead_at, row.attempts = OutboxStatus.PENDING.value, None, 0
            row.next_attempt_at = self.db.clock()
            s.add(row)
            s.commit()
            return outbox_entry_of(row)

    # ------------------------------------------------------------ the console's inbox

    def inbox(self, center: str, *, unread: bool = False, limit: int = 100) -> list[OutboxEntry]:
        """The notices to ``center``'s staff, newest first (only the unread, if asked).

        Objections to a dispatch, 催办 and 督办, reminders, documents to review: every
        notice addressed to the center, whichever way it also went.
        """
        query = select(OutboxRow).where(
            OutboxRow.recipient_kind == RecipientKind.CENTER.value, OutboxRow.recipient == center
        )
        if unread:
            query = query.where(col(OutboxRow.read_at).is_(None))
        with self.db.session() as s:
            rows = s.exec(query.order_by(col(OutboxRow.id).desc()).limit(limit)).all()
        return [outbox_entry_of(r) for r in rows]

    def unread_count(self, center: str) -> int:
        """How many notices to ``center``'s staff nobody has marked read."""
        # Asked on every console page (the menu's count): one prebuilt statement.
        with self.db.engine.connect() as connection:
            return int(connection.execute(_UNREAD, {"center": center}).scalar_one())

    def mark_read(self, entry_id: int, *, center: str, actor: str) -> OutboxEntry:
        """Mark a notice to ``center``'s staff read by ``actor`` (once: the first reader stays)."""
        with self.db.session() as s:
            row = _get(s, entry_id)
            if row.recipient_kind != RecipientKind.CENTER.value or row.recipient != center:
                msg = f"通知 {entry_id} 不在本中心的收件箱中"
                raise InvalidInput(msg)
            if row.read_at is None:
                row.read_at, row.read_by = self.db.clock(), actor
                s.add(row)
                s.commit()
            return outbox_entry_of(row)

    # ------------------------------------------------------------ call tasks

    def call_tasks(
        self, *, centers: Iterable[str] | None = None, limit: int = 200
    ) -> list[CallTask]:
        """The notices the desks must tell by telephone, oldest first, with whom to call.

        :param centers: only these centers' tasks (every center's by default)
        """
        query = select(OutboxRow).where(OutboxRow.status == OutboxStatus.CALL_TASK.value)
        if centers is not None:
            query = query.where(col(OutboxRow.center_code).in_(list(centers)))
        with self.db.session() as s:
            rows = s.exec(query.order_by(col(OutboxRow.id)).limit(limit)).all()
            ids = {int(r.recipient) for r in rows if r.recipient.isdigit()}
            names = {
                p.id: p.name
                for p in s.exec(select(SupervisorRow).where(col(SupervisorRow.id).in_(ids)))
            }
            phones: dict[int, list[str]] = {}
            for identity in s.exec(
                select(IdentityRow)
                .where(
                    col(IdentityRow.supervisor_id).in_(ids),
                    IdentityRow.kind == ContactKind.PHONE.value,
                )
                .order_by(col(IdentityRow.id))
            ):
                phones.setdefault(identity.supervisor_id, []).append(identity.raw)
            issues = {r.issue_id for r in rows if r.issue_id is not None}
            numbers = dict(
                s.exec(
                    select(IssueRow.id, IssueRow.number).where(col(IssueRow.id).in_(issues))
                ).all()
            )
        tasks = []
        for row in rows:
            entry = outbox_entry_of(row)
            who = int(row.recipient) if row.recipient.isdigit() else 0
            stored = tuple(a.value for a in entry.notice.addresses if a.kind is ContactKind.PHONE)
            tasks.append(
                CallTask(
                    entry=entry,
                    supervisor_id=who,
                    supervisor_name=names.get(who, ""),
                    phones=tuple(phones.get(who, ())) or stored,
                    issue_number=numbers.get(row.issue_id) if row.issue_id else None,
                )
            )
        return tasks

    def call_task_count(self, *, centers: Iterable[str] | None = None) -> int:
        """How many call tasks wait (for these centers, or all)."""
        # Asked on every console page (the menu's count): prebuilt statements.
        with self.db.engine.connect() as connection:
            if centers is None:
                return int(connection.execute(_CALLS).scalar_one())
            codes = list(centers)
            if len(codes) == 1:  # the menu's count: the user's own center
                return int(connection.execute(_CALLS_OF_ONE, {"center": codes[0]}).scalar_one())
            return int(connection.execute(_CALLS_OF, {"centers": codes}).scalar_one())

    def record_call(
        self, entry_id: int, *, called_at: dt.datetime, actor: str, center: str | None = None
    ) -> OutboxEntry:
        """Record that the desk told a call task's notice to the supervisor by telephone.

        The notice becomes ``done_by_phone``, carried by ``phone`` at ``called_at``
        (what the ledger's 告知监督员 column shows).

        :param called_at: when the call was made, aware; not in the future, not before the notice
        :param actor: who called (``user:NAME``)
        :param center: refuse a task of any other center (the console passes the user's)
        :raises InvalidTransition: the notice is not a call task
        :raises InvalidInput: a time that cannot be, a task of another center
        """
        if called_at.tzinfo is None:
            msg = "通话时间必须带时区"
            raise InvalidInput(msg)
        if not actor.strip():
            msg = "必须说明由谁电话告知（actor）"
            raise InvalidInput(msg)
        with self.db.session() as s:
            row = _get(s, entry_id)
            if center is not None and row.center_code != center:
                msg = f"通知 {entry_id} 不是本中心的电话告知任务"
                raise InvalidInput(msg)
            if row.status != OutboxStatus.CALL_TASK.value:
                msg = f"通知 {entry_id} 为“{OutboxStatus(row.status).label}”，不是待电话告知的任务"
                raise InvalidTransition(msg)
            if called_at > self.db.clock() + _CLOCK_SKEW:
                msg = "通话时间不能晚于现在"
                raise InvalidInput(msg)
            if called_at < row.created_at.replace(second=0, microsecond=0):
                msg = "通话时间不能早于通知生成的时间"
                raise InvalidInput(msg)
            row.status, row.notifier = OutboxStatus.DONE_BY_PHONE.value, PHONE_CALL
            row.delivered_at, row.called_by = called_at, actor
            s.add(row)
            s.commit()
            return outbox_entry_of(row)


def _get(s: Any, entry_id: int) -> OutboxRow:
    return get_row(s, OutboxRow, entry_id, f"发送队列中没有编号为 {entry_id} 的通知")

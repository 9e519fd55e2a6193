"""The outbox: notices written with the steps that cause them, delivered later, retried.

Delivery tells the truth. Each notice tries its recipient's ways in the order the
center configures (:meth:`CenterSettings.ways`) and believes each notifier: one that
returns carried it; one that raises :class:`~supervision_core.Unreachable` cannot
reach this recipient (the next way is tried at once); one that raises anything else
failed for now (the next way is tried, and the notice again later if none took it).
What nothing carried becomes, for a supervisor with a phone number, a call task for
the center's desk; for a center's staff, an entry of the console's inbox only; for
anyone else, ``unreachable`` with the reasons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidInput, InvalidTransition, NotFound
from supervision_core.model.centers import CenterLevel
from supervision_core.model.notifications import (
    Deferred,
    Notice,
    Notifier,
    RecipientKind,
    Unreachable,
)
from supervision_core.model.outbox import (
    INBOX,
    PHONE_CALL,
    CallTask,
    DeliveryReport,
    OutboxEntry,
    OutboxStatus,
    retry_delay,
)
from supervision_core.model.summaries import IssueSummary
from supervision_core.model.supervisors import ContactKind, Identity
from supervision_core.model.vocabulary import CHANNEL_LABELS
from supervision_core.rules.reminders import routine_steps, routine_text
from supervision_core.store.bulk import insert_or_skip
from supervision_core.store.rows import (
    ISSUE,
    OPEN,
    SUMMARY_COLUMNS,
    get_row,
    notice_of,
    outbox_entry_of,
)
from supervision_core.store.tables import IdentityRow, IssueRow, OutboxRow, SupervisorRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.centers import Centers
    from supervision_core.store.session import Database

_WAITING = (OutboxStatus.PENDING.value, OutboxStatus.RETRYING.value)
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


@attrs.frozen
class _Outcome:
    """What trying a notice's ways came to."""

    carried_by: str | None
    reasons: tuple[str, ...]
    failed: bool  # some way failed for now: worth trying again
    deferred_until: dt.datetime | None = None  # a way will carry it, but only then


class Outbox:
    """Delivering notices through the notifiers, call tasks, the inbox, and the routine."""

    def __init__(self, db: Database, centers: Centers) -> None:
        self.db = db
        self.centers = centers

    # ------------------------------------------------------------ delivery

    def deliver_notices(self, *, limit: int = 100) -> DeliveryReport:
        """Deliver the notices that are due, each by the first of its ways that takes it.

        A notice is leased before it is sent, so a process that dies mid-send leaves
        it to be retried after the lease instead of lost. Its ways are tried in the
        center's order; a notifier that cannot reach the recipient (raises
        :class:`~supervision_core.Unreachable`) or fails passes it to the next. When
        none takes it: if one failed, the notice is retried with exponential backoff,
        and after ``delivery_attempts`` failures it becomes a call task (a supervisor
        with a phone number) or is dead-lettered for an operator (``supdesk outbox``);
        if none could reach the recipient, it becomes a call task or ``unreachable``
        at once. A notice to a center's staff that no notifier carried is delivered to
        the console's inbox.
        """
        now = self.db.clock()
        with self.db.session() as s:
            rows = s.exec(
                select(OutboxRow)
                .where(
                    col(OutboxRow.status).in_(_WAITING),
                    col(OutboxRow.next_attempt_at) <= now,
                )
                .order_by(col(OutboxRow.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.next_attempt_at = now + dt.timedelta(
                    seconds=self.db.settings.delivery_lease_seconds
                )
            s.commit()
        return self._deliver_rows(list(rows))

    def deliver_now(self, key: str) -> OutboxEntry:
        """Deliver the waiting notice ``key`` at once (a sign-in code): not at the next tick.

        Leased like any other, so a daemon running at the same moment does not send it
        a second time; a notice already leased elsewhere, or done, is left as it is.
        """
        now = self.db.clock()
        with self.db.session() as s:
            row = s.exec(
                select(OutboxRow)
                .where(OutboxRow.key == key, col(OutboxRow.status).in_(_WAITING))
                .with_for_update(skip_locked=True)
            ).first()
            if row is not None:
                row.next_attempt_at = now + dt.timedelta(
                    seconds=self.db.settings.delivery_lease_seconds
                )
                s.commit()
        if row is not None:
            self._deliver_rows([row])
        with self.db.session() as s:
            found = s.exec(select(OutboxRow).where(OutboxRow.key == key)).first()
            if found is None:
                msg = f"发送队列中没有通知 {key}"
                raise InvalidInput(msg)
            return outbox_entry_of(found)

    def _deliver_rows(self, rows: list[OutboxRow]) -> DeliveryReport:
        built: dict[str, Notifier | Exception] = {}
        counts = {status: 0 for status in OutboxStatus}
        for row in rows:
            notice = self._addressed(notice_of(row))
            outcome = self._try_ways(notice, self._ways(row), built)
            with self.db.session() as s:
                fresh = s.get(OutboxRow, row.id)
                assert fresh is not None
                self._record(fresh, notice, outcome, self.db.clock())
                counts[OutboxStatus(fresh.status)] += 1
                s.commit()
        return DeliveryReport(
            delivered=counts[OutboxStatus.DELIVERED],
            retrying=counts[OutboxStatus.RETRYING],
            dead=counts[OutboxStatus.DEAD],
            unreachable=counts[OutboxStatus.UNREACHABLE],
            call_tasks=counts[OutboxStatus.CALL_TASK],
        )

    def _ways(self, row: OutboxRow) -> tuple[str, ...]:
        """The notifiers to try for ``row``, in order: the configuration of the center sending.

        A notice to a center's staff goes the way that center says (the banner center's
        督办 by the banner center's notifiers); any other, the way the issue's center says.
        """
        code = row.recipient if row.recipient_kind == RecipientKind.CENTER else row.center_code
        settings = self.db.settings.center(code)
        return settings.ways(row.recipient_kind) if settings else ()

    def _addressed(self, notice: Notice) -> Notice:
        """``notice`` with its center's e-mail address, when it is for a center's staff."""
        if notice.recipient_kind is not RecipientKind.CENTER:
            return notice
        settings = self.db.settings.center(notice.recipient)
        if settings is None or not settings.email:
            return notice
        address = Identity(ContactKind.EMAIL, settings.email)
        if address in notice.addresses:
            return notice
        return attrs.evolve(notice, addresses=(*notice.addresses, address))

    def _try_ways(
        self, notice: Notice, ways: Iterable[str], built: dict[str, Notifier | Exception]
    ) -> _Outcome:
        reasons: list[str] = []
        failed = False
        registry = self.db.host.notifiers()
        for name in ways:
            try:
                if name not in built:
                    try:
                        built[name] = registry.configured(
                            name, self.db.settings, clock=self.db.clock
                        )
                    except KeyError:
                        built[name] = LookupError(f"通知方式 {name!r} 未安装")
                    except Exception as exc:  # a wrong table, an unreadable secret
                        built[name] = exc
                notifier = built[name]
                if isinstance(notifier, Exception):
                    raise notifier
                notifier.deliver(notice)
            except Deferred as exc:
                # Not now (the quiet hours): wait for this way, do not fall through.
                reasons.append(f"{_way_label(registry, name)}：{exc}")
                return _Outcome(None, tuple(reasons), failed, deferred_until=exc.until)
            except Unreachable as exc:
                reasons.append(f"{_way_label(registry, name)}：{exc}")
            except Exception as exc:
                reasons.append(f"{_way_label(registry, name)}：{type(exc).__name__}: {exc}")
                failed = True
            else:
                return _Outcome(name, tuple(reasons), failed)
        if notice.recipient_kind is RecipientKind.CENTER:
            return _Outcome(INBOX, tuple(reasons), failed)  # the staff read it in the console
        return _Outcome(None, tuple(reasons), failed)

    def _record(self, row: OutboxRow, notice: Notice, outcome: _Outcome, done: dt.datetime) -> None:
        reasons = "；".join(outcome.reasons)
        if outcome.deferred_until is not None:
            # Kept in line for later, not a failed attempt; a retrying notice stays retrying.
            row.next_attempt_at = max(outcome.deferred_until, done)
            row.last_error = reasons[:2000]
            return
        if outcome.carried_by is not None:
            row.status, row.notifier, row.delivered_at = (
                OutboxStatus.DELIVERED.value,
                outcome.carried_by,
                done,
            )
            row.last_error = reasons[:2000] or None
            return
        phoned = notice.recipient_kind is RecipientKind.SUPERVISOR and any(
            a.kind is ContactKind.PHONE for a in notice.addresses
        )
        row.last_error = (
            reasons or "没有可用的通知方式（supdesk.toml 中本中心的 notifiers 为空）"
        )[:2000]
        if outcome.failed:
            row.attempts += 1
            if row.attempts < self.db.settings.delivery_attempts:
                row.status = OutboxStatus.RETRYING.value
                row.next_attempt_at = done + retry_delay(row.attempts)
                return
            if not phoned:
                row.status, row.dead_at = OutboxStatus.DEAD.value, done
                return
        row.status = (OutboxStatus.CALL_TASK if phoned else OutboxStatus.UNREACHABLE).value

    def run_routine(self, *, today: dt.date | None = None) -> dict[str, int]:
        """Write today's 催办 (before a deadline), 督办 (after it) and unscreened nudges to the outbox, once each.

        Safe to run as often as liked and from several daemons at once: a notice's key
        names the step, the issue, its deadline and the recipient, and a key already in
        the outbox is not written again. Returns how many notices were added, by step.
        """
        today = today or self.db.today()
        horizon = self.db.calendar.add_working_days(today, self.db.limits.reminder_before).due_on
        c = ISSUE.c
        query = (
            sa.select(*SUMMARY_COLUMNS)
            .where(c.state.in_(OPEN), c.due_on.is_not(None), c.due_on <= horizon)
            .order_by(c.id)
        )
        # Core over plain columns, as the issue queries (bench/bench_ledger.py).
        with self.db.engine.connect() as connection:
            summaries = [IssueSummary(*row) for row in connection.execute(query)]  # type: ignore[call-arg]
        banner = next(
            (x.code for x in self.centers.centers() if x.level is CenterLevel.BANNER), None
        )
        steps = routine_steps(
            summaries, today, self.db.calendar, self.db.limits, banner_center=banner
        )
        now = self.db.clock()
        rows = []
        for step in steps:
            subject, body = routine_text(step)
            rows.append(
                _row(
                    key=step.key,
                    issue_id=step.issue_id,
                    center=step.center,
                    recipient_kind=step.recipient_kind,
                    recipient=step.recipient,
                    subject=subject,
                    body=body,
                    now=now,
                    kind=step.kind.value,
                    fields={
                        "number": step.number,
                        "due_on": step.due_on.isoformat(),
                        "late_days": str(step.late_days),
                        "center": step.center,
                        "step": step.kind.label,
                    },
                )
            )
        added: dict[str, int] = {}
        for key in self._insert_notices(rows):
            kind = key.split(":")[1]
            added[kind] = added.get(kind, 0) + 1
        return added

    def notify_center(
        self, center: str, *, key: str, subject: str, body: str, kind: str = "center_message"
    ) -> int:
        """Write a notice to a center's staff, once per ``key``; how many were written (0 or 1).

        It lands in the console's inbox of ``center`` and goes by the center's
        notifiers too (by e-mail where the center has an ``email`` address).
        """
        row = _row(
            key=key,
            issue_id=None,
            center=center,
            recipient_kind=RecipientKind.CENTER.value,
            recipient=center,
            subject=subject,
            body=body,
            now=self.db.clock(),
            kind=kind,
            fields={"subject": subject},
        )
        return len(self._insert_notices([row]))

    def _insert_notices(self, rows: list[dict[str, Any]]) -> list[str]:
        """Insert notices whose key is not in the outbox yet; the keys added."""
        if not rows:
            return []
        insert = insert_or_skip(self.db.engine, table_of(OutboxRow), "key")
        added = []
        # Core: INSERT ... ON CONFLICT DO NOTHING (a key written once) has no ORM spelling.
        with self.db.engine.begin() as connection:
            for row in rows:
                if connection.execute(insert, row).rowcount:
                    added.append(str(row["key"]))
        return added

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

    # ------------------------------------------------------------ receipts

    def record_receipt(
        self, key: str, *, notifier: str, ok: bool, at: dt.datetime, detail: str = ""
    ) -> OutboxEntry:
        """Record a provider's delivery receipt (an SMS 回执) on the notice ``key``.

        Only the notifier that carried the notice may report on it. A receipt that says
        the notice did not reach its recipient is shown as it is: the notice no longer
        counts as told, and one to a supervisor with a phone number becomes a call task
        for the desk (a notice to anyone else becomes ``unreachable``), with the reason.
        A later receipt (a provider may report twice; the notice may meanwhile have been
        told by telephone) is kept and changes nothing else: the latest receipt wins.

        :param notifier: the name of the notifier reporting (``sms``)
        :param at: when the recipient received it, or when the provider gave up; aware
        :raises NotFound: no notice has this key
        :raises InvalidInput: the notice was not carried by ``notifier``, or ``at`` is naive
        """
        if at.tzinfo is None:
            msg = "回执时间必须带时区"
            raise InvalidInput(msg)
        with self.db.session() as s:
            row = s.exec(select(OutboxRow).where(OutboxRow.key == key)).first()
            if row is None:
                msg = f"发送队列中没有标识为 {key} 的通知"
                raise NotFound(msg)
            # The carrier reports; once it has, a later word (a second receipt after
            # the notice became a call task, or was phoned) is kept too.
            if row.notifier != notifier and row.receipt_ok is None:
                msg = f"通知 {row.id} 不是由 {notifier} 发送的，不能记录其回执"
                raise InvalidInput(msg)
            row.receipt_ok, row.receipt_at, row.receipt_detail = ok, at, detail[:500] or None
            if not ok and row.status == OutboxStatus.DELIVERED.value:
                phoned = row.recipient_kind == RecipientKind.SUPERVISOR.value and any(
                    a.get("kind") == ContactKind.PHONE.value for a in row.addresses
                )
                failed = f"{notifier}：回执未送达（{detail or '无原因'}）"
                row.last_error = "；".join(x for x in (row.last_error, failed) if x)[:2000]
                row.status = (OutboxStatus.CALL_TASK if phoned else OutboxStatus.UNREACHABLE).value
                row.notifier, row.delivered_at = None, None
            s.add(row)
            s.commit()
            return outbox_entry_of(row)


def _get(s: Any, entry_id: int) -> OutboxRow:
    return get_row(s, OutboxRow, entry_id, f"发送队列中没有编号为 {entry_id} 的通知")


def _row(
    *,
    key: str,
    issue_id: int | None,
    center: str,
    recipient_kind: str,
    recipient: str,
    subject: str,
    body: str,
    now: dt.datetime,
    kind: str,
    fields: dict[str, str],
) -> dict[str, Any]:
    """An outbox row for a notice without addresses (to a unit or a center's staff)."""
    return {
        "key": key,
        "issue_id": issue_id,
        "center_code": center,
        "status": OutboxStatus.PENDING.value,
        "notifier": None,
        "recipient_kind": recipient_kind,
        "recipient": recipient,
        "addresses": [],
        "subject": subject,
        "body": body,
        "kind": kind,
        "fields": fields or None,
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }


def _way_label(registry: Any, name: str) -> str:
    """A notifier as people name it (电子邮件, 企业微信), for the reasons a notice records."""
    label = getattr(registry[name], "label", None) if name in registry else None
    return str(label or CHANNEL_LABELS.get(name, name))

"""Delivering the outbox's notices: leasing the due ones, trying their ways, recording how it went.

Delivery tells the truth. Each notice tries its recipient's ways in the order the
center configures (:meth:`CenterSettings.ways`) and believes each notifier: one that
returns carried it; one that raises :class:`~supervision_core.Unreachable` cannot
reach this recipient (the next way is tried at once); one that raises anything else
failed for now (the next way is tried, and the notice again later if none took it).
What nothing carried becomes, for a supervisor with a phone number, a call task for
the center's desk; for a center's staff, an entry of the console's inbox only; for
anyone else, ``unreachable`` with the reasons. A provider's receipt may say later
that a notice did not arrive after all. Part of :class:`~supervision_core.store.outbox.Outbox`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
from sqlmodel import col, select

from supervision_core.errors import InvalidInput, NotFound
from supervision_core.model.notifications import (
    Deferred,
    Notice,
    Notifier,
    RecipientKind,
    Unreachable,
)
from supervision_core.model.outbox import (
    INBOX,
    DeliveryReport,
    OutboxEntry,
    OutboxStatus,
    retry_delay,
)
from supervision_core.model.supervisors import ContactKind, Identity
from supervision_core.model.vocabulary import CHANNEL_LABELS
from supervision_core.store.rows import notice_of, outbox_entry_of
from supervision_core.store.tables import OutboxRow

if TYPE_CHECKING:
    from supervision_core.store.session import Database

_WAITING = (OutboxStatus.PENDING.value, OutboxStatus.RETRYING.value)


@attrs.frozen
class _Outcome:
    """What trying a notice's ways came to."""

    carried_by: str | None
    reasons: tuple[str, ...]
    failed: bool  # some way failed for now: worth trying again
    deferred_until: dt.datetime | None = None  # a way will carry it, but only then


class OutboxDelivery:
    """Delivering notices through the notifiers, and the providers' receipts on them."""

    db: Database

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


def _way_label(registry: Any, name: str) -> str:
    """A notifier as people name it (电子邮件, 企业微信), for the reasons a notice records."""
    label = getattr(registry[name], "label", None) if name in registry else None
    return str(label or CHANNEL_LABELS.get(name, name))

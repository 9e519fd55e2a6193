"""The store of webhook subscriptions and their deliveries (the delivery log).

A step's events are queued by :func:`enqueue_webhooks` in the step's own transaction
(as its notices are, :func:`~supervision_core.store.notices.enqueue_notices`): the
deliveries exist as soon as the step is committed, whatever happens after.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import InvalidInput, NotFound
from supervision_core.model.centers import CenterLevel
from supervision_core.model.issues import Issue, IssueEvent
from supervision_core.model.webhooks import (
    Webhook,
    WebhookDelivery,
    WebhookEvent,
    WebhookStatus,
    new_webhook_secret,
    next_attempt,
)
from supervision_core.rules.webhooks import step_event, subscribers, webhook_body, webhook_data
from supervision_core.store.bulk import bulk_insert
from supervision_core.store.disclosure import unit_views_in
from supervision_core.store.tables import (
    CenterRow,
    UnitRow,
    WebhookDeliveryRow,
    WebhookRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.store.catalog import Catalog

__all__ = ["WebhookStore", "enqueue_webhooks"]

#: One event to queue: the issue as it now is, the event, and its key (once per subscription).
Queued = tuple[Issue, WebhookEvent, str]


def enqueue_webhooks(
    s: Session,
    steps: Sequence[tuple[Issue, IssueEvent]],
    now: dt.datetime,
    catalog: Catalog | None = None,
) -> int:
    """Queue the webhook events of these steps in ``s``'s transaction; how many posts.

    Called where a step writes its event (beside its notices), so a step and its
    deliveries are committed, or rolled back, together. With ``catalog`` the enabled
    subscriptions are read from the process's catalog while its version holds
    (store/catalog.py): every report filed reads them.
    """
    events = []
    for issue, event in steps:
        kind = step_event(issue, event)
        if kind is not None:
            assert event.id is not None, "a step's event is written before its webhooks"
            events.append((issue, kind, f"event:{event.id}"))
    return _queue(s, events, now, catalog) if events else 0


def _subscriptions(s: Session) -> tuple[list[Webhook], dict[str, CenterLevel]]:
    """The enabled subscriptions, and the centers' levels if there are any."""
    hooks = [
        _webhook(r) for r in s.exec(select(WebhookRow).where(col(WebhookRow.disabled).is_(False)))
    ]
    if not hooks:
        return [], {}
    return hooks, {r.code: CenterLevel(r.level) for r in s.exec(select(CenterRow)).all()}


def _queue(
    s: Session, events: Sequence[Queued], now: dt.datetime, catalog: Catalog | None = None
) -> int:
    if catalog is None:
        hooks, levels = _subscriptions(s)
    else:
        kept = catalog.state(s)
        if kept.webhooks is None:
            kept.webhooks = _subscriptions(s)
        hooks, levels = kept.webhooks
    if not hooks:
        return 0
    chosen = [
        (issue, kind, key, subscribers(hooks, issue, kind, levels)) for issue, kind, key in events
    ]
    chosen = [c for c in chosen if c[3]]
    if not chosen:
        return 0
    keys = {key for _, _, key, _ in chosen}
    queued_before = set(
        s.exec(
            select(WebhookDeliveryRow.webhook_id, WebhookDeliveryRow.dedupe_key).where(
                col(WebhookDeliveryRow.dedupe_key).in_(keys)
            )
        ).all()
    )
    # A unit's subscription reads the issue as the unit's portal shows it (redacted).
    for_units = [issue for issue, _, _, found in chosen if any(h.unit for h in found)]
    views = dict(zip([i.id for i in for_units], unit_views_in(s, for_units), strict=True))
    rows = []
    for issue, kind, key, found in chosen:
        for hook in found:
            if (hook.id, key) in queued_before:
                continue
            data = webhook_data(issue, views[issue.id] if hook.unit is not None else None)
            rows.append(
                {
                    "webhook_id": hook.id,
                    "event": kind.value,
                    "dedupe_key": key[:200],
                    "body": webhook_body(kind, data, now),
                    "status": WebhookStatus.PENDING.value,
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now,
                }
            )
    bulk_insert(s, table_of(WebhookDeliveryRow), rows)
    return len(rows)


def _webhook(row: WebhookRow) -> Webhook:
    assert row.id is not None
    return Webhook(
        id=row.id,
        url=row.url,
        center=row.center_code,
        unit=row.unit_code,
        events=frozenset(WebhookEvent(e) for e in row.events.split(",") if e),
        created_at=row.created_at,
        disabled=row.disabled,
    )


def _delivery(row: WebhookDeliveryRow) -> WebhookDelivery:
    assert row.id is not None
    return WebhookDelivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event=row.event,
        body=row.body,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_status=row.last_status,
        last_error=row.last_error,
    )


class WebhookStore:
    """Subscriptions (added with a secret shown once, listed, disabled) and deliveries."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], dt.datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def add(
        self,
        *,
        url: str,
        center: str,
        events: Iterable[WebhookEvent | str],
        unit: str | None = None,
    ) -> tuple[Webhook, str]:
        """Subscribe ``url`` to ``events`` of ``center`` (or of its ``unit``); returns the secret."""
        try:
            chosen = frozenset(WebhookEvent(e) for e in events)
        except ValueError:
            known = "、".join(e.value for e in WebhookEvent)
            raise InvalidInput(f"未知的事件；可用：{known}") from None
        if not chosen:
            raise InvalidInput("至少需要订阅一个事件（--events）")
        if not url.startswith(("http://", "https://")) or len(url) > 500:
            raise InvalidInput("推送地址必须以 http:// 或 https:// 开头，且不超过 500 个字符")
        if unit is not None and WebhookEvent.REPORT_RECEIVED in chosen:
            raise InvalidInput("承办单位的订阅不能接收“收到反馈”事件：派单前单位不应知晓问题")
        secret = new_webhook_secret()
        with Session(self.engine) as s:
            if s.get(CenterRow, center) is None:
                raise NotFound(f"没有代码为 {center} 的中心")
            if unit is not None:
                found = s.exec(
                    select(UnitRow).where(UnitRow.center_code == center, UnitRow.code == unit)
                ).first()
                if found is None:
                    raise NotFound(f"中心 {center} 没有代码为 {unit} 的单位")
            row = WebhookRow(
                url=url,
                secret=secret,
                center_code=center,
                unit_code=unit,
                events=",".join(sorted(e.value for e in chosen)),
                created_at=self.clock(),
            )
            s.add(row)
            s.commit()
            s.refresh(row)
            return _webhook(row), secret

    def list(self, *, center: str | None = None) -> builtins.list[Webhook]:
        """Every subscription, oldest first."""
        stmt = select(WebhookRow).order_by(col(WebhookRow.id))
        if center is not None:
            stmt = stmt.where(WebhookRow.center_code == center)
        with Session(self.engine) as s:
            return [_webhook(r) for r in s.exec(stmt).all()]

    def disable(self, webhook_id: int) -> Webhook:
        """Stop sending to a subscription (its log stays)."""
        with Session(self.engine) as s:
            row = s.get(WebhookRow, webhook_id)
            if row is None:
                raise NotFound(f"没有编号为 {webhook_id} 的订阅")
            row.disabled = True
            s.add(row)
            s.commit()
            s.refresh(row)
            return _webhook(row)

    def secret(self, webhook_id: int) -> str:
        """The signing secret of a subscription (for the sender only)."""
        with Session(self.engine) as s:
            row = s.get(WebhookRow, webhook_id)
            if row is None:
                raise NotFound(f"没有编号为 {webhook_id} 的订阅")
            return row.secret

    def enqueue(self, webhook_id: int, event: WebhookEvent, dedupe_key: str, body: str) -> bool:
        """Queue ``body`` for a subscription once per ``dedupe_key``; False if it was queued before."""
        now = self.clock()
        with Session(self.engine) as s:
            exists = s.exec(
                select(WebhookDeliveryRow.id).where(
                    WebhookDeliveryRow.webhook_id == webhook_id,
                    WebhookDeliveryRow.dedupe_key == dedupe_key,
                )
            ).first()
            if exists is not None:
                return False
            s.add(
                WebhookDeliveryRow(
                    webhook_id=webhook_id,
                    event=event.value,
                    dedupe_key=dedupe_key[:200],
                    body=body,
                    status=WebhookStatus.PENDING.value,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
            try:
                s.commit()
            except sa.exc.IntegrityError:  # queued at the same moment elsewhere
                s.rollback()
                return False
        return True

    def queue(self, events: Sequence[Queued]) -> int:
        """Queue events that are no step's (``issue.overdue``), each once per key; how many posts."""
        with Session(self.engine) as s:
            queued = _queue(s, events, self.clock())
            try:
                s.commit()
            except sa.exc.IntegrityError:  # queued at the same moment elsewhere: next round
                s.rollback()
                return 0
        return queued

    def due(self, *, limit: int = 100) -> builtins.list[WebhookDelivery]:
        """Pending deliveries whose attempt is due, oldest first."""
        now = self.clock()
        stmt = (
            select(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.status == WebhookStatus.PENDING.value,
                col(WebhookDeliveryRow.next_attempt_at) <= now,
            )
            .order_by(col(WebhookDeliveryRow.id))
            .limit(limit)
        )
        with Session(self.engine) as s:
            return [_delivery(r) for r in s.exec(stmt).all()]

    def record(self, delivery_id: int, *, status: int | None, error: str | None) -> WebhookDelivery:
        """Record one attempt: delivered on a 2xx answer, else retried with backoff or given up."""
        now = self.clock()
        with Session(self.engine) as s:
            row = s.get(WebhookDeliveryRow, delivery_id)
            if row is None:
                raise NotFound(f"没有编号为 {delivery_id} 的推送记录")
            row.attempts += 1
            row.last_status = status
            row.last_error = error[:500] if error else None
            if status is not None and 200 <= status < 300:
                row.status = WebhookStatus.DELIVERED.value
                row.delivered_at = now
                row.next_attempt_at = None
            else:
                row.next_attempt_at = next_attempt(row.attempts, now)
                if row.next_attempt_at is None:
                    row.status = WebhookStatus.DEAD.value
            s.add(row)
            s.commit()
            s.refresh(row)
            return _delivery(row)

    def deliveries(
        self, *, webhook_id: int | None = None, limit: int = 200
    ) -> builtins.list[WebhookDelivery]:
        """The delivery log, newest first."""
        stmt = select(WebhookDeliveryRow).order_by(col(WebhookDeliveryRow.id).desc()).limit(limit)
        if webhook_id is not None:
            stmt = stmt.where(WebhookDeliveryRow.webhook_id == webhook_id)
        with Session(self.engine) as s:
            return [_delivery(r) for r in s.exec(stmt).all()]

    def delivery(self, delivery_id: int) -> WebhookDelivery:
        """One delivery."""
        with Session(self.engine) as s:
            row = s.get(WebhookDeliveryRow, delivery_id)
            if row is None:
                raise NotFound(f"没有编号为 {delivery_id} 的推送记录")
            return _delivery(row)

    def replay(self, delivery_id: int) -> WebhookDelivery:
        """Send a delivery again (given up or delivered): pending from now, attempts reset."""
        with Session(self.engine) as s:
            row = s.get(WebhookDeliveryRow, delivery_id)
            if row is None:
                raise NotFound(f"没有编号为 {delivery_id} 的推送记录")
            row.status = WebhookStatus.PENDING.value
            row.attempts = 0
            row.next_attempt_at = self.clock()
            s.add(row)
            s.commit()
            s.refresh(row)
            return _delivery(row)

"""The store of webhook subscriptions and their deliveries (the delivery log)."""

from __future__ import annotations

import builtins
import datetime as dt
import threading
import time
import weakref
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from supervision_core.errors import InvalidInput, NotFound
from supervision_core.model.webhooks import (
    Webhook,
    WebhookDelivery,
    WebhookEvent,
    WebhookStatus,
    new_webhook_secret,
    next_attempt,
)
from supervision_core.store.tables import CenterRow, UnitRow, WebhookDeliveryRow, WebhookRow

__all__ = ["WebhookStore"]

#: How long the subscriptions read for queueing serve before they are read again
#: (seconds). Every step of every issue asks which subscriptions hear of it; added or
#: disabled through this process, the list is read again at once, through another
#: process (``supdesk webhooks add`` beside the daemon), within this time.
ACTIVE_SECONDS = 1.0
_active: weakref.WeakKeyDictionary[sa.Engine, tuple[float, tuple[Webhook, ...]]] = (
    weakref.WeakKeyDictionary()
)
_active_lock = threading.Lock()
_monotonic = time.monotonic  # the tests move it


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
            self._changed()
            return _webhook(row), secret

    def active(self) -> tuple[Webhook, ...]:
        """The subscriptions not disabled, oldest first; read again after :data:`ACTIVE_SECONDS`."""
        now = _monotonic()
        with _active_lock:
            held = _active.get(self.engine)
        if held is not None and now - held[0] < ACTIVE_SECONDS:
            return held[1]
        hooks = tuple(h for h in self.list() if not h.disabled)
        with _active_lock:
            _active[self.engine] = (now, hooks)
        return hooks

    def _changed(self) -> None:
        with _active_lock:
            _active.pop(self.engine, None)

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
            self._changed()
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

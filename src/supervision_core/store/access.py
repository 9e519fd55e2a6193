"""The access log: every view or export of a supervisor's personal data, one row each.

Written by whatever shows the data (the console's pages, the walk-in form, receipts,
attachments, ``supdesk supervisors show``, ``export ledger`` ...), read by
``supdesk access-log``. The table is append-only (a trigger refuses changes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from supervision_core.errors import InvalidInput
from supervision_core.model.access import AccessEntry
from supervision_core.model.clock import SHANGHAI
from supervision_core.store.tables import AccessLogRow, SupervisorRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.session import Database

__all__ = ["AccessLog"]

_LOG = table_of(AccessLogRow)
_SUPERVISOR = table_of(SupervisorRow)
_AT_ONCE = 500  # supervisors looked up in one statement (the parameters' limit)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI).astimezone(dt.UTC)


class AccessLog:
    """Who saw which supervisor's personal data, when, and by which page or command."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def log_access(
        self,
        *,
        user: str,
        action: str,
        purpose: str,
        supervisors: Iterable[int],
        target: str | None = None,
    ) -> int:
        """Record that ``user`` saw the personal data of ``supervisors``; one row each.

        :param action: what was done (``view_supervisor``, ``list_supervisors``,
            ``export_ledger`` ...)
        :param purpose: the page or the command (``网页 /console/supervisors/3``)
        :param target: what was shown, when more than the supervisor (an issue's number)
        :returns: how many rows were written (none when no supervisor was shown)
        """
        if not user.strip() or not action.strip():
            msg = "查阅记录必须写明查阅人和操作"
            raise InvalidInput(msg)
        ids = sorted(set(supervisors))
        if not ids:
            return 0
        now = self.db.clock()
        with self.db.engine.begin() as connection:
            centers: dict[int, str] = {}
            for start in range(0, len(ids), _AT_ONCE):
                chunk = ids[start : start + _AT_ONCE]
                found = connection.execute(
                    sa.select(_SUPERVISOR.c.id, _SUPERVISOR.c.center_code).where(
                        _SUPERVISOR.c.id.in_(chunk)
                    )
                )
                centers.update({sid: center for sid, center in found})
            connection.execute(
                sa.insert(_LOG),
                [
                    {
                        "at": now,
                        "username": user.strip()[:40],
                        "action": action.strip()[:40],
                        "target": (f"{target} supervisor:{sid}" if target else f"supervisor:{sid}")[
                            :200
                        ],
                        "supervisor_id": sid,
                        "center_code": centers.get(sid),
                        "purpose": purpose.strip()[:200] or None,
                    }
                    for sid in ids
                ],
            )
        return len(ids)

    def access_log(
        self,
        *,
        user: str | None = None,
        supervisor: int | None = None,
        centers: Iterable[str] | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        limit: int | None = 500,
    ) -> list[AccessEntry]:
        """Entries of the access log, newest first, filtered.

        :param user: only this user's views
        :param supervisor: only views of this supervisor's data
        :param centers: only views of these centers' supervisors (a center's staff see
            their own center's); ``None``: every center
        :param since: from this day on (Asia/Shanghai), inclusive
        :param until: up to this day, inclusive
        :param limit: at most this many entries (``None``: all)
        """
        if since and until and until < since:
            msg = f"结束日期 {until} 早于开始日期 {since}"
            raise InvalidInput(msg)
        query = sa.select(_LOG).order_by(_LOG.c.id.desc())
        if user is not None:
            query = query.where(_LOG.c.username == user)
        if supervisor is not None:
            query = query.where(_LOG.c.supervisor_id == supervisor)
        if centers is not None:
            query = query.where(_LOG.c.center_code.in_(list(centers)))
        if since is not None:
            query = query.where(_LOG.c.at >= _start_of(since))
        if until is not None:
            query = query.where(_LOG.c.at < _start_of(until + dt.timedelta(days=1)))
        if limit is not None:
            query = query.limit(limit)
        with self.db.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            AccessEntry(
                id=r["id"],
                at=r["at"],
                user=r["username"],
                action=r["action"],
                target=r["target"],
                supervisor_id=r["supervisor_id"],
                center=r["center_code"],
                purpose=r["purpose"],
            )
            for r in rows
        ]

"""A supervisor's sign-in to their own page: one-time codes by the outbox, and sessions.

The code goes out as a notice (kind ``sign_in_code``) through the outbox, delivered at
once by the center's notifiers to the supervisor's registered contacts; after that one
attempt the code is blotted out of the outbox (only its salted digest is kept, in
``sign_in_code``). A session is a random token in the browser, kept here as its digest;
every use checks that it is not ended or expired and that its supervisor is in office,
so a suspended or revoked supervisor is signed out at their next click.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, cast

import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidInput
from supervision_core.model.notifications import NoticeKind, RecipientKind
from supervision_core.model.outbox import OutboxStatus
from supervision_core.model.sign_in import SupervisorSession, SupervisorSignIn
from supervision_core.model.supervisors import (
    ContactKind,
    SupervisorStatus,
    normalize_identity,
)
from supervision_core.rules.sign_in import (
    CODE_MINUTES,
    CODE_TRIES,
    SESSION_DAYS,
    code_digest,
    code_matches,
    code_refusal,
    sign_in_code_text,
    token_digest,
    valid_code_format,
)
from supervision_core.store.rows import supervisor_of
from supervision_core.store.supervisor_view import supervisor_issues_on
from supervision_core.store.tables import (
    IdentityRow,
    OutboxRow,
    SignInCodeRow,
    SupervisorRow,
    SupervisorSessionRow,
    table_of,
)

if TYPE_CHECKING:
    from supervision_core.model.summaries import IssueSummary
    from supervision_core.model.supervisors import Supervisor
    from supervision_core.store.outbox import Outbox
    from supervision_core.store.session import Database
    from supervision_core.store.supervisors import Supervisors

__all__ = ["SignIns"]

_CODE = table_of(SignInCodeRow)
_SESSION = table_of(SupervisorSessionRow)
_SUPERVISOR = table_of(SupervisorRow)
_IDENTITY = table_of(IdentityRow)
#: The session a token's digest names, if not ended or expired, with its supervisor in
#: office and their contacts (``kind``, ``raw``; none: one row of nulls), oldest first.
_SIGNED_IN = (
    sa.select(
        _SESSION.c.id.label("session_id"),
        _SESSION.c.last_seen_at.label("session_seen"),
        *_SUPERVISOR.c,
        _IDENTITY.c.kind,
        _IDENTITY.c.raw,
    )
    .select_from(
        _SESSION.join(_SUPERVISOR, _SUPERVISOR.c.id == _SESSION.c.supervisor_id).outerjoin(
            _IDENTITY, _IDENTITY.c.supervisor_id == _SUPERVISOR.c.id
        )
    )
    .where(
        _SESSION.c.token_hash == sa.bindparam("digest"),
        _SESSION.c.revoked_at.is_(None),
        _SESSION.c.expires_at > sa.bindparam("now"),
        _SUPERVISOR.c.status == SupervisorStatus.ACTIVE.value,
    )
    .order_by(_IDENTITY.c.id)
)
#: A session's last use is written at most this often (not on every page).
_TOUCH = dt.timedelta(hours=1)
_WRONG = "验证码不正确或已过期，请重新获取。"
_BLOTTED = "******"


def _contact(value: str) -> tuple[ContactKind, str] | None:
    """The identity a sign-in form names: a mobile number or an e-mail address."""
    value = value.strip()
    if not value or len(value) > 320 or "\x00" in value:
        return None
    kind = ContactKind.EMAIL if "@" in value else ContactKind.PHONE
    normalized = normalize_identity(kind, value)
    if kind is ContactKind.PHONE and not (normalized.isdigit() and 7 <= len(normalized) <= 15):
        return None
    return kind, normalized


def _session(row: SupervisorSessionRow) -> SupervisorSession:
    assert row.id is not None
    return SupervisorSession(
        id=row.id,
        supervisor_id=row.supervisor_id,
        via=row.via,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_seen_at=row.last_seen_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


class SignIns:
    """One-time codes and the sessions of supervisors' own page."""

    def __init__(self, db: Database, supervisors: Supervisors, outbox: Outbox) -> None:
        self.db = db
        self.supervisors = supervisors
        self.outbox = outbox

    def _find(self, contact: str) -> int | None:
        found = _contact(contact)
        if found is None:
            return None
        kind, value = found
        with self.db.session() as s:
            return s.exec(
                select(IdentityRow.supervisor_id).where(
                    IdentityRow.kind == kind.value, IdentityRow.value == value
                )
            ).first()

    def request_sign_in_code(self, contact: str, *, ip: str | None = None) -> bool:
        """Send a six-digit sign-in code to the supervisor whose registered contact this is.

        ``contact`` is a mobile number or e-mail address as typed. The code goes through
        the outbox as a notice of kind ``sign_in_code`` (fields ``code`` and
        ``minutes``), delivered at once by the center's notifiers to every registered
        way of the supervisor, and is blotted out of the outbox after that attempt. It
        expires after :data:`~supervision_core.rules.sign_in.CODE_MINUTES` minutes.

        Returns whether a code was sent; a page should not say which (so it does not tell
        who is registered). Raises :class:`InvalidInput` (in Chinese) when the limits per
        supervisor or per address are reached, or the contact is malformed.
        """
        if _contact(contact) is None:
            msg = "请填写您登记的手机号码（或电子邮箱）。"
            raise InvalidInput(msg)
        now = self.db.clock()
        hour = now - dt.timedelta(hours=1)
        supervisor_id = self._find(contact)
        with self.db.engine.connect() as c:
            from_ip = (
                list(
                    c.execute(
                        sa.select(_CODE.c.created_at).where(
                            _CODE.c.ip == ip, _CODE.c.created_at > hour
                        )
                    ).scalars()
                )
                if ip
                else []
            )
            to_supervisor = (
                list(
                    c.execute(
                        sa.select(_CODE.c.created_at).where(
                            _CODE.c.supervisor_id == supervisor_id, _CODE.c.created_at > hour
                        )
                    ).scalars()
                )
                if supervisor_id is not None
                else []
            )
        if refusal := code_refusal(to_supervisor, from_ip, now):
            raise InvalidInput(refusal)
        supervisor = self.supervisors.supervisor(supervisor_id) if supervisor_id else None
        if supervisor is None or supervisor.status is not SupervisorStatus.ACTIVE:
            with self.db.engine.begin() as c:  # counted for the address all the same
                c.execute(sa.insert(_CODE).values(ip=ip, created_at=now, expires_at=now, tries=0))
            return False
        code = f"{secrets.randbelow(1_000_000):06d}"
        salt = secrets.token_hex(8)
        subject, body = sign_in_code_text(code, CODE_MINUTES)
        with self.db.engine.begin() as c:
            code_id = c.execute(
                sa.insert(_CODE)
                .values(
                    supervisor_id=supervisor.id,
                    ip=ip,
                    salt=salt,
                    code_hash=code_digest(code, salt),
                    created_at=now,
                    expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
                    tries=0,
                )
                .returning(_CODE.c.id)
            ).scalar_one()
            key = f"sign_in:{supervisor.id}:{code_id}"
            c.execute(
                sa.insert(table_of(OutboxRow)).values(
                    key=key,
                    issue_id=None,
                    center_code=supervisor.center,
                    status=OutboxStatus.PENDING.value,
                    recipient_kind=RecipientKind.SUPERVISOR.value,
                    recipient=str(supervisor.id),
                    addresses=[
                        {"kind": a.kind.value, "value": a.value} for a in supervisor.identities
                    ],
                    subject=subject,
                    body=body,
                    kind=NoticeKind.SIGN_IN_CODE.value,
                    fields={"code": code, "minutes": str(CODE_MINUTES)},
                    created_at=now,
                    attempts=0,
                    next_attempt_at=now,
                )
            )
        try:
            self.outbox.deliver_now(key)
        finally:
            self._blot(key, code)
        return True

    def _blot(self, key: str, code: str) -> None:
        """The code out of the outbox; a code not carried at once is not tried again."""
        with self.db.session() as s:
            row = s.exec(select(OutboxRow).where(OutboxRow.key == key)).one()
            row.body = row.body.replace(code, _BLOTTED)
            if row.fields and "code" in row.fields:
                row.fields = {**row.fields, "code": _BLOTTED}
            if row.status != OutboxStatus.DELIVERED.value:
                row.status = OutboxStatus.UNREACHABLE.value
                row.last_error = (
                    (row.last_error or "没有通知方式送达") + "；验证码限时有效，不再重试"
                )[:2000]
            s.add(row)
            s.commit()

    def sign_in_with_code(
        self, contact: str, code: str, *, ip: str | None = None
    ) -> SupervisorSignIn:
        """Check a code and start a session; :class:`InvalidInput` (in Chinese) otherwise.

        The latest code sent to the supervisor counts: each try is counted before it is
        compared (atomically, so parallel tries cannot pass the limit), a code that was
        tried :data:`~supervision_core.rules.sign_in.CODE_TRIES` times wrongly is spent,
        and a right code is used up at once. A suspended or revoked supervisor is
        refused. Wrong contacts and wrong codes get the same message.
        """
        code = code.strip()
        supervisor_id = self._find(contact)
        if supervisor_id is None or not valid_code_format(code):
            raise InvalidInput(_WRONG)
        now = self.db.clock()
        with self.db.engine.begin() as c:
            latest = c.execute(
                sa.select(_CODE.c.id)
                .where(_CODE.c.supervisor_id == supervisor_id, _CODE.c.code_hash.is_not(None))
                .order_by(_CODE.c.id.desc())
                .limit(1)
            ).scalar()
            if latest is None:
                raise InvalidInput(_WRONG)
            counted = c.execute(
                sa.update(_CODE)
                .where(
                    _CODE.c.id == latest,
                    _CODE.c.used_at.is_(None),
                    _CODE.c.expires_at > now,
                    _CODE.c.tries < CODE_TRIES,
                )
                .values(tries=_CODE.c.tries + 1)
                .returning(_CODE.c.salt, _CODE.c.code_hash, _CODE.c.tries)
            ).first()
        if counted is None:
            raise InvalidInput(_WRONG)
        salt, digest, tries = counted
        if not code_matches(code, salt, digest):
            left = CODE_TRIES - tries
            if left <= 0:
                msg = "验证码错误次数过多，该验证码已失效，请重新获取。"
                raise InvalidInput(msg)
            raise InvalidInput(f"{_WRONG}（还可再试 {left} 次）")
        with self.db.engine.begin() as c:
            used = c.execute(
                sa.update(_CODE)
                .where(_CODE.c.id == latest, _CODE.c.used_at.is_(None))
                .values(used_at=now)
            ).rowcount
        if not used:  # the same code used at the same moment elsewhere
            raise InvalidInput(_WRONG)
        return self.start_supervisor_session(supervisor_id, via="code")

    def start_supervisor_session(self, supervisor_id: int, *, via: str) -> SupervisorSignIn:
        """A new session for a supervisor whose identity was proven by ``via``.

        The code sign-in calls it; so may a plugin that proves a supervisor's identity its
        own way (WeChat OAuth: ``via="wechat"``). A supervisor not in office is refused
        (:class:`InvalidInput`).
        """
        supervisor = self.supervisors.supervisor(supervisor_id)
        if supervisor.status is not SupervisorStatus.ACTIVE:
            msg = "您的监督员资格已暂停或已解聘，无法登录；如有疑问请联系中心。"
            raise InvalidInput(msg)
        now = self.db.clock()
        token = secrets.token_urlsafe(32)
        row = SupervisorSessionRow(
            token_hash=token_digest(token),
            supervisor_id=supervisor_id,
            via=via[:32],
            created_at=now,
            expires_at=now + dt.timedelta(days=SESSION_DAYS),
            last_seen_at=now,
        )
        with self.db.session() as s:
            s.add(row)
            s.commit()
            s.refresh(row)
            return SupervisorSignIn(token=token, session=_session(row))

    def supervisor_of_session(self, token: str) -> Supervisor | None:
        """The supervisor a session's token signs in, or ``None``.

        ``None`` for an unknown, ended or expired session, and for a supervisor not in
        office (suspended or revoked) whatever their sessions. A use moves the session's
        end on (written at most hourly).
        """
        if not token or len(token) > 100:
            return None
        with self.db.engine.connect() as c:
            return self._signed_in(c, token)

    def supervisor_page(
        self, token: str, *, before: int | None = None, limit: int = 50
    ) -> tuple[Supervisor, list[IssueSummary]] | None:
        """The supervisor a session signs in and a page of their issues, or ``None``.

        :meth:`supervisor_of_session` then :meth:`~supervision_core.Ledger.supervisor_issues`
        on one connection: the "my reports" page's two queries, without a second
        checkout (on PostgreSQL a ping and a rollback each; bench/bench_me.py).
        """
        if not token or len(token) > 100:
            return None
        with self.db.engine.connect() as c:
            supervisor = self._signed_in(c, token)
            if supervisor is None:
                return None
            return supervisor, supervisor_issues_on(c, supervisor.id, before=before, limit=limit)

    def _signed_in(self, c: sa.Connection, token: str) -> Supervisor | None:
        now = self.db.clock()
        # One query (the session, its supervisor in office, their contacts), a statement
        # built once: every page of /me asks it first (bench/bench_me.py).
        rows = c.execute(_SIGNED_IN, {"digest": token_digest(token), "now": now}).all()
        if not rows:
            return None
        first = rows[0]
        # The row has the supervisor table's columns by name: no ORM object on this path.
        supervisor = supervisor_of(
            cast("SupervisorRow", first),
            [cast("IdentityRow", r) for r in rows if r.kind is not None],
        )
        if now - first.session_seen > _TOUCH:
            c.execute(
                sa.update(_SESSION)
                .where(_SESSION.c.id == first.session_id)
                .values(last_seen_at=now, expires_at=now + dt.timedelta(days=SESSION_DAYS))
            )
            c.commit()
        return supervisor

    def end_supervisor_session(self, token: str) -> None:
        """End one session (the supervisor signs out on this phone)."""
        with self.db.engine.begin() as c:
            c.execute(
                sa.update(_SESSION)
                .where(
                    _SESSION.c.token_hash == token_digest(token), _SESSION.c.revoked_at.is_(None)
                )
                .values(revoked_at=self.db.clock(), revoked_by="supervisor")
            )

    def end_supervisor_sessions(self, supervisor_id: int, *, actor: str) -> int:
        """End every session of a supervisor (staff: a lost phone); how many were ended."""
        self.supervisors.supervisor(supervisor_id)
        with self.db.engine.begin() as c:
            return int(
                c.execute(
                    sa.update(_SESSION)
                    .where(
                        _SESSION.c.supervisor_id == supervisor_id,
                        _SESSION.c.revoked_at.is_(None),
                    )
                    .values(revoked_at=self.db.clock(), revoked_by=actor[:200])
                ).rowcount
            )

    def supervisor_sessions(self, supervisor_id: int) -> list[SupervisorSession]:
        """A supervisor's sessions, newest first (ended ones too)."""
        with self.db.session() as s:
            rows = s.exec(
                select(SupervisorSessionRow)
                .where(SupervisorSessionRow.supervisor_id == supervisor_id)
                .order_by(col(SupervisorSessionRow.id).desc())
            ).all()
        return [_session(r) for r in rows]

"""A supervisor's sign-in to their own page (/me): one-time codes and long-lived sessions."""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["SupervisorSession", "SupervisorSignIn"]


@attrs.frozen(kw_only=True)
class SupervisorSession:
    """A supervisor's signed-in browser (a phone): kept for months, ended by staff at will.

    :param via: how the supervisor proved who they are (``code``: a one-time code sent to
        their registered contact; a plugin's own, ``wechat`` say)
    :param expires_at: the session ends then unless used before (each use moves it on)
    :param revoked_at: when it was ended (signed out, or by staff: ``revoked_by``)
    """

    id: int
    supervisor_id: int
    via: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_seen_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_by: str | None = None

    def is_active(self, now: dt.datetime) -> bool:
        """Whether the session still signs its supervisor in at ``now``."""
        return self.revoked_at is None and self.expires_at > now


@attrs.frozen(kw_only=True)
class SupervisorSignIn:
    """A new session: its token (for the browser's cookie; only its digest is stored)."""

    token: str = attrs.field(repr=False)
    session: SupervisorSession

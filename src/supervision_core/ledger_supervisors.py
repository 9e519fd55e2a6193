"""The supervisor desk: the ledger's delegations for supervisors and their own page.

A mixin of :class:`~supervision_core.ledger.Ledger`: appointing and keeping
supervisors, the sign-in codes and sessions of their own page (/me), the issues they
see there, and the log of who saw their personal data. Each line names the method
and the store module that owns it (see :class:`~supervision_core.delegation.Via`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core.delegation import Via
from supervision_core.lazy import Lazy

# The store modules are named lazily, as in ledger.py: mypy reads the real imports; at
# run time each is imported when a ledger first calls one of its methods.
if TYPE_CHECKING:
    from supervision_core.store import supervisor_view
    from supervision_core.store.access import AccessLog
    from supervision_core.store.sign_in import SignIns
    from supervision_core.store.supervisors import Supervisors
else:
    supervisor_view = Lazy("supervision_core.store.supervisor_view")
    AccessLog = Lazy("supervision_core.store.access:AccessLog")
    SignIns = Lazy("supervision_core.store.sign_in:SignIns")
    Supervisors = Lazy("supervision_core.store.supervisors:Supervisors")

__all__ = ["SupervisorDesk"]


class SupervisorDesk:
    """The ledger's methods on supervisors, their sign-in and their personal data: store methods."""

    # supervisors: store/supervisors.py
    add_supervisor = Via("_supervisors", Supervisors.add_supervisor)
    add_identity = Via("_supervisors", Supervisors.add_identity)
    supervisor = Via("_supervisors", Supervisors.supervisor)
    supervisors = Via("_supervisors", Supervisors.supervisors)
    supervisor_brief = Via("_supervisors", Supervisors.supervisor_brief)
    update_supervisor = Via("_supervisors", Supervisors.update_supervisor)
    suspend = Via("_supervisors", Supervisors.suspend)
    reinstate = Via("_supervisors", Supervisors.reinstate)
    revoke = Via("_supervisors", Supervisors.revoke)
    supervisor_history = Via("_supervisors", Supervisors.supervisor_history)
    record_papers_returned = Via("_supervisors", Supervisors.record_papers_returned)
    papers_outstanding = Via("_supervisors", Supervisors.papers_outstanding)
    identity_table = Via("_supervisors", Supervisors.identity_table)

    # supervisors' own page: sign-in codes and sessions, store/sign_in.py
    request_sign_in_code = Via("_sign_ins", SignIns.request_sign_in_code)
    sign_in_with_code = Via("_sign_ins", SignIns.sign_in_with_code)
    start_supervisor_session = Via("_sign_ins", SignIns.start_supervisor_session)
    supervisor_of_session = Via("_sign_ins", SignIns.supervisor_of_session)
    supervisor_page = Via("_sign_ins", SignIns.supervisor_page)
    end_supervisor_session = Via("_sign_ins", SignIns.end_supervisor_session)
    end_supervisor_sessions = Via("_sign_ins", SignIns.end_supervisor_sessions)
    supervisor_sessions = Via("_sign_ins", SignIns.supervisor_sessions)
    supervisor_issues = Via("db", supervisor_view.supervisor_issues)
    supervisor_issue_counts = Via("db", supervisor_view.supervisor_issue_counts)

    # who saw supervisors' personal data: store/access.py
    log_access = Via("_access", AccessLog.log_access)
    access_log = Via("_access", AccessLog.access_log)

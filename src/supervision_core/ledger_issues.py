"""The issue desk: the ledger's delegations for reports, issues and notices.

A mixin of :class:`~supervision_core.ledger.Ledger`: centers and units, import
batches, quarantine and received reports, an issue's steps and readings, the
workbook's pages, notices, leases and the dashboard's counts. Each line names the
method and the store module that owns it (see :class:`~supervision_core.delegation.Via`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core.delegation import Via
from supervision_core.lazy import Lazy

# The store modules are named lazily, as in ledger.py: mypy reads the real imports; at
# run time each is imported when a ledger first calls one of its methods.
if TYPE_CHECKING:
    from supervision_core.store import ledger_pages as pages
    from supervision_core.store.batches import Batches
    from supervision_core.store.centers import Centers
    from supervision_core.store.dashboard import Dashboard
    from supervision_core.store.issues import Issues
    from supervision_core.store.leases import Leases
    from supervision_core.store.outbox import Outbox
    from supervision_core.store.quarantine import Quarantine
    from supervision_core.store.reports import Reports
else:
    pages = Lazy("supervision_core.store.ledger_pages")
    Batches = Lazy("supervision_core.store.batches:Batches")
    Centers = Lazy("supervision_core.store.centers:Centers")
    Dashboard = Lazy("supervision_core.store.dashboard:Dashboard")
    Issues = Lazy("supervision_core.store.issues:Issues")
    Leases = Lazy("supervision_core.store.leases:Leases")
    Outbox = Lazy("supervision_core.store.outbox:Outbox")
    Quarantine = Lazy("supervision_core.store.quarantine:Quarantine")
    Reports = Lazy("supervision_core.store.reports:Reports")

__all__ = ["IssueDesk"]


class IssueDesk:
    """The ledger's methods on centers, reports, issues and notices: store methods, as they are."""

    # centers and units: store/centers.py
    sync_centers = Via("_centers", Centers.sync_centers)
    centers = Via("_centers", Centers.centers)
    center = Via("_centers", Centers.center)
    units = Via("_centers", Centers.units)
    add_unit = Via("_centers", Centers.add_unit)

    # import batches: store/batches.py
    start_batch = Via("_batches", Batches.start_batch)
    finish_batch = Via("_batches", Batches.finish_batch)
    batches = Via("_batches", Batches.batches)
    rollback_batch = Via("_batches", Batches.rollback_batch)

    # quarantine: store/quarantine.py; received reports: store/reports.py
    quarantine = Via("_quarantine", Quarantine.held)
    quarantine_count = Via("_quarantine", Quarantine.quarantine_count)
    assign_quarantined = Via("_quarantine", Quarantine.assign_quarantined)
    dismiss_quarantined = Via("_quarantine", Quarantine.dismiss_quarantined)
    report = Via("_reports", Reports.report)
    recent_reports = Via("_reports", Reports.recent_reports)
    report_summary = Via("_reports", Reports.report_summary)
    find_report = Via("_reports", Reports.find_report)
    attachment = Via("_reports", Reports.attachment)

    # an issue's life, one step a method: store/issues.py
    accept = Via("_issues", Issues.accept)
    not_accept = Via("_issues", Issues.not_accept)
    object_dispatch = Via("_issues", Issues.object_dispatch)
    dispatch = Via("_issues", Issues.dispatch)
    plan = Via("_issues", Issues.plan)
    progress = Via("_issues", Issues.progress)
    extend = Via("_issues", Issues.extend)
    complete = Via("_issues", Issues.complete)
    explain = Via("_issues", Issues.explain)
    evaluate = Via("_issues", Issues.evaluate)
    close_issue = Via("_issues", Issues.close_issue)
    merge = Via("_issues", Issues.merge)

    # reading issues: store/issues.py; the workbook's pages: store/ledger_pages.py
    issue = Via("_issues", Issues.issue)
    history = Via("_issues", Issues.history)
    proposals = Via("_issues", Issues.proposals)
    verify = Via("_issues", Issues.verify)
    unit_view = Via("_issues", Issues.unit_view)
    unit_views = Via("_issues", Issues.unit_views)
    issues = Via("_issues", Issues.find)
    overdue = Via("_issues", Issues.overdue)
    due_soon = Via("_issues", Issues.due_soon)
    count_by_center_and_state = Via("_issues", Issues.count_by_center_and_state)
    ledger_pages = Via("db", pages.ledger_pages)
    overdue_by_center = Via("db", pages.overdue_by_center)

    # notices: store/outbox.py (with outbox_delivery.py, outbox_desk.py);
    # leases: store/leases.py; counts: store/dashboard.py
    deliver_notices = Via("_outbox", Outbox.deliver_notices)
    run_routine = Via("_outbox", Outbox.run_routine)
    notify_center = Via("_outbox", Outbox.notify_center)
    outbox = Via("_outbox", Outbox.entries)
    notices_to_supervisor = Via("_outbox", Outbox.notices_to_supervisor)
    deliver_now = Via("_outbox", Outbox.deliver_now)
    outbox_entry = Via("_outbox", Outbox.entry)
    retry_notice = Via("_outbox", Outbox.retry_notice)
    inbox = Via("_outbox", Outbox.inbox)
    unread_count = Via("_outbox", Outbox.unread_count)
    mark_read = Via("_outbox", Outbox.mark_read)
    call_tasks = Via("_outbox", Outbox.call_tasks)
    call_task_count = Via("_outbox", Outbox.call_task_count)
    record_call = Via("_outbox", Outbox.record_call)
    record_receipt = Via("_outbox", Outbox.record_receipt)
    acquire_lease = Via("_leases", Leases.acquire_lease)
    release_lease = Via("_leases", Leases.release_lease)
    leases = Via("_leases", Leases.held)
    dashboard = Via("_dashboard", Dashboard.dashboard)
    status = Via("_dashboard", Dashboard.status)

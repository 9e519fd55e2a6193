"""The year desk: the ledger's delegations for the supervisors' year of work.

A mixin of :class:`~supervision_core.ledger.Ledger`: work plans, activities (and
their sign-up on /me), discipline, findings and the annual evaluation, the tasks
given to supervisors, the documents library, field visits, commendation and the
officer team. Each line names the method and the store module that owns it (see
:class:`~supervision_core.delegation.Via`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core.delegation import Via
from supervision_core.lazy import Lazy

# The store modules are named lazily, as in ledger.py: mypy reads the real imports; at
# run time each is imported when a ledger first calls one of its methods.
if TYPE_CHECKING:
    from supervision_core.store import activities as announced
    from supervision_core.store import recognition
    from supervision_core.store import year as annual
    from supervision_core.store.library import Library
    from supervision_core.store.tasks import Tasks
else:
    announced = Lazy("supervision_core.store.activities")
    recognition = Lazy("supervision_core.store.recognition")
    annual = Lazy("supervision_core.store.year")
    Library = Lazy("supervision_core.store.library:Library")
    Tasks = Lazy("supervision_core.store.tasks:Tasks")

__all__ = ["YearDesk"]


class YearDesk:
    """The ledger's methods on the supervisors' year, tasks, library and recognition: store methods."""

    # the supervisors' year: store/year.py (its modules re-exported); briefing: store/briefing.py
    add_work_plan = Via("db", annual.add_work_plan)
    work_plans = Via("db", annual.work_plans)
    add_activity = Via("db", annual.add_activity)
    record_attendance = Via("db", annual.record_attendance)
    activity = Via("db", annual.activity)
    activities = Via("db", annual.activities)
    # activities announced for sign-up on /me: store/activities.py
    announce_activity = Via("db", announced.announce_activity)
    cancel_activity = Via("db", announced.cancel_activity)
    sign_up_for_activity = Via("db", announced.sign_up)
    withdraw_from_activity = Via("db", announced.withdraw_sign_up)
    supervisor_activity = Via("db", announced.supervisor_activity)
    supervisor_activities = Via("db", announced.supervisor_activities)
    record_discipline = Via("db", annual.record_discipline)
    discipline = Via("db", annual.discipline)
    record_finding = Via("db", annual.record_finding)
    evaluate_year = Via("db", annual.evaluate)
    evaluations = Via("db", annual.evaluations)
    official_evaluation = Via("db", annual.official_evaluation)
    revocation_candidates = Via("db", annual.revocation_candidates)

    # tasks given to supervisors (服务体验, 明察暗访): store/tasks.py
    create_task = Via("_tasks", Tasks.create_task)
    task = Via("_tasks", Tasks.task)
    tasks = Via("_tasks", Tasks.tasks)
    task_assignments = Via("_tasks", Tasks.task_assignments)
    task_assignment = Via("_tasks", Tasks.task_assignment)
    respond_to_task = Via("_tasks", Tasks.respond_to_task)
    record_task_visit = Via("_tasks", Tasks.record_task_visit)

    # the documents library (资料库): store/library.py
    publish_document = Via("_library", Library.publish_document)
    withdraw_document = Via("_library", Library.withdraw_document)
    document = Via("_library", Library.document)
    document_content = Via("_library", Library.document_content)
    documents = Via("_library", Library.documents)
    documents_for_supervisor = Via("_library", Library.documents_for_supervisor)
    open_document = Via("_library", Library.open_document)
    document_downloads = Via("_library", Library.document_downloads)
    # field visits that found nothing, commendation, the officer team: store/recognition.py
    record_field_visit = Via("db", recognition.record_field_visit)
    field_visits = Via("db", recognition.field_visits)
    published_excellent = Via("db", recognition.published_excellent)
    commend = Via("db", recognition.commend)
    commendations = Via("db", recognition.commendations)
    propose_officer = Via("db", recognition.propose_officer)
    decide_officer_recommendation = Via("db", recognition.decide_officer_recommendation)
    officer_recommendations = Via("db", recognition.officer_recommendations)

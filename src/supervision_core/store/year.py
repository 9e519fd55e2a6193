"""The supervisors' year, by the names the ledger calls it (``annual.<function>``).

One place to import the year's store functions from; each concept lives in its own
module:

- ``store/calendar_year.py``: a plausible year, its bounds, the filters by year;
- ``store/plans_and_attendance.py``: work plans, activities and attendance;
- ``store/conduct.py``: discipline records and the findings on reports;
- ``store/year_facts.py``: who a center evaluates and each supervisor's year;
- ``store/evaluation.py``: the annual evaluation, previewed and published;
- ``store/revocation.py``: the supervisors to consider for revocation.
"""

from __future__ import annotations

from supervision_core.store.calendar_year import check_year, year_bounds
from supervision_core.store.conduct import (
    discipline,
    record_discipline,
    record_finding,
)
from supervision_core.store.evaluation import evaluate, evaluations, official_evaluation
from supervision_core.store.plans_and_attendance import (
    activities,
    activity,
    add_activity,
    add_work_plan,
    record_attendance,
    work_plans,
)
from supervision_core.store.revocation import revocation_candidates
from supervision_core.store.year_facts import evaluated_supervisors, supervisor_years

__all__ = [
    "activities",
    "activity",
    "add_activity",
    "add_work_plan",
    "check_year",
    "discipline",
    "evaluate",
    "evaluated_supervisors",
    "evaluations",
    "official_evaluation",
    "record_attendance",
    "record_discipline",
    "record_finding",
    "revocation_candidates",
    "supervisor_years",
    "work_plans",
    "year_bounds",
]

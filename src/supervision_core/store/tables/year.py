"""The year's work: plans, findings, evaluations, briefings, visits, commendations.

And the 体验官 recommendations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import supervision_core.store.tables.core  # noqa: F401  (the tables their foreign keys name)
from supervision_core.store.tables.base import when as _when


class WorkPlanRow(SQLModel, table=True):
    __tablename__ = "work_plan"

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40, index=True)
    year: int
    title: str
    responsible_staff: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    content: str
    created_at: dt.datetime = _when()


class FindingRow(SQLModel, table=True):
    """What a center found about an issue (adopted, changed a rule, false): kept apart from its life."""

    __tablename__ = "issue_finding"
    __table_args__ = (sa.UniqueConstraint("issue_id", "kind", name="uq_finding_issue_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issue.id", index=True)
    kind: str = Field(max_length=32)
    note: str | None = None
    actor: str
    at: dt.datetime = _when()


class EvaluationRow(SQLModel, table=True):
    """A published annual evaluation; never changed (triggers refuse it), only superseded."""

    __tablename__ = "evaluation"
    __table_args__ = (
        sa.UniqueConstraint("center_code", "year", "version", name="uq_evaluation_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    year: int
    version: int
    policy: str = Field(max_length=80)
    quota: int
    quota_ratio: float
    tie_rule: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    published_at: dt.datetime = _when()
    actor: str
    entries: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    # A later publication supersedes the official one, with the reason; the latest is official.
    supersedes: int | None = None
    reason: str | None = None


class BriefingOpinionRow(SQLModel, table=True):
    """An opinion a supervisor gave at a semi-annual briefing (听取意见、建议)."""

    __tablename__ = "briefing_opinion"
    __table_args__ = (sa.Index("ix_briefing_opinion_center_period", "center_code", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    period: str = Field(max_length=8)
    supervisor_id: int | None = Field(default=None, foreign_key="supervisor.id")
    text: str
    actor: str
    recorded_at: dt.datetime = _when()


class BriefingMeetingRow(SQLModel, table=True):
    """The briefing meeting (通报会) of a center's half year: one per period.

    The opinions heard there are the period's ``briefing_opinion`` rows.
    """

    __tablename__ = "briefing_meeting"
    __table_args__ = (
        sa.UniqueConstraint("center_code", "period", name="uq_briefing_meeting_center_period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    period: str = Field(max_length=8)
    held_on: dt.date
    place: str
    chair: str | None = None
    note: str | None = None
    actor: str
    recorded_at: dt.datetime = _when()


class BriefingAttendanceRow(SQLModel, table=True):
    """Whether an invited supervisor came to a briefing meeting."""

    __tablename__ = "briefing_attendance"

    meeting_id: int = Field(foreign_key="briefing_meeting.id", primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", primary_key=True, index=True)
    status: str = Field(max_length=16)


class FieldVisitRow(SQLModel, table=True):
    """A supervisor's service experience or inspection that found no problem."""

    __tablename__ = "field_visit"

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    method: str = Field(max_length=32)
    venue: str
    on: dt.date = Field(index=True)
    note: str | None = None
    task_id: int | None = None
    recorded_by: str = Field(max_length=200)
    recorded_at: dt.datetime = _when()


class CommendationRow(SQLModel, table=True):
    """An excellent supervisor commended by a decision (文号), once per center and year."""

    __tablename__ = "commendation"
    __table_args__ = (
        sa.UniqueConstraint(
            "center_code", "year", "supervisor_id", name="uq_commendation_supervisor"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    year: int
    supervisor_id: int = Field(foreign_key="supervisor.id")
    name: str
    decision_number: str = Field(max_length=80)
    decided_on: dt.date
    decided_by: str = Field(max_length=200)
    evaluation_id: int = Field(foreign_key="evaluation.id")
    recorded_at: dt.datetime = _when()


class OfficerRecommendationRow(SQLModel, table=True):
    """A township's proposal of its supervisor into the 营商环境体验官 team, and the decision."""

    __tablename__ = "officer_recommendation"

    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="supervisor.id", index=True)
    center_code: str = Field(foreign_key="center.code", max_length=40)
    reason: str
    proposed_by: str = Field(max_length=200)
    proposed_at: dt.datetime = _when()
    status: str = Field(max_length=16, default="proposed")
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: dt.datetime | None = _when(nullable=True)
    decision_note: str | None = None

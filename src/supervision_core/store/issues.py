"""An issue's life, step by step, and the queries over issues.

Each step is one unit of work: one transaction that appends the event and updates
the issue together; plugins are told after the commit.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import col, select

from supervision_core.errors import InvalidInput, InvalidTransition
from supervision_core.model.centers import CenterLevel
from supervision_core.model.clock import SHANGHAI, local_date
from supervision_core.model.issues import (
    EventKind,
    Issue,
    IssueEvent,
    IssueState,
    NotAcceptedReason,
    RectificationTrack,
    Satisfaction,
    UnitFile,
    UnitView,
)
from supervision_core.model.recognition import JointAnalysis
from supervision_core.model.screening import ScreeningProposal
from supervision_core.model.summaries import IssueSummary
from supervision_core.rules.deadlines import check_plan_days, due_after, rectification_due
from supervision_core.rules.disclosure import unit_files
from supervision_core.rules.lifecycle import replay
from supervision_core.store.disclosure import attachment_in, files_in, unit_views_in
from supervision_core.store.rows import (
    ISSUE,
    OPEN,
    SUMMARY_COLUMNS,
    IssueRef,
    event_of,
    issue_of,
    seed_of,
)
from supervision_core.store.tables import EventRow, IssueRow, ProposalRow

if TYPE_CHECKING:
    from supervision_core.store.centers import Centers
    from supervision_core.store.session import Database


class Issues:
    """Every step of an issue (screening to closing, merging) and the issue queries."""

    def __init__(self, db: Database, centers: Centers) -> None:
        self.db = db
        self.centers = centers

    def _step(
        self,
        ref: IssueRef,
        kind: EventKind,
        actor: str,
        *,
        note: str | None = None,
        data: Callable[[Issue, dt.datetime], dict[str, Any]] | None = None,
    ) -> Issue:
        now = self.db.clock()
        with self.db.session() as s:
            row = self.db.issue_row(s, ref, lock=True)
            payload = data(issue_of(row), now) if data else {}
            issue, event = self.db.append(s, row, kind, actor, note, payload, now)
            s.commit()
        self.db.host.issue_changed(issue=issue, event=event)
        return issue

    def _due(self, days: int) -> Callable[[Issue, dt.datetime], dict[str, Any]]:
        def data(issue: Issue, at: dt.datetime) -> dict[str, Any]:
            due = due_after(at, days, self.db.calendar, self.db.limits)
            return {"due_on": due.due_on.isoformat(), "due_confirmed": due.confirmed}

        return data

    def accept(self, ref: IssueRef, *, actor: str, note: str | None = None) -> Issue:
        """Screening: accept the report into the ledger; dispatch is due next."""
        return self._step(
            ref, EventKind.ACCEPTED, actor, note=note, data=self._due(self.db.limits.dispatch)
        )

    def not_accept(
        self,
        ref: IssueRef,
        *,
        reason: NotAcceptedReason | str,
        note: str,
        actor: str,
        analysis: JointAnalysis | None = None,
    ) -> Issue:
        """Screening: do not accept, for one of the six reasons, with a note for the supervisor.

        Reason six (``impractical``) needs the joint analysis of the management
        department, the service department and supervisors (``analysis``, with at least one
        supervisor); it is kept with the step, in the history and the supervisor's notice.
        """
        try:
            reason = NotAcceptedReason(reason)
        except ValueError as exc:
            choices = "、".join(f"{r.value}（{r.label}）" for r in NotAcceptedReason)
            msg = f"不予受理的理由只能是：{choices}"
            raise InvalidInput(msg) from exc
        if reason is NotAcceptedReason.IMPRACTICAL and analysis is None:
            msg = (
                "以“经分析研判不符合政务服务改革发展实际”为由不予受理，须先经政务服务管理部门、"
                "政务服务部门及社会监督员分析研判，并记录研判日期、参加人员（至少一名监督员）和结论"
            )
            raise InvalidInput(msg)
        payload: dict[str, Any] = {"reason": reason.value}
        if analysis is not None:
            if analysis.held_on > self.db.today():
                msg = f"分析研判日期 {analysis.held_on} 晚于今天"
                raise InvalidInput(msg)
            with self.db.session() as s:
                for p in analysis.participants:
                    if p.supervisor_id is not None:
                        self.db.supervisor_row(s, p.supervisor_id)
            payload["analysis"] = analysis.to_data()
        return self._step(ref, EventKind.NOT_ACCEPTED, actor, note=note, data=lambda i, at: payload)

    def object_dispatch(self, ref: IssueRef, *, reason: str, actor: str) -> Issue:
        """The unit objects to a dispatch, with its reason.

        The issue goes back to the center, to be dispatched again within the dispatch
        time limit; the center's staff are told.
        """
        return self._step(
            ref, EventKind.OBJECTED, actor, note=reason, data=self._due(self.db.limits.dispatch)
        )

    def dispatch(
        self,
        ref: IssueRef,
        *,
        unit: str,
        responsible_person: str,
        actor: str,
        note: str | None = None,
    ) -> Issue:
        """Dispatch (派单) to a unit of the issue's center, or of the banner center."""
        if not responsible_person.strip():
            msg = "派单必须指定责任人"
            raise InvalidInput(msg)

        def data(issue: Issue, at: dt.datetime) -> dict[str, Any]:
            allowed = {u.code for u in self.centers.units(issue.center)}
            banner = [c.code for c in self.centers.centers() if c.level is CenterLevel.BANNER]
            for code in banner:
                allowed |= {u.code for u in self.centers.units(code)}
            if unit not in allowed:
                msg = f"中心 {issue.center} 没有代码为 {unit!r} 的单位；可选：{'、'.join(sorted(allowed)) or '（无）'}"
                raise InvalidInput(msg)
            return {
                "unit": unit,
                "responsible_person": responsible_person.strip(),
                **self._due(self.db.limits.plan)(issue, at),
            }

        return self._step(ref, EventKind.DISPATCHED, actor, note=note, data=data)

    def plan(
        self,
        ref: IssueRef,
        *,
        track: RectificationTrack | str,
        actor: str,
        measures: str | None = None,
        days: int | None = None,
        by_center: bool = False,
    ) -> Issue:
        """Choose the rectification track; a scheduled plan names measures and may set days.

        ``by_center``: the center's staff set the term, up to ``max_plan`` working days;
        otherwise (a unit's plan) the term is at most the track's own limit
        (:func:`~supervision_core.rules.deadlines.check_plan_days`).
        """
        try:
            track = RectificationTrack(track)
        except ValueError as exc:
            msg = f"整改方式只能是 immediate（立行立改）、scheduled（限时整改）或 explained（作出说明）：{track!r}"
            raise InvalidInput(msg) from exc
        check_plan_days(track, days, self.db.limits, by_center=by_center)

        def data(issue: Issue, at: dt.datetime) -> dict[str, Any]:
            due = rectification_due(at, track, self.db.calendar, self.db.limits, days=days)
            return {
                "track": track.value,
                "measures": measures,
                "days": days,
                "due_on": due.due_on.isoformat(),
                "due_confirmed": due.confirmed,
            }

        return self._step(ref, EventKind.PLANNED, actor, note=measures, data=data)

    def progress(self, ref: IssueRef, *, note: str, actor: str) -> Issue:
        """Record a progress entry (整改进展)."""
        return self._step(ref, EventKind.PROGRESS, actor, note=note)

    def extend(
        self,
        ref: IssueRef,
        *,
        days: int,
        reason: str,
        actor: str,
        granted_by: str | None = None,
    ) -> Issue:
        """Extend a scheduled plan's deadline by ``days`` working days (limits apply).

        :param granted_by: the code of the center whose staff grant it. Once the deadline
            has passed only the banner center (旗级) may; the new deadline then counts from
            today, and the issue stays late (its lateness is measured against the
            deadline it missed).
        """
        if not 1 <= days <= self.db.limits.max_extension_days:
            msg = f"每次延期 1 到 {self.db.limits.max_extension_days} 个工作日：{days}"
            raise InvalidInput(msg)
        grantor = self.centers.center(granted_by) if granted_by is not None else None

        def data(issue: Issue, at: dt.datetime) -> dict[str, Any]:
            today = local_date(at)
            start = max(issue.due_on or today, today)
            due = self.db.calendar.add_working_days(start, days)
            payload: dict[str, Any] = {
                "days": days,
                "from": start.isoformat(),
                # The deadline it replaces, as the supervisor was told it (the notice).
                "previous_due_on": (
                    issue.rectification_due_on or issue.due_on or today
                ).isoformat(),
                "due_on": due.due_on.isoformat(),
                "due_confirmed": due.confirmed and issue.due_confirmed,
                "max_extensions": self.db.limits.max_extensions,
                "late_extension_by": CenterLevel.BANNER.value,
            }
            if grantor is not None:
                payload |= {"granted_by": grantor.code, "granted_by_level": grantor.level.value}
            return payload

        return self._step(ref, EventKind.EXTENDED, actor, note=reason, data=data)

    def _lateness(self, issue: Issue, at: dt.datetime) -> dict[str, Any]:
        """How many working days late a fix at ``at`` comes (at least one once past the day)."""
        deadline = issue.missed_due_on or issue.rectification_due_on
        done = local_date(at)
        if deadline is None or done <= deadline:
            return {}
        late = self.db.calendar.working_days_between(deadline, done)
        return {"late_working_days": max(late, 1)}

    def complete(
        self, ref: IssueRef, *, evidence: str, actor: str, note: str | None = None
    ) -> Issue:
        """Record completion with its evidence; the supervisor is asked to evaluate."""
        return self._step(
            ref,
            EventKind.COMPLETED,
            actor,
            note=note,
            data=lambda i, at: {"evidence": evidence, **self._lateness(i, at)},
        )

    def explain(self, ref: IssueRef, *, explanation: str, actor: str) -> Issue:
        """Record the written explanation of an issue on the explained track."""
        return self._step(ref, EventKind.EXPLAINED, actor, note=explanation, data=self._lateness)

    def evaluate(
        self,
        ref: IssueRef,
        *,
        satisfaction: Satisfaction | str,
        actor: str,
        note: str | None = None,
        on_behalf: str | None = None,
    ) -> Issue:
        """The supervisor's evaluation: satisfied closes the issue, not satisfied reopens it.

        Only the supervisor who reported the issue evaluates it: through their channel, as
        ``actor="supervisor:<id>"``; or staff record what the supervisor told them (代录),
        with ``on_behalf`` saying how the supervisor gave their word (``电话``, ``来访``,
        ``书面``): the event keeps the staff member as its actor and is marked as recorded
        for the supervisor. A unit (``unit:...``), another supervisor, or staff without
        ``on_behalf`` are refused.
        """
        try:
            satisfaction = Satisfaction(satisfaction)
        except ValueError as exc:
            msg = "评价只能是 satisfied（满意）、basically_satisfied（基本满意）或 not_satisfied（不满意）"
            raise InvalidInput(msg) from exc
        relayed = on_behalf.strip() if on_behalf else None
        if relayed:
            note = f"（工作人员代录，监督员{relayed}告知）{note or ''}"

        def data(issue: Issue, at: dt.datetime) -> dict[str, Any]:
            _check_evaluator(issue, actor, relayed)
            payload: dict[str, Any] = {"satisfaction": satisfaction.value}
            if relayed:
                payload |= {"recorded_for": issue.supervisor_id, "relayed_by": relayed}
            if satisfaction is Satisfaction.NOT_SATISFIED:
                payload |= self._due(self.db.limits.plan)(issue, at)
            return payload

        return self._step(ref, EventKind.EVALUATED, actor, note=note, data=data)

    def close_issue(self, ref: IssueRef, *, note: str, actor: str) -> Issue:
        """Close a completed or explained issue without the supervisor's evaluation."""
        return self._step(ref, EventKind.CLOSED, actor, note=note)

    def merge(self, ref: IssueRef, *, into: IssueRef, actor: str, note: str | None = None) -> Issue:
        """Merge a duplicate into an earlier issue of the same center; both supervisors are told."""
        now = self.db.clock()
        with self.db.session() as s:
            row = self.db.issue_row(s, ref, lock=True)
            target = self.db.issue_row(s, into, lock=True)
            if row.center_code != target.center_code:
                msg = f"问题 {row.number} 与 {target.number} 不属于同一中心，不能合并"
                raise InvalidInput(msg)
            if target.state in (IssueState.MERGED, IssueState.NOT_ACCEPTED, IssueState.CLOSED):
                msg = f"问题 {target.number} 当前状态为“{IssueState(target.state).label}”，不能作为合并目标"
                raise InvalidTransition(msg)
            assert target.id is not None and row.id is not None
            issue, event = self.db.append(
                s,
                row,
                EventKind.MERGED,
                actor,
                note,
                {"into": target.id, "into_number": target.number},
                now,
            )
            target_issue, target_event = self.db.append(
                s,
                target,
                EventKind.DUPLICATE_ATTACHED,
                actor,
                note,
                {"source": row.id, "source_number": row.number},
                now,
            )
            s.commit()
        self.db.host.issue_changed(issue=issue, event=event)
        self.db.host.issue_changed(issue=target_issue, event=target_event)
        return issue

    def issue(self, ref: IssueRef) -> Issue:
        """The issue ``ref`` (id or number), or :class:`NotFound`."""
        with self.db.session() as s:
            return issue_of(self.db.issue_row(s, ref))

    def history(self, ref: IssueRef) -> list[IssueEvent]:
        """Every event of the issue, in order."""
        with self.db.session() as s:
            row = self.db.issue_row(s, ref)
            rows = s.exec(
                select(EventRow).where(EventRow.issue_id == row.id).order_by(col(EventRow.id))
            ).all()
        return [event_of(r) for r in rows]

    def proposals(self, ref: IssueRef) -> list[tuple[str, ScreeningProposal]]:
        """The screening checks' proposals for the issue, for the operator to confirm."""
        with self.db.session() as s:
            row = self.db.issue_row(s, ref)
            rows = s.exec(
                select(ProposalRow)
                .where(ProposalRow.issue_id == row.id)
                .order_by(col(ProposalRow.id))
            ).all()
        return [(r.check_name, ScreeningProposal(r.reason, r.evidence)) for r in rows]

    def verify(self, ref: IssueRef) -> bool:
        """Whether the stored issue is exactly what its events add up to."""
        with self.db.session() as s:
            row = self.db.issue_row(s, ref)
            events = s.exec(
                select(EventRow).where(EventRow.issue_id == row.id).order_by(col(EventRow.id))
            ).all()
            return replay(seed_of(row), (event_of(e) for e in events)) == issue_of(row)

    def unit_view(self, ref: IssueRef) -> UnitView:
        """The issue as its responsible unit may see it: without the supervisor.

        Its texts are redacted with the reporter's identifiers (name, numbers, every
        contact); its files are listed by number, under the desk's names. While a
        reopened issue is being rectified again, the view carries the supervisor's
        reason for dissatisfaction (the note of the last evaluation), redacted too.
        """
        with self.db.session() as s:
            return unit_views_in(s, [issue_of(self.db.issue_row(s, ref))])[0]

    def unit_views(self, refs: list[int]) -> list[UnitView]:
        """:meth:`unit_view` of many issues (by id), in their order, in a few queries."""
        with self.db.session() as s:
            rows = s.exec(select(IssueRow).where(col(IssueRow.id).in_(refs))).all()
            by_id = {r.id: issue_of(r) for r in rows}
            return unit_views_in(s, [by_id[i] for i in refs if i in by_id])

    def unit_file_content(self, ref: IssueRef, number: int) -> tuple[UnitFile, str, bytes]:
        """The issue's file ``number`` as listed for its unit, with its stored type and content.

        The content is as received: :meth:`Ledger.unit_file` serves the unit a cleaned copy.
        """
        with self.db.session() as s:
            issue = issue_of(self.db.issue_row(s, ref))
            content_type, content = attachment_in(s, issue, number)
            listed = unit_files(t for _, t in files_in(s, [issue])[issue.id])
        return listed[number - 1], content_type, content

    def find(
        self,
        *,
        center: str | None = None,
        state: IssueState | str | None = None,
        supervisor: int | None = None,
        overdue: bool = False,
        due_within: int | None = None,
        after: int | None = None,
        limit: int | None = None,
        unit: str | None = None,
        received_from: dt.date | None = None,
        received_to: dt.date | None = None,
        text: str | None = None,
    ) -> list[IssueSummary]:
        """Issues by filters, in id order; ``after`` and ``limit`` page through them.

        :param overdue: only open issues whose deadline passed before today
        :param due_within: only open issues due from today to N working days ahead
        """
        values: dict[str, Any] = {
            "center": center or None,
            "state": IssueState(state).value if state else None,
            "supervisor": supervisor,
            "unit": unit or None,
            "after": after,
            "limit": limit,
        }
        if received_from is not None:
            values["received_from"] = dt.datetime.combine(received_from, dt.time(), SHANGHAI)
        if received_to is not None:
            next_day = received_to + dt.timedelta(days=1)
            values["received_to"] = dt.datetime.combine(next_day, dt.time(), SHANGHAI)
        today = self.db.today()
        if overdue or due_within is not None:
            values["today"] = today
            values["open"] = not state
        if due_within is not None:
            values["horizon"] = self.db.calendar.add_working_days(today, due_within).due_on
        values = {k: v for k, v in values.items() if v is not None and v is not False}
        query = _find_query(frozenset(values), overdue)
        if text:  # a search: built each time (its escaped pattern is a literal)
            query = query.where(ISSUE.c.text.contains(text, autoescape=True))
        # Core over plain columns, the statement built once for each set of filters: the
        # overdue view within 2x of raw SQL (bench/bench_ledger.py, bench_console.py).
        with self.db.engine.connect() as connection:
            rows = connection.execute(query, values).all()
        return [IssueSummary(*row) for row in rows]

    def overdue(self, *, center: str | None = None) -> list[IssueSummary]:
        """Open issues past their deadline: candidates for escalation (督办)."""
        return self.find(center=center, overdue=True)

    def due_soon(
        self, *, center: str | None = None, within: int | None = None
    ) -> list[IssueSummary]:
        """Open issues due within the reminder window (催办), by default ``reminder_before`` days."""
        return self.find(
            center=center, due_within=self.db.limits.reminder_before if within is None else within
        )

    def count_by_center_and_state(self) -> dict[tuple[str, str], int]:
        """How many issues each center has in each state."""
        c = ISSUE.c
        query = sa.select(c.center_code, c.state, sa.func.count()).group_by(c.center_code, c.state)
        # Core aggregate (bench/bench_ledger.py, counts by center and state).
        with self.db.engine.connect() as connection:
            return {(center, state): n for center, state, n in connection.execute(query).all()}


def _check_evaluator(issue: Issue, actor: str, relayed: str | None) -> None:
    """Refuse an evaluation by anyone but the reporting supervisor, or staff on their word."""
    kind, _, rest = actor.partition(":")
    if kind == "unit":
        msg = "承办单位不能评价整改结果：评价只能由反映问题的监督员作出"
        raise InvalidInput(msg)
    if kind == "supervisor":
        if relayed:
            msg = "监督员本人评价时不需要代录说明"
            raise InvalidInput(msg)
        if rest.strip() != str(issue.supervisor_id):
            msg = f"只有反映问题 {issue.number} 的监督员本人可以评价"
            raise InvalidInput(msg)
        return
    if not relayed:
        msg = (
            f"评价只能由反映问题 {issue.number} 的监督员作出；工作人员代为录入时，"
            "请说明监督员以何种方式告知评价（如：电话、来访、书面）"
        )
        raise InvalidInput(msg)


@functools.lru_cache(maxsize=128)
def _find_query(given: frozenset[str], overdue: bool) -> sa.Select[Any]:
    """The statement of :meth:`Issues.find` for the filters ``given``, values as parameters."""
    c = ISSUE.c
    query = sa.select(*SUMMARY_COLUMNS)
    equal = {"center": c.center_code, "state": c.state, "supervisor": c.supervisor_id}
    for name, column in (*equal.items(), ("unit", c.unit_code)):
        if name in given:
            query = query.where(column == sa.bindparam(name))
    if "received_from" in given:
        query = query.where(c.received_at >= sa.bindparam("received_from"))
    if "received_to" in given:
        query = query.where(c.received_at < sa.bindparam("received_to"))
    if "open" in given:  # written into the statement: no list expanded at each execution
        query = query.where(sa.text(f"issue.state IN ({', '.join(repr(s) for s in OPEN)})"))
    if overdue:
        query = query.where(c.due_on < sa.bindparam("today"))
    if "horizon" in given:
        query = query.where(c.due_on >= sa.bindparam("today"), c.due_on <= sa.bindparam("horizon"))
    if "after" in given:
        query = query.where(c.id > sa.bindparam("after"))
    query = query.order_by(c.id)
    if "limit" in given:
        query = query.limit(sa.bindparam("limit", type_=sa.Integer()))
    return query

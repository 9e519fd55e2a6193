"""The ledger (反馈问题台账): intake, every step of an issue's life, and its queries.

Each public method is one unit of work: one transaction that appends the event and
updates the issue together, so a crash at any moment leaves either both or neither.
Plugins are told after the commit.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from supervision_core.config import Settings, check_plugins
from supervision_core.errors import ConfigError, InvalidInput, InvalidTransition, NotFound
from supervision_core.model.batches import ImportBatch
from supervision_core.model.centers import Center, CenterLevel, Unit
from supervision_core.model.clock import SHANGHAI, local_date, now_utc
from supervision_core.model.issues import (
    OPEN_STATES,
    EventKind,
    Issue,
    IssueEvent,
    IssueState,
    NotAcceptedReason,
    RectificationTrack,
    Satisfaction,
    UnitView,
)
from supervision_core.model.notifications import Notice
from supervision_core.model.outbox import DeliveryReport, OutboxEntry, OutboxStatus, retry_delay
from supervision_core.model.profiles import ColumnProfile
from supervision_core.model.reports import (
    Attachment,
    IntakeResult,
    QuarantinedReport,
    QuarantineReason,
    Report,
    ReportHints,
    Sender,
)
from supervision_core.model.summaries import AttachmentInfo, IssueSummary, ReportSummary
from supervision_core.model.supervisors import (
    ContactKind,
    Identity,
    NewSupervisor,
    Origin,
    Revocation,
    Supervisor,
    SupervisorStatus,
)
from supervision_core.model.year import (
    DEFAULT_TIE_RULE,
    Activity,
    ActivityKind,
    AttendanceStatus,
    DisciplineKind,
    DisciplineRecord,
    Evaluation,
    FindingKind,
    WorkPlan,
)
from supervision_core.plugins import PluginHost, PluginManager, get_plugin_manager
from supervision_core.rules.deadlines import due_after, rectification_due
from supervision_core.rules.lifecycle import apply_event, replay
from supervision_core.rules.reminders import routine_steps, routine_text
from supervision_core.rules.scoring import SupervisorYear
from supervision_core.rules.screening import ScreeningProposal
from supervision_core.rules.workdays import CONFIRMED_YEARS, WorkCalendar, china_calendar
from supervision_core.store import year as annual
from supervision_core.store.briefing import Briefing, BriefingOpinion, add_opinion, build_briefing
from supervision_core.store.engine import DEFAULT_DATABASE_URL, check_schema, create_engine, migrate
from supervision_core.store.intake import (
    Filing,
    Lookups,
    enqueue_notices,
    file_issues,
    quarantine_many,
    quarantine_staged,
    receive_many,
)
from supervision_core.store.messengers import MessengerStore
from supervision_core.store.tables import (
    AttachmentRow,
    CenterRow,
    EventRow,
    IdentityRow,
    ImportBatchRow,
    IssuePurgeRow,
    IssueRow,
    LeaseRow,
    OutboxRow,
    ProposalRow,
    ReportRow,
    SupervisorRow,
    UnitRow,
    table_of,
)
from supervision_core.store.users import UserStore

__all__ = ["IssueRef", "Ledger", "open_ledger"]

IssueRef = int | str  # an issue's id, or its number such as "wushenzhao-2026-00012"

_OPEN = [s.value for s in OPEN_STATES]
_DUPLICATE_CANDIDATES = 300


def open_ledger(
    url: str | None = None,
    *,
    settings: Settings | None = None,
    plugin_manager: PluginManager | None = None,
    create: bool = False,
    clock: Callable[[], dt.datetime] = now_utc,
) -> Ledger:
    """Open the ledger at database ``url`` (SQLite file or PostgreSQL).

    :param url: a SQLAlchemy URL; default ``settings.database_url`` or ``sqlite:///supdesk.db``
    :param settings: centers, time limits and plugins (``supdesk.toml``)
    :param plugin_manager: a manager from :func:`get_plugin_manager`; a new one by default
    :param create: create or upgrade the schema with Alembic migrations; otherwise
        a schema that is missing or out of date raises :class:`SchemaError`
    :param clock: the current time, aware (tests pass a fixed one)
    """
    settings = settings or Settings()
    engine = create_engine(url or settings.database_url or DEFAULT_DATABASE_URL)
    if create:
        migrate(engine)
    else:
        check_schema(engine)
    pm = plugin_manager or get_plugin_manager(blocked=settings.blocked_plugins)
    ledger = Ledger(engine, settings=settings, host=PluginHost(pm), clock=clock)
    ledger.sync_centers()
    return ledger


RowT = TypeVar("RowT")


def _get(s: Session, model: type[RowT], key: object, missing: str) -> RowT:
    """The row of ``model`` with primary key ``key``, or :class:`NotFound` saying ``missing``."""
    row = s.get(model, key)
    if row is None:
        raise NotFound(missing)
    return row


class _Directory:
    """The look-ups a sender matcher may use, over the intake's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def find_by_identity(self, kind: str, value: str) -> int | None:
        row = self._session.exec(
            select(IdentityRow.supervisor_id).where(
                IdentityRow.kind == kind, IdentityRow.value == value
            )
        ).first()
        return row


def _hints(row: IssueRow | ReportRow) -> ReportHints:
    return ReportHints(
        method=row.method,
        stage=row.stage,
        topic=row.topic,
        problem_type=row.problem_type,
        venue=row.venue,
        unit=row.unit_hint,
    )


def _seed(row: IssueRow) -> Issue:
    """The issue as first filed, before any event: what ``replay`` starts from."""
    assert row.id is not None
    return Issue(
        id=row.id,
        number=row.number,
        center=row.center_code,
        report_id=row.report_id,
        supervisor_id=row.supervisor_id,
        received_at=row.received_at,
        subject=row.subject,
        text=row.text,
        hints=_hints(row),
        possible_duplicate_of=row.possible_duplicate_of,
    )


def _issue(row: IssueRow) -> Issue:
    return attrs.evolve(
        _seed(row),
        state=IssueState(row.state),
        not_accepted_reason=NotAcceptedReason(row.not_accepted_reason)
        if row.not_accepted_reason
        else None,
        screening_note=row.screening_note,
        unit=row.unit_code,
        responsible_person=row.responsible_person,
        track=RectificationTrack(row.track) if row.track else None,
        measures=row.measures,
        due_on=row.due_on,
        due_confirmed=row.due_confirmed,
        extensions=row.extensions,
        progress_count=row.progress_count,
        completed_at=row.completed_at,
        completed_on_time=row.completed_on_time,
        evidence=row.evidence,
        explanation=row.explanation,
        satisfaction=Satisfaction(row.satisfaction) if row.satisfaction else None,
        reopen_count=row.reopen_count,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        merged_into=row.merged_into,
    )


def _write(row: IssueRow, issue: Issue) -> None:
    row.state = issue.state.value
    row.not_accepted_reason = issue.not_accepted_reason.value if issue.not_accepted_reason else None
    row.screening_note = issue.screening_note
    row.unit_code = issue.unit
    row.responsible_person = issue.responsible_person
    row.track = issue.track.value if issue.track else None
    row.measures = issue.measures
    row.due_on = issue.due_on
    row.due_confirmed = issue.due_confirmed
    row.extensions = issue.extensions
    row.progress_count = issue.progress_count
    row.completed_at = issue.completed_at
    row.completed_on_time = issue.completed_on_time
    row.evidence = issue.evidence
    row.explanation = issue.explanation
    row.satisfaction = issue.satisfaction.value if issue.satisfaction else None
    row.reopen_count = issue.reopen_count
    row.closed_at = issue.closed_at
    row.closed_by = issue.closed_by
    row.merged_into = issue.merged_into


def _event(row: EventRow) -> IssueEvent:
    return IssueEvent(
        id=row.id, kind=row.kind, at=row.at, actor=row.actor, note=row.note, data=row.data
    )


def _sender(row: ReportRow) -> Sender:
    return Sender(kind=row.sender_kind, value=row.sender_value, display_name=row.sender_name)


def _quarantined(row: ReportRow) -> QuarantinedReport:
    assert row.id is not None and row.quarantine_reason is not None
    return QuarantinedReport(
        id=row.id,
        channel=row.channel,
        external_id=row.external_id,
        center=row.center_code,
        received_at=row.received_at,
        sender=_sender(row),
        subject=row.subject,
        text=row.text,
        reason=QuarantineReason(row.quarantine_reason),
        detail=row.quarantine_detail,
        resolved_issue=row.issue_id,
    )


def _supervisor(row: SupervisorRow, identities: Sequence[IdentityRow]) -> Supervisor:
    assert row.id is not None
    revocation = None
    if row.revoked_on is not None:
        revocation = Revocation(
            on=row.revoked_on,
            reason=row.revocation_reason or "",
            letter_returned=bool(row.letter_returned),
            card_returned=bool(row.card_returned),
        )
    return Supervisor(
        id=row.id,
        name=row.name,
        center=row.center_code,
        origin=Origin(row.origin),
        status=SupervisorStatus(row.status),
        letter_number=row.letter_number,
        card_number=row.card_number,
        term_start=row.term_start,
        term_end=row.term_end,
        identities=tuple(Identity(kind=i.kind, value=i.raw) for i in identities),
        revocation=revocation,
        status_note=row.status_note,
    )


# Plain table columns: SQLModel's annotated ones cost a comparison per column on every
# execution of a cached statement (measured in bench/bench_ledger.py).
_ISSUE: sa.Table = table_of(IssueRow)
_SUPERVISOR_BRIEF = sa.select(
    table_of(SupervisorRow).c.name,
    table_of(SupervisorRow).c.center_code,
    table_of(SupervisorRow).c.status,
).where(table_of(SupervisorRow).c.id == sa.bindparam("sid"))
_SUMMARY_COLUMNS = (
    _ISSUE.c.id,
    _ISSUE.c.number,
    _ISSUE.c.center_code,
    _ISSUE.c.supervisor_id,
    _ISSUE.c.state,
    _ISSUE.c.received_at,
    _ISSUE.c.due_on,
    _ISSUE.c.due_confirmed,
    _ISSUE.c.unit_code,
    _ISSUE.c.problem_type,
)


class Ledger:
    """The supervision ledger of one deployment: all its centers, on one database."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        settings: Settings,
        host: PluginHost,
        clock: Callable[[], dt.datetime] = now_utc,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.host = host
        self.clock = clock
        self.limits = settings.time_limits
        self._centers: tuple[float, list[Center]] | None = None
        # Character bigrams of recent issues' texts (immutable once filed), by issue id:
        # each new report is compared with up to 20 of them.
        self.bigram_cache: dict[tuple[int, str], frozenset[str]] = {}
        # SQLite has one writer at a time and makes the others sleep and retry; threads
        # of one process (the daemon's channels, the web desk) queue here instead.
        self.write_lock: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )
        check_plugins(
            settings,
            channels=host.channels(),
            policies=host.scoring_policies(),
            notifiers=host.notifiers(),
        )
        years = range(min(CONFIRMED_YEARS), local_date(clock()).year + 3)
        self.calendar: WorkCalendar = china_calendar(settings.closures | host.closure_days(years))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @property
    def messengers(self) -> MessengerStore:
        """Link codes, conversations and cursors of the messenger channels."""
        return MessengerStore(self.engine, self.clock)

    @property
    def users(self) -> UserStore:
        """The staff accounts of the web desk."""
        return UserStore(self.engine, self.clock)

    def today(self) -> dt.date:
        """Today in Asia/Shanghai, by the ledger's clock."""
        return local_date(self.clock())

    # ------------------------------------------------------------------ centers

    def sync_centers(self) -> None:
        """Make the database's centers and units match the configuration.

        Centers and units are added or renamed, never deleted: issues refer to them.
        """
        self._centers = None
        if not self.settings.centers:
            return
        with self._session() as s:
            for cs in self.settings.centers:
                row = s.get(CenterRow, cs.center.code)
                if row is None:
                    s.add(
                        CenterRow(code=cs.center.code, name=cs.center.name, level=cs.center.level)
                    )
                else:
                    row.name, row.level = cs.center.name, cs.center.level.value
                s.flush()
                for unit in cs.units:
                    urow = s.exec(
                        select(UnitRow).where(
                            UnitRow.center_code == unit.center, UnitRow.code == unit.code
                        )
                    ).first()
                    if urow is None:
                        s.add(UnitRow(center_code=unit.center, code=unit.code, name=unit.name))
                    else:
                        urow.name, urow.active = unit.name, True
            s.commit()

    def centers(self) -> list[Center]:
        """Every center in the ledger, the banner center first."""
        # Centers change only when the configuration is synced (at start), so pages that
        # ask on every request are answered from memory; a center added to the database
        # by another process is seen after a moment.
        now = time.monotonic()
        if self._centers is None or now - self._centers[0] > 60:
            with self._session() as s:
                rows = s.exec(select(CenterRow)).all()
            centers = [Center(code=r.code, name=r.name, level=r.level) for r in rows]
            centers.sort(key=lambda c: (c.level is not CenterLevel.BANNER, c.code))
            self._centers = (now, centers)
        return list(self._centers[1])

    def supervisor_brief(self, supervisor_id: int) -> tuple[str, str, SupervisorStatus] | None:
        """A supervisor's name, center and status in one look-up, or ``None`` (forms use it)."""
        with self.engine.connect() as connection:
            row = connection.execute(_SUPERVISOR_BRIEF, {"sid": supervisor_id}).first()
        return None if row is None else (row[0], row[1], SupervisorStatus(row[2]))

    def center(self, code: str) -> Center:
        """The center ``code``, or :class:`NotFound`."""
        with self._session() as s:
            row = s.get(CenterRow, code)
        if row is None:
            known = "、".join(c.code for c in self.centers()) or "（无，请检查 supdesk.toml）"
            msg = f"没有代码为 {code!r} 的服务中心；已有：{known}"
            raise NotFound(msg)
        return Center(code=row.code, name=row.name, level=row.level)

    def units(self, center: str | None = None) -> list[Unit]:
        """The units of ``center``, or of every center."""
        with self._session() as s:
            query = select(UnitRow).where(UnitRow.active == True)  # noqa: E712
            if center:
                query = query.where(UnitRow.center_code == center)
            rows = s.exec(query.order_by(UnitRow.center_code, UnitRow.code)).all()
        return [Unit(center=r.center_code, code=r.code, name=r.name) for r in rows]

    def add_unit(self, unit: Unit) -> Unit:
        """Add a unit to its center (units may also come from ``supdesk.toml``)."""
        self.center(unit.center)
        with self._session() as s:
            s.add(UnitRow(center_code=unit.center, code=unit.code, name=unit.name))
            try:
                s.commit()
            except sa.exc.IntegrityError as exc:
                msg = f"中心 {unit.center} 已有代码为 {unit.code} 的单位"
                raise InvalidInput(msg) from exc
        return unit

    # ------------------------------------------------------------------ supervisors

    def add_supervisor(self, new: NewSupervisor) -> Supervisor:
        """Appoint a supervisor; each identity may belong to one supervisor only."""
        self.center(new.center)
        now = self.clock()
        with self._session() as s:
            row = SupervisorRow(
                name=new.name.strip(),
                center_code=new.center,
                origin=new.origin.value,
                status=SupervisorStatus.ACTIVE.value,
                letter_number=new.letter_number,
                card_number=new.card_number,
                term_start=new.term_start,
                term_end=new.term_end,
                created_at=now,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            for identity in new.identities:
                self._add_identity(s, row.id, identity)
            s.commit()
            return self.supervisor(row.id)

    def _add_identity(self, s: Session, supervisor_id: int, identity: Identity) -> None:
        existing = s.exec(
            select(IdentityRow.supervisor_id).where(
                IdentityRow.kind == identity.kind.value, IdentityRow.value == identity.normalized
            )
        ).first()
        if existing is not None:
            msg = f"联系方式 {identity.kind.value}:{identity.value} 已登记给监督员 #{existing}"
            raise InvalidInput(msg)
        s.add(
            IdentityRow(
                supervisor_id=supervisor_id,
                kind=identity.kind.value,
                value=identity.normalized,
                raw=identity.value.strip(),
            )
        )

    def add_identity(self, supervisor_id: int, identity: Identity) -> Supervisor:
        """Record another way to recognise a supervisor (a new phone, a messenger)."""
        with self._session() as s:
            self._supervisor_row(s, supervisor_id)
            self._add_identity(s, supervisor_id, identity)
            s.commit()
        return self.supervisor(supervisor_id)

    def _supervisor_row(self, s: Session, supervisor_id: int) -> SupervisorRow:
        return _get(s, SupervisorRow, supervisor_id, f"没有编号为 {supervisor_id} 的监督员")

    def supervisor(self, supervisor_id: int) -> Supervisor:
        """The supervisor ``supervisor_id``, or :class:`NotFound`."""
        with self._session() as s:
            row = self._supervisor_row(s, supervisor_id)
            identities = s.exec(
                select(IdentityRow).where(IdentityRow.supervisor_id == supervisor_id)
            ).all()
            return _supervisor(row, identities)

    def supervisors(
        self, *, center: str | None = None, status: SupervisorStatus | None = None
    ) -> list[Supervisor]:
        """Supervisors, by id, optionally of one center or status."""
        with self._session() as s:
            query = select(SupervisorRow)
            if center:
                query = query.where(SupervisorRow.center_code == center)
            if status:
                query = query.where(SupervisorRow.status == SupervisorStatus(status).value)
            rows = s.exec(query.order_by(col(SupervisorRow.id))).all()
            ids = [r.id for r in rows]
            identities: dict[int, list[IdentityRow]] = {}
            if ids:
                for ident in s.exec(
                    select(IdentityRow).where(col(IdentityRow.supervisor_id).in_(ids))
                ):
                    identities.setdefault(ident.supervisor_id, []).append(ident)
            return [_supervisor(r, identities.get(r.id or 0, [])) for r in rows]

    def update_supervisor(
        self,
        supervisor_id: int,
        *,
        name: str | None = None,
        letter_number: str | None = None,
        card_number: str | None = None,
        term_start: dt.date | None = None,
        term_end: dt.date | None = None,
    ) -> Supervisor:
        """Correct a supervisor's name, papers or term; what is not given stays."""
        with self._session() as s:
            row = self._supervisor_row(s, supervisor_id)
            if name is not None:
                if not name.strip():
                    raise InvalidInput("姓名不能为空")
                row.name = name.strip()
            if letter_number is not None:
                row.letter_number = letter_number.strip() or None
            if card_number is not None:
                row.card_number = card_number.strip() or None
            if term_start is not None:
                row.term_start = term_start
            if term_end is not None:
                row.term_end = term_end
            if row.term_start and row.term_end and row.term_end < row.term_start:
                msg = f"聘期结束日期 {row.term_end} 早于开始日期 {row.term_start}"
                raise InvalidInput(msg)
            s.add(row)
            s.commit()
        return self.supervisor(supervisor_id)

    def suspend(self, supervisor_id: int, *, reason: str) -> Supervisor:
        """Suspend a supervisor: their reports go to quarantine until reinstated."""
        return self._set_status(supervisor_id, SupervisorStatus.SUSPENDED, reason)

    def reinstate(self, supervisor_id: int, *, reason: str) -> Supervisor:
        """Lift a suspension."""
        return self._set_status(supervisor_id, SupervisorStatus.ACTIVE, reason)

    def _set_status(self, supervisor_id: int, status: SupervisorStatus, reason: str) -> Supervisor:
        if not reason.strip():
            msg = "变更监督员状态必须说明理由"
            raise InvalidInput(msg)
        with self._session() as s:
            row = self._supervisor_row(s, supervisor_id)
            if row.status == SupervisorStatus.REVOKED:
                msg = f"监督员 #{supervisor_id} 的资格已取消，不能再变更状态"
                raise InvalidTransition(msg)
            if row.status == status:
                msg = f"监督员 #{supervisor_id} 的状态已经是“{status.label}”"
                raise InvalidTransition(msg)
            row.status, row.status_note = status.value, reason.strip()
            s.commit()
        return self.supervisor(supervisor_id)

    def revoke(self, supervisor_id: int, revocation: Revocation) -> Supervisor:
        """Revoke a supervisor's status (取消资格), recording whether the papers came back."""
        if not revocation.reason.strip():
            msg = "取消监督员资格必须说明理由"
            raise InvalidInput(msg)
        with self._session() as s:
            row = self._supervisor_row(s, supervisor_id)
            if row.status == SupervisorStatus.REVOKED:
                msg = f"监督员 #{supervisor_id} 的资格已于 {row.revoked_on} 取消"
                raise InvalidTransition(msg)
            row.status = SupervisorStatus.REVOKED.value
            row.status_note = revocation.reason
            row.revoked_on = revocation.on
            row.revocation_reason = revocation.reason
            row.letter_returned = revocation.letter_returned
            row.card_returned = revocation.card_returned
            s.commit()
        return self.supervisor(supervisor_id)

    # ------------------------------------------------------------------ intake

    def receive(self, report: Report) -> IntakeResult:
        """Take in one report: file it as an issue, or keep it in quarantine.

        Idempotent on ``(report.channel, report.external_id)``: a second delivery
        returns the first result with ``duplicate_delivery`` set and stores nothing.
        When this returns, the report is committed; a channel may acknowledge it.
        """
        return next(iter(self.receive_many([report])))

    def receive_many(
        self,
        reports: Iterable[Report],
        *,
        batch: int | None = None,
        chunk_size: int = 500,
        dry_run: bool = False,
    ) -> Iterator[IntakeResult]:
        """Take in many reports, yielding one result per report, in order.

        Reports are committed a chunk at a time; a result is yielded only after its
        chunk has committed, so a caller may acknowledge each as it comes. The same
        (channel, external id) twice, in one call or across calls, is one report.

        :param batch: the import batch (:meth:`start_batch`) the reports belong to
        :param dry_run: check and store everything, then roll each chunk back
        """
        return receive_many(self, reports, batch_id=batch, chunk_size=chunk_size, dry_run=dry_run)

    def quarantine_many(
        self,
        channel: str,
        sender_kind: ContactKind,
        reason: QuarantineReason,
        rows: Sequence[tuple[Any, ...]],
        *,
        batch: int | None = None,
        dry_run: bool = False,
    ) -> int:
        """Keep many reports in quarantine at once, given as plain rows.

        The bulk path of a large import, for reports known already to go to quarantine
        (callers who are no supervisor): each row (:class:`BulkQuarantine`) is stored as
        :meth:`receive_many` would store it, in one transaction. A row already stored
        under its ``(channel, external_id)`` is left alone. Returns how many were stored.
        """
        return quarantine_many(
            self, channel, sender_kind.value, reason, rows, batch_id=batch, dry_run=dry_run
        )

    def quarantine_staged(
        self,
        channel: str,
        sender_kind: ContactKind,
        reason: QuarantineReason,
        path: str | Path,
        *,
        batch: int | None = None,
        dry_run: bool = False,
    ) -> int:
        """:meth:`quarantine_many` for rows staged in a file by :func:`~supervision_core.stage_quarantine`.

        On SQLite the rows are copied by the database itself (``ATTACH`` and
        ``INSERT ... SELECT``), which is how a large import's reading process hands
        its rows over. Returns how many were stored.
        """
        return quarantine_staged(
            self, channel, sender_kind.value, reason, str(path), batch_id=batch, dry_run=dry_run
        )

    def identity_table(self, kind: ContactKind) -> dict[str, int]:
        """Every stored identity of one kind, normalized, with its supervisor's id."""
        with self._session() as s:
            found = s.exec(
                select(IdentityRow.value, IdentityRow.supervisor_id).where(
                    IdentityRow.kind == kind.value
                )
            )
            return dict(found.all())

    def import_profiles(self) -> dict[str, ColumnProfile]:
        """Column profiles from plugins, then from ``supdesk.toml``, by name."""
        profiles = {name: self.host.import_profiles()[name] for name in self.host.import_profiles()}
        for profile in self.settings.profiles:
            if profile.name in profiles:
                msg = (
                    f"配置文件 {self.settings.source} 中的列配置 {profile.name!r} 与插件提供的重名"
                )
                raise ConfigError(msg)
            profiles[profile.name] = profile
        return profiles

    def start_batch(
        self,
        *,
        channel: str,
        source_name: str,
        checksum: str,
        actor: str,
        profile: str | None = None,
        center: str | None = None,
    ) -> ImportBatch:
        """Record the start of an import (a file, a mailbox) before its reports come in."""
        with self._session() as s:
            row = ImportBatchRow(
                channel=channel,
                source_name=source_name,
                checksum=checksum,
                profile=profile,
                center_code=center,
                actor=actor,
                started_at=self.clock(),
            )
            s.add(row)
            s.commit()
            return _batch(row)

    def finish_batch(self, batch_id: int, counts: dict[str, int]) -> ImportBatch:
        """Record an import's end and its counts."""
        with self._session() as s:
            row = _get(s, ImportBatchRow, batch_id, f"没有编号为 {batch_id} 的导入批次")
            row.finished_at, row.counts = self.clock(), dict(counts)
            s.commit()
            return _batch(row)

    def batches(
        self, *, channel: str | None = None, checksum: str | None = None
    ) -> list[ImportBatch]:
        """Import batches, newest first."""
        query = select(ImportBatchRow)
        if channel:
            query = query.where(ImportBatchRow.channel == channel)
        if checksum:
            query = query.where(ImportBatchRow.checksum == checksum)
        with self._session() as s:
            return [_batch(r) for r in s.exec(query.order_by(col(ImportBatchRow.id).desc()))]

    def rollback_batch(self, batch_id: int, *, actor: str) -> int:
        """Take a whole import back out of the ledger, while none of it is past screening.

        Its reports, issues, events, proposals and undelivered notices are removed in
        one transaction; the batch itself stays on record, marked rolled back by
        ``actor``. Issue numbers handed out are not reused. Returns how many reports
        were removed.
        """
        with self._session() as s:
            batch = _get(s, ImportBatchRow, batch_id, f"没有编号为 {batch_id} 的导入批次")
            if batch.rolled_back_at is not None:
                msg = f"导入批次 {batch_id} 已于 {batch.rolled_back_at:%Y-%m-%d %H:%M} 撤销"
                raise InvalidTransition(msg)
            # By the batch, not by lists of ids: a batch of a hotline's export holds
            # hundreds of thousands of reports (more than a statement's parameters).
            in_batch = select(ReportRow.id).where(ReportRow.batch_id == batch_id)
            issues = list(s.exec(select(IssueRow).where(col(IssueRow.report_id).in_(in_batch))))
            moved = [i.number for i in issues if i.state != IssueState.RECEIVED]
            if moved:
                shown = "、".join(moved[:5]) + ("等" if len(moved) > 5 else "")
                msg = f"导入批次 {batch_id} 中已有 {len(moved)} 件问题进入审查之后的环节（{shown}），不能整体撤销"
                raise InvalidTransition(msg)
            issue_ids = [i.id for i in issues]
            t = table_of(IssueRow)
            for chunk in _slices(issue_ids, 500):
                s.execute(sa.insert(table_of(IssuePurgeRow)), [{"issue_id": i} for i in chunk])
                s.execute(
                    sa.update(t)
                    .where(t.c.possible_duplicate_of.in_(chunk))
                    .values(possible_duplicate_of=None)
                )
                s.execute(sa.delete(table_of(ProposalRow)).where(sa.column("issue_id").in_(chunk)))
                s.execute(sa.delete(table_of(EventRow)).where(sa.column("issue_id").in_(chunk)))
                for issue_id in chunk:
                    s.execute(
                        sa.delete(table_of(OutboxRow)).where(
                            sa.column("key").like(f"{issue_id}:%"),
                            sa.column("delivered_at").is_(None),
                        )
                    )
                s.execute(
                    sa.update(table_of(ReportRow))
                    .where(sa.column("issue_id").in_(chunk))
                    .values(issue_id=None)
                )
                s.execute(sa.delete(t).where(t.c.id.in_(chunk)))
                s.execute(
                    sa.delete(table_of(IssuePurgeRow)).where(sa.column("issue_id").in_(chunk))
                )
            s.execute(
                sa.delete(table_of(AttachmentRow)).where(sa.column("report_id").in_(in_batch))
            )
            deleted = sa.delete(table_of(ReportRow)).where(sa.column("batch_id") == batch_id)
            removed = s.connection().execute(deleted).rowcount
            batch.rolled_back_at, batch.rolled_back_by = self.clock(), actor
            s.commit()
        return int(removed)

    def _append(
        self,
        s: Session,
        row: IssueRow,
        kind: EventKind,
        actor: str,
        note: str | None,
        data: dict[str, Any],
        at: dt.datetime,
    ) -> tuple[Issue, IssueEvent]:
        if not actor.strip():
            msg = "必须说明由谁操作（actor）"
            raise InvalidInput(msg)
        assert row.id is not None
        event = IssueEvent(kind=kind, at=at, actor=actor, note=note, data=data)
        issue = apply_event(_issue(row), event)
        event_row = EventRow(
            issue_id=row.id, kind=kind.value, at=at, actor=actor, note=note, data=dict(data)
        )
        s.add(event_row)
        _write(row, issue)
        s.add(row)
        s.flush()
        event = attrs.evolve(event, id=event_row.id)
        identities = s.exec(
            select(IdentityRow).where(IdentityRow.supervisor_id == issue.supervisor_id)
        ).all()
        addresses = {
            issue.supervisor_id: tuple(Identity(kind=i.kind, value=i.raw) for i in identities)
        }
        enqueue_notices(self, s, [(issue, event)], addresses, at)
        return issue, event

    # ------------------------------------------------------------------ quarantine

    def quarantine(
        self,
        *,
        center: str | None = None,
        centers: Collection[str] | None = None,
        include_resolved: bool = False,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[QuarantinedReport]:
        """Reports kept in quarantine, oldest first.

        A hotline's export can put most of a million calls here: page with ``limit`` and
        ``after`` (the last id of the page before).
        """
        with self._session() as s:
            query = self._quarantine_query(select(ReportRow), center, centers, include_resolved)
            if after is not None:
                query = query.where(col(ReportRow.id) > after)
            query = query.order_by(col(ReportRow.id))
            if limit is not None:
                query = query.limit(limit)
            rows = s.exec(query).all()
        return [_quarantined(r) for r in rows]

    def quarantine_count(
        self,
        *,
        center: str | None = None,
        centers: Collection[str] | None = None,
        include_resolved: bool = False,
        up_to: int | None = None,
    ) -> int:
        """How many reports :meth:`quarantine` would list, counting to ``up_to`` at most.

        Counting a million held calls takes seconds; a page needs only "more than".
        """
        with self._session() as s:
            held = self._quarantine_query(select(ReportRow.id), center, centers, include_resolved)
            if up_to is not None:
                held = held.limit(up_to)
            query = select(sa.func.count()).select_from(held.subquery())
            return int(s.exec(query).one())

    @staticmethod
    def _quarantine_query(
        query: Any, center: str | None, centers: Collection[str] | None, include_resolved: bool
    ) -> Any:
        query = query.where(col(ReportRow.quarantine_reason).is_not(None))
        if not include_resolved:
            query = query.where(ReportRow.status == "quarantined")
        if center:
            query = query.where(ReportRow.center_code == center)
        if centers is not None:
            query = query.where(col(ReportRow.center_code).in_(sorted(centers)))
        return query

    def _quarantined_row(self, s: Session, quarantine_id: int) -> ReportRow:
        row = s.get(ReportRow, quarantine_id)
        if row is None or row.quarantine_reason is None:
            msg = f"隔离区中没有编号为 {quarantine_id} 的反馈"
            raise NotFound(msg)
        if row.status != "quarantined":
            msg = f"隔离反馈 {quarantine_id} 已处理（{row.status}）"
            raise InvalidTransition(msg)
        return row

    def assign_quarantined(
        self, quarantine_id: int, *, supervisor_id: int, actor: str
    ) -> IntakeResult:
        """File a quarantined report as an issue of ``supervisor_id``."""
        now = self.clock()
        with self._session() as s:
            row = self._quarantined_row(s, quarantine_id)
            supervisor = self._supervisor_row(s, supervisor_id)
            if supervisor.status != SupervisorStatus.ACTIVE:
                msg = f"监督员 #{supervisor_id} 当前状态为“{SupervisorStatus(supervisor.status).label}”，不能归入"
                raise InvalidTransition(msg)
            if s.get(CenterRow, row.center_code) is None:
                msg = f"该反馈的中心 {row.center_code!r} 未配置，请先在 supdesk.toml 中配置"
                raise InvalidTransition(msg)
            report = self._report_of(s, row)
            row.supervisor_id, row.status, row.resolved_by = supervisor_id, "released", actor
            s.add(row)
            s.flush()
            filing = Filing.of(self, quarantine_id, report, supervisor_id)
            ((issue, event),) = file_issues(self, s, [filing], Lookups.load(s, eager=False), now)
            s.commit()
        self.host.issue_changed(issue=issue, event=event)
        return IntakeResult(
            report_id=quarantine_id,
            issue_id=issue.id,
            issue_number=issue.number,
            possible_duplicate_of=issue.possible_duplicate_of,
        )

    def dismiss_quarantined(self, quarantine_id: int, *, note: str, actor: str) -> None:
        """Decide a quarantined report is not a report (spam, a test); it is kept, marked."""
        if not note.strip():
            msg = "驳回隔离反馈必须说明理由"
            raise InvalidInput(msg)
        with self._session() as s:
            row = self._quarantined_row(s, quarantine_id)
            row.status, row.resolved_by, row.resolved_note = "dismissed", actor, note
            s.commit()

    def _report_of(self, s: Session, row: ReportRow) -> Report:
        attachments = s.exec(select(AttachmentRow).where(AttachmentRow.report_id == row.id)).all()
        return Report(
            channel=row.channel,
            external_id=row.external_id,
            center=row.center_code,
            received_at=row.received_at,
            sender=_sender(row),
            subject=row.subject,
            text=row.text,
            attachments=tuple(
                Attachment(a.filename, a.content_type, a.content) for a in attachments
            ),
            hints=_hints(row),
        )

    def report(self, report_id: int) -> Report:
        """A stored report exactly as it was received, attachments included."""
        with self._session() as s:
            return self._report_of(
                s, _get(s, ReportRow, report_id, f"没有编号为 {report_id} 的反馈")
            )

    def _report_summaries(
        self, where: list[sa.ColumnElement[bool]], *, limit: int, with_files: bool
    ) -> list[ReportSummary]:
        report, issue, sup = table_of(ReportRow), _ISSUE, table_of(SupervisorRow)
        query = (
            sa.select(
                report.c.id,
                report.c.channel,
                report.c.center_code,
                report.c.received_at,
                report.c.subject,
                report.c.sender_kind,
                report.c.sender_value,
                report.c.sender_name,
                report.c.supervisor_id,
                sup.c.name,
                report.c.status,
                report.c.quarantine_reason,
                issue.c.id,
                issue.c.number,
                issue.c.state,
            )
            .select_from(report)
            .outerjoin(issue, issue.c.id == report.c.issue_id)
            .outerjoin(sup, sup.c.id == report.c.supervisor_id)
            .where(*where)
            .order_by(report.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
            files: dict[int, list[AttachmentInfo]] = {}
            if with_files and rows:
                att = table_of(AttachmentRow)
                listed = connection.execute(
                    sa.select(
                        att.c.id,
                        att.c.report_id,
                        att.c.filename,
                        att.c.content_type,
                        att.c.size,
                        att.c.sha256,
                    )
                    .where(att.c.report_id.in_([r[0] for r in rows]))
                    .order_by(att.c.id)
                )
                for a in listed:
                    files.setdefault(a[1], []).append(AttachmentInfo(*a))
        return [
            ReportSummary(*row, attachments=tuple(files.get(row[0], ())))  # type: ignore[call-arg]
            for row in rows
        ]

    def recent_reports(
        self,
        *,
        centers: Iterable[str] | None = None,
        channel: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[ReportSummary]:
        """Received reports, newest first, with what became of each (the desk's list).

        :param centers: only these centers' reports (all when ``None``)
        :param before: only reports with a smaller id (the next page)
        """
        report = table_of(ReportRow)
        where: list[sa.ColumnElement[bool]] = []
        if centers is not None:
            where.append(report.c.center_code.in_(list(centers)))
        if channel is not None:
            where.append(report.c.channel == channel)
        if before is not None:
            where.append(report.c.id < before)
        return self._report_summaries(where, limit=limit, with_files=False)

    def report_summary(self, report_id: int) -> ReportSummary:
        """One received report's summary, its attachments described (not their content)."""
        found = self._report_summaries(
            [table_of(ReportRow).c.id == report_id], limit=1, with_files=True
        )
        if not found:
            raise NotFound(f"没有编号为 {report_id} 的反馈")
        return found[0]

    def find_report(self, channel: str, external_id: str) -> ReportSummary | None:
        """The report a channel delivered under ``external_id``, if it was received."""
        report = table_of(ReportRow)
        found = self._report_summaries(
            [report.c.channel == channel, report.c.external_id == external_id],
            limit=1,
            with_files=False,
        )
        return found[0] if found else None

    def attachment(self, attachment_id: int) -> tuple[AttachmentInfo, bytes]:
        """An attachment's description and content."""
        with self._session() as s:
            row = _get(s, AttachmentRow, attachment_id, f"没有编号为 {attachment_id} 的附件")
            assert row.id is not None
            info = AttachmentInfo(
                row.id, row.report_id, row.filename, row.content_type, row.size, row.sha256
            )
            return info, row.content

    # ------------------------------------------------------------------ an issue's life

    def _issue_row(self, s: Session, ref: IssueRef, *, lock: bool = False) -> IssueRow:
        query = select(IssueRow)
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            query = query.where(IssueRow.id == int(ref))
        else:
            query = query.where(IssueRow.number == ref)
        if lock:
            query = query.with_for_update()
        row = s.exec(query).first()
        if row is None:
            msg = f"没有编号为 {ref} 的问题"
            raise NotFound(msg)
        return row

    def _step(
        self,
        ref: IssueRef,
        kind: EventKind,
        actor: str,
        *,
        note: str | None = None,
        data: Callable[[Issue, dt.datetime], dict[str, Any]] | None = None,
    ) -> Issue:
        now = self.clock()
        with self._session() as s:
            row = self._issue_row(s, ref, lock=True)
            payload = data(_issue(row), now) if data else {}
            issue, event = self._append(s, row, kind, actor, note, payload, now)
            s.commit()
        self.host.issue_changed(issue=issue, event=event)
        return issue

    def _due(self, days: int) -> Callable[[Issue, dt.datetime], dict[str, Any]]:
        def data(issue: Issue, at: dt.datetime) -> dict[str, Any]:
            due = due_after(at, days, self.calendar, self.limits)
            return {"due_on": due.due_on.isoformat(), "due_confirmed": due.confirmed}

        return data

    def accept(self, ref: IssueRef, *, actor: str, note: str | None = None) -> Issue:
        """Screening: accept the report into the ledger; dispatch is due next."""
        return self._step(
            ref, EventKind.ACCEPTED, actor, note=note, data=self._due(self.limits.dispatch)
        )

    def not_accept(
        self, ref: IssueRef, *, reason: NotAcceptedReason | str, note: str, actor: str
    ) -> Issue:
        """Screening: do not accept, for one of the six reasons, with a note for the supervisor."""
        try:
            reason = NotAcceptedReason(reason)
        except ValueError as exc:
            choices = "、".join(f"{r.value}（{r.label}）" for r in NotAcceptedReason)
            msg = f"不予受理的理由只能是：{choices}"
            raise InvalidInput(msg) from exc
        return self._step(
            ref,
            EventKind.NOT_ACCEPTED,
            actor,
            note=note,
            data=lambda i, at: {"reason": reason.value},
        )

    def object_dispatch(self, ref: IssueRef, *, reason: str, actor: str) -> Issue:
        """The unit objects to a dispatch, with its reason.

        The issue goes back to the center, to be dispatched again within the dispatch
        time limit; the center's staff are told.
        """
        return self._step(
            ref, EventKind.OBJECTED, actor, note=reason, data=self._due(self.limits.dispatch)
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
            allowed = {u.code for u in self.units(issue.center)}
            banner = [c.code for c in self.centers() if c.level is CenterLevel.BANNER]
            for code in banner:
                allowed |= {u.code for u in self.units(code)}
            if unit not in allowed:
                msg = f"中心 {issue.center} 没有代码为 {unit!r} 的单位；可选：{'、'.join(sorted(allowed)) or '（无）'}"
                raise InvalidInput(msg)
            return {
                "unit": unit,
                "responsible_person": responsible_person.strip(),
                **self._due(self.limits.plan)(issue, at),
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
    ) -> Issue:
        """Choose the rectification track; a scheduled plan names measures and may set days."""
        try:
            track = RectificationTrack(track)
        except ValueError as exc:
            msg = f"整改方式只能是 immediate（立行立改）、scheduled（限时整改）或 explained（作出说明）：{track!r}"
            raise InvalidInput(msg) from exc

        def data(issue: Issue, at: dt.datetime) -> dict[str, Any]:
            due = rectification_due(at, track, self.calendar, self.limits, days=days)
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

    def extend(self, ref: IssueRef, *, days: int, reason: str, actor: str) -> Issue:
        """Extend a scheduled plan's deadline by ``days`` working days (limits apply)."""
        if not 1 <= days <= self.limits.max_extension_days:
            msg = f"每次延期 1 到 {self.limits.max_extension_days} 个工作日：{days}"
            raise InvalidInput(msg)

        def data(issue: Issue, at: dt.datetime) -> dict[str, Any]:
            start = issue.due_on or local_date(at)
            due = self.calendar.add_working_days(start, days)
            return {
                "days": days,
                "from": start.isoformat(),
                "due_on": due.due_on.isoformat(),
                "due_confirmed": due.confirmed and issue.due_confirmed,
                "max_extensions": self.limits.max_extensions,
            }

        return self._step(ref, EventKind.EXTENDED, actor, note=reason, data=data)

    def complete(
        self, ref: IssueRef, *, evidence: str, actor: str, note: str | None = None
    ) -> Issue:
        """Record completion with its evidence; the supervisor is asked to evaluate."""
        return self._step(
            ref, EventKind.COMPLETED, actor, note=note, data=lambda i, at: {"evidence": evidence}
        )

    def explain(self, ref: IssueRef, *, explanation: str, actor: str) -> Issue:
        """Record the written explanation of an issue on the explained track."""
        return self._step(ref, EventKind.EXPLAINED, actor, note=explanation)

    def evaluate(
        self,
        ref: IssueRef,
        *,
        satisfaction: Satisfaction | str,
        actor: str,
        note: str | None = None,
    ) -> Issue:
        """The supervisor's evaluation: satisfied closes the issue, not satisfied reopens it."""
        try:
            satisfaction = Satisfaction(satisfaction)
        except ValueError as exc:
            msg = "评价只能是 satisfied（满意）、basically_satisfied（基本满意）或 not_satisfied（不满意）"
            raise InvalidInput(msg) from exc

        def data(issue: Issue, at: dt.datetime) -> dict[str, Any]:
            payload: dict[str, Any] = {"satisfaction": satisfaction.value}
            if satisfaction is Satisfaction.NOT_SATISFIED:
                payload |= self._due(self.limits.plan)(issue, at)
            return payload

        return self._step(ref, EventKind.EVALUATED, actor, note=note, data=data)

    def close_issue(self, ref: IssueRef, *, note: str, actor: str) -> Issue:
        """Close a completed or explained issue without the supervisor's evaluation."""
        return self._step(ref, EventKind.CLOSED, actor, note=note)

    def merge(self, ref: IssueRef, *, into: IssueRef, actor: str, note: str | None = None) -> Issue:
        """Merge a duplicate into an earlier issue of the same center; both supervisors are told."""
        now = self.clock()
        with self._session() as s:
            row = self._issue_row(s, ref, lock=True)
            target = self._issue_row(s, into, lock=True)
            if row.center_code != target.center_code:
                msg = f"问题 {row.number} 与 {target.number} 不属于同一中心，不能合并"
                raise InvalidInput(msg)
            if target.state in (IssueState.MERGED, IssueState.NOT_ACCEPTED, IssueState.CLOSED):
                msg = f"问题 {target.number} 当前状态为“{IssueState(target.state).label}”，不能作为合并目标"
                raise InvalidTransition(msg)
            assert target.id is not None and row.id is not None
            issue, event = self._append(
                s,
                row,
                EventKind.MERGED,
                actor,
                note,
                {"into": target.id, "into_number": target.number},
                now,
            )
            target_issue, target_event = self._append(
                s,
                target,
                EventKind.DUPLICATE_ATTACHED,
                actor,
                note,
                {"source": row.id, "source_number": row.number},
                now,
            )
            s.commit()
        self.host.issue_changed(issue=issue, event=event)
        self.host.issue_changed(issue=target_issue, event=target_event)
        return issue

    # ------------------------------------------------------------------ notices

    def deliver_notices(self, *, limit: int = 100) -> DeliveryReport:
        """Deliver the notices that are due, each through its notifier.

        A notice is leased before it is sent, so a process that dies mid-send leaves
        it to be retried after the lease instead of lost; a notifier that raises is
        retried with exponential backoff, and after ``delivery_attempts`` failures the
        notice is dead-lettered for an operator (``supdesk outbox``).
        """
        now = self.clock()
        with self._session() as s:
            rows = s.exec(
                select(OutboxRow)
                .where(
                    col(OutboxRow.delivered_at).is_(None),
                    col(OutboxRow.dead_at).is_(None),
                    col(OutboxRow.next_attempt_at) <= now,
                )
                .order_by(col(OutboxRow.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.next_attempt_at = now + dt.timedelta(
                    seconds=self.settings.delivery_lease_seconds
                )
            s.commit()
        notifiers = self.host.notifiers()
        delivered = retrying = dead = 0
        for row in rows:
            error: str | None = None
            if row.notifier not in notifiers:
                error = f"通知方式 {row.notifier!r} 未安装"
            else:
                try:
                    notifiers.configured(row.notifier, self.settings).deliver(_notice(row))
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
            with self._session() as s:
                fresh = s.get(OutboxRow, row.id)
                assert fresh is not None
                done = self.clock()
                if error is None:
                    fresh.delivered_at = done
                    delivered += 1
                else:
                    fresh.attempts += 1
                    fresh.last_error = error[:2000]
                    if fresh.attempts >= self.settings.delivery_attempts:
                        fresh.dead_at = done
                        dead += 1
                    else:
                        fresh.next_attempt_at = done + retry_delay(fresh.attempts)
                        retrying += 1
                s.commit()
        return DeliveryReport(delivered=delivered, retrying=retrying, dead=dead)

    def run_routine(self, *, today: dt.date | None = None) -> dict[str, int]:
        """Write today's reminders, 催办, 督办 and unscreened nudges to the outbox, once each.

        Safe to run as often as liked and from several daemons at once: a notice's key
        names the step, the issue, its deadline, the recipient and the notifier, and
        a key already in the outbox is not written again. Returns how many notices
        were added, by step.
        """
        today = today or self.today()
        horizon = self.calendar.add_working_days(today, self.limits.reminder_before).due_on
        c = _ISSUE.c
        query = (
            sa.select(*_SUMMARY_COLUMNS)
            .where(c.state.in_(_OPEN), c.due_on.is_not(None), c.due_on <= horizon)
            .order_by(c.id)
        )
        with self.engine.connect() as connection:
            summaries = [IssueSummary(*row) for row in connection.execute(query)]  # type: ignore[call-arg]
        banner = next((x.code for x in self.centers() if x.level is CenterLevel.BANNER), None)
        steps = routine_steps(summaries, today, self.calendar, self.limits, banner_center=banner)
        now = self.clock()
        rows = []
        for step in steps:
            center = self.settings.center(
                step.recipient if step.recipient_kind == "center" else step.center
            )
            subject, body = routine_text(step)
            for notifier in center.notifiers if center else ():
                rows.append(
                    {
                        "key": f"{step.key}:{notifier}",
                        "issue_id": step.issue_id,
                        "center_code": step.center,
                        "notifier": notifier,
                        "recipient_kind": step.recipient_kind,
                        "recipient": step.recipient,
                        "addresses": [],
                        "subject": subject,
                        "body": body,
                        "created_at": now,
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                )
        added: dict[str, int] = {}
        for key in self._insert_notices(rows):
            kind = key.split(":")[1]
            added[kind] = added.get(kind, 0) + 1
        return added

    def notify_center(self, center: str, *, key: str, subject: str, body: str) -> int:
        """Write a notice to a center's staff through its notifiers, once per ``key``."""
        settings = self.settings.center(center)
        now = self.clock()
        rows: list[dict[str, Any]] = [
            {
                "key": f"{key}:{notifier}",
                "issue_id": None,
                "center_code": center,
                "notifier": notifier,
                "recipient_kind": "center",
                "recipient": center,
                "addresses": [],
                "subject": subject,
                "body": body,
                "created_at": now,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for notifier in (settings.notifiers if settings else ())
        ]
        return len(self._insert_notices(rows))

    def _insert_new(self, table: sa.Table, key: str) -> Any:
        """INSERT that leaves a row whose ``key`` is taken alone (SQLite and PostgreSQL)."""
        dialect_insert = sqlite_insert if self.engine.dialect.name == "sqlite" else pg_insert
        return dialect_insert(table).on_conflict_do_nothing(index_elements=[key])

    def _insert_notices(self, rows: list[dict[str, Any]]) -> list[str]:
        """Insert notices whose key is not in the outbox yet; the keys added."""
        if not rows:
            return []
        insert = self._insert_new(table_of(OutboxRow), "key")
        added = []
        with self.engine.begin() as connection:
            for row in rows:
                if connection.execute(insert, row).rowcount:
                    added.append(str(row["key"]))
        return added

    def dashboard(self, centers: Sequence[str], *, weeks: int = 12) -> dict[str, Any]:
        """Counts for the dashboard of ``centers``, each an aggregate query.

        Intake by channel and week, open and overdue issues, the share of open issues not
        yet late, the on-time rate of rectifications and explanations (by their deadline
        as it stood), and open issues by problem type and by stage.
        """
        report, issue = table_of(ReportRow), _ISSUE
        codes = list(centers)
        today = self.today()
        start = dt.datetime.combine(today - dt.timedelta(weeks=weeks), dt.time(), SHANGHAI)
        is_open = sa.and_(issue.c.center_code.in_(codes), issue.c.state.in_(_OPEN))
        day = sa.func.date(report.c.received_at)
        with self.engine.connect() as connection:
            daily = connection.execute(
                sa.select(report.c.channel, day, sa.func.count())
                .where(report.c.center_code.in_(codes), report.c.received_at >= start)
                .group_by(report.c.channel, day)
            ).all()
            open_count, overdue = connection.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.count().filter(issue.c.due_on < today),
                ).where(is_open)
            ).one()
            by_type = connection.execute(
                sa.select(issue.c.problem_type, sa.func.count())
                .where(is_open)
                .group_by(issue.c.problem_type)
            ).all()
            by_stage = connection.execute(
                sa.select(issue.c.stage, sa.func.count()).where(is_open).group_by(issue.c.stage)
            ).all()
            finished, on_time = connection.execute(
                sa.select(
                    sa.func.count(issue.c.completed_on_time),
                    sa.func.count().filter(issue.c.completed_on_time.is_(True)),
                ).where(issue.c.center_code.in_(codes))
            ).one()
        by_week: dict[str, dict[str, int]] = {}
        for channel, on, count in daily:
            on = on if isinstance(on, dt.date) else dt.date.fromisoformat(str(on))
            monday = (on - dt.timedelta(days=on.weekday())).isoformat()
            week = by_week.setdefault(monday, {})
            week[channel] = week.get(channel, 0) + int(count)
        return {
            "by_week": dict(sorted(by_week.items())),
            "open": int(open_count),
            "overdue": int(overdue),
            "not_late_share": 1.0 if not open_count else 1 - overdue / open_count,
            "finished": int(finished),
            "on_time_rate": None if not finished else on_time / finished,
            "by_type": _tally(by_type, "other"),
            "by_stage": _tally(by_stage, "—"),
        }

    def acquire_lease(self, name: str, holder: str, *, seconds: float) -> bool:
        """Hold the single-reader job ``name`` for ``seconds`` (or renew it); whether we do.

        A lease that its holder stopped renewing (it died) is taken over once expired.
        """
        now = self.clock()
        until = now + dt.timedelta(seconds=seconds)
        lease = table_of(LeaseRow)
        insert = self._insert_new(lease, "name")
        with self.engine.begin() as connection:
            connection.execute(insert, {"name": name, "holder": holder, "expires_at": until})
            taken = connection.execute(
                sa.update(lease)
                .where(
                    lease.c.name == name,
                    sa.or_(lease.c.holder == holder, lease.c.expires_at < now),
                )
                .values(holder=holder, expires_at=until)
            ).rowcount
        return bool(taken)

    def release_lease(self, name: str, holder: str) -> None:
        """Give a lease up (on a clean stop), so another instance need not wait it out."""
        lease = table_of(LeaseRow)
        with self.engine.begin() as connection:
            connection.execute(
                sa.delete(lease).where(lease.c.name == name, lease.c.holder == holder)
            )

    def leases(self) -> list[tuple[str, str, dt.datetime]]:
        """Every lease: (name, holder, expires at)."""
        lease = table_of(LeaseRow)
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(lease.c.name, lease.c.holder, lease.c.expires_at))
            return [(r[0], r[1], r[2]) for r in rows]

    def status(self) -> dict[str, Any]:
        """What an operator (or /metrics) wants to know at a glance."""
        report, issue, outbox = table_of(ReportRow), _ISSUE, table_of(OutboxRow)
        today = self.today()
        with self.engine.connect() as connection:
            by_channel: dict[str, int] = dict(
                connection.execute(
                    sa.select(report.c.channel, sa.func.count()).group_by(report.c.channel)
                ).all()
            )
            quarantined = connection.execute(
                sa.select(sa.func.count()).where(report.c.status == "quarantined")
            ).scalar_one()
            pending = connection.execute(
                sa.select(sa.func.count()).where(
                    outbox.c.delivered_at.is_(None), outbox.c.dead_at.is_(None)
                )
            ).scalar_one()
            dead = connection.execute(
                sa.select(sa.func.count()).where(outbox.c.dead_at.is_not(None))
            ).scalar_one()
            overdue = connection.execute(
                sa.select(sa.func.count()).where(issue.c.state.in_(_OPEN), issue.c.due_on < today)
            ).scalar_one()
            open_issues = connection.execute(
                sa.select(sa.func.count()).where(issue.c.state.in_(_OPEN))
            ).scalar_one()
        return {
            "reports_by_channel": {str(k): int(v) for k, v in by_channel.items()},
            "quarantined": int(quarantined),
            "outbox_pending": int(pending),
            "outbox_dead": int(dead),
            "open_issues": int(open_issues),
            "overdue_issues": int(overdue),
            "leases": [
                {"name": n, "holder": h, "expires_at": e.isoformat()} for n, h, e in self.leases()
            ],
        }

    def outbox(
        self, *, status: OutboxStatus | str | None = None, limit: int = 200
    ) -> list[OutboxEntry]:
        """Notices in the outbox, newest first, optionally by status."""
        query = select(OutboxRow)
        if status is not None:
            status = OutboxStatus(status)
            if status is OutboxStatus.DELIVERED:
                query = query.where(col(OutboxRow.delivered_at).is_not(None))
            elif status is OutboxStatus.DEAD:
                query = query.where(col(OutboxRow.dead_at).is_not(None))
            else:
                query = query.where(
                    col(OutboxRow.delivered_at).is_(None), col(OutboxRow.dead_at).is_(None)
                )
        with self._session() as s:
            rows = s.exec(query.order_by(col(OutboxRow.id).desc()).limit(limit)).all()
        return [_outbox_entry(r) for r in rows]

    def retry_notice(self, entry_id: int) -> OutboxEntry:
        """Put a dead-lettered notice back in line, with its attempts reset."""
        with self._session() as s:
            row = _get(s, OutboxRow, entry_id, f"发送队列中没有编号为 {entry_id} 的通知")
            if row.dead_at is None:
                msg = f"通知 {entry_id} 不在发送失败列表中"
                raise InvalidTransition(msg)
            row.dead_at, row.attempts, row.next_attempt_at = None, 0, self.clock()
            s.commit()
            return _outbox_entry(row)

    # ------------------------------------------------------------------ the supervisors' year

    def add_work_plan(
        self, *, center: str, year: int, title: str, responsible_staff: Sequence[str], content: str
    ) -> WorkPlan:
        """Record a center's yearly supervision work plan and its responsible staff."""
        return annual.add_work_plan(
            self,
            center=center,
            year=year,
            title=title,
            responsible_staff=responsible_staff,
            content=content,
        )

    def work_plans(self, *, center: str | None = None, year: int | None = None) -> list[WorkPlan]:
        """Work plans, oldest first."""
        return annual.work_plans(self, center=center, year=year)

    def add_activity(
        self,
        *,
        center: str,
        kind: ActivityKind | str,
        title: str,
        held_on: dt.date,
        place: str,
        organizer: str,
    ) -> Activity:
        """Record an activity (group experience, forum, research, training)."""
        return annual.add_activity(
            self,
            center=center,
            kind=kind,
            title=title,
            held_on=held_on,
            place=place,
            organizer=organizer,
        )

    def record_attendance(
        self, activity_id: int, supervisor_id: int, status: AttendanceStatus | str
    ) -> Activity:
        """Record (or correct) how an invited supervisor answered an activity."""
        return annual.record_attendance(self, activity_id, supervisor_id, status)

    def activities(self, *, center: str | None = None, year: int | None = None) -> list[Activity]:
        """Activities with their attendance, by date."""
        return annual.activities(self, center=center, year=year)

    def record_discipline(
        self,
        supervisor_id: int,
        *,
        kind: DisciplineKind | str,
        reason: str,
        actor: str,
        on: dt.date | None = None,
        authority: str | None = None,
    ) -> DisciplineRecord:
        """Record an admonition (批评教育), a confidentiality breach, or a referral."""
        return annual.record_discipline(
            self, supervisor_id, kind=kind, reason=reason, actor=actor, on=on, authority=authority
        )

    def discipline(self, supervisor_id: int) -> list[DisciplineRecord]:
        """A supervisor's discipline records, by date."""
        return annual.discipline(self, supervisor_id)

    def record_finding(
        self, ref: IssueRef, kind: FindingKind | str, *, actor: str, note: str | None = None
    ) -> None:
        """Record that an issue's suggestion was adopted, changed a rule, or was false."""
        annual.record_finding(self, ref, kind, actor=actor, note=note)

    def supervisor_year(self, supervisor_id: int, year: int) -> SupervisorYear:
        """What a supervisor did in ``year``, each fact pointing to its issues or activities."""
        self.supervisor(supervisor_id)
        return annual.supervisor_years(self, [supervisor_id], year)[supervisor_id]

    def evaluate_year(
        self,
        year: int,
        *,
        center: str,
        actor: str,
        quota_ratio: float = 0.2,
        tie_rule: Sequence[str] = DEFAULT_TIE_RULE,
    ) -> Evaluation:
        """Publish a new version of ``center``'s evaluation of its supervisors for ``year``."""
        return annual.evaluate(
            self, year, center=center, actor=actor, quota_ratio=quota_ratio, tie_rule=tie_rule
        )

    def evaluations(
        self, *, center: str | None = None, year: int | None = None
    ) -> list[Evaluation]:
        """Published evaluations, every version, oldest first."""
        return annual.evaluations(self, center=center, year=year)

    def revocation_candidates(
        self, *, center: str, as_of: dt.date | None = None
    ) -> list[tuple[int, str, list[str]]]:
        """Supervisors to consider for revocation, with reasons; nothing is revoked automatically."""
        return annual.revocation_candidates(self, center=center, as_of=as_of)

    def briefing(self, *, center: str, period: str) -> Briefing:
        """The semi-annual briefing's figures for ``center`` and ``period`` (``2026H1``)."""
        return build_briefing(self, center, period)

    def add_briefing_opinion(
        self, *, center: str, period: str, text: str, actor: str, supervisor_id: int | None = None
    ) -> BriefingOpinion:
        """Record an opinion a supervisor gave at the briefing."""
        return add_opinion(self, center, period, text, actor=actor, supervisor_id=supervisor_id)

    # ------------------------------------------------------------------ reading

    def issue(self, ref: IssueRef) -> Issue:
        """The issue ``ref`` (id or number), or :class:`NotFound`."""
        with self._session() as s:
            return _issue(self._issue_row(s, ref))

    def history(self, ref: IssueRef) -> list[IssueEvent]:
        """Every event of the issue, in order."""
        with self._session() as s:
            row = self._issue_row(s, ref)
            rows = s.exec(
                select(EventRow).where(EventRow.issue_id == row.id).order_by(col(EventRow.id))
            ).all()
        return [_event(r) for r in rows]

    def proposals(self, ref: IssueRef) -> list[tuple[str, ScreeningProposal]]:
        """The screening checks' proposals for the issue, for the operator to confirm."""
        with self._session() as s:
            row = self._issue_row(s, ref)
            rows = s.exec(
                select(ProposalRow)
                .where(ProposalRow.issue_id == row.id)
                .order_by(col(ProposalRow.id))
            ).all()
        return [(r.check_name, ScreeningProposal(r.reason, r.evidence)) for r in rows]

    def verify(self, ref: IssueRef) -> bool:
        """Whether the stored issue is exactly what its events add up to."""
        with self._session() as s:
            row = self._issue_row(s, ref)
            events = s.exec(
                select(EventRow).where(EventRow.issue_id == row.id).order_by(col(EventRow.id))
            ).all()
            return replay(_seed(row), (_event(e) for e in events)) == _issue(row)

    def unit_view(self, ref: IssueRef) -> UnitView:
        """The issue as its responsible unit may see it: without the supervisor."""
        return self.issue(ref).unit_view()

    def issues(
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
        query = sa.select(*_SUMMARY_COLUMNS)
        if center:
            query = query.where(_ISSUE.c.center_code == center)
        if state:
            query = query.where(_ISSUE.c.state == IssueState(state).value)
        if supervisor is not None:
            query = query.where(_ISSUE.c.supervisor_id == supervisor)
        if unit:
            query = query.where(_ISSUE.c.unit_code == unit)
        if text:
            query = query.where(_ISSUE.c.text.contains(text, autoescape=True))
        if received_from is not None:
            start = dt.datetime.combine(received_from, dt.time(), SHANGHAI)
            query = query.where(_ISSUE.c.received_at >= start)
        if received_to is not None:
            end = dt.datetime.combine(received_to + dt.timedelta(days=1), dt.time(), SHANGHAI)
            query = query.where(_ISSUE.c.received_at < end)
        today = self.today()
        if (overdue or due_within is not None) and not state:
            query = query.where(_ISSUE.c.state.in_(_OPEN))
        if overdue:
            query = query.where(_ISSUE.c.due_on < today)
        if due_within is not None:
            horizon = self.calendar.add_working_days(today, due_within).due_on
            query = query.where(_ISSUE.c.due_on >= today, _ISSUE.c.due_on <= horizon)
        if after is not None:
            query = query.where(_ISSUE.c.id > after)
        query = query.order_by(_ISSUE.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [IssueSummary(*row) for row in rows]  # type: ignore[call-arg]

    def overdue(self, *, center: str | None = None) -> list[IssueSummary]:
        """Open issues past their deadline: candidates for escalation (督办)."""
        return self.issues(center=center, overdue=True)

    def due_soon(
        self, *, center: str | None = None, within: int | None = None
    ) -> list[IssueSummary]:
        """Open issues due within the reminder window (催办), by default ``reminder_before`` days."""
        return self.issues(
            center=center, due_within=self.limits.reminder_before if within is None else within
        )

    def count_by_center_and_state(self) -> dict[tuple[str, str], int]:
        """How many issues each center has in each state."""
        c = _ISSUE.c
        query = sa.select(c.center_code, c.state, sa.func.count()).group_by(c.center_code, c.state)
        with self.engine.connect() as connection:
            return {(center, state): n for center, state, n in connection.execute(query).all()}


def _tally(rows: Iterable[Any], missing: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key, count in rows:
        counts[key or missing] = counts.get(key or missing, 0) + int(count)
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _notice(row: OutboxRow) -> Notice:
    return Notice(
        key=row.key,
        center=row.center_code,
        recipient_kind=row.recipient_kind,
        recipient=row.recipient,
        addresses=tuple(Identity(kind=a["kind"], value=a["value"]) for a in row.addresses),
        subject=row.subject,
        body=row.body,
    )


def _outbox_entry(row: OutboxRow) -> OutboxEntry:
    assert row.id is not None
    if row.delivered_at is not None:
        status = OutboxStatus.DELIVERED
    elif row.dead_at is not None:
        status = OutboxStatus.DEAD
    else:
        status = OutboxStatus.PENDING
    return OutboxEntry(
        id=row.id,
        notifier=row.notifier,
        notice=_notice(row),
        status=status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )


def _slices(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batch(row: ImportBatchRow) -> ImportBatch:
    assert row.id is not None
    return ImportBatch(
        id=row.id,
        channel=row.channel,
        source_name=row.source_name,
        checksum=row.checksum,
        profile=row.profile,
        center=row.center_code,
        actor=row.actor,
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts=dict(row.counts),
        rolled_back_at=row.rolled_back_at,
        rolled_back_by=row.rolled_back_by,
    )


def _attachment_row(report_id: int, attachment: Attachment) -> AttachmentRow:
    return AttachmentRow(
        report_id=report_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        content=attachment.content,
    )

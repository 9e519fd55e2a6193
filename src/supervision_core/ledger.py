"""The ledger (反馈问题台账): one facade over the store's aggregates.

``Ledger`` only wires things together: each public method is a one-line delegation
to the module that owns the concept (``store/issues.py`` for an issue's steps,
``store/supervisors.py``, ``store/quarantine.py``, ``store/outbox.py`` ...). The
delegations are grouped by concept in the desks it is built of
(:mod:`~supervision_core.ledger_issues`, :mod:`~supervision_core.ledger_supervisors`,
:mod:`~supervision_core.ledger_year`); this module opens a ledger and keeps what
belongs to the whole: settings, clock, calendar, intake, vocabulary. Every
step is one unit of work there: one transaction that appends the event and updates
the issue together, so a crash at any moment leaves either both or neither.
Plugins are told after the commit.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from supervision_core.config import Settings, check_plugins
from supervision_core.errors import ConfigError
from supervision_core.lazy import Lazy
from supervision_core.ledger_issues import IssueDesk
from supervision_core.ledger_supervisors import SupervisorDesk
from supervision_core.ledger_year import YearDesk
from supervision_core.model.clock import local_date, now_utc
from supervision_core.model.supervisors import ContactKind
from supervision_core.model.vocabulary import Vocabulary
from supervision_core.plugins import PluginHost, PluginManager, get_plugin_manager
from supervision_core.rules.workdays import (
    CalendarHealth,
    WorkCalendar,
    calendar_health,
    china_calendar,
    year_schedules,
)
from supervision_core.store import intake, intake_bulk
from supervision_core.store.engine import DEFAULT_DATABASE_URL, check_schema, create_engine, migrate
from supervision_core.store.group_commit import GroupCommitter
from supervision_core.store.rows import IssueRef
from supervision_core.store.session import Database
from supervision_core.webhooks import Sender as WebhookSender
from supervision_core.webhooks import WebhookHub

# The store modules a command does not use are not imported: each imports the table
# classes it needs, and building every table was a quarter of `supdesk issues list`'s
# start-up (bench/bench_cli.py). mypy reads the real imports; at run time each name is
# imported when a ledger first uses it (its aggregate is made, or its method called).
if TYPE_CHECKING:
    from supervision_core.store import briefing as briefings
    from supervision_core.store import year as annual
    from supervision_core.store.access import AccessLog
    from supervision_core.store.batches import Batches
    from supervision_core.store.centers import Centers
    from supervision_core.store.dashboard import Dashboard
    from supervision_core.store.issues import Issues
    from supervision_core.store.leases import Leases
    from supervision_core.store.library import Library
    from supervision_core.store.messengers import MessengerStore
    from supervision_core.store.outbox import Outbox
    from supervision_core.store.quarantine import Quarantine
    from supervision_core.store.reports import Reports
    from supervision_core.store.sign_in import SignIns
    from supervision_core.store.staging import CopyText
    from supervision_core.store.supervisors import Supervisors
    from supervision_core.store.tasks import Tasks
    from supervision_core.store.tokens import TokenStore
    from supervision_core.store.users import UserStore
    from supervision_core.store.webhooks import WebhookStore
else:
    briefings = Lazy("supervision_core.store.briefing")
    annual = Lazy("supervision_core.store.year")
    AccessLog = Lazy("supervision_core.store.access:AccessLog")
    Batches = Lazy("supervision_core.store.batches:Batches")
    Centers = Lazy("supervision_core.store.centers:Centers")
    Dashboard = Lazy("supervision_core.store.dashboard:Dashboard")
    Issues = Lazy("supervision_core.store.issues:Issues")
    Leases = Lazy("supervision_core.store.leases:Leases")
    Library = Lazy("supervision_core.store.library:Library")
    MessengerStore = Lazy("supervision_core.store.messengers:MessengerStore")
    Outbox = Lazy("supervision_core.store.outbox:Outbox")
    Quarantine = Lazy("supervision_core.store.quarantine:Quarantine")
    Reports = Lazy("supervision_core.store.reports:Reports")
    SignIns = Lazy("supervision_core.store.sign_in:SignIns")
    Supervisors = Lazy("supervision_core.store.supervisors:Supervisors")
    Tasks = Lazy("supervision_core.store.tasks:Tasks")
    TokenStore = Lazy("supervision_core.store.tokens:TokenStore")
    UserStore = Lazy("supervision_core.store.users:UserStore")
    WebhookStore = Lazy("supervision_core.store.webhooks:WebhookStore")

if TYPE_CHECKING:
    from supervision_core.model.briefing import (
        Briefing,
        BriefingDelivery,
        BriefingMeeting,
        BriefingOpinion,
    )
    from supervision_core.model.issues import UnitFile
    from supervision_core.model.profiles import ColumnProfile
    from supervision_core.model.reports import (
        IntakeResult,
        QuarantineReason,
        Report,
    )
    from supervision_core.model.scoring import Score, SupervisorYear
    from supervision_core.model.year import AttendanceStatus
    from supervision_core.store.engine import Engine

__all__ = ["IssueRef", "Ledger", "open_ledger"]


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


PartT = TypeVar("PartT")
_MAKING = threading.RLock()


class _Part(Generic[PartT]):
    """An aggregate of the ledger, made on first use and kept: ``_issues = _Part(make)``.

    A command imports only the store modules of the aggregates it uses (and so builds
    only their tables). Made once per ledger, under a lock, as threads share a ledger.
    """

    def __init__(self, make: Callable[[Ledger], PartT]) -> None:
        self.make = make
        self.name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, ledger: None, owner: type[Any]) -> _Part[PartT]: ...
    @overload
    def __get__(self, ledger: Ledger, owner: type[Any]) -> PartT: ...
    def __get__(self, ledger: Ledger | None, owner: type[Any]) -> Any:
        if ledger is None:
            return self
        with _MAKING:  # only the first time: then the value is in the ledger's __dict__
            made = ledger.__dict__.get(self.name)
            if made is None:
                made = ledger.__dict__[self.name] = self.make(ledger)
        return made


class Ledger(IssueDesk, SupervisorDesk, YearDesk):
    """The supervision ledger of one deployment: all its centers, on one database."""

    # Most methods are store methods, delegated by the desks (ledger_issues.py,
    # ledger_supervisors.py, ledger_year.py); each names the aggregate below it uses.

    db: Database

    # The aggregates, each made on first use (see _Part).
    _centers = _Part(lambda ledger: Centers(ledger.db))
    _supervisors = _Part(lambda ledger: Supervisors(ledger.db, ledger._centers))
    _issues = _Part(lambda ledger: Issues(ledger.db, ledger._centers))
    _quarantine = _Part(lambda ledger: Quarantine(ledger.db))
    _reports = _Part(lambda ledger: Reports(ledger.db))
    _batches = _Part(lambda ledger: Batches(ledger.db))
    _outbox = _Part(lambda ledger: Outbox(ledger.db, ledger._centers))
    _leases = _Part(lambda ledger: Leases(ledger.db))
    _dashboard = _Part(lambda ledger: Dashboard(ledger.db, ledger._leases))
    _access = _Part(lambda ledger: AccessLog(ledger.db))
    _sign_ins = _Part(lambda ledger: SignIns(ledger.db, ledger._supervisors, ledger._outbox))
    _tasks = _Part(lambda ledger: Tasks(ledger.db))
    _library = _Part(lambda ledger: Library(ledger.db, ledger._access))

    def __init__(
        self,
        engine: Engine,
        *,
        settings: Settings,
        host: PluginHost,
        clock: Callable[[], dt.datetime] = now_utc,
    ) -> None:
        check_plugins(
            settings,
            channels=host.channels(),
            policies=host.scoring_policies(),
            notifiers=host.notifiers(),
        )
        known = year_schedules(settings.calendar_years)
        years = range(min(known), max(max(known), local_date(clock()).year) + 3)
        calendar = china_calendar(
            settings.closures | host.closure_days(years), years=settings.calendar_years
        )
        self.db = Database(engine, settings=settings, host=host, clock=clock, calendar=calendar)
        self.engine = engine
        self.settings = settings
        self.limits = settings.time_limits
        self._vocabulary: tuple[float, int, Vocabulary] | None = None
        # Reports filed one at a time from many threads (the daemon's channels, the
        # web desk's forms) share a transaction when they arrive together.
        self._group = GroupCommitter(lambda reports: self.receive_many(reports))
        self._webhooks = WebhookHub(self)

    # The clock and the plugins may be swapped after opening (the demo, tests): the
    # store reads them from ``db`` on every call.
    @property
    def clock(self) -> Callable[[], dt.datetime]:
        """The current time, aware."""
        return self.db.clock

    @clock.setter
    def clock(self, clock: Callable[[], dt.datetime]) -> None:
        self.db.clock = clock

    @property
    def host(self) -> PluginHost:
        """The plugins, through their typed host."""
        return self.db.host

    @host.setter
    def host(self, host: PluginHost) -> None:
        self.db.host = host

    @property
    def calendar(self) -> WorkCalendar:
        """Working days, with the configured and the plugins' closures."""
        return self.db.calendar

    def calendar_health(self) -> CalendarHealth:
        """Whether the calendar covers today's year and, from 1 November, next year's."""
        return calendar_health(self.today(), self.calendar)

    def close(self) -> None:
        """Release the database connections."""
        self.db.close()
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def messengers(self) -> MessengerStore:
        """Link codes, conversations and cursors of the messenger channels."""
        return MessengerStore(self.engine, self.clock)

    @property
    def users(self) -> UserStore:
        """The staff accounts of the web desk."""
        return UserStore(self.engine, self.clock)

    @property
    def webhooks(self) -> WebhookStore:
        """Webhook subscriptions and their delivery log."""
        return WebhookStore(self.engine, self.clock)

    def deliver_webhooks(
        self, send: WebhookSender | None = None, *, limit: int = 100
    ) -> tuple[int, int]:
        """Queue the overdue events, then send the due webhook posts: (delivered, failed).

        ``send(url, body, headers) -> status`` posts one (by default with urllib, 10 s).
        """
        self._webhooks.queue_overdue()
        return self._webhooks.deliver(send, limit=limit)

    @property
    def tokens(self) -> TokenStore:
        """The API tokens of the HTTP API (and the idempotent POSTs' first answers)."""
        return TokenStore(self.engine, self.clock)

    def today(self) -> dt.date:
        """Today in Asia/Shanghai, by the ledger's clock."""
        return self.db.today()

    def vocabulary(self) -> Vocabulary:
        """The Chinese names of this ledger's codes: centers, units, channels, notifiers, policies.

        Pages, exports and the command line show these names and accept them as input.
        Kept a few seconds (every console page asks): a unit added here is seen at once,
        one added by another process after a moment.
        """
        kept, now = self._vocabulary, time.monotonic()
        if kept is not None and kept[1] == self._centers.generation and now - kept[0] < 10:
            return kept[2]
        generation = self._centers.generation  # read before the units, not after
        channels = self.host.channels()
        channel_names = {name: channels[name].label for name in channels}
        notifiers = self.host.notifiers()
        notifier_names = {
            name: str(getattr(notifiers[name], "label", None) or channel_names.get(name) or "")
            for name in notifiers
        }
        policies = self.host.scoring_policies()
        units: dict[str, dict[str, str]] = {}
        for unit in self.units():
            units.setdefault(unit.center, {})[unit.code] = unit.name
        vocabulary = Vocabulary(
            centers={c.code: c.name for c in self.centers()},
            units=units,
            channels=channel_names,
            notifiers={k: v for k, v in notifier_names.items() if v},
            policies={name: policies[name].label for name in policies},
        )
        self._vocabulary = (now, generation, vocabulary)
        return vocabulary

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

    # ------------------------------------------------------------------ intake (store/intake*.py)

    def receive(self, report: Report) -> IntakeResult:
        """Take in one report: file it as an issue, or keep it in quarantine.

        Idempotent on ``(report.channel, report.external_id)``: a second delivery
        returns the first result with ``duplicate_delivery`` set and stores nothing.
        When this returns, the report is committed; a channel may acknowledge it.
        Reports handed in by several threads at once are filed together, one
        transaction for the group (group commit), each caller still returning only
        once its own report is committed.
        """
        return self._group.receive(report)

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
        return intake.receive_many(
            self.db,
            self.centers,
            reports,
            batch_id=batch,
            chunk_size=chunk_size,
            dry_run=dry_run,
        )

    def quarantine_many(
        self,
        channel: str,
        sender_kind: ContactKind,
        reason: QuarantineReason,
        rows: Sequence[tuple[Any, ...]] | CopyText,
        *,
        batch: int | None = None,
        dry_run: bool = False,
    ) -> int:
        """Keep many reports in quarantine at once, given as plain rows (or :class:`CopyText`).

        The bulk path of a large import, for reports known already to go to quarantine
        (callers who are no supervisor): each row (:class:`BulkQuarantine`) is stored as
        :meth:`receive_many` would store it, in one transaction. A row already stored
        under its ``(channel, external_id)`` is left alone. Returns how many were stored.
        """
        return intake_bulk.quarantine_many(
            self.db, channel, sender_kind.value, reason, rows, batch_id=batch, dry_run=dry_run
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
        return intake_bulk.quarantine_staged(
            self.db, channel, sender_kind.value, reason, str(path), batch_id=batch, dry_run=dry_run
        )

    def supervisor_year(self, supervisor_id: int, year: int) -> SupervisorYear:
        """What a supervisor did in ``year``, each fact pointing to its issues or activities."""
        self.supervisor(supervisor_id)
        return annual.supervisor_years(self.db, [supervisor_id], year)[supervisor_id]

    def supervisor_score(self, supervisor_id: int, year: int) -> Score:
        """A supervisor's score for ``year`` so far, under their center's scoring policy.

        The same policy and facts as the annual evaluation (:meth:`evaluate_year`), for a
        year not yet evaluated: what the supervisor's own page shows.
        """
        supervisor = self.supervisor(supervisor_id)
        center = self.settings.center(supervisor.center)
        policy = self.host.scoring_policies()[center.scoring_policy if center else "default"]
        return policy.score(self.supervisor_year(supervisor_id, year))

    def unit_file(self, ref: IssueRef, number: int) -> tuple[UnitFile, bytes]:
        """The issue's file ``number`` (from 1) as its unit may have it.

        Named by the desk (``附件1.jpg``), and made anew without metadata: a photo
        re-encoded from its pixels, a PDF rewritten (:mod:`~supervision_core.documents.scrub`).
        Any other kind, or a file that cannot be read, raises :class:`InvalidInput`.
        """
        from supervision_core.documents.scrub import strip_metadata

        listed, content_type, content = self._issues.unit_file_content(ref, number)
        _kind, cleaned = strip_metadata(content_type, content)
        return listed, cleaned

    def briefing(self, *, center: str, period: str) -> Briefing:
        """The semi-annual briefing's figures for ``center`` and ``period`` (``2026H1``)."""
        return briefings.build_briefing(self.db, center, period)

    def add_briefing_opinion(
        self, *, center: str, period: str, text: str, actor: str, supervisor_id: int | None = None
    ) -> BriefingOpinion:
        """Record an opinion a supervisor gave at the briefing."""
        return briefings.add_opinion(
            self.db, center, period, text, actor=actor, supervisor_id=supervisor_id
        )

    def record_briefing_meeting(
        self,
        *,
        center: str,
        period: str,
        held_on: dt.date,
        place: str,
        actor: str,
        chair: str | None = None,
        note: str | None = None,
        attendance: Mapping[int, AttendanceStatus | str] | None = None,
        opinions: Sequence[str] = (),
    ) -> BriefingMeeting:
        """Record the briefing meeting (通报会): date, place, attendance, opinions heard.

        One per center and period: recording again corrects it (see store/briefing.py).
        """
        return briefings.record_meeting(
            self.db,
            center,
            period,
            held_on=held_on,
            place=place,
            actor=actor,
            chair=chair,
            note=note,
            attendance=attendance,
            opinions=opinions,
        )

    def briefing_meeting(self, *, center: str, period: str) -> BriefingMeeting | None:
        """The briefing meeting recorded for ``center`` and ``period``, if any."""
        return briefings.meeting(self.db, center, period)

    def send_briefing(self, *, center: str, period: str) -> BriefingDelivery:
        """Send the briefing to every active supervisor of ``center``, as text and PDF, once.

        The notices go through the outbox; sending again adds only supervisors not
        sent to before. Needs the center's ``notifiers`` and a CJK font for the PDF.
        """
        # The writers load fpdf and matplotlib: only when a briefing is sent.
        from supervision_core.documents.briefing import briefing_notice_text
        from supervision_core.documents.printable import briefing_pdf

        figures = self.briefing(center=center, period=period)

        def render() -> tuple[str, str, bytes]:
            subject, body = briefing_notice_text(figures)
            return subject, body, briefing_pdf(figures, on=self.today())

        return briefings.send_briefing(self.db, figures, render)

"""Fixtures for testing supervision-desk and its plugins (a pytest plugin).

Installed with supervision-desk and loaded automatically by pytest (entry point
``pytest11``), as ``structlog.testing`` and ``tox.pytest`` are. Every fixture name
starts with ``supdesk_`` so it cannot collide with a plugin author's own.

- ``supdesk_database_url``: a fresh, empty database, once on SQLite and once on
  PostgreSQL (``SUPDESK_TEST_POSTGRES_URL``; skipped where unset, a failure under CI)
- ``supdesk_plugin_manager``: a fresh manager with the built-ins only; register the
  plugin under test on it
- ``supdesk_recorder``: records every notification hook call, like pytest's HookRecorder
- ``supdesk_clock``: a settable clock, 2026-03-02 09:00 in Asia/Shanghai by default
- ``supdesk_settings``: the demo centers (Uxin Banner and its six townships)
- ``supdesk_ledger``: a ledger on ``supdesk_database_url`` with all of the above
- ``supdesk_report``: a factory of reports from a registered supervisor

And the one rule for a test that needs something from the machine (a server, a
program, a font, a database): :func:`require` / :func:`skip_or_fail` skip it where
that is missing, but fail it under CI (:func:`under_ci`), where everything must run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import attrs
import pytest
import sqlalchemy as sa

from supervision_core.config import Settings
from supervision_core.demo import demo_settings
from supervision_core.hookspecs import hookimpl
from supervision_core.ledger import Ledger, open_ledger
from supervision_core.model.clock import SHANGHAI
from supervision_core.model.issues import Issue, IssueEvent
from supervision_core.model.reports import (
    IntakeResult,
    QuarantinedReport,
    Report,
    ReportHints,
    Sender,
)
from supervision_core.model.supervisors import ContactKind, Identity, NewSupervisor
from supervision_core.plugins import PluginManager, get_plugin_manager

__all__ = [
    "FrozenClock",
    "HookRecorder",
    "RecordedCall",
    "require",
    "skip_or_fail",
    "under_ci",
    "wait_until",
]

POSTGRES_ENV = "SUPDESK_TEST_POSTGRES_URL"

# CI services set CI to "true", "1", "yes"...; only these values mean "not under CI".
_NOT_CI = frozenset({"", "0", "false", "no"})


def under_ci() -> bool:
    """Whether the tests run under CI: ``CI`` set to anything but ``0``, ``false``, ``no``."""
    return os.environ.get("CI", "").strip().lower() not in _NOT_CI


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the running test for ``reason``; under CI fail it instead, since there it must run."""
    if under_ci():
        pytest.fail(f"under CI this test must run: {reason}", pytrace=False)
    pytest.skip(reason)


def require(condition: object, reason: str) -> None:
    """Go on if ``condition`` holds; otherwise :func:`skip_or_fail` with ``reason``."""
    if not condition:
        skip_or_fail(reason)


class FrozenClock:
    """A clock that stands still until told to move; call it for the time."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime) -> None:
        """Move to ``moment`` (aware)."""
        self.now = moment

    def advance(self, **delta: float) -> None:
        """Move forward by ``timedelta(**delta)``."""
        self.now += dt.timedelta(**delta)


@attrs.frozen
class RecordedCall:
    """One notification hook call: its name and its keyword arguments."""

    hook: str
    kwargs: dict[str, Any]


class HookRecorder:
    """A plugin that records the notification hooks, in order, from any thread."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._recorded = threading.Condition()

    def _record(self, hook: str, **kwargs: Any) -> None:
        with self._recorded:
            self.calls.append(RecordedCall(hook, kwargs))
            self._recorded.notify_all()

    @hookimpl
    def supervision_report_received(self, report: Report, result: IntakeResult) -> None:
        self._record("supervision_report_received", report=report, result=result)

    @hookimpl
    def supervision_report_quarantined(
        self, report: Report, quarantined: QuarantinedReport
    ) -> None:
        self._record("supervision_report_quarantined", report=report, quarantined=quarantined)

    @hookimpl
    def supervision_issue_changed(self, issue: Issue, event: IssueEvent) -> None:
        self._record("supervision_issue_changed", issue=issue, event=event)

    def named(self, hook: str) -> list[RecordedCall]:
        """The recorded calls of ``hook``."""
        return [c for c in self.calls if c.hook == hook]

    def wait_for(
        self,
        hook: str,
        matching: Callable[[RecordedCall], bool] = lambda call: True,
        timeout: float = 10.0,
    ) -> RecordedCall:
        """The first call of ``hook`` that is ``matching``, waiting up to ``timeout`` seconds.

        For work done in another thread (a poller, a daemon job); fails the test on timeout.
        """

        def found() -> RecordedCall | None:
            return next((c for c in self.named(hook) if matching(c)), None)

        with self._recorded:
            call = self._recorded.wait_for(found, timeout)
        if call is None:
            pytest.fail(f"{hook} was not called within {timeout} s")
        return call

    def events(self) -> list[str]:
        """The kinds of the issue events seen, in order."""
        return [c.kwargs["event"].kind.value for c in self.named("supervision_issue_changed")]

    def clear(self) -> None:
        """Forget what was recorded."""
        with self._recorded:
            self.calls.clear()


def wait_until(
    condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``condition`` every ``interval`` seconds until it holds; fail after ``timeout``.

    For a condition outside the test's reach (a server started, another process's
    commits); where a thread or hook can signal, wait on that event instead.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {what}")
        time.sleep(interval)


def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        skip_or_fail(f"PostgreSQL not configured ({POSTGRES_ENV} is not set)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def supdesk_database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, then a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    base = _postgres_url()
    url = sa.make_url(base)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        skip_or_fail(f"PostgreSQL unreachable at {url.render_as_string()}: {exc.orig}")
    scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def supdesk_plugin_manager() -> PluginManager:
    """A fresh plugin manager with the built-in plugins and no installed ones."""
    return get_plugin_manager(load_entrypoints=False)


@pytest.fixture
def supdesk_recorder(supdesk_plugin_manager: PluginManager) -> HookRecorder:
    """A :class:`HookRecorder` registered on ``supdesk_plugin_manager``."""
    recorder = HookRecorder()
    supdesk_plugin_manager.register(recorder, name="supdesk-recorder")
    return recorder


@pytest.fixture
def supdesk_clock() -> FrozenClock:
    """A clock at Monday 2026-03-02 09:00 in Asia/Shanghai (a confirmed working day)."""
    return FrozenClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def supdesk_settings() -> Settings:
    """The demo configuration: Uxin Banner's center, six townships and their units."""
    return demo_settings()


@pytest.fixture
def supdesk_ledger(
    supdesk_database_url: str,
    supdesk_settings: Settings,
    supdesk_plugin_manager: PluginManager,
    supdesk_recorder: HookRecorder,
    supdesk_clock: FrozenClock,
) -> Iterator[Ledger]:
    """A migrated ledger with the demo centers, on SQLite and on PostgreSQL."""
    ledger = open_ledger(
        supdesk_database_url,
        settings=supdesk_settings,
        plugin_manager=supdesk_plugin_manager,
        create=True,
        clock=supdesk_clock,
    )
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def supdesk_report(supdesk_ledger: Ledger, supdesk_clock: FrozenClock) -> Callable[..., Report]:
    """Make reports from a supervisor of the banner center registered for the test.

    ``supdesk_report(text=..., center=..., hints=..., external_id=...)``; the sender is
    ``reporter@example.cn`` unless ``sender`` is given.
    """
    supdesk_ledger.add_supervisor(
        NewSupervisor(
            name="测试监督员",
            center="banner",
            identities=[Identity(ContactKind.EMAIL, "reporter@example.cn")],
        )
    )
    counter = itertools.count(1)

    def make(text: str = "窗口工作人员态度生硬，没有一次性告知所需材料。", **fields: Any) -> Report:
        values: dict[str, Any] = {
            "channel": "test",
            "external_id": f"test-{next(counter)}",
            "center": "banner",
            "received_at": supdesk_clock(),
            "sender": Sender(ContactKind.EMAIL, "reporter@example.cn"),
            "text": text,
            "hints": ReportHints(),
        }
        values.update(fields)
        return Report(**values)

    return make

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
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

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

__all__ = ["FrozenClock", "HookRecorder", "RecordedCall"]

POSTGRES_ENV = "SUPDESK_TEST_POSTGRES_URL"


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
    """A plugin that records the notification hooks, in order."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []

    @hookimpl
    def supervision_report_received(self, report: Report, result: IntakeResult) -> None:
        self.calls.append(
            RecordedCall("supervision_report_received", {"report": report, "result": result})
        )

    @hookimpl
    def supervision_report_quarantined(
        self, report: Report, quarantined: QuarantinedReport
    ) -> None:
        self.calls.append(
            RecordedCall(
                "supervision_report_quarantined", {"report": report, "quarantined": quarantined}
            )
        )

    @hookimpl
    def supervision_issue_changed(self, issue: Issue, event: IssueEvent) -> None:
        self.calls.append(
            RecordedCall("supervision_issue_changed", {"issue": issue, "event": event})
        )

    def named(self, hook: str) -> list[RecordedCall]:
        """The recorded calls of ``hook``."""
        return [c for c in self.calls if c.hook == hook]

    def events(self) -> list[str]:
        """The kinds of the issue events seen, in order."""
        return [c.kwargs["event"].kind.value for c in self.named("supervision_issue_changed")]

    def clear(self) -> None:
        """Forget what was recorded."""
        self.calls.clear()


def _postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{POSTGRES_ENV} is not set: under CI the PostgreSQL tests must run")
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def supdesk_database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, then a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    base = _postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL not configured ({POSTGRES_ENV})")
    url = sa.make_url(base)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL unreachable at {base}: {exc.orig}")
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

"""/healthz and /metrics say when the calendar lacks next year (from 1 November) or this year."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import pytest
from starlette.testclient import TestClient

from supervision_core import SHANGHAI, CalendarUnconfirmed, open_ledger, parse_settings
from supervision_core.demo import demo_config_text
from supervision_core.testing import FrozenClock
from supervision_daemon import Daemon, DaemonOptions
from supervision_web import WebSettings

TOML_2027 = """
[calendar.2027]
holidays = ["2027-01-01", "2027-02-06..2027-02-12"]
workdays = ["2027-02-14", "2027-02-20"]
"""


def at(*moment: int) -> dt.datetime:
    return dt.datetime(*moment, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(at(2026, 10, 31))


def health(supdesk_database_url: str, clock: FrozenClock, extra: str = "") -> dict[str, Any]:
    settings = parse_settings(tomllib.loads(demo_config_text() + extra), "supdesk.toml")
    with open_ledger(supdesk_database_url, settings=settings, create=True, clock=clock) as ledger:
        daemon = Daemon(ledger, WebSettings(secret_key="k" * 48), DaemonOptions(instance="t:1"))
        # As the monitor on this machine asks: anyone else gets the status alone.
        with TestClient(daemon._app(), client=("127.0.0.1", 40000)) as client:
            response = client.get("/healthz")
            assert response.status_code == 200, response.text
            body = response.json()
            body["metrics"] = client.get("/metrics").text
        return body


def test_healthz_warns_from_november_and_is_degraded_in_an_unconfirmed_year(
    supdesk_database_url: str, clock: FrozenClock
) -> None:
    body = health(supdesk_database_url, clock)
    assert (body["status"], body["calendar"]["status"], body["warnings"]) == ("ok", "ok", [])
    assert 'supdesk_calendar_confirmed{year="2027"} 0.0' in body["metrics"]

    clock.set(at(2026, 11, 1))
    body = health(supdesk_database_url, clock)
    assert body["status"] == "ok"  # a warning: deadlines are still counted
    assert body["calendar"]["status"] == "warning" and body["calendar"]["missing"] == [2027]
    (warning,) = body["warnings"]
    assert warning.startswith("2027 年的节假日安排尚未录入") and "[calendar.2027]" in warning

    clock.set(at(2027, 1, 4))
    body = health(supdesk_database_url, clock)
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["calendar"]["status"] == "error"
    assert body["warnings"][0].startswith("2027 年的节假日安排尚未确认")
    assert 'supdesk_calendar_confirmed{year="2026"}' not in body["metrics"]
    assert 'supdesk_calendar_confirmed{year="2028"} 0.0' in body["metrics"]

    body = health(supdesk_database_url, clock, TOML_2027)
    assert (body["status"], body["calendar"]["status"], body["warnings"]) == ("ok", "ok", [])
    assert 'supdesk_calendar_confirmed{year="2027"} 1.0' in body["metrics"]


def test_the_routine_stops_in_an_unconfirmed_year_rather_than_guess(
    supdesk_database_url: str, clock: FrozenClock
) -> None:
    clock.set(at(2027, 1, 4))
    settings = parse_settings(tomllib.loads(demo_config_text()), "supdesk.toml")
    with (
        open_ledger(supdesk_database_url, settings=settings, create=True, clock=clock) as ledger,
        pytest.raises(CalendarUnconfirmed),  # the daemon shows its job as retrying
    ):
        ledger.run_routine()
    settings = parse_settings(tomllib.loads(demo_config_text() + TOML_2027), "supdesk.toml")
    with open_ledger(supdesk_database_url, settings=settings, clock=clock) as ledger:
        ledger.run_routine()  # counted by the configured year: no error

"""The run-time contract: a registered channel's jobs, run by the daemon, which knows no channel."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import attrs
import pytest

from supervision_core import (
    ConfigError,
    ContactKind,
    Job,
    PluginError,
    PluginTable,
    Report,
    Sender,
    channel_jobs,
    get_plugin_manager,
    hookimpl,
    now_utc,
    open_ledger,
)
from supervision_core.demo import demo_settings, load_demo
from supervision_daemon import Daemon, DaemonOptions
from supervision_web import WebSettings


def test_a_job_is_either_a_runner_or_a_poller() -> None:
    async def run(stop: asyncio.Event) -> None:
        await stop.wait()

    assert Job(name="listen", run=run).poll_once is None
    with pytest.raises(ValueError, match="必须且只能给出 run 或 poll_once 之一"):
        Job(name="both", run=run, poll_once=lambda: None)
    with pytest.raises(ValueError, match="必须且只能给出"):
        Job(name="neither")
    with pytest.raises(ValueError, match="租约（lease）只用于 poll_once"):
        Job(name="x", run=run, lease=True)
    with pytest.raises(ValueError, match="every 不能为负数"):
        Job(name="x", poll_once=lambda: None, every=-1)


@attrs.frozen
class CountSettings:
    center: str
    limit: int

    @classmethod
    def from_table(cls, table: PluginTable) -> CountSettings:
        table.only("center", "limit")
        return cls(table.text("center"), table.integer("limit"))


class CountingChannel:
    """Files ``limit`` numbered reports, one a poll, under a lease."""

    name = "counting"
    label = "计数"
    settings_type = CountSettings

    def __init__(self) -> None:
        self.done = threading.Event()
        self.closed = threading.Event()

    def jobs(self, ledger, settings: CountSettings) -> list[Job]:  # type: ignore[no-untyped-def]
        sent = iter(range(settings.limit))

        def poll_once() -> None:
            n = next(sent, None)
            if n is None:
                self.done.set()
                return
            ledger.receive(Report(channel="counting", external_id=f"n{n}", center=settings.center, received_at=now_utc(),
                                  sender=Sender(ContactKind.EMAIL, "bateer@example.cn"), text=f"第 {n} 件"))  # fmt: skip

        return [
            Job(name="counting", poll_once=poll_once, every=0.01, lease=True, close=self.closed.set)
        ]


def test_the_daemon_runs_a_registered_channels_job_under_its_lease(
    supdesk_database_url, tmp_path: Path
) -> None:
    channel = CountingChannel()

    class Plugin:
        @hookimpl
        def supervision_register_channels(self, register):  # type: ignore[no-untyped-def]
            register.add(channel)

    base = demo_settings()
    centers = tuple(
        attrs.evolve(c, channels=(*c.channels, "counting")) if c.center.code == "wushenzhao" else c
        for c in base.centers
    )
    settings = attrs.evolve(
        base, centers=centers, channel_options={"counting": {"center": "wushenzhao", "limit": 3}}
    )
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=[(Plugin(), "counting-plugin")])
    with open_ledger(
        supdesk_database_url, settings=settings, plugin_manager=pm, create=True
    ) as ledger:
        load_demo(ledger)
        daemon = Daemon(ledger, WebSettings(secret_key="k" * 48), DaemonOptions(instance="test:1"))
        assert [j.name for j in daemon.channel_jobs()] == ["counting"]  # email has no mailbox here

        async def main() -> None:
            job = next(j for j in daemon.channel_jobs() if j.name == "counting")
            task = asyncio.create_task(daemon.supervise(job.name, lambda: daemon.run_job(job)))
            await asyncio.to_thread(channel.done.wait, 30)
            assert [holder for name, holder, _ in ledger.leases() if name == "counting"] == [
                "test:1"
            ]
            assert not ledger.acquire_lease(
                "counting", "test:2", seconds=60
            )  # one holder at a time
            daemon.stop.set()
            await asyncio.wait_for(task, 30)

        asyncio.run(main())
        assert channel.closed.is_set()
        assert daemon.jobs["counting"]["state"] == "stopped"
        texts = sorted(
            ledger.report(r.id).text for r in ledger.recent_reports() if r.channel == "counting"
        )
        assert texts == ["第 0 件", "第 1 件", "第 2 件"]
        assert ledger.acquire_lease("counting", "test:2", seconds=60)  # released on stop


def test_a_wrong_channel_table_is_named_at_start_up(supdesk_database_url) -> None:
    class Plugin:
        @hookimpl
        def supervision_register_channels(self, register):  # type: ignore[no-untyped-def]
            register.add(CountingChannel())

    base = demo_settings()
    centers = tuple(attrs.evolve(c, channels=("counting",)) for c in base.centers)
    settings = attrs.evolve(
        base,
        centers=centers,
        channel_options={"counting": {"center": "wushenzhao", "limit": "3"}},
        source="supdesk.toml",
    )
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=[(Plugin(), "counting-plugin")])
    with (
        open_ledger(
            supdesk_database_url, settings=settings, plugin_manager=pm, create=True
        ) as ledger,
        pytest.raises(ConfigError, match=r"supdesk\.toml 中 channels\.counting\.limit：应为整数"),
    ):
        channel_jobs(ledger.host.channels()["counting"], ledger)


def test_a_channel_answering_something_else_than_jobs_is_named(supdesk_ledger) -> None:
    class Odd:
        name = "odd"
        label = "怪"

        def jobs(self, ledger, settings):  # type: ignore[no-untyped-def]
            return ["not a job"]

    with pytest.raises(PluginError, match="应返回 Job"):
        channel_jobs(Odd(), supdesk_ledger)


def test_a_notifiers_unset_secret_stops_the_start(supdesk_database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TEST_UNSET_SMTP_PASSWORD", raising=False)
    base = demo_settings()
    table = {
        "host": "127.0.0.1",
        "username": "jiandu",
        "password": {"env": "TEST_UNSET_SMTP_PASSWORD"},
    }
    settings = attrs.evolve(
        base,
        centers=tuple(attrs.evolve(c, notifiers=("email",)) for c in base.centers),
        notifier_options={"email": table},
        source="supdesk.toml",
    )
    with open_ledger(supdesk_database_url, settings=settings, create=True) as ledger:
        daemon = Daemon(ledger, WebSettings(secret_key="k" * 48))
        with pytest.raises(
            ConfigError,
            match=r"supdesk\.toml 中 notifiers\.email\.password：环境变量 TEST_UNSET_SMTP_PASSWORD 未设置",
        ):
            daemon.check_notifiers()
        monkeypatch.setenv("TEST_UNSET_SMTP_PASSWORD", "secret")
        daemon.check_notifiers()

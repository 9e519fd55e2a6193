"""The daemon's parts: supervised jobs, leases, health, metrics and logs."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hmac
import inspect
import ipaddress
import json
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from supervision_core import (
    Job,
    Ledger,
    PersonalDataFilter,
    PluginError,
    channel_jobs,
    mask_log_text,
    resolve_secret,
)
from supervision_web import WebSettings, create_app

__all__ = ["Daemon", "DaemonOptions", "JsonLogFormatter", "configure_logging", "metrics_text"]

log = logging.getLogger("supervision_daemon")

#: Worker threads of the daemon's loop (channels filing reports, jobs, the ledger).
WORKER_THREADS = 32

# Headers a reverse proxy adds: a request bearing one came from elsewhere, even when
# the proxy itself connects from loopback.
_RELAY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line, personal data (phone, ID numbers, e-mail) masked in the message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_log_text(record.getMessage()),
        }
        if record.exc_text or record.exc_info:
            error = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
            entry["error"] = mask_log_text(error)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(*, json_logs: bool = False, stream: Any = None) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) at INFO, personal data masked.

    The masking is the handler's filter (:class:`~supervision_core.PersonalDataFilter`),
    so the lines of the libraries the daemon runs (aiosmtpd logs each envelope address)
    are masked as well as the desk's own. Returns the handler.
    """
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    if json_logs:
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    return handler


@attrs.frozen(kw_only=True)
class DaemonOptions:
    """How the daemon runs."""

    host: str = "127.0.0.1"
    port: int = 8000
    instance: str = attrs.field(factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    outbox_seconds: float = 5.0
    routine_seconds: float = 60.0
    lease_seconds: float = 60.0
    documents_dir: Path = Path("documents")


class _Server(uvicorn.Server):
    # The daemon handles SIGTERM itself, to stop every job, not only the web server.
    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


def metrics_text(ledger: Ledger, jobs: dict[str, dict[str, Any]]) -> bytes:
    """The Prometheus exposition of the ledger's counts and the daemon's jobs."""
    status = ledger.status()

    class Collector:
        def collect(self) -> Any:
            received = GaugeMetricFamily(
                "supdesk_reports_received", "Reports received, by channel", labels=["channel"]
            )
            for channel, count in sorted(status["reports_by_channel"].items()):
                received.add_metric([channel], count)
            yield received
            for name, help_text in (
                ("quarantined", "Reports kept in quarantine"),
                ("outbox_pending", "Notices waiting for delivery"),
                ("outbox_dead", "Notices that failed for good (dead letters)"),
                ("outbox_unreachable", "Notices no way could reach"),
                ("outbox_call_tasks", "Notices waiting for the desk to tell by telephone"),
                ("open_issues", "Issues not yet closed"),
                ("overdue_issues", "Open issues past their deadline"),
            ):
                yield GaugeMetricFamily(f"supdesk_{name}", help_text, value=status[name])
            calendar = status["calendar"]
            confirmed = GaugeMetricFamily(
                "supdesk_calendar_confirmed",
                "1 if the year's holidays and make-up working days are confirmed",
                labels=["year"],
            )
            this = int(calendar["today"][:4])
            for year in (this, this + 1):
                confirmed.add_metric([str(year)], float(year in calendar["confirmed_years"]))
            yield confirmed
            group = getattr(ledger, "_group", None)  # the ledger's group commit, if any
            if group is not None:
                yield CounterMetricFamily(
                    "supdesk_group_commit_groups",
                    "Transactions that filed reports handed in one at a time",
                    value=group.groups,
                )
                yield CounterMetricFamily(
                    "supdesk_group_commit_reports",
                    "Reports filed in those transactions",
                    value=group.reports,
                )
            up = GaugeMetricFamily("supdesk_job_up", "1 if a daemon job is running", labels=["job"])
            for job, info in sorted(jobs.items()):
                up.add_metric([job], 1.0 if info.get("state") == "running" else 0.0)
            yield up

    registry = CollectorRegistry()
    registry.register(Collector())
    return bytes(generate_latest(registry))


#: The daemon's own jobs and the built-in channels' in Chinese, for its start-up line.
_JOB_LABELS = {
    "outbox": "通知发送",
    "routine": "催办督办",
    "documents": "通报与评估文书",
    "webhooks": "外部系统事件推送",
    "lmtp": "邮件接收（LMTP）",
    "telegram:getUpdates": "Telegram 机器人",
}
_JOB_PREFIXES = {"imap:": "邮箱 ", "watch:": "热线工单目录 "}


def job_label(name: str) -> str:
    """A job's name for people: ``通知发送``, ``邮箱 desk@example.cn/INBOX``, or the name."""
    if name in _JOB_LABELS:
        return _JOB_LABELS[name]
    for prefix, label in _JOB_PREFIXES.items():
        if name.startswith(prefix):
            return label + name.removeprefix(prefix)
    return name


class Daemon:
    """Runs the jobs of every enabled channel of ``ledger``, and its own, until stopped.

    The daemon knows no channel: it asks the plugin host for the registered channels
    that the centers enable in ``supdesk.toml`` and runs each :class:`~supervision_core.Job`
    they declare (:func:`~supervision_core.channel_jobs`), beside its own outbox,
    routine and documents jobs, and serves the web desk with the routes plugins register.
    """

    def __init__(
        self, ledger: Ledger, web: WebSettings, options: DaemonOptions | None = None
    ) -> None:
        self.ledger = ledger
        self.web = web
        self.options = options or DaemonOptions()
        self.jobs: dict[str, dict[str, Any]] = {}
        self.stop = asyncio.Event()
        self._prepared: dict[str, Job] | None = None

    # ------------------------------------------------------------ supervision

    def _set(self, job: str, state: str, error: str | None = None) -> None:
        self.jobs[job] = {
            "state": state,
            "error": error,
            "since": dt.datetime.now(dt.UTC).isoformat(),
        }

    async def supervise(self, job: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` until the daemon stops; when it fails, report it and retry with backoff."""
        delay = 1.0
        while not self.stop.is_set():
            self._set(job, "running")
            try:
                await run()
                if self.stop.is_set():
                    break
                delay = 1.0
            except Exception as exc:
                message = mask_log_text(f"{type(exc).__name__}: {exc}")
                log.warning("job %s failed: %s; retrying in %.0f s", job, message, delay)
                self._set(job, "retrying", message)
                await self._sleep(delay)
                delay = min(delay * 2, 300)
        self._set(job, "stopped")

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)

    async def _call(self, work: Callable[[], object]) -> None:
        # A coroutine function is awaited on the loop; anything else may block (the
        # ledger, a mailbox) and runs in a worker thread.
        if inspect.iscoroutinefunction(work):
            await work()
            return
        result = await asyncio.to_thread(work)
        if inspect.isawaitable(result):
            await result

    async def run_job(self, job: Job) -> None:
        """Run ``job`` until the daemon stops (one attempt; :meth:`supervise` retries)."""
        try:
            if job.run is not None:
                await job.run(self.stop)
                return
            assert job.poll_once is not None
            await self._poll(job, job.poll_once)
        finally:
            if job.close is not None:
                await self._call(job.close)

    async def _poll(self, job: Job, poll_once: Callable[[], object]) -> None:
        holder = self.options.instance
        # While another daemon holds the lease, look again before it would expire.
        waiting = self.options.lease_seconds / 2
        try:
            while not self.stop.is_set():
                held = not job.lease or await asyncio.to_thread(
                    self.ledger.acquire_lease, job.name, holder, seconds=self.options.lease_seconds
                )
                if held:
                    await self._call(poll_once)
                    await self._sleep(job.every)
                else:
                    await self._sleep(min(job.every, waiting) if job.every else waiting)
        finally:
            if job.lease:
                await asyncio.to_thread(self.ledger.release_lease, job.name, holder)

    # ------------------------------------------------------------ jobs

    def own_jobs(self) -> list[Job]:
        """The daemon's own work: outbox delivery, the routine, the documents."""
        ledger, o = self.ledger, self.options
        return [
            Job(
                name="outbox",
                poll_once=lambda: ledger.deliver_notices(limit=200),
                every=o.outbox_seconds,
            ),
            Job(
                name="webhooks",
                poll_once=self.deliver_webhooks,
                every=o.outbox_seconds,
                lease=True,  # one daemon posts them: no receiver gets a step twice
            ),
            Job(name="routine", poll_once=ledger.run_routine, every=o.routine_seconds),
            Job(name="documents", poll_once=self.prepare_documents, every=3600),
        ]

    def deliver_webhooks(self) -> tuple[int, int]:
        """Queue the overdue events and send the due posts, if anything subscribes at all.

        Without a subscription nothing is queued nor due: the round would only read
        every overdue issue (in a busy ledger, many) to queue them for nobody.
        """
        if not self.ledger.webhooks.list():
            return 0, 0
        return self.ledger.deliver_webhooks(limit=100)

    def channel_jobs(self) -> list[Job]:
        """The jobs of every registered channel that some center enables in ``supdesk.toml``.

        :raises ConfigError: a channel's ``[channels.NAME]`` table is wrong
        :raises PluginError: a channel declared a job twice or answered wrongly
        """
        registry = self.ledger.host.channels()
        enabled = {name for c in self.ledger.settings.centers for name in c.channels}
        jobs: list[Job] = []
        for name in registry.names():
            if name in enabled:
                jobs.extend(channel_jobs(registry[name], self.ledger))
        return jobs

    def check_notifiers(self) -> None:
        """Build every notifier the centers use with its ``[notifiers.NAME]`` table.

        So a wrong table, an unset variable or an unreadable secret file stops the start
        with the file and the key named, instead of failing each delivery later.

        :raises ConfigError: a notifier's table is wrong
        """
        registry = self.ledger.host.notifiers()
        used = {
            n
            for c in self.ledger.settings.centers
            for n in (*c.notifiers, *(m for ms in c.delivery_order.values() for m in ms))
        }
        for name in sorted(used):
            if name in registry:
                registry.configured(name, self.ledger.settings)

    def parts(self) -> list[str]:
        """The parts this daemon will run, named once each: the web desk, then every job.

        Builds the jobs (so a wrong channel or notifier table is raised here, before
        anything starts) and keeps them for :meth:`run`.
        """
        if self._prepared is None:
            self._prepared = self._jobs()
        names = ["网页前台"]
        for name in self._prepared:
            label = job_label(name)
            if label not in names:
                names.append(label)
        return names

    def _jobs(self) -> dict[str, Job]:
        self.check_notifiers()
        jobs: dict[str, Job] = {}
        for job in [*self.own_jobs(), *self.channel_jobs()]:
            if job.name in jobs:
                msg = f"任务名称重复：{job.name}"
                raise PluginError(job.name, msg)
            jobs[job.name] = job
        return jobs

    def prepare_documents(self) -> list[Path]:
        """Prepare the half-year briefings and the annual evaluation on their dates, once.

        Each center's documents go to ``documents_dir/<center>/`` and its staff get a
        notice to review them; a marker in the database keeps this to once per period.
        The evaluation is a draft (a preview, nothing stored): a person publishes it
        (``supdesk evaluate YEAR --center C --publish``) after reviewing it.
        """
        from supervision_core import documents_due, write_briefing_pdf, write_evaluation_xlsx

        ledger = self.ledger
        today = ledger.today()
        written: list[Path] = []
        for kind, period in documents_due(today, ledger.calendar):
            for center in ledger.centers():
                marker = f"prepared:{kind}:{period}:{center.code}"
                if ledger.messengers.cursor(marker) is not None:
                    continue
                folder = self.options.documents_dir / center.code
                folder.mkdir(parents=True, exist_ok=True)
                try:
                    if kind == "briefing":
                        path = write_briefing_pdf(
                            ledger.briefing(center=center.code, period=period),
                            folder / f"{period}-监督工作通报.pdf",
                            on=today,
                        )
                    else:
                        evaluation = ledger.evaluate_year(
                            int(period), center=center.code, actor="daemon:routine"
                        )
                        path = write_evaluation_xlsx(
                            evaluation,
                            folder / f"{period}年度监督员评估（草稿）.xlsx",
                            center_name=center.name,
                            policy_name=ledger.vocabulary().policy_name(evaluation.policy),
                        )
                except Exception as exc:  # a missing font, a full disk: said, retried next hour
                    log.warning(
                        "could not prepare %s %s for %s: %s", kind, period, center.code, exc
                    )
                    continue
                ledger.notify_center(
                    center.code,
                    key=marker,
                    subject=f"【待审阅】{period} {'监督工作通报' if kind == 'briefing' else '年度监督员评估'}",
                    body=(
                        f"已自动生成，请审阅：{path}"
                        if kind == "briefing"
                        else f"已自动生成评估草稿（未发布），请审阅：{path}\n审阅无误后发布："
                        f"supdesk evaluate {period} --center {center.code} --publish"
                    ),
                )
                ledger.messengers.advance_cursor(marker, 1)
                written.append(path)
        return written

    # ------------------------------------------------------------ web

    def monitor_token(self) -> str | None:
        """The secret that opens ``/metrics`` and the full ``/healthz`` from elsewhere.

        :raises ConfigError: ``[desk] metrics_token`` refers to an unset variable or an
            unreadable file
        """
        reference = self.ledger.settings.metrics_token
        if reference is None:
            return None
        return resolve_secret(
            reference, source=self.ledger.settings.source, key="desk.metrics_token"
        )

    def _app(self) -> Any:
        app = create_app(self.ledger, self.web)
        token = self.monitor_token()

        def monitor(request: Request) -> bool:
            # With a token configured, only a request bearing it; without, only one made
            # on this machine and not relayed by a proxy (which would name its client).
            if token is not None:
                given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                return hmac.compare_digest(given.encode(), token.encode())
            host = request.client.host if request.client else ""
            relayed = any(h in request.headers for h in _RELAY_HEADERS)
            return _loopback(host) and not relayed

        async def healthz(request: Request) -> Response:
            try:
                await run_in_threadpool(self.ledger.today)
                await run_in_threadpool(self.ledger.leases)
                database = "ok"
            except Exception as exc:
                database = f"{type(exc).__name__}"
            failing = {k: v for k, v in self.jobs.items() if v["state"] == "retrying"}
            # This year's holidays unknown: no deadline can be counted (degraded); next
            # year's still unknown from 1 November: a warning, status unchanged.
            calendar = self.ledger.calendar_health()
            status = (
                "ok"
                if database == "ok" and not failing and calendar.status != "error"
                else ("degraded" if database == "ok" else "down")
            )
            body: dict[str, Any] = {"status": status}
            if monitor(request):  # the jobs' errors and the instance only to the monitor
                body |= {
                    "database": database,
                    "instance": self.options.instance,
                    "jobs": self.jobs,
                    "calendar": calendar.as_dict(),
                    "warnings": [calendar.message] if calendar.message else [],
                }
            return JSONResponse(body, status_code=503 if status == "down" else 200)

        async def metrics(request: Request) -> Response:
            if not monitor(request):
                return PlainTextResponse(
                    "需要监控令牌（supdesk.toml 的 [desk] metrics_token），或从本机访问。",
                    status_code=403,
                )
            text = await run_in_threadpool(metrics_text, self.ledger, self.jobs)
            return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")

        # The daemon's own health comes first: it replaces the web desk's bare one.
        app.router.routes.insert(0, Route("/healthz", healthz))
        app.router.routes.insert(0, Route("/metrics", metrics))
        return app

    # ------------------------------------------------------------ run

    async def run(self) -> None:
        """Run until SIGTERM, SIGINT or :attr:`stop` is set, then stop cleanly."""
        loop = asyncio.get_running_loop()
        # The channels hand reports to the ledger from worker threads, each waiting for
        # its commit before it answers its sender: enough threads that many wait at once
        # and are committed together (group commit), not the default handful.
        loop.set_default_executor(
            ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="supdesk-worker")
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop.set)
        config = uvicorn.Config(
            self._app(),
            host=self.options.host,
            port=self.options.port,
            log_level="warning",
            proxy_headers=True,
        )
        server = _Server(config)
        # A wrong channel table stops the start, saying what is wrong.
        jobs = self._prepared if self._prepared is not None else self._jobs()
        tasks = [
            asyncio.create_task(self.supervise(name, functools.partial(self.run_job, job)))
            for name, job in jobs.items()
        ]
        web = asyncio.create_task(server.serve())
        self._set("web", "running")
        started = ["web", *(name for name in jobs if name != "web")]
        log.info("daemon %s started: %s", self.options.instance, ", ".join(started))
        await self.stop.wait()
        log.info("daemon stopping: finishing what is in flight")
        server.should_exit = True
        await asyncio.wait([web, *tasks], timeout=60)
        for task in tasks:
            task.cancel()
        self._set("web", "stopped")
        log.info("daemon stopped")

"""A township's plugin distribution, written outside the repository, runs in ``supdesk daemon``.

The distribution is a package and a ``*.dist-info`` folder (METADATA and entry_points.txt
for the ``supervision_desk`` group) on the subprocess's PYTHONPATH, so importlib.metadata
finds it as if pip had installed it. Its channel declares a job that files each text
dropped in the folder named by ``[channels.drop]``; its notifier writes delivered notices
to the file named by ``[notifiers.file-notice]``, with a token referenced from the
environment; a wrapper on ``supervision_report_received`` writes a marker.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]

PLUGIN = '''
"""A township's drop-folder channel and file notifier (a test plugin)."""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from supervision_core import ContactKind, Job, PluginTable, Report, Sender, hookimpl, now_utc


@attrs.frozen
class DropSettings:
    folder: Path
    center: str
    every: float

    @classmethod
    def from_table(cls, table: PluginTable) -> "DropSettings":
        table.only("folder", "center", "every")
        return cls(Path(table.text("folder")), table.text("center"), table.number("every", 1.0))


class DropChannel:
    name = "drop"
    label = "投递目录"
    settings_type = DropSettings

    def jobs(self, ledger, settings):
        def poll_once():
            for path in sorted(settings.folder.glob("*.txt")):
                report = Report(
                    channel="drop", external_id=path.stem, center=settings.center,
                    received_at=now_utc(), sender=Sender(ContactKind.EMAIL, "bateer@example.cn"),
                    text=path.read_text(encoding="utf-8"),
                )
                ledger.receive(report)
                path.rename(path.with_suffix(".filed"))

        return [Job(name="drop:" + str(settings.folder), poll_once=poll_once, every=settings.every)]


@attrs.frozen
class NoticeSettings:
    path: Path
    prefix: str
    token: str

    @classmethod
    def from_table(cls, table: PluginTable) -> "NoticeSettings":
        table.only("path", "prefix", "token")
        return cls(Path(table.text("path")), table.text("prefix"), table.secret("token"))


class FileNotifier:
    name = "file-notice"
    settings_type = NoticeSettings

    def __init__(self, settings=None):
        self.settings = settings

    def configure(self, settings):
        return FileNotifier(settings)

    def deliver(self, notice):
        line = {"prefix": self.settings.prefix, "token": self.settings.token,
                "key": notice.key, "subject": notice.subject}
        with self.settings.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\\n")


@hookimpl
def supervision_register_channels(register):
    register.add(DropChannel())


@hookimpl
def supervision_register_notifiers(register):
    register.add(FileNotifier())


MARKER = Path(__file__).parent / "wrapper-called.txt"


@hookimpl(wrapper=True)
def supervision_report_received(report, result):
    MARKER.write_text(report.external_id, encoding="utf-8")
    return (yield)
'''


def write_distribution(site: Path) -> Path:
    """``township_drop`` and its dist-info, as pip would leave them in site-packages."""
    package = site / "township_drop"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    info = site / "township_drop-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: township-drop\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[supervision_desk]\ndrop = township_drop\n", encoding="utf-8"
    )
    return package


def wait_for(
    check: Callable[[], Any], what: str, proc: subprocess.Popen[str], seconds: float = 60
) -> Any:
    """Poll ``check`` until it answers something true, the daemon dies, or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        if proc.poll() is not None:
            pytest.fail(
                f"the daemon stopped while waiting for {what}: {proc.stderr.read() if proc.stderr else ''}"
            )
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def daemon_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from servers.dovecot import free_port

    tmp = tmp_path_factory.mktemp("plugin-runtime")
    package = write_distribution(tmp / "site")
    drop, notices, db = tmp / "drop", tmp / "notices.jsonl", tmp / "supdesk.db"
    drop.mkdir()
    demo = (ROOT / "src/supervision_core/demo.toml").read_text(encoding="utf-8")
    town = 'channels = ["phone_log", "walk_in", "email"]\nunits = [{ code = "wushenzhao-window"'
    assert town in demo
    demo = demo.replace(
        town, town.replace('"email"]', '"email", "drop"]\nnotifiers = ["file-notice"]')
    )
    config = tmp / "supdesk.toml"
    config.write_text(
        demo
        + textwrap.dedent(f"""
        [channels.drop]
        folder = "{drop}"
        center = "wushenzhao"
        every = 0.2

        [notifiers.file-notice]
        path = "{notices}"
        prefix = "乌审召镇"
        token = {{ env = "DROP_NOTICE_TOKEN" }}
        """),
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SUPDESK_")},
        "PYTHONPATH": os.pathsep.join([str(tmp / "site"), os.environ.get("PYTHONPATH", "")]),
        "DROP_NOTICE_TOKEN": "token-from-the-environment",
    }
    supdesk = [
        str(Path(sys.executable).parent / "supdesk"),
        "--database",
        f"sqlite:///{db}",
        "--config",
        str(config),
    ]
    subprocess.run([*supdesk, "init", "--demo"], check=True, env=env, capture_output=True, cwd=tmp)
    port = free_port()
    proc = subprocess.Popen(
        [*supdesk, "daemon", "--port", str(port), "--outbox-seconds", "0.2", "--insecure-cookies"],
        env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        (drop / "report-1.txt").write_text("窗口工作人员长时间离岗", encoding="utf-8")

        def filed() -> list[tuple[str, str]]:
            with sqlite3.connect(db) as c:
                return c.execute(
                    "SELECT external_id, text FROM report WHERE channel = 'drop'"
                ).fetchall()

        reports = wait_for(filed, "the channel's job to file the report", proc)
        # The job renames the file after ledger.receive returns: wait for that too, or a
        # loaded machine reads the folder in between (CI did once).
        wait_for((drop / "report-1.filed").exists, "the job to mark the file filed", proc)
        lines = wait_for(
            lambda: (
                notices.exists()
                and [json.loads(x) for x in notices.read_text(encoding="utf-8").splitlines()]
            ),
            "the notifier to deliver a notice",
            proc,
        )
        marker = package / "wrapper-called.txt"
        yield {"reports": reports, "notices": lines, "marker": marker, "drop": drop}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_the_plugins_channel_job_files_a_report(daemon_run: dict[str, Any]) -> None:
    assert daemon_run["reports"] == [("report-1", "窗口工作人员长时间离岗")]
    assert (daemon_run["drop"] / "report-1.filed").exists()


def test_the_plugins_notifier_delivers_with_its_settings(daemon_run: dict[str, Any]) -> None:
    (notice, *_) = daemon_run["notices"]
    # The prefix is the table's; the token was referenced and resolved from the environment.
    assert notice["prefix"] == "乌审召镇"
    assert notice["token"] == "token-from-the-environment"
    assert notice["key"] and notice["subject"]


def test_a_wrapper_hookimpl_of_the_plugin_is_called(daemon_run: dict[str, Any]) -> None:
    # PluginHost calls hooks through pm.hook, so a wrapper runs around the others.
    assert daemon_run["marker"].read_text(encoding="utf-8") == "report-1"

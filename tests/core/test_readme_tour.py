"""The README's tour, command by command, on a fresh demo: it must be true.

Each ``$S ...`` line of the README's "A short tour" runs as written (``<number>`` is the
demo's report waiting for screening, ``<id>`` the desk's first call task). A line fails the test on a non-zero exit, on a
traceback, or on English words in its Chinese output other than the technical words
listed here. The long-running ``serve`` and ``daemon`` and a line naming a file of the
reader's own (``<exported.mbox>``) are not run: their start-up checks have their own tests.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from supervision_core import SHANGHAI
from supervision_core.testing import FrozenClock, wait_until

ROOT = Path(__file__).resolve().parents[2]
NOT_RUN = {"serve", "daemon"}
#: Words of the output that are names, formats or protocols, not English prose.
ALLOWED = {
    "csv", "xlsx", "xls", "pdf", "docx", "json", "utf", "gbk", "sqlite", "postgresql", "toml",
    "telegram", "wecom", "wechat", "smtp", "imap", "lmtp", "http", "https", "url", "excel", "word",
    "supdesk", "supervision", "desk", "core", "channels", "web", "daemon", "hookimpl",
    "console", "unit", "demo", "rejects", "hotline", "township", "ledger", "default",
    "markdown", "sqlalchemy", "alembic", "python", "mail", "new", "cli", "operator",
    "user", "actor", "staff", "auditor", "mbox", "sms", "lan", "yyyy",
    "notifiers", "holidays", "workdays", "notice",  # supdesk.toml keys, named as written
}  # fmt: skip


def _tour() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## A short tour", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("$S ")]


def _english(output: str, codes: set[str]) -> list[str]:
    """English words in ``output``: outside names, paths, addresses and codes."""
    # Actors (system:intake, operator:tour) are identifiers recorded as given; a command
    # line quoted (命令 supdesk supervisors show 3) is the command as typed.
    output = re.sub(r"supdesk(?: [\w:.=-]+)*", " ", output)
    # A link code is random letters (绑定码：BAGFRDVS), sometimes a word by chance.
    output = re.sub(r"(?:绑定码：|/link )[A-Z0-9]+", " ", output)
    output = re.sub(r"\b[a-z]+(?:_[a-z0-9]+)+\b", " ", output)  # identifiers: hook names, keys
    scrubbed = re.sub(
        r"\S+@\S+|https?://\S+|\S*[/\\]\S*|\S+\.\w{2,5}\b|[\w.-]+:[\w.@-]+", " ", output
    )
    words = re.findall(r"(?<![\w-])[A-Za-z][A-Za-z_]{2,}(?![\w-])", scrubbed)
    return sorted({w for w in words if w.lower() not in ALLOWED and w not in codes})


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A fresh demo in ``tmp_path/demo`` on SQLite, as scripts/demo makes it, at a fixed time."""
    import supervision_core.ledger as ledger_module
    from supervision_core.cli import cli
    from supervision_core.plugins import PluginHost, get_plugin_manager

    clock = FrozenClock(dt.datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI))
    original = ledger_module.open_ledger

    def at_fixed_time(*args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("clock", clock)
        return original(*args, **kwargs)

    monkeypatch.setattr(ledger_module, "open_ledger", at_fixed_time)
    (tmp_path / "demo").mkdir()
    (tmp_path / "docs").symlink_to(ROOT / "docs")  # `../docs/examples/...` from demo/
    monkeypatch.chdir(tmp_path / "demo")
    for name in ("SUPDESK_DATABASE_URL", "SUPDESK_CONFIG", "SUPDESK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SUPDESK_ACTOR", "operator:tour")
    PluginHost(get_plugin_manager()).register_commands(cli)
    # As scripts/demo: the local mail sink beside the ledger, every center's notices to it.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = subprocess.Popen(
        [sys.executable, "-m", "supervision_daemon.mail_sink", "--maildir", "mail", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: _listening(port) or sink.poll() is not None, timeout=30, what="the sink")
        assert sink.poll() is None, sink.communicate()
        runner = CliRunner()
        done = runner.invoke(cli, ["init", "--demo", "--mail-sink", f"127.0.0.1:{port}"])
        assert done.exit_code == 0, done.output
        yield runner, cli
    finally:
        sink.terminate()
        sink.communicate(timeout=30)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_the_readme_tour_runs_as_written(demo) -> None:  # type: ignore[no-untyped-def]
    import json

    runner, cli = demo
    lines = _tour()
    assert len(lines) > 25, "the tour was not found in README.md"
    listed = json.loads(runner.invoke(cli, ["issues", "list", "--json"]).output)
    number = next(i["number"] for i in listed if i["state"] == "received")
    codes = {i["center"] for i in listed} | {"realty", "market", "social", "tax", "online"}
    ran = 0
    for line in lines:
        command = line.removeprefix("$S ").split("  #", 1)[0].strip()
        if "<id>" in command:  # the desk's call task, as `outbox list --status call_task` shows
            calls = json.loads(
                runner.invoke(cli, ["outbox", "list", "--status", "call_task", "--json"]).output
            )
            assert calls, "the demo has a supervisor only a phone reaches"
            command = command.replace("<id>", str(calls[0]["id"]))
        args = shlex.split(command.replace("<number>", number))
        if args[0] in NOT_RUN or any(a.startswith("<") for a in args):
            continue
        stdin = "tour-password-2026\ntour-password-2026\n" if args[:2] == ["users", "add"] else None
        result = runner.invoke(cli, args, input=stdin)
        where = f"$S {command}\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), where
        assert result.exit_code == 0, where
        assert "Traceback" not in result.output, where
        english = _english(result.output, codes)
        assert not english, f"English words {english} in the output of {where}"
        ran += 1
    assert ran >= 25

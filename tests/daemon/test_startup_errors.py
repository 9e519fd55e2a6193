"""Start-up errors of ``serve``, ``daemon`` and the pollers: one Chinese line, a non-zero exit.

Each runs the real ``supdesk`` in a fresh process, as an operator would, and fails on
a traceback or on anything but one line on stderr. A check that let a server start
would make its test time out, not hang.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from supervision_core.cli import cli

SUPDESK = [sys.executable, "-m", "supervision_core.cli"]
SERVERS = [("serve",), ("daemon",)]
POLLERS = [("email", "poll"), ("telegram", "poll")]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo ledger on SQLite, made once for the module."""
    where = tmp_path_factory.mktemp("startup")
    done = _supdesk(where, "init", "--demo")
    assert done.returncode == 0, done.stderr
    return where


def _supdesk(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPDESK_")}
    env["SUPDESK_SECRET_KEY"] = "x" * 40  # the secret-file test unsets it
    return subprocess.run(
        [*SUPDESK, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _one_chinese_line(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode != 0, done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and lines[0].startswith("错误："), done.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert "受理服务已启动" not in done.stdout and "网页前台：" not in done.stdout


@pytest.mark.parametrize("command", SERVERS)
def test_a_port_in_use(demo_dir: Path, command: tuple[str, ...]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _supdesk(demo_dir, *command, "--port", str(port))
    _one_chinese_line(done, f"端口 {port} 已被占用", "--port")


@pytest.mark.parametrize("command", SERVERS + POLLERS)
def test_a_database_that_does_not_answer(demo_dir: Path, command: tuple[str, ...]) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql://postgres@127.0.0.1:{port}/nothing"
    done = _supdesk(demo_dir, *command, "--database", url)  # after the subcommand, too
    _one_chinese_line(done, "无法连接数据库", f"127.0.0.1:{port}", "请确认数据库已启动")


@pytest.mark.parametrize("command", SERVERS + POLLERS)
def test_an_invalid_configuration(demo_dir: Path, command: tuple[str, ...]) -> None:
    bad = demo_dir / "bad.toml"
    bad.write_text("[[centers]]\ncode = \n", encoding="utf-8")
    done = _supdesk(demo_dir, "--config", str(bad), *command)
    _one_chinese_line(done, "bad.toml", "不是合法的 TOML")


@pytest.mark.parametrize("command", SERVERS)
def test_a_secret_file_that_cannot_be_read(demo_dir: Path, command: tuple[str, ...]) -> None:
    # Root reads any file: a path through a plain file is one nobody can make or read.
    beyond = demo_dir / "supdesk.toml" / "secret.key"
    env_done = subprocess.run(
        [*SUPDESK, *command, "--secret-file", str(beyond), "--port", "1"],
        cwd=demo_dir,
        env={k: v for k, v in os.environ.items() if not k.startswith("SUPDESK_")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    _one_chinese_line(env_done, "无法读取会话密钥文件", str(beyond), "--secret-file")
    assert "Errno" not in env_done.stderr
    folder = demo_dir / "secret-is-a-folder"
    folder.mkdir(exist_ok=True)
    done = _supdesk(demo_dir, *command, "--secret-file", str(folder))
    _one_chinese_line(done, "--secret-file 的值无效", "是一个文件夹")


def test_a_pollers_secret_file_that_cannot_be_read(demo_dir: Path) -> None:
    config = (demo_dir / "supdesk.toml").read_text(encoding="utf-8")
    broken = demo_dir / "telegram.toml"
    missing = demo_dir / "no-such-token"
    broken.write_text(
        config + f'\n[channels.telegram]\ntoken = {{ file = "{missing}" }}\n', encoding="utf-8"
    )
    done = _supdesk(demo_dir, "telegram", "poll", "--config", str(broken))
    _one_chinese_line(done, "无法读取密钥文件", "不存在")


def test_secure_cookies_on_a_shared_address_warn_and_name_the_way_out(
    supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from supervision_core.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.setenv("SUPDESK_SECRET_KEY", "k" * 40)
    assert CliRunner().invoke(cli, ["init", "--demo"]).exit_code == 0
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)  # started: that is all we need
    runner = CliRunner()
    shared = runner.invoke(main_command(main), ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert shared.exit_code == 0, shared.output
    assert "--insecure-cookies" in shared.stderr and "TLS" in shared.stderr
    local = runner.invoke(main_command(main), ["serve", "--port", "0"])
    assert local.exit_code == 0 and local.stderr == ""
    insecure = runner.invoke(
        main_command(main), ["serve", "--host", "0.0.0.0", "--port", "0", "--insecure-cookies"]
    )
    assert insecure.exit_code == 0 and insecure.stderr == ""


def test_the_daemon_names_its_parts_once(
    supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supervision_core.cli import main
    from supervision_daemon.daemon import Daemon

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.setenv("SUPDESK_SECRET_KEY", "k" * 40)
    assert CliRunner().invoke(cli, ["init", "--demo"]).exit_code == 0

    async def no_run(self: Daemon) -> None:
        return None

    monkeypatch.setattr(Daemon, "run", no_run)
    done = CliRunner().invoke(main_command(main), ["daemon", "--port", "0"])
    assert done.exit_code == 0, done.output
    line = next(x for x in done.stdout.splitlines() if x.startswith("受理服务已启动"))
    parts = line.split("；", 1)[1].split("（")[0].split("、")
    assert parts[0] == "网页前台" and "通知发送" in parts and "催办督办" in parts
    assert len(parts) == len(set(parts)), line
    assert "web" not in line


def main_command(main):  # type: ignore[no-untyped-def]
    """The root group with the plugins' commands (serve, daemon) added, as main() adds them."""
    from supervision_core.plugins import PluginHost, get_plugin_manager

    PluginHost(get_plugin_manager()).register_commands(cli)
    return cli

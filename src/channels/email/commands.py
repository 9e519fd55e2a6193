"""The e-mail channel's commands: ``supdesk import email`` and ``supdesk email poll|lmtp``.

Registered through ``supervision_register_commands``; the channel (its IMAP, SMTP and
LMTP clients and servers) loads only when one of these commands runs.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
from pathlib import Path

import click

from channels.shared import import_group
from supervision_core import describe_os_error, hookimpl
from supervision_core.cli import CENTER, current_ledger, emit, json_option, wants_json

__all__ = ["supervision_register_commands"]


@click.command("email")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--center", type=CENTER, help="邮件归入的中心，代码或名称（默认按收件地址或 default_center）。"
)
@json_option
def import_email(path: Path, center: str | None) -> None:
    """导入邮件：一个 .eml 文件、mbox 文件或 Maildir 目录。重复导入不会重复登记。"""
    from channels.email.mailparse import parse_mail
    from channels.email.options import options_of
    from channels.email.reports import center_for, for_its_center, iter_messages, report_from_mail

    ledger = current_ledger()
    options = options_of(ledger)
    if center is not None:
        ledger.center(center)  # an unknown center stops here, before anything is read
    counts = collections.Counter[str]()
    problems = []
    for where, raw in iter_messages(path):
        counts["read"] += 1
        mail_center = center or center_for(parse_mail(raw, options.limits).to, options)
        if mail_center is None:
            problems.append(f"{where}：无法确定中心（请用 --center 指定）")
            counts["skipped"] += 1
            continue
        report = report_from_mail(raw, center=mail_center, options=options)
        result = ledger.receive(for_its_center(ledger, report))
        if result.duplicate_delivery:
            counts["already"] += 1
        elif result.supplement:
            counts["supplements"] += 1
        elif result.quarantine_id is not None:
            counts["quarantined"] += 1
        else:
            counts["filed"] += 1
    data = {
        **{
            k: counts.get(k, 0)
            for k in ("read", "filed", "supplements", "quarantined", "already", "skipped")
        },
        "problems": problems,
    }
    # An import that stored nothing (and found nothing stored before) failed: exit 1.
    failed = data["read"] == data["skipped"]
    if wants_json():
        emit(data)
    else:
        click.echo(
            f"读取 {data['read']} 封：登记 {data['filed']}，补充 {data['supplements']}，"
            f"隔离 {data['quarantined']}，已导入过 {data['already']}，跳过 {data['skipped']}"
        )
        for problem in problems:
            click.echo(problem, err=True)
    if failed:
        click.echo(f"错误：{path.name} 未导入任何邮件。", err=True)
        sys.exit(1)


#: What ``email poll --once`` counts for each mailbox (its ``--json``).
_POLL_COUNTS = ("fetched", "filed", "quarantined", "already")


@click.group(name="email")
def email_group() -> None:
    """电子邮件渠道：收取邮箱、接收服务器投递。"""


@email_group.command("poll")
@click.option("--once", is_flag=True, help="每个邮箱收取一遍后退出。")
@json_option
def email_poll(once: bool) -> None:
    """收取 supdesk.toml 中配置的 IMAP 邮箱。"""
    from channels.email.imap import ImapPoller
    from channels.email.options import options_of
    from channels.email.reports import SenderRate

    ledger = current_ledger()
    options = options_of(ledger)
    if not options.mailboxes:
        raise click.ClickException(
            "没有配置邮箱：请在 supdesk.toml 的 [[channels.email.mailboxes]] 中添加"
        )
    rate = SenderRate(options.rate_per_hour)
    pollers = [ImapPoller(ledger, box, options, rate) for box in options.mailboxes]
    if once:
        done = []
        for poller in pollers:
            result = poller.poll_once()
            box = f"{poller.box.username}@{poller.box.host}/{poller.box.folder}"
            done.append({"mailbox": box, **{k: getattr(result, k) for k in _POLL_COUNTS}})
            if not wants_json():
                click.echo(
                    f"{box}：收取 {result.fetched}，登记 {result.filed}，"
                    f"隔离 {result.quarantined}，已收过 {result.already}"
                )
        if wants_json():
            emit(done)
        return
    stop = threading.Event()
    threads = [threading.Thread(target=p.run, args=(stop,), daemon=True) for p in pollers]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            time.sleep(1)
    except KeyboardInterrupt:
        stop.set()


@email_group.command("lmtp")
@click.option("--smtp", is_flag=True, help="以 SMTP 而不是 LMTP 协议接收。")
def email_lmtp(smtp: bool) -> None:
    """在 [channels.email.lmtp] 配置的地址上接收邮件服务器投递的邮件。"""
    from channels.email.lmtp import LmtpReceiver
    from channels.email.options import options_of

    ledger = current_ledger()
    options = options_of(ledger)
    receiver = LmtpReceiver(ledger, options, smtp=smtp)
    try:
        receiver.start()
    except OSError as exc:
        where = f"{options.lmtp_host}:{options.lmtp_port}"
        msg = (
            f"无法在 {where} 接收邮件：{describe_os_error(exc)}"
            "（端口被占用时，在 supdesk.toml 的 [channels.email.lmtp] 中换一个端口）"
        )
        raise click.ClickException(msg) from exc
    click.echo(
        f"{'SMTP' if smtp else 'LMTP'} 接收：{options.lmtp_host}:{options.lmtp_port}（Ctrl+C 停止）"
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        receiver.stop()


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk import email`` and ``supdesk email poll|lmtp``."""
    import_group(cli).add_command(import_email)
    cli.add_command(email_group)

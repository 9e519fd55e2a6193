"""The e-mail channel: parsing real mail, reports, answers, LMTP, IMAP (a real Dovecot)."""

from __future__ import annotations

import asyncio
import email
import logging
import mailbox
import os
import signal
import smtplib
import subprocess
import sys
import textwrap
import threading
from email.message import EmailMessage
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from channels.email.imap import ImapPoller
from channels.email.lmtp import LmtpReceiver
from channels.email.mailparse import automation_reason, decode_bytes, html_to_text, parse_mail
from channels.email.notifier import EmailNotifier
from channels.email.options import EmailOptions, MailboxOptions
from channels.email.reports import SenderRate, hints_from, report_from_mail
from supervision_core import (
    ContactKind,
    Identity,
    Notice,
    ProblemType,
    QuarantineReason,
    Stage,
    Unreachable,
)
from supervision_core.cli import cli
from supervision_core.demo import demo_settings
from supervision_core.testing import wait_until

MAIL_CORPORA = [
    "cpython-email", "flanker", "spamscope-mail-parser", "kopano-inetmapi",
    "stalwart-mail-parser", "enmime", "ruby-mail", "php-mime-mail-parser", "mime4j",
]  # fmt: skip
NOT_MAIL = {"SOURCE.md", "LICENSE", "LICENSE.txt", "COPYING", "MIT-LICENSE", "NOTICE", "README.md"}
OPTIONS = EmailOptions(
    from_address="jiandu@desk.test", own_addresses=frozenset({"jiandu@desk.test"})
)
SUPERVISOR = "bateer@example.cn"


def corpus_files(shared: Path) -> list[Path]:
    files = []
    for name in MAIL_CORPORA:
        files += [
            p
            for p in sorted((shared / "corpora" / name).rglob("*"))
            if p.is_file() and p.name not in NOT_MAIL
        ]
    return files


def mail(
    body: str = "窗口工作人员态度冷淡，让我往返三次。",
    *,
    sender: str = SUPERVISOR,
    subject: str = "反映问题",
    msgid: str | None = "<m1@example.cn>",
    **headers: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"巴特尔 <{sender}>"
    msg["To"] = "jiandu@desk.test"
    msg["Subject"] = subject
    if msgid:
        msg["Message-ID"] = msgid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


# ---------------------------------------------------------------- parsing


def test_every_corpus_message_parses_and_becomes_a_report_or_quarantine(shared_dir, supdesk_ledger):
    files = corpus_files(shared_dir)
    assert len(files) > 550
    reports = [report_from_mail(p.read_bytes(), center="banner", options=OPTIONS) for p in files]
    results = list(supdesk_ledger.receive_many(reports))
    assert len(results) == len(files)
    for path, report, result in zip(files, reports, results, strict=True):
        # Nobody in the corpora is a registered supervisor: every message is kept aside,
        # with a reason, and the ones that could not be read keep their raw bytes.
        assert result.quarantine_id is not None, path
        if report.quarantine is not None:
            assert report.attachments[-1].filename == "原始邮件.eml"
            assert report.attachments[-1].content == path.read_bytes()
    held = supdesk_ledger.quarantine()
    reasons = {q.reason for q in held}
    assert {
        QuarantineReason.UNMATCHED_SENDER,
        QuarantineReason.AUTOMATED,
        QuarantineReason.UNPARSEABLE,
    } <= reasons


def test_chinese_mail_comes_out_as_chinese(shared_dir):
    corpora = shared_dir / "corpora"
    tencent = parse_mail((corpora / "flanker/messages/charset-gb2312.eml").read_bytes())
    assert tencent.from_name == "腾讯企业邮箱"  # raw 8-bit GB2312 in the header
    assert tencent.subject == "提示：您的企业成员暂时无法登录邮件客户端"
    assert tencent.text.startswith("尊敬的管理员：")
    gb18030 = parse_mail((corpora / "kopano-inetmapi/mails/gb2312_18030.eml").read_bytes())
    assert gb18030.from_name == "梁祐晟"  # labelled gb2312, holding GB18030 characters
    assert gb18030.subject == "讀取: ??排??生?a"
    big5 = parse_mail((corpora / "kopano-inetmapi/mails/big5.eml").read_bytes())
    assert big5.subject == "養樂多線上訂購" and big5.from_name == "養樂多"
    spam9 = parse_mail((corpora / "spamscope-mail-parser/mails/mail_test_9").read_bytes())
    assert spam9.subject.startswith("我把镜头拉近些")
    spam12 = parse_mail((corpora / "spamscope-mail-parser/mails/mail_test_12").read_bytes())
    assert spam12.subject == "代开各地增值税发票"
    assert "增值税发票" in spam12.text and "\ufffd" not in spam12.text
    split = parse_mail((corpora / "kopano-inetmapi/mails/encoded-word-split.eml").read_bytes())
    assert split.subject.startswith("☺")  # one character across three encoded words


@pytest.mark.parametrize(
    ("name", "label"),
    [("gb2312", "gb2312"), ("gbk", "gbk"), ("gbk", "gb2312"), ("gb18030", "gb18030"),
     ("gb18030", "gb2312"), ("big5", "big5"), ("hz", "hz-gb-2312"), ("gb18030", None)],
)  # fmt: skip
def test_cjk_bodies_decode_to_their_utf8_twins(shared_dir, name, label):
    folder = shared_dir / "corpora" / "cpython-cjkencodings"
    body = (folder / f"{name}.txt").read_bytes()
    expected = (folder / f"{name}-utf8.txt").read_text(encoding="utf-8")
    ctype = f"text/plain; charset={label}" if label else "text/plain"
    raw = (
        f"From: a@example.cn\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body
    assert parse_mail(raw).text == expected.strip().replace("\r\n", "\n")


def test_decoding_never_raises_on_bogus_labels():
    assert decode_bytes("监督".encode("gb18030"), "utf-8-purple") == "监督"
    assert decode_bytes("监督".encode(), "x-unknown") == "监督"
    assert decode_bytes(b"\xff\xfe\xfa", "ascii")  # something, never an exception


def test_html_only_mail_becomes_readable_text():
    html = "<html><head><style>p{}</style><script>alert(1)</script></head><body><p>第一段</p><div>第二段<br>换行</div><ul><li>甲</li><li>乙</li></ul></body></html>"
    assert html_to_text(html) == "第一段\n第二段\n换行\n甲\n乙"


def test_attachments_are_kept_with_size_and_checksum_and_oversize_ones_dropped():
    msg = EmailMessage()
    msg["From"] = SUPERVISOR
    msg["Subject"] = "附件"
    msg.set_content("见附件")
    msg.add_attachment(
        b"\xff\xd8\xff" + b"1" * 100, maintype="image", subtype="jpeg", filename="窗口照片.jpg"
    )
    msg.add_attachment(b"x" * 5000, maintype="application", subtype="pdf", filename="大文件.pdf")
    options = attrs.evolve(OPTIONS, limits=attrs.evolve(OPTIONS.limits, max_attachment_bytes=1000))
    report = report_from_mail(msg.as_bytes(), center="banner", options=options)
    (photo,) = report.attachments
    assert (photo.filename, photo.content_type, photo.size) == ("窗口照片.jpg", "image/jpeg", 103)
    assert "大文件.pdf" in report.text and "未保存" in report.text


# ---------------------------------------------------------------- reports


def test_hints_from_subject_tags_and_body_lines():
    hints = hints_from(
        "【受理】【服务态度】不动产窗口", "场所：不动产登记窗口\n类型：来回跑\n其他内容"
    )
    assert hints.stage is Stage.ACCEPTANCE
    assert hints.problem_type is ProblemType.BACK_AND_FORTH  # the body's line comes first
    assert hints.venue == "不动产登记窗口"


def test_a_supervisors_mail_is_filed_once(supdesk_ledger):
    from supervision_core.demo import load_demo

    load_demo(supdesk_ledger)
    report = report_from_mail(mail(), center="wushenzhao", options=OPTIONS)
    first = supdesk_ledger.receive(report)
    assert first.issue_number and first.issue_number.startswith("wushenzhao-2026-")
    again = supdesk_ledger.receive(report_from_mail(mail(), center="wushenzhao", options=OPTIONS))
    assert again.duplicate_delivery and again.issue_id == first.issue_id
    # A message without a Message-ID is known by its bytes.
    bare = mail(msgid=None, body="另一件事：网上办事平台无法上传材料。")
    one = supdesk_ledger.receive(report_from_mail(bare, center="wushenzhao", options=OPTIONS))
    two = supdesk_ledger.receive(report_from_mail(bare, center="wushenzhao", options=OPTIONS))
    assert two.duplicate_delivery and one.report_id == two.report_id


def test_a_reply_is_attached_to_its_issue(supdesk_ledger):
    from supervision_core.demo import load_demo

    load_demo(supdesk_ledger)
    first = supdesk_ledger.receive(report_from_mail(mail(), center="wushenzhao", options=OPTIONS))
    number = first.issue_number
    by_subject = mail(
        "补充：当天是上午十点。",
        subject=f"回复：【政务服务监督】问题 {number} 收到反馈",
        msgid="<m2@example.cn>",
    )
    result = supdesk_ledger.receive(
        report_from_mail(by_subject, center="wushenzhao", options=OPTIONS)
    )
    assert result.supplement and result.issue_id == first.issue_id
    by_reference = mail(
        "再补充一张照片的说明。", subject="Re: 您的反馈", msgid="<m3@example.cn>",
        In_Reply_To=f"<supdesk.{number}.0123456789abcdef@desk.test>",
    )  # fmt: skip
    result = supdesk_ledger.receive(
        report_from_mail(by_reference, center="wushenzhao", options=OPTIONS)
    )
    assert result.supplement and result.issue_id == first.issue_id
    kinds = [e.kind.value for e in supdesk_ledger.history(number)]
    assert kinds == ["received", "supplemented", "supplemented"]
    assert supdesk_ledger.verify(number)
    # Somebody else's reply naming the issue opens nothing in it.
    other = mail(
        "我也遇到了",
        sender="wang.jianguo@example.cn",
        subject=f"Re: 问题 {number}",
        msgid="<m4@example.cn>",
    )
    result = supdesk_ledger.receive(report_from_mail(other, center="wushenzhao", options=OPTIONS))
    assert not result.supplement and result.issue_id != first.issue_id


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Precedence": "bulk"}, "Precedence"),
        ({"List_Id": "<supervisors.example.cn>"}, "邮件列表"),
        ({"X_Supdesk_Notice": "1:2:supervisor"}, "本系统"),
        ({"Return_Path": "<>"}, "退信"),
    ],
)
def test_automatic_mail_is_never_a_report_nor_answered(headers, reason):
    report = report_from_mail(mail(**headers), center="banner", options=OPTIONS)
    assert report.quarantine is QuarantineReason.AUTOMATED
    assert reason in report.quarantine_detail
    own = report_from_mail(mail(sender="jiandu@desk.test"), center="banner", options=OPTIONS)
    assert own.quarantine is QuarantineReason.AUTOMATED
    daemon = parse_mail(mail(sender="MAILER-DAEMON@example.cn"))
    assert automation_reason(daemon, own_addresses=frozenset()) == "退信或系统通知"


def test_a_flood_from_one_sender_is_kept_aside():
    rate = SenderRate(limit=3)
    reports = [
        report_from_mail(mail(msgid=f"<f{n}@x>"), center="banner", options=OPTIONS, rate=rate)
        for n in range(5)
    ]
    assert [r.quarantine for r in reports] == [
        None,
        None,
        None,
        QuarantineReason.TOO_MANY,
        QuarantineReason.TOO_MANY,
    ]
    assert SenderRate(limit=1).allow("a", now=0) and SenderRate(limit=1, window=10).allow(
        "a", now=100
    )


# ---------------------------------------------------------------- answers and LMTP


class Recorder:
    """A local SMTP server (aiosmtpd) that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_recorder():
    from aiosmtpd.controller import Controller

    from servers.dovecot import free_port

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield recorder, controller.port
    controller.stop()


def test_notices_go_out_by_email_and_a_reply_finds_its_issue(
    supdesk_database_url, supdesk_clock, smtp_recorder, tmp_path
):
    from supervision_core import open_ledger
    from supervision_core.demo import load_demo

    recorder, port = smtp_recorder
    base = demo_settings()
    centers = tuple(attrs.evolve(c, notifiers=("email",)) for c in base.centers)
    # The notifier's server comes from [notifiers.email], as in supdesk.toml.
    smtp = {"from_address": "jiandu@desk.test", "host": "127.0.0.1", "port": port}
    settings = attrs.evolve(base, centers=centers, notifier_options={"email": smtp})
    options = EmailOptions(from_address="jiandu@desk.test")
    ledger = open_ledger(supdesk_database_url, settings=settings, create=True, clock=supdesk_clock)
    with ledger:
        load_demo(ledger)
        ledger.deliver_notices(limit=1000)
        recorder.messages.clear()
        result = ledger.receive(report_from_mail(mail(), center="wushenzhao", options=options))
        delivered = ledger.deliver_notices()
        assert delivered.delivered == 1
        (ack,) = recorder.messages
        assert ack["To"] == SUPERVISOR
        assert result.issue_number in ack["Subject"]
        assert ack["Auto-Submitted"] == "auto-replied"
        assert ack["Message-ID"].startswith(f"<supdesk.{result.issue_number}.")
        # The supervisor answers the acknowledgement: the answer joins the issue.
        reply = mail(
            "补充情况",
            subject="Re: "
            + str(email.header.make_header(email.header.decode_header(ack["Subject"]))),
            msgid="<reply@example.cn>",
            In_Reply_To=ack["Message-ID"],
        )
        supplement = ledger.receive(report_from_mail(reply, center="wushenzhao", options=options))
        assert supplement.supplement and supplement.issue_id == result.issue_id
        # Our own acknowledgement coming back (a forward, a loop) is never a report.
        looped = report_from_mail(ack.as_bytes(), center="wushenzhao", options=options)
        assert looped.quarantine is QuarantineReason.AUTOMATED


def test_a_notice_without_an_email_address_is_unreachable_by_email():
    notice = Notice(
        key="1:2:unit",
        center="banner",
        recipient_kind="unit",
        recipient="realty",
        subject="s",
        body="b",
    )
    assert EmailNotifier().message(notice, OPTIONS) is None
    # Said, not passed by quietly: nothing is sent, and the outbox tries the next way.
    with pytest.raises(Unreachable, match="承办单位没有电子邮箱地址"):
        EmailNotifier().deliver(notice)
    phone_only = attrs.evolve(
        notice,
        recipient_kind="supervisor",
        recipient="3",
        addresses=(Identity(ContactKind.PHONE, "13904772345"),),
    )
    with pytest.raises(Unreachable, match="监督员没有登记电子邮箱"):
        EmailNotifier().deliver(phone_only)
    with_address = attrs.evolve(notice, addresses=(Identity(ContactKind.EMAIL, SUPERVISOR),))
    assert EmailNotifier().message(with_address, OPTIONS)["To"] == SUPERVISOR


def test_a_centers_staff_get_their_notices_by_email_and_in_the_inbox(
    supdesk_database_url, supdesk_clock, smtp_recorder
):
    from supervision_core import open_ledger

    recorder, port = smtp_recorder
    base = demo_settings()
    centers = tuple(
        attrs.evolve(c, notifiers=("email",), email="jiandu@wushenzhao.test")
        if c.center.code == "wushenzhao"
        else c
        for c in base.centers
    )
    smtp = {"from_address": "jiandu@desk.test", "host": "127.0.0.1", "port": port}
    settings = attrs.evolve(base, centers=centers, notifier_options={"email": smtp})
    with open_ledger(
        supdesk_database_url, settings=settings, create=True, clock=supdesk_clock
    ) as ledger:
        ledger.notify_center("wushenzhao", key="prepared:briefing:2026H1:wushenzhao",
                             subject="【待审阅】2026H1 监督工作通报", body="已自动生成，请审阅")  # fmt: skip
        ledger.notify_center("galutu", key="prepared:briefing:2026H1:galutu",
                             subject="【待审阅】2026H1 监督工作通报", body="已自动生成，请审阅")  # fmt: skip
        assert ledger.deliver_notices().delivered == 2
        (sent,) = recorder.messages
        assert sent["To"] == "jiandu@wushenzhao.test" and "待审阅" in str(
            email.header.make_header(email.header.decode_header(sent["Subject"]))
        )
        assert "勿回复" in sent.get_payload(decode=True).decode()
        (by_mail,) = ledger.inbox("wushenzhao")
        assert by_mail.transport == "email" and by_mail.read_at is None
        (in_console,) = ledger.inbox("galutu")  # no address: the console's inbox carried it
        assert in_console.status == "delivered" and in_console.transport == "console"


@pytest.fixture
def lmtp(supdesk_ledger):
    from servers.dovecot import free_port
    from supervision_core.demo import load_demo

    load_demo(supdesk_ledger)
    options = attrs.evolve(
        OPTIONS,
        recipients={"wushenzhao@desk.test": "wushenzhao"},
        lmtp_port=free_port(),
        max_message_bytes=200_000,
    )
    receiver = LmtpReceiver(supdesk_ledger, options)
    receiver.start()
    yield options
    receiver.stop()


def test_lmtp_answers_250_after_the_report_is_committed(lmtp, supdesk_ledger):
    with smtplib.LMTP("127.0.0.1", lmtp.lmtp_port) as client:
        refused = client.sendmail(SUPERVISOR, ["wushenzhao@desk.test"], mail())
    assert refused == {}
    (summary,) = [r for r in supdesk_ledger.recent_reports() if r.channel == "email"]
    assert summary.center == "wushenzhao" and summary.issue_number


def test_lmtp_refuses_unknown_recipients_and_oversized_mail(lmtp):
    with smtplib.LMTP("127.0.0.1", lmtp.lmtp_port) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail(SUPERVISOR, ["nobody@desk.test"], mail())
        assert refused.value.recipients["nobody@desk.test"][0] == 550
    big = mail("很长" * 100_000, msgid="<big@example.cn>")
    with (
        smtplib.LMTP("127.0.0.1", lmtp.lmtp_port) as client,
        pytest.raises(smtplib.SMTPException) as too_big,
    ):
        client.sendmail(SUPERVISOR, ["wushenzhao@desk.test"], big)
    assert "552" in str(too_big.value) or getattr(too_big.value, "smtp_code", None) == 552


# ---------------------------------------------------------------- import command


def test_import_email_from_eml_mbox_and_maildir(supdesk_database_url, tmp_path, monkeypatch):
    from supervision_core import PluginHost, get_plugin_manager

    monkeypatch.chdir(tmp_path)
    PluginHost(get_plugin_manager(load_entrypoints=False)).register_commands(cli)
    runner = CliRunner()
    base = ["--database", supdesk_database_url]
    assert runner.invoke(cli, [*base, "init", "--demo"]).exit_code == 0
    (tmp_path / "one.eml").write_bytes(mail(msgid="<e1@x>"))
    box = mailbox.mbox(tmp_path / "box.mbox")
    for n in range(3):
        box.add(mail(f"mbox 第 {n} 封", msgid=f"<b{n}@x>"))
    box.flush()
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    maildir.add(mail("maildir 的一封", msgid="<d1@x>"))
    maildir.add(mail("自动回复", msgid="<d2@x>", Auto_Submitted="auto-replied"))
    for target, expected in [
        ("one.eml", "登记 1"),
        ("box.mbox", "登记 3"),
        ("Maildir", "登记 1，补充 0，隔离 1"),
    ]:
        result = runner.invoke(cli, [*base, "import", "email", target, "--center", "wushenzhao"])
        assert result.exit_code == 0, result.output
        assert expected in result.output
    again = runner.invoke(cli, [*base, "import", "email", "box.mbox", "--center", "wushenzhao"])
    assert "已导入过 3" in again.output
    nowhere = runner.invoke(cli, [*base, "import", "email", "one.eml"])
    assert "无法确定中心" in nowhere.output


# ---------------------------------------------------------------- IMAP (Dovecot)


PASSWORD = "imap-secret-2026"


@pytest.fixture(scope="session")
def dovecot():
    import shutil
    import tempfile

    from servers.dovecot import DOVECOT, Dovecot
    from supervision_core.testing import require

    require(Path(DOVECOT).exists(), f"Debian's dovecot-imapd is not installed ({DOVECOT})")
    # Run as root, Dovecot's own users must reach its files: not under pytest's private
    # (0700) folders. Run as anyone else, it runs as that user alone.
    root = Path(tempfile.mkdtemp(prefix="supdesk-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root, {f"box{n}@desk.test": PASSWORD for n in range(12)}).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


_boxes = iter(range(12))


@pytest.fixture
def imap_box(dovecot):
    from imapclient import IMAPClient

    user = f"box{next(_boxes)}@desk.test"
    client = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False)
    client.login(user, PASSWORD)
    yield user, client
    client.logout()


def box_options(dovecot, user, security="ssl"):
    port = dovecot.imaps_port if security == "ssl" else dovecot.imap_port
    return MailboxOptions(
        center="wushenzhao", host="127.0.0.1", port=port, security=security,
        username=user, password=PASSWORD, cafile=str(dovecot.cafile),
    )  # fmt: skip


def test_imap_poll_files_each_message_once_and_flags_it(dovecot, imap_box, supdesk_ledger):
    from supervision_core.demo import load_demo

    load_demo(supdesk_ledger)
    user, client = imap_box
    for n in range(5):
        client.append("INBOX", mail(f"第 {n} 件：窗口无人", msgid=f"<imap{n}@example.cn>"))
    client.append("INBOX", mail("退信", msgid="<bounce@x>", Return_Path="<>"))
    poller = ImapPoller(supdesk_ledger, box_options(dovecot, user), OPTIONS)
    result = poller.poll_once()
    assert (result.fetched, result.filed, result.quarantined, result.already) == (6, 5, 1, 0)
    client.select_folder("INBOX")
    assert client.search(["NOT", "KEYWORD", "$SupdeskFiled"]) == []
    assert len(client.search(["SEEN"])) == 6
    assert poller.poll_once().fetched == 0  # nothing new
    # STARTTLS on the plain port reads the same way.
    client.append("INBOX", mail("第六件", msgid="<imap6@example.cn>"))
    assert (
        ImapPoller(supdesk_ledger, box_options(dovecot, user, "starttls"), OPTIONS)
        .poll_once()
        .filed
        == 1
    )


def test_a_crash_between_commit_and_flag_reads_again_without_a_second_issue(
    dovecot, imap_box, supdesk_ledger
):
    from supervision_core.demo import load_demo

    load_demo(supdesk_ledger)
    user, client = imap_box
    client.append("INBOX", mail("提交后、标记前崩溃", msgid="<crash@example.cn>"))
    poller = ImapPoller(supdesk_ledger, box_options(dovecot, user), OPTIONS)
    poller._mark = lambda client, uid: (_ for _ in ()).throw(ConnectionError("killed"))  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        poller.poll_once()
    again = ImapPoller(supdesk_ledger, box_options(dovecot, user), OPTIONS).poll_once()
    assert (again.fetched, again.already, again.filed) == (1, 1, 0)
    assert sum(1 for r in supdesk_ledger.recent_reports() if r.channel == "email") == 1


def test_killing_the_poller_mid_batch_loses_and_doubles_nothing(dovecot, imap_box, tmp_path):
    """SIGKILL the real `supdesk email poll` while it works through 400 messages, then
    run it again: every message is in exactly one report, and every one is flagged."""
    import sqlite3

    user, client = imap_box
    total = 400
    for n in range(total):
        client.append(
            "INBOX", mail(f"第 {n} 件", msgid=f"<kill{n}@example.cn>", subject=f"反映 {n}")
        )
    db = tmp_path / "supdesk.db"
    config = tmp_path / "supdesk.toml"
    config.write_text(
        (Path(__file__).parents[2] / "src/supervision_core/demo.toml").read_text(encoding="utf-8")
        + textwrap.dedent(f"""
        [channels.email]
        from_address = "jiandu@desk.test"
        rate_per_hour = 100000

        [[channels.email.mailboxes]]
        center = "wushenzhao"
        host = "127.0.0.1"
        port = {dovecot.imaps_port}
        security = "ssl"
        cafile = "{dovecot.cafile}"
        username = "{user}"
        password = {{ env = "TEST_IMAP_PASSWORD" }}
        """),
        encoding="utf-8",
    )
    env = {**os.environ, "TEST_IMAP_PASSWORD": PASSWORD}
    supdesk = [
        str(Path(sys.executable).parent / "supdesk"),
        "--database",
        f"sqlite:///{db}",
        "--config",
        str(config),
    ]
    subprocess.run([*supdesk, "init", "--demo"], check=True, env=env, capture_output=True)

    def stored() -> int:
        with sqlite3.connect(db) as c:
            return c.execute("SELECT count(*) FROM report WHERE channel = 'email'").fetchone()[0]

    kills = 0
    errors = tmp_path / "stderr.txt"
    for threshold in (60, 180):
        with errors.open("ab") as err:
            proc = subprocess.Popen(
                [*supdesk, "email", "poll", "--once"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        wait_until(lambda threshold=threshold, proc=proc: stored() >= threshold or proc.poll() is not None,
                   timeout=60, what=f"{threshold} messages filed", interval=0.01)  # fmt: skip
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills == 2 and stored() < total, (
        f"the poller ended before it was killed: {errors.read_text()[-3000:]}"
    )
    finish = subprocess.run(
        [*supdesk, "email", "poll", "--once"], env=env, capture_output=True, text=True
    )
    assert finish.returncode == 0, finish.stderr
    with sqlite3.connect(db) as c:
        ids = [r[0] for r in c.execute("SELECT external_id FROM report WHERE channel = 'email'")]
        issues = c.execute(
            "SELECT count(*) FROM issue i JOIN report r ON r.id = i.report_id WHERE r.channel = 'email'"
        ).fetchone()[0]
    assert sorted(ids) == sorted(f"mid:kill{n}@example.cn" for n in range(total))
    assert issues == total
    client.select_folder("INBOX")
    assert client.search(["NOT", "KEYWORD", "$SupdeskFiled"]) == []


class _ImapTrace(logging.Handler):
    """IMAPClient's protocol trace ("> sent", "< received" lines), with an event for IDLE.

    ``idling`` is set once the server has answered an IDLE command with its continuation
    ("+ idling"): from then on, only IDLE can tell the poller that mail arrived.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.idling = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        self.lines.append(line)
        if (
            line.startswith("<")
            and "+ idling" in line
            and any(sent.startswith(">") and sent.endswith(" IDLE'") for sent in self.lines)
        ):
            self.idling.set()


def test_imap_idle_takes_mail_in_as_it_arrives(dovecot, imap_box, supdesk_ledger, supdesk_recorder):
    from supervision_core.demo import load_demo

    load_demo(supdesk_ledger)
    user, client = imap_box
    # Without IDLE the poller would wait poll_seconds (and IDLE itself 30 s) before it
    # looks again: far past the 15 s this test waits for the report.
    box = attrs.evolve(box_options(dovecot, user), poll_seconds=120)
    poller = ImapPoller(supdesk_ledger, box, OPTIONS)
    trace = _ImapTrace()
    protocol = logging.getLogger("imapclient.imaplib")
    level = protocol.level
    protocol.addHandler(trace)
    protocol.setLevel(logging.DEBUG)
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    thread.start()
    try:
        if not trace.idling.wait(15):
            pytest.fail(
                f"the poller never entered IDLE; it sent {[x for x in trace.lines if x[:1] == '>']}"
            )
        idled_at = len(trace.lines)
        client.append("INBOX", mail("空闲时到达的邮件", msgid="<idle@example.cn>"))
        filed = supdesk_recorder.wait_for(
            "supervision_report_received",
            lambda c: c.kwargs["report"].channel == "email",
            timeout=15,
        )
        assert filed.kwargs["report"].external_id == "mid:idle@example.cn"
        # The server told the idling poller about the new message, and the poller read it.
        after = trace.lines[idled_at:]
        assert any(line.startswith("<") and "EXISTS" in line for line in after), after
    finally:
        stop.set()
        protocol.removeHandler(trace)
        protocol.setLevel(level)
        # A change in the folder wakes the idling poller, which then sees ``stop``.
        client.select_folder("INBOX")
        client.add_flags(client.search(), [b"\\Flagged"])
        thread.join(timeout=40)
    assert not thread.is_alive()


def test_the_receiver_also_speaks_smtp(supdesk_ledger):
    import aiosmtplib

    from servers.dovecot import free_port
    from supervision_core.demo import load_demo

    load_demo(supdesk_ledger)
    options = attrs.evolve(
        OPTIONS, recipients={"wushenzhao@desk.test": "wushenzhao"}, lmtp_port=free_port()
    )
    receiver = LmtpReceiver(supdesk_ledger, options, smtp=True)
    receiver.start()
    try:
        message = email.message_from_bytes(mail(msgid="<smtp-mode@example.cn>"))
        errors, response = asyncio.run(
            aiosmtplib.send(
                message,
                hostname="127.0.0.1",
                port=options.lmtp_port,
                recipients=["wushenzhao@desk.test"],
            )
        )
    finally:
        receiver.stop()
    assert errors == {} and " OK " in response  # answered 250 with the issue number
    (summary,) = [r for r in supdesk_ledger.recent_reports() if r.channel == "email"]
    assert summary.issue_number

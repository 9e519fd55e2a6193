"""The semi-annual briefing on both databases: it adds up, it is delivered, its meeting is kept."""

from __future__ import annotations

import datetime as dt
import email
import email.message
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from supervision_core import (
    SHANGHAI,
    ContactKind,
    Identity,
    InvalidInput,
    Ledger,
    NewSupervisor,
    NotFound,
    Notice,
    PluginManager,
    ReceivedLine,
    RectificationTrack,
    Report,
    Revocation,
    Sender,
    Settings,
    hookimpl,
    render_markdown,
)
from supervision_core.cli import cli
from supervision_core.testing import FrozenClock

CENTER = "wushenzhao"
OP = "operator:其木格"


class Recording:
    """A notifier that keeps what it is given."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def deliver(self, notice: Notice) -> None:
        self.sent.append(notice)


@pytest.fixture
def notifier() -> Recording:
    return Recording()


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    centers = tuple(
        attrs.evolve(c, notifiers=("recording",)) if c.center.code == CENTER else c
        for c in supdesk_settings.centers
    )
    return attrs.evolve(supdesk_settings, centers=centers)


@pytest.fixture
def supdesk_plugin_manager(
    supdesk_plugin_manager: PluginManager, notifier: Recording
) -> PluginManager:
    class Plugin:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(notifier)

    supdesk_plugin_manager.register(Plugin(), name="recording-notifier")
    return supdesk_plugin_manager


def _supervisor(ledger: Ledger, name: str, phone: str, center: str = CENTER) -> int:
    return ledger.add_supervisor(
        NewSupervisor(name=name, center=center, identities=[Identity(ContactKind.PHONE, phone)])
    ).id


class _Reports:
    """Reports of the half year, one external id each."""

    def __init__(self, ledger: Ledger, clock: FrozenClock) -> None:
        self.ledger, self.clock, self.n = ledger, clock, 0

    def send(self, phone: str, text: str, *, center: str = CENTER, follows_up: str | None = None):  # type: ignore[no-untyped-def]
        self.n += 1
        return self.ledger.receive(
            Report(
                channel="phone_log",
                external_id=f"call-{self.n}",
                center=center,
                received_at=self.clock(),
                sender=Sender(ContactKind.PHONE, phone),
                text=text,
                follows_up=follows_up,
            )
        )

    def issue(self, phone: str, text: str) -> int:
        result = self.send(phone, text)
        assert result.issue_id is not None, result
        return result.issue_id


def _dispatch(ledger: Ledger, ref: int, unit: str = "wushenzhao-window") -> None:
    ledger.dispatch(ref, unit=unit, responsible_person="高娃", actor=OP)


def _reporter(ledger: Ledger, ref: int) -> str:
    """The actor of the supervisor who reported ``ref``: only they may evaluate it."""
    return f"supervisor:{ledger.issue(ref).supervisor_id}"


def _later(clock: FrozenClock, days: int) -> None:
    clock.set(clock() + dt.timedelta(days=days))


def test_every_report_received_is_in_exactly_one_line(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger, clock = supdesk_ledger, supdesk_clock  # Monday 2026-03-02
    bater = _supervisor(ledger, "巴特尔", "13948770001")
    saren = _supervisor(ledger, "萨仁", "13948770002")
    reports = _Reports(ledger, clock)
    pending = reports.issue("13948770001", "自助机黑屏")  # nobody screened it yet
    petition = reports.issue("13948770001", "我已向信访局反映")
    ledger.not_accept(petition, reason="petition", note="已在信访渠道", actor=OP)
    noise = reports.issue("13948770002", "？？？")
    ledger.not_accept(noise, reason="no_substance", note="无实质内容", actor=OP)
    target = reports.issue("13948770001", "窗口午间无人值守")
    ledger.accept(target, actor=OP)
    duplicate = reports.issue("13948770002", "中午窗口没有人")
    ledger.merge(duplicate, into=target, actor=OP)
    follow_up = reports.send(
        "13948770001", "今天中午仍然无人", follows_up=ledger.issue(target).number
    )
    assert follow_up.supplement
    held = reports.send("13900000001", "群众来电：咨询社保")
    dismissed = reports.send("13900000002", "推销电话")
    ledger.dismiss_quarantined(dismissed.quarantine_id or 0, note="广告", actor=OP)
    released = reports.send("13900000003", "巴特尔用家人手机反映：大厅空调坏了")
    filed = ledger.assign_quarantined(released.quarantine_id or 0, supervisor_id=bater, actor=OP)
    ledger.accept(filed.issue_id or 0, actor=OP)
    assert held.quarantine_id is not None

    immediate = reports.issue("13948770002", "指引牌错字")
    ledger.accept(immediate, actor=OP)
    _dispatch(ledger, immediate)
    ledger.plan(immediate, track="immediate", actor=OP)
    ledger.complete(immediate, evidence="已更换", actor=OP)

    # The late fix: due in two working days, done a week later; the supervisor is not
    # satisfied, a new plan is made and met. Late against the first deadline.
    late = reports.issue("13948770001", "取号机经常卡纸")
    ledger.accept(late, actor=OP)
    _dispatch(ledger, late)
    ledger.plan(late, track="scheduled", measures="更换取号机", days=2, actor=OP)
    first_due = ledger.issue(late).due_on
    _later(clock, 7)
    ledger.complete(late, evidence="已维修", actor=OP)
    ledger.evaluate(late, satisfaction="not_satisfied", actor=_reporter(ledger, late))
    ledger.plan(late, track="scheduled", measures="更换新机", days=10, actor=OP)
    _later(clock, 1)
    ledger.complete(late, evidence="已换新机", actor=OP)
    # The ledger keeps the first missed deadline: the re-plan does not make it on time.
    assert ledger.issue(late).completed_on_time is False
    assert ledger.issue(late).late_working_days
    ledger.evaluate(late, satisfaction="satisfied", actor=_reporter(ledger, late))

    redispatch = reports.issue("13948770002", "不动产窗口让跑三次")
    ledger.accept(redispatch, actor=OP)
    _dispatch(ledger, redispatch)
    ledger.object_dispatch(redispatch, reason="不属于本窗口", actor=OP)
    _dispatch(ledger, redispatch, unit="wushenzhao-window")

    reopened = reports.issue("13948770002", "叫号声音太小")
    ledger.accept(reopened, actor=OP)
    _dispatch(ledger, reopened)
    ledger.plan(reopened, track="immediate", actor=OP)
    ledger.complete(reopened, evidence="已调大", actor=OP)
    ledger.evaluate(reopened, satisfaction="not_satisfied", actor=_reporter(ledger, reopened))

    # Not in the half year, or not in this center: not counted.
    _supervisor(ledger, "苏和", "13948770009", center="tuke")
    reports.send("13948770009", "图克镇的反馈", center="tuke")
    clock.set(dt.datetime(2026, 7, 2, 9, tzinfo=SHANGHAI))
    reports.issue("13948770001", "下半年的反馈")
    assert saren

    b = ledger.briefing(center=CENTER, period="2026H1")
    start, end = dt.datetime(2026, 1, 1, tzinfo=SHANGHAI), dt.datetime(2026, 7, 1, tzinfo=SHANGHAI)
    with ledger.engine.connect() as c:  # the total, straight from the table
        report = sa.table("report", sa.column("center_code"), sa.column("received_at"))
        stored = c.execute(
            sa.select(sa.func.count())
            .select_from(report)
            .where(
                report.c.center_code == CENTER,
                report.c.received_at >= _db_time(ledger, start),
                report.c.received_at < _db_time(ledger, end),
            )
        ).scalar_one()
    assert b.received == stored == 13
    assert b.lines_total == b.received and b.adds_up
    counts = {(line.line.value, line.reason): line.count for line in b.lines}
    assert counts == {
        ("accepted", None): 6,  # target, released, immediate, late, redispatch, reopened
        ("not_accepted", "petition"): 1,
        ("not_accepted", "no_substance"): 1,
        ("pending", None): 1,
        ("merged", None): 1,
        ("follow_up", None): 1,
        ("quarantined", None): 1,  # the held call only: not the dismissed, not the released
        ("dismissed", None): 1,
    }
    assert pending and (b.accepted, b.pending, b.quarantined, b.dismissed) == (6, 1, 1, 1)
    table = {r.track: r for r in b.rectification}
    assert (
        table[RectificationTrack.SCHEDULED].late,
        table[RectificationTrack.SCHEDULED].on_time,
    ) == (1, 0)
    assert first_due is not None and first_due < dt.date(2026, 3, 9)
    assert table[RectificationTrack.IMMEDIATE].on_time == 1
    assert table[RectificationTrack.IMMEDIATE].open_overdue == 1  # reopened, past its first day
    assert table[None].total == 3  # target and the released one accepted; redispatch dispatched
    assert sum(r.total for r in b.rectification) == b.accepted
    assert (b.reopened, b.redispatched, b.closed) == (2, 1, 1)
    assert sum(n for _, n in b.by_month) == b.received

    text = render_markdown(b)
    assert "本期共收到反馈 13 件" in text
    assert "以上合计 13 件，与收到件数 13 件一致。" in text
    assert "以上合计 6 件，与受理件数 6 件一致。" in text
    assert f"{ReceivedLine.DISMISSED.label} 1 件" in text
    assert "限时整改 1 件：按期完成 0，逾期完成 1" in text


def _db_time(ledger: Ledger, moment: dt.datetime) -> object:
    if ledger.engine.dialect.name == "sqlite":
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def _briefings(ledger: Ledger) -> list[Any]:
    return [e for e in ledger.outbox(limit=1000) if e.notice.key.startswith("briefing:")]


def test_sending_puts_one_notice_per_active_supervisor_with_the_pdf_once(
    supdesk_ledger: Ledger, notifier: Recording
) -> None:
    ledger = supdesk_ledger
    active = [_supervisor(ledger, n, f"1394877000{i}") for i, n in enumerate(["巴特尔", "萨仁"])]
    ledger.add_identity(active[0], Identity(ContactKind.EMAIL, "bater@example.cn"))
    suspended = _supervisor(ledger, "哈斯", "13948770005")
    ledger.suspend(suspended, reason="待核实", actor=OP)
    revoked = _supervisor(ledger, "阿拉坦", "13948770006")
    ledger.revoke(
        revoked,
        Revocation(
            on=dt.date(2026, 3, 1), reason="泄露信息", letter_returned=True, card_returned=True
        ),
        actor=OP,
    )
    _supervisor(ledger, "苏和", "13948770009", center="tuke")  # another center's

    first = ledger.send_briefing(center=CENTER, period="2026H1")
    assert (first.supervisors, first.sent, first.already_sent) == (2, 2, 0)
    assert first.notifiers == ("recording",) and first.without_address == ()
    entries = _briefings(ledger)
    assert sorted(int(e.notice.recipient) for e in entries) == sorted(active)
    for entry in entries:
        (pdf,) = entry.notice.attachments
        assert pdf.content_type == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert entry.notice.recipient_kind == "supervisor"
        assert "政务服务监督工作情况通报" in entry.notice.subject
        assert "以上合计 0 件，与收到件数 0 件一致" in entry.notice.body
        assert entry.notice.kind == "briefing" and entry.notice.fields["period"] == "2026H1"

    again = ledger.send_briefing(center=CENTER, period="2026h1")
    assert (again.sent, again.already_sent) == (0, 2)
    assert len(_briefings(ledger)) == 2

    # Appointed since: the next send reaches the newcomer only.
    newcomer = _supervisor(ledger, "其其格", "13948770007")
    third = ledger.send_briefing(center=CENTER, period="2026H1")
    assert (third.sent, third.already_sent) == (1, 2)
    assert [e.notice.recipient for e in _briefings(ledger)].count(str(newcomer)) == 1

    # Delivery hands the notifier the same notice, PDF and addresses included.
    ledger.deliver_notices(limit=1000)
    delivered = [n for n in notifier.sent if n.key.startswith("briefing:")]
    assert len(delivered) == 3
    to_bater = next(n for n in delivered if n.recipient == str(active[0]))
    assert Identity(ContactKind.EMAIL, "bater@example.cn") in to_bater.addresses
    assert to_bater.attachments[0].content.startswith(b"%PDF")


def test_sending_needs_a_notifier_and_supervisors(supdesk_ledger: Ledger) -> None:
    with pytest.raises(InvalidInput, match="没有配置通知方式"):
        supdesk_ledger.send_briefing(center="tuke", period="2026H1")
    with pytest.raises(InvalidInput, match="没有在职的监督员"):
        supdesk_ledger.send_briefing(center=CENTER, period="2026H1")
    with pytest.raises(NotFound, match="没有代码为"):
        supdesk_ledger.send_briefing(center="nowhere", period="2026H1")


def test_the_meeting_is_recorded_and_shown_in_the_briefing(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    a, b, c = (_supervisor(ledger, n, f"1394877001{i}") for i, n in enumerate("甲乙丙"))
    assert ledger.briefing_meeting(center=CENTER, period="2026H1") is None
    meeting = ledger.record_briefing_meeting(
        center=CENTER,
        period="2026h1",
        held_on=dt.date(2026, 7, 10),
        place="乌审召镇便民服务中心会议室",
        chair="其木格",
        attendance={a: "present", b: "present", c: "excused"},
        opinions=["建议增加午间值班", "希望公开整改进度"],
        actor=OP,
    )
    assert meeting.period == "2026H1" and meeting.held_on == dt.date(2026, 7, 10)
    assert (meeting.count("present"), meeting.count("excused"), meeting.count("unexcused")) == (
        2,
        1,
        0,
    )
    # Recording again corrects it: the place, one attendance; the others stay.
    corrected = ledger.record_briefing_meeting(
        center=CENTER,
        period="2026H1",
        held_on=dt.date(2026, 7, 11),
        place="镇政府二楼会议室",
        attendance={c: "unexcused"},
        actor=OP,
    )
    assert corrected.place == "镇政府二楼会议室" and corrected.chair == "其木格"
    assert dict(corrected.attendance) == {a: "present", b: "present", c: "unexcused"}
    assert ledger.briefing_meeting(center=CENTER, period="2026H1") == corrected

    briefing = ledger.briefing(center=CENTER, period="2026H1")
    assert briefing.meeting == corrected
    assert [o.text for o in briefing.opinions] == ["建议增加午间值班", "希望公开整改进度"]
    text = render_markdown(briefing)
    assert "2026年7月11日在镇政府二楼会议室召开通报会，其木格主持" in text
    assert "邀请监督员 3 人，出席 2 人，请假 0 人，无故缺席 1 人" in text
    assert "（2）希望公开整改进度" in text
    assert "丙" not in text  # who missed it is for the staff, not for every supervisor

    with pytest.raises(InvalidInput, match="出席情况只能是"):
        ledger.record_briefing_meeting(
            center=CENTER,
            period="2026H1",
            held_on=dt.date(2026, 7, 10),
            place="会议室",
            attendance={a: "late"},
            actor=OP,
        )
    with pytest.raises(NotFound):
        ledger.record_briefing_meeting(
            center=CENTER,
            period="2026H1",
            held_on=dt.date(2026, 7, 10),
            place="会议室",
            attendance={9999: "present"},
            actor=OP,
        )
    with pytest.raises(InvalidInput, match="早于通报期"):
        ledger.record_briefing_meeting(
            center=CENTER, period="2026H2", held_on=dt.date(2026, 6, 30), place="会议室", actor=OP
        )
    # A refused correction changed nothing.
    assert ledger.briefing_meeting(center=CENTER, period="2026H1") == corrected


# ------------------------------------------------------------------ the command line


@pytest.fixture
def run(supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.setenv("SUPDESK_ACTOR", "operator:cli-test")
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    assert invoke("init", "--demo").exit_code == 0
    return invoke


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _with_email_notifier(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    banner = 'level = "banner"\n'
    assert banner in text
    config.write_text(text.replace(banner, banner + 'notifiers = ["email"]\n', 1), "utf-8")


def test_send_from_the_command_line_once(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    refused = run("briefing", "2026H2", "--center", "banner", "--send")
    assert refused.exit_code == 1 and "没有配置通知方式" in refused.output
    _with_email_notifier(tmp_path / "supdesk.toml")
    active = [
        s["id"]
        for s in _json(run("supervisors", "list", "--json"))
        if s["center"] == "banner" and s["status"] == "active"
    ]
    assert active
    sent = run("briefing", "2026H2", "--center", "banner", "--send")
    assert sent.exit_code == 0, sent.output
    assert f"已放入发送队列：{len(active)} 名监督员" in sent.output
    again = _json(run("briefing", "2026H2", "--center", "banner", "--send", "--json"))
    assert again["delivery"]["sent"] == 0 and again["delivery"]["already_sent"] == len(active)
    assert again["briefing"]["received"] == sum(
        line["count"] for line in again["briefing"]["lines"]
    )
    queued = [
        e
        for e in _json(run("outbox", "list", "--json", "--limit", "500"))
        if e["notice"]["key"].startswith("briefing:banner:2026H2:")
    ]
    assert sorted(int(e["notice"]["recipient"]) for e in queued) == sorted(active)
    # Pending until a delivery round: then the center's notifiers are tried in order.
    assert all(e["status"] == "pending" and e["transport"] is None for e in queued)
    assert all(a["filename"].endswith(".pdf") for e in queued for a in e["notice"]["attachments"])


def test_the_meeting_from_the_command_line(run) -> None:  # type: ignore[no-untyped-def]
    missing = run("briefing", "meeting", "show", "2026H2", "--center", "banner")
    assert missing.exit_code == 1 and "还没有记录" in missing.output
    recorded = run(
        "briefing",
        "meeting",
        "record",
        "2026H2",
        "--center",
        "banner",
        "--date",
        "2026-12-20",
        "--place",
        "旗政务服务中心三楼会议室",
        "--chair",
        "中心主任",
        "--present",
        "1,2",
        "--excused",
        "3",
        "--opinion",
        "建议增加午间值班",
    )
    assert recorded.exit_code == 0, recorded.output
    shown = run("briefing", "meeting", "show", "2026h2", "--center", "banner")
    assert "2026-12-20" in shown.output and "中心主任主持" in shown.output
    assert "出席     2 人" in shown.output and "建议增加午间值班" in shown.output
    data = _json(run("briefing", "meeting", "show", "2026H2", "--center", "banner", "--json"))
    assert data["attendance"] == [[1, "present"], [2, "present"], [3, "excused"]]
    text = run("briefing", "2026H2", "--center", "banner").output  # the old spelling
    assert "召开通报会，中心主任主持。邀请监督员 3 人，出席 2 人" in text
    assert run("briefing", "show", "2026H2", "--center", "banner").output == text
    twice = run(
        "briefing",
        "meeting",
        "record",
        "2026H2",
        "--center",
        "banner",
        "--date",
        "2026-12-20",
        "--place",
        "会议室",
        "--present",
        "1",
        "--unexcused",
        "1",
    )
    assert twice.exit_code == 1 and "重复填写" in twice.output
    bad = run(
        "briefing",
        "meeting",
        "record",
        "2026H2",
        "--center",
        "banner",
        "--date",
        "2026-12-20",
        "--place",
        "会议室",
        "--present",
        "x",
    )
    assert bad.exit_code == 1 and "监督员编号应为数字" in bad.output


# ------------------------------------------------------------------ by e-mail, for real


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def test_the_briefing_arrives_by_email_with_its_pdf(
    supdesk_database_url: str, supdesk_clock: FrozenClock
) -> None:
    from aiosmtpd.controller import Controller

    from servers.dovecot import free_port
    from supervision_core import open_ledger
    from supervision_core.demo import demo_settings

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        base = demo_settings()
        centers = tuple(
            attrs.evolve(c, notifiers=("email",)) if c.center.code == CENTER else c
            for c in base.centers
        )
        smtp = {"from_address": "jiandu@desk.test", "host": "127.0.0.1", "port": controller.port}
        settings = attrs.evolve(base, centers=centers, notifier_options={"email": smtp})
        with open_ledger(
            supdesk_database_url, settings=settings, create=True, clock=supdesk_clock
        ) as ledger:
            who = _supervisor(ledger, "巴特尔", "13948770001")
            ledger.add_identity(who, Identity(ContactKind.EMAIL, "bater@example.cn"))
            delivery = ledger.send_briefing(center=CENTER, period="2026H1")
            assert delivery.sent == 1
            assert ledger.deliver_notices().delivered == 1
    finally:
        controller.stop()
    (message,) = inbox.messages
    assert message["To"] == "bater@example.cn"
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "乌审召镇便民服务中心2026年上半年政务服务监督工作情况通报"
    parts = {part.get_content_type(): part for part in message.walk()}
    body = parts["text/plain"].get_payload(decode=True).decode("utf-8")
    assert "本期共收到反馈 0 件" in body
    pdf = parts["application/pdf"]
    assert pdf.get_filename().endswith("监督工作情况通报.pdf")
    assert pdf.get_payload(decode=True).startswith(b"%PDF")

"""The Telegram channel: the real python-telegram-bot application against a Bot API
stand-in on loopback (tests/servers/botapi.py), driven by scripted conversations."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import attrs
import pytest
from starlette.testclient import TestClient
from telegram import Update

from channels.messenger.conversation import Inbound, step
from channels.telegram.bot import TelegramBot, inbound_from_update
from channels.telegram.settings import TelegramSettings
from supervision_core import ContactKind, Identity, NewSupervisor, Origin
from supervision_core.demo import demo_settings, load_demo
from supervision_core.testing import wait_until

TOKEN = "7000001:AAF-test-token-never-logged-x9Q"
USER = 424242
OTHER = 515151


@pytest.fixture
def botapi():
    from servers.botapi import BotApi

    api = BotApi(TOKEN).start()
    yield api
    api.stop()


def telegram_table(botapi) -> dict:
    """``[channels.telegram]`` as a deployment writes it: secrets referenced, not written."""
    return {
        "token": {"env": "TEST_TELEGRAM_TOKEN"},
        "api": botapi.url,
        "webhook_secret": {"env": "TEST_TELEGRAM_SECRET"},
    }


@pytest.fixture
def supdesk_settings(botapi, monkeypatch):
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_TELEGRAM_SECRET", "webhook-secret-1")
    return attrs.evolve(demo_settings(), channel_options={"telegram": telegram_table(botapi)})


@pytest.fixture
def settings(supdesk_settings):
    return TelegramSettings.from_table(supdesk_settings.plugin_table("channels", "telegram"))


@pytest.fixture
def bateer(supdesk_ledger):
    load_demo(supdesk_ledger)
    return next(s for s in supdesk_ledger.supervisors() if s.name == "巴特尔")


class Script:
    """Plays updates into the real PTB application, one at a time, as Telegram would."""

    def __init__(self, ledger, settings, botapi):
        self.ledger, self.settings, self.api = ledger, settings, botapi
        self.next_id = 1
        self.loop = asyncio.new_event_loop()
        self.bot = TelegramBot(ledger, settings)
        self.loop.run_until_complete(self.bot.start())

    def close(self):
        self.loop.run_until_complete(self.bot.stop())
        self.loop.close()

    def update(self, **body) -> dict:
        update = {"update_id": self.next_id, **body}
        self.next_id += 1
        return update

    def message(self, user=USER, text=None, **extra) -> dict:
        message = {
            "message_id": self.next_id, "date": int(time.time()),
            "chat": {"id": user, "type": "private", "first_name": "巴特尔"},
            "from": {"id": user, "is_bot": False, "first_name": "巴特尔"},
            **({"text": text} if text is not None else {}), **extra,
        }  # fmt: skip
        if text and text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return self.update(message=message)

    def press(self, data, user=USER) -> dict:
        return self.update(
            callback_query={
                "id": str(self.next_id), "chat_instance": "ci", "data": data,
                "from": {"id": user, "is_bot": False, "first_name": "巴特尔"},
                "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": user, "type": "private"}, "text": "…"},
            }
        )  # fmt: skip

    def play(self, update: dict) -> list[str]:
        before = len(self.api.sent())
        self.loop.run_until_complete(self.bot.process(Update.de_json(update, self.bot.bot)))
        return [p["text"] for p in self.api.sent()[before:]]

    def say(self, text, user=USER, **extra) -> list[str]:
        return self.play(self.message(user, text, **extra))


@pytest.fixture
def script(supdesk_ledger, settings, botapi):
    s = Script(supdesk_ledger, settings, botapi)
    yield s
    s.close()


def link(script, supervisor_id, user=USER) -> None:
    code = script.ledger.messengers.issue_link_code(supervisor_id).code
    assert "绑定成功" in script.say(f"/link {code}", user=user)[-1]


# ---------------------------------------------------------------- linking


def test_an_unlinked_account_can_only_link(script, bateer, supdesk_ledger):
    for text in ("/start", "窗口没人", "/report", "/status"):
        (reply,) = script.say(text)
        assert "尚未绑定监督员身份" in reply and "/link" in reply
    assert not [r for r in supdesk_ledger.recent_reports() if r.channel == "telegram"]
    assert "绑定码不正确" in script.say("/link WRONG123")[-1]
    code = supdesk_ledger.messengers.issue_link_code(bateer.id, minutes=5).code
    assert "绑定成功：巴特尔" in script.say(f"/link {code.lower()}")[-1]
    assert "已使用过" in script.say(f"/link {code}", user=OTHER)[-1]
    expired = supdesk_ledger.messengers.issue_link_code(bateer.id, minutes=1).code
    supdesk_ledger.clock.advance(minutes=2)
    assert "已过期" in script.say(f"/link {expired}", user=OTHER)[-1]
    identities = supdesk_ledger.supervisor(bateer.id).identities
    assert Identity(ContactKind.MESSENGER, f"telegram:{USER}") in identities


# ---------------------------------------------------------------- reporting


def test_a_guided_report_with_a_photo(script, bateer, botapi, supdesk_ledger):
    link(script, bateer.id)
    photo = b"\xff\xd8\xff\xe0 photo bytes"
    botapi.add_file("photo-big", "photos/file_1.jpg", photo)
    assert "在哪个中心" in script.say("/report")[-1]
    center_buttons = botapi.sent()[-1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in center_buttons] == ["c:wushenzhao", "c:banner"]
    assert "办事场所" in script.play(script.press("c:wushenzhao"))[-1]
    assert "工作内容" in script.say("不动产登记窗口")[-1]
    assert "办理环节" in script.play(script.press("t:window_staff"))[-1]
    assert "哪类问题" in script.play(script.press("s:acceptance"))[-1]
    assert "怎样发现" in script.play(script.press("p:back_and_forth"))[-1]
    assert "描述经过" in script.play(script.press("m:in_person"))[-1]
    assert "照片" in script.say("上午十点去办理，被要求往返三次补材料。")[-1]
    sizes = [{"file_id": "photo-small", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 10},
             {"file_id": "photo-big", "file_unique_id": "b", "width": 800, "height": 600, "file_size": len(photo)}]  # fmt: skip
    assert "已收到 1 个附件" in script.play(script.message(photo=sizes))[-1]
    summary = script.play(script.press("done"))[-1]
    assert "不动产登记窗口" in summary and "来回跑" in summary and "附件：1 个" in summary
    reply = script.play(script.press("submit"))[-1]
    assert "已登记，编号 wushenzhao-2026-" in reply
    (row,) = [r for r in supdesk_ledger.recent_reports() if r.channel == "telegram"]
    report = supdesk_ledger.report(row.id)
    assert report.text == "上午十点去办理，被要求往返三次补材料。"
    assert (
        report.hints.venue == "不动产登记窗口"
        and report.hints.problem_type.value == "back_and_forth"
    )
    assert report.hints.stage.value == "acceptance" and report.hints.method.value == "in_person"
    assert [a.content for a in report.attachments] == [photo]


def test_quick_reports_and_cancel(script, bateer, botapi, supdesk_ledger):
    link(script, bateer.id)
    assert "已登记，编号" in script.say("窗口工作人员玩手机")[-1]
    botapi.add_file("doc-1", "documents/file_2.pdf", b"%PDF-1.4 receipt")
    doc = {
        "file_id": "doc-1",
        "file_unique_id": "d1",
        "file_name": "收费单据.pdf",
        "mime_type": "application/pdf",
        "file_size": 16,
    }
    assert "已登记" in script.play(script.message(document=doc, caption="多收了 20 元"))[-1]
    script.say("/report")
    assert script.say("/cancel") == ["已取消。"]
    assert script.say("/cancel") == ["当前没有进行中的操作。"]
    rows = [r for r in supdesk_ledger.recent_reports() if r.channel == "telegram"]
    assert len(rows) == 2
    with_doc = supdesk_ledger.report(rows[0].id)
    assert with_doc.text == "多收了 20 元"
    assert (with_doc.attachments[0].filename, with_doc.attachments[0].content_type) == (
        "收费单据.pdf",
        "application/pdf",
    )


def test_status_shows_only_the_supervisors_own_issues(script, bateer, supdesk_ledger):
    link(script, bateer.id)
    script.say("大厅空调坏了")
    listing = script.say("/status")[-1]
    assert "您未办结的问题" in listing
    number = next(
        line.split()[0] for line in listing.splitlines() if line.startswith("wushenzhao-")
    )
    assert f"问题 {number}" in script.say(f"/status {number}")[-1]
    assert f"问题 {number}" in script.say(f"/status {int(number[-5:])}")[-1]
    someone_else = next(i.number for i in supdesk_ledger.issues() if i.supervisor_id != bateer.id)
    assert "没有找到" in script.say(f"/status {someone_else}")[-1]


def test_evaluating_a_rectification_with_buttons(
    script, bateer, botapi, supdesk_ledger, settings, monkeypatch
):
    from channels.telegram.channel import TelegramNotifier

    link(script, bateer.id)
    script.say("窗口没有一次性告知清单")
    (issue,) = [i for i in supdesk_ledger.issues(supervisor=bateer.id) if i.state == "received"][
        -1:
    ]
    op = "test:operator"
    supdesk_ledger.accept(issue.number, actor=op)
    supdesk_ledger.dispatch(
        issue.number, unit="wushenzhao-window", responsible_person="其木格", actor=op
    )
    supdesk_ledger.plan(issue.number, track="immediate", actor=op)
    supdesk_ledger.complete(issue.number, evidence="已张贴清单", actor=op)
    notice = next(
        n
        for n in _notices(supdesk_ledger, issue.id)
        if "整改完成" in n.subject and n.recipient_kind.value == "supervisor"
    )
    TelegramNotifier().configure(settings).deliver(notice)
    sent = botapi.sent()[-1]
    assert sent["chat_id"] in (USER, str(USER)) and "请对整改结果进行评价" in sent["text"]
    buttons = [b["callback_data"] for b in sent["reply_markup"]["inline_keyboard"][0]]
    assert buttons == [
        f"eval:{issue.number}:satisfied",
        f"eval:{issue.number}:basically_satisfied",
        f"eval:{issue.number}:not_satisfied",
    ]
    # Someone else pressing (a forwarded message) cannot evaluate.
    other = supdesk_ledger.add_supervisor(
        NewSupervisor(name="王芳", center="wushenzhao", origin=Origin.TOWNSHIP_HIRED)
    )
    link(script, other.id, user=OTHER)
    assert "只能评价您本人" in script.play(script.press(buttons[0], user=OTHER))[-1]
    assert "已记录您对问题" in script.play(script.press(buttons[0]))[-1]
    assert supdesk_ledger.issue(issue.number).satisfaction.value == "satisfied"
    assert botapi.sent("answerCallbackQuery")


def test_a_supervisor_without_a_linked_account_is_unreachable_by_telegram(bateer, botapi, settings):
    from channels.telegram.channel import TelegramNotifier
    from supervision_core import Notice, Unreachable

    before = len(botapi.sent())
    notice = Notice(key="k", center="wushenzhao", recipient_kind="supervisor",
                    recipient=str(bateer.id), addresses=bateer.identities, subject="s", body="b")  # fmt: skip
    with pytest.raises(Unreachable, match="没有绑定 Telegram"):
        TelegramNotifier().configure(settings).deliver(notice)
    to_center = Notice(key="c", center="banner", recipient_kind="center", recipient="banner",
                       subject="s", body="b")  # fmt: skip
    with pytest.raises(Unreachable):
        TelegramNotifier().configure(settings).deliver(to_center)
    assert len(botapi.sent()) == before  # nothing was sent


def _notices(ledger, issue_id):
    from supervision_core import notices_for

    issue = ledger.issue(issue_id)
    addresses = ledger.supervisor(issue.supervisor_id).identities
    return [n for e in ledger.history(issue_id) for n in notices_for(issue, e, addresses)]


# ---------------------------------------------------------------- robustness


def corpus_updates(shared: Path) -> list[tuple[str, dict]]:
    folder = shared / "corpora" / "telegram"
    found = []
    for path in sorted((folder / "nutgram" / "Updates").glob("*.json")) + sorted(
        (folder / "illemius-telegram_types" / "res").glob("*.json")
    ):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "update_id" not in data:
            data = {"update_id": 1, "message": data}  # the older files are bare messages
        found.append((path.name, data))
    return found


def test_every_real_update_shape_is_handled_or_ignored(
    script, bateer, shared_dir, supdesk_ledger, botapi
):
    updates = corpus_updates(shared_dir)
    assert len(updates) >= 120
    handled = ignored = 0
    for n, (name, data) in enumerate(updates):
        data = {**data, "update_id": 10_000 + n}
        try:
            inbound = inbound_from_update(Update.de_json(data, script.bot.bot))
        except Exception:  # a shape this version of python-telegram-bot cannot read
            inbound = None
        before = len(botapi.sent())
        script.loop.run_until_complete(script.bot.process_json(data))  # never raises
        if inbound is None:
            ignored += 1
            assert len(botapi.sent()) == before, name  # ignored on purpose: no reply
        else:
            handled += 1
    assert handled >= 20 and ignored >= 40


def test_telegram_error_responses_from_the_corpus_are_understood(shared_dir):
    from telegram.error import RetryAfter
    from telegram.request import BaseRequest

    folder = shared_dir / "corpora" / "telegram" / "nutgram" / "Responses"
    too_many = json.loads((folder / "too_many_requests.json").read_text())
    assert too_many["error_code"] == 429 and too_many["parameters"]["retry_after"] > 0
    with pytest.raises(RetryAfter):
        BaseRequest.parse_json_payload(json.dumps(too_many).encode()) and _raise_like_ptb(too_many)


def _raise_like_ptb(payload):
    from telegram.error import RetryAfter

    if payload.get("parameters", {}).get("retry_after"):
        raise RetryAfter(payload["parameters"]["retry_after"])


def test_naughty_strings_are_stored_exactly(script, bateer, shared_dir, supdesk_ledger):
    link(script, bateer.id)
    lines = (shared_dir / "corpora" / "blns" / "blns.txt").read_text(encoding="utf-8").splitlines()
    naughty = [
        line
        for line in lines
        if line.strip() and not line.startswith("#") and not line.startswith("/")
    ]
    for text in naughty:
        script.say(text)
    rows = [r for r in supdesk_ledger.recent_reports(limit=10_000) if r.channel == "telegram"]
    stored = sorted(supdesk_ledger.report(r.id).text for r in rows)
    assert stored == sorted(naughty)


def test_429_is_waited_out(script, bateer, botapi):
    botapi.throttle["sendMessage"] = 1
    start = time.monotonic()
    replies = script.say("/start")  # the refused call is recorded too, then the retry
    assert len(replies) == 2 and "尚未绑定" in replies[-1]
    assert time.monotonic() - start >= 1  # it waited retry_after
    assert [name for name, _ in botapi.calls].count("sendMessage") == 2


def test_the_token_never_reaches_the_logs(script, bateer, botapi, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    script.say("/start")
    script.say("/help")
    assert caplog.records
    assert not [r for r in caplog.records if TOKEN in r.getMessage()]


def test_conversation_rules_without_a_database():
    inbound = Inbound(
        update_id=1,
        account="telegram:1",
        chat="1",
        sent_at=dt.datetime.now(dt.UTC),
        command="report",
    )
    first = step(
        {},
        inbound,
        linked=True,
        centers={"wushenzhao": "乌审召镇", "banner": "旗中心"},
        home_center="wushenzhao",
    )
    assert first.state["stage"] == "center"
    only = step(
        {}, inbound, linked=True, centers={"wushenzhao": "乌审召镇"}, home_center="wushenzhao"
    )
    assert only.state["stage"] == "venue" and only.state["draft"]["center"] == "wushenzhao"
    wrong = step(
        first.state,
        Inbound(
            update_id=2,
            account="telegram:1",
            chat="1",
            sent_at=inbound.sent_at,
            button="c:elsewhere",
        ),
        linked=True,
        centers={"wushenzhao": "乌审召镇"},
        home_center="wushenzhao",
    )
    assert wrong.state == first.state and "请点选" in wrong.replies[0].text


# ---------------------------------------------------------------- webhook


def test_the_webhook_checks_its_secret_and_takes_an_update_once(
    script, bateer, supdesk_ledger, web_app
):
    link(script, bateer.id)
    update = script.message(text="网上办事平台打不开")
    with TestClient(web_app, base_url="https://testserver") as client:
        assert client.post("/telegram/webhook", json=update).status_code == 403
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert client.post("/telegram/webhook", json=update, headers=wrong).status_code == 403
        right = {"X-Telegram-Bot-Api-Secret-Token": "webhook-secret-1"}
        assert client.post("/telegram/webhook", json=update, headers=right).status_code == 200
        assert (
            client.post("/telegram/webhook", json=update, headers=right).status_code == 200
        )  # a retry
        assert (
            client.post("/telegram/webhook", content=b"not json", headers=right).status_code == 400
        )
    texts = [
        supdesk_ledger.report(r.id).text
        for r in supdesk_ledger.recent_reports()
        if r.channel == "telegram"
    ]
    assert texts.count("网上办事平台打不开") == 1


# ---------------------------------------------------------------- crash


def test_killing_the_bot_loses_and_doubles_no_update(botapi, tmp_path):
    """SIGKILL the real `supdesk telegram poll` at moments between receiving and
    committing, twice, then let it finish: every update is one report, none lost."""
    db = tmp_path / "supdesk.db"
    env = {**os.environ, "TEST_TELEGRAM_TOKEN": TOKEN}
    config = tmp_path / "supdesk.toml"
    config.write_text(
        (Path(__file__).parents[2] / "src/supervision_core/demo.toml").read_text(encoding="utf-8")
        + f'\n[channels.telegram]\ntoken = {{ env = "TEST_TELEGRAM_TOKEN" }}\napi = "{botapi.url}"\n',
        encoding="utf-8",
    )
    supdesk = [
        str(Path(sys.executable).parent / "supdesk"),
        "--database",
        f"sqlite:///{db}",
        "--config",
        str(config),
    ]
    subprocess.run(
        [*supdesk, "init", "--demo"], check=True, env=env, capture_output=True, cwd=tmp_path
    )
    code = subprocess.run([*supdesk, "supervisors", "link-code", "3", "--json"], check=True, env=env,
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    link_code = json.loads(code.stdout)["code"]
    total = 300
    updates = [{"update_id": 1, "message": {"message_id": 1, "date": int(time.time()), "text": f"/link {link_code}",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                "chat": {"id": USER, "type": "private"}, "from": {"id": USER, "is_bot": False, "first_name": "巴特尔"}}}]  # fmt: skip
    for n in range(total):
        updates.append({"update_id": 2 + n, "message": {"message_id": 2 + n, "date": int(time.time()), "text": f"第 {n} 件：窗口无人",
                        "chat": {"id": USER, "type": "private"}, "from": {"id": USER, "is_bot": False, "first_name": "巴特尔"}}})  # fmt: skip
    botapi.push(*updates)

    def stored() -> int:
        with sqlite3.connect(db) as c:
            return c.execute("SELECT count(*) FROM report WHERE channel = 'telegram'").fetchone()[0]

    kills = 0
    for threshold in (40, 130):
        proc = subprocess.Popen(
            [*supdesk, "telegram", "poll"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_until(lambda threshold=threshold, proc=proc: stored() >= threshold or proc.poll() is not None,
                   timeout=60, what=f"{threshold} updates filed", interval=0.005)  # fmt: skip
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    assert stored() < total
    proc = subprocess.Popen(
        [*supdesk, "telegram", "poll"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_until(lambda: stored() >= total and botapi.confirmed >= total + 2,
               timeout=120, what="every update filed and confirmed")  # fmt: skip
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    with sqlite3.connect(db) as c:
        ids = [r[0] for r in c.execute("SELECT external_id FROM report WHERE channel = 'telegram'")]
        texts = sorted(
            r[0] for r in c.execute("SELECT text FROM report WHERE channel = 'telegram'")
        )
    assert kills == 2
    assert len(ids) == len(set(ids)) == total
    assert texts == sorted(f"第 {n} 件：窗口无人" for n in range(total))
    assert botapi.confirmed == total + 2  # every update was confirmed to "Telegram"


def test_set_webhook_sends_the_url_and_the_secret(script, botapi):
    script.loop.run_until_complete(
        script.bot.set_webhook("https://desk.example.cn/telegram/webhook")
    )
    (call,) = botapi.sent("setWebhook")
    assert call["url"] == "https://desk.example.cn/telegram/webhook"
    assert call["secret_token"] == "webhook-secret-1"
    assert call["allowed_updates"] == ["message", "callback_query"]

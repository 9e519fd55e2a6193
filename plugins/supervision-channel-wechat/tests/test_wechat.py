"""The WeChat channel against a WeChat server stand-in on loopback (standin.py).

Callbacks are encrypted and signed with the real algorithm; wechatpy's clients are
pointed at the stand-in through the ``api`` setting. Every test that touches the
database runs on SQLite and on PostgreSQL (``supdesk_ledger``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import attrs
import pytest
import supervision_channel_wechat as plugin
from standin import JPEG, WeChatStandIn
from starlette.testclient import TestClient
from supervision_channel_wechat.callback import NonceCache
from supervision_channel_wechat.notifier import WeChatNotifier
from supervision_channel_wechat.settings import WeChatSettings

from supervision_core import (
    ContactKind,
    Identity,
    NewSupervisor,
    Notice,
    Revocation,
    Unreachable,
    get_plugin_manager,
)
from supervision_core.testing import FrozenClock

APP_ID = "wx5823bf96d3bd56c7"
SECRET = "standin-secret-never-logged"
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
USER = "oia2TjjewbmiOUlr6X-1crbLOvLw"
CORPORA = Path("/work/shared/corpora/wechatpy")


def _corpora() -> Path:
    import os

    shared = os.environ.get("SUPDESK_TEST_SHARED")
    return Path(shared) / "corpora/wechatpy" if shared else CORPORA


@pytest.fixture(scope="module")
def standin():
    api = WeChatStandIn(
        kind="official_account", app_id=APP_ID, secret=SECRET, token=TOKEN, aes_key=AES_KEY
    ).start()
    yield api
    api.stop()


@pytest.fixture(autouse=True)
def _fresh_standin(standin):
    standin.sent.clear()
    standin.media.clear()
    standin.last_message.clear()
    standin.fail_next.clear()
    standin.media_gate.set()
    standin.media_asked.clear()
    yield
    standin.media_gate.set()


def table(standin, **extra) -> dict:
    return {
        "kind": "official_account",
        "app_id": APP_ID,
        "secret": {"env": "TEST_WECHAT_SECRET"},
        "token": {"env": "TEST_WECHAT_TOKEN"},
        "encoding_aes_key": {"env": "TEST_WECHAT_AES"},
        "api": standin.url,
        "oauth_url": f"{standin.url}/connect/oauth2/authorize",
        "templates": {"completed": "TPL-completed-1", "accepted": "TPL-accepted-1"},
        "reply_within": 1.0,
        **extra,
    }


@pytest.fixture
def supdesk_plugin_manager():
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin, name="wechat")
    return pm


@pytest.fixture
def supdesk_settings(standin, monkeypatch):
    from supervision_core.demo import demo_settings

    monkeypatch.setenv("TEST_WECHAT_SECRET", SECRET)
    monkeypatch.setenv("TEST_WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_WECHAT_AES", AES_KEY)
    settings = demo_settings()
    centers = tuple(attrs.evolve(c, notifiers=("wechat",)) for c in settings.centers)
    return attrs.evolve(
        settings,
        centers=centers,
        channel_options={"wechat": table(standin)},
        notifier_options={"wechat": table(standin)},
    )


@pytest.fixture
def settings(supdesk_settings):
    return WeChatSettings.from_table(supdesk_settings.plugin_table("channels", "wechat"))


@pytest.fixture
def client(supdesk_ledger):
    from supervision_web import WebSettings, create_app

    with TestClient(
        create_app(supdesk_ledger, WebSettings(secret_key="k" * 48)), base_url="https://testserver"
    ) as c:
        yield c


@pytest.fixture
def supervisor(supdesk_ledger):
    return supdesk_ledger.add_supervisor(
        NewSupervisor(
            name="巴特尔", center="banner", identities=[Identity(ContactKind.PHONE, "13912345678")]
        )
    )


class Phone:
    """A WeChat user's phone: each message goes through the stand-in to the callback."""

    def __init__(self, standin, client, clock: FrozenClock, user: str = USER) -> None:
        self.standin, self.client, self.clock, self.user = standin, client, clock, user
        self.msg_id = 6054768590064713728
        self.answered: set[int] = set()

    def post(
        self,
        xml: str,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        query: str | None = None,
    ):
        ts = int(self.clock().timestamp()) if timestamp is None else timestamp
        q, body = self.standin.callback(xml, timestamp=ts, nonce=nonce)
        return self.client.post(f"/wechat/callback?{query or q}", content=body), q

    def say(self, text: str, *, msg_id: int | None = None) -> str:
        if msg_id is None:
            self.msg_id += 1
            msg_id = self.msg_id
        xml = self.standin.text(self.user, text, msg_id, int(self.clock().timestamp()))
        sent_before = len(self.standin.sent)
        # As WeChat does: a callback left unanswered (a slow handling, a loaded machine)
        # is sent again with the same MsgId, up to three times in all.
        for _ in range(3):
            response, q = self.post(xml)
            assert response.status_code == 200, response.text
            if response.text != "success":
                self.answered.add(msg_id)
                return self.standin.decrypt_reply(response.content, q)["Content"]
        # Every try went unanswered: a reply too late for them comes as a
        # customer-service message (a repeated MsgId gets none).
        if msg_id in self.answered:
            return ""
        self.answered.add(msg_id)
        from supervision_core.testing import wait_until

        def late() -> list[str]:
            return [
                b["text"]["content"]
                for endpoint, b in self.standin.sent[sent_before:]
                if endpoint == "message/custom/send"
            ]

        wait_until(lambda: bool(late()), timeout=10, what="the late reply")
        return str(late()[0])


@pytest.fixture
def phone(standin, client, supdesk_clock):
    return Phone(standin, client, supdesk_clock)


def link(phone, ledger, supervisor_id) -> None:
    code = ledger.messengers.issue_link_code(supervisor_id).code
    assert "绑定成功" in phone.say(f"绑定 {code}")


def wechat_reports(ledger):
    return [ledger.report(r.id) for r in ledger.recent_reports() if r.channel == "wechat"]


# ---------------------------------------------------------------- the callback's guard


def test_the_url_is_verified_with_the_official_accounts_signature(client, supdesk_clock):
    import hashlib

    ts, nonce = str(int(supdesk_clock().timestamp())), "1514711492"
    good = hashlib.sha1("".join(sorted([TOKEN, ts, nonce])).encode()).hexdigest()
    answer = client.get(
        "/wechat/callback",
        params={
            "signature": good,
            "timestamp": ts,
            "nonce": nonce,
            "echostr": "5837397520665436492",
        },
    )
    assert answer.status_code == 200 and answer.text == "5837397520665436492"
    bad = client.get(
        "/wechat/callback",
        params={"signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": "x"},
    )
    assert bad.status_code == 403


def test_a_bad_signature_or_a_stale_timestamp_is_refused_and_files_nothing(
    phone, supervisor, supdesk_ledger, supdesk_clock
):
    link(phone, supdesk_ledger, supervisor.id)
    xml = phone.standin.text(USER, "大厅空调坏了", 7001, int(supdesk_clock().timestamp()))
    query, body = phone.standin.callback(xml, timestamp=int(supdesk_clock().timestamp()))
    forged = query.replace("msg_signature=", "msg_signature=0")
    assert phone.client.post(f"/wechat/callback?{forged}", content=body).status_code == 403
    stale, _ = phone.post(xml, timestamp=int(supdesk_clock().timestamp()) - 301)
    assert stale.status_code == 403
    future, _ = phone.post(xml, timestamp=int(supdesk_clock().timestamp()) + 301)
    assert future.status_code == 403
    assert (
        phone.client.post("/wechat/callback", content=body).status_code == 403
    )  # no signature at all
    assert wechat_reports(supdesk_ledger) == []


def test_a_replayed_nonce_with_another_body_is_refused(
    phone, supervisor, supdesk_ledger, supdesk_clock
):
    link(phone, supdesk_ledger, supervisor.id)
    ts = int(supdesk_clock().timestamp())
    first, _ = phone.post(phone.standin.text(USER, "第一件", 7101, ts), nonce="samenonce")
    assert first.status_code == 200
    second, _ = phone.post(phone.standin.text(USER, "第二件", 7102, ts), nonce="samenonce")
    assert second.status_code == 403
    assert [r.text for r in wechat_reports(supdesk_ledger)] == ["第一件"]


def test_the_nonce_cache_tells_a_retry_from_a_replay():
    cache = NonceCache()
    assert cache.fresh("1", "n", "body-a", now=1000, window=300)
    assert cache.fresh("1", "n", "body-a", now=1001, window=300)  # WeChat retrying
    assert not cache.fresh("1", "n", "body-b", now=1002, window=300)
    assert cache.fresh("1", "n", "body-b", now=2000, window=300)  # long forgotten


# ---------------------------------------------------------------- reports


def test_an_encrypted_text_from_a_linked_supervisor_files_an_issue_in_time(
    phone, supervisor, supdesk_ledger
):
    link(phone, supdesk_ledger, supervisor.id)
    started = time.monotonic()
    answer = phone.say("不动产登记窗口中午无人值守，群众等了一个多小时。")
    took = time.monotonic() - started
    assert took < 5.0, took  # WeChat waits 5 s for the answer
    assert "已登记，编号" in answer
    reply = phone.standin.last_reply
    assert (
        reply["FromUserName"] == "gh_3c884a361561"
        and reply["ToUserName"] == USER
        and reply["MsgType"] == "text"
    )
    (report,) = wechat_reports(supdesk_ledger)
    assert report.text == "不动产登记窗口中午无人值守，群众等了一个多小时。"
    assert report.external_id == f"wechat:{phone.msg_id}"
    issues = supdesk_ledger.issues(supervisor=supervisor.id)
    assert len(issues) == 1 and issues[0].number in answer


def test_the_outbox_tells_the_supervisor_through_wechat(phone, supervisor, supdesk_ledger, standin):
    link(phone, supdesk_ledger, supervisor.id)
    answer = phone.say("办事指南与窗口要求的材料不一致。")
    (issue,) = supdesk_ledger.issues(supervisor=supervisor.id)
    standin.clock = max(standin.last_message.values()) + 3600  # an hour later: within 48 hours
    supdesk_ledger.deliver_notices()
    sent = [body for endpoint, body in standin.sent if endpoint == "message/custom/send"]
    assert sent and all(b["touser"] == USER for b in sent)
    assert any(issue.number in b["text"]["content"] for b in sent), (answer, sent)


def test_the_same_msgid_twice_files_once(phone, supervisor, supdesk_ledger):
    link(phone, supdesk_ledger, supervisor.id)
    first = phone.say("社保窗口系统故障，无法办理。", msg_id=88001)
    again = phone.say(
        "社保窗口系统故障，无法办理。", msg_id=88001
    )  # a retry: new nonce, same MsgId
    assert "已登记" in first and again == ""
    assert len(wechat_reports(supdesk_ledger)) == 1
    assert len(supdesk_ledger.issues(supervisor=supervisor.id)) == 1


def test_a_photo_arrives_as_an_attachment(phone, supervisor, supdesk_ledger, supdesk_clock):
    link(phone, supdesk_ledger, supervisor.id)
    phone.standin.media["MEDIA_photo_1"] = (JPEG, "image/jpeg")
    response, q = phone.post(
        phone.standin.image(USER, "MEDIA_photo_1", 99001, int(supdesk_clock().timestamp()))
    )
    assert "已登记" in phone.standin.decrypt_reply(response.content, q)["Content"]
    (report,) = wechat_reports(supdesk_ledger)
    (attachment,) = report.attachments
    assert attachment.content == JPEG and attachment.content_type == "image/jpeg"
    assert attachment.filename.endswith(".jpg")


def test_a_slow_photo_is_answered_by_wechats_retry_once_filed(
    phone, supervisor, supdesk_ledger, supdesk_clock, caplog
):
    import logging
    import threading

    from supervision_core.testing import wait_until

    caplog.set_level(logging.INFO, logger="supervision_channel_wechat.callback")
    link(phone, supdesk_ledger, supervisor.id)
    phone.standin.media["MEDIA_slow"] = (JPEG, "image/jpeg")
    phone.standin.media_gate.clear()  # the API is slow: media/get hangs until released
    xml = phone.standin.image(USER, "MEDIA_slow", 99101, int(supdesk_clock().timestamp()))
    answers: dict[str, object] = {}
    first = threading.Thread(target=lambda: answers.update(first=phone.post(xml)))
    first.start()
    wait_until(
        lambda: "left to a retry" in caplog.text, timeout=10, what="the first try to time out"
    )
    assert wechat_reports(supdesk_ledger) == []  # nothing answered, nothing filed yet
    retry = threading.Thread(target=lambda: answers.update(retry=phone.post(xml)))  # WeChat's retry
    retry.start()
    wait_until(
        lambda: "joins its handling in flight" in caplog.text, timeout=10, what="the retry to join"
    )
    phone.standin.media_gate.set()
    first.join(10)
    retry.join(10)
    (response, q) = answers["retry"]
    assert "已登记" in phone.standin.decrypt_reply(response.content, q)["Content"]
    assert answers["first"][0].text == "success"  # too late for the first try: no second answer
    (report,) = wechat_reports(supdesk_ledger)
    assert report.attachments[0].content == JPEG
    assert phone.standin.sent == []  # answered passively, not again through the API


def test_when_every_try_timed_out_the_reply_goes_as_a_customer_service_message(
    phone, supervisor, supdesk_ledger, supdesk_clock, caplog
):
    import logging
    import threading

    from supervision_core.testing import wait_until

    caplog.set_level(logging.INFO, logger="supervision_channel_wechat.callback")
    link(phone, supdesk_ledger, supervisor.id)
    phone.standin.media["MEDIA_slow2"] = (JPEG, "image/jpeg")
    phone.standin.media_gate.clear()
    xml = phone.standin.image(USER, "MEDIA_slow2", 99201, int(supdesk_clock().timestamp()))
    answers: dict[str, object] = {}
    only = threading.Thread(target=lambda: answers.update(only=phone.post(xml)))
    only.start()
    wait_until(lambda: "left to a retry" in caplog.text, timeout=10, what="the try to time out")
    phone.standin.media_gate.set()
    only.join(10)
    assert answers["only"][0].text == "success"
    wait_until(lambda: phone.standin.sent, timeout=10, what="the late reply")
    ((endpoint, body),) = phone.standin.sent
    assert endpoint == "message/custom/send" and "已登记" in body["text"]["content"]
    assert len(wechat_reports(supdesk_ledger)) == 1


def test_an_unlinked_user_is_told_how_to_link_and_nothing_is_filed(phone, supdesk_ledger):
    answer = phone.say("窗口人员态度差")
    assert "尚未绑定" in answer and "发送：绑定 绑定码" in answer and "/link" not in answer
    assert wechat_reports(supdesk_ledger) == []
    assert "绑定码不正确" in phone.say("绑定 WRONGCODE")


def test_a_revoked_supervisors_message_is_quarantined(
    phone, supervisor, supdesk_ledger, supdesk_clock
):
    link(phone, supdesk_ledger, supervisor.id)
    supdesk_ledger.revoke(
        supervisor.id,
        Revocation(
            on=supdesk_clock().date(),
            reason="聘期内调离",
            letter_returned=True,
            card_returned=True,
            override="工作调动，旗政务服务中心决定",
        ),
        actor="test",
    )
    answer = phone.say("我还想反映一件事")
    assert "待工作人员核实" in answer
    assert supdesk_ledger.issues(supervisor=supervisor.id) == []
    assert [q.reason.value for q in supdesk_ledger.quarantine()] == ["revoked_sender"]


def test_the_guided_dialog_with_numbered_choices_status_and_evaluation(
    phone, supervisor, supdesk_ledger
):
    link(phone, supdesk_ledger, supervisor.id)
    menu = phone.say("反映")
    assert "1." in menu  # the center (or the venue) as numbered lines
    if "在哪个中心" in menu:
        menu = phone.say("1")
    assert "办事场所" in menu
    assert "工作内容" in phone.say("政务大厅三号窗口")
    assert "办理环节" in phone.say("1")
    assert "哪类问题" in phone.say("1")
    assert "怎样发现" in phone.say("8")  # 服务态度
    assert "经过" in phone.say("1")
    assert "照片" in phone.say("上午十点窗口无人。")
    summary = phone.say("完成")
    assert "请确认" in summary and "政务大厅三号窗口" in summary
    assert "已登记" in phone.say("1")  # 1. 提交
    (issue,) = supdesk_ledger.issues(supervisor=supervisor.id)
    report = wechat_reports(supdesk_ledger)[0]
    assert report.text == "上午十点窗口无人。" and report.hints.venue == "政务大厅三号窗口"
    assert report.hints.problem_type is not None
    status = phone.say("查询")
    assert issue.number in status
    assert "未能记录评价" in phone.say(
        f"评价 {issue.number} 满意"
    )  # not completed yet: refused in Chinese


def test_a_supervisor_evaluates_a_completed_fix_by_replying(
    phone, supdesk_ledger, notifier, standin
):
    from supervision_core.demo import load_demo

    load_demo(supdesk_ledger)
    bateer = next(s for s in supdesk_ledger.supervisors() if s.name == "巴特尔")
    link(phone, supdesk_ledger, bateer.id)
    assert "已登记" in phone.say("窗口没有一次性告知清单")
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
    # The notice asking for the evaluation says how to answer it.
    standin.clock = max(standin.last_message.values())
    notifier.deliver(
        attrs.evolve(notice("completed", number=issue.number), fields={"number": issue.number})
    )
    assert f"评价 {issue.number} 满意" in standin.sent[-1][1]["text"]["content"]
    assert "已记录您对问题" in phone.say(f"评价 {issue.number} 基本满意")
    assert supdesk_ledger.issue(issue.number).satisfaction.value == "basically_satisfied"


# ---------------------------------------------------------------- the corpus


MESSAGES = {"text", "image", "voice", "video", "shortvideo", "location", "link"}


@pytest.mark.parametrize("folder", ["callbacks-mp", "callbacks-work"])
def test_every_callback_of_the_corpus_is_handled_without_error(
    folder, phone, supervisor, supdesk_ledger
):
    """As sent (strangers: told how to link, nothing filed), then from a linked supervisor
    (each message a report, each event handled or ignored, never an error)."""
    import re

    import xmltodict

    files = sorted((_corpora() / folder).glob("*.xml"))
    assert len(files) > 20, "the corpus is missing"
    for path in files:
        response, q = phone.post(path.read_text(encoding="utf-8"))
        assert response.status_code == 200, (path.name, response.text)
        if response.text != "success":
            assert "尚未绑定" in phone.standin.decrypt_reply(response.content, q)["Content"], (
                path.name
            )
    assert wechat_reports(supdesk_ledger) == []

    link(phone, supdesk_ledger, supervisor.id)
    expected = 0
    for n, path in enumerate(files):
        xml = path.read_text(encoding="utf-8")
        xml = re.sub(
            r"<FromUserName><!\[CDATA\[.*?\]\]></FromUserName>",
            f"<FromUserName><![CDATA[{USER}]]></FromUserName>",
            xml,
        )
        xml = re.sub(r"<MsgI[dD]>\d+</MsgI[dD]>", f"<MsgId>{5_000_000 + n}</MsgId>", xml)
        message = xmltodict.parse(xml)["xml"]
        if message.get("MediaId"):
            phone.standin.media[message["MediaId"]] = (JPEG, "image/jpeg")
        response, q = phone.post(xml)
        assert response.status_code == 200, (path.name, response.text)
        kind = message["MsgType"].lower()
        if kind in MESSAGES:
            expected += 1
            assert "已登记" in phone.standin.decrypt_reply(response.content, q)["Content"], (
                path.name
            )
        elif response.text != "success":  # an event that is handled: subscribe, a menu click
            assert phone.standin.decrypt_reply(response.content, q)["Content"], path.name
    reports = wechat_reports(supdesk_ledger)
    assert len(reports) == expected >= 6
    assert all(r.text.strip() for r in reports)


def test_the_wecom_crypto_vectors_verify_and_decrypt(tmp_path):
    import datetime as dt

    from supervision_core import open_ledger
    from supervision_core.demo import demo_settings
    from supervision_web import WebSettings, create_app

    vectors = json.loads((_corpora() / "crypto-vectors-work.json").read_text(encoding="utf-8"))
    options = {
        "kind": "wecom",
        "app_id": vectors["corp_id"],
        "agent_id": 1,
        "secret": {"env": "TEST_WECHAT_SECRET"},
        "token": {"env": "TEST_VECTOR_TOKEN"},
        "encoding_aes_key": {"env": "TEST_VECTOR_AES"},
    }
    import os

    os.environ["TEST_VECTOR_TOKEN"], os.environ["TEST_VECTOR_AES"] = (
        vectors["token"],
        vectors["encoding_aes_key"],
    )
    os.environ.setdefault("TEST_WECHAT_SECRET", SECRET)
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin, name="wechat")
    check = vectors["url_verification"]
    clock = FrozenClock(dt.datetime.fromtimestamp(int(check["timestamp"]), dt.UTC))
    ledger = open_ledger(f"sqlite:///{tmp_path / 'v.db'}", settings=attrs.evolve(demo_settings(), channel_options={"wechat": options}),
                         plugin_manager=pm, create=True, clock=clock)  # fmt: skip
    try:
        with TestClient(
            create_app(ledger, WebSettings(secret_key="k" * 48)), base_url="https://testserver"
        ) as c:
            ok = c.get(
                "/wechat/callback",
                params={k: check[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")},
            )
            assert ok.status_code == 200 and ok.text  # the decrypted echostr
            bad = vectors["url_verification_bad_nonce"]
            refused = c.get(
                "/wechat/callback",
                params={k: bad[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")},
            )
            assert refused.status_code == 403
            message = vectors["decrypt"]
            clock.set(dt.datetime.fromtimestamp(int(message["timestamp"]), dt.UTC))
            answer = c.post("/wechat/callback", params={k: message[k] for k in ("msg_signature", "timestamp", "nonce")},
                            content=message["body"].encode())  # fmt: skip
            assert answer.status_code == 200, answer.text
            clock.set(
                dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
            )  # today: the 2014 vectors are stale
            stale = c.get(
                "/wechat/callback",
                params={k: check[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")},
            )
            assert stale.status_code == 403
    finally:
        ledger.close()
    from wechatpy.enterprise.crypto import WeChatCrypto

    crypto = WeChatCrypto(vectors["token"], vectors["encoding_aes_key"], vectors["corp_id"])
    plain = crypto.decrypt_message(
        message["body"], message["msg_signature"], message["timestamp"], message["nonce"]
    )
    for field, value in vectors["decrypt"].get("expected", {}).items():
        assert str(value) in plain, field


# ---------------------------------------------------------------- the notifier


def notice(kind="accepted", user=USER, **fields) -> Notice:
    return Notice(key=f"n-{kind}-{user}", center="banner", recipient_kind="supervisor", recipient="1",
                  addresses=(Identity(ContactKind.MESSENGER, f"wechat:{APP_ID}:{user}"),) if user else (),
                  subject="问题 banner-2026-00001 已受理", body="您反映的问题已受理。", kind=kind,
                  fields={"number": "banner-2026-00001", **fields})  # fmt: skip


@pytest.fixture
def notifier(standin):
    import os

    (
        os.environ["TEST_WECHAT_SECRET"],
        os.environ["TEST_WECHAT_TOKEN"],
        os.environ["TEST_WECHAT_AES"],
    ) = SECRET, TOKEN, AES_KEY
    from supervision_core import PluginTable

    return WeChatNotifier().configure(
        WeChatSettings.from_table(PluginTable(table(standin), where="notifiers.wechat"))
    )


def test_a_notice_within_48_hours_is_a_customer_service_message(notifier, standin):
    standin.last_message[USER] = standin.clock = 1_772_000_000
    notifier.deliver(notice())
    ((endpoint, body),) = standin.sent
    assert endpoint == "message/custom/send" and body["touser"] == USER
    assert "已受理" in body["text"]["content"]


def test_outside_the_window_a_notice_is_the_template_of_its_kind(notifier, standin):
    standin.last_message[USER] = 1_772_000_000
    standin.clock = 1_772_000_000 + 49 * 3600
    notifier.deliver(notice("completed"))
    ((endpoint, body),) = standin.sent
    assert endpoint == "message/template/send" and body["template_id"] == "TPL-completed-1"
    assert body["data"]["number"] == {"value": "banner-2026-00001"}
    with pytest.raises(Unreachable):  # no template for this kind
        notifier.deliver(notice("progress"))


def test_the_token_is_fetched_again_once_on_40001_and_rate_limits_are_raised(notifier, standin):
    standin.last_message[USER] = standin.clock = 1_772_000_000
    notifier.deliver(notice())
    fetches = standin.token_fetches
    notifier.deliver(notice())
    assert standin.token_fetches == fetches  # cached
    standin.expire_token()
    notifier.deliver(notice())
    assert standin.token_fetches == fetches + 1 and len(standin.sent) == 3
    standin.fail_next.extend([40001, 40001])  # refused again after the new token: no loop
    with pytest.raises(Exception, match="40001"):
        notifier.deliver(notice())
    assert standin.token_fetches == fetches + 2 and standin.fail_next == []
    standin.fail_next.append(45009)
    with pytest.raises(Exception, match="45009") as caught:
        notifier.deliver(notice())
    assert not isinstance(caught.value, Unreachable)  # the outbox retries it


def test_a_user_not_linked_is_unreachable(notifier):
    with pytest.raises(Unreachable):
        notifier.deliver(notice(user=None))


def test_supdesk_plugins_lists_the_channel_and_everything_works_without_it(tmp_path):
    import os
    import subprocess
    import sys

    supdesk = str(Path(sys.executable).parent / "supdesk")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPDESK_")}
    out = subprocess.run(
        [supdesk, "plugins"], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert "supervision-channel-wechat" in out and "supervision_register_routes" in out
    env["SUPDESK_DISABLE_PLUGINS"] = "wechat"
    blocked = subprocess.run(
        [supdesk, "plugins", "--json"], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert any(p.get("blocked") for p in json.loads(blocked) if "wechat" in json.dumps(p))
    database = ["--database", f"sqlite:///{tmp_path / 'without.db'}"]
    subprocess.run(
        [supdesk, *database, "init", "--demo"],
        capture_output=True,
        check=True,
        env=env,
        cwd=tmp_path,
    )
    status = subprocess.run(
        [supdesk, *database, "status"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert status.returncode == 0, status.stderr

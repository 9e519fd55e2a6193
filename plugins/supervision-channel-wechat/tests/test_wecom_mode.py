"""The same channel as a WeCom self-built app (企业微信自建应用): WeCom's crypto (corp id),
gettoken, media and app messages (no 48-hour window); and the settings' refusals."""

from __future__ import annotations

import attrs
import pytest
import supervision_channel_wechat as plugin
from standin import JPEG, WeChatStandIn
from starlette.testclient import TestClient
from supervision_channel_wechat.notifier import WeChatNotifier
from supervision_channel_wechat.settings import WeChatSettings

from supervision_core import (
    ConfigError,
    ContactKind,
    Identity,
    NewSupervisor,
    Notice,
    PluginTable,
    get_plugin_manager,
)

CORP_ID = "ww1436e0e65a779aee"
SECRET = "wecom-secret"
TOKEN = "wecomtoken"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
USER = "ZhangSan"


@pytest.fixture(scope="module")
def standin():
    api = WeChatStandIn(
        kind="wecom", app_id=CORP_ID, secret=SECRET, token=TOKEN, aes_key=AES_KEY
    ).start()
    yield api
    api.stop()


def table(standin) -> dict:
    return {"kind": "wecom", "app_id": CORP_ID, "agent_id": 1000002, "secret": {"env": "TEST_WECOM_SECRET"},
            "token": {"env": "TEST_WECOM_TOKEN"}, "encoding_aes_key": {"env": "TEST_WECOM_AES"}, "api": standin.url,
            "oauth_url": f"{standin.url}/connect/oauth2/authorize"}  # fmt: skip


@pytest.fixture
def supdesk_plugin_manager():
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin, name="wechat")
    return pm


@pytest.fixture
def supdesk_settings(standin, monkeypatch):
    from supervision_core.demo import demo_settings

    monkeypatch.setenv("TEST_WECOM_SECRET", SECRET)
    monkeypatch.setenv("TEST_WECOM_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_WECOM_AES", AES_KEY)
    return attrs.evolve(
        demo_settings(),
        channel_options={"wechat": table(standin)},
        notifier_options={"wechat": table(standin)},
    )


def wecom_text(content: str, msg_id: int, created: int) -> str:
    return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{USER}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")  # fmt: skip


def test_a_wecom_member_links_reports_with_a_photo_and_is_told_by_app_message(
    standin, supdesk_ledger, supdesk_clock, supdesk_settings
):
    from supervision_web import WebSettings, create_app

    supervisor = supdesk_ledger.add_supervisor(NewSupervisor(name="张三", center="banner"))
    code = supdesk_ledger.messengers.issue_link_code(supervisor.id).code
    now = int(supdesk_clock().timestamp())
    standin.media["MEDIA_w1"] = (JPEG, "image/jpeg")
    image = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{USER}]]></FromUserName>"
             f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[{standin.url}/p]]></PicUrl>"
             f"<MediaId><![CDATA[MEDIA_w1]]></MediaId><MsgId>3002</MsgId><AgentID>1000002</AgentID></xml>")  # fmt: skip
    with TestClient(
        create_app(supdesk_ledger, WebSettings(secret_key="k" * 48)), base_url="https://testserver"
    ) as client:

        def say(xml: str) -> str:
            query, body = standin.callback(xml, timestamp=now)
            response = client.post(f"/wechat/callback?{query}", content=body)
            assert response.status_code == 200, response.text
            return standin.decrypt_reply(response.content, query)["Content"]

        assert "绑定成功" in say(wecom_text(f"绑定 {code}", 3000, now))
        assert "已登记" in say(wecom_text("大厅自助机坏了三天", 3001, now))
        assert "已登记" in say(image)
    reports = sorted((supdesk_ledger.report(r.id) for r in supdesk_ledger.recent_reports() if r.channel == "wechat"),
                     key=lambda r: r.external_id)  # fmt: skip
    assert [r.external_id for r in reports] == ["wechat:3001", "wechat:3002"]
    assert reports[1].attachments[0].content == JPEG

    notifier = WeChatNotifier().configure(
        WeChatSettings.from_table(supdesk_settings.plugin_table("notifiers", "wechat"))
    )
    standin.clock = now + 10 * 24 * 3600  # no 48-hour window for an app message
    notifier.deliver(Notice(key="n1", center="banner", recipient_kind="supervisor", recipient=str(supervisor.id),
                            addresses=(Identity(ContactKind.MESSENGER, f"wechat:{CORP_ID}:{USER}"),),
                            subject="问题已受理", body="您反映的问题已受理。", kind="accepted"))  # fmt: skip
    endpoint, body = standin.sent[-1]
    assert endpoint == "message/send" and body["touser"] == USER and body["agentid"] == 1000002
    assert "已受理" in body["text"]["content"]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"kind": "weibo"}, "official_account"),
        ({"encoding_aes_key": {"env": "TEST_SHORT_AES"}}, "43 个字符"),
        ({"kind": "wecom", "app_id": CORP_ID}, "agent_id"),
        ({"app_id": "wx1", "templates": {"completed": 7}}, "templates"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_a_wrong_table_is_refused_in_chinese_naming_the_key(options, says, monkeypatch):
    monkeypatch.setenv("TEST_SHORT_AES", "short")
    with pytest.raises(ConfigError, match=says):
        WeChatSettings.from_table(PluginTable(options, where="channels.wechat"))


def test_not_configured_the_notifier_says_why():
    from supervision_core import Unreachable

    with pytest.raises(ConfigError, match="没有配置微信渠道"):
        WeChatNotifier().deliver(Notice(key="n", center="banner", recipient_kind="supervisor", recipient="1",
                                        addresses=(Identity(ContactKind.MESSENGER, "wechat::u"),),
                                        subject="s", body="b"))  # fmt: skip
    with pytest.raises(Unreachable):
        WeChatNotifier().deliver(
            Notice(
                key="n",
                center="banner",
                recipient_kind="unit",
                recipient="u",
                subject="s",
                body="b",
            )
        )

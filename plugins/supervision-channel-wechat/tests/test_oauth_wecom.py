"""微信授权登录 in WeCom mode (企业微信自建应用): the corp id and agentid on the authorize
page, the member's userid from ``/cgi-bin/auth/getuserinfo`` (with the app's access
token), a non-member refused, WeCom's errcodes told. SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import attrs
import pytest
from test_oauth import authorize, come_back, error_of, start
from test_wecom_mode import CORP_ID, USER, standin, supdesk_plugin_manager, supdesk_settings

from supervision_core import ConfigError, NewSupervisor

__all__ = ["standin", "supdesk_plugin_manager", "supdesk_settings"]


@pytest.fixture
def client(supdesk_ledger):
    from starlette.testclient import TestClient

    from supervision_web import WebSettings, create_app

    app = create_app(supdesk_ledger, WebSettings(secret_key="k" * 48))
    with TestClient(app, base_url="https://desk.example.cn") as c:
        yield c


@pytest.fixture(autouse=True)
def _fresh_oauth(standin):
    standin.oauth_user, standin.oauth_member = USER, True
    standin.oauth_fail_next.clear()


@pytest.fixture
def zhang(supdesk_ledger):
    zhang = supdesk_ledger.add_supervisor(NewSupervisor(name="张三", center="banner"))
    code = supdesk_ledger.messengers.issue_link_code(zhang.id).code
    supdesk_ledger.messengers.redeem_link_code(code, f"wechat:{CORP_ID}:{USER}")
    return zhang


def test_a_wecom_member_signs_in(client, standin, zhang, supdesk_ledger):
    location = start(client)
    q = parse_qs(urlsplit(location).query)
    assert q["appid"] == [CORP_ID] and q["agentid"] == ["1000002"]
    assert q["scope"] == ["snsapi_base"]
    assert q["redirect_uri"] == ["https://desk.example.cn/wechat/oauth/callback"]
    back = come_back(client, authorize(location))
    assert back.status_code == 303, back.text
    assert "张三，您好" in client.get("/me").text
    assert [s.via for s in supdesk_ledger.supervisor_sessions(zhang.id)] == ["wechat"]


def test_the_public_url_is_where_wechat_sends_back(supdesk_ledger):
    from supervision_channel_wechat.oauth import _redirect_uri
    from supervision_channel_wechat.settings import WeChatSettings

    options = supdesk_ledger.settings.channel_options["wechat"]
    settings = attrs.evolve(
        supdesk_ledger.settings,
        channel_options={"wechat": {**options, "public_url": "https://desk.example.cn/"}},
    )
    wechat = WeChatSettings.from_table(settings.plugin_table("channels", "wechat"))
    assert _redirect_uri(None, wechat) == "https://desk.example.cn/wechat/oauth/callback"  # type: ignore[arg-type]
    bad = attrs.evolve(
        settings, channel_options={"wechat": {**options, "public_url": "desk.example.cn"}}
    )
    with pytest.raises(ConfigError, match="public_url"):
        WeChatSettings.from_table(bad.plugin_table("channels", "wechat"))


def test_a_user_outside_the_corp_is_refused(client, standin, zhang, supdesk_ledger):
    standin.oauth_member = False
    back = come_back(client, authorize(start(client)))
    assert back.status_code == 403 and "不是本单位企业微信的成员" in error_of(back)
    assert supdesk_ledger.supervisor_sessions(zhang.id) == []


def test_a_member_not_linked_is_told_to_link_in_the_app(client, standin, zhang):
    standin.oauth_user = "LiSi"
    back = come_back(client, authorize(start(client)))
    assert back.status_code == 403 and "企业微信应用里发送“绑定 绑定码”" in error_of(back)


def test_wecom_errcodes_are_told(client, standin, zhang):
    standin.oauth_fail_next.append(40029)
    back = come_back(client, authorize(start(client)))
    assert back.status_code == 400 and "错误码 40029" in error_of(back)
    standin.expire_token()  # the app's token expired: fetched again, the sign-in goes on
    assert come_back(client, authorize(start(client))).status_code == 303

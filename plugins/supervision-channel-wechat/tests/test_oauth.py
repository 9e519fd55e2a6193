"""微信授权登录 on ``/me`` against the WeChat stand-in (standin.py): the authorize page, the
code exchange at ``/sns/oauth2/access_token`` (Official Account) and
``/cgi-bin/auth/getuserinfo`` (WeCom), WeChat's errcodes, and every refusal.

The browser here is Starlette's TestClient (its cookies are the browser's); the stand-in's
authorize page is reached over HTTP and answers with WeChat's redirect. The same flow in
Chromium is in test_oauth_browser.py. SQLite and PostgreSQL (``supdesk_ledger``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import attrs
import pytest
import requests
from standin import WeChatStandIn
from starlette.testclient import TestClient
from supervision_channel_wechat.oauth import COOKIE, make_state
from test_wechat import (
    APP_ID,
    USER,
    Phone,
    _fresh_standin,
    link,
    standin,
    supdesk_plugin_manager,
    supdesk_settings,
    supervisor,
    table,
)

from supervision_core import Revocation

__all__ = ["_fresh_standin", "standin", "supdesk_plugin_manager", "supdesk_settings", "supervisor"]

WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2148A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 MicroMessenger/8.0.43.2480"
)
SECRET_KEY = "k" * 48


@pytest.fixture(autouse=True)
def _fresh_oauth(standin):
    standin.oauth_user = USER
    standin.oauth_decline = False
    standin.oauth_snapshot = False
    standin.oauth_fail_next.clear()
    standin.authorize_queries.clear()


@pytest.fixture
def client(supdesk_ledger):
    from supervision_web import WebSettings, create_app

    app = create_app(supdesk_ledger, WebSettings(secret_key=SECRET_KEY))
    with TestClient(app, base_url="https://testserver") as c:
        yield c


@pytest.fixture
def linked(standin, client, supdesk_clock, supdesk_ledger, supervisor):
    """巴特尔, his WeChat linked by sending 绑定 to the Official Account."""
    link(Phone(standin, client, supdesk_clock), supdesk_ledger, supervisor.id)
    return supervisor


def start(client, next_url: str = "/me") -> str:
    """Tap 微信授权登录: the URL of WeChat's authorize page the desk sends the browser to."""
    response = client.get(f"/wechat/oauth/start?next={next_url}", follow_redirects=False)
    assert response.status_code == 303, response.text
    assert COOKIE in response.cookies
    return response.headers["location"]


def authorize(location: str) -> str:
    """The stand-in's authorize page (real HTTP): where WeChat sends the browser back."""
    answer = requests.get(location.split("#")[0], allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def come_back(client, location: str):
    parts = urlsplit(location)
    assert parts.path == "/wechat/oauth/callback"
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def error_of(response) -> str:
    found = re.search(
        r'<p class="me-error" role="alert" id="login-error">([^<]*)</p>', response.text
    )
    assert found is not None, response.text[:2000]
    return found.group(1)


# ---------------------------------------------------------------- the sign-in page


def test_the_sign_in_page_offers_wechat_first_in_wechat_and_as_a_link_elsewhere(client):
    plain = client.get("/me/login").text
    assert '<a class="me-way" href="/wechat/oauth/start?next=/me">微信授权登录</a>' in plain
    in_wechat = client.get("/me/login?next=/me/report", headers={"User-Agent": WECHAT_UA}).text
    button = '<a class="me-button" href="/wechat/oauth/start?next=/me/report">微信授权登录</a>'
    assert button in in_wechat
    assert in_wechat.index(button) < in_wechat.index("获取验证码")
    assert 'class="me-way"' not in in_wechat


class TestNotOffered:
    """``sign_in = false``: no link, and the routes refuse in Chinese."""

    @pytest.fixture
    def supdesk_settings(self, supdesk_settings, standin):
        return attrs.evolve(
            supdesk_settings, channel_options={"wechat": table(standin, sign_in=False)}
        )

    def test_without_sign_in_there_is_no_wechat_sign_in(self, client):
        assert "微信授权登录" not in client.get("/me/login").text
        refused = client.get("/wechat/oauth/start", follow_redirects=False)
        assert refused.status_code == 404
        assert "未开通微信授权登录" in error_of(refused)


# ---------------------------------------------------------------- Official Account


def test_a_linked_supervisor_signs_in_with_wechat(
    client, standin, linked, supdesk_ledger, supdesk_clock
):
    location = start(client, "/me/report")
    parts = urlsplit(location)
    assert location.startswith(f"{standin.url}/connect/oauth2/authorize?")
    assert parts.fragment == "wechat_redirect"
    q = parse_qs(parts.query)
    assert q["appid"] == [APP_ID] and q["scope"] == ["snsapi_base"]
    assert q["response_type"] == ["code"]
    assert q["redirect_uri"] == ["https://testserver/wechat/oauth/callback"]
    assert re.fullmatch(r"[0-9a-f]{66}", q["state"][0])
    back = come_back(client, authorize(location))
    assert back.status_code == 303 and back.headers["location"] == "/me/report"
    home = client.get("/me")
    assert home.status_code == 200 and "巴特尔，您好" in home.text
    sessions = supdesk_ledger.supervisor_sessions(linked.id)
    assert [s.via for s in sessions] == ["wechat"]
    assert COOKIE not in client.cookies  # the state's cookie is spent


def test_an_openid_nobody_linked_is_told_how_to_link(client, standin, supervisor, supdesk_ledger):
    standin.oauth_user = "oia2Tj-not-linked-anybody"
    back = come_back(client, authorize(start(client)))
    assert back.status_code == 403
    message = error_of(back)
    assert "尚未绑定监督员身份" in message and "绑定 绑定码" in message
    assert "手机验证码" in message
    assert supdesk_ledger.supervisor_sessions(supervisor.id) == []


@pytest.mark.parametrize("how", ["suspended", "revoked"])
def test_a_supervisor_out_of_office_is_refused(how, client, linked, supdesk_ledger, supdesk_clock):
    if how == "suspended":
        supdesk_ledger.suspend(linked.id, reason="连续两次无故缺席例会", actor="admin")
    else:
        revocation = Revocation(on=supdesk_clock().date(), reason="本人辞聘", letter_returned=True,
                                card_returned=True, override="本人申请辞聘，中心同意")  # fmt: skip
        supdesk_ledger.revoke(linked.id, revocation, actor="admin")
    back = come_back(client, authorize(start(client)))
    assert back.status_code == 403
    assert "已暂停或已解聘" in error_of(back)
    assert client.get("/me", follow_redirects=False).status_code == 303


def test_a_replayed_state_is_refused(client, standin, linked, supdesk_ledger):
    location = authorize(start(client))
    cookie = client.cookies.get(COOKIE)
    assert come_back(client, location).status_code == 303
    client.cookies.set(COOKIE, cookie, path="/wechat/oauth")  # the attacker kept everything
    replay = come_back(client, location)
    assert replay.status_code == 400 and "已使用过" in error_of(replay)
    assert len(supdesk_ledger.supervisor_sessions(linked.id)) == 1


def test_a_state_from_another_browser_is_refused(client, standin, linked, supdesk_ledger):
    location = authorize(start(client))  # the attacker's own authorization...
    client.cookies.clear()  # ...brought to the victim's browser, which started nothing
    back = come_back(client, location)
    assert back.status_code == 400 and "同一个浏览器" in error_of(back)
    start(client)  # the victim's own cookie does not match the attacker's state either
    back = come_back(client, location)
    assert back.status_code == 400 and "同一个浏览器" in error_of(back)
    assert supdesk_ledger.supervisor_sessions(linked.id) == []


def test_a_forged_state_is_refused(client, standin, linked):
    location = authorize(start(client))
    browser = client.cookies.get(COOKIE).split(".")[0]
    forged = make_state("another-secret-key" * 3, browser, 1_900_000_000)
    parts = urlsplit(location)
    code = parse_qs(parts.query)["code"][0]
    for state in (forged, "", "abc", "0" * 66, "<script>"):
        back = client.get(
            "/wechat/oauth/callback", params={"code": code, "state": state}, follow_redirects=False
        )
        assert back.status_code == 400 and "登录请求无效" in error_of(back), state
    assert "<script>" not in back.text


def test_an_expired_state_is_refused(client, linked, supdesk_clock):
    location = authorize(start(client))
    supdesk_clock.advance(minutes=11)
    back = come_back(client, location)
    assert back.status_code == 400 and "已过期" in error_of(back)


@pytest.mark.parametrize(
    ("errcode", "status", "words"),
    [(40029, 400, "授权码无效"), (40163, 400, "授权码无效"), (-1, 502, "暂时无法完成授权"),
     (45011, 502, "暂时无法完成授权")],
)  # fmt: skip
def test_wechat_errcodes_are_told_in_chinese(client, standin, linked, errcode, status, words):
    standin.oauth_fail_next.append(errcode)
    back = come_back(client, authorize(start(client)))
    assert back.status_code == status
    message = error_of(back)
    assert words in message and f"错误码 {errcode}" in message
    assert "Traceback" not in back.text


def test_a_code_used_twice_is_refused_by_wechat(client, standin, linked):
    location = authorize(start(client))
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert come_back(client, location).status_code == 303
    client.cookies.clear()
    again = urlsplit(authorize(start(client)))  # a new state, with the spent code
    state = parse_qs(again.query)["state"][0]
    back = client.get(
        "/wechat/oauth/callback", params={"code": code, "state": state}, follow_redirects=False
    )
    assert back.status_code == 400 and "错误码 40163" in error_of(back)


def test_a_declined_authorization_is_told(client, standin, linked):
    standin.oauth_decline = True
    back = come_back(client, authorize(start(client)))
    assert back.status_code == 403 and "没有同意微信授权" in error_of(back)


def test_a_snapshot_page_is_told_to_open_the_full_page(client, standin, linked):
    standin.oauth_snapshot = True
    back = come_back(client, authorize(start(client)))
    assert back.status_code == 403 and "快照页" in error_of(back)


class TestUnreachable:
    """WeChat's API cannot be reached (nothing listens at the configured address)."""

    @pytest.fixture
    def supdesk_settings(self, supdesk_settings, standin):
        dead = WeChatStandIn(
            kind="official_account", app_id=APP_ID, secret="x", token="t", aes_key="a" * 43
        )
        dead.server.server_close()  # the port was ours, nothing listens there now
        options = table(standin, api=dead.url)
        return attrs.evolve(supdesk_settings, channel_options={"wechat": options})

    def test_wechat_unreachable_is_told(self, client):
        back = come_back(client, authorize(start(client)))
        assert back.status_code == 502 and "暂时无法连接微信服务器" in error_of(back)

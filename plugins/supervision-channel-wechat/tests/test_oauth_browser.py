"""微信授权登录 on a phone, in Debian's Chromium driven by Playwright.

A 390×844 touch screen whose browser says it is WeChat's (``MicroMessenger``): the
supervisor opens ``/me``, taps 微信授权登录, the WeChat stand-in's authorize page sends
the browser back with a code, and the supervisor is on ``/me``, signed in. A WeChat user
nobody linked is told, on the sign-in page, how to link. Screenshots go to
``$SUPDESK_ARTIFACTS`` (``test-artifacts/`` by default). SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient
from test_oauth import SECRET_KEY, WECHAT_UA
from test_wechat import (
    USER,
    Phone,
    _fresh_standin,
    link,
    standin,
    supdesk_plugin_manager,
    supdesk_settings,
    supervisor,
)

from supervision_core.testing import require, wait_until

__all__ = ["_fresh_standin", "standin", "supdesk_plugin_manager", "supdesk_settings", "supervisor"]

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("SUPDESK_ARTIFACTS") or ROOT / "test-artifacts")
#: axe-core as the desk's browser tests vendor it (tests/web/vendor): WCAG 2.1 AA
AXE = ROOT / "tests" / "web" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium (never a downloaded browser)."""
    require(Path(CHROMIUM).exists(), f"Debian's chromium is not installed ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):
    """WeChat's in-app browser on a phone: 390×844, touch."""
    context = chromium.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=WECHAT_UA,
    )
    if AXE.exists():
        context.add_init_script(path=str(AXE))  # in every page, before the page's CSP applies
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def app(supdesk_ledger):
    from supervision_web import WebSettings, create_app

    return create_app(supdesk_ledger, WebSettings(secret_key=SECRET_KEY))


@pytest.fixture
def live_desk(app):
    """The web desk served by uvicorn on a free loopback port, in a thread."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=10, what="the web desk to start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def shot(request):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = request.node.callspec.id if hasattr(request.node, "callspec") else "run"

    def take(page, name: str) -> Path:
        """A full-page screenshot; the page is audited by axe-core at the same moment."""
        path = ARTIFACTS / f"wechat-oauth-{name}-{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        if AXE.exists():
            found = page.evaluate(
                "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
                ".then((r) => r.violations.map((v) => v.id + ': ' + v.help))",
                AXE_TAGS,
            )
            assert not found, f"axe-core (WCAG 2.1 AA) on {name}: {found}"
        return path

    return take


def test_a_supervisor_signs_in_from_wechat(
    phone, live_desk, app, standin, supervisor, supdesk_ledger, supdesk_clock, shot
):
    page = phone
    with TestClient(app, base_url="https://testserver") as client:  # 绑定 in the chat
        link(Phone(standin, client, supdesk_clock), supdesk_ledger, supervisor.id)
    standin.oauth_user = USER
    page.goto(f"{live_desk}/me/report")
    assert urlsplit(page.url).path == "/me/login"
    button = page.get_by_role("link", name="微信授权登录")
    assert button.get_attribute("class") == "me-button"  # the main button, in WeChat
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44  # a finger's target
    shot(page, "login")
    button.tap()
    page.wait_for_url(lambda url: urlsplit(url).path == "/me/report")
    page.goto(f"{live_desk}/me")
    assert page.get_by_role("heading", name="巴特尔，您好").is_visible()
    shot(page, "home")
    assert [s.via for s in supdesk_ledger.supervisor_sessions(supervisor.id)] == ["wechat"]
    assert standin.authorize_queries  # the browser went through WeChat's page


def test_a_wechat_user_nobody_linked_is_told_how_to_link(
    phone, live_desk, standin, supervisor, supdesk_ledger, shot
):
    page = phone
    standin.oauth_user = "oia2Tj-a-stranger"
    page.goto(f"{live_desk}/me")
    page.get_by_role("link", name="微信授权登录").tap()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "尚未绑定监督员身份" in alert.inner_text()
    assert urlsplit(page.url).path == "/wechat/oauth/callback"
    assert page.get_by_label("登记的手机号码").is_visible()  # the code is still offered
    shot(page, "unlinked")
    assert supdesk_ledger.supervisor_sessions(supervisor.id) == []

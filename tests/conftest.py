from __future__ import annotations

import os
from pathlib import Path

import pytest

from supervision_core.testing import require, wait_until

ROOT = Path(__file__).resolve().parent.parent
# The domain corpora: ../shared beside the checkout, or where SUPDESK_TEST_SHARED says
# (a git worktree is not beside them).
SHARED = Path(os.environ.get("SUPDESK_TEST_SHARED") or ROOT.parent / "shared")


@pytest.fixture
def shared_dir() -> Path:
    """The domain corpora (``../shared`` or ``$SUPDESK_TEST_SHARED``); skipped where absent, but never under CI."""
    require(SHARED.is_dir(), f"the domain corpora are not at {SHARED} (set SUPDESK_TEST_SHARED)")
    return SHARED


# ---------------------------------------------------------------- the web desk

PASSWORD = "correct horse battery"


@pytest.fixture
def desk_people(supdesk_ledger):
    """Two staff accounts (banner, 乌审召镇), an auditor, and a supervisor of each center."""
    from supervision_core import ContactKind, Identity, NewSupervisor, Origin

    users = supdesk_ledger.users
    people = {
        "banner": users.add(
            username="banner-desk",
            display_name="旗中心前台",
            password=PASSWORD,
            role="staff",
            center="banner",
        ),
        "town": users.add(
            username="town-desk",
            display_name="乌审召前台",
            password=PASSWORD,
            role="staff",
            center="wushenzhao",
        ),
        "other": users.add(
            username="galutu-desk",
            display_name="嘎鲁图前台",
            password=PASSWORD,
            role="staff",
            center="galutu",
        ),
        "auditor": users.add(
            username="auditor",
            display_name="审计",
            password=PASSWORD,
            role="auditor",
            center="wushenzhao",
        ),
    }
    for name, center, phone in [
        ("巴特尔", "wushenzhao", "13904772345"),
        ("王芳", "galutu", "13804771111"),
    ]:
        s = supdesk_ledger.add_supervisor(
            NewSupervisor(
                name=name,
                center=center,
                origin=Origin.TOWNSHIP_HIRED,
                identities=[Identity(ContactKind.PHONE, phone)],
            )
        )
        people[name] = s
    return people


@pytest.fixture
def web_app(supdesk_ledger):
    from supervision_web import WebSettings, create_app

    return create_app(supdesk_ledger, WebSettings(secret_key="k" * 48))


@pytest.fixture
def web_client(web_app):
    from starlette.testclient import TestClient

    with TestClient(web_app, base_url="https://testserver", follow_redirects=True) as client:
        yield client


@pytest.fixture
def live_desk(web_app):
    """The web desk served by uvicorn on a free loopback port, in a thread."""
    import socket
    import threading

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=10, what="the web desk to start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")  # Playwright's sync API holds the thread's event loop while it runs
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    require(Path(CHROMIUM).exists(), f"Debian's chromium is not installed ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot under artifacts/screenshots/ (kept by CI, not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = request.node.callspec.id if hasattr(request.node, "callspec") else "run"

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}-{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

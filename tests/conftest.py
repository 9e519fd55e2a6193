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
ARTIFACTS = Path(os.environ.get("SUPDESK_ARTIFACTS") or ROOT / "test-artifacts") / "screenshots"
#: axe-core, vendored (MPL-2.0, tests/web/vendor/axe-core/LICENSE): no network in tests.
AXE = ROOT / "tests" / "web" / "vendor" / "axe-core" / "axe.min.js"
#: WCAG 2.1 A and AA (GB/T 37668-2019 follows WCAG 2.0 AA).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Run on every page load; the result goes to Python through the exposed __axeReport.
_AXE_ON_LOAD = """
window.addEventListener("load", () => {
  if (!window.axe || !window.__axeReport) return;
  window.axe.run(document, {runOnly: {type: "tag", values: %s}})
    .then((r) => window.__axeReport(location.pathname + location.search, r.violations.map(
      (v) => ({id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}))))
    .catch(() => {});
});
"""


class AxeAudit:
    """Every page a browser test loads is checked by axe-core; any violation fails the test.

    The check runs in the page on each ``load`` (a page left before it finishes is
    checked by the next explicit :meth:`check`), and synchronously by :meth:`check` at
    each screenshot and when the test ends.
    """

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.visited: list[str] = []
        self.violations: list[str] = []

    def report(self, where: str, violations: list[dict[str, object]]) -> None:
        self.visited.append(where)
        for v in violations:
            self.violations.append(f"{where}: {v['id']} ({v['help']}) at {v['nodes']}")

    def check(self, label: str = "") -> None:
        """Audit the page as it is now and fail on any violation found so far."""
        page = self.page
        if page.is_closed() or page.url in ("", "about:blank"):
            self.fail_if_any()
            return
        if not page.evaluate("() => !!window.axe"):
            page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then((r) =>"
            " r.violations.map((v) => ({id: v.id, help: v.help,"
            " nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5)})))",
            AXE_TAGS,
        )
        where = page.url.split("//", 1)[-1].split("/", 1)[-1]
        self.report(f"/{where} {label} {page.viewport_size}".strip(), found)
        self.fail_if_any()

    def fail_if_any(self) -> None:
        if self.violations:
            found, self.violations = self.violations, []
            pytest.fail("axe-core (WCAG 2.1 AA)：\n" + "\n".join(found), pytrace=False)


def audited_context(browser, **options):  # type: ignore[no-untyped-def]
    """A browser context whose pages carry axe-core and report on every load."""
    import json

    context = browser.new_context(locale="zh-CN", **options)
    context.add_init_script(path=str(AXE))
    context.add_init_script(_AXE_ON_LOAD % json.dumps(AXE_TAGS))
    return context


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


def _audited_page(chromium, viewport):  # type: ignore[no-untyped-def]
    context = audited_context(chromium, viewport=viewport)
    page = context.new_page()
    audit = AxeAudit(page)
    page.expose_function("__axeReport", audit.report)
    page.audit = audit  # type: ignore[attr-defined]
    page.set_default_timeout(15_000)
    return context, page, audit


@pytest.fixture
def browser_page(chromium):
    """A desktop page (1100 px); axe-core audits every page it loads (see AxeAudit)."""
    context, page, audit = _audited_page(chromium, {"width": 1100, "height": 900})
    yield page
    try:
        audit.check("（测试结束时）")
    finally:
        context.close()


@pytest.fixture
def phone_page(chromium):
    """A phone's page, 390×844 CSS pixels, touch; axe-core audits every page it loads."""
    context, page, audit = _audited_page(chromium, {"width": 390, "height": 844})
    yield page
    try:
        audit.check("（测试结束时）")
    finally:
        context.close()


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot under $SUPDESK_ARTIFACTS (default test-artifacts/),
    kept by CI, not committed; the page is audited by axe-core at the same moment."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = request.node.callspec.id if hasattr(request.node, "callspec") else "run"

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}-{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        audit = getattr(page, "audit", None)
        if audit is not None:
            audit.check(name)
        return path

    return take

"""The console on a phone (390×844), checked by axe-core, with screenshots kept for CI.

Every page the browser loads here is audited (WCAG 2.1 A/AA, see ``AxeAudit`` in
``tests/conftest.py``); any violation fails. Screenshots go to ``$SUPDESK_ARTIFACTS``
(default ``test-artifacts/``).
"""

from __future__ import annotations

import re

import test_console
from test_console import received_in

from conftest import PASSWORD

ledger_with_issues = test_console.ledger_with_issues  # the console's fixture


def _login(page, base: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login?next=/console")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_the_queue_and_an_issue_on_a_phone(phone_page, live_desk, ledger_with_issues, screenshot):  # type: ignore[no-untyped-def]
    page = phone_page
    issue = received_in(ledger_with_issues, "wushenzhao")
    _login(page, live_desk, "town-desk")
    page.wait_for_url(re.compile(r"/console"))
    page.goto(f"{live_desk}/console?view=all")
    screenshot(page, "phone-queue")
    # The table is cards: no horizontal scrolling, each cell named by its column.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    cell = page.locator("table.cards tbody tr").first.locator("td").nth(1)
    assert cell.evaluate("(td) => getComputedStyle(td, '::before').content") == '"状态"'
    assert cell.bounding_box()["width"] > 200  # a card row, not one character per line
    page.get_by_role("link", name=issue.number).click()
    page.get_by_role("button", name="受理", exact=True).click()
    page.get_by_label("责任人").fill("其木格")
    page.get_by_role("button", name="派单").click()
    page.wait_for_load_state()
    assert (
        page.locator("[data-dispatch]").first.inner_text() == "派往 乌审召镇综合窗口，责任人 其木格"
    )
    screenshot(page, "phone-issue")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_desk}/console/dashboard")
    screenshot(page, "phone-dashboard")


def test_a_refused_sign_in_puts_focus_on_the_error(browser_page, live_desk, ledger_with_issues):  # type: ignore[no-untyped-def]
    page = browser_page
    _login(page, live_desk, "town-desk", "wrong-password")
    page.wait_for_load_state()
    focused = page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused == "login-error"
    page.audit.check("登录失败")  # type: ignore[attr-defined]


def test_the_focus_outline_has_three_to_one_contrast(browser_page, live_desk, ledger_with_issues):  # type: ignore[no-untyped-def]
    page = browser_page
    page.goto(f"{live_desk}/login")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    colour = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineColor, getComputedStyle(document.body).backgroundColor]; }"
    )
    style, outline, background = colour
    assert style != "none"
    assert _contrast(_rgb(outline), _rgb(background)) >= 3, colour


def _rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return r, g, b


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def luminance(c: tuple[int, int, int]) -> float:
        parts = [x / 255 for x in c]
        lin = [p / 12.92 if p <= 0.03928 else ((p + 0.055) / 1.055) ** 2.4 for p in parts]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_audit_fails_on_a_violation(browser_page, live_desk, ledger_with_issues):  # type: ignore[no-untyped-def]
    """The axe-core check is not a formality: an image without a text alternative fails."""
    import pytest

    page = browser_page
    page.goto(f"{live_desk}/login")
    page.wait_for_load_state()
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = '/static/none.png';"
        " document.querySelector('main').appendChild(i); }"
    )
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        page.audit.check("违规示例")  # type: ignore[attr-defined]
    assert page.audit.visited, "the page's own load was audited too"  # type: ignore[attr-defined]
    page.evaluate("() => document.querySelector('main img').remove()")

"""The walk-in form end to end, in headless Chromium driven by Playwright.

Signs in with the keyboard, files a visit with a photo, prints the receipt page, files the
same form twice, fixes a per-field error, and is refused another center's report.
Screenshots of the form and the receipt go to artifacts/screenshots/.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest

from conftest import PASSWORD


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/walk-in")
    assert "/login" in page.url
    page.get_by_label("用户名").fill(username)
    # Keyboard only: tab to the password, type it, press Enter.
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == "/walk-in")


def fill_visit(page, supervisor: str, description: str) -> None:
    page.get_by_label("查找监督员").fill(supervisor)
    value = page.locator("#supervisor_id option", has_text=supervisor).get_attribute("value")
    page.get_by_label("选择监督员").select_option(value=value)
    page.get_by_label("来访").check()
    page.get_by_label("办事场所（窗口、网点或平台）").fill("不动产登记窗口")
    page.get_by_label("问题类型").select_option(label="来回跑")
    page.get_by_label("情况描述").fill(description)


def walk_in_reports(ledger) -> list:
    return [r for r in ledger.recent_reports() if r.channel == "walk_in"]


def test_file_a_visit_with_a_photo_and_print_the_receipt(
    browser_page, live_desk, desk_people, supdesk_ledger, screenshot, tmp_path
):
    page = browser_page
    sign_in(page, live_desk, "town-desk")
    fill_visit(page, "巴特尔", "窗口工作人员要求我往返三次补交材料。")
    photo = tmp_path / "窗口照片.png"
    photo.write_bytes(_png())
    page.get_by_label("照片和材料").set_input_files(str(photo))
    screenshot(page, "walk-in-form")
    page.get_by_role("button", name="登记并打印回执").click()
    page.wait_for_url(re.compile(r"/walk-in/receipt/\d+$"))

    number = page.locator("[data-issue-number]").inner_text()
    assert re.fullmatch(r"wushenzhao-2026-\d{5}", number)
    assert page.locator("[data-phone]").inner_text() == "139****2345"
    assert "13904772345" not in page.content()
    screenshot(page, "walk-in-receipt")
    # The receipt prints without the menu and buttons.
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="打印回执").is_visible()
    assert page.locator("[data-issue-number]").is_visible()
    page.emulate_media(media="screen")
    # The photo is there, and served to the staff.
    link = page.get_by_role("link", name="窗口照片.png")
    response = page.request.get(live_desk + link.get_attribute("href"))
    assert response.status == 200 and response.body() == photo.read_bytes()

    (summary,) = walk_in_reports(supdesk_ledger)
    assert summary.issue_number == number
    assert supdesk_ledger.report(summary.id).text == "窗口工作人员要求我往返三次补交材料。"


def test_the_same_form_twice_files_one_report(browser_page, live_desk, desk_people, supdesk_ledger):
    page = browser_page
    sign_in(page, live_desk, "town-desk")
    fill_visit(page, "巴特尔", "同一张表提交两次。")
    # Two submissions racing (a double click that got through), then back and submit again.
    page.evaluate(
        "() => { const f = document.querySelector('form[data-once]'); f.requestSubmit(); f.submit(); }"
    )
    page.wait_for_url(re.compile(r"/walk-in/receipt/\d+$"))
    receipt = page.url
    page.go_back()
    page.wait_for_url(lambda url: urlsplit(url).path == "/walk-in")
    if page.get_by_label("情况描述").input_value() == "":
        fill_visit(page, "巴特尔", "同一张表提交两次。")  # a browser that did not keep the form
    page.get_by_role("button", name="登记并打印回执").click()
    page.wait_for_url(re.compile(r"/walk-in/receipt/\d+$"))
    assert page.url == receipt
    assert len(walk_in_reports(supdesk_ledger)) == 1


def test_a_field_error_is_shown_and_fixed(browser_page, live_desk, desk_people, supdesk_ledger):
    page = browser_page
    sign_in(page, live_desk, "town-desk")
    fill_visit(page, "巴特尔", "")
    page.get_by_role("button", name="登记并打印回执").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/walk-in")
    summary = page.locator("[data-error-summary]")
    assert "此项必填" in summary.inner_text()
    # Focus is moved to the summary so a screen reader reads it first.
    assert page.evaluate("() => document.activeElement.hasAttribute('data-error-summary')")
    field = page.get_by_label("情况描述")
    assert field.get_attribute("aria-invalid") == "true"
    assert "description-error" in field.get_attribute("aria-describedby")
    # The summary's link names its field, and following it keeps the field's label in view.
    link = summary.get_by_role("link", name="情况描述：此项必填")
    page.evaluate("() => window.scrollTo(0, 0)")
    link.click()
    assert page.evaluate("() => document.activeElement.id") == "description"
    label_top = page.locator("label[for=description]").bounding_box()["y"]
    assert 0 <= label_top < page.viewport_size["height"]
    # What was typed elsewhere is still there.
    assert page.get_by_label("办事场所（窗口、网点或平台）").input_value() == "不动产登记窗口"
    assert walk_in_reports(supdesk_ledger) == []
    field.fill("补上了情况描述。")
    page.get_by_role("button", name="登记并打印回执").click()
    page.wait_for_url(re.compile(r"/walk-in/receipt/\d+$"))
    assert len(walk_in_reports(supdesk_ledger)) == 1


def test_another_centers_report_is_refused(browser_page, live_desk, desk_people, supdesk_ledger):
    page = browser_page
    sign_in(page, live_desk, "galutu-desk")
    fill_visit(page, "王芳", "嘎鲁图镇的反映。")
    page.get_by_role("button", name="登记并打印回执").click()
    page.wait_for_url(re.compile(r"/walk-in/receipt/\d+$"))
    theirs = page.url
    page.context.clear_cookies()
    sign_in(page, live_desk, "town-desk")
    response = page.goto(theirs)
    assert response.status == 403
    assert "无权查看其他中心的反馈" in page.content()
    assert page.get_by_role("heading", name="无权访问").is_visible()


@pytest.mark.parametrize("width", [375, 768])
def test_the_form_fits_a_phone_and_a_tablet(browser_page, live_desk, desk_people, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_desk, "town-desk")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.get_by_role("button", name="登记并打印回执").is_visible()

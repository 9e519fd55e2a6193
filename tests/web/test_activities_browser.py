"""A center's activity on a phone: announced in the console, signed up for on /me, attended.

Debian's Chromium driven by Playwright, a 390×844 touch screen for both the supervisor
and the center's staff; axe-core audits every page loaded (WCAG 2.1 A/AA, ``AxeAudit``
in ``tests/conftest.py``) and any violation fails. Screenshots go to
``$SUPDESK_ARTIFACTS`` (``test-artifacts/`` by default).
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from me_fixtures import sms, supdesk_plugin_manager, supdesk_settings
from playwright.sync_api import expect
from test_me_browser import sign_in

from conftest import PASSWORD, AxeAudit, audited_context
from supervision_core import SHANGHAI, ContactKind, Identity, NewSupervisor

__all__ = ["sms", "supdesk_plugin_manager", "supdesk_settings"]


def _touch_page(chromium):  # type: ignore[no-untyped-def]
    context = audited_context(
        chromium,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    audit = AxeAudit(page)
    page.expose_function("__axeReport", audit.report)
    page.audit = audit
    page.set_default_timeout(15_000)
    return context, page, audit


@pytest.fixture
def two_phones(chromium):
    """The supervisor's phone and a staff member's, each its own audited touch context."""
    opened = [_touch_page(chromium) for _ in range(2)]
    yield opened[0][1], opened[1][1]
    try:
        for _, _, audit in opened:
            audit.check("（测试结束时）")
    finally:
        for context, _, _ in opened:
            context.close()


def _post_form(page, action: str, csrf: str) -> None:  # type: ignore[no-untyped-def]
    """Send the sign-up form again as a browser would resend it (a double tap, a reload)."""
    page.evaluate(
        """([action, csrf]) => {
          const f = document.createElement("form");
          f.method = "post";
          for (const [k, v] of [["action", action], ["csrf_token", csrf]]) {
            const i = document.createElement("input");
            i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i);
          }
          document.body.appendChild(f);
          f.submit();
        }""",
        [action, csrf],
    )
    page.wait_for_load_state()


def test_sign_up_on_the_phone_and_attendance_counts_in_my_year(
    two_phones, live_desk, desk_people, supdesk_ledger, sms, screenshot, supdesk_clock
):
    page, desk = two_phones
    ledger = supdesk_ledger
    me = desk_people["巴特尔"]
    rival = ledger.add_supervisor(
        NewSupervisor(
            name="其其格",
            center="wushenzhao",
            identities=[Identity(ContactKind.PHONE, "13904772346")],
        )
    )

    # The township's staff announce a forum with one place, on their phone.
    desk.goto(f"{live_desk}/login?next=/console/activities")
    desk.get_by_label("用户名").fill("town-desk")
    desk.get_by_label("密码").fill(PASSWORD)
    desk.get_by_role("button", name="登录").tap()
    desk.wait_for_url(re.compile(r"/console/activities$"))
    desk.get_by_label("活动类型").select_option("forum")
    desk.get_by_label("活动名称").fill("营商环境座谈会")
    desk.get_by_label("地点").fill("乌审召镇便民服务中心三楼会议室")
    desk.get_by_label("开始时间").fill("2026-03-10T09:30")
    desk.get_by_label("报名截止时间").fill("2026-03-06T18:00")
    desk.get_by_label("名额（不限请留空）").fill("1")
    desk.get_by_label("活动说明").fill("请带上近期办事中发现的问题。")
    screenshot(desk, "activity-announce")
    desk.get_by_role("button", name="发布活动").tap()
    desk.wait_for_url(re.compile(r"/console/activities/\d+$"))
    activity_id = int(urlsplit(desk.url).path.rsplit("/", 1)[1])
    activity = ledger.activity(activity_id)
    assert activity.starts_at == dt.datetime(2026, 3, 10, 9, 30, tzinfo=SHANGHAI)
    assert activity.capacity == 1
    ledger.sign_up_for_activity(activity_id, rival.id)  # the only place is taken

    # The supervisor sees it on the home page; the place is taken.
    sign_in(page, live_desk, sms, me.id)
    coming = page.get_by_role("region", name="近期活动")
    expect(coming).to_contain_text("座谈交流：营商环境座谈会")
    coming.get_by_role("link", name=re.compile("营商环境座谈会")).tap()
    page.wait_for_url(re.compile(rf"/me/activities/{activity_id}$"))
    expect(page.get_by_text("报名人数已满，不能再报名。")).to_be_visible()
    assert page.get_by_role("button", name="我要报名").count() == 0
    csrf = page.locator('input[name="csrf_token"]').first.input_value()
    _post_form(page, "sign_up", csrf)  # sent anyway: refused in Chinese
    expect(page.get_by_role("alert")).to_contain_text("报名人数已满（共 1 个名额），不能再报名")
    screenshot(page, "activity-full")

    # The place comes free; the supervisor signs up, once, however often it is sent.
    ledger.withdraw_from_activity(activity_id, rival.id)
    page.goto(f"{live_desk}/me/activities/{activity_id}")
    page.get_by_role("button", name="我要报名").tap()
    page.wait_for_url(re.compile(r"done=signed_up"))
    expect(page.get_by_role("status")).to_have_text("已报名，请按时参加。")
    assert page.locator("[data-signed-up]").inner_text() == "已报名"
    screenshot(page, "activity-signed-up")
    _post_form(page, "sign_up", page.locator('input[name="csrf_token"]').first.input_value())
    expect(page.get_by_role("status")).to_have_text("已报名，请按时参加。")
    assert ledger.activity(activity_id).signed_up == (me.id,)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_desk}/me/activities")
    expect(page.locator(".me-cards")).to_contain_text("已报名")
    screenshot(page, "activities")
    page.goto(f"{live_desk}/me")
    expect(page.get_by_role("region", name="近期活动")).to_contain_text("（已报名）")

    # Signing up counts nothing in the year.
    page.goto(f"{live_desk}/me/year")
    assert "参加集中体验、座谈" not in page.locator("table.me-table").inner_text()

    # After the forum, the staff see who signed up (phone masked) and record attendance.
    supdesk_clock.set(dt.datetime(2026, 3, 10, 12, 0, tzinfo=SHANGHAI))
    desk.goto(f"{live_desk}/console/activities/{activity_id}")
    row = desk.locator(f'tr[data-supervisor="{me.id}"]')
    expect(row).to_contain_text("139****2345")
    assert "13904772345" not in desk.content()
    row.get_by_label("巴特尔的出席情况").select_option("present")
    row.get_by_role("button", name="记录").tap()
    desk.wait_for_url(re.compile(r"done=attended"))
    expect(desk.locator(f'tr[data-supervisor="{me.id}"]')).to_have_attribute(
        "data-attendance", "present"
    )
    screenshot(desk, "activity-attendance")

    # My year counts it, as the annual evaluation does.
    page.goto(f"{live_desk}/me/year")
    table = page.locator("table.me-table")
    expect(table).to_contain_text("参加集中体验、座谈")
    expect(table).to_contain_text(f"活动#{activity_id}")
    expect(page.get_by_role("region", name="活动")).to_contain_text("营商环境座谈会")
    expect(page.get_by_role("region", name="活动")).to_contain_text("出席")
    screenshot(page, "activity-my-year")
    evaluation = ledger.evaluate_year(2026, center="wushenzhao", actor="test")
    entry = next(e for e in evaluation.entries if e.supervisor_id == me.id)
    assert entry.year_facts.activities_attended == (f"活动#{activity_id}",)

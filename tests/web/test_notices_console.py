"""The console's inbox and call tasks: what the desk is told, and what it must tell by phone.

A unit's objection lands in its center's inbox (counted in the menu until read); a
phone-only supervisor's notices become call tasks, the number shown in full to that
center's staff only; a desk clerk works the list in Chromium and the ledger says 电话告知.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_web_desk import _field, login

from conftest import PASSWORD
from supervision_core import SHANGHAI, Report, Sender

PHONE = "13904772345"  # 巴特尔's, in desk_people


@pytest.fixture
def phoned(supdesk_ledger, desk_people):
    """巴特尔 (乌审召镇, known only by phone) reported; nothing could tell him so."""
    result = supdesk_ledger.receive(
        Report(channel="test", external_id="call-1", center="wushenzhao",
               received_at=supdesk_ledger.clock(), sender=Sender("phone", PHONE),
               text="便民服务中心中午无人值守")
    )  # fmt: skip
    supdesk_ledger.deliver_notices()
    return supdesk_ledger.issue(result.issue_id)


def count_in_menu(page: str, path: str) -> int:
    found = re.search(rf'data-count="{re.escape(path)}"[^>]*>(\d+)<', page)
    return int(found.group(1)) if found else 0


def test_an_objection_reaches_the_centers_inbox_counted_until_read(
    web_client, supdesk_ledger, desk_people, phoned
):
    ledger = supdesk_ledger
    ledger.users.add(username="window-unit", display_name="乌审召窗口", password=PASSWORD,
                     role="unit", center="wushenzhao", unit="wushenzhao-window")  # fmt: skip
    ledger.accept(phoned.number, actor="op")
    ledger.dispatch(
        phoned.number, unit="wushenzhao-window", responsible_person="其木格", actor="op"
    )
    ledger.object_dispatch(phoned.number, reason="属于不动产登记中心职责", actor="unit:x")
    ledger.deliver_notices()

    login(web_client, "town-desk")
    queue = web_client.get("/console")
    assert count_in_menu(queue.text, "/console/inbox") == 1
    inbox = web_client.get("/console/inbox")
    assert inbox.status_code == 200
    assert "属于不动产登记中心职责" in inbox.text
    assert f'href="/console/issues/{phoned.number}"' in inbox.text
    (entry,) = ledger.inbox("wushenzhao")
    read = web_client.post(
        "/console/inbox", data={"csrf_token": _field(inbox.text, "csrf_token"), "id": entry.id}
    )
    assert read.status_code == 200 and count_in_menu(read.text, "/console/inbox") == 0
    assert ledger.inbox("wushenzhao")[0].read_by == "user:town-desk"
    assert "由 user:town-desk 标为已读" in read.text

    # Another township's staff have their own inbox: this one is not in it.
    web_client.cookies.clear()
    login(web_client, "galutu-desk")
    other = web_client.get("/console/inbox")
    assert "属于不动产登记中心职责" not in other.text and "收件箱是空的" in other.text
    forged = web_client.post(
        "/console/inbox", data={"csrf_token": _field(other.text, "csrf_token"), "id": entry.id}
    )
    assert forged.status_code == 404

    # An auditor reads, and cannot mark anything read.
    web_client.cookies.clear()
    login(web_client, "auditor")
    page = web_client.get("/console/inbox")
    assert "属于不动产登记中心职责" in page.text and "标为已读</button>" not in page.text
    refused = web_client.post(
        "/console/inbox", data={"csrf_token": _field(page.text, "csrf_token"), "action": "all"}
    )
    assert refused.status_code == 403


def test_a_call_tasks_number_is_shown_in_full_only_to_its_centers_staff(
    web_client, supdesk_ledger, desk_people, phoned
):
    ledger = supdesk_ledger
    (task,) = ledger.call_tasks()
    login(web_client, "town-desk")
    own = web_client.get("/console/calls")
    assert count_in_menu(own.text, "/console/calls") == 1
    assert PHONE in own.text and phoned.number in own.text and "已电话告知" in own.text
    (seen,) = [e for e in ledger.access_log(user="town-desk") if e.action == "view_call_task"]
    assert seen.supervisor_id == task.supervisor_id
    assert seen.target.startswith(f"通知 #{task.entry.id}")  # the store adds the supervisor
    assert seen.purpose == "网页 /console/calls"

    web_client.cookies.clear()
    login(web_client, "banner-desk")  # sees every center, calls for none but its own
    banner = web_client.get("/console/calls")
    assert "139****2345" in banner.text and PHONE not in banner.text
    assert (
        'name="called_at"' not in banner.text and count_in_menu(banner.text, "/console/calls") == 0
    )
    refused = web_client.post(
        "/console/calls",
        data={"csrf_token": _field(banner.text, "csrf_token"), "id": task.entry.id,
              "called_at": "2026-03-02T09:00"},
    )  # fmt: skip
    assert refused.status_code == 403
    assert ledger.outbox_entry(task.entry.id).status.value == "call_task"

    web_client.cookies.clear()
    login(web_client, "galutu-desk")
    assert "便民服务中心" not in web_client.get("/console/calls").text.split("</header>")[1]

    web_client.cookies.clear()
    login(web_client, "town-desk")
    page = web_client.get("/console/calls")
    tomorrow = web_client.post(
        "/console/calls",
        data={"csrf_token": _field(page.text, "csrf_token"), "id": task.entry.id,
              "called_at": "2026-03-03T09:00"},
    )  # fmt: skip
    assert tomorrow.status_code == 400 and "通话时间不能晚于现在" in tomorrow.text
    assert ledger.outbox_entry(task.entry.id).status.value == "call_task"


def test_a_desk_clerk_works_the_call_list_in_a_browser(
    browser_page, live_desk, supdesk_ledger, supdesk_clock, desk_people, phoned, screenshot
):
    ledger = supdesk_ledger
    ledger.not_accept(phoned.number, reason="petition", note="已转信访渠道办理", actor="op")
    ledger.deliver_notices()
    supdesk_clock.advance(minutes=30)  # 09:30: the clerk calls at 09:20
    page = browser_page
    page.goto(f"{live_desk}/console/calls")
    page.get_by_label("用户名").fill("town-desk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/console/calls$"))
    menu = page.get_by_role("navigation", name="主菜单")
    assert menu.locator('[data-count="/console/calls"]').inner_text() == "2"
    refusal = page.locator("[data-call]").filter(has_text="已转信访渠道办理")
    assert refusal.locator("[data-phone]").inner_text() == PHONE
    assert "已转信访渠道办理" in refusal.locator("[data-script]").inner_text()
    screenshot(page, "call-tasks")
    refusal.get_by_label("通话时间").fill("2026-03-02T09:20")
    refusal.get_by_role("button", name="已电话告知").click()
    page.wait_for_url(re.compile(r"/console/calls\?done=1$"))
    assert page.get_by_role("status").inner_text() == "已记录电话告知。"
    assert page.locator("[data-call]").count() == 1
    assert menu.locator('[data-count="/console/calls"]').inner_text() == "1"

    (done,) = ledger.outbox(status="done_by_phone")
    assert "已转信访渠道办理" in done.notice.body and done.called_by == "user:town-desk"
    assert done.delivered_at == dt.datetime(2026, 3, 2, 9, 20, tzinfo=SHANGHAI)
    # The issue's page says how the supervisor was told; so does the ledger's column.
    page.goto(f"{live_desk}/console/issues/{phoned.number}")
    row = page.locator(f'[data-notice="{done.id}"]')
    assert row.get_attribute("data-status") == "done_by_phone"
    assert "已电话告知" in row.inner_text() and "电话告知（user:town-desk）" in row.inner_text()
    assert "2026-03-02 09:20" in row.inner_text()
    screenshot(page, "call-task-recorded")
    ((told,),) = [list(p.told.values()) for p in ledger.ledger_pages(center="wushenzhao")]
    assert told == (dt.datetime(2026, 3, 2, 9, 20), "phone")


def test_a_menu_count_that_fails_leaves_the_page_and_the_other_counts(
    supdesk_ledger, supdesk_plugin_manager, desk_people, phoned, caplog
):
    from starlette.testclient import TestClient

    from supervision_core import hookimpl
    from supervision_web import WebSettings, create_app

    def broken(ledger, user):
        raise RuntimeError("count failed")

    class Plugin:
        @hookimpl
        def supervision_register_routes(self, register):
            register.add_nav("/broken", "坏的计数", badge=broken)

    supdesk_plugin_manager.register(Plugin(), name="broken-badge")
    app = create_app(supdesk_ledger, WebSettings(secret_key="k" * 48))
    with TestClient(app, base_url="https://testserver", follow_redirects=True) as client:
        login(client, "town-desk")
        page = client.get("/console")
    assert page.status_code == 200 and "坏的计数" in page.text
    assert count_in_menu(page.text, "/broken") == 0
    assert count_in_menu(page.text, "/console/calls") == 1
    assert "the menu's count for /broken failed" in caplog.text


def test_a_delivery_receipt_is_shown_on_the_issue_page(
    web_client, supdesk_ledger, desk_people, phoned
):
    """A provider's receipt (an SMS 回执) is shown beside the notice, a failed one as such."""
    ledger = supdesk_ledger
    (task,) = ledger.call_tasks()
    called = ledger.record_call(task.entry.id, called_at=ledger.clock(), actor="user:town-desk")
    ledger.record_receipt(called.notice.key, notifier="phone", ok=False,
                          at=ledger.clock(), detail="用户手机关机")  # fmt: skip
    login(web_client, "town-desk")
    page = web_client.get(f"/console/issues/{phoned.number}")
    assert page.status_code == 200
    assert 'data-receipt="failed"' in page.text and "回执：未送达（用户手机关机）" in page.text

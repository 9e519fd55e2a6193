"""The supervisor's page on a phone, in Debian's Chromium driven by Playwright.

A 390×844 touch screen. A supervisor signs in with the code the SMS stand-in carried,
files a report with a photo, follows it through screening and dispatch (driven through
the library), evaluates the completed fix, accepts a task and files its report, and
downloads a document; a revoked supervisor is refused, and another supervisor's report
is "not found". Every page is saved as a screenshot to ``$SUPDESK_ARTIFACTS``
(``test-artifacts/`` by default).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from me_fixtures import RecordingSms, sms, supdesk_plugin_manager, supdesk_settings
from playwright.sync_api import expect

from conftest import ROOT
from supervision_core import ContactKind, Report, Revocation, Sender

__all__ = ["sms", "supdesk_plugin_manager", "supdesk_settings"]

PHONE = "13904772345"  # 巴特尔 of 乌审召镇 (desk_people)
ARTIFACTS = Path(os.environ.get("SUPDESK_ARTIFACTS") or ROOT / "test-artifacts")


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shot(request):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = request.node.callspec.id if hasattr(request.node, "callspec") else "run"

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"me-{name}-{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 180)).save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


MENU = {"反映问题": "/me/report", "我的任务": "/me/tasks", "资料": "/me/documents", "通知": "/me/notices",
        "我的年度": "/me/year"}  # fmt: skip


def menu(page, name: str) -> None:
    """Tap an entry of the supervisor's menu and wait for its page."""
    page.get_by_role("navigation", name="监督员菜单").get_by_role("link", name=name).tap()
    page.wait_for_url(lambda url: urlsplit(url).path == MENU[name])


def sign_in(page, base: str, sms: RecordingSms, supervisor_id: int, shot=None) -> None:
    page.goto(f"{base}/me")
    assert "/me/login" in page.url
    if shot:
        shot(page, "login")
    page.get_by_label("登记的手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").tap()
    code = page.get_by_label("验证码（6 位数字）")
    code.wait_for()
    code.fill(sms.code_for(supervisor_id))
    if shot:
        shot(page, "code")
    page.get_by_role("button", name="登录", exact=True).tap()
    page.wait_for_url(lambda url: urlsplit(url).path == "/me")


def test_a_supervisor_on_a_phone(
    phone, live_desk, desk_people, supdesk_ledger, sms, shot, tmp_path, supdesk_clock
):
    page, ledger = phone, supdesk_ledger
    me = desk_people["巴特尔"]
    sign_in(page, live_desk, sms, me.id, shot)
    assert page.get_by_role("heading", name="巴特尔，您好").is_visible()
    shot(page, "home")

    # Report a problem with a photo (the camera's input on a phone).
    menu(page, "反映问题")
    photo_input = page.get_by_label(re.compile("^照片"))
    assert photo_input.get_attribute("capture") == "environment"
    assert photo_input.get_attribute("accept") == "image/*"
    page.get_by_label("地点（办事场所、窗口或平台）").fill("乌审召镇便民服务中心社保窗口")
    page.get_by_label("情况描述").fill("窗口工作人员上班时间玩手机，群众排队二十分钟无人理会。")
    key = page.locator("#form_key").input_value()
    page.reload()  # a weak connection: what was typed survives, and so does the form's key
    assert page.get_by_label("情况描述").input_value().startswith("窗口工作人员上班时间玩手机")
    assert page.locator("#form_key").input_value() == key
    photo = tmp_path / "窗口.png"
    photo.write_bytes(_png())
    photo_input.set_input_files(str(photo))
    shot(page, "report-form")
    page.get_by_role("button", name="提交", exact=True).tap()
    page.wait_for_url(re.compile(r"/me/filed/\d+"))
    number = page.locator("strong").first.inner_text()
    shot(page, "filed")
    issue = ledger.issue(number)
    assert issue.supervisor_id == me.id and len(ledger.report(issue.report_id).attachments) == 1

    # Screening and dispatch, through the library; the page follows.
    ledger.accept(number, actor="town-desk")
    ledger.dispatch(
        number, unit="wushenzhao-window", responsible_person="张主任", actor="town-desk"
    )
    page.goto(f"{live_desk}/me/reports/{number}")
    assert "已派单" in page.locator(".me-facts").inner_text()
    steps = page.locator(".me-steps").inner_text()
    assert "已受理" in steps and "已派单至乌审召镇综合窗口办理" in steps
    shot(page, "report-dispatched")
    ledger.plan(
        number,
        track="immediate",
        measures="当场批评教育，调整窗口值守",
        actor="unit:wushenzhao-window",
    )
    ledger.complete(number, evidence="已调整值守安排并公示监督电话", actor="unit:wushenzhao-window")

    # Evaluate the completed fix: 不满意 needs a reason, then 基本满意 goes through.
    page.goto(f"{live_desk}/me")
    page.get_by_role("link", name=re.compile(f"问题 {number} 已整改")).tap()
    assert (
        "已调整值守安排并公示监督电话" in page.get_by_role("region", name="办理情况").inner_text()
    )
    page.get_by_role("radio", name="不满意", exact=True).check()
    page.get_by_role("button", name="提交评价").tap()
    expect(page.locator("#note-error")).to_have_text("不满意的，请写明理由")
    page.get_by_role("radio", name="基本满意", exact=True).check()
    page.get_by_label("理由（不满意的必填）").fill("希望长期坚持")
    shot(page, "evaluate")
    page.get_by_role("button", name="提交评价").tap()
    page.wait_for_url(re.compile(r"evaluated=1"))
    assert "已记录您的评价" in page.content()
    assert ledger.issue(number).satisfaction.value == "basically_satisfied"
    assert ledger.issue(number).state.value == "closed"

    # A task: accept it, file its report, record the visit with that report.
    today = supdesk_clock().date()
    task = ledger.create_task(
        "wushenzhao", "inspection", "乌审召镇便民服务中心", "不动产登记",
        "以办事群众身份咨询办理流程，留意是否一次性告知所需材料。",
        today, today + dt.timedelta(days=10), [me.id], "town-desk",
    )  # fmt: skip
    menu(page, "我的任务")
    shot(page, "tasks")
    page.get_by_role("link", name=re.compile("明察暗访：乌审召镇便民服务中心")).tap()
    page.get_by_role("button", name="接受任务").tap()
    expect(page.get_by_role("status")).to_have_text("已接受任务。")
    shot(page, "task")
    page.get_by_role("link", name="反映问题").last.tap()
    assert page.get_by_label("地点（办事场所、窗口或平台）").input_value() == "乌审召镇便民服务中心"
    assert page.get_by_label("工作方式").input_value() == "inspection"
    page.get_by_label("情况描述").fill("咨询不动产登记时未一次性告知所需材料。")
    page.get_by_role("button", name="提交", exact=True).tap()
    page.wait_for_url(re.compile(r"/me/filed/\d+"))
    task_number = page.locator("strong").first.inner_text()
    page.get_by_role("link", name="返回任务，记录本次走访").tap()
    assert page.get_by_label("发现问题，已反映").is_checked()
    assert page.get_by_label("对应的反馈（发现问题时选择）").input_value() == task_number
    page.get_by_role("button", name="提交走访记录").tap()
    expect(page.get_by_role("status")).to_have_text("已记录本次走访，谢谢！")
    done = ledger.task_assignments(me.id)[0]
    assert done.status.value == "done" and done.issue_id == ledger.issue(task_number).id
    assert done.found_nothing is False and done.task.id == task.id

    # Documents: find one, download it (logged).
    ledger.publish_document(
        "wushenzhao", "rules", "政务服务监督员管理办法", "办法.pdf", _pdf(), "application/pdf",
        "town-desk",
    )  # fmt: skip
    ledger.publish_document(
        "galutu", "forms", "嘎鲁图镇表格", "表格.pdf", _pdf(), "application/pdf", "galutu-desk"
    )
    menu(page, "资料")
    expect(page.get_by_role("status")).to_have_text("共 1 份。")  # not 嘎鲁图's
    page.get_by_label("按标题查找").fill("管理办法")
    page.get_by_role("button", name="查找").tap()
    expect(page.get_by_role("status")).to_have_text("共 1 份。")
    shot(page, "documents")
    with page.expect_download() as download:
        page.get_by_role("link", name="政务服务监督员管理办法").tap()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes() == _pdf()
    assert any(e.action == "download_document" for e in ledger.access_log())

    # Notices (the code, each step) and my year.
    menu(page, "通知")
    assert "监督员页面登录验证码" in page.content() and "******" in page.content()
    shot(page, "notices")
    menu(page, "我的年度")
    assert page.get_by_role("heading", name="我的 2026 年度").is_visible()
    # The score so far: the center's policy over the year, as the annual evaluation counts it.
    score = ledger.supervisor_score(me.id, 2026)
    assert score.total > 60 and f"{score.total} 分" in page.content()
    assert number in page.get_by_role("region", name=re.compile("经核实的反馈")).inner_text()
    shot(page, "year")
    # Large text: at twice the size nothing runs off the phone's screen.
    page.evaluate("document.documentElement.style.fontSize = '200%'")  # CSSOM: CSP allows it
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
    shot(page, "year-large-text")


def test_a_revoked_supervisor_is_refused_and_anothers_report_is_not_found(
    phone, live_desk, desk_people, supdesk_ledger, sms, shot, supdesk_clock
):
    page, ledger = phone, supdesk_ledger
    me, other = desk_people["巴特尔"], desk_people["王芳"]
    theirs = ledger.receive(
        Report(channel="test", external_id="o1", center="galutu", received_at=supdesk_clock(),
               sender=Sender(ContactKind.PHONE, "13804771111"), text="排队太久")
    )  # fmt: skip
    sign_in(page, live_desk, sms, me.id)
    response = page.goto(f"{live_desk}/me/reports/{theirs.issue_number}")
    assert response.status == 404 and "没有找到这条反馈" in page.content()
    shot(page, "not-found")
    assert other.id != me.id
    revocation = Revocation(
        on=supdesk_clock().date(),
        reason="本人辞聘",
        letter_returned=True,
        card_returned=True,
        override="本人申请辞聘，旗政务服务中心同意",
    )
    ledger.revoke(me.id, revocation, actor="admin")
    page.goto(f"{live_desk}/me")
    assert "/me/login" in page.url  # the session signs nobody in any more
    supdesk_clock.advance(minutes=2)
    sent = len(sms.sent)
    page.get_by_label("登记的手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").tap()
    page.get_by_label("验证码（6 位数字）").wait_for()
    assert len(sms.sent) == sent  # no code for a revoked supervisor
    page.get_by_label("验证码（6 位数字）").fill("123456")
    page.get_by_role("button", name="登录", exact=True).tap()
    expect(page.get_by_role("alert")).to_contain_text("验证码不正确")
    assert "/me/login" in page.url
    shot(page, "refused")

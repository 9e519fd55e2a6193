"""The supervisor's page over HTTP: sign-in by code, what is theirs only, and the refusals."""

from __future__ import annotations

import re

import pytest
from me_fixtures import RecordingSms, sms, supdesk_plugin_manager, supdesk_settings

from supervision_core import ContactKind, Report, Revocation, Sender

__all__ = ["sms", "supdesk_plugin_manager", "supdesk_settings"]

PHONE = "13904772345"  # 巴特尔 of 乌审召镇 (desk_people)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def sign_in(client, sms: RecordingSms, supervisor_id: int, phone: str = PHONE) -> None:
    page = client.get("/me/login")
    sent = client.post(
        "/me/login", data={"csrf_token": csrf(page.text), "action": "send", "contact": phone}
    )
    assert "验证码已发送" in sent.text
    done = client.post(
        "/me/login",
        data={
            "csrf_token": csrf(sent.text),
            "action": "verify",
            "contact": phone,
            "code": sms.code_for(supervisor_id),
        },
    )
    assert done.status_code == 200 and done.url.path == "/me", done.text


def test_pages_need_a_supervisor_signed_in(web_client) -> None:
    for path in ("/me", "/me/reports", "/me/report", "/me/notices", "/me/year"):
        response = web_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/me/login?next=")


def test_sign_in_see_my_report_and_not_anothers(
    web_client, desk_people, supdesk_ledger, sms, supdesk_clock
) -> None:
    ledger = supdesk_ledger
    me, other = desk_people["巴特尔"], desk_people["王芳"]
    mine = ledger.receive(
        Report(channel="test", external_id="m1", center="wushenzhao", received_at=supdesk_clock(),
               sender=Sender(ContactKind.PHONE, PHONE), text="窗口无人值守")
    )  # fmt: skip
    theirs = ledger.receive(
        Report(channel="test", external_id="o1", center="galutu", received_at=supdesk_clock(),
               sender=Sender(ContactKind.PHONE, "13804771111"), text="排队太久")
    )  # fmt: skip
    sign_in(web_client, sms, me.id)
    assert "巴特尔" in web_client.get("/me").text
    listing = web_client.get("/me/reports").text
    assert mine.issue_number in listing and theirs.issue_number not in listing
    page = web_client.get(f"/me/reports/{mine.issue_number}")
    assert page.status_code == 200 and "窗口无人值守" in page.text
    assert "您反馈的问题已收到" in page.text  # the step as the supervisor was told it
    assert web_client.get(f"/me/reports/{theirs.issue_number}").status_code == 404
    assert web_client.get("/me/reports/no-such-1").status_code == 404
    assert other.id != me.id


def test_a_wrong_code_is_refused_in_chinese(web_client, desk_people, sms) -> None:
    page = web_client.get("/me/login")
    sent = web_client.post(
        "/me/login", data={"csrf_token": csrf(page.text), "action": "send", "contact": PHONE}
    )
    code = sms.code_for(desk_people["巴特尔"].id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = web_client.post(
        "/me/login",
        data={"csrf_token": csrf(sent.text), "action": "verify", "contact": PHONE, "code": wrong},
    )
    assert refused.status_code == 401 and "验证码不正确" in refused.text
    again = web_client.post(
        "/me/login", data={"csrf_token": csrf(sent.text), "action": "send", "contact": PHONE}
    )
    assert again.status_code == 429 and "一分钟后" in again.text
    # An unknown number looks the same as a known one: nobody learns who is registered.
    unknown = web_client.post(
        "/me/login",
        data={"csrf_token": csrf(sent.text), "action": "send", "contact": "13900000000"},
    )
    assert unknown.status_code == 200 and "如果该号码已登记为监督员" in unknown.text
    bad = web_client.post(
        "/me/login", data={"csrf_token": csrf(sent.text), "action": "send", "contact": "x"}
    )
    assert bad.status_code == 400 and "手机号码" in bad.text


def test_a_revoked_supervisor_is_signed_out_and_refused(
    web_client, desk_people, supdesk_ledger, sms, supdesk_clock
) -> None:
    me = desk_people["巴特尔"]
    sign_in(web_client, sms, me.id)
    revocation = Revocation(
        on=supdesk_clock().date(),
        reason="本人辞聘",
        letter_returned=True,
        card_returned=True,
        override="本人申请辞聘，旗政务服务中心同意",
    )
    supdesk_ledger.revoke(me.id, revocation, actor="admin")
    response = web_client.get("/me", follow_redirects=False)
    assert response.status_code == 303 and "/me/login" in response.headers["location"]
    supdesk_clock.advance(minutes=2)
    page = web_client.get("/me/login")
    web_client.post(
        "/me/login", data={"csrf_token": csrf(page.text), "action": "send", "contact": PHONE}
    )
    assert not [n for n in sms.sent if n.recipient == str(me.id)][1:]  # no second code


@pytest.mark.parametrize("field", ["description"])
def test_the_form_files_once_and_keeps_what_was_typed(
    web_client, desk_people, supdesk_ledger, sms, field
) -> None:
    me = desk_people["巴特尔"]
    sign_in(web_client, sms, me.id)
    form = web_client.get("/me/report").text
    key = re.search(r'name="form_key" id="form_key" value="([^"]+)"', form).group(1)
    data = {"csrf_token": csrf(form), "form_key": key, "center": "wushenzhao", "venue": "社保窗口"}
    refused = web_client.post("/me/report", data=data)
    assert refused.status_code == 422 and "此项必填" in refused.text and "社保窗口" in refused.text
    data[field] = "窗口工作人员玩手机"
    first = web_client.post("/me/report", data=data)
    second = web_client.post("/me/report", data=data)
    assert first.url == second.url and "已登记" in first.text
    mine = [r for r in supdesk_ledger.recent_reports() if r.channel == "me"]
    assert len(mine) == 1 and mine[0].supervisor_id == me.id


def test_staff_end_a_supervisors_sessions_from_the_console(
    web_client, desk_people, supdesk_ledger, sms
) -> None:
    from conftest import PASSWORD

    me = desk_people["巴特尔"]
    sign_in(web_client, sms, me.id)
    login = web_client.get("/login")
    web_client.post(
        "/login",
        data={"csrf_token": csrf(login.text), "username": "town-desk", "password": PASSWORD},
    )
    page = web_client.get(f"/console/supervisors/{me.id}")
    assert "已在 1 部手机上登录" in page.text
    ended = web_client.post(
        f"/console/supervisors/{me.id}",
        data={"csrf_token": csrf(page.text), "action": "end_me_sessions"},
    )
    assert "目前没有登录" in ended.text
    assert web_client.get("/me", follow_redirects=False).status_code == 303
    sessions = supdesk_ledger.supervisor_sessions(me.id)
    assert [s.revoked_by for s in sessions] == ["user:town-desk"]


def test_my_reports_come_fifty_at_a_time_newest_first(
    web_client, desk_people, supdesk_ledger, sms, supdesk_clock
) -> None:
    ledger = supdesk_ledger
    me = desk_people["巴特尔"]
    numbers = [
        ledger.receive(
            Report(channel="test", external_id=f"p{n}", center="wushenzhao",
                   received_at=supdesk_clock(), sender=Sender(ContactKind.PHONE, PHONE),
                   text=f"第 {n} 个问题")
        ).issue_number
        for n in range(55)
    ]  # fmt: skip
    ledger.accept(numbers[0], actor="town-desk")
    supdesk_clock.advance(days=3)  # the first is overdue for dispatch by now
    counts = ledger.supervisor_issue_counts(me.id)
    assert (counts.total, counts.open, counts.to_evaluate) == (55, 55, ())
    assert counts.overdue >= 1
    sign_in(web_client, sms, me.id)
    first = web_client.get("/me/reports").text
    shown = re.findall(r'class="me-number">([^<]+)<', first)
    assert shown == numbers[::-1][:50]
    older = re.search(r'href="(/me/reports\?before=\d+)"', first).group(1)
    second = web_client.get(older).text
    assert re.findall(r'class="me-number">([^<]+)<', second) == numbers[4::-1]
    assert "更早的反馈" not in second and "已逾期" in second
    assert "共 55 件，办理中 55 件" in web_client.get("/me").text


def test_anothers_task_and_document_are_not_found(
    web_client, desk_people, supdesk_ledger, sms, supdesk_clock
) -> None:
    ledger = supdesk_ledger
    me, other = desk_people["巴特尔"], desk_people["王芳"]
    today = supdesk_clock().date()
    theirs = ledger.create_task(
        "galutu", "experience", "嘎鲁图镇便民服务中心", "社保卡", "", today, today,
        [other.id], "galutu-desk",
    )  # fmt: skip
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    document = ledger.publish_document(
        "galutu", "forms", "嘎鲁图镇表格", "表格.pdf", pdf, "application/pdf", "galutu-desk"
    )
    sign_in(web_client, sms, me.id)
    assert web_client.get(f"/me/tasks/{theirs.id}").status_code == 404
    page = web_client.get("/me/tasks")
    refused = web_client.post(
        f"/me/tasks/{theirs.id}", data={"csrf_token": csrf(page.text), "action": "accept"}
    )
    assert refused.status_code == 404
    assert ledger.task_assignment(theirs.id, other.id).status.value == "assigned"
    assert web_client.get(f"/me/documents/{document.id}").status_code == 404
    assert "嘎鲁图镇表格" not in web_client.get("/me/documents").text


def test_my_year_shows_the_score_so_far_and_the_published_result(
    web_client, desk_people, supdesk_ledger, sms
) -> None:
    ledger = supdesk_ledger
    me = desk_people["巴特尔"]
    sign_in(web_client, sms, me.id)
    score = ledger.supervisor_score(me.id, 2026)
    page = web_client.get("/me/year").text
    assert "目前得分" in page and f"{score.total} 分" in page
    ledger.evaluate_year(2026, center="wushenzhao", actor="town-desk", publish=True)
    published = web_client.get("/me/year?year=2026").text
    assert "年度考评结果" in published and "第 1 名" in published
    assert web_client.get("/me/year?year=abc").status_code == 200  # this year instead

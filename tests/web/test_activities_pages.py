"""The activity pages' doors: another center's supervisor or staff, a suspended supervisor."""

from __future__ import annotations

import datetime as dt

from me_fixtures import sms, supdesk_plugin_manager, supdesk_settings
from test_me import csrf, sign_in
from test_web_desk import login

from supervision_core import SHANGHAI

__all__ = ["sms", "supdesk_plugin_manager", "supdesk_settings"]

START = dt.datetime(2026, 3, 10, 9, 30, tzinfo=SHANGHAI)


def _announce(ledger):  # type: ignore[no-untyped-def]
    return ledger.announce_activity(
        center="wushenzhao", kind="forum", title="营商环境座谈会", place="三楼会议室",
        starts_at=START, signup_deadline=START - dt.timedelta(days=1), actor="user:town-desk",
    )  # fmt: skip


def test_another_centers_supervisor_gets_not_found(
    web_client, desk_people, supdesk_ledger, sms
) -> None:
    activity = _announce(supdesk_ledger)
    sign_in(web_client, sms, desk_people["王芳"].id, phone="13804771111")
    assert "营商环境座谈会" not in web_client.get("/me").text
    assert "营商环境座谈会" not in web_client.get("/me/activities").text
    page = web_client.get(f"/me/activities/{activity.id}")
    assert page.status_code == 404 and "没有这项活动" in page.text
    posted = web_client.post(
        f"/me/activities/{activity.id}",
        data={"csrf_token": csrf(web_client.get("/me").text), "action": "sign_up"},
    )
    assert posted.status_code == 404
    assert supdesk_ledger.activity(activity.id).signed_up == ()


def test_a_suspended_supervisor_cannot_sign_up_and_forms_need_csrf(
    web_client, desk_people, supdesk_ledger, sms
) -> None:
    activity = _announce(supdesk_ledger)
    me = desk_people["巴特尔"]
    sign_in(web_client, sms, me.id)
    page = web_client.get(f"/me/activities/{activity.id}")
    assert page.status_code == 200 and "我要报名" in page.text
    no_token = web_client.post(f"/me/activities/{activity.id}", data={"action": "sign_up"})
    assert no_token.status_code == 403
    supdesk_ledger.suspend(me.id, reason="本人申请", actor="admin")
    refused = web_client.post(
        f"/me/activities/{activity.id}", data={"csrf_token": csrf(page.text), "action": "sign_up"}
    )
    # A suspended supervisor's session signs nobody in: the form leads to the sign-in
    # page, and nothing is signed up (the ledger refuses them too: test_activity_signup).
    assert refused.url.path == "/me/login"
    assert supdesk_ledger.activity(activity.id).signed_up == ()


def test_console_doors_and_cancel_tells_the_signed_up(
    web_client, desk_people, supdesk_ledger, supdesk_clock
) -> None:
    ledger = supdesk_ledger
    activity = _announce(ledger)
    ledger.sign_up_for_activity(activity.id, desk_people["巴特尔"].id)
    login(web_client, "galutu-desk")
    assert web_client.get(f"/console/activities/{activity.id}").status_code == 403
    assert web_client.get("/console/activities?center=wushenzhao").status_code == 403
    web_client.post("/logout", data={"csrf_token": csrf(web_client.get("/console").text)})
    login(web_client, "auditor")
    page = web_client.get(f"/console/activities/{activity.id}")
    assert page.status_code == 200 and "139****2345" in page.text and "13904772345" not in page.text
    assert "取消活动" not in page.text
    assert (
        web_client.post(
            f"/console/activities/{activity.id}",
            data={"csrf_token": csrf(page.text), "action": "cancel", "reason": "x"},
        ).status_code
        == 403
    )
    web_client.post("/logout", data={"csrf_token": csrf(web_client.get("/console").text)})
    login(web_client, "town-desk")
    page = web_client.get(f"/console/activities/{activity.id}")
    empty = web_client.post(
        f"/console/activities/{activity.id}",
        data={"csrf_token": csrf(page.text), "action": "cancel", "reason": " "},
    )
    assert empty.status_code == 400 and "取消的理由不能为空" in empty.text
    done = web_client.post(
        f"/console/activities/{activity.id}",
        data={"csrf_token": csrf(page.text), "action": "cancel", "reason": "会议室检修"},
    )
    assert done.status_code == 200 and "已取消活动" in done.text
    told = [e.notice for e in ledger.notices_to_supervisor(desk_people["巴特尔"].id)]
    assert any("会议室检修" in n.body for n in told)
    bad = web_client.post(
        "/console/activities",
        data={"csrf_token": csrf(page.text), "center": "wushenzhao", "kind": "forum",
              "title": "座谈", "place": "会议室", "starts_at": "明天", "signup_deadline": ""},
    )  # fmt: skip
    assert bad.status_code == 400 and "请填写开始时间" in bad.text
    supdesk_clock.set(START + dt.timedelta(hours=2))
    held = ledger.announce_activity(
        center="wushenzhao", kind="forum", title="第二次座谈", place="会议室",
        starts_at=START + dt.timedelta(hours=3), signup_deadline=START + dt.timedelta(hours=2, minutes=30),
        actor="user:town-desk",
    )  # fmt: skip
    supdesk_clock.set(START + dt.timedelta(hours=5))
    page = web_client.get(f"/console/activities/{held.id}")
    stranger = web_client.post(
        f"/console/activities/{held.id}",
        data={"csrf_token": csrf(page.text), "action": "attend", "status": "present",
              "supervisor": str(desk_people["王芳"].id)},
    )  # fmt: skip
    assert stranger.status_code == 400 and "本中心没有编号为" in stranger.text
    assert ledger.activity(held.id).attendance == ()

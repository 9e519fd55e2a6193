"""The operator console and the unit's portal: roles on the server, every step an event."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_web_desk import _field, login

from conftest import PASSWORD
from supervision_core.demo import load_demo


@pytest.fixture
def ledger_with_issues(supdesk_ledger):
    load_demo(supdesk_ledger)
    users = supdesk_ledger.users
    users.set_password("banner-desk", PASSWORD)  # the demo's account
    users.add(
        username="town-desk",
        display_name="乌审召前台",
        password=PASSWORD,
        role="staff",
        center="wushenzhao",
    )
    users.add(
        username="realty-unit",
        display_name="不动产登记中心",
        password=PASSWORD,
        role="unit",
        center="banner",
        unit="realty",
    )
    users.add(
        username="window-unit",
        display_name="乌审召窗口",
        password=PASSWORD,
        role="unit",
        center="wushenzhao",
        unit="wushenzhao-window",
    )
    users.add(
        username="banner-audit",
        display_name="审计员",
        password=PASSWORD,
        role="auditor",
        center="banner",
    )
    from supervision_core import Report, Sender

    for n, (center, sender) in enumerate(
        [("wushenzhao", "bateer@example.cn"), ("banner", "wang.jianguo@example.cn")]
    ):
        supdesk_ledger.receive(
            Report(channel="test", external_id=f"console-{n}", center=center, received_at=supdesk_ledger.clock(),
                   sender=Sender("email", sender), text=f"{center} 窗口工作人员不在岗", subject="控制台测试")
        )  # fmt: skip
    return supdesk_ledger


def _docx_text(content: bytes) -> str:
    import io

    from docx import Document

    document = Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def received_in(ledger, center):
    return next(i for i in ledger.issues(center=center) if i.state == "received")


def act(client, number, **fields):
    page = client.get(f"/console/issues/{number}")
    assert page.status_code == 200, page.text
    return client.post(
        f"/console/issues/{number}", data={"csrf_token": _field(page.text, "csrf_token"), **fields}
    )


def test_an_operator_screens_dispatches_and_a_unit_rectifies_then_the_operator_closes(
    web_client, ledger_with_issues
):
    ledger = ledger_with_issues
    login(web_client, "town-desk")
    queue = web_client.get("/console?view=screen")
    issue = received_in(ledger, "wushenzhao")
    assert issue.number in queue.text
    assert act(web_client, issue.number, action="accept").status_code == 200
    assert (
        act(
            web_client, issue.number, action="dispatch", unit="wushenzhao-window", person="其木格"
        ).status_code
        == 200
    )
    assert ledger.issue(issue.number).state.value == "dispatched"
    # A step the state does not allow is refused with the reason, and nothing changes.
    refused = act(web_client, issue.number, action="close", note="太早")
    assert refused.status_code == 400 and "不能执行" in refused.text
    # The unit plans and completes in its portal.
    web_client.cookies.clear()
    login(web_client, "window-unit")
    portal = web_client.get("/unit")
    assert issue.number in portal.text
    page = web_client.get(f"/unit/issues/{issue.number}")
    for fields in (
        {"action": "plan", "track": "immediate"},
        {"action": "complete", "evidence": "已在窗口张贴告知单"},
    ):
        csrf = _field(page.text, "csrf_token")
        page = web_client.post(f"/unit/issues/{issue.number}", data={"csrf_token": csrf, **fields})
        assert page.status_code == 200, page.text
    assert ledger.issue(issue.number).state.value == "completed"
    web_client.cookies.clear()
    login(web_client, "town-desk")
    assert act(web_client, issue.number, action="close", note="已核实").status_code == 200
    history = ledger.history(issue.number)
    assert [e.kind.value for e in history][-5:] == [
        "accepted",
        "dispatched",
        "planned",
        "completed",
        "closed",
    ]
    assert {e.actor for e in history[1:]} == {
        "user:town-desk",
        "unit:wushenzhao-window:window-unit",
    }
    assert ledger.verify(issue.number)


def test_a_unit_never_sees_who_reported(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    issue = received_in(ledger, "wushenzhao")
    ledger.accept(issue.number, actor="op")
    ledger.dispatch(issue.number, unit="wushenzhao-window", responsible_person="其木格", actor="op")
    supervisor = ledger.supervisor(issue.supervisor_id)
    login(web_client, "window-unit")
    page = web_client.get(f"/unit/issues/{issue.number}")
    assert page.status_code == 200
    source = page.text
    assert ledger.issue(issue.number).text in source
    for secret in [
        supervisor.name,
        supervisor.name[0] + "*",
        *(i.value for i in supervisor.identities),
    ]:
        assert secret not in source
    # Nor the desk, the console or another unit's issue.
    assert web_client.get(f"/console/issues/{issue.number}").status_code == 403
    assert web_client.get("/console").status_code == 403
    assert web_client.get("/walk-in").status_code == 403
    other = next(i for i in ledger.issues() if i.unit and i.unit != "wushenzhao-window")
    assert web_client.get(f"/unit/issues/{other.number}").status_code == 403
    page = web_client.get(f"/unit/issues/{issue.number}")
    forged = web_client.post(
        f"/unit/issues/{issue.number}",
        data={"csrf_token": _field(page.text, "csrf_token"), "action": "close", "note": "x"},
    )
    assert forged.status_code == 403


def test_a_township_cannot_reach_another_townships_issue(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    theirs = received_in(ledger, "banner")
    login(web_client, "town-desk")
    assert web_client.get(f"/console/issues/{theirs.number}").status_code == 403
    page = web_client.get(f"/console/issues/{received_in(ledger, 'wushenzhao').number}")
    tampered = web_client.post(
        f"/console/issues/{theirs.number}",
        data={"csrf_token": _field(page.text, "csrf_token"), "action": "accept"},
    )
    assert tampered.status_code == 403
    assert ledger.issue(theirs.number).state.value == "received"
    assert web_client.get("/console?center=banner").status_code == 403
    assert theirs.number not in web_client.get("/console?view=all").text


def test_an_auditor_reads_but_changes_nothing(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    issue = received_in(ledger, "wushenzhao")
    login(web_client, "banner-audit")
    page = web_client.get(f"/console/issues/{issue.number}")
    assert page.status_code == 200 and "受理" not in re.sub(
        r"<h2>办理记录.*", "", page.text.split("<h2>办理</h2>")[-1]
    )
    refused = web_client.post(
        f"/console/issues/{issue.number}",
        data={"csrf_token": _field(page.text, "csrf_token"), "action": "accept"},
    )
    assert refused.status_code == 403
    assert ledger.issue(issue.number).state.value == "received"


def test_every_view_of_a_supervisor_is_in_the_access_log(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    issue = received_in(ledger, "wushenzhao")
    login(web_client, "town-desk")
    web_client.get(f"/console/issues/{issue.number}")
    (entry, *_) = ledger.users.access_log()
    assert entry[1] == "town-desk" and entry[2] == "view_issue" and issue.number in entry[3]


def test_the_queue_marks_overdue_issues(web_client, ledger_with_issues, supdesk_clock):
    supdesk_clock.advance(days=60)
    login(web_client, "banner-desk")
    page = web_client.get("/console?view=overdue")
    assert page.status_code == 200
    assert 'class="overdue"' in page.text and "逾期" in page.text


def test_the_console_in_a_browser(browser_page, live_desk, ledger_with_issues, screenshot):
    ledger = ledger_with_issues
    issue = received_in(ledger, "wushenzhao")
    page = browser_page
    page.goto(f"{live_desk}/console")
    page.get_by_label("用户名").fill("town-desk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/console"))
    screenshot(page, "console-queue")
    page.get_by_role("link", name=issue.number).click()
    page.get_by_role("button", name="受理", exact=True).click()
    page.get_by_label("责任人").fill("其木格")
    page.get_by_role("button", name="派单").click()
    assert (
        page.locator("[data-state]").inner_text() == "已派单，待定整改方式"
        or ledger.issue(issue.number).state.value == "dispatched"
    )
    screenshot(page, "console-issue")
    assert ledger.issue(issue.number).state.value == "dispatched"
    page.goto(f"{live_desk}/console/dashboard")
    assert page.get_by_role("heading", name="统计图表").is_visible()
    screenshot(page, "console-dashboard")


def test_the_dashboard_counts_what_the_ledger_holds(web_client, ledger_with_issues, supdesk_clock):
    ledger = ledger_with_issues
    login(web_client, "banner-desk")
    page = web_client.get("/console/dashboard")
    assert page.status_code == 200
    expected = ledger.dashboard([c.code for c in ledger.centers()])
    assert f"<strong data-open>{expected['open']}</strong>" in page.text
    assert f">{expected['overdue']}</strong>" in page.text
    assert "近 12 周各渠道收到的反馈" in page.text and "<svg" in page.text
    # The demo has one rectification done on time (by its deadline as it stood).
    assert expected["finished"] >= 1 and expected["on_time_rate"] is not None
    assert f"<strong data-on-time>{round(100 * expected['on_time_rate'], 1)}%</strong>" in page.text
    web_client.cookies.clear()
    login(web_client, "window-unit")
    assert web_client.get("/console/dashboard").status_code == 403


def test_quarantine_assign_and_dismiss_within_the_center(web_client, ledger_with_issues):
    from supervision_core import Report, Sender

    ledger = ledger_with_issues
    for n, center in enumerate(["wushenzhao", "wushenzhao", "banner"]):
        ledger.receive(Report(channel="test", external_id=f"q-{n}", center=center, received_at=ledger.clock(),
                              sender=Sender("phone", f"1350000000{n}"), text=f"未登记来电 {n}"))  # fmt: skip
    held = {q.text: q for q in ledger.quarantine()}
    bateer = next(s for s in ledger.supervisors() if s.name == "巴特尔")
    login(web_client, "town-desk")
    page = web_client.get("/console/quarantine")
    assert (
        "未登记来电 0" in page.text
        and "未登记来电 2" not in page.text
        and "135****0000" in page.text
    )
    csrf = _field(page.text, "csrf_token")
    web_client.post(
        "/console/quarantine",
        data={
            "csrf_token": csrf,
            "id": held["未登记来电 0"].id,
            "action": "assign",
            "supervisor_id": bateer.id,
        },
    )
    web_client.post(
        "/console/quarantine",
        data={
            "csrf_token": csrf,
            "id": held["未登记来电 1"].id,
            "action": "dismiss",
            "note": "骚扰电话",
        },
    )
    refused = web_client.post(
        "/console/quarantine",
        data={"csrf_token": csrf, "id": held["未登记来电 2"].id, "action": "dismiss", "note": "x"},
    )
    assert refused.status_code == 403
    left = {q.text for q in ledger.quarantine()}
    assert (
        left == {t for t in left if t not in ("未登记来电 0", "未登记来电 1")}
        and "未登记来电 2" in left
    )
    assert any(
        i.supervisor_id == bateer.id and ledger.issue(i.id).text == "未登记来电 0"
        for i in ledger.issues()
    )


def test_a_large_quarantine_is_shown_a_page_at_a_time(web_client, ledger_with_issues):
    from supervision_core import BulkQuarantine, ContactKind, QuarantineReason

    ledger = ledger_with_issues
    rows = [
        BulkQuarantine(f"wushenzhao:rec:{n}", "wushenzhao" if n % 4 else "banner",
                       "2026-03-02 01:00:00.000000", f"1390000{n:04d}", None, None, f"热线来电 {n}",
                       None, None, None)
        for n in range(130)
    ]  # fmt: skip
    ledger.quarantine_many("phone_log", ContactKind.PHONE, QuarantineReason.UNMATCHED_SENDER, rows)
    mine = ledger.quarantine_count(centers={"wushenzhao"})
    assert mine == 97 + sum(
        1 for q in ledger.quarantine(center="wushenzhao") if q.channel != "phone_log"
    )
    login(web_client, "town-desk")
    first = web_client.get("/console/quarantine")
    assert f"共 {mine} 条待处理" in first.text and first.text.count('class="card"') == 50
    after = re.search(r'href="/console/quarantine\?after=(\d+)"', first.text)
    assert after is not None
    pages, seen = 1, set(re.findall(r"热线来电 (\d+)", first.text))
    while after is not None:
        page = web_client.get(f"/console/quarantine?after={after.group(1)}")
        seen |= set(re.findall(r"热线来电 (\d+)", page.text))
        after = re.search(r'href="/console/quarantine\?after=(\d+)"', page.text)
        pages += 1
    assert pages == 2 and seen == {str(n) for n in range(130) if n % 4}  # no other center's
    assert ledger.quarantine_count(centers={"wushenzhao"}, up_to=40) == 40


def test_a_huge_quarantine_is_counted_only_so_far(web_client, ledger_with_issues, monkeypatch):
    from supervision_core import BulkQuarantine, ContactKind, QuarantineReason
    from supervision_web.console import quarantine

    rows = [BulkQuarantine(f"x:{n}", "wushenzhao", "2026-03-02 01:00:00.000000", f"1390000{n:04d}",
                           None, None, "来电", None, None, None) for n in range(30)]  # fmt: skip
    ledger_with_issues.quarantine_many(
        "phone_log", ContactKind.PHONE, QuarantineReason.UNMATCHED_SENDER, rows
    )
    monkeypatch.setattr(quarantine, "COUNT_UP_TO", 20)
    login(web_client, "town-desk")
    assert "共 20 余条待处理" in web_client.get("/console/quarantine").text


def test_merging_a_duplicate_in_the_console(web_client, ledger_with_issues):
    from supervision_core import Report, Sender

    ledger = ledger_with_issues
    first = received_in(ledger, "wushenzhao")
    second = ledger.receive(Report(channel="test", external_id="dup", center="wushenzhao", received_at=ledger.clock(),
                                   sender=Sender("email", "bateer@example.cn"), text="同一件事又反映了一次"))  # fmt: skip
    login(web_client, "town-desk")
    assert (
        act(web_client, second.issue_number, action="merge", into=first.number).status_code == 200
    )
    assert ledger.issue(second.issue_number).state.value == "merged"
    other = received_in(ledger, "banner")
    third = ledger.receive(Report(channel="test", external_id="dup2", center="wushenzhao", received_at=ledger.clock(),
                                  sender=Sender("email", "bateer@example.cn"), text="想并到别的中心去"))  # fmt: skip
    assert act(web_client, third.issue_number, action="merge", into=other.number).status_code == 403


def test_a_unit_objects_to_a_dispatch_and_it_goes_back_to_the_center(
    web_client, ledger_with_issues
):
    ledger = ledger_with_issues
    issue = received_in(ledger, "wushenzhao")
    ledger.accept(issue.number, actor="op")
    ledger.dispatch(issue.number, unit="wushenzhao-window", responsible_person="其木格", actor="op")
    login(web_client, "window-unit")
    page = web_client.get(f"/unit/issues/{issue.number}")
    empty = web_client.post(
        f"/unit/issues/{issue.number}",
        data={"csrf_token": _field(page.text, "csrf_token"), "action": "object", "reason": " "},
    )
    assert empty.status_code == 400 and "必须说明理由" in empty.text
    done = web_client.post(
        f"/unit/issues/{issue.number}",
        data={
            "csrf_token": _field(page.text, "csrf_token"),
            "action": "object",
            "reason": "属于不动产登记中心职责",
        },
    )
    assert done.status_code == 403  # no longer the unit's: it is back with the center
    after = ledger.issue(issue.number)
    assert after.state.value == "accepted" and after.unit is None
    (event,) = [e for e in ledger.history(issue.number) if e.kind.value == "objected"]
    assert event.note == "属于不动产登记中心职责" and ledger.verify(issue.number)


def test_the_supervisors_register_in_the_browser_pages(
    web_client, ledger_with_issues, supdesk_clock
):
    ledger = ledger_with_issues
    login(web_client, "town-desk")
    page = web_client.get("/console/supervisors")
    assert (
        "巴特尔" in page.text and "139****2345" in page.text and "王建国" not in page.text
    )  # own center only
    csrf = _field(page.text, "csrf_token")
    added = web_client.post("/console/supervisors", data={"csrf_token": csrf, "name": "其其格", "center": "wushenzhao",
                                                          "origin": "township_hired", "phone": "13800001234"})  # fmt: skip
    assert added.status_code == 200 and "监督员 其其格" in added.text
    sid = int(added.url.path.rsplit("/", 1)[1])
    refused = web_client.post(
        "/console/supervisors", data={"csrf_token": csrf, "name": "外镇", "center": "galutu"}
    )
    assert refused.status_code == 403

    def post(**fields):
        page = web_client.get(f"/console/supervisors/{sid}")
        return web_client.post(
            f"/console/supervisors/{sid}",
            data={"csrf_token": _field(page.text, "csrf_token"), **fields},
        )

    post(
        action="edit",
        name="其其格（更正）",
        letter_number="WSQ-2026-099",
        term_start="2026-01-01",
        term_end="2027-12-31",
    )
    edited = ledger.supervisor(sid)
    assert (edited.name, edited.letter_number, str(edited.term_end)) == (
        "其其格（更正）",
        "WSQ-2026-099",
        "2027-12-31",
    )
    assert "早于开始日期" in post(action="edit", term_end="2025-01-01").text
    code_page = post(action="link_code")
    code = re.search(r"data-link-code>([A-Z0-9]+)<", code_page.text).group(1)
    assert ledger.messengers.redeem_link_code(code, "telegram:99") == sid
    post(action="suspend", reason="长期未履职")
    assert ledger.supervisor(sid).status.value == "suspended"
    post(action="reinstate", reason="已恢复履职")
    post(action="discipline", kind="admonition", reason="泄露反映人信息")
    assert [d.kind.value for d in ledger.discipline(sid)] == ["admonition"]
    activity = ledger.add_activity(
        center="wushenzhao",
        kind="training",
        title="监督员培训",
        held_on=ledger.today(),
        place="镇政府",
        organizer="乌审召镇",
    )
    post(action="attendance", activity=str(activity.id), status="present")
    assert any(a.id == activity.id for a in ledger.activities(center="wushenzhao"))
    # A township cannot revoke without an admonition before it; the banner center may.
    refused = post(action="revoke", reason="本人申请退出", override="本人申请")
    assert "须由旗政务服务中心决定" in refused.text
    assert "请列出此前的批评教育记录" in post(action="revoke", reason="仍不改").text
    admonition = ledger.discipline(sid)[0].id
    post(
        action="revoke",
        reason="经批评教育仍不改",
        admonitions=f"#{admonition}",
        decided_by="镇长 巴特尔",
        letter_returned="yes",
    )
    assert ledger.supervisor(sid).status.value == "revoked"
    revocation = ledger.supervisor(sid).revocation
    assert revocation is not None and revocation.decided_by == "镇长 巴特尔"
    assert "待收回：工作证" in web_client.get(f"/console/supervisors/{sid}").text
    post(action="papers_returned", card_returned="yes")
    assert sid not in [s.id for s in ledger.papers_outstanding()]
    assert ("town-desk", "view_supervisor") in {(e[1], e[2]) for e in ledger.users.access_log()}
    other = next(s for s in ledger.supervisors() if s.center == "banner")
    assert web_client.get(f"/console/supervisors/{other.id}").status_code == 403
    web_client.cookies.clear()
    login(web_client, "banner-audit")
    page = web_client.get(f"/console/supervisors/{sid}")
    assert page.status_code == 200
    assert (
        web_client.post(
            f"/console/supervisors/{sid}",
            data={"csrf_token": _field(page.text, "csrf_token"), "action": "link_code"},
        ).status_code
        == 403
    )


def test_queue_filters_are_bookmarkable(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    bateer = next(s for s in ledger.supervisors() if s.name == "巴特尔")
    login(web_client, "banner-desk")
    mine = {i.number for i in ledger.issues(supervisor=bateer.id)}
    page = web_client.get(f"/console?view=all&supervisor={bateer.id}")
    shown = set(re.findall(r"[a-z]+-2026-\d{5}", page.text))
    assert shown == mine
    assert f'value="{bateer.id}"' in page.text  # the filter stays in the form
    today = ledger.today().isoformat()
    dated = set(
        re.findall(
            r"[a-z]+-2026-\d{5}", web_client.get(f"/console?view=all&from={today}&to={today}").text
        )
    )
    assert dated == {
        i.number
        for i in ledger.issues()
        if i.received_at.astimezone(__import__("supervision_core").SHANGHAI).date().isoformat()
        == today
    }
    by_unit = set(
        re.findall(r"[a-z]+-2026-\d{5}", web_client.get("/console?view=all&unit=realty").text)
    )
    assert by_unit == {i.number for i in ledger.issues() if i.unit == "realty"}
    # The unit and the center by their Chinese names, as the command line takes them.
    for unit in ("不动产登记窗口", "不动产登记"):
        named = web_client.get(f"/console?view=all&unit={unit}")
        assert set(re.findall(r"[a-z]+-2026-\d{5}", named.text)) == by_unit, unit
    town = web_client.get("/console?view=all&center=乌审召镇").text
    assert set(re.findall(r"[a-z]+-2026-\d{5}", town)) == {
        i.number for i in ledger.issues(center="wushenzhao")
    }
    unknown = web_client.get("/console?view=all&unit=没有这个单位")
    assert unknown.status_code == 400 and "没有名为或代码为“没有这个单位”的承办单位" in unknown.text


def test_activities_and_contacts_in_the_register(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    bateer = next(s for s in ledger.supervisors() if s.name == "巴特尔")
    login(web_client, "town-desk")
    page = web_client.get("/console/supervisors")
    web_client.post("/console/supervisors", data={"csrf_token": _field(page.text, "csrf_token"), "action": "activity", "center": "wushenzhao",
                                                  "kind": "forum", "title": "季度座谈", "held_on": ledger.today().isoformat(),
                                                  "place": "镇政府", "organizer": "乌审召镇"})  # fmt: skip
    assert [a.title for a in ledger.activities(center="wushenzhao")][-1] == "季度座谈"
    page = web_client.get(f"/console/supervisors/{bateer.id}")
    web_client.post(
        f"/console/supervisors/{bateer.id}",
        data={
            "csrf_token": _field(page.text, "csrf_token"),
            "action": "add_contact",
            "kind": "email",
            "value": "bateer.new@example.cn",
        },
    )
    assert "bateer.new@example.cn" in {i.value for i in ledger.supervisor(bateer.id).identities}


def _browser_login(page, base, username):
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_each_role_in_the_browser(browser_page, live_desk, ledger_with_issues):
    ledger = ledger_with_issues
    issue = received_in(ledger, "wushenzhao")
    ledger.accept(issue.number, actor="op")
    ledger.dispatch(issue.number, unit="wushenzhao-window", responsible_person="其木格", actor="op")
    supervisor = ledger.supervisor(issue.supervisor_id)
    page = browser_page
    # The unit records its rectification and never sees who reported it.
    _browser_login(page, live_desk, "window-unit")
    page.get_by_role("link", name=issue.number).click()
    page.get_by_label("整改方式").select_option("immediate")
    page.get_by_role("button", name="确定整改方式").click()
    page.get_by_label("整改完成情况").fill("已当场整改")
    page.get_by_role("button", name="整改完成").click()
    assert (
        page.locator("[data-state]").inner_text() == "已整改，待评价"
        or ledger.issue(issue.number).state.value == "completed"
    )
    assert ledger.issue(issue.number).state.value == "completed"
    html = page.content()
    assert supervisor.name not in html and all(i.value not in html for i in supervisor.identities)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Word（DOCX）").click()
    notice = _docx_text(Path(download.value.path()).read_bytes())
    assert "派单通知" in notice and supervisor.name not in notice
    # The township's operator closes it.
    page.context.clear_cookies()
    _browser_login(page, live_desk, "town-desk")
    page.goto(f"{live_desk}/console/issues/{issue.number}")
    page.get_by_label("办结说明").fill("已核实整改")
    page.get_by_role("button", name="办结").click()
    page.wait_for_load_state()
    assert ledger.issue(issue.number).state.value == "closed"
    # Another township's desk: 403 by URL, and nothing changes.
    page.context.clear_cookies()
    ledger.users.add(
        username="galutu-desk",
        display_name="嘎鲁图前台",
        password=PASSWORD,
        role="staff",
        center="galutu",
    )
    _browser_login(page, live_desk, "galutu-desk")
    response = page.goto(f"{live_desk}/console/issues/{issue.number}")
    assert response.status == 403 and "无权查看其他中心" in page.content()
    # The auditor reads, and is offered no action.
    page.context.clear_cookies()
    _browser_login(page, live_desk, "banner-audit")
    page.goto(f"{live_desk}/console/issues/{issue.number}")
    assert page.get_by_role("heading", name=f"问题 {issue.number}").is_visible()
    assert page.locator("form.action").count() == 0
    other = received_in(ledger, "banner")
    page.goto(f"{live_desk}/console/issues/{other.number}")
    assert page.locator("form.action").count() == 0  # even where staff would see 受理
    assert ledger.issue(other.number).state.value == "received"


def test_on_time_is_judged_by_the_deadline_as_it_stood(ledger_with_issues, supdesk_clock):
    ledger = ledger_with_issues
    numbers = []
    for n in range(2):
        from supervision_core import Report, Sender

        result = ledger.receive(Report(channel="test", external_id=f"ot-{n}", center="wushenzhao", received_at=ledger.clock(),
                                       sender=Sender("email", "bateer@example.cn"), text=f"按期与否 {n}"))  # fmt: skip
        ledger.accept(result.issue_number, actor="op")
        ledger.dispatch(
            result.issue_number, unit="wushenzhao-window", responsible_person="其木格", actor="op"
        )
        ledger.plan(result.issue_number, track="immediate", actor="op")
        numbers.append(result.issue_number)
    ledger.complete(numbers[0], evidence="当天整改", actor="unit")
    supdesk_clock.advance(days=10)
    ledger.complete(numbers[1], evidence="拖了很久", actor="unit")
    assert ledger.issue(numbers[0]).completed_on_time is True
    assert ledger.issue(numbers[1]).completed_on_time is False
    assert ledger.verify(numbers[1])


def test_past_the_deadline_only_the_banner_center_extends_and_the_issue_stays_late(
    web_client, ledger_with_issues, supdesk_clock
):
    ledger = ledger_with_issues
    issue = received_in(ledger, "wushenzhao")
    ledger.accept(issue.number, actor="op")
    ledger.dispatch(issue.number, unit="wushenzhao-window", responsible_person="其木格", actor="op")
    ledger.plan(issue.number, track="scheduled", measures="增设引导员", days=3, actor="op")
    supdesk_clock.advance(days=7)  # Monday 03-09; the plan was due Thursday 03-05
    login(web_client, "town-desk")
    refused = act(web_client, issue.number, action="extend", days="2", reason="人员未到岗")
    assert refused.status_code == 400 and "须经旗政务服务中心批准" in refused.text
    assert ledger.issue(issue.number).extensions == 0
    web_client.cookies.clear()
    login(web_client, "banner-desk")
    page = act(web_client, issue.number, action="extend", days="2", reason="人员未到岗")
    assert page.status_code == 200, page.text
    assert "<dd data-rectification-due>2026-03-11（原定 2026-03-05，延期 1 次）</dd>" in page.text
    assert "<dd data-late>是（整改时限 2026-03-05 已过" in page.text
    assert "<dd>乌审召镇综合窗口，其木格</dd>" in page.text  # the unit by name, not its code
    ledger.complete(issue.number, evidence="引导员已到岗", actor="op")
    page = web_client.get(f"/console/issues/{issue.number}")
    assert "（逾期 2 个工作日）</dd>" in page.text and "<dd data-late>是" in page.text
    granted = [e for e in ledger.history(issue.number) if e.kind.value == "extended"]
    assert [(e.actor, e.data["granted_by"]) for e in granted] == [("user:banner-desk", "banner")]


def test_the_screening_queue_shows_the_checks_advice(web_client, ledger_with_issues):
    from supervision_core import Report, Sender

    ledger = ledger_with_issues
    result = ledger.receive(Report(channel="test", external_id="advice", center="wushenzhao", received_at=ledger.clock(),
                                   sender=Sender("email", "bateer@example.cn"), text="此事已经到信访局上访过了，窗口仍不处理"))  # fmt: skip
    login(web_client, "town-desk")
    page = web_client.get("/console?view=screen").text
    row = page[page.index(result.issue_number) :]
    row = row[: row.index("</tr>")]
    assert "data-advice" in row and "信访" in row


def test_the_units_notice_download_never_names_the_supervisor(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    issue = received_in(ledger, "wushenzhao")
    ledger.accept(issue.number, actor="op")
    ledger.dispatch(issue.number, unit="wushenzhao-window", responsible_person="其木格", actor="op")
    supervisor = ledger.supervisor(issue.supervisor_id)
    login(web_client, "window-unit")
    download = web_client.get(f"/unit/issues/{issue.number}/notice.docx")
    assert download.status_code == 200 and download.headers["content-disposition"].startswith(
        "attachment"
    )
    text = _docx_text(download.content)
    assert "派单通知" in text and ledger.issue(issue.number).text in text
    for secret in [supervisor.name, *(i.value for i in supervisor.identities)]:
        assert secret not in text
    other = next(i for i in ledger.issues() if i.unit and i.unit != "wushenzhao-window")
    assert web_client.get(f"/unit/issues/{other.number}/notice.docx").status_code == 403


def test_search_by_text_finds_only_the_centers_issues(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    login(web_client, "town-desk")
    found = set(
        re.findall(
            r"[a-z]+-2026-\d{5}", web_client.get("/console?view=all&q=窗口工作人员不在岗").text
        )
    )
    assert found == {
        received_in(ledger, "wushenzhao").number
    }  # the banner center's twin is not shown
    assert ledger.issues(text="100%_不存在") == []  # LIKE wildcards are taken literally

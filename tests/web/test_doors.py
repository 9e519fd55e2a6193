"""Every door holds (#19): the web desk's checks, each with the attack that got through before.

Deadlines a unit sets itself, ids a form carries from another center, cookies kept from
before sign-out, a sign-in flood, malformed numbers and dates, /metrics and /healthz, and
what a banner-level unit sees of the townships.
"""

from __future__ import annotations

import re
import threading

import pytest
import test_console
from test_console import act, received_in
from test_web_desk import _field, login

from conftest import PASSWORD
from supervision_core import ContactKind, Report, Sender, Unit
from supervision_core.testing import wait_until

ledger_with_issues = test_console.ledger_with_issues  # the console's fixture, shared


def _message(page: str) -> str:
    found = re.search(r'class="error-summary"[^>]*>([^<]*)<', page)
    assert found, "no message on the page"
    return found.group(1)


def _dispatched(ledger, center: str, unit: str) -> str:
    number = received_in(ledger, center).number
    ledger.accept(number, actor="op")
    ledger.dispatch(number, unit=unit, responsible_person="其木格", actor="op")
    return number


def _post(client, path: str, **fields):
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf_token": _field(page.text, "csrf_token"), **fields})


# ---------------------------------------------------------------- a unit's own deadline


def test_a_unit_cannot_move_its_own_deadline(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    number = _dispatched(ledger, "wushenzhao", "wushenzhao-window")
    login(web_client, "window-unit")
    path = f"/unit/issues/{number}"
    for days in ("400", "99999999", "99999999999999999999999"):
        refused = _post(web_client, path, action="plan", track="scheduled", measures="补充告知单", days=days)  # fmt: skip
        assert refused.status_code == 400, refused.text
        assert "中心批准" in _message(refused.text) or "整数" in _message(refused.text)
        assert "补充告知单" in refused.text  # what was typed is kept
    explained = _post(web_client, path, action="plan", track="explained", days="30")
    assert explained.status_code == 400 and "最长 5 个工作日" in _message(explained.text)
    assert ledger.issue(number).state.value == "dispatched" and ledger.issue(number).due_on
    planned = _post(web_client, path, action="plan", track="scheduled", measures="补充告知单", days="8")  # fmt: skip
    assert planned.status_code == 200
    issue = ledger.issue(number)
    assert issue.state.value == "rectifying"
    assert issue.due_on == ledger.calendar.add_working_days(ledger.today(), 8).due_on


def test_the_center_sets_a_longer_term_within_its_own_limit(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    number = _dispatched(ledger, "wushenzhao", "wushenzhao-window")
    login(web_client, "town-desk")
    refused = act(web_client, number, action="plan", track="scheduled", measures="改造", days="61")
    assert refused.status_code == 400 and "最长 60 个工作日" in _message(refused.text)
    assert 'value="61"' in refused.text
    assert act(web_client, number, action="plan", track="scheduled", measures="改造", days="30").status_code == 200  # fmt: skip
    assert (
        ledger.issue(number).due_on == ledger.calendar.add_working_days(ledger.today(), 30).due_on
    )


# ---------------------------------------------------------------- ids from other centers


def _quarantined(ledger) -> int:
    result = ledger.receive(
        Report(channel="test", external_id="stranger-1", center="wushenzhao",
               received_at=ledger.clock(), sender=Sender("email", "stranger@example.cn"),
               text="窗口无人值守", subject="来信")
    )  # fmt: skip
    return result.report_id


def test_a_township_files_a_report_only_under_its_own_supervisors(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    held = _quarantined(ledger)
    other = next(s for s in ledger.supervisors() if s.center == "galutu")
    login(web_client, "town-desk")
    refused = _post(web_client, "/console/quarantine", action="assign", id=str(held), supervisor_id=str(other.id))  # fmt: skip
    assert refused.status_code == 400 and "本中心的监督员" in _message(refused.text)
    assert ledger.report_summary(held).status == "quarantined"
    assert other.name not in refused.text
    own = next(s for s in ledger.supervisors() if s.center == "wushenzhao")
    filed = _post(web_client, "/console/quarantine", action="assign", id=str(held), supervisor_id=str(own.id))  # fmt: skip
    assert filed.status_code == 200 and ledger.report_summary(held).status == "released"


def test_attendance_only_at_the_supervisors_own_centers_activities(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    import datetime as dt

    own = next(s for s in ledger.supervisors() if s.center == "wushenzhao")
    theirs = ledger.add_activity(center="galutu", kind="forum", title="嘎鲁图座谈会", held_on=dt.date(2026, 3, 1), place="嘎鲁图", organizer="嘎鲁图中心")  # fmt: skip
    mine = ledger.add_activity(center="wushenzhao", kind="forum", title="乌审召座谈会", held_on=dt.date(2026, 3, 1), place="乌审召", organizer="乌审召中心")  # fmt: skip
    login(web_client, "town-desk")
    path = f"/console/supervisors/{own.id}"
    refused = _post(
        web_client, path, action="attendance", activity=str(theirs.id), status="present"
    )
    assert refused.status_code == 400 and "本中心的活动" in _message(refused.text)
    assert ledger.activity(theirs.id).attendance == ()
    assert _post(web_client, path, action="attendance", activity=str(mine.id), status="present").status_code == 200  # fmt: skip
    assert [a for a, _ in ledger.activity(mine.id).attendance] == [own.id]


def test_a_phone_already_registered_elsewhere_does_not_say_to_whom(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    own = next(s for s in ledger.supervisors() if s.center == "wushenzhao")
    other = next(s for s in ledger.supervisors() if s.center == "galutu")
    phone = next(i.value for i in other.identities if i.kind is ContactKind.PHONE)
    login(web_client, "town-desk")
    refused = _post(web_client, f"/console/supervisors/{own.id}", action="add_contact", kind="phone", value=phone)  # fmt: skip
    said = _message(refused.text)
    assert refused.status_code == 400 and "其他中心的监督员" in said
    assert f"#{other.id}" not in said and other.name not in refused.text
    appointed = _post(web_client, "/console/supervisors", name="新监督员", center="wushenzhao", origin="township_hired", phone=phone)  # fmt: skip
    assert appointed.status_code == 400 and f"#{other.id}" not in _message(appointed.text)
    assert 'value="新监督员"' in appointed.text
    web_client.cookies.clear()
    login(web_client, "banner-desk")  # the banner center sees every supervisor: it is told who
    told = _post(web_client, f"/console/supervisors/{own.id}", action="add_contact", kind="phone", value=phone)  # fmt: skip
    assert f"#{other.id}（{other.name}）" in _message(told.text)


# ---------------------------------------------------------------- sessions


def test_a_cookie_kept_from_before_sign_out_signs_nobody_in(web_app, ledger_with_issues):
    from starlette.testclient import TestClient

    ledger = ledger_with_issues
    number = received_in(ledger, "wushenzhao").number
    with (
        TestClient(web_app, base_url="https://testserver") as client,
        TestClient(web_app, base_url="https://testserver") as elsewhere,
    ):
        login(client, "town-desk")
        login(elsewhere, "town-desk")  # the same account on another device
        page = client.get(f"/console/issues/{number}")
        kept, csrf = dict(client.cookies), _field(page.text, "csrf_token")
        assert client.post("/logout", data={"csrf_token": csrf}).url.path == "/login"
        client.cookies.update(kept)  # the cookie saved before signing out
        replay = client.post(f"/console/issues/{number}", data={"csrf_token": csrf, "action": "accept"})  # fmt: skip
        assert replay.url.path == "/login"
        assert ledger.issue(number).state.value == "received"
        assert elsewhere.get("/console").url.path == "/login"  # every session ended


@pytest.mark.parametrize("change", ["password", "disable", "role"])
def test_a_new_password_disabling_or_a_new_role_ends_every_session(
    web_client, ledger_with_issues, change
):
    users = ledger_with_issues.users
    login(web_client, "town-desk")
    assert web_client.get("/console").url.path == "/console"
    if change == "password":
        users.set_password("town-desk", "a brand new password")
    elif change == "disable":
        users.set_disabled("town-desk", True)
    else:
        users.set_role("town-desk", "auditor")
    assert web_client.get("/console").url.path == "/login"


def test_a_sign_in_flood_waits_for_its_own_threads_not_the_pages(ledger_with_issues, monkeypatch):
    """Sixty sign-ins at once: two checked at a time, four waiting, the rest refused at
    once (429), and a signed-in clerk's page answers while they are held."""
    import socket
    from concurrent.futures import ThreadPoolExecutor

    import httpx
    import uvicorn

    import supervision_core.store.users as store
    from supervision_web import WebSettings, create_app

    app = create_app(
        ledger_with_issues,
        WebSettings(secret_key="k" * 48, secure_cookies=False, sign_in_workers=2, sign_in_queue=4),
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=20, what="the web desk to start")
    base = f"http://127.0.0.1:{port}"
    hold, lock = threading.Event(), threading.Lock()
    inside = {"now": 0, "most": 0}
    verify = store.verify_password

    def held_verify(stored, password):
        with lock:
            inside["now"] += 1
            inside["most"] = max(inside["most"], inside["now"])
        try:
            assert hold.wait(60), "the test never released the checks"
            return verify(stored, password)
        finally:
            with lock:
                inside["now"] -= 1

    def sign_in(client, username, password):
        csrf = _field(client.get("/login").text, "csrf_token")
        return client.post(
            "/login", data={"csrf_token": csrf, "username": username, "password": password}
        )

    try:
        with httpx.Client(base_url=base, timeout=30) as clerk:
            assert sign_in(clerk, "town-desk", PASSWORD).status_code == 303
            monkeypatch.setattr(store, "verify_password", held_verify)

            def guess(n):
                with httpx.Client(base_url=base, timeout=90) as client:
                    return sign_in(client, "banner-desk", f"guess {n}")

            with ThreadPoolExecutor(max_workers=60) as pool:
                flood = [pool.submit(guess, n) for n in range(60)]
                wait_until(
                    lambda: sum(f.done() for f in flood) == 54, timeout=60, what="54 refusals"
                )
                assert inside["now"] == 2
                page = clerk.get("/console")  # while the sign-ins are held
                assert page.status_code == 200 and "问题台账" in page.text
                hold.set()
                answers = [f.result() for f in flood]
        assert inside["most"] == 2
        assert sorted(a.status_code for a in answers) == [401] * 6 + [429] * 54
        assert "登录的人太多" in next(a.text for a in answers if a.status_code == 429)
    finally:
        hold.set()
        server.should_exit = True
        thread.join(timeout=20)


# ---------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    "path",
    [
        "/console?after=99999999999999999999999",
        "/console?view=all&to=9999-12-31",
        "/console?from=2026-02-30",
        "/console?supervisor=%C2%B2",
        "/console/quarantine?after=9999-12-31",
        "/desk?before=1e9",
        "/console/issues/%00",
    ],
)
def test_malformed_numbers_and_dates_in_an_address_are_a_400_in_chinese(
    web_client, ledger_with_issues, path
):
    login(web_client, "banner-desk")
    page = web_client.get(path)
    assert page.status_code == 400, page.text
    assert re.search(r"[\u4e00-\u9fff]", page.text) and "invalid literal" not in page.text


def test_ids_beyond_any_row_are_not_found(web_client, ledger_with_issues):
    login(web_client, "banner-desk")
    for path in (
        "/console/supervisors/99999999999999999999",
        "/attachments/99999999999999999999",
        "/walk-in/receipt/99999999999999999999",
        "/console/issues/999999999999999999999999999999",
    ):
        assert web_client.get(path).status_code == 404, path


def test_malformed_fields_are_refused_in_chinese_with_the_form_kept(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    own = next(s for s in ledger.supervisors() if s.center == "wushenzhao")
    login(web_client, "town-desk")
    path = f"/console/supervisors/{own.id}"
    edit = _post(web_client, path, action="edit", name="巴特尔（改）", term_start="9999-99-99")
    assert edit.status_code == 400 and "聘期开始" in _message(edit.text)
    assert 'value="巴特尔（改）"' in edit.text
    fax = _post(web_client, path, action="add_contact", kind="fax", value="0477-1234567")
    assert fax.status_code == 400 and "联系方式的类型" in _message(fax.text)
    activity = _post(web_client, "/console/supervisors", action="activity", center="wushenzhao", kind="forum", title="座谈会", held_on="9999-12-31x")  # fmt: skip
    assert activity.status_code == 400 and 'value="座谈会"' in activity.text
    held = _quarantined(ledger)
    for value in ("9999-12-31", "²", "99999999999999999999999"):
        page = _post(web_client, "/console/quarantine", action="assign", id=str(held), supervisor_id=value)  # fmt: skip
        assert page.status_code == 400 and "invalid literal" not in page.text
        assert re.search(r"[\u4e00-\u9fff]", _message(page.text))
    nul = _post(web_client, "/console/quarantine", action="dismiss", id=str(held), note="垃圾\x00邮件")  # fmt: skip
    assert nul.status_code == 400 and "空字符" in _message(nul.text)


def test_eleven_files_keep_the_form_and_say_so_in_chinese(web_client, desk_people):
    from test_web_desk import PNG, open_form

    login(web_client, "town-desk")
    form = open_form(web_client)
    page = web_client.post(
        "/walk-in",
        data={**form, "center": "wushenzhao", "reporter": "supervisor",
              "supervisor_id": str(desk_people["巴特尔"].id), "mode": "visit",
              "description": "十一个附件的反馈"},
        files=[("files", (f"photo{n}.png", PNG, "image/png")) for n in range(11)],
    )  # fmt: skip
    assert page.status_code == 422, page.text
    assert "附件最多 10 个" in page.text and "十一个附件的反馈" in page.text


# ---------------------------------------------------------------- /metrics and /healthz


def test_metrics_only_to_the_monitor_and_health_minimal_for_anyone(
    supdesk_ledger, monkeypatch, tmp_path
):
    import attrs
    from starlette.testclient import TestClient

    from supervision_daemon import Daemon, DaemonOptions
    from supervision_web import WebSettings

    def app():
        daemon = Daemon(supdesk_ledger, WebSettings(secret_key="k" * 48), DaemonOptions(documents_dir=tmp_path))  # fmt: skip
        return daemon._app()

    outside = TestClient(app(), base_url="https://testserver", client=("203.0.113.9", 40000))
    loopback = TestClient(app(), base_url="https://testserver", client=("127.0.0.1", 40000))
    assert outside.get("/metrics").status_code == 403
    assert outside.get("/healthz").json() == {"status": "ok"}
    assert loopback.get("/metrics").status_code == 200
    assert set(loopback.get("/healthz").json()) == {
        "status", "database", "instance", "jobs", "calendar", "warnings",
    }  # fmt: skip
    relayed = loopback.get("/metrics", headers={"x-forwarded-for": "203.0.113.9"})
    assert relayed.status_code == 403  # through a proxy on this machine: from elsewhere

    monkeypatch.setenv("SUPDESK_TEST_METRICS", "a-long-monitoring-token")
    monkeypatch.setattr(
        supdesk_ledger,
        "settings",
        attrs.evolve(supdesk_ledger.settings, metrics_token={"env": "SUPDESK_TEST_METRICS"}),
    )
    guarded = TestClient(app(), base_url="https://testserver", client=("127.0.0.1", 40000))
    assert guarded.get("/metrics").status_code == 403  # a token set: loopback alone is not enough
    bearer = {"authorization": "Bearer a-long-monitoring-token"}
    assert guarded.get("/metrics", headers=bearer).status_code == 200
    assert guarded.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 403
    assert "jobs" in guarded.get("/healthz", headers=bearer).json()


def test_a_metrics_token_written_in_the_file_is_refused():
    from supervision_core import ConfigError, parse_settings

    with pytest.raises(ConfigError, match=r"desk\.metrics_token"):
        parse_settings({"desk": {"metrics_token": "plain-text"}})


# ---------------------------------------------------------------- a banner-level unit


def test_a_banner_unit_works_the_township_issues_dispatched_to_it(web_client, ledger_with_issues):
    ledger = ledger_with_issues
    ours = _dispatched(ledger, "wushenzhao", "realty")  # a township dispatches to the banner's unit
    login(web_client, "realty-unit")
    assert ours in web_client.get("/unit").text
    assert web_client.get(f"/unit/issues/{ours}").status_code == 200
    assert web_client.get(f"/unit/issues/{ours}/notice.docx").status_code == 200
    planned = _post(web_client, f"/unit/issues/{ours}", action="plan", track="immediate")
    assert planned.status_code == 200 and ledger.issue(ours).state.value == "rectifying"
    # Nothing else of the township: not its issues for its own window ...
    ledger.receive(
        Report(channel="test", external_id="window-1", center="wushenzhao", received_at=ledger.clock(),
               sender=Sender("email", "bateer@example.cn"), text="综合窗口排队过长", subject="窗口")
    )  # fmt: skip
    theirs = _dispatched(ledger, "wushenzhao", "wushenzhao-window")
    assert theirs not in web_client.get("/unit").text
    assert web_client.get(f"/unit/issues/{theirs}").status_code == 403
    # ... nor a township's own unit that happens to share the banner unit's code.
    ledger.add_unit(Unit(center="galutu", code="realty", name="嘎鲁图不动产窗口"))
    ledger.receive(
        Report(channel="test", external_id="galutu-1", center="galutu", received_at=ledger.clock(),
               sender=Sender("email", "wuyun@example.cn"), text="不动产窗口午休无人", subject="窗口")
    )  # fmt: skip
    galutu = _dispatched(ledger, "galutu", "realty")
    assert galutu not in web_client.get("/unit").text
    assert web_client.get(f"/unit/issues/{galutu}").status_code == 403

"""The web desk over HTTP (Starlette's TestClient): sign-in, roles, the walk-in form, files.

The same tests run on SQLite and PostgreSQL; the browser tests are in test_walk_in_browser.py.
"""

from __future__ import annotations

import html
import re

import markupsafe

from conftest import PASSWORD

LOCKOUT_ATTEMPTS = 5  # docs/web_desk.md: "Five failed sign-ins in a row lock the account"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} in page"
    return html.unescape(found.group(1))


def _error(page: str) -> str:
    found = re.search(r'class="error-summary"[^>]*>([^<]*)<', page)
    assert found, "no error on the page"
    return found.group(1)


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login").text
    return client.post(
        "/login",
        data={"csrf_token": _field(page, "csrf_token"), "username": username, "password": password},
    )


def open_form(client) -> dict[str, str]:
    page = client.get("/walk-in")
    assert page.status_code == 200, page.text
    return {
        "csrf_token": _field(page.text, "csrf_token"),
        "form_key": _field(page.text, "form_key"),
    }


def visit(people, **overrides):
    data = {
        "center": "wushenzhao",
        "reporter": "supervisor",
        "supervisor_id": str(people["巴特尔"].id),
        "mode": "visit",
        "venue": "不动产登记窗口",
        "problem_type": "back_and_forth",
        "description": "办理不动产登记被要求往返三次补材料。",
    }
    data.update(overrides)
    return data


def file_visit(client, people, files=None, **overrides):
    data = {**open_form(client), **visit(people, **overrides)}
    return client.post("/walk-in", data=data, files=files or {}), data


# ---------------------------------------------------------------- sign-in


def test_pages_need_sign_in(web_client):
    for path in ["/walk-in", "/desk", "/walk-in/receipt/1", "/attachments/1", "/account"]:
        response = web_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_sign_in_and_out(web_client, desk_people):
    response = login(web_client, "town-desk")
    assert response.url.path == "/walk-in"
    assert "乌审召前台" in response.text
    page = web_client.get("/account").text
    response = web_client.post("/logout", data={"csrf_token": _field(page, "csrf_token")})
    assert response.url.path == "/login"
    assert web_client.get("/walk-in", follow_redirects=False).status_code == 303


def test_wrong_password_does_not_say_which_part_was_wrong(web_client, desk_people):
    wrong_password = login(web_client, "town-desk", "not the password")
    no_such_user = login(web_client, "nobody-here", "not the password")
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert "用户名或密码不正确" in wrong_password.text
    assert "用户名或密码不正确" in no_such_user.text


def test_lockout_after_repeated_failures(web_client, desk_people, supdesk_ledger, supdesk_clock):
    for _ in range(LOCKOUT_ATTEMPTS):
        assert login(web_client, "town-desk", "guess").status_code == 401
    locked = login(web_client, "town-desk")  # the right password, while locked
    assert locked.status_code == 401
    # The same answer as for a name that does not exist: a lock tells nobody the name is real.
    nobody = login(web_client, "nobody-here", "not the password")
    assert _error(locked.text) == _error(nobody.text) and "锁定 15 分钟" in _error(locked.text)
    supdesk_clock.advance(minutes=16)
    assert login(web_client, "town-desk").url.path == "/walk-in"


def test_next_never_leaves_the_site(web_client, desk_people):
    page = web_client.get("/login").text
    response = web_client.post(
        "/login?next=//evil.example/x",
        data={
            "csrf_token": _field(page, "csrf_token"),
            "username": "town-desk",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_forms_without_the_csrf_token_are_refused(web_client, desk_people, supdesk_ledger):
    login(web_client, "town-desk")
    before = len(supdesk_ledger.recent_reports())
    data = {**visit(desk_people), "form_key": "k" * 24, "csrf_token": "forged"}
    response = web_client.post("/walk-in", data=data)
    assert response.status_code == 403
    assert "表单已过期" in response.text
    assert len(supdesk_ledger.recent_reports()) == before
    # Signing in needs it too: a login form posted from another site does nothing.
    assert (
        web_client.post("/login", data={"username": "town-desk", "password": PASSWORD}).status_code
        == 403
    )


def test_a_disabled_account_loses_its_session(web_client, desk_people, supdesk_ledger):
    login(web_client, "town-desk")
    assert web_client.get("/walk-in").status_code == 200
    supdesk_ledger.users.set_disabled("town-desk")
    assert web_client.get("/walk-in", follow_redirects=False).status_code == 303
    assert "已停用" in login(web_client, "town-desk").text


def test_session_cookie_is_secure_httponly_strict(web_client, desk_people):
    response = login(web_client, "town-desk")
    cookie = next(h for k, h in response.history[0].headers.multi_items() if k == "set-cookie")
    assert "supdesk_session=" in cookie
    for flag in ("secure", "httponly", "samesite=strict"):
        assert flag in cookie.lower()


def test_security_headers_on_every_response(web_client, desk_people):
    for response in [
        web_client.get("/login"),
        web_client.get("/no-such-page"),
        web_client.get("/static/desk.css"),
    ]:
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


# ---------------------------------------------------------------- the form


def test_filing_a_visit_gives_a_receipt_with_the_phone_masked(
    web_client, desk_people, supdesk_ledger
):
    login(web_client, "town-desk")
    response, _ = file_visit(
        web_client, desk_people, files={"files": ("窗口.png", PNG, "image/png")}
    )
    assert response.url.path.startswith("/walk-in/receipt/")
    assert "wushenzhao-2026-" in response.text
    assert "139****2345" in response.text
    assert "13904772345" not in response.text
    assert "巴**" in response.text
    report_id = int(response.url.path.rsplit("/", 1)[1])
    summary = supdesk_ledger.report_summary(report_id)
    assert summary.status == "filed" and summary.supervisor_id == desk_people["巴特尔"].id
    assert summary.subject == "来访"
    (attachment,) = summary.attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "窗口.png",
        "image/png",
        len(PNG),
    )
    issue = supdesk_ledger.issue(summary.issue_number)
    assert issue.hints.problem_type.value == "back_and_forth"
    assert issue.hints.venue == "不动产登记窗口"


def test_the_same_form_twice_files_one_report(web_client, desk_people, supdesk_ledger):
    login(web_client, "town-desk")
    first, data = file_visit(web_client, desk_people)
    again = web_client.post("/walk-in", data=data)  # back and submit, or a double click
    assert again.url.path == first.url.path
    assert sum(1 for r in supdesk_ledger.recent_reports() if r.channel == "walk_in") == 1


def test_errors_per_field_keep_what_was_typed(web_client, desk_people, supdesk_ledger):
    login(web_client, "town-desk")
    data = {
        **open_form(web_client),
        **visit(desk_people, description="   ", mode="letter", venue="三号窗口"),
    }
    response = web_client.post("/walk-in", data=data)
    assert response.status_code == 422
    page = response.text
    assert 'id="description-error"' in page and "此项必填" in page
    assert 'id="letter_date-error"' in page
    assert 'id="scan-error"' in page
    assert re.search(
        r'id="description"[^>]*aria-invalid="true"[^>]*aria-describedby="description-error', page
    )
    assert 'value="三号窗口"' in page  # nothing typed is lost
    assert f'value="{data["form_key"]}"' in page  # the same key: fixing it files once
    assert not [r for r in supdesk_ledger.recent_reports() if r.channel == "walk_in"]


def test_a_letter_needs_its_date_and_scan(web_client, desk_people, supdesk_ledger):
    login(web_client, "town-desk")
    data = {**open_form(web_client), **visit(desk_people, mode="letter", letter_date="2026-02-27")}
    response = web_client.post(
        "/walk-in", data=data, files={"scan": ("信.pdf", PDF, "application/pdf")}
    )
    assert response.status_code == 200
    summary = supdesk_ledger.report_summary(int(response.url.path.rsplit("/", 1)[1]))
    assert summary.subject == "来信（写于 2026年02月27日）"
    assert [a.content_type for a in summary.attachments] == ["application/pdf"]
    future = {
        **open_form(web_client),
        **visit(desk_people, mode="letter", letter_date="2026-03-09"),
    }
    refused = web_client.post(
        "/walk-in", data=future, files={"scan": ("信.pdf", PDF, "application/pdf")}
    )
    assert "写信日期不能晚于今天" in refused.text


def test_files_are_typed_by_content_not_by_name(web_client, desk_people):
    login(web_client, "town-desk")
    script = b"<script>alert(1)</script>"
    response, _ = file_visit(
        web_client, desk_people, files={"files": ("photo.png", script, "image/png")}
    )
    assert response.status_code == 422
    assert "不是允许的文件类型" in response.text


def test_a_body_over_the_limit_is_refused_with_413(supdesk_ledger, desk_people):
    from starlette.testclient import TestClient

    from supervision_web import WebSettings, create_app

    app = create_app(supdesk_ledger, WebSettings(secret_key="k" * 48, max_upload_bytes=200_000))
    with TestClient(app, base_url="https://testserver") as client:
        login(client, "town-desk")
        response, _ = file_visit(
            client, desk_people, files={"files": ("big.png", PNG + b"\x00" * 300_000, "image/png")}
        )
    assert response.status_code == 413
    assert "上限" in response.text


def test_a_visitor_goes_to_quarantine_and_the_receipt_says_so(
    web_client, desk_people, supdesk_ledger
):
    login(web_client, "town-desk")
    response, _ = file_visit(
        web_client,
        desk_people,
        reporter="visitor",
        supervisor_id="",
        visitor_name="李四",
        visitor_phone="13512345678",
    )
    assert "待甄别-" in response.text
    assert "135****5678" in response.text and "13512345678" not in response.text
    (held,) = [q for q in supdesk_ledger.quarantine() if q.channel == "walk_in"]
    assert held.reason.value == "unmatched_sender"
    assert held.sender.display_name == "李四"


def test_a_township_desk_cannot_file_for_or_see_another_township(
    web_client, desk_people, supdesk_ledger
):
    login(web_client, "town-desk")
    refused, _ = file_visit(
        web_client, desk_people, center="galutu", supervisor_id=str(desk_people["王芳"].id)
    )
    assert refused.status_code == 422 and 'id="center-error"' in refused.text
    # A report of 嘎鲁图 filed by its own desk...
    web_client.cookies.clear()
    login(web_client, "galutu-desk")
    theirs, _ = file_visit(
        web_client,
        desk_people,
        center="galutu",
        supervisor_id=str(desk_people["王芳"].id),
        files={"files": ("a.png", PNG, "image/png")},
    )
    receipt_path = theirs.url.path
    attachment = re.search(r'href="(/attachments/\d+)"', theirs.text).group(1)
    # ...is refused to 乌审召's desk: the receipt, the file, and the list.
    web_client.cookies.clear()
    login(web_client, "town-desk")
    assert web_client.get(receipt_path).status_code == 403
    assert web_client.get(attachment).status_code == 403
    assert "嘎鲁图" not in web_client.get("/desk").text
    # The banner center's staff see every center's.
    web_client.cookies.clear()
    login(web_client, "banner-desk")
    assert web_client.get(receipt_path).status_code == 200
    assert web_client.get(attachment).status_code == 200


def test_an_auditor_cannot_file(web_client, desk_people):
    login(web_client, "auditor")
    assert web_client.get("/walk-in").status_code == 403


def test_attachments_are_served_safely(web_client, desk_people):
    login(web_client, "town-desk")
    response, _ = file_visit(
        web_client, desk_people, files={"files": ("说明.pdf", PDF, "application/pdf")}
    )
    href = re.search(r'href="(/attachments/\d+)"', response.text).group(1)
    served = web_client.get(href)
    assert served.content == PDF
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in served.headers["content-security-policy"]


def test_the_desk_lists_recent_reports_with_status(web_client, desk_people):
    login(web_client, "town-desk")
    filed, _ = file_visit(web_client, desk_people)
    number = re.search(r"wushenzhao-2026-\d+", filed.text).group(0)
    page = web_client.get("/desk").text
    assert number in page
    assert "来访来信" in page and "已登记" in page


def test_errors_are_pages_not_tracebacks(web_client, desk_people):
    login(web_client, "town-desk")
    response = web_client.post(
        "/walk-in",
        content=b"--x\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code in (400, 403)
    assert "Traceback" not in response.text
    assert web_client.get("/walk-in/receipt/999999").status_code == 404


# ---------------------------------------------------------------- naughty strings


def test_naughty_strings_in_every_text_field_are_stored_exactly_and_shown_escaped(
    web_client, desk_people, supdesk_ledger, shared_dir
):
    lines = (shared_dir / "corpora" / "blns" / "blns.txt").read_text(encoding="utf-8").splitlines()
    naughty = [line for line in lines if line and not line.startswith("#")]
    assert len(naughty) > 400
    login(web_client, "town-desk")
    stored = refused = 0
    for text in naughty:
        data = {
            **open_form(web_client),
            **visit(
                desk_people,
                reporter="visitor",
                supervisor_id="",
                visitor_name=text,
                visitor_phone="13512345678",
                venue=text,
                description=text,
            ),
        }
        response = web_client.post("/walk-in", data=data)
        page = response.text
        if response.status_code == 200:
            report = supdesk_ledger.report(int(response.url.path.rsplit("/", 1)[1]))
            assert report.text == text
            assert report.hints.venue == text
            assert report.sender.display_name == text
            assert str(markupsafe.escape(text)) in page
            stored += 1
        else:
            # Refused with a reason for a field (blank, too long), never a crash.
            assert response.status_code == 422, (text, response.status_code)
            assert 'class="error"' in page
            refused += 1
        assert "<script>alert" not in page.replace("&lt;script&gt;", "")
    assert stored > 400

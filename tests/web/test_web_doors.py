"""Every door holds in the browser's pages (issue #19), on SQLite and PostgreSQL.

Each page that shows a supervisor's personal data writes the access log (who, whose,
which page); the walk-in form refuses a letter dated before anyone could have written
it; the console's status changes keep the staff member who made them.
"""

from __future__ import annotations

import re

from test_web_desk import PDF, PNG, _field, file_visit, login, open_form, visit


def _entries(ledger, action):
    return [e for e in ledger.access_log() if e.action == action]


def test_every_page_that_shows_a_supervisor_writes_the_access_log(
    web_client, desk_people, supdesk_ledger
):
    ledger, bateer = supdesk_ledger, desk_people["巴特尔"]
    login(web_client, "town-desk")  # which opens the walk-in form
    # The walk-in form's picker lists the center's supervisors, phones masked.
    picker, *_ = _entries(ledger, "walk_in_picker")
    assert (picker.user, picker.supervisor_id, picker.center) == (
        "town-desk",
        bateer.id,
        "wushenzhao",
    )
    assert picker.purpose == "网页 /walk-in"
    assert {e.supervisor_id for e in _entries(ledger, "walk_in_picker")} == {bateer.id}
    # A receipt and an attachment of the supervisor's report.
    filed, _ = file_visit(web_client, desk_people, files={"files": ("a.png", PNG, "image/png")})
    report_id = int(filed.url.path.rsplit("/", 1)[1])
    (receipt,) = _entries(ledger, "view_receipt")
    assert receipt.supervisor_id == bateer.id and receipt.target.startswith(f"report:{report_id}")
    assert receipt.purpose == f"网页 /walk-in/receipt/{report_id}"
    href = re.search(r'href="(/attachments/\d+)"', filed.text).group(1)
    assert web_client.get(href).status_code == 200
    (attachment,) = _entries(ledger, "view_attachment")
    assert attachment.supervisor_id == bateer.id and attachment.purpose == f"网页 {href}"
    # The register, a supervisor's page and an issue's.
    assert web_client.get("/console/supervisors").status_code == 200
    register = _entries(ledger, "view_supervisors")
    assert [e.supervisor_id for e in register] == [bateer.id]  # not 嘎鲁图's 王芳
    assert web_client.get(f"/console/supervisors/{bateer.id}").status_code == 200
    (page,) = _entries(ledger, "view_supervisor")
    assert page.purpose == f"网页 /console/supervisors/{bateer.id}"
    number = ledger.report_summary(report_id).issue_number
    assert web_client.get(f"/console/issues/{number}").status_code == 200
    (issue,) = _entries(ledger, "view_issue")
    assert issue.supervisor_id == bateer.id and number in issue.target
    # A center's staff see their own center's entries; nothing here is another's.
    assert ledger.access_log(centers=["galutu"]) == []
    assert {e.user for e in ledger.access_log(centers=["wushenzhao"])} == {"town-desk"}


def test_a_page_refused_writes_no_access_log(web_client, desk_people, supdesk_ledger):
    login(web_client, "town-desk")
    other = desk_people["王芳"]
    assert web_client.get(f"/console/supervisors/{other.id}").status_code == 403
    assert supdesk_ledger.access_log(supervisor=other.id) == []


def test_a_letter_dated_in_year_one_is_refused_in_chinese(web_client, desk_people, supdesk_ledger):
    login(web_client, "town-desk")
    for written, message in [
        ("0001-01-01", "不能早于"),
        ("2099-01-01", "写信日期不能晚于今天"),
    ]:
        data = {**open_form(web_client), **visit(desk_people, mode="letter", letter_date=written)}
        refused = web_client.post(
            "/walk-in", data=data, files={"scan": ("信.pdf", PDF, "application/pdf")}
        )
        assert refused.status_code == 422 and message in refused.text
    assert not [r for r in supdesk_ledger.recent_reports() if r.channel == "walk_in"]


def test_a_letter_before_the_supervisors_term_is_refused(web_client, desk_people, supdesk_ledger):
    import datetime as dt

    bateer = desk_people["巴特尔"]
    supdesk_ledger.update_supervisor(bateer.id, term_start=dt.date(2026, 2, 1))
    login(web_client, "town-desk")
    data = {**open_form(web_client), **visit(desk_people, mode="letter", letter_date="2026-01-20")}
    refused = web_client.post(
        "/walk-in", data=data, files={"scan": ("信.pdf", PDF, "application/pdf")}
    )
    assert (
        refused.status_code == 422 and "早于该监督员的聘期开始日（2026年02月01日）" in refused.text
    )
    data = {**open_form(web_client), **visit(desk_people, mode="letter", letter_date="2026-02-20")}
    filed = web_client.post(
        "/walk-in", data=data, files={"scan": ("信.pdf", PDF, "application/pdf")}
    )
    assert filed.status_code == 200 and "/walk-in/receipt/" in filed.url.path


def test_status_changes_in_the_console_keep_the_staff_member(
    web_client, desk_people, supdesk_ledger
):
    sid = desk_people["巴特尔"].id
    login(web_client, "town-desk")

    def post(**fields):
        page = web_client.get(f"/console/supervisors/{sid}")
        return web_client.post(
            f"/console/supervisors/{sid}",
            data={"csrf_token": _field(page.text, "csrf_token"), **fields},
        )

    post(action="suspend", reason="长期未履职")
    post(action="reinstate", reason="已恢复履职")
    history = supdesk_ledger.supervisor_history(sid)
    assert [(c.kind.value, c.actor, c.note) for c in history] == [
        ("suspended", "user:town-desk", "长期未履职"),
        ("reinstated", "user:town-desk", "已恢复履职"),
    ]


def test_serve_masks_personal_data_in_every_log_handler(capsys):
    import logging
    import logging.config

    from supervision_web.commands import masked_log_config

    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access"]
    kept = {
        n: (
            logging.getLogger(n).handlers[:],
            logging.getLogger(n).level,
            logging.getLogger(n).propagate,
        )
        for n in names
    }
    try:
        logging.config.dictConfig(masked_log_config())
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/1.1" %d', "127.0.0.1", "GET", "/console?q=13948772345", 200
        )
        logging.getLogger("supervision_web").warning("sign-in of bateer@example.cn refused")
    finally:
        for n, (handlers, level, propagate) in kept.items():
            logger = logging.getLogger(n)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate
    err = capsys.readouterr().err
    assert "/console?q=139****2345" in err and "b***@example.cn refused" in err
    assert "13948772345" not in err and "bateer@" not in err


def test_serves_access_lines_are_masked_and_still_formatted() -> None:
    # uvicorn's access formatter unpacks the record's arguments: the mask keeps their
    # shape (a record with its arguments flattened away broke every access line).
    import io
    import logging.config

    from supervision_web.commands import masked_log_config

    config = masked_log_config()
    stream = io.StringIO()
    config["handlers"]["access"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:50000",
            "GET",
            "/console/supervisors?q=13948772345&mail=bateer@example.cn",
            "1.1",
            200,
        )
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    line = stream.getvalue()
    assert '"GET /console/supervisors?q=' in line and " 200" in line, line
    assert "13948772345" not in line and "bateer@example.cn" not in line, line
    assert "Logging error" not in line

"""The console speaks one vocabulary: no raw code where a person reads a name."""

from __future__ import annotations

import re

import test_console
from test_console import act, received_in
from test_web_desk import login

ledger_with_issues = test_console.ledger_with_issues  # the console's fixture


def _text(html: str) -> str:
    """What a reader sees: the page without its tags and attributes."""
    return re.sub(r"<[^>]+>", " ", html)


def test_the_queue_names_units_and_problem_types(web_client, ledger_with_issues):
    login(web_client, "banner-desk")
    page = web_client.get("/console?view=all")
    assert page.status_code == 200
    seen = _text(page.text)
    assert "不动产登记窗口" in seen and "一次性告知" in seen
    for code in ("realty", "tell_once", "time_limit", "online_experience"):
        assert re.search(rf"\b{code}\b", seen) is None, code


def test_the_dashboard_names_channels_and_its_charts(web_client, ledger_with_issues):
    login(web_client, "banner-desk")
    page = web_client.get("/console/dashboard")
    assert page.status_code == 200
    seen = _text(page.text)
    assert "演示数据" in seen and re.search(r"\bdemo\b", seen) is None
    # Every chart has an accessible name (axe: svg-img-alt).
    for svg in re.findall(r"<svg[^>]*>", page.text):
        assert "aria-label=" in svg or "aria-labelledby=" in svg, svg
    assert 'aria-label="办理中的问题按问题类型：' in page.text


def test_the_issue_page_says_where_each_dispatch_went(web_client, ledger_with_issues):
    issue = received_in(ledger_with_issues, "wushenzhao")
    login(web_client, "town-desk")
    act(web_client, issue.number, action="accept")
    act(web_client, issue.number, action="dispatch", unit="wushenzhao-window", person="其木格")
    page = web_client.get(f"/console/issues/{issue.number}")
    assert "派往 乌审召镇综合窗口，责任人 其木格" in page.text


def test_quarantine_names_how_the_sender_was_known(web_client, ledger_with_issues):
    from supervision_core import Report, Sender

    ledger = ledger_with_issues
    ledger.receive(Report(channel="test", external_id="q-vocab", center="wushenzhao", received_at=ledger.clock(),
                          sender=Sender("phone", "13500000009"), text="未登记来电"))  # fmt: skip
    login(web_client, "town-desk")
    page = web_client.get("/console/quarantine")
    assert "来自电话：135****0009" in page.text
    assert "来自 phone" not in page.text

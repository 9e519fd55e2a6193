"""A step refused for an unconfirmed year is a message on the page, never a 500."""

from __future__ import annotations

import datetime as dt

from test_web_desk import _field, login

from supervision_core import SHANGHAI, ContactKind, IssueState, Report, Sender


def test_screening_into_an_unconfirmed_year_shows_what_to_add(
    web_client, supdesk_ledger, supdesk_clock, desk_people
):
    supdesk_clock.set(dt.datetime(2026, 12, 31, 9, 0, tzinfo=SHANGHAI))
    result = supdesk_ledger.receive(
        Report(channel="test", external_id="web-2027", center="wushenzhao", received_at=supdesk_clock(),
               sender=Sender(ContactKind.PHONE, "13904772345"), text="窗口工作人员不在岗")
    )  # fmt: skip
    number = result.issue_number
    assert number is not None
    login(web_client, "town-desk")
    page = web_client.get(f"/console/issues/{number}")
    assert page.status_code == 200, page.text
    response = web_client.post(
        f"/console/issues/{number}",
        data={"csrf_token": _field(page.text, "csrf_token"), "action": "accept"},
    )
    assert response.status_code == 400
    assert "2027 年的节假日安排尚未确认" in response.text
    assert "[calendar.2027]" in response.text and "系统出错" not in response.text
    assert supdesk_ledger.issue(number).state is IssueState.RECEIVED


def test_the_due_soon_view_says_the_year_is_unconfirmed(
    web_client, supdesk_ledger, supdesk_clock, desk_people
):
    # Two working days from Wednesday 2026-12-30 reach into 2027.
    supdesk_clock.set(dt.datetime(2026, 12, 30, 9, 0, tzinfo=SHANGHAI))
    login(web_client, "town-desk")
    response = web_client.get("/console?view=due")
    assert response.status_code == 400
    assert "2027 年的节假日安排尚未确认" in response.text and "系统出错" not in response.text
    assert web_client.get("/console?view=screen").status_code == 200

"""The console: reason six's analysis, a visit that found nothing, the officer team."""

from __future__ import annotations

import datetime as dt

import pytest
from test_console import act, ledger_with_issues, received_in  # noqa: F401
from test_web_desk import _field, login

from conftest import PASSWORD
from supervision_core import EventKind, Origin


def _post(client, path, **fields):
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf_token": _field(page.text, "csrf_token"), **fields})


def test_refusing_as_impractical_in_the_console_needs_the_analysis(
    web_client,
    ledger_with_issues,  # noqa: F811
):
    ledger = ledger_with_issues
    login(web_client, "town-desk")
    issue = received_in(ledger, "wushenzhao")
    refused = act(
        web_client, issue.number, action="not_accept", reason="impractical", note="感谢建议"
    )
    assert refused.status_code == 400 and "分析研判" in refused.text
    assert ledger.issue(issue.number).state.value == "received"
    no_supervisor = act(
        web_client, issue.number, action="not_accept", reason="impractical", note="感谢建议",
        analysis_date="2026-02-27", participants="管理部门:张主任", conclusion="不可行",
    )  # fmt: skip
    assert no_supervisor.status_code == 400 and "至少一名监督员" in no_supervisor.text
    done = act(
        web_client, issue.number, action="not_accept", reason="impractical", note="感谢建议",
        analysis_date="2026-02-27", participants="管理部门:张主任\n服务部门:李科长\n监督员:2",
        conclusion="须修改上位法，暂不具备条件",
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert "分析研判：2026-02-27 经分析研判" in done.text and "须修改上位法" in done.text
    (event,) = [e for e in ledger.history(issue.number) if e.kind is EventKind.NOT_ACCEPTED]
    assert event.data["analysis"]["participants"][2]["supervisor_id"] == 2


def test_a_visit_that_found_nothing_from_the_supervisors_page(
    web_client,
    ledger_with_issues,  # noqa: F811
):
    ledger = ledger_with_issues
    bateer = next(s for s in ledger.supervisors() if s.name == "巴特尔")
    login(web_client, "town-desk")
    path = f"/console/supervisors/{bateer.id}"
    bad = _post(
        web_client, path, action="field_visit", method="forum", venue="大厅", on="2026-03-01"
    )
    assert bad.status_code == 400 and "体验或暗访的方式只能是" in bad.text
    page = _post(
        web_client, path, action="field_visit", method="inspection", venue="镇便民服务大厅",
        on="2026-03-01", note="秩序良好",
    )  # fmt: skip
    assert page.status_code == 200 and "明察暗访（镇便民服务大厅）" in page.text
    (visit,) = ledger.field_visits(supervisor_id=bateer.id)
    assert visit.recorded_by == "user:town-desk" and visit.on == dt.date(2026, 3, 1)


@pytest.fixture
def with_banner_staff(ledger_with_issues):  # noqa: F811
    ledger_with_issues.users.add(
        username="banner-staff",
        display_name="旗中心专人",
        password=PASSWORD,
        role="staff",
        center="banner",
    )
    return ledger_with_issues


def test_the_township_proposes_and_the_banner_decides_in_the_console(web_client, with_banner_staff):
    ledger = with_banner_staff
    bateer = next(s for s in ledger.supervisors() if s.name == "巴特尔")  # 乌审召镇 hired him
    path = f"/console/supervisors/{bateer.id}"
    login(web_client, "banner-staff")  # the banner cannot propose a township's hire
    refused = _post(web_client, path, action="propose_officer", reason="熟悉牧区政策")
    assert refused.status_code == 400 and "只有监督员所在的苏木镇中心" in refused.text
    web_client.cookies.clear()
    login(web_client, "town-desk")
    page = _post(web_client, path, action="propose_officer", reason="熟悉牧区政策")
    assert page.status_code == 200 and "待旗中心决定" in page.text
    (pending,) = ledger.officer_recommendations(status="proposed")
    # the township cannot decide its own proposal
    refused = _post(
        web_client, path, action="decide_officer", recommendation=str(pending.id), decision="accept"
    )
    assert refused.status_code == 400 and "只有旗政务服务中心" in refused.text
    web_client.cookies.clear()
    login(web_client, "banner-staff")
    no_reason = _post(
        web_client,
        path,
        action="decide_officer",
        recommendation=str(pending.id),
        decision="decline",
    )
    assert no_reason.status_code == 400 and "不予纳入必须写明理由" in no_reason.text
    page = _post(
        web_client, path, action="decide_officer", recommendation=str(pending.id), decision="accept"
    )
    assert page.status_code == 200 and "已纳入（user:banner-staff" in page.text
    assert ledger.supervisor(bateer.id).origin is Origin.EXPERIENCE_OFFICER
    assert "体验官兼任" in page.text

"""The console's access log page (``/console/access-log``, issue #19), on SQLite and PostgreSQL.

A center's staff see who viewed their own center's supervisors, the banner center's
staff everyone's; units are refused; a filter typed wrong is a Chinese 400 with the form
as typed.
"""

from __future__ import annotations

import datetime as dt
import re

from test_web_desk import login


def _entries(page: str) -> list[str]:
    """The rows of the page's table, each as its cells' text joined by ``|``."""
    rows = re.findall(r'<tr data-entry="\d+">(.*?)</tr>', page, re.S)
    return ["|".join(re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)) for r in rows]  # fmt: skip


def _seen(client, **params) -> list[str]:
    page = client.get("/console/access-log", params=params)
    assert page.status_code == 200, page.text
    return _entries(page.text)


def _log(
    ledger, user, supervisor, action="view_supervisor", purpose="命令 supdesk supervisors show"
):
    ledger.log_access(user=user, action=action, purpose=purpose, supervisors=[supervisor.id])


def test_a_township_sees_its_own_centers_entries_and_the_banner_sees_all(
    web_client, desk_people, supdesk_ledger
):
    ledger = supdesk_ledger
    bateer, wangfang = desk_people["巴特尔"], desk_people["王芳"]
    _log(ledger, "cli:operator", bateer)  # someone else viewing 乌审召's supervisor
    _log(ledger, "galutu-desk", wangfang, action="export_ledger", purpose="命令 supdesk export ledger")  # fmt: skip
    login(web_client, "town-desk")
    menu = web_client.get("/console").text
    assert 'href="/console/access-log"' in menu and "查阅记录" in menu
    # Signing in opened the walk-in form, whose picker lists the center's supervisors.
    seen = _seen(web_client)
    assert {r.split("|")[2] for r in seen} == {"来访登记选择监督员", "监督员详情"}
    assert {r.split("|")[3] for r in seen} == {f"#{bateer.id}"}  # never 嘎鲁图's 王芳
    (own,) = _seen(web_client, user="cli:operator")
    assert own.split("|")[1:] == [
        "cli:operator",
        "监督员详情",
        f"#{bateer.id}",
        ledger.center("wushenzhao").name,
        "命令 supdesk supervisors show",
    ]
    assert _seen(web_client, supervisor=wangfang.id) == []

    web_client.cookies.clear()
    login(web_client, "banner-desk")
    everything = [r for r in _seen(web_client) if r.split("|")[2] != "来访登记选择监督员"]
    assert [r.split("|")[3] for r in everything] == [f"#{wangfang.id}", f"#{bateer.id}"]  # newest first  # fmt: skip
    assert everything[0].split("|")[1:3] == ["galutu-desk", "导出台账"]
    assert {r.split("|")[1] for r in _seen(web_client)} == {"town-desk", "banner-desk", "cli:operator", "galutu-desk"}  # fmt: skip
    assert [r.split("|")[1] for r in _seen(web_client, user="cli:operator")] == ["cli:operator"]


def test_viewing_a_supervisors_page_shows_up_in_the_log(web_client, desk_people, supdesk_ledger):
    bateer = desk_people["巴特尔"]
    login(web_client, "town-desk")  # which opens the walk-in form (its picker is logged)
    before = _seen(web_client, supervisor=bateer.id, user="town-desk")
    assert not any("监督员详情" in r for r in before)
    assert web_client.get(f"/console/supervisors/{bateer.id}").status_code == 200
    row, *rest = _seen(web_client, supervisor=bateer.id, user="town-desk")
    assert rest == before  # the newest first
    when, user, action, whose, _center, purpose = row.split("|")
    assert (user, action, whose, purpose) == (
        "town-desk",
        "监督员详情",
        f"#{bateer.id}",
        f"网页 /console/supervisors/{bateer.id}",
    )
    assert when.startswith("2026-03-02 09:00")  # the ledger's clock, in Shanghai's time


def test_the_date_range_filters_by_shanghai_days(
    web_client, desk_people, supdesk_ledger, supdesk_clock
):
    ledger, bateer = supdesk_ledger, desk_people["巴特尔"]
    now = supdesk_clock()
    for days, user in [(3, "three-days-ago"), (1, "yesterday")]:
        supdesk_clock.set(now - dt.timedelta(days=days))
        _log(ledger, user, bateer)
    supdesk_clock.set(now)
    login(web_client, "town-desk")
    users = lambda **p: [r.split("|")[1] for r in _seen(web_client, **p)]  # noqa: E731
    assert set(users(since="2026-03-02")) == {"town-desk"}  # the walk-in picker, at sign-in
    assert users(since="2026-02-28", until="2026-03-01") == ["yesterday"]
    assert users(until="2026-02-28") == ["three-days-ago"]
    assert users(since="2026-02-27", until="2026-03-01") == ["yesterday", "three-days-ago"]
    assert set(users()) == {"town-desk", "yesterday", "three-days-ago"}


def test_a_unit_is_refused(web_client, desk_people, supdesk_ledger):
    supdesk_ledger.users.add(username="window-unit", display_name="乌审召窗口", password="correct horse battery",
                             role="unit", center="wushenzhao", unit="wushenzhao-window")  # fmt: skip
    _log(supdesk_ledger, "cli:operator", desk_people["巴特尔"])
    login(web_client, "window-unit")
    refused = web_client.get("/console/access-log")
    assert refused.status_code == 403 and "仅供中心工作人员" in refused.text
    assert "cli:operator" not in refused.text and 'href="/console/access-log"' not in refused.text


def test_filters_typed_wrong_are_a_chinese_400_with_the_form_kept(web_client, desk_people, supdesk_ledger):  # fmt: skip
    _log(supdesk_ledger, "cli:operator", desk_people["巴特尔"])
    login(web_client, "town-desk")
    for params, said in [
        ({"supervisor": "abc", "user": "town-desk"}, "请从列表中选择监督员编号"),
        ({"supervisor": "99999999999999999999"}, "请从列表中选择监督员编号"),
        ({"since": "2026-02-30"}, "起始日期的格式应为 年-月-日"),
        ({"until": "9999-12-31"}, "截止日期不在 1900 年至 2999 年之间"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "早于开始日期"),
    ]:
        page = web_client.get("/console/access-log", params=params)
        assert page.status_code == 400, (params, page.text)
        assert said in page.text and "data-error-summary" in page.text
        assert _entries(page.text) == []
        for name, value in params.items():
            assert re.search(rf'name="{name}" [^>]*value="{re.escape(value)}"', page.text), name

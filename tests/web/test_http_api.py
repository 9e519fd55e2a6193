"""The HTTP API: tokens, Open311 GeoReport v2 and /api/v1, on both databases."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from supervision_core import AccessEntry, TokenScope

UNIT = "wushenzhao-window"
#: GeoReport v2's fields of a service request (GET requests), from the spec's field list.
GEOREPORT_REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
GEOREPORT_SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}


@pytest.fixture
def tokens(supdesk_ledger, desk_people):
    """A hotline token of 乌审召镇, a reader of 嘎鲁图, the banner's screener, a unit's token."""
    store = supdesk_ledger.tokens
    made = {}
    for name, center, scopes, unit in [
        ("hotline", "wushenzhao", ["open311-submit", "read"], None),
        ("galutu-read", "galutu", ["read"], None),
        ("banner-screen", "banner", ["read", "screen", "dispatch"], None),
        ("window", "wushenzhao", ["unit", "read"], UNIT),
    ]:
        _token, secret = store.add(name=name, center=center, scopes=scopes, unit=unit)
        made[name] = secret
    return made


def auth(secret: str, **headers: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}", **headers}


def submit(client, secret, **fields):
    data = {
        "service_code": "slow",
        "address_string": "乌审召镇政务服务中心",
        "description": "不动产窗口排队两小时无人办理",
        "phone": "13904772345",
        **fields,
    }
    headers = auth(secret)
    key = data.pop("key", None)
    if key:
        headers["idempotency-key"] = key
    return client.post("/open311/v2/requests.json", data=data, headers=headers)


def test_tokens_are_shown_once_stored_hashed_and_revocable(supdesk_ledger, desk_people):
    from sqlalchemy import text

    token, secret = supdesk_ledger.tokens.add(name="hotline", center="wushenzhao", scopes=["read"])
    assert secret.startswith("sdk_") and len(secret) > 40
    with supdesk_ledger.engine.connect() as c:
        stored = c.execute(text("SELECT secret_hash, hint FROM api_token")).one()
    assert secret not in stored[0] and len(stored[0]) == 64
    assert supdesk_ledger.tokens.authenticate(secret) == token
    assert supdesk_ledger.tokens.authenticate(secret + "x") is None
    supdesk_ledger.tokens.revoke("hotline")
    assert supdesk_ledger.tokens.authenticate(secret) is None


def test_an_expired_token_is_refused(supdesk_ledger, desk_people, supdesk_clock):
    _, secret = supdesk_ledger.tokens.add(
        name="short",
        center="wushenzhao",
        scopes=["read"],
        expires_at=supdesk_clock() + dt.timedelta(days=1),
    )
    assert supdesk_ledger.tokens.authenticate(secret) is not None
    supdesk_clock.advance(days=2)
    assert supdesk_ledger.tokens.authenticate(secret) is None


def test_the_tokens_command(supdesk_database_url, supdesk_ledger, desk_people):
    from supervision_core.cli import cli

    runner = CliRunner()
    base = ["--database", supdesk_database_url]
    added = runner.invoke(
        cli,
        [
            *base,
            "tokens",
            "add",
            "hotline",
            "--center",
            "wushenzhao",
            "--scope",
            "open311-submit,read",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    secret = json.loads(added.output)["secret"]
    assert supdesk_ledger.tokens.authenticate(secret) is not None
    listed = runner.invoke(cli, [*base, "tokens", "list"])
    assert "hotline" in listed.output and secret not in listed.output
    bad = runner.invoke(
        cli, [*base, "tokens", "add", "x2", "--center", "wushenzhao", "--scope", "root"]
    )
    assert bad.exit_code == 1 and "未知的权限范围" in bad.output and "Traceback" not in bad.output
    revoked = runner.invoke(cli, [*base, "tokens", "revoke", "hotline"])
    assert revoked.exit_code == 0 and "已吊销" in revoked.output
    assert supdesk_ledger.tokens.authenticate(secret) is None


def test_a_unit_token_needs_its_unit_and_nothing_but_read():
    from supervision_core import InvalidInput

    # Checked before the database is touched: the value refuses it.
    from supervision_core.model.tokens import ApiToken

    with pytest.raises(ValueError, match="承办单位"):
        ApiToken(
            id=1,
            name="window",
            center="c",
            center_level="township",
            scopes={TokenScope.UNIT, TokenScope.SCREEN},
            unit="u",
            created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    assert InvalidInput  # the store turns the same into InvalidInput


def test_open311_services_in_json_and_xml(web_client, tokens):
    answer = web_client.get("/open311/v2/services.json", headers=auth(tokens["hotline"]))
    assert answer.status_code == 200
    services = answer.json()
    assert {s["service_code"] for s in services} >= {"slow", "attitude"}
    for service in services:
        assert set(service) == GEOREPORT_SERVICE_FIELDS
    assert next(s for s in services if s["service_code"] == "slow")["service_name"]
    xml = web_client.get("/open311/v2/services.xml", headers=auth(tokens["hotline"]))
    root = ET.fromstring(xml.content)
    assert root.tag == "services" and root.find("service/service_code") is not None


def test_open311_request_files_a_report_and_is_followed_through_the_ledger(
    web_client, tokens, supdesk_ledger
):
    created = submit(web_client, tokens["hotline"])
    assert created.status_code == 200, created.text
    [answer] = created.json()
    number = answer["service_request_id"]
    issue = supdesk_ledger.issue(number)
    assert issue.center == "wushenzhao" and issue.hints.problem_type.value == "slow"
    assert supdesk_ledger.report_summary(issue.report_id).channel == "open311"

    def read():
        got = web_client.get(f"/open311/v2/requests/{number}.json", headers=auth(tokens["hotline"]))
        assert got.status_code == 200
        [row] = got.json()
        assert set(row) == GEOREPORT_REQUEST_FIELDS
        return row

    row = read()
    assert row["status"] == "open" and row["service_code"] == "slow"
    assert "13904772345" not in json.dumps(row, ensure_ascii=False)
    op = "operator:test"
    supdesk_ledger.accept(number, actor=op)
    supdesk_ledger.dispatch(number, unit=UNIT, responsible_person="其木格", actor=op)
    row = read()
    assert row["status"] == "open" and row["agency_responsible"]
    supdesk_ledger.plan(number, track="immediate", measures="增开窗口", actor=op)
    supdesk_ledger.complete(number, evidence="已增开窗口", actor=op)
    supdesk_ledger.close_issue(number, note="内部备注：窗口人员已批评", actor=op)
    row = read()
    assert row["status"] == "closed" and "内部备注" not in (row["status_notes"] or "")
    listed = web_client.get(
        "/open311/v2/requests.json?status=closed", headers=auth(tokens["hotline"])
    ).json()
    assert [r["service_request_id"] for r in listed] == [number]
    assert (
        web_client.get(
            "/open311/v2/requests.json?status=open", headers=auth(tokens["hotline"])
        ).json()
        == []
    )
    by_id = web_client.get(
        f"/open311/v2/requests.json?service_request_id={number},nope-1",
        headers=auth(tokens["hotline"]),
    ).json()
    assert [r["service_request_id"] for r in by_id] == [number]
    by_code = (
        "/open311/v2/requests.json?service_code=attitude&start_date=2026-03-01T00:00:00%2B08:00"
    )
    assert web_client.get(by_code, headers=auth(tokens["hotline"])).json() == []
    later = "/open311/v2/requests.json?start_date=2026-03-03T00:00:00%2B08:00"
    assert web_client.get(later, headers=auth(tokens["hotline"])).json() == []
    bad = web_client.get(
        "/open311/v2/requests.json?end_date=yesterday", headers=auth(tokens["hotline"])
    )
    assert bad.status_code == 400 and "end_date" in bad.json()[0]["description"]
    xml = web_client.get(f"/open311/v2/requests/{number}.xml", headers=auth(tokens["hotline"]))
    assert ET.fromstring(xml.content).find("request/status").text == "closed"


def test_an_unknown_caller_is_quarantined_and_answered_with_a_token(
    web_client, tokens, supdesk_ledger
):
    created = submit(web_client, tokens["hotline"], phone="13000000000")
    [answer] = created.json()
    assert "service_request_id" not in answer and answer["token"].startswith("r")
    assert supdesk_ledger.quarantine_count() == 1
    follow = web_client.get(
        f"/open311/v2/tokens/{answer['token']}.json", headers=auth(tokens["hotline"])
    )
    assert follow.json() == [{"service_request_id": None, "token": answer["token"]}]


def test_the_spec_errors_and_required_fields(web_client, tokens):
    for missing, word in [
        ("service_code", "service_code"),
        ("address_string", "位置"),
        ("description", "description"),
    ]:
        refused = submit(web_client, tokens["hotline"], **{missing: ""})
        assert refused.status_code == 400
        [error] = refused.json()
        assert set(error) == {"code", "description"} and error["code"] == 400
        assert word in error["description"]
    for field, value in [("email", "not an email"), ("phone", "abc")]:
        refused = submit(web_client, tokens["hotline"], **{field: value})
        assert refused.status_code == 400 and refused.json()[0]["code"] == 400
    unknown = submit(web_client, tokens["hotline"], service_code="nope")
    assert unknown.status_code == 404
    xml = web_client.post(
        "/open311/v2/requests.xml", data={"service_code": ""}, headers=auth(tokens["hotline"])
    )
    assert ET.fromstring(xml.content).find("error/description").text
    anonymous = web_client.get("/open311/v2/services.json")
    assert anonymous.status_code == 401 and anonymous.json()[0]["code"] == 401
    # A read-only token may not file.
    assert submit(web_client, tokens["galutu-read"]).status_code == 403
    # The api_key field of the spec works as well as the header.
    data = {"api_key": tokens["hotline"]}
    assert web_client.post("/open311/v2/requests.json", data=data).status_code == 400


def test_the_same_idempotency_key_twice_files_one_report(web_client, tokens, supdesk_ledger):
    first = submit(web_client, tokens["hotline"], key="call-2026-0001")
    second = submit(web_client, tokens["hotline"], key="call-2026-0001")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert len(supdesk_ledger.issues(center="wushenzhao")) == 1
    other = submit(web_client, tokens["hotline"], key="call-2026-0001", description="另一件事")
    assert other.status_code == 422


def test_a_township_token_gets_403_for_another_townships_issue(web_client, tokens):
    number = submit(web_client, tokens["hotline"]).json()[0]["service_request_id"]
    refused = web_client.get(
        f"/open311/v2/requests/{number}.json", headers=auth(tokens["galutu-read"])
    )
    assert refused.status_code == 403
    refused = web_client.get(f"/api/v1/issues/{number}", headers=auth(tokens["galutu-read"]))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "其他中心" in refused.json()["detail"]
    listed = web_client.get("/api/v1/issues", headers=auth(tokens["galutu-read"])).json()
    assert listed["items"] == []


def test_a_revoked_token_is_refused(web_client, tokens, supdesk_ledger):
    assert web_client.get("/api/v1/issues", headers=auth(tokens["hotline"])).status_code == 200
    supdesk_ledger.tokens.revoke("hotline")
    refused = web_client.get("/api/v1/issues", headers=auth(tokens["hotline"]))
    assert refused.status_code == 401 and "吊销" in refused.json()["detail"]


def test_the_rate_limit_answers_429_with_retry_after(web_client, web_app, tokens):
    from supervision_web.api.calls import RateLimiter

    limiter = RateLimiter(per_minute=60, burst=2)
    moment = [1000.0]
    limiter.now = lambda: moment[0]
    web_app.state.api_limiter = limiter
    headers = auth(tokens["hotline"])
    assert web_client.get("/api/v1/issues", headers=headers).status_code == 200
    assert web_client.get("/api/v1/issues", headers=headers).status_code == 200
    refused = web_client.get("/api/v1/issues", headers=headers)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    # Another token has its own bucket; after a second this one has a call again.
    assert web_client.get("/api/v1/issues", headers=auth(tokens["galutu-read"])).status_code == 200
    moment[0] += 1.0
    assert web_client.get("/api/v1/issues", headers=headers).status_code == 200


def test_the_ledger_api_steps_and_the_unit_never_sees_the_reporter(
    web_client, tokens, supdesk_ledger, desk_people
):
    number = submit(web_client, tokens["hotline"]).json()[0]["service_request_id"]
    screen = auth(tokens["banner-screen"])
    # The unit's token sees nothing before the dispatch.
    assert (
        web_client.get(f"/api/v1/issues/{number}", headers=auth(tokens["window"])).status_code
        == 403
    )
    refused = web_client.post(
        f"/api/v1/issues/{number}/steps/dispatch",
        json={"unit": UNIT, "person": "其木格"},
        headers=screen,
    )
    assert refused.status_code == 409, refused.text
    assert "不能执行" in refused.json()["detail"]
    # A read-only token may not take a step.
    assert (
        web_client.post(
            f"/api/v1/issues/{number}/steps/accept", headers=auth(tokens["galutu-read"])
        ).status_code
        == 403
    )
    accepted = web_client.post(f"/api/v1/issues/{number}/steps/accept", json={}, headers=screen)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    dispatched = web_client.post(
        f"/api/v1/issues/{number}/steps/dispatch",
        json={"unit": UNIT, "person": "其木格"},
        headers=screen,
    )
    assert dispatched.json()["state"] == "dispatched"
    seen = web_client.get(f"/api/v1/issues/{number}", headers=auth(tokens["window"]))
    assert seen.status_code == 200
    text = seen.text
    assert "巴特尔" not in text and "13904772345" not in text and "supervisor" not in text
    planned = web_client.post(
        f"/api/v1/issues/{number}/steps/plan",
        json={"track": "immediate", "measures": "增开窗口"},
        headers=auth(tokens["window"]),
    )
    assert planned.status_code == 200, planned.text
    listed = web_client.get("/api/v1/issues", headers=auth(tokens["window"])).json()
    assert [i["number"] for i in listed["items"]] == [number]
    # Staff reading the issue is in the access log, under the token's name.
    staff = web_client.get(f"/api/v1/issues/{number}", headers=screen).json()
    assert staff["supervisor_name"] == "巴**"
    log: list[AccessEntry] = supdesk_ledger.access_log()
    api_reads = [(e.user, e.supervisor_id, e.action) for e in log if e.user.startswith("api:")]
    assert api_reads == [
        ("api:banner-screen", supdesk_ledger.issue(number).supervisor_id, "view_issue")
    ]


def test_cursor_pagination(web_client, tokens):
    numbers = [
        submit(web_client, tokens["hotline"], description=f"第{i}件").json()[0][
            "service_request_id"
        ]
        for i in range(3)
    ]
    headers = auth(tokens["hotline"])
    first = web_client.get("/api/v1/issues?limit=2", headers=headers).json()
    assert [i["number"] for i in first["items"]] == numbers[:2] and first["next_cursor"]
    rest = web_client.get(
        f"/api/v1/issues?limit=2&cursor={first['next_cursor']}", headers=headers
    ).json()
    assert [i["number"] for i in rest["items"]] == numbers[2:] and rest["next_cursor"] is None
    assert web_client.get("/api/v1/issues?limit=0", headers=headers).status_code == 400


def test_openapi_and_the_docs_page(web_client):
    doc = web_client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    page = web_client.get("/api/docs")
    assert page.status_code == 200 and "/api/v1/issues" in page.text and "<script" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_docs_python_samples_compile():
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "api_http.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert len(blocks) >= 2
    for block in blocks:
        compile(block, "api_http.md", "exec")


def test_register_outbox_and_export(web_client, tokens, supdesk_ledger, desk_people):
    number = submit(web_client, tokens["hotline"]).json()[0]["service_request_id"]
    headers = auth(tokens["hotline"])
    register = web_client.get("/api/v1/supervisors", headers=headers)
    assert register.status_code == 200
    [bateer] = [s for s in register.json()["items"] if s["name"].startswith("巴")]
    assert bateer["name"] == "巴**" and bateer["phone"] == "139****2345"
    assert "13904772345" not in register.text
    # A township's token lists its own center's supervisors only; the read is logged.
    assert {s["center"] for s in register.json()["items"]} == {"wushenzhao"}
    log = supdesk_ledger.access_log(user="api:hotline")
    assert {e.supervisor_id for e in log} == {s["id"] for s in register.json()["items"]}
    # A unit's token is no center's reader.
    assert web_client.get("/api/v1/supervisors", headers=auth(tokens["window"])).status_code == 403
    outbox = web_client.get("/api/v1/outbox", headers=headers).json()["items"]
    assert outbox and all(e["status"] for e in outbox)
    assert web_client.get("/api/v1/outbox?status=nope", headers=headers).status_code == 400
    # The export needs its scope, and streams a CSV of the token's centers.
    assert web_client.get("/api/v1/exports/issues.csv", headers=headers).status_code == 403
    _, exporter = supdesk_ledger.tokens.add(name="stats", center="banner", scopes=["export"])
    csv_answer = web_client.get("/api/v1/exports/issues.csv", headers=auth(exporter))
    assert csv_answer.status_code == 200 and csv_answer.headers["content-type"].startswith(
        "text/csv"
    )
    lines = csv_answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("编号,中心,状态") and any(line.startswith(number) for line in lines)


def test_a_fault_of_ours_is_a_500_in_the_apis_own_shape(
    web_client, tokens, supdesk_ledger, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(type(supdesk_ledger), "issues", broken)
    answer = web_client.get("/api/v1/issues", headers=auth(tokens["hotline"]))
    assert (
        answer.status_code == 500 and answer.headers["content-type"] == "application/problem+json"
    )
    assert "系统出错" in answer.json()["detail"] and "boom" not in answer.text

"""schemathesis fuzzes /api/openapi.json: no 500, no answer outside the documented schema.

Every operation, on both databases, with a staff token of the banner center over a ledger
with issues in several states; then the stateful run follows the document's links (a
listed issue read and stepped). Kept small: the CI budget is tight.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import checks

OP = "operator:test"
UNIT = "wushenzhao-window"
#: No 500, nothing outside the document, and no call without a token answered. Not
#: positive_data_acceptance: a step's body is valid JSON yet its rules may refuse it (422).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.ignored_auth,
    checks.negative_data_rejection,
]
_FAST = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture
def api_token(supdesk_ledger, supdesk_report):
    """A banner token with every staff scope, and a few issues in different states."""
    ledger = supdesk_ledger
    numbers = [
        ledger.receive(supdesk_report(center="wushenzhao", text=f"第{i}件")).issue_number
        for i in range(3)
    ]
    ledger.accept(numbers[1], actor=OP)
    ledger.accept(numbers[2], actor=OP)
    ledger.dispatch(numbers[2], unit=UNIT, responsible_person="其木格", actor=OP)
    _, secret = ledger.tokens.add(
        name="fuzz", center="banner", scopes=["read", "screen", "dispatch", "export"]
    )
    return secret


@pytest.fixture
def api_schema(web_app, api_token):
    from supervision_web.api.calls import RateLimiter

    web_app.state.api_limiter = RateLimiter(per_minute=100_000, burst=100_000)
    loaded = schemathesis.openapi.from_asgi("/api/openapi.json", web_app)
    return loaded


def test_every_operation_answers_within_its_schema(api_schema, api_token):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == {
        ("GET", "/api/v1/issues"),
        ("GET", "/api/v1/issues/{number}"),
        ("POST", "/api/v1/issues/{number}/steps/{step}"),
        ("GET", "/api/v1/supervisors"),
        ("GET", "/api/v1/outbox"),
        ("GET", "/api/v1/exports/issues.csv"),
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @_FAST
        def check(case):  # type: ignore[no-untyped-def]
            case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)

        check()


def test_the_links_are_followed_statefully(api_schema, api_token):
    machine = api_schema.as_state_machine()
    called: set[str] = set()

    class Run(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case):  # type: ignore[no-untyped-def]
            called.add(case.operation.label)
            return {"headers": {"Authorization": f"Bearer {api_token}"}}

        def validate_response(self, response, case, **kwargs):  # type: ignore[no-untyped-def]
            case.validate_response(response, checks=CHECKS, **kwargs)

    run_state_machine_as_test(Run, settings=settings(_FAST, max_examples=10, stateful_step_count=4))
    assert "POST /api/v1/issues/{number}/steps/{step}" in called, called

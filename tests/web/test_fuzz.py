"""Random and oversized values in every form and query parameter: never a 500 (#19).

The routes come from the application's own router, so a page a plugin adds is tried too.
Each is asked, signed in as each role (and as nobody), with Hypothesis's values for the
fields its code reads and its templates show: numbers far beyond any id, dates in the
year 9999, text with a NUL, full-width digits, files. Every answer must be below 500 and
speak Chinese, never Python (``invalid literal for int()``). One application and ledger
for the module, on SQLite and on PostgreSQL; a few examples a route keep it fast.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient
from test_web_desk import PNG, _field

from conftest import PASSWORD
from supervision_core import FrozenClock, Report, Sender, open_ledger
from supervision_core.demo import demo_settings, load_demo
from supervision_core.plugins import get_plugin_manager
from supervision_core.testing import skip_or_fail

SRC = Path(__file__).resolve().parents[2] / "src"
ROLES = ["banner-desk", "town-desk", "banner-audit", "window-unit", "realty-unit", None]
POSTGRES_ENV = "SUPDESK_TEST_POSTGRES_URL"
# Examples a route (every role drawn among them); SUPDESK_FUZZ_EXAMPLES=500 for a long hunt.
EXAMPLES = int(os.environ.get("SUPDESK_FUZZ_EXAMPLES", "12"))

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1e9",
    "²",
    "２",
    "0x10",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999",
    "9" * 400,
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-3-2",
    "\x00",
    "a\x00b",
    "<script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "乌审召" * 200,
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'ledger.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        skip_or_fail(f"PostgreSQL not configured ({POSTGRES_ENV} is not set)")
    url = sa.make_url(base).set(drivername="postgresql+psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        skip_or_fail(f"PostgreSQL unreachable: {exc.orig}")
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def fuzz_desk(fuzz_url):
    """The demo ledger with an account of each role, one signed-in client each."""
    from supervision_web import WebSettings, create_app

    clock = FrozenClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    ledger = open_ledger(
        fuzz_url,
        settings=demo_settings(),
        plugin_manager=get_plugin_manager(load_entrypoints=False),
        create=True,
        clock=clock,
    )
    load_demo(ledger)
    users = ledger.users
    users.set_password("banner-desk", PASSWORD)
    for username, role, center, unit in [
        ("town-desk", "staff", "wushenzhao", None),
        ("banner-audit", "auditor", "banner", None),
        ("window-unit", "unit", "wushenzhao", "wushenzhao-window"),
        ("realty-unit", "unit", "banner", "realty"),
    ]:
        users.add(username=username, display_name=username, password=PASSWORD, role=role,
                  center=center, unit=unit)  # fmt: skip
    ledger.receive(
        Report(channel="test", external_id="fuzz-1", center="wushenzhao", received_at=clock(),
               sender=Sender("email", "stranger@example.cn"), text="来路不明的反馈")
    )  # fmt: skip
    ledger.add_activity(center="wushenzhao", kind="forum", title="座谈会",
                        held_on=dt.date(2026, 3, 1), place="乌审召", organizer="乌审召中心")  # fmt: skip
    app = create_app(ledger, WebSettings(secret_key="k" * 48))
    clients = {}
    for role in ROLES:
        client = TestClient(app, base_url="https://testserver", follow_redirects=False)
        page = client.get("/login").text
        if role is not None:
            signed = client.post(
                "/login",
                data={"csrf_token": _field(page, "csrf_token"), "username": role,
                      "password": PASSWORD},
            )  # fmt: skip
            assert signed.status_code == 303, signed.text
            page = client.get("/account").text
        clients[role] = (client, _field(page, "csrf_token"))
    yield ledger, app, clients
    for client, _ in clients.values():
        client.close()
    ledger.close()


def _names(route: Route) -> set[str]:
    """The fields and query parameters a route's code reads."""
    source = inspect.getsource(inspect.getmodule(route.endpoint))
    found = set(re.findall(r'\.get\(\s*"([a-z_]+)"', source))
    found |= set(re.findall(r'(?:query_id|query_date|getlist)\((?:request, )?"([a-z_]+)"', source))
    found |= set(re.findall(r'\["([a-z_]+)"\]', source))
    return found | {"action", "id", "after", "before", "next"}


def _template_values() -> tuple[set[str], set[str]]:
    """Field names and the actions the templates post (`name="action" value="..."`)."""
    names, actions = set(), set()
    for path in SRC.rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'name="([a-z_]+)"', text))
        actions |= set(re.findall(r'name="action" value="([a-z_]+)"', text))
    return names, actions


def _targets(app) -> list[tuple[Route, str]]:
    targets = []
    for route in app.routes:
        if not isinstance(route, Route):
            continue  # the static files
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                targets.append((route, method))
    return targets


def _value(known: list[str]):
    return st.one_of(
        st.sampled_from(NASTY),
        st.sampled_from(known) if known else st.just(""),
        st.integers(min_value=-(10**25), max_value=10**25).map(str),
        st.dates().map(str),
        st.text(max_size=40),
    )


ENGLISH_ERRORS = re.compile(
    r"invalid literal|is not a valid|Traceback|object has no attribute|"
    r"Internal Server Error|unsupported operand|out of range",
    re.I,
)


def _asker(
    clients, route: Route, method: str, fields: list[str], actions: list[str], known: list[str]
):
    """A Hypothesis test asking ``route`` by ``method`` with drawn values: never a 500."""
    uploads = "UploadFile" in inspect.getsource(inspect.getmodule(route.endpoint))
    roles = [None] if route.path in ("/logout", "/login") else ROLES
    path_values = st.fixed_dictionaries(
        {
            name: st.one_of(
                st.sampled_from(known),
                st.sampled_from(NASTY),
                st.integers(0, 10**22).map(str),
            )
            for name in route.param_convertors
        }
    )

    @settings(
        max_examples=3 if route.path == "/login" else EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        role=st.sampled_from(roles),
        params=st.dictionaries(st.sampled_from(fields), _value(known), max_size=4),
        in_path=path_values,
        posted=st.dictionaries(st.sampled_from(fields), _value(known), max_size=8),
        action=st.sampled_from(actions),
        csrf=st.booleans(),
        files=st.lists(st.binary(max_size=64).map(lambda b: PNG + b), max_size=12)
        if uploads
        else st.just([]),
    )
    def ask(role, params, in_path, posted, action, csrf, files):
        client, token = clients[role]
        path = route.path
        for name, convertor in route.param_convertors.items():
            value = in_path[name]
            if type(convertor).__name__ == "IntegerConvertor":
                value = value if value.isascii() and value.isdigit() else "1"
            path = re.sub(r"\{" + name + r"(:\w+)?\}", quote(value, safe="") or "x", path)
        if method == "GET":
            answer = client.get(path, params=params)
        else:
            data = {"action": action, **posted}
            if csrf:
                data["csrf_token"] = token
            upload = [("files", (f"f{n}.png", content, "image/png")) for n, content in enumerate(files)]  # fmt: skip
            answer = client.post(path, params=params, data=data, files=upload or None)
        assert answer.status_code < 500, (method, path, params, answer.text[:500])
        if answer.status_code >= 400:
            assert not ENGLISH_ERRORS.search(answer.text), (method, path, answer.text[:800])

    return ask


def test_no_value_in_any_form_or_address_gets_a_500(fuzz_desk):
    ledger, app, clients = fuzz_desk
    names, actions = _template_values()
    issues = [i.number for i in ledger.issues()]
    ids = [str(s.id) for s in ledger.supervisors()] + ["1", "2"]
    known = sorted(
        {*issues, *ids, *actions, "wushenzhao", "banner", "galutu", "realty",
         "wushenzhao-window", "scheduled", "immediate", "explained", "present", "phone", "email",
         "forum", "supervisor", "visitor", "visit", "letter", "2026-03-02"}
    )  # fmt: skip
    targets = _targets(app)
    assert {r.path for r, _ in targets} >= {"/console", "/unit/issues/{number}", "/walk-in"}
    for route, method in targets:
        fields = sorted(_names(route) | (names if method == "POST" else set()))
        _asker(clients, route, method, fields, sorted(actions), known)()

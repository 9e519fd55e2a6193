"""Open311 GeoReport v2 under ``/open311/v2/``: services, requests, tokens; JSON and XML.

A request created here is a report through the same intake as every channel
(``ledger.receive`` on the ``open311`` channel): the request's ``email`` or ``phone`` is
matched to a supervisor, and an unknown sender's report is kept in quarantine. A filed
report answers with its ``service_request_id`` (the issue's number); a quarantined one
with a ``token`` (creation is asynchronous until an operator assigns it). Statuses map
to ``open`` and ``closed``; ``status_notes`` says only what the supervisor is told.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from supervision_core import (
    SHANGHAI,
    ApiToken,
    ContactKind,
    Issue,
    IssueState,
    Ledger,
    NotFound,
    ProblemType,
    Report,
    ReportHints,
    RouteRegistry,
    Sender,
    TokenScope,
    can_see_center,
    mask_personal_data,
)

from ..app import desk_of
from .calls import ApiError, api_call, json_response, require_scope
from .channel import CHANNEL, Open311Channel

__all__ = [
    "CHANNEL",
    "REQUEST_FIELDS",
    "SERVICE_FIELDS",
    "Open311Channel",
    "register_open311",
]

#: The fields of a service request in GeoReport v2's GET requests answer, in order.
REQUEST_FIELDS = (
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
)
#: The fields of a service in GeoReport v2's GET services answer, in order.
SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
MAX_RESULTS = 200
DEFAULT_DAYS = 90
MAX_DESCRIPTION = 4000


# ------------------------------------------------------------------ formats


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _xml(root: str, item: str, rows: Iterable[dict[str, Any]]) -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?>', f"<{root}>"]
    for row in rows:
        parts.append(f"<{item}>")
        parts.extend(f"<{k}>{_xml_value(v)}</{k}>" for k, v in row.items())
        parts.append(f"</{item}>")
    parts.append(f"</{root}>")
    return "".join(parts)


def _answer(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200
) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, rows), status, media_type="text/xml; charset=utf-8")
    return json_response(rows, status)


def _format(request: Request) -> str:
    fmt = str(request.path_params.get("fmt", "json"))
    if fmt not in ("json", "xml"):
        raise ApiError(404, "unknown_format", "格式只能是 .json 或 .xml")
    return fmt


def _error_shape(fmt_of: Request) -> Any:
    def shape(status: int, code: str, message: str) -> Response:
        fmt = str(fmt_of.path_params.get("fmt", "json"))
        rows = [{"code": status, "description": message}]
        return _answer("xml" if fmt == "xml" else "json", "errors", "error", rows, status)

    return shape


def _route(path: str, endpoint: Any, methods: list[str], *, form: bool = False) -> Route:
    async def handle(request: Request) -> Response:
        run = api_call(endpoint, shape=_error_shape(request), form=_fields if form else None)
        return await run(request)

    return Route(path, handle, methods=methods)


async def _fields(request: Request) -> dict[str, str]:
    if request.method != "POST":
        return {}
    await request.body()  # kept: the idempotency check hashes it after the form is read
    try:
        form = await request.form(max_files=0, max_fields=200, max_part_size=64 * 1024)
    except Exception:
        raise ApiError(
            400, "bad_body", "请求体无法解析：请以 application/x-www-form-urlencoded 提交"
        ) from None
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


# ------------------------------------------------------------------ services


def _services() -> list[dict[str, Any]]:
    return [
        {
            "service_code": t.value,
            "service_name": t.label,
            "description": f"政务服务问题：{t.label}",
            "metadata": False,
            "type": "realtime",
            "keywords": "政务服务,监督",
            "group": "政务服务监督",
        }
        for t in ProblemType
    ]


async def services(request: Request, token: ApiToken) -> Response:
    """GET services.{fmt}: the problem types, with their Chinese names."""
    fmt = _format(request)
    require_scope(token, TokenScope.READ, TokenScope.OPEN311_SUBMIT)
    return _answer(fmt, "services", "service", _services())


# ------------------------------------------------------------------ requests


def _when(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _status_notes(issue: Issue) -> str:
    """What the supervisor is told of where the issue stands; never a unit's internal note."""
    notes = issue.state.label
    if issue.state is IssueState.NOT_ACCEPTED and issue.not_accepted_reason is not None:
        notes += f"：{issue.not_accepted_reason.label}"
    elif issue.due_on is not None and issue.is_open:
        notes += f"，整改期限 {issue.due_on.isoformat()}"
    return notes


def _request_row(ledger: Ledger, issue: Issue) -> dict[str, Any]:
    code = issue.hints.problem_type
    unit_name = None
    if issue.unit is not None:
        names = {u.code: u.name for u in ledger.units(issue.center)}
        unit_name = names.get(issue.unit, issue.unit)
    events = ledger.history(issue.number)
    updated = events[-1].at if events else issue.received_at
    expected = None
    if issue.due_on is not None and issue.is_open:
        expected = dt.datetime.combine(issue.due_on, dt.time(23, 59, 59), SHANGHAI)
    row = {
        "service_request_id": issue.number,
        "status": "open" if issue.is_open else "closed",
        "status_notes": _status_notes(issue),
        "service_name": code.label if code else None,
        "service_code": code.value if code else None,
        "description": mask_personal_data(issue.text),
        "agency_responsible": unit_name,
        "service_notice": None,
        "requested_datetime": _when(issue.received_at),
        "updated_datetime": _when(updated),
        "expected_datetime": _when(expected),
        "address": issue.hints.venue,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    return {k: row[k] for k in REQUEST_FIELDS}


def _visible(ledger: Ledger, token: ApiToken, number: str) -> Issue:
    try:
        issue = ledger.issue(number)
    except (NotFound, ValueError):
        raise ApiError(404, "not_found", f"没有编号为 {number[:60]} 的服务请求") from None
    if not can_see_center(token.as_user(), issue.center):
        raise ApiError(403, "forbidden", "此令牌无权查看其他中心的服务请求")
    return issue


async def one_request(request: Request, token: ApiToken) -> Response:
    """GET requests/{id}.{fmt}: one service request, followed through the ledger."""
    fmt = _format(request)
    require_scope(token, TokenScope.READ, TokenScope.OPEN311_SUBMIT)
    number = str(request.path_params["request_id"])
    desk = desk_of(request)

    def read() -> dict[str, Any]:
        return _request_row(desk.ledger, _visible(desk.ledger, token, number))

    row = await desk.call(read)
    return _answer(fmt, "service_requests", "request", [row])


def _moment(value: str | None, what: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, "bad_date", f"{what} 应为 ISO 8601 时间，例如 2026-03-01T00:00:00+08:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


async def list_requests(request: Request, token: ApiToken) -> Response:
    """GET requests.{fmt}: the spec's filters; 90 days by default, at most 200 results."""
    fmt = _format(request)
    require_scope(token, TokenScope.READ, TokenScope.OPEN311_SUBMIT)
    q = request.query_params
    ids = [i.strip() for i in q.get("service_request_id", "").split(",") if i.strip()]
    codes = {c.strip() for c in q.get("service_code", "").split(",") if c.strip()}
    statuses = {s.strip() for s in q.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise ApiError(400, "bad_status", "status 只能是 open 或 closed（可用逗号分隔）")
    start = _moment(q.get("start_date"), "start_date")
    end = _moment(q.get("end_date"), "end_date")
    desk = desk_of(request)
    user = token.as_user()

    def read() -> list[dict[str, Any]]:
        ledger = desk.ledger
        if ids:
            found = []
            for number in ids[:MAX_RESULTS]:
                try:
                    found.append(_visible(ledger, token, number))
                except ApiError:
                    continue  # the spec: unknown ids are left out
            issues = found
        else:
            until = end or ledger.clock()
            since = start or (until - dt.timedelta(days=DEFAULT_DAYS))
            summaries = [
                s
                for c in ledger.centers()
                if can_see_center(user, c.code)
                for s in ledger.issues(
                    center=c.code,
                    received_from=since.astimezone(SHANGHAI).date(),
                    received_to=until.astimezone(SHANGHAI).date(),
                )
                if since <= s.received_at <= until
                and (not codes or (s.problem_type or "") in codes)
            ]
            summaries.sort(key=lambda s: s.received_at, reverse=True)
            issues = [ledger.issue(s.id) for s in summaries]
        rows = []
        for issue in issues:
            if statuses and ("open" if issue.is_open else "closed") not in statuses:
                continue
            if codes and (
                issue.hints.problem_type is None or issue.hints.problem_type.value not in codes
            ):
                continue
            rows.append(_request_row(ledger, issue))
            if len(rows) >= MAX_RESULTS:
                break
        return rows

    return _answer(fmt, "service_requests", "request", await desk.call(read))


def _report(token: ApiToken, ledger: Ledger, f: dict[str, str], key: str | None) -> Report:
    code = f.get("service_code", "").strip()
    if not code:
        raise ApiError(
            400, "missing_service_code", "缺少 service_code（问题类型代码，见 services.json）"
        )
    try:
        problem = ProblemType(code)
    except ValueError:
        raise ApiError(
            404, "unknown_service", f"没有代码为 {code[:40]} 的服务（问题类型）"
        ) from None
    address = f.get("address_string", "").strip()
    lat, long = f.get("lat", "").strip(), f.get("long", "").strip()
    if not address and not f.get("address_id") and not (lat and long):
        raise ApiError(
            400,
            "missing_location",
            "缺少位置：请提供 address_string，或 lat 和 long，或 address_id",
        )
    description = f.get("description", "").strip()
    if not description:
        raise ApiError(400, "missing_description", "缺少 description（问题描述）")
    if len(description) > MAX_DESCRIPTION:
        raise ApiError(
            400, "description_too_long", f"description 不能超过 {MAX_DESCRIPTION} 个字符"
        )
    if any("\x00" in v for v in f.values()):
        raise ApiError(400, "nul", "提交的内容含有空字符（\\x00），无法处理")
    name = " ".join(
        p for p in (f.get("last_name", "").strip(), f.get("first_name", "").strip()) if p
    )
    email, phone = f.get("email", "").strip(), f.get("phone", "").strip()
    if email and ("@" not in email or len(email) > 254):
        raise ApiError(400, "bad_email", "email 格式不正确")
    if phone and not 5 <= sum(c.isdigit() for c in phone) <= 20:
        raise ApiError(400, "bad_phone", "phone 应为 5 至 20 位数字的电话号码")
    if len(name) > 100 or len(address) > 500:
        raise ApiError(400, "too_long", "姓名不能超过 100 个字符，地址不能超过 500 个字符")
    if email:
        sender = Sender(ContactKind.EMAIL, email, name or None)
    elif phone:
        sender = Sender(ContactKind.PHONE, phone, name or None)
    else:
        raise ApiError(400, "missing_sender", "缺少报告人：请提供监督员的 email 或 phone")
    center = f.get("jurisdiction_id", "").strip() or token.center
    if center not in {c.code for c in ledger.centers()}:
        raise ApiError(
            404, "unknown_jurisdiction", f"没有代码为 {center[:40]} 的中心（jurisdiction_id）"
        )
    if not can_see_center(token.as_user(), center):
        raise ApiError(403, "forbidden", "此令牌无权为其他中心提交服务请求")
    venue = address or (f"{lat},{long}" if lat and long else None)
    text = description
    if f.get("media_url", "").strip():
        text += f"\n附件链接：{f['media_url'].strip()[:500]}"
    external = f"{token.name}:{key}" if key else f"{token.name}:{uuid.uuid4().hex}"
    return Report(
        channel=CHANNEL,
        external_id=external,
        center=center,
        received_at=ledger.clock(),
        sender=sender,
        text=text,
        hints=ReportHints(problem_type=problem, venue=venue),
    )


async def create_request(request: Request, token: ApiToken) -> Response:
    """POST requests.{fmt}: file a report through the intake."""
    fmt = _format(request)
    require_scope(token, TokenScope.OPEN311_SUBMIT)
    fields = await _fields(request)
    desk = desk_of(request)
    key = request.headers.get("idempotency-key")

    def file() -> dict[str, Any]:
        report = _report(token, desk.ledger, fields, key)
        try:
            result = desk.ledger.receive(report)
        except ValueError as e:  # a value the intake's own checks refuse
            raise ApiError(400, "bad_request", f"无法受理该请求：{e}") from None
        if result.issue_number is not None:
            return {
                "service_request_id": result.issue_number,
                "service_notice": f"已收到，编号 {result.issue_number}",
                "account_id": None,
            }
        return {
            "token": f"r{result.report_id}",
            "service_notice": "已收到，待核实报告人身份后受理",
            "account_id": None,
        }

    return _answer(fmt, "service_requests", "request", [await desk.call(file)])


async def one_token(request: Request, token: ApiToken) -> Response:
    """GET tokens/{token}.{fmt}: the service request a queued report became, if any yet."""
    fmt = _format(request)
    require_scope(token, TokenScope.READ, TokenScope.OPEN311_SUBMIT)
    raw = str(request.path_params["token_id"])
    desk = desk_of(request)

    def read() -> dict[str, Any]:
        if not raw.startswith("r") or not raw[1:].isdigit() or len(raw) > 12:
            raise ApiError(404, "not_found", "没有这个 token")
        try:
            summary = desk.ledger.report_summary(int(raw[1:]))
        except NotFound:
            raise ApiError(404, "not_found", "没有这个 token") from None
        if summary.channel != CHANNEL or not can_see_center(token.as_user(), summary.center):
            raise ApiError(404, "not_found", "没有这个 token")
        return {"service_request_id": summary.issue_number, "token": raw}

    return _answer(fmt, "service_requests", "request", [await desk.call(read)])


async def _requests(request: Request, token: ApiToken) -> Response:
    if request.method == "POST":
        return await create_request(request, token)
    return await list_requests(request, token)


def register_open311(register: RouteRegistry) -> None:
    """The GeoReport v2 endpoints under ``/open311/v2``."""
    base = "/open311/v2"
    register.add(_route(base + "/services.{fmt}", services, ["GET"]))
    register.add(_route(base + "/requests.{fmt}", _requests, ["GET", "POST"], form=True))
    register.add(_route(base + "/requests/{request_id}.{fmt}", one_request, ["GET"]))
    register.add(_route(base + "/tokens/{token_id}.{fmt}", one_token, ["GET"]))

"""The ledger API, ``/api/v1``: issues with the console's filters and the steps of their life.

Every call is checked as the console's pages are, on the account the token acts as
(:meth:`~supervision_core.ApiToken.as_user`): a center's token sees its center's issues
(the banner's all), a unit's token only its unit's and never the reporter. Steps go
through the console's own code (:mod:`supervision_web.console.steps`), so the rules and
the errors are the library's. Errors are problem details (RFC 9457) in Chinese.
The OpenAPI 3.1 document is in :mod:`supervision_web.api.openapi_doc`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from supervision_core import (
    ApiToken,
    ContactKind,
    Issue,
    IssueState,
    Ledger,
    OutboxStatus,
    Role,
    RouteRegistry,
    TokenScope,
    mask_name,
    mask_personal_data,
    mask_phone,
    transport_label,
)

from ..app import desk_of
from ..console.access import centers_of, unit_issue_of, unit_issues, visible_issue
from ..console.steps import act_as_staff, act_as_unit
from .calls import ApiError, api_call, json_response, problem

__all__ = ["MAX_LIMIT", "STAFF_STEPS", "UNIT_STEPS", "register_v1"]

MAX_LIMIT = 200
#: Staff steps and the scope each needs.
STAFF_STEPS = {
    "accept": TokenScope.SCREEN,
    "not_accept": TokenScope.SCREEN,
    "close": TokenScope.SCREEN,
    "merge": TokenScope.SCREEN,
    "dispatch": TokenScope.DISPATCH,
    "extend": TokenScope.DISPATCH,
}
#: A unit's steps (its token's ``unit`` scope); staff with ``dispatch`` take them too.
UNIT_STEPS = ("plan", "progress", "complete", "explain", "object")


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _moment(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def _issue_json(issue: Issue) -> dict[str, Any]:
    """An issue as a center's staff read it (the supervisor by id only)."""
    return {
        "number": issue.number,
        "center": issue.center,
        "state": issue.state.value,
        "state_label": issue.state.label,
        "received_at": _moment(issue.received_at),
        "subject": issue.subject,
        "text": issue.text,
        "problem_type": issue.hints.problem_type.value if issue.hints.problem_type else None,
        "venue": issue.hints.venue,
        "not_accepted_reason": (
            issue.not_accepted_reason.value if issue.not_accepted_reason else None
        ),
        "unit": issue.unit,
        "track": issue.track.value if issue.track else None,
        "measures": issue.measures,
        "due_on": _date(issue.due_on),
        "extensions": issue.extensions,
        "completed_at": _moment(issue.completed_at),
        "evidence": issue.evidence,
        "explanation": issue.explanation,
        "satisfaction": issue.satisfaction.value if issue.satisfaction else None,
        "closed_at": _moment(issue.closed_at),
        "supervisor_id": issue.supervisor_id,
    }


def _unit_json(ledger: Ledger, number: str) -> dict[str, Any]:
    """An issue as its unit reads it: never who reported it."""
    view = ledger.unit_view(number)
    return {
        "number": view.number,
        "center": view.center,
        "state": view.state.value,
        "state_label": view.state.label,
        "received_on": _date(view.received_on),
        "text": view.text,
        "problem_type": view.hints.problem_type.value if view.hints.problem_type else None,
        "venue": view.hints.venue,
        "unit": view.unit,
        "track": view.track.value if view.track else None,
        "measures": view.measures,
        "due_on": _date(view.due_on),
        "progress": list(view.progress),
        "evidence": view.evidence,
        "explanation": view.explanation,
    }


def _require(token: ApiToken, scope: TokenScope) -> None:
    if not token.allows(scope):
        raise ApiError(403, "insufficient_scope", f"此令牌没有所需的权限范围（{scope.value}）")


def _whole(value: str | None, what: str, *, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise ApiError(400, "bad_parameter", f"{what} 应为 {low} 至 {high} 的整数")
    return int(value)


async def list_issues(request: Request, token: ApiToken) -> Response:
    """GET /api/v1/issues: the console's filters, in id order, a cursor to the next page."""
    if not (token.allows(TokenScope.READ) or token.allows(TokenScope.UNIT)):
        raise ApiError(403, "insufficient_scope", "此令牌没有所需的权限范围（read）")
    q = request.query_params
    state = q.get("state") or None
    if state is not None and state not in {s.value for s in IssueState}:
        raise ApiError(400, "bad_parameter", "state 不是已知的问题状态")
    after = _whole(q.get("cursor"), "cursor", low=0, high=2**31 - 1) or 0
    limit = _whole(q.get("limit"), "limit", low=1, high=MAX_LIMIT) or 50
    center = q.get("center") or None
    unit = q.get("unit") or None
    overdue = q.get("overdue") in ("1", "true")
    desk = desk_of(request)
    user = token.as_user()

    def read() -> dict[str, Any]:
        ledger = desk.ledger
        if user.role is Role.UNIT:
            assert user.unit is not None
            rows = [r for r in unit_issues(ledger, user, user.unit) if r.id > after]
            if state:
                rows = [r for r in rows if r.state == state]
        else:
            visible = centers_of(ledger, user)
            if center is not None and center not in visible:
                raise ApiError(403, "forbidden", "此令牌无权查看其他中心的问题")
            rows = []
            for code in [center] if center else visible:
                rows.extend(
                    ledger.issues(
                        center=code,
                        state=state,
                        unit=unit,
                        overdue=overdue,
                        after=after,
                        limit=limit + 1,
                    )
                )
            rows.sort(key=lambda r: r.id)
        page = rows[:limit]
        items = [
            {
                "number": r.number,
                "center": r.center,
                "state": r.state,
                "received_at": _moment(r.received_at),
                "due_on": _date(r.due_on),
                "unit": r.unit,
                "problem_type": r.problem_type,
            }
            for r in page
        ]
        more = len(rows) > limit
        return {"items": items, "next_cursor": str(page[-1].id) if more and page else None}

    return json_response(await desk.call(read))


def _read_issue(ledger: Ledger, token: ApiToken, number: str, path: str) -> dict[str, Any]:
    user = token.as_user()
    if user.role is Role.UNIT:
        issue = unit_issue_of(ledger, user, number)
        return _unit_json(ledger, issue.number)
    issue = visible_issue(ledger, user, number)
    supervisor = ledger.supervisor(issue.supervisor_id)
    ledger.log_access(
        user=token.actor,
        action="view_issue",
        purpose=f"接口 {path}",
        supervisors=[supervisor.id],
        target=issue.number,
    )
    data = _issue_json(issue)
    data["supervisor_name"] = mask_name(supervisor.name)  # masked, as the console lists it
    return data


async def get_issue(request: Request, token: ApiToken) -> Response:
    """GET /api/v1/issues/{number}: as the console shows it (a unit: as its portal does)."""
    if not (token.allows(TokenScope.READ) or token.allows(TokenScope.UNIT)):
        raise ApiError(403, "insufficient_scope", "此令牌没有所需的权限范围（read）")
    number = str(request.path_params["number"])[:64]
    desk = desk_of(request)
    data = await desk.call(_read_issue, desk.ledger, token, number, request.url.path)
    return json_response(data)


async def _json_body(request: Request) -> dict[str, str]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_body", "请求体不是有效的 JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_body", "请求体应为 JSON 对象")
    fields = {}
    for k, v in data.items():
        if isinstance(v, bool) or not isinstance(v, str | int):
            raise ApiError(400, "bad_body", f"字段 {str(k)[:40]} 应为字符串或整数")
        fields[str(k)] = str(v)
    return fields


async def take_step(request: Request, token: ApiToken) -> Response:
    """POST /api/v1/issues/{number}/steps/{step}: one step, by the library's rules."""
    step = str(request.path_params["step"])
    number = str(request.path_params["number"])[:64]
    fields = await _json_body(request)
    fields["action"] = step
    desk = desk_of(request)
    user = token.as_user()
    if step in STAFF_STEPS:
        _require(token, STAFF_STEPS[step])
    elif step in UNIT_STEPS:
        if user.role is not Role.UNIT and step != "object":
            _require(token, TokenScope.DISPATCH)
        elif user.role is not Role.UNIT:
            raise ApiError(403, "forbidden", "只有承办单位可以对派单提出异议")
    else:
        raise ApiError(404, "unknown_step", f"没有这个步骤：{step[:40]}")

    def act() -> dict[str, Any]:
        ledger = desk.ledger
        if user.role is Role.UNIT:
            issue = unit_issue_of(ledger, user, number)
            act_as_unit(ledger, user, issue.number, fields)
            return _unit_json(ledger, issue.number)
        act_as_staff(ledger, user, number, fields)
        return _issue_json(visible_issue(ledger, user, number))

    return json_response(await desk.call(act))


def _staff_reader(token: ApiToken, scope: TokenScope = TokenScope.READ) -> None:
    _require(token, scope)
    if token.as_user().role is Role.UNIT:
        raise ApiError(403, "forbidden", "此接口仅供中心使用，承办单位令牌不能调用")


async def list_supervisors(request: Request, token: ApiToken) -> Response:
    """GET /api/v1/supervisors: the register of the token's centers, masked; logged."""
    _staff_reader(token)
    desk = desk_of(request)
    user = token.as_user()

    def read() -> list[dict[str, Any]]:
        ledger = desk.ledger
        centers = set(centers_of(ledger, user))
        rows = [s for s in ledger.supervisors() if s.center in centers]
        ledger.log_access(
            user=token.actor,
            action="view_supervisors",
            purpose=f"接口 {request.url.path}",
            supervisors=[s.id for s in rows],
        )
        return [
            {
                "id": s.id,
                "name": mask_name(s.name),
                "center": s.center,
                "status": s.status.value,
                "origin": s.origin.value,
                "phone": next(
                    (mask_phone(i.value) for i in s.identities if i.kind is ContactKind.PHONE),
                    None,
                ),
                "term_start": _date(s.term_start),
                "term_end": _date(s.term_end),
            }
            for s in rows
        ]

    return json_response({"items": await desk.call(read)})


async def list_outbox(request: Request, token: ApiToken) -> Response:
    """GET /api/v1/outbox: the notices of the token's centers and how each went (no text)."""
    _staff_reader(token)
    status = request.query_params.get("status") or None
    if status is not None and status not in {s.value for s in OutboxStatus}:
        raise ApiError(400, "bad_parameter", "status 不是已知的通知状态")
    desk = desk_of(request)
    user = token.as_user()

    def read() -> list[dict[str, Any]]:
        ledger = desk.ledger
        entries = [
            e for c in centers_of(ledger, user) for e in ledger.outbox(status=status, center=c)
        ]
        entries.sort(key=lambda e: e.id, reverse=True)
        return [
            {
                "id": e.id,
                "status": e.status.value,
                "recipient_kind": e.notice.recipient_kind.value,
                "subject": mask_personal_data(e.notice.subject),
                "transport": transport_label(e.transport) if e.transport else None,
                "issue_id": e.issue_id,
                "attempts": e.attempts,
                "created_at": _moment(e.created_at),
                "delivered_at": _moment(e.delivered_at),
            }
            for e in entries[:MAX_LIMIT]
        ]

    return json_response({"items": await desk.call(read)})


_EXPORT_COLUMNS = ("编号", "中心", "状态", "反馈时间", "办理期限", "承办单位", "问题类型")


async def export_issues(request: Request, token: ApiToken) -> Response:
    """GET /api/v1/exports/issues.csv: the ledger's issues, streamed a page at a time."""
    _staff_reader(token, TokenScope.EXPORT)
    desk = desk_of(request)
    centers = await desk.call(centers_of, desk.ledger, token.as_user())

    def rows() -> Iterator[bytes]:
        yield "\ufeff".encode()  # Excel reads UTF-8 with the mark
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(_EXPORT_COLUMNS)
        yield out.getvalue().encode()
        for code in centers:
            after = 0
            while True:
                page = desk.ledger.issues(center=code, after=after, limit=500)
                if not page:
                    break
                out = io.StringIO()
                writer = csv.writer(out)
                for r in page:
                    writer.writerow(
                        [
                            r.number,
                            r.center,
                            IssueState(r.state).label,
                            _moment(r.received_at),
                            _date(r.due_on) or "",
                            r.unit or "",
                            r.problem_type or "",
                        ]
                    )
                yield out.getvalue().encode()
                after = page[-1].id

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": "attachment; filename*=UTF-8''issues.csv"},
    )


def _problem_shape(status: int, code: str, message: str) -> Response:
    return problem(status, code, message)


def register_v1(register: RouteRegistry) -> None:
    """``/api/v1/...``."""
    register.add(Route("/api/v1/issues", api_call(list_issues, shape=_problem_shape)))
    register.add(Route("/api/v1/supervisors", api_call(list_supervisors, shape=_problem_shape)))
    register.add(Route("/api/v1/outbox", api_call(list_outbox, shape=_problem_shape)))
    register.add(Route("/api/v1/exports/issues.csv", api_call(export_issues, shape=_problem_shape)))
    register.add(Route("/api/v1/issues/{number}", api_call(get_issue, shape=_problem_shape)))
    register.add(
        Route(
            "/api/v1/issues/{number}/steps/{step}",
            api_call(take_step, shape=_problem_shape),
            methods=["POST"],
        )
    )

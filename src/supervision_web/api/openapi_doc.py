"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/openapi.json``, and ``/api/docs``.

``/api/docs`` renders the document as a plain page (no script: the app's CSP holds).
"""

from __future__ import annotations

from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from supervision_core import IssueState, OutboxStatus, RouteRegistry

from .calls import json_response
from .v1 import MAX_LIMIT, STAFF_STEPS, UNIT_STEPS

__all__ = ["OPENAPI", "register_openapi"]


def _schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _links(number: str) -> dict[str, Any]:
    """The links from an answer naming an issue to reading and stepping it (stateful runs)."""
    return {
        "GetIssue": {"operationId": "getIssue", "parameters": {"number": number}},
        "AcceptIssue": {
            "operationId": "takeStep",
            "parameters": {"number": number, "step": "accept"},
        },
    }


def _answers(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    answers: dict[str, Any] = {"200": ok}
    for code in codes:
        answers[str(code)] = {
            "description": "拒绝（问题详情）",
            "content": {"application/problem+json": {"schema": _schema_ref("Problem")}},
        }
    return answers


_STR_OR_NULL = {"type": ["string", "null"]}


def _items(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _schema_ref(name)}},
    }


_ISSUE_PROPS = {
    "number": {"type": "string"},
    "center": {"type": "string"},
    "state": {"type": "string", "enum": [s.value for s in IssueState]},
    "state_label": {"type": "string"},
}
#: The OpenAPI 3.1 document of ``/api/v1``.
OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "supervision-desk 台账接口",
        "version": "1",
        "description": "政务服务监督台账的 HTTP 接口。令牌由 supdesk tokens add 创建。",
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/issues": {
            "get": {
                "operationId": "listIssues",
                "summary": "问题列表（与控制台相同的筛选，游标分页）",
                "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": s}
                    for n, s in (
                        ("center", {"type": "string"}),
                        ("state", {"type": "string", "enum": [s.value for s in IssueState]}),
                        ("unit", {"type": "string"}),
                        ("overdue", {"type": "string", "enum": ["0", "1", "true", "false"]}),
                        ("cursor", {"type": "string", "pattern": "^[0-9]{1,9}$"}),
                        ("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
                    )
                ],
                "responses": _answers(
                    {
                        "description": "一页问题",
                        "content": {"application/json": {"schema": _schema_ref("IssuePage")}},
                        "links": _links("$response.body#/items/0/number"),
                    },
                    400,
                    401,
                    403,
                    429,
                ),
            }
        },
        "/api/v1/issues/{number}": {
            "get": {
                "operationId": "getIssue",
                "summary": "一件问题（承办单位令牌只见本单位视图，不含报告人）",
                "parameters": [
                    {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": _answers(
                    {
                        "description": "问题",
                        "content": {"application/json": {"schema": _schema_ref("Issue")}},
                        "links": {"AcceptIssue": _links("$response.body#/number")["AcceptIssue"]},
                    },
                    401,
                    403,
                    404,
                    429,
                ),
            }
        },
        "/api/v1/supervisors": {
            "get": {
                "operationId": "listSupervisors",
                "summary": "监督员名册（姓名、电话脱敏；查阅记入查阅记录）",
                "responses": _answers(
                    {
                        "description": "监督员",
                        "content": {"application/json": {"schema": _items("Supervisor")}},
                    },
                    401,
                    403,
                    429,
                ),
            }
        },
        "/api/v1/outbox": {
            "get": {
                "operationId": "listOutbox",
                "summary": "发件箱：通知及其送达情况（不含正文）",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": [s.value for s in OutboxStatus]},
                    }
                ],
                "responses": _answers(
                    {
                        "description": "通知",
                        "content": {"application/json": {"schema": _items("OutboxEntry")}},
                    },
                    400,
                    401,
                    403,
                    429,
                ),
            }
        },
        "/api/v1/exports/issues.csv": {
            "get": {
                "operationId": "exportIssues",
                "summary": "导出问题台账（CSV，流式下载）",
                "responses": _answers(
                    {
                        "description": "CSV 文件",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    401,
                    403,
                    429,
                ),
            }
        },
        "/api/v1/issues/{number}/steps/{step}": {
            "post": {
                "operationId": "takeStep",
                "summary": "办理步骤：受理、不予受理、派单、延期、办结、并案、整改方式、进展、完成、说明、异议",
                "parameters": [
                    {
                        "name": "number",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "step",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": [*STAFF_STEPS, *UNIT_STEPS]},
                    },
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 200},
                    },
                ],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": {"type": ["string", "integer"]},
                            }
                        }
                    },
                },
                "responses": _answers(
                    {
                        "description": "办理后的问题",
                        "content": {"application/json": {"schema": _schema_ref("Issue")}},
                    },
                    400,
                    401,
                    403,
                    404,
                    409,
                    422,
                    429,
                ),
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                },
            },
            "IssueSummary": {
                "type": "object",
                "required": ["number", "center", "state", "received_at"],
                "properties": {
                    "number": {"type": "string"},
                    "center": {"type": "string"},
                    "state": {"type": "string"},
                    "received_at": {"type": "string"},
                    "due_on": _STR_OR_NULL,
                    "unit": _STR_OR_NULL,
                    "problem_type": _STR_OR_NULL,
                },
            },
            "IssuePage": {
                "type": "object",
                "required": ["items", "next_cursor"],
                "properties": {
                    "items": {"type": "array", "items": _schema_ref("IssueSummary")},
                    "next_cursor": _STR_OR_NULL,
                },
            },
            "Supervisor": {
                "type": "object",
                "required": ["id", "name", "center", "status"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "center": {"type": "string"},
                    "status": {"type": "string"},
                    "origin": {"type": "string"},
                    "phone": _STR_OR_NULL,
                    "term_start": _STR_OR_NULL,
                    "term_end": _STR_OR_NULL,
                },
            },
            "OutboxEntry": {
                "type": "object",
                "required": ["id", "status", "recipient_kind", "attempts", "created_at"],
                "properties": {
                    "id": {"type": "integer"},
                    "status": {"type": "string", "enum": [s.value for s in OutboxStatus]},
                    "recipient_kind": {"type": "string"},
                    "subject": {"type": "string"},
                    "transport": _STR_OR_NULL,
                    "issue_id": {"type": ["integer", "null"]},
                    "attempts": {"type": "integer"},
                    "created_at": {"type": "string"},
                    "delivered_at": _STR_OR_NULL,
                },
            },
            "Issue": {
                "type": "object",
                "required": list(_ISSUE_PROPS),
                "properties": _ISSUE_PROPS,
            },
        },
    },
}


async def openapi(request: Request) -> Response:
    """GET /api/openapi.json."""
    return json_response(OPENAPI)


async def docs_page(request: Request) -> Response:
    """GET /api/docs: the OpenAPI document as a plain page (no script, no CDN)."""
    rows = []
    for path, operations in OPENAPI["paths"].items():
        for method, op in operations.items():
            params = "、".join(p["name"] for p in op.get("parameters", [])) or "无"
            rows.append(
                f"<tr><td><code>{escape(method.upper())} {escape(path)}</code></td>"
                f"<td>{escape(op['summary'])}</td><td>{escape(params)}</td></tr>"
            )
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>台账接口说明</title></head><body>"
        f"<h1>{escape(OPENAPI['info']['title'])}</h1>"
        f"<p>{escape(OPENAPI['info']['description'])}</p>"
        '<p>机器可读的文档：<a href="/api/openapi.json">/api/openapi.json</a>（OpenAPI 3.1）。'
        "Open311 GeoReport v2 接口在 /open311/v2/ 下。</p>"
        "<table><thead><tr><th>操作</th><th>说明</th><th>参数</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>"
    )
    return HTMLResponse(page)


def register_openapi(register: RouteRegistry) -> None:
    """``/api/openapi.json`` and ``/api/docs``."""
    register.add(Route("/api/openapi.json", openapi))
    register.add(Route("/api/docs", docs_page))

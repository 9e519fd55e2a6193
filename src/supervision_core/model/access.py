"""The access log (查阅记录): who saw a supervisor's personal data, when, where and why."""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["ACCESS_ACTIONS", "AccessEntry"]

ACCESS_ACTIONS: dict[str, str] = {
    "list_supervisors": "监督员名单",
    "view_supervisor": "监督员详情",
    "view_issue": "问题详情",
    "export_ledger": "导出台账",
    "walk_in_picker": "来访登记选择监督员",
    "view_receipt": "回执",
    "view_attachment": "附件",
    "view_supervisors": "监督员名册",
    "annual_evaluation": "年度评估",
    "briefing_meeting": "通报会出席",
    "view_call_task": "待电话告知",
    "view_quarantine": "隔离区",
    "quarantine_picker": "隔离区选择监督员",
    "download_document": "监督员下载资料",
    "view_task": "任务进度",
    "task_picker": "布置任务选择监督员",
}
"""The access log's actions in Chinese, as the command line and the console show them."""


@attrs.frozen(kw_only=True)
class AccessEntry:
    """One view or export of one supervisor's personal data.

    ``user`` is the staff account (``banner-desk``) or the command line's actor
    (``cli:operator``); ``action`` what was done (``view_supervisor``, ``export_ledger``
    ...); ``purpose`` the page or the command it was done by (``网页 /console/supervisors/3``,
    ``命令 supdesk supervisors show 3``). ``supervisor_id`` and ``center`` are ``None``
    on entries written before they were recorded.
    """

    id: int
    at: dt.datetime
    user: str
    action: str
    target: str
    supervisor_id: int | None = None
    center: str | None = None
    purpose: str | None = None

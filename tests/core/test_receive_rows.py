"""Every row filing produces, compared with a recorded snapshot (issue #22's guard).

The per-report filing path was rewritten for speed (cached look-ups, driver SQL on
SQLite); what a report leaves in the database must not change. A varied set of reports
(supervisors on every channel, a citizen, a suspended and an out-of-term sender, an
unknown center, a duplicate, a repeated delivery, a follow-up, attachments, screening
proposals, webhook subscriptions added and disabled between reports, a supervisor
suspended and reinstated between reports) is filed one at a time, and every row of the
tables intake writes is compared with ``data/receive_rows.json``, recorded from the code
before the rewrite. Regenerate (only for an intended change) with
``SUPDESK_WRITE_RECEIVE_ROWS=1``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from supervision_core import (
    Attachment,
    ContactKind,
    Identity,
    Ledger,
    NewSupervisor,
    Report,
    ReportHints,
    Sender,
)
from supervision_core.testing import FrozenClock

SNAPSHOT = Path(__file__).parent / "data" / "receive_rows.json"
TABLES = (
    "report",
    "attachment",
    "issue",
    "issue_event",
    "screening_proposal",
    "issue_counter",
    "outbox",
    "webhook_delivery",
)
OP = "operator:test"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)  # JSON stored as text on SQLite
        except ValueError:
            return value
    return value


def _rows(ledger: Ledger) -> dict[str, list[dict[str, Any]]]:
    dump: dict[str, list[dict[str, Any]]] = {}
    metadata = sa.MetaData()
    with ledger.engine.connect() as connection:
        for name in TABLES:
            table = sa.Table(name, metadata, autoload_with=connection)
            order = list(table.primary_key.columns)
            rows = connection.execute(sa.select(table).order_by(*order)).mappings()
            dump[name] = [{k: _plain(v) for k, v in sorted(r.items())} for r in rows]
    for delivery in dump["webhook_delivery"]:
        delivery["body"].pop("id")  # a random event id, new for every post
    return dump


def _file_everything(ledger: Ledger, clock: FrozenClock) -> list[dict[str, Any]]:
    def supervisor(name: str, center: str, *ids: Identity, **kw: Any) -> int:
        return ledger.add_supervisor(
            NewSupervisor(name=name, center=center, identities=ids, **kw)
        ).id

    bateer = supervisor(
        "巴特尔",
        "wushenzhao",
        Identity(ContactKind.EMAIL, "bateer@example.cn"),
        Identity(ContactKind.PHONE, "13904772345"),
    )
    supervisor("王芳", "banner", Identity(ContactKind.MESSENGER, "telegram:4242"))
    paused = supervisor("暂停者", "galutu", Identity(ContactKind.PHONE, "13804771111"))
    supervisor(
        "期满者",
        "tuke",
        Identity(ContactKind.EMAIL, "old@example.cn"),
        term_start=dt.date(2024, 1, 1),
        term_end=dt.date(2025, 12, 31),
    )
    ledger.suspend(paused, reason="调查中", actor=OP)
    town_hook, _ = ledger.webhooks.add(
        url="https://hooks.example.cn/town", center="wushenzhao", events=["report.received"]
    )
    ledger.webhooks.add(
        url="https://hooks.example.cn/banner", center="banner", events=["report.received"]
    )
    now = clock()
    hints = ReportHints(problem_type="attitude", venue="政务服务大厅")
    results = []
    n = 0

    def send(
        channel: str, sender: Sender, text: str, center: str = "wushenzhao", **kw: Any
    ) -> None:
        nonlocal n
        n += 1
        report = Report(
            channel=channel,
            external_id=kw.pop("external_id", f"{channel}-{n}"),
            center=center,
            received_at=now,
            sender=sender,
            text=text,
            **kw,
        )
        result = ledger.receive(report)
        results.append(_result(result))
        clock.advance(minutes=7)

    mail = Sender(ContactKind.EMAIL, "bateer@example.cn", display_name="巴特尔")
    phone = Sender(ContactKind.PHONE, "13904772345")
    send(
        "email",
        mail,
        "社保窗口工作人员态度生硬，办事群众排队一个多小时。",
        hints=hints,
        subject="态度",
    )
    send("phone", phone, "社保窗口工作人员态度生硬，办事群众排了一个多小时的队。", hints=hints)
    send("email", mail, "重复投递", external_id="email-1")  # the same delivery again
    send(
        "walk_in",
        Sender(ContactKind.REGISTER, str(bateer)),
        "不动产登记窗口要求补交三次材料，没有一次性告知，已申请行政复议。",
        hints=ReportHints(
            problem_type="many_offices", unit="wushenzhao-window", stage="appointment"
        ),
        attachments=(Attachment("照片.jpg", "image/jpeg", b"\xff\xd8\xff\xe0fake"),),
    )
    send(
        "telegram",
        Sender(ContactKind.MESSENGER, "telegram:4242"),
        "网上办事大厅营业执照变更页面多次提交失败。",
        center="banner",
    )
    send("phone", Sender(ContactKind.PHONE, "13800000000"), "我是群众，想反映一下窗口的问题。")
    send("phone", Sender(ContactKind.PHONE, "13804771111"), "嘎鲁图窗口没人。", center="galutu")
    send(
        "email", Sender(ContactKind.EMAIL, "old@example.cn"), "图克镇窗口排队太久。", center="tuke"
    )
    send("email", mail, "未知中心的反馈。", center="nowhere")
    send("email", mail, "补充：又去了一次，还是一样。", follows_up="wushenzhao-2026-00001")
    send("open311", mail, "？？")
    # Subscriptions and supervisors change between reports: what is cached must follow.
    ledger.webhooks.disable(town_hook.id)
    send(
        "email",
        mail,
        "大厅门口有人自称可以加急办理，收取费用。",
        hints=ReportHints(problem_type="brokers", venue="大厅门口"),
    )
    ledger.webhooks.add(
        url="https://hooks.example.cn/town2", center="wushenzhao", events=["report.received"]
    )
    ledger.suspend(bateer, reason="核查", actor=OP)
    send("email", mail, "暂停期间的反馈。")
    ledger.reinstate(bateer, reason="核查结束", actor=OP)
    ledger.add_identity(bateer, Identity(ContactKind.MESSENGER, "telegram:777"))
    send(
        "telegram",
        Sender(ContactKind.MESSENGER, "telegram:777"),
        "身份证号 11010519491231002X 被窗口复印留存。",
        hints=hints,
    )
    send("phone", phone, "社保窗口工作人员态度生硬，排队一个多小时。", hints=hints)
    return results


def _result(result: Any) -> dict[str, Any]:
    return {a.name: _plain(getattr(result, a.name)) for a in type(result).__attrs_attrs__}


def test_filing_leaves_exactly_the_recorded_rows(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    got = {
        "results": _file_everything(supdesk_ledger, supdesk_clock),
        "rows": _rows(supdesk_ledger),
    }
    got = json.loads(json.dumps(got, default=str))
    if (
        os.environ.get("SUPDESK_WRITE_RECEIVE_ROWS")
        and supdesk_ledger.engine.dialect.name == "sqlite"
    ):
        SNAPSHOT.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert got["results"] == expected["results"]
    for table in TABLES:
        assert got["rows"][table] == expected["rows"][table], table

"""The messenger conversation in the core's public API: message keys taken in once, and
buttons as numbered lines for messengers without buttons (WeChat)."""

from __future__ import annotations

import datetime as dt

from supervision_core import (
    ContactKind,
    Identity,
    Inbound,
    MessengerDesk,
    NewSupervisor,
    Outbound,
    conversation_step,
    evaluation_buttons,
)


def _inbound(
    n: int,
    text: str | None = None,
    *,
    key: str | None = None,
    command: str | None = None,
    args: str = "",
) -> Inbound:
    return Inbound(update_id=n, account="wechat:app:u1", chat="u1", sent_at=dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC),
                   text=text, command=command, args=args, key=key)  # fmt: skip


def _desk(ledger, **options) -> MessengerDesk:
    def download(ref):
        raise OSError("no files here")

    return MessengerDesk(ledger, "wechat", download, **options)


def _link(ledger, desk: MessengerDesk, key: str | None = "k-link") -> int:
    supervisor = ledger.add_supervisor(
        NewSupervisor(
            name="巴特尔", center="banner", identities=[Identity(ContactKind.PHONE, "13912345678")]
        )
    )
    code = ledger.messengers.issue_link_code(supervisor.id).code
    (reply,) = desk.handle(_inbound(0, command="link", args=code, key=key))
    assert "绑定成功" in reply.text
    return supervisor.id


def test_a_key_is_taken_in_once_whatever_the_order_and_names_the_report(supdesk_ledger):
    desk = _desk(supdesk_ledger)
    supervisor = _link(supdesk_ledger, desk)
    assert "已登记" in desk.handle(_inbound(0, "窗口无人", key="wechat:900"))[0].text
    assert desk.handle(_inbound(0, "窗口无人", key="wechat:900")) == []  # sent again
    assert (
        "已登记" in desk.handle(_inbound(0, "大厅太冷", key="wechat:899"))[0].text
    )  # an older id: still new
    ids = sorted(
        supdesk_ledger.report(r.id).external_id
        for r in supdesk_ledger.recent_reports()
        if r.channel == "wechat"
    )
    assert ids == ["wechat:899", "wechat:900"]
    assert len(supdesk_ledger.issues(supervisor=supervisor)) == 2


def test_without_keys_updates_are_ordered_by_their_id(supdesk_ledger):
    desk = _desk(supdesk_ledger)
    _link(supdesk_ledger, desk, key=None)
    assert "已登记" in desk.handle(_inbound(5, "窗口无人"))[0].text
    assert desk.handle(_inbound(5, "窗口无人")) == []
    assert desk.handle(_inbound(4, "更早的")) == []


def test_numbered_buttons_are_written_as_lines_and_a_number_presses_one(supdesk_ledger):
    desk = _desk(supdesk_ledger, numbered_buttons=True)
    _link(supdesk_ledger, desk)
    (menu,) = desk.handle(_inbound(0, command="report", key="k1"))
    assert menu.buttons == () and "1. " in menu.text and "请回复序号" in menu.text
    if "在哪个中心" in menu.text:
        (menu,) = desk.handle(_inbound(0, "1", key="k2"))
    assert "办事场所" in menu.text
    (topic,) = desk.handle(_inbound(0, "1", key="k3"))  # 1. 跳过
    assert "工作内容" in topic.text
    state, _ = supdesk_ledger.messengers.session("wechat:app:u1")
    assert state["stage"] == "topic" and state["draft"]["venue"] is None
    (again,) = desk.handle(_inbound(0, "99", key="k4"))  # not a number in the menu: asked again
    assert "工作内容" in again.text


def test_the_pure_step_and_the_evaluation_buttons_are_public():
    result = conversation_step({}, _inbound(1, "你好"), linked=False, centers={}, home_center=None)
    assert result.replies and "尚未绑定" in result.replies[0].text
    assert evaluation_buttons("banner-2026-00001")[0][0] == (
        "满意",
        "eval:banner-2026-00001:satisfied",
    )
    assert Outbound("x").buttons == ()

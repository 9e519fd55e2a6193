"""``supdesk supervisors ...``: appointment, look-up, suspension, discipline, revocation."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs
import click

from supervision_core.cli.access import log_shown
from supervision_core.cli.context import (
    CENTER,
    DATE,
    State,
    actor_option,
    json_option,
    lazy_choice,
    names,
    pass_state,
    resolve_actor,
)
from supervision_core.cli.output import fail, pad, show, to_json

# The value modules (and the masking rules, which import them) load when a command runs,
# with the ledger, not for `supdesk --help`: annotations only here, choices through lazy_choice.
if TYPE_CHECKING:
    from supervision_core.model.supervisors import Identity, Supervisor, SupervisorChange

__all__ = ["supervisors"]


@click.group()
def supervisors() -> None:
    """监督员：聘任、查询、暂停、取消资格。"""


def _supervisor_lines(s: Supervisor) -> list[str]:
    contacts = "，".join(_identity_text(i) for i in s.identities) or "（无）"
    lines = [
        f"#{s.id} {s.name}  [{s.status.label}]",
        f"  所属中心：{names().center(s.center)}    来源：{s.origin.label}",
        f"  聘书编号：{s.letter_number or '—'}    工作证编号：{s.card_number or '—'}",
        f"  聘期：{s.term_start or '—'} 至 {s.term_end or '—'}",
        f"  联系方式：{contacts}",
    ]
    if s.status_note:
        lines.append(f"  状态说明：{s.status_note}")
    if s.revocation:
        r = s.revocation
        lines.append(
            f"  取消资格：{r.on}，聘书{'已' if r.letter_returned else '未'}收回，"
            f"工作证{'已' if r.card_returned else '未'}收回"
        )
        grounds = (
            f"批评教育记录 {'、'.join(f'#{i}' for i in r.admonitions)}" if r.admonitions else ""
        )
        if r.override:
            grounds += ("；" if grounds else "") + f"旗政务服务中心决定：{r.override}"
        lines.append(f"  依据：{grounds or '—'}    决定人：{r.decided_by or '—'}")
    return lines


def _identity_text(identity: Identity) -> str:
    from supervision_core.model.supervisors import ContactKind
    from supervision_core.rules.masking import mask_phone

    if identity.kind is ContactKind.PHONE:
        return f"电话 {mask_phone(identity.value)}"
    if identity.kind is ContactKind.EMAIL:
        return f"邮箱 {identity.value}"
    return f"即时通讯 {identity.value}"


def _masked(s: Supervisor) -> Supervisor:
    from supervision_core.model.supervisors import ContactKind, Identity
    from supervision_core.rules.masking import mask_phone

    return attrs.evolve(
        s,
        identities=tuple(
            Identity(i.kind, mask_phone(i.value)) if i.kind is ContactKind.PHONE else i
            for i in s.identities
        ),
    )


@supervisors.command("add")
@click.argument("name")
@click.option("--center", type=CENTER, required=True, help="聘任中心（代码或名称）。")
@click.option(
    "--origin",
    type=lazy_choice("supervision_core.model.supervisors:Origin"),
    default="experience_officer",  # Origin.EXPERIENCE_OFFICER
    show_default=True,
    help="experience_officer 体验官兼任；township_hired 苏木镇聘用。",
)
@click.option("--letter", "letter_number", help="聘书编号。")
@click.option("--card", "card_number", help="工作证编号。")
@click.option("--term-start", type=DATE, help="聘期开始 YYYY-MM-DD。")
@click.option("--term-end", type=DATE, help="聘期结束 YYYY-MM-DD。")
@click.option("--email", multiple=True, help="电子邮箱（可多次）。")
@click.option("--phone", multiple=True, help="电话号码（可多次）。")
@click.option("--messenger", multiple=True, help="即时通讯账号，如 telegram:123456（可多次）。")
@json_option
@pass_state
def supervisors_add(
    state: State,
    name: str,
    center: str,
    origin: str,
    letter_number: str | None,
    card_number: str | None,
    term_start: dt.datetime | None,
    term_end: dt.datetime | None,
    email: tuple[str, ...],
    phone: tuple[str, ...],
    messenger: tuple[str, ...],
) -> None:
    """聘任一名监督员。"""
    from supervision_core.model.supervisors import ContactKind, Identity, NewSupervisor, Origin

    identities = [Identity(ContactKind.EMAIL, v) for v in email]
    identities += [Identity(ContactKind.PHONE, v) for v in phone]
    identities += [Identity(ContactKind.MESSENGER, v) for v in messenger]
    supervisor = state.ledger().add_supervisor(
        NewSupervisor(
            name=name,
            center=center,
            origin=Origin(origin),
            letter_number=letter_number,
            card_number=card_number,
            term_start=term_start.date() if term_start else None,
            term_end=term_end.date() if term_end else None,
            identities=identities,
        )
    )
    show(
        state,
        _masked(supervisor),
        lambda: click.echo("\n".join(["已聘任：", *_supervisor_lines(supervisor)])),
    )


@supervisors.command("list")
@click.option("--center", type=CENTER, help="只看某个中心。")
@click.option(
    "--status",
    type=lazy_choice("supervision_core.model.supervisors:SupervisorStatus"),
    help="只看某种状态。",
)
@json_option
@pass_state
def supervisors_list(state: State, center: str | None, status: str | None) -> None:
    """列出监督员（电话号码脱敏显示）。"""
    from supervision_core.model.supervisors import ContactKind, SupervisorStatus
    from supervision_core.rules.masking import mask_phone

    ledger = state.ledger()
    found = ledger.supervisors(center=center, status=SupervisorStatus(status) if status else None)
    log_shown(ledger, "list_supervisors", [s.id for s in found])

    def human() -> None:
        if not found:
            click.echo("没有符合条件的监督员。")
        for s in found:
            phones = "，".join(
                mask_phone(i.value) for i in s.identities if i.kind is ContactKind.PHONE
            )
            click.echo(
                f"#{s.id:<4} {pad(s.name, 12)} {pad(s.center, 14)} {pad(s.status.label, 12)} {phones}"
            )

    show(state, [_masked(s) for s in found], human)


@supervisors.command("show")
@click.argument("supervisor_id", type=int)
@json_option
@pass_state
def supervisors_show(state: State, supervisor_id: int) -> None:
    """显示一名监督员的详细信息，及其资格变更和出席记录（连同操作人和时间）。"""
    ledger = state.ledger()
    s = ledger.supervisor(supervisor_id)
    history = ledger.supervisor_history(supervisor_id)
    log_shown(ledger, "view_supervisor", [s.id])

    def human() -> None:
        click.echo("\n".join([*_supervisor_lines(s), *_history_lines(history)]))

    show(state, {**to_json(_masked(s)), "history": history}, human)


# Changes whose note is a remark worth printing (a meeting's note names the meeting).
_NOTED = frozenset({"suspended", "reinstated", "revoked", "attendance", "papers_returned"})


def _history_lines(history: list[SupervisorChange]) -> list[str]:
    from supervision_core.model.clock import SHANGHAI
    from supervision_core.model.supervisors import ChangeKind, Origin, SupervisorStatus
    from supervision_core.model.year import AttendanceStatus

    if not history:
        return ["  变更记录：（无）"]
    lines = ["  变更记录："]
    for change in history:
        when = change.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        attendance = (ChangeKind.ATTENDANCE, ChangeKind.MEETING_ATTENDANCE)
        labels: Any = AttendanceStatus if change.kind in attendance else SupervisorStatus
        if change.kind is ChangeKind.ORIGIN:
            labels = Origin
        if change.kind is ChangeKind.PAPERS_RETURNED:  # before and after are written out
            labels = None
        before = (
            labels(change.before).label if labels and change.before else change.before
        ) or "（无）"
        after = (
            labels(change.after).label if labels and change.after else change.after
        ) or "（无）"
        what = change.kind.label
        if change.activity_id is not None:
            what += f"（活动 #{change.activity_id}）"
        if change.kind is ChangeKind.MEETING_ATTENDANCE and change.note:
            what += f"（{change.note}）"
        note = f"：{change.note}" if change.note and change.kind in _NOTED else ""
        lines.append(f"    {when}  {what}  {before} → {after}  （{change.actor}）{note}")
    return lines


@supervisors.command("suspend")
@click.argument("supervisor_id", type=int)
@click.option("--reason", required=True, help="暂停理由。")
@actor_option
@json_option
@pass_state
def supervisors_suspend(state: State, supervisor_id: int, reason: str, actor: str | None) -> None:
    """暂停监督员资格（其反馈将进入隔离区）。"""
    s = state.ledger().suspend(supervisor_id, reason=reason, actor=resolve_actor(actor))
    show(state, _masked(s), lambda: click.echo(f"监督员 #{s.id} {s.name} 已暂停。"))


@supervisors.command("reinstate")
@click.argument("supervisor_id", type=int)
@click.option("--reason", required=True, help="恢复理由。")
@actor_option
@json_option
@pass_state
def supervisors_reinstate(state: State, supervisor_id: int, reason: str, actor: str | None) -> None:
    """恢复被暂停的监督员。"""
    s = state.ledger().reinstate(supervisor_id, reason=reason, actor=resolve_actor(actor))
    show(state, _masked(s), lambda: click.echo(f"监督员 #{s.id} {s.name} 已恢复。"))


@supervisors.command("link-code")
@click.argument("supervisor_id", type=int)
@click.option("--minutes", default=30, show_default=True, help="有效时长（分钟）。")
@json_option
@pass_state
def supervisors_link_code(state: State, supervisor_id: int, minutes: int) -> None:
    """发给监督员一个一次性绑定码，用于绑定 Telegram 等即时通讯账号。"""
    from supervision_core.model.clock import to_local

    link = state.ledger().messengers.issue_link_code(supervisor_id, minutes=minutes)
    local = to_local(link.expires_at)

    def human() -> None:
        click.echo(f"绑定码：{link.code}（{local:%Y-%m-%d %H:%M} 前有效，仅可使用一次）")
        click.echo(f"请监督员在机器人对话中发送：/link {link.code}")

    show(state, link, human)


@supervisors.command("revoke")
@click.argument("supervisor_id", type=int)
@click.option("--reason", required=True, help="取消资格的理由。")
@click.option("--letter-returned/--letter-not-returned", required=True, help="聘书是否已收回。")
@click.option("--card-returned/--card-not-returned", required=True, help="工作证是否已收回。")
@click.option("--on", "on_date", type=DATE, help="日期（默认今天）。")
@click.option(
    "--admonition",
    "admonitions",
    type=int,
    multiple=True,
    help="此前的批评教育记录编号（可多次；见 supervisors discipline-list）。",
)
@click.option("--override", help="未经批评教育即取消时：旗政务服务中心的决定及理由。")
@click.option("--decided-by", help="作出决定的人（默认：操作人）。")
@actor_option
@json_option
@pass_state
def supervisors_revoke(
    state: State,
    supervisor_id: int,
    reason: str,
    letter_returned: bool,
    card_returned: bool,
    on_date: dt.datetime | None,
    admonitions: tuple[int, ...],
    override: str | None,
    decided_by: str | None,
    actor: str | None,
) -> None:
    """取消监督员资格（须依据此前的批评教育，或旗政务服务中心的决定），并记录证件收回情况。"""
    from supervision_core.model.supervisors import Revocation

    if not admonitions and not (override or "").strip():
        fail(
            "按通知要求，经批评教育仍不悔改的才取消资格：请用 --admonition 列出此前的批评教育"
            "记录（supdesk supervisors discipline-list），或用 --override 写明旗政务服务中心的决定"
        )
    ledger = state.ledger()
    s = ledger.revoke(
        supervisor_id,
        Revocation(
            on=on_date.date() if on_date else ledger.today(),
            reason=reason,
            letter_returned=letter_returned,
            card_returned=card_returned,
            admonitions=admonitions,
            override=override,
            decided_by=decided_by,
        ),
        actor=resolve_actor(actor),
    )

    def human() -> None:
        click.echo("\n".join(["已取消资格：", *_supervisor_lines(s)]))
        if s.revocation and s.revocation.papers_outstanding:
            click.echo(
                f"待收回：{'、'.join(s.revocation.papers_outstanding)}。收回后请执行 "
                f"supdesk supervisors papers-returned {s.id} --letter/--card。"
            )

    show(state, _masked(s), human)


@supervisors.command("papers-returned")
@click.argument("supervisor_id", type=int)
@click.option("--letter", is_flag=True, help="聘书已收回。")
@click.option("--card", is_flag=True, help="工作证已收回。")
@click.option("--note", help="说明。")
@actor_option
@json_option
@pass_state
def supervisors_papers_returned(
    state: State, supervisor_id: int, letter: bool, card: bool, note: str | None, actor: str | None
) -> None:
    """记录已取消资格的监督员交回聘书、工作证（记入变更记录）。"""
    s = state.ledger().record_papers_returned(
        supervisor_id, letter=letter, card=card, note=note, actor=resolve_actor(actor)
    )
    left = s.revocation.papers_outstanding if s.revocation else ()
    show(
        state,
        _masked(s),
        lambda: click.echo(
            f"已记录：监督员 #{s.id} {s.name}"
            + (f"，尚待收回：{'、'.join(left)}" if left else "，聘书和工作证均已收回")
        ),
    )


@supervisors.command("papers-outstanding")
@click.option("--center", type=CENTER, help="只看某个中心。")
@json_option
@pass_state
def supervisors_papers_outstanding(state: State, center: str | None) -> None:
    """列出已取消资格、聘书或工作证尚未收回的监督员（待跟进）。"""
    found = state.ledger().papers_outstanding(center=center)
    data: list[dict[str, Any]] = [
        {
            "supervisor_id": s.id,
            "name": s.name,
            "center": s.center,
            "revoked_on": s.revocation.on if s.revocation else None,
            "outstanding": list(s.revocation.papers_outstanding) if s.revocation else [],
        }
        for s in found
    ]

    def human() -> None:
        if not found:
            click.echo("没有待收回的聘书或工作证。")
        for row in data:
            click.echo(
                f"#{row['supervisor_id']:<4} {pad(str(row['name']), 12)} {pad(str(row['center']), 14)} "
                f"{row['revoked_on']} 取消资格  待收回：{'、'.join(row['outstanding'])}"
            )

    show(state, data, human)


@supervisors.command("discipline")
@click.argument("supervisor_id", type=int)
@click.option(
    "--kind",
    type=lazy_choice("supervision_core.model.year:DisciplineKind"),
    default="admonition",
    show_default=True,
    help="admonition 批评教育；confidentiality_breach 违反保密义务；referral 移交处理。",
)
@click.option("--reason", required=True, help="理由。")
@click.option("--authority", help="移交的部门（referral 时必填）。")
@click.option("--response", help="监督员本人的表态或说明。")
@click.option("--on", "on_date", type=DATE, help="日期（默认今天）。")
@actor_option
@json_option
@pass_state
def supervisors_discipline(
    state: State,
    supervisor_id: int,
    kind: str,
    reason: str,
    authority: str | None,
    response: str | None,
    on_date: dt.datetime | None,
    actor: str | None,
) -> None:
    """记录批评教育（事实、本人表态）、违反保密义务或违法违纪移交处理。"""
    record = state.ledger().record_discipline(
        supervisor_id,
        kind=kind,
        reason=reason,
        authority=authority,
        response=response,
        actor=resolve_actor(actor),
        on=on_date.date() if on_date else None,
    )
    show(
        state,
        record,
        lambda: click.echo(
            f"已记录处理 #{record.id}：监督员 #{supervisor_id} {record.kind.label}（{record.on}）"
        ),
    )


@supervisors.command("discipline-list")
@click.argument("supervisor_id", type=int)
@json_option
@pass_state
def supervisors_discipline_list(state: State, supervisor_id: int) -> None:
    """列出一名监督员的批评教育和违纪处理记录（事实、操作人、本人表态）。"""
    found = state.ledger().discipline(supervisor_id)

    def human() -> None:
        if not found:
            click.echo("没有处理记录。")
        for r in found:
            extra = f"（移交：{r.authority}）" if r.authority else ""
            click.echo(f"#{r.id:<4} {r.on} {r.kind.label}{extra}：{r.reason}（{r.actor}）")
            if r.response:
                click.echo(f"       本人表态：{r.response}")

    show(state, found, human)


@supervisors.command("candidates")
@click.option("--center", type=CENTER, required=True, help="中心（代码或名称）。")
@json_option
@pass_state
def supervisors_candidates(state: State, center: str) -> None:
    """列出可考虑取消资格的监督员及理由（只供决定，不会自动取消）。"""
    found = state.ledger().revocation_candidates(center=center)
    data = [
        {"supervisor_id": sid, "name": name, "reasons": reasons} for sid, name, reasons in found
    ]

    def human() -> None:
        if not found:
            click.echo("没有需要考虑的监督员。")
        for sid, name, reasons in found:
            click.echo(f"#{sid:<4} {pad(name, 12)} {'；'.join(reasons)}")

    show(state, data, human)

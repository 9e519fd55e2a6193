"""``supdesk quarantine ...``: reports held back, assigned or dismissed by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import click

from supervision_core.cli.context import (
    CENTER,
    State,
    actor_option,
    json_option,
    pass_state,
    resolve_actor,
)
from supervision_core.cli.output import pad, show

# The value modules (and the masking rules, which import them) load with the ledger,
# not for `supdesk --help`.
if TYPE_CHECKING:
    from supervision_core.model.reports import QuarantinedReport

__all__ = ["quarantine"]


@click.group()
def quarantine() -> None:
    """隔离区：无法识别发件人等原因暂存的反馈。"""


def _quarantine_line(q: QuarantinedReport) -> str:
    from supervision_core.model.supervisors import ContactKind
    from supervision_core.rules.masking import mask_personal_data, mask_phone

    sender = mask_phone(q.sender.value) if q.sender.kind is ContactKind.PHONE else q.sender.value
    text = mask_personal_data(q.text).replace("\n", " ")
    return f"#{q.id:<5} {pad(q.center, 12)} {pad(q.reason.label, 24)} {q.channel}:{sender}  {text[:40]}"


@quarantine.command("list")
@click.option("--center", type=CENTER, help="只看某个中心。")
@click.option("--all", "include_resolved", is_flag=True, help="包括已处理的。")
@click.option("--after", type=int, help="从这个编号之后列起（翻页）。")
@click.option("--limit", type=int, help="最多列出几条。")
@json_option
@pass_state
def quarantine_list(
    state: State, center: str | None, include_resolved: bool, after: int | None, limit: int | None
) -> None:
    """列出隔离区中的反馈（按编号，由早到晚）。"""
    from supervision_core.model.supervisors import ContactKind
    from supervision_core.rules.masking import mask_personal_data, mask_phone

    found = state.ledger().quarantine(
        center=center, include_resolved=include_resolved, after=after, limit=limit
    )

    def human() -> None:
        if not found:
            click.echo("隔离区为空。")
        for q in found:
            click.echo(_quarantine_line(q))

    masked = [
        attrs.evolve(
            q,
            text=mask_personal_data(q.text),
            sender=attrs.evolve(
                q.sender,
                value=mask_phone(q.sender.value)
                if q.sender.kind is ContactKind.PHONE
                else q.sender.value,
            ),
        )
        for q in found
    ]
    show(state, masked, human)


@quarantine.command("assign")
@click.argument("quarantine_id", type=int)
@click.option("--supervisor", "supervisor_id", type=int, required=True, help="归入的监督员编号。")
@actor_option
@json_option
@pass_state
def quarantine_assign(
    state: State, quarantine_id: int, supervisor_id: int, actor: str | None
) -> None:
    """把隔离的反馈归入某位监督员，生成问题。"""
    result = state.ledger().assign_quarantined(
        quarantine_id, supervisor_id=supervisor_id, actor=resolve_actor(actor)
    )
    show(state, result, lambda: click.echo(f"已生成问题 {result.issue_number}。"))


@quarantine.command("dismiss")
@click.argument("quarantine_id", type=int)
@click.option("--note", required=True, help="理由。")
@actor_option
@json_option
@pass_state
def quarantine_dismiss(state: State, quarantine_id: int, note: str, actor: str | None) -> None:
    """认定隔离的反馈不是问题反馈（保留记录，不删除）。"""
    state.ledger().dismiss_quarantined(quarantine_id, note=note, actor=resolve_actor(actor))
    show(
        state,
        {"quarantine_id": quarantine_id, "dismissed": True},
        lambda: click.echo(f"隔离反馈 #{quarantine_id} 已驳回（记录保留）。"),
    )

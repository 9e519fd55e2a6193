"""Many reports at once, import batches and their rollback, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from supervision_core import InvalidTransition, IssueState, Ledger, Report, ReportHints, Sender
from supervision_core.testing import HookRecorder

MakeReport = Callable[..., Report]


def test_receive_many_files_in_order_and_is_idempotent(
    supdesk_ledger: Ledger, supdesk_report: MakeReport, supdesk_recorder: HookRecorder
) -> None:
    reports = [supdesk_report(f"第{n}件：窗口人员离岗{n}分钟") for n in range(1203)]
    stranger = supdesk_report("来电群众反映", sender=Sender("phone", "13900009999"))
    reports.insert(600, stranger)
    reports.append(reports[5])  # the same delivery twice in one call
    results = list(supdesk_ledger.receive_many(reports, chunk_size=250))
    assert len(results) == len(reports)
    assert [r.report_id for r in results[:3]] == sorted(r.report_id for r in results[:3])
    assert not results[600].filed and results[600].quarantine_reason == "unmatched_sender"
    assert results[-1].duplicate_delivery and results[-1].issue_id == results[5].issue_id
    numbers = [r.issue_number for r in results if r.filed and not r.duplicate_delivery]
    assert len(numbers) == 1203 == len(set(numbers))
    assert numbers[0] == "banner-2026-00001" and numbers[-1] == "banner-2026-01203"
    again = list(supdesk_ledger.receive_many(reports))
    assert all(r.duplicate_delivery for r in again)
    assert [r.issue_id for r in again] == [r.issue_id for r in results]
    assert sum(supdesk_ledger.count_by_center_and_state().values()) == 1203
    assert len(supdesk_recorder.named("supervision_report_received")) == 1203
    assert len(supdesk_recorder.named("supervision_report_quarantined")) == 1
    sample = results[1000].issue_id or 0
    assert supdesk_ledger.verify(sample)
    assert supdesk_ledger.issue(sample).due_on is not None


def test_duplicates_within_one_import_are_flagged(
    supdesk_ledger: Ledger, supdesk_report: MakeReport
) -> None:
    hints = ReportHints(problem_type="back_and_forth", venue="旗政务服务大厅")
    results = list(
        supdesk_ledger.receive_many(
            [
                supdesk_report(
                    "社保卡补办要求先去旗里开证明再回镇上办理，来回跑了两趟", hints=hints
                ),
                supdesk_report("社保卡补办要先去旗里开证明再回镇上办，来回跑了两次", hints=hints),
                supdesk_report(
                    "社保卡补办要先去旗里开证明再回镇上办，来回跑了两次"
                ),  # no place: not compared
            ]
        )
    )
    assert results[1].possible_duplicate_of == results[0].issue_id
    assert results[2].possible_duplicate_of is None


def test_batch_is_recorded_and_rolled_back_whole(
    supdesk_ledger: Ledger, supdesk_report: MakeReport
) -> None:
    keep = supdesk_ledger.receive(supdesk_report("不属于批次的反馈"))
    batch = supdesk_ledger.start_batch(
        channel="test", source_name="calls.csv", checksum="abc", actor="op"
    )
    results = list(
        supdesk_ledger.receive_many(
            [supdesk_report(f"批次反馈{n}") for n in range(30)]
            + [supdesk_report("未知来电", sender=Sender("phone", "13900000000"))],
            batch=batch.id,
        )
    )
    supdesk_ledger.finish_batch(batch.id, {"imported": 30, "quarantined": 1})
    assert supdesk_ledger.batches()[0].counts == {"imported": 30, "quarantined": 1}
    supdesk_ledger.accept(results[0].issue_id or 0, actor="op")
    with pytest.raises(InvalidTransition, match="进入审查之后"):
        supdesk_ledger.rollback_batch(batch.id, actor="op")
    # Screening can't be undone; so build a fresh batch to roll back.
    second = supdesk_ledger.start_batch(
        channel="test", source_name="b.csv", checksum="def", actor="op"
    )
    list(
        supdesk_ledger.receive_many(
            [supdesk_report(f"第二批{n}") for n in range(5)], batch=second.id
        )
    )
    assert supdesk_ledger.rollback_batch(second.id, actor="op:李") == 5
    assert sum(supdesk_ledger.count_by_center_and_state().values()) == 1 + 31 - 1
    rolled = next(b for b in supdesk_ledger.batches() if b.id == second.id)
    assert rolled.rolled_back_by == "op:李" and rolled.rolled_back_at is not None
    with pytest.raises(InvalidTransition, match="已于"):
        supdesk_ledger.rollback_batch(second.id, actor="op")
    # The same rows can be imported again after a rollback.
    again = list(
        supdesk_ledger.receive_many(
            [supdesk_report(f"第二批{n}", external_id=f"x{n}") for n in range(5)]
        )
    )
    assert all(r.filed and not r.duplicate_delivery for r in again)
    assert supdesk_ledger.issue(keep.issue_id or 0).state is IssueState.RECEIVED
    # Without a permit, events still cannot be deleted.
    with (
        pytest.raises(sa.exc.DatabaseError, match="append-only"),
        supdesk_ledger.engine.begin() as c,
    ):
        c.execute(sa.text("DELETE FROM issue_event"))

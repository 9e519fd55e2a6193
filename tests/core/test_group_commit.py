"""Group commit: reports filed from many threads at once share a transaction.

First the committer alone, with a stand-in for ``receive_many`` that records the groups
it is given, then the ledger on both databases: threads filing at once each get their
own report back, stored exactly once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import pytest

from supervision_core import ContactKind, IntakeResult, Ledger, Report, Sender
from supervision_core.store.group_commit import GroupCommitter
from supervision_core.testing import wait_until

AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def report(n: int, text: str = "窗口工作人员态度生硬") -> Report:
    return Report(
        channel="test", external_id=f"m{n}", center="banner", received_at=AT,
        sender=Sender(ContactKind.EMAIL, "x@example.cn"), text=f"{text} {n}",
    )  # fmt: skip


class Recorder:
    """A ``receive_many`` that records each group; the first group waits for a signal."""

    def __init__(self, *, fail_on: str | None = None) -> None:
        self.groups: list[list[str]] = []
        self.first_entered = threading.Event()
        self.release_first = threading.Event()
        self.fail_on = fail_on

    def __call__(self, reports: list[Report]) -> Iterable[IntakeResult]:
        self.groups.append([r.external_id for r in reports])
        if len(self.groups) == 1:
            self.first_entered.set()
            assert self.release_first.wait(10)
        if self.fail_on is not None and any(r.external_id == self.fail_on for r in reports):
            raise ValueError(f"坏报告 {self.fail_on}")
        return [IntakeResult(report_id=int(r.external_id[1:])) for r in reports]


def run_together(committer: GroupCommitter, recorder: Recorder, count: int) -> list[object]:
    """File report 0, and while its group commits, ``count - 1`` more from other threads."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        first = pool.submit(committer.receive, report(0))
        assert recorder.first_entered.wait(10)
        rest = [pool.submit(committer.receive, report(n)) for n in range(1, count)]
        wait_until(
            lambda: len(committer._waiting) == count - 1, timeout=10, what="the others queue up"
        )
        recorder.release_first.set()
        outcomes: list[object] = []
        for future in [first, *rest]:
            try:
                outcomes.append(future.result(10))
            except ValueError as exc:
                outcomes.append(exc)
    return outcomes


def test_reports_arriving_while_a_group_commits_go_together_in_the_next() -> None:
    recorder = Recorder()
    committer = GroupCommitter(recorder, max_batch=64)
    outcomes = run_together(committer, recorder, 12)
    # Each caller gets its own report's result, whatever group carried it.
    assert [o.report_id for o in outcomes] == list(range(12))  # type: ignore[attr-defined]
    assert recorder.groups[0] == ["m0"]
    assert sorted(recorder.groups[1], key=lambda x: int(x[1:])) == [f"m{n}" for n in range(1, 12)]
    assert (committer.groups, committer.reports) == (2, 12)


def test_a_group_is_bounded_by_max_batch() -> None:
    recorder = Recorder()
    committer = GroupCommitter(recorder, max_batch=4)
    outcomes = run_together(committer, recorder, 10)
    assert len(outcomes) == 10 and all(isinstance(o, IntakeResult) for o in outcomes)
    assert [len(g) for g in recorder.groups] == [1, 4, 4, 1]


def test_one_bad_report_fails_only_its_own_caller() -> None:
    recorder = Recorder(fail_on="m5")
    committer = GroupCommitter(recorder, max_batch=64)
    outcomes = run_together(committer, recorder, 8)
    failed = [n for n, o in enumerate(outcomes) if isinstance(o, ValueError)]
    assert failed == [5]
    assert str(outcomes[5]) == "坏报告 m5"
    # The group failed once, then each of its reports was filed on its own.
    assert len(recorder.groups[1]) == 7
    assert sorted(recorder.groups[2:]) == sorted([f"m{n}"] for n in range(1, 8))


def test_a_lone_caller_files_at_once_and_sees_its_error() -> None:
    calls: list[list[str]] = []

    def receive_many(reports: list[Report]) -> list[IntakeResult]:
        calls.append([r.external_id for r in reports])
        if reports[0].external_id == "m2":
            raise ValueError("坏报告")
        return [IntakeResult(report_id=1)]

    committer = GroupCommitter(receive_many)
    assert committer.receive(report(1)).report_id == 1
    with pytest.raises(ValueError, match="坏报告"):
        committer.receive(report(2))
    assert committer.receive(report(3)).report_id == 1  # the lead was passed on
    assert calls == [["m1"], ["m2"], ["m3"]]


def test_threads_filing_at_once_each_get_their_own_report_stored_once(
    supdesk_ledger: Ledger, supdesk_report: Callable[..., Report]
) -> None:
    ledger = supdesk_ledger
    reports = [
        supdesk_report(f"第 {n} 件：窗口要求重复提交材料", external_id=f"g{n}") for n in range(40)
    ]
    start = threading.Barrier(8)

    def file(part: int) -> list[IntakeResult]:
        start.wait()
        # Each thread sends its share, the last one twice (a channel's retry).
        mine = reports[part::8]
        return [ledger.receive(r) for r in [*mine, mine[-1]]]

    with ThreadPoolExecutor(max_workers=8) as pool:
        by_thread = list(pool.map(file, range(8)))
    for part, results in enumerate(by_thread):
        mine = reports[part::8]
        *firsts, again = results
        numbers = [r.issue_number for r in firsts]
        assert all(numbers) and not any(r.duplicate_delivery for r in firsts)
        assert again.duplicate_delivery and again.issue_number == numbers[-1]
        for r, result in zip(mine, firsts, strict=True):
            assert result.issue_number is not None
            assert ledger.issue(result.issue_number).text == r.text
    numbers = [r.issue_number for results in by_thread for r in results[:-1]]
    assert len(set(numbers)) == 40
    assert len(ledger.issues()) == 40


def test_a_report_filed_while_filing_a_group_does_not_wait_for_itself() -> None:
    """A plugin told of a report may file another from the leading thread."""
    committer: GroupCommitter

    def receive_many(reports: list[Report]) -> list[IntakeResult]:
        if reports[0].external_id == "m1":
            committer.receive(report(2))  # re-entered from inside the filing
        return [IntakeResult(report_id=int(r.external_id[1:])) for r in reports]

    committer = GroupCommitter(receive_many)
    assert committer.receive(report(1)).report_id == 1


def test_under_load_the_leader_gathers_the_reports_that_keep_coming() -> None:
    """Several wait: the next leader waits for more (within ``gap``) up to ``max_batch``."""
    recorder = Recorder()
    committer = GroupCommitter(recorder, max_batch=4, max_wait=60, gap=30)
    with ThreadPoolExecutor(max_workers=5) as pool:
        first = pool.submit(committer.receive, report(0))
        assert recorder.first_entered.wait(10)
        queued = [pool.submit(committer.receive, report(n)) for n in (1, 2)]
        wait_until(lambda: len(committer._waiting) == 2, timeout=10, what="two queue up")
        recorder.release_first.set()  # the lead passes to m1, with m2 waiting: load
        # These come while the new leader gathers: without the window they would go
        # in a third group, after m1 and m2 were filed on their own.
        late = [pool.submit(committer.receive, report(n)) for n in (3, 4)]
        outcomes = [f.result(30) for f in [first, *queued, *late]]
    assert [o.report_id for o in outcomes] == [0, 1, 2, 3, 4]
    assert [sorted(g) for g in recorder.groups] == [["m0"], ["m1", "m2", "m3", "m4"]]


def test_a_lone_caller_never_waits_for_company() -> None:
    """No load (one report, no group of several just before): filed at once."""
    recorder = Recorder()
    recorder.release_first.set()
    committer = GroupCommitter(recorder, max_wait=600, gap=600)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Waiting for company would take ten minutes: the result comes long before.
        assert pool.submit(committer.receive, report(1)).result(30).report_id == 1
        assert pool.submit(committer.receive, report(2)).result(30).report_id == 2
    assert recorder.groups == [["m1"], ["m2"]]

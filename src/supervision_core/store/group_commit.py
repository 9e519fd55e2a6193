"""Group commit: reports filed one at a time from many threads share one transaction.

Every live channel files a report at a time (an e-mail, a message, a form) and may
acknowledge it only once it is committed. Committed one by one, the channels of a
daemon queue behind one another for the database's single writer (SQLite) and pay a
durable commit each. Here the first caller to arrive becomes the *leader*: it takes
every report waiting at that moment (up to ``max_batch``, after gathering for at most
``max_wait`` seconds) and files them together through ``receive_many``, one
transaction; the others wait, and each gets its own result once that transaction has
committed — so a caller still acknowledges only what is stored. Reports that arrive
while the leader commits wait for the next group: under load, groups grow by
themselves, and a lone caller never waits for company (``max_wait`` is 0 by default).

If filing a group fails, each of its reports is filed again on its own, so one bad
report (or a plugin failing on it) fails only its own caller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

import attrs

from supervision_core.model.reports import IntakeResult, Report

__all__ = ["GroupCommitter"]


@attrs.define(eq=False)
class _Slot:
    report: Report
    result: IntakeResult | None = None
    error: BaseException | None = None
    done: bool = False


class GroupCommitter:
    """Files reports handed in from many threads, a group to a transaction.

    :param receive_many: files a list of reports in one transaction and yields their
        results in order, each only after the commit (``Ledger.receive_many``)
    :param max_batch: the most reports in one group
    :param max_wait: how long a leader waits for more reports before filing (seconds)
    """

    def __init__(
        self,
        receive_many: Callable[[list[Report]], Iterable[IntakeResult]],
        *,
        max_batch: int = 64,
        max_wait: float = 0.0,
    ) -> None:
        self._receive_many = receive_many
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._cond = threading.Condition()
        self._waiting: list[_Slot] = []
        self._leading = False
        self._leader: int | None = None  # the leading thread's ident
        #: Groups filed and reports in them, for ``/metrics`` and the bench.
        self.groups = 0
        self.reports = 0

    def receive(self, report: Report) -> IntakeResult:
        """File ``report`` with whatever else is waiting; its result once committed."""
        if self._leader == threading.get_ident():
            # Filed from inside a group's filing (a plugin told of a report files
            # another): waiting for the lead this thread holds would never end.
            (result,) = self._receive_many([report])
            return result
        slot = _Slot(report)
        with self._cond:
            self._waiting.append(slot)
            self._cond.notify_all()  # a gathering leader may have its group full now
            while not slot.done:
                if not self._leading:
                    self._leading = True
                    self._leader = threading.get_ident()
                    break
                self._cond.wait()
            else:
                return self._outcome(slot)
        # This thread leads until its own report is filed (the queue is first come,
        # first served), then passes the lead to whoever waits.
        try:
            while not slot.done:
                self._file(self._gather())
        finally:
            with self._cond:
                self._leading = False
                self._leader = None
                self._cond.notify_all()
        return self._outcome(slot)

    def _gather(self) -> list[_Slot]:
        deadline = time.monotonic() + self.max_wait
        with self._cond:
            while len(self._waiting) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            group = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
        return group

    def _file(self, group: list[_Slot]) -> None:
        if not group:
            return
        try:
            try:
                results = list(self._receive_many([s.report for s in group]))
            except Exception as exc:
                if len(group) == 1:
                    group[0].error = exc
                else:  # one bad report must not fail the others: each on its own
                    for s in group:
                        try:
                            (s.result,) = self._receive_many([s.report])
                        except Exception as own:
                            s.error = own
            else:
                for s, result in zip(group, results, strict=True):
                    s.result = result
        finally:
            # Whatever happened (an interrupt too), nobody in the group waits forever.
            with self._cond:
                for s in group:
                    if s.result is None and s.error is None:
                        s.error = RuntimeError("报告未能入账")
                    s.done = True
                self.groups += 1
                self.reports += len(group)
                self._cond.notify_all()

    @staticmethod
    def _outcome(slot: _Slot) -> IntakeResult:
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result

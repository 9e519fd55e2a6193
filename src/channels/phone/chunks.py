"""Reading a call log in chunks of rows, with no ledger: in this process or in a child.

:func:`read_chunks` runs here for small files, and in a child process for large ones
(:mod:`channels.phone.reader`), while this one writes.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from channels.phone.cells import HEAD_ROWS
from channels.phone.rows import TOTAL_ROW, FastRows, RejectedRow, RowRejected, RowRules
from channels.phone.tabular import Sheet, open_sheets, read_head
from supervision_core import (
    ColumnProfile,
    ConfigError,
    CopyText,
    ProfileMatch,
    Report,
    match_profile,
)

__all__ = ["ReadJob", "RowChunk", "pick_sheet", "read_chunks"]

# ---------------------------------------------------------------------------- reading


def pick_sheet(
    path: Path, profiles: Mapping[str, ColumnProfile], wanted: str | None
) -> tuple[Sheet, ProfileMatch, list[list[Any]]]:
    """The first sheet whose header fits a profile, the match, and its first rows.

    :raises ConfigError: no sheet fits (the message lists the columns found)
    """
    choices = [profiles[wanted]] if wanted else list(profiles.values())
    seen: list[str] = []
    for sheet in open_sheets(path):
        head = read_head(sheet, HEAD_ROWS)
        match = match_profile(head, choices)
        if match is not None:
            return sheet, match, head
        for row in head:
            cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
            if len(cells) >= 2:
                seen = cells
                break
    found = "、".join(seen[:20]) or "（无）"
    if wanted:
        profile = profiles[wanted]
        located = profile.locate(seen)
        lacking = "、".join(
            f"{f}（{'/'.join(profile.columns.get(f, ()) or ('日期',))}）"
            for f in profile.missing(located)
        )
        msg = f"列配置 {wanted} 与文件不符：找到的列有 {found}；缺少 {lacking}"
    else:
        names = "、".join(profiles)
        msg = (
            f"没有与文件表头相符的列配置（已试：{names}）。找到的列有：{found}；"
            "至少需要“来电时间”（或“日期”）和“内容”（或“摘要”）。"
            "可在 supdesk.toml 的 [[profiles]] 中定义新的列配置"
        )
    raise ConfigError(msg)


@attrs.frozen
class RowChunk:
    """What reading a stretch of the file gave: counts, rows to store, rejections."""

    read: int
    skipped: int
    quarantine: list[tuple[Any, ...]]  # plain rows for Ledger.quarantine_many
    reports: list[Report]
    rejects: list[tuple[int, list[Any], RejectedRow]]
    position: int | None  # bytes (CSV) or rows read so far, for a progress bar
    next_row: int = 0  # the row number reading goes on from
    #: A file holding further quarantine rows (``supervision_core.stage_quarantine``),
    #: and how many: how a reading process hands rows to a SQLite ledger.
    staged: str | None = None
    staged_rows: int = 0
    repeated: int = 0  # rows under the id of a supervisor's call read before
    #: Further quarantine rows as ``COPY`` text (:class:`~supervision_core.CopyText`):
    #: how a reading process hands rows to a PostgreSQL ledger.
    copied: CopyText | None = None


@attrs.frozen
class ReadJob:
    """Everything reading needs, without a ledger: it can be sent to another process."""

    path: Path
    profile: ColumnProfile
    rules: RowRules
    start_row: int = 0  # rows before this one (1-based) are passed over
    #: Where a reading process stages quarantine rows as files (SQLite ledgers)
    stage_dir: Path | None = None
    #: The ids of supervisors' calls read before ``start_row``
    reported: frozenset[str] = frozenset()
    chunk_size: int = 20_000
    #: Hand quarantine rows over as ``COPY`` text (a PostgreSQL ledger, no plugin
    #: told of each quarantined report)
    copy_text: bool = False


def read_chunks(
    job: ReadJob, opened: tuple[Sheet, ProfileMatch, list[list[Any]]] | None = None
) -> Generator[RowChunk, None, None]:
    """Read the file of ``job`` and yield it a chunk of rows at a time.

    :param opened: the file as :func:`pick_sheet` left it, to go on reading (in the
        process that picked it: a spreadsheet is not loaded twice)

    A file that breaks off (a CSV quoting error, a damaged XLSX) raises
    :class:`~channels.phone.tabular.TabularError` after the chunks read before it.
    """
    if opened is None:
        opened = pick_sheet(job.path, {job.profile.name: job.profile}, job.profile.name)
    sheet, match, head = opened
    rules = attrs.evolve(job.rules, match=match)
    fast = FastRows(rules)
    first_row = match.header_row + 2  # the row after the header, 1-based
    rows: Iterator[list[Any]] = itertools.chain(head[match.header_row + 1 :], sheet.rows)
    if job.start_row > first_row:
        rows = itertools.islice(rows, job.start_row - first_row, None)
        first_row = job.start_row
    number = first_row - 1
    pile = _Pile(set(job.reported))
    fast_row = fast.row if fast.ok else None
    total = TOTAL_ROW.match
    for number, row in enumerate(rows, start=first_row):
        if fast_row is not None:
            plain = fast_row(row)
            if plain is not None:
                pile.read += 1
                pile.keep(plain)
                if len(pile.quarantine) >= job.chunk_size:
                    yield pile.chunk(sheet.position, number + 1)
                continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            pile.skipped += 1
            continue
        if any(isinstance(v, str) and total(v) for v in row[:3]):
            pile.skipped += 1  # a total row (合计) at the foot of a hand-kept sheet
            continue
        pile.read += 1
        try:
            report = rules.report(row)
        except RowRejected as bad:
            pile.rejects.append((number, row, RejectedRow(number, bad.column, bad.reason)))
            continue
        plain = rules.unmatched(report)
        if plain is None:
            pile.reports.append(report)
            pile.reported.add(report.external_id)
        else:
            pile.keep(plain)
        if len(pile.quarantine) + len(pile.reports) >= job.chunk_size:
            yield pile.chunk(sheet.position, number + 1)
    yield pile.chunk(sheet.position, number + 1)


@attrs.define
class _Pile:
    """What reading gathers until a chunk is full."""

    #: Reports are stored in batches after the quarantine rows around them: a later row
    #: under a report's id must not be stored first (the first of an id wins).
    reported: set[str]
    read: int = 0
    skipped: int = 0
    repeated: int = 0
    quarantine: list[tuple[Any, ...]] = attrs.Factory(list)
    reports: list[Report] = attrs.Factory(list)
    rejects: list[tuple[int, list[Any], RejectedRow]] = attrs.Factory(list)

    def keep(self, plain: tuple[Any, ...]) -> None:
        if self.reported and plain[0] in self.reported:
            self.repeated += 1  # a supervisor's call earlier in the file stands
        else:
            self.quarantine.append(plain)

    def chunk(self, position: Any, next_row: int) -> RowChunk:
        """What is gathered, as a chunk; the pile starts again."""
        chunk = RowChunk(
            self.read,
            self.skipped,
            self.quarantine,
            self.reports,
            self.rejects,
            _at(position),
            next_row,
            repeated=self.repeated,
        )
        self.read = self.skipped = self.repeated = 0
        self.quarantine, self.reports, self.rejects = [], [], []
        return chunk


def _at(position: Any) -> int | None:
    if position is None:
        return None
    try:
        return int(position())
    except (ValueError, OSError):  # the file is read to the end and closed
        return None

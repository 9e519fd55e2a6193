"""The phone channel (来电): call logs and hotline exports imported as reports.

A center's hotline system exports its calls, or a township keeps them in a
spreadsheet; ``supdesk import calls FILE`` (or :func:`import_call_log`) turns each row
into a report. Safe to run again: a row's identity is the source system's record id,
or a hash of its content, so a file imported twice, or two overlapping exports, add
nothing the second time. Bad rows never sink good ones: each is reported with its row
number, column and reason, and written to a rejects file to fix and import again.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from channels.phone.cells import CHANNEL, parse_phone, parse_time
from channels.phone.chunks import ReadJob, RowChunk, pick_sheet, read_chunks
from channels.phone.profiles import BUILTIN_PROFILES
from channels.phone.reader import ChildReader, ReaderFailed
from channels.phone.rows import CenterNames, RejectedRow, RowRules
from channels.phone.tabular import Sheet, TabularError, file_kind
from supervision_core import (
    ConfigError,
    ContactKind,
    IntakeResult,
    InvalidInput,
    Ledger,
    ProfileMatch,
    QuarantineReason,
)

__all__ = [
    "BUILTIN_PROFILES",
    "CHANNEL",
    "ImportSummary",
    "RejectedRow",
    "import_call_log",
    "parse_phone",
    "parse_time",
]

# From this size a file is read in a child process while this one writes (about
# 20,000 calls): below it, starting the child costs more than the overlap saves.
_PARALLEL_BYTES = 4 << 20
_REPORTS_AT_ONCE = 2000
_CHUNK_ROWS = 20_000
_HEAD_ROWS = 5000  # rows a transaction: a commit costs a sync of the log
# A call is dated at the latest when the import starts, give or take the difference
# between the hotline system's clock and ours.
CLOCK_MARGIN = dt.timedelta(minutes=10)


@attrs.define
class ImportSummary:
    """What an import did."""

    file: str
    sheet: str | None = None
    profile: str | None = None
    encoding: str | None = None
    batch: int | None = None
    dry_run: bool = False
    read: int = 0
    imported: int = 0
    already_present: int = 0
    quarantined: int = 0
    rejected: int = 0
    skipped: int = 0
    rejects: list[RejectedRow] = attrs.Factory(list)
    rejects_file: str | None = None

    @property
    def stored_nothing(self) -> bool:
        """Whether no row made it into the ledger, nor was there already (an import that failed)."""
        return self.imported + self.quarantined + self.already_present == 0

    def counts(self) -> dict[str, int]:
        """The counts, for the batch record."""
        return {
            "read": self.read,
            "imported": self.imported,
            "already_present": self.already_present,
            "quarantined": self.quarantined,
            "rejected": self.rejected,
            "skipped": self.skipped,
        }


_COUNT_LABELS = {
    "read": "读取",
    "imported": "导入",
    "already_present": "已存在",
    "quarantined": "隔离",
    "rejected": "被拒",
    "skipped": "跳过",
}

# ---------------------------------------------------------------------------- import


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _rejects_writer(
    path: Path, header: tuple[str, ...]
) -> tuple[Callable[[int, list[Any], RejectedRow], None], Callable[[], None]]:
    fh: Any = None
    writer: Any = None

    def write(number: int, row: list[Any], rejected: RejectedRow) -> None:
        nonlocal fh, writer
        if writer is None:
            # UTF-8 with BOM: Excel in China opens it with the Chinese intact.
            fh = path.open("w", encoding="utf-8-sig", newline="")
            writer = csv.writer(fh)
            writer.writerow([*header, "错误行号", "错误列", "错误原因"])
        cells = ["" if v is None else v for v in row]
        cells += [""] * (len(header) - len(cells))
        writer.writerow([*cells[: len(header)], number, rejected.column, rejected.reason])

    def close() -> None:
        if fh is not None:
            fh.close()

    return write, close


def import_call_log(
    ledger: Ledger,
    path: str | Path,
    *,
    actor: str,
    center: str | None = None,
    profile: str | None = None,
    dry_run: bool = False,
    rejects_path: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    keep_rejects: int = 1000,
    parallel: bool | None = None,
) -> ImportSummary:
    """Import a call log (CSV, XLSX or XLS) into ``ledger``.

    :param center: the center for rows with no township column (or an empty one)
    :param profile: a column profile's name; by default the file's header picks one
    :param dry_run: check every row and report what would happen; store nothing
    :param rejects_path: where rejected rows go (default ``<file>.rejects.csv``)
    :param progress: called with how far reading has got (bytes for CSV, rows else)
    :param keep_rejects: how many rejected rows to keep in the summary (all go to the file)
    :param parallel: read in a child process while this one writes; by default, for
        files over a few megabytes
    :raises ConfigError: no profile fits the file (the message lists the columns found)
    """
    path = Path(path)
    if parallel is None:
        # Spreadsheets are read in this process: the reader loads a sheet whole, and
        # loading it twice (to match its header here, to read it there) costs more
        # than the overlap saves. Text files are read as a stream, from both sides.
        parallel = (
            path.is_file() and path.stat().st_size >= _PARALLEL_BYTES and file_kind(path) == "text"
        )
    with contextlib.ExitStack() as stack:
        stage = None
        if parallel and ledger.engine.dialect.name == "sqlite":
            # (Entered before the child: on the way out the child stops first.)
            stage = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="supdesk-")))
        # Started first: the child imports its modules while this process prepares.
        child = stack.enter_context(ChildReader()) if parallel else None
        return _import(
            ledger,
            path,
            child,
            stage,
            actor,
            center,
            profile,
            dry_run,
            rejects_path,
            progress,
            keep_rejects,
        )


def _import(
    ledger: Ledger,
    path: Path,
    child: ChildReader | None,
    stage: Path | None,
    actor: str,
    center: str | None,
    profile: str | None,
    dry_run: bool,
    rejects_path: str | Path | None,
    progress: Callable[[int], None] | None,
    keep_rejects: int,
) -> ImportSummary:
    profiles = ledger.import_profiles()
    if profile is not None and profile not in profiles:
        msg = f"没有名为 {profile!r} 的列配置；可用：{'、'.join(profiles)}"
        raise ConfigError(msg)
    if center is not None:
        ledger.center(center)
    try:
        sheet, match, head = pick_sheet(path, profiles, profile)
    except TabularError as exc:
        raise InvalidInput(f"{path.name}：{exc}") from exc
    summary = ImportSummary(
        file=str(path),
        sheet=sheet.name,
        profile=match.profile.name,
        encoding=sheet.encoding,
        dry_run=dry_run,
    )
    opened = (sheet, match, head)
    rejects_file = (
        Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv")
    )
    if rejects_file.exists() and not dry_run:
        rejects_file.unlink()
    write_reject, close_rejects = _rejects_writer(rejects_file, match.header)
    # Callers who are no supervisor are stored as plain rows (most of a hotline's
    # calls), when matching is the built-in look-up a table can stand in for.
    directory = (
        ledger.identity_table(ContactKind.PHONE) if ledger.host.matches_by_identity_only() else None
    )
    job = ReadJob(
        path=path,
        profile=match.profile,
        stage_dir=stage,
        chunk_size=_CHUNK_ROWS,
        # Rows as COPY text from the reading process: off, it made the import on
        # PostgreSQL slower when measured (bench/README.md, issue 22, helper "console").
        copy_text=False,
        rules=RowRules(
            match=match,
            centers=CenterNames.of(ledger),
            default_center=center,
            directory=directory,
            latest=ledger.clock() + CLOCK_MARGIN,
        ),
    )
    batch = None
    if not dry_run:
        batch = ledger.start_batch(
            channel=CHANNEL,
            source_name=path.name,
            checksum=_checksum(path),
            actor=actor,
            profile=match.profile.name,
            center=center,
        )
        summary.batch = batch.id
    chunks = read_chunks(job, opened) if child is None else _overlapped(job, opened, child)
    writer = _Writer(ledger, summary, batch.id if batch else None, dry_run)
    try:
        for chunk in chunks:
            writer.store(chunk)
            for number, row, rejected in chunk.rejects:
                summary.rejected += 1
                if len(summary.rejects) < keep_rejects:
                    summary.rejects.append(rejected)
                if not dry_run:
                    write_reject(number, row, rejected)
            if progress is not None and chunk.position is not None:
                progress(chunk.position)
        writer.flush()
    except (TabularError, ReaderFailed) as exc:
        writer.flush()  # the reports read before the break are stored all the same
        raise InvalidInput(f"{path.name}：{exc}（此前的行已导入，可再次运行以继续）") from exc
    finally:
        close_rejects()
        getattr(sheet.rows, "close", lambda: None)()  # a file left part-read
        if batch is not None:
            ledger.finish_batch(batch.id, summary.counts())
    if summary.rejected and not dry_run:
        summary.rejects_file = str(rejects_file)
    return summary


def _overlapped(
    job: ReadJob, opened: tuple[Sheet, ProfileMatch, list[list[Any]]], child: ChildReader
) -> Iterator[RowChunk]:
    """Read here while the child starts, then let it read the rest while we write."""
    # Small chunks here: this process holds each one whole (the child stages its own).
    here = read_chunks(attrs.evolve(job, chunk_size=min(job.chunk_size, _HEAD_ROWS)), opened)
    reported: set[str] = set()
    try:
        for chunk in here:
            yield chunk
            reported.update(r.external_id for r in chunk.reports)
            if child.ready():
                job = attrs.evolve(job, start_row=chunk.next_row, reported=frozenset(reported))
                break
        else:
            return  # read to the end before the child was up
    finally:
        here.close()
    yield from child.read(job)


@attrs.define
class _Writer:
    """Stores what reading gives: plain quarantine rows at once, reports in batches.

    Reports (supervisors' calls) are few in a hotline export; gathering them saves
    loading the register once per chunk.
    """

    ledger: Ledger
    summary: ImportSummary
    batch: int | None
    dry_run: bool
    reports: list[Any] = attrs.Factory(list)

    def store(self, chunk: RowChunk) -> None:
        summary = self.summary
        summary.read += chunk.read
        summary.skipped += chunk.skipped
        summary.already_present += chunk.repeated
        kept = (CHANNEL, ContactKind.PHONE, QuarantineReason.UNMATCHED_SENDER)
        batch, dry_run = self.batch, self.dry_run
        if chunk.quarantine:
            stored = self.ledger.quarantine_many(
                *kept, chunk.quarantine, batch=batch, dry_run=dry_run
            )
            self._kept(len(chunk.quarantine), stored)
        if chunk.copied is not None:
            stored = self.ledger.quarantine_many(*kept, chunk.copied, batch=batch, dry_run=dry_run)
            self._kept(chunk.copied.given, stored)
        if chunk.staged is not None:
            stored = self.ledger.quarantine_staged(
                *kept, chunk.staged, batch=batch, dry_run=dry_run
            )
            self._kept(chunk.staged_rows, stored)
            Path(chunk.staged).unlink()
        self.reports.extend(chunk.reports)
        if len(self.reports) >= _REPORTS_AT_ONCE:
            self.flush()

    def _kept(self, rows: int, stored: int) -> None:
        self.summary.quarantined += stored
        self.summary.already_present += rows - stored

    def flush(self) -> None:
        reports, self.reports = self.reports, []
        if reports:
            results = self.ledger.receive_many(reports, batch=self.batch, dry_run=self.dry_run)
            for result in results:
                _count(self.summary, result)


def _count(summary: ImportSummary, result: IntakeResult) -> None:
    if result.duplicate_delivery:
        summary.already_present += 1
    elif result.filed:
        summary.imported += 1
    else:
        summary.quarantined += 1


# ---------------------------------------------------------------------------- commands

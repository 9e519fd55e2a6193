"""The phone channel as registered, and its daemon job: a watched folder of hotline exports."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from channels.phone import CHANNEL
from supervision_core import Job, Ledger, PluginTable, SupervisionError

__all__ = ["FolderWatch", "PhoneLogChannel", "PhoneSettings", "import_folder"]

log = logging.getLogger("channels.phone")
_SUFFIXES = (".csv", ".xlsx", ".xls")
# Names that copy tools and editors give a file while they still write it: never read.
_TEMPORARY_SUFFIXES = (".part", ".tmp", ".partial", ".filepart", ".crdownload", ".download")
_TEMPORARY_PREFIXES = (".", "~")  # dotfiles (rsync, scp), "~$book.xlsx" (Excel's lock)


def is_temporary_name(name: str) -> bool:
    """Whether ``name`` is a file still being written under a temporary name."""
    lowered = name.lower()
    return lowered.startswith(_TEMPORARY_PREFIXES) or lowered.endswith(_TEMPORARY_SUFFIXES)


@attrs.frozen(kw_only=True)
class PhoneSettings:
    """``[channels.phone_log]``: a folder the daemon watches for hotline exports."""

    watch: Path | None = None
    center: str | None = None  # for rows without a township column
    watch_seconds: float = 10.0
    settle_seconds: float = 5.0  # unchanged this long before a file is taken

    @classmethod
    def from_table(cls, table: PluginTable) -> PhoneSettings:
        """Read ``watch``, ``center``, ``watch_seconds`` and ``settle_seconds``."""
        table.only("watch", "center", "watch_seconds", "settle_seconds")
        watch = table.text("watch", None)
        seconds = table.number("watch_seconds", 10.0)
        if seconds <= 0:
            raise table.fail("watch_seconds", f"应为正数：{seconds!r}")
        settle = table.number("settle_seconds", 5.0)
        if settle < 0:
            raise table.fail("settle_seconds", f"不能为负数：{settle!r}")
        return cls(
            watch=Path(watch) if watch else None,
            center=table.text("center", None),
            watch_seconds=seconds,
            settle_seconds=settle,
        )


@attrs.define
class FolderWatch:
    """Which files of a watched folder are complete, by what the folder showed over time.

    A file is complete once its size and modification time have stayed the same for
    ``settle_seconds`` (by ``clock``, across polls): a copy that pauses mid-file is seen
    changing, or not yet settled, and left for a later poll. Files under a temporary
    name (``*.part``, ``*.tmp``, dotfiles, ``~$`` lock files) are never taken; a tool
    that writes under such a name and renames at the end may use ``settle_seconds = 0``.
    """

    settle_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    # file name -> (size, mtime in ns, when that state was first seen)
    seen: dict[str, tuple[int, int, float]] = attrs.Factory(dict)

    def candidates(self, folder: Path) -> list[Path]:
        """The files in ``folder`` an import may take now, in name order."""
        now = self.clock()
        ready: list[Path] = []
        present: set[str] = set()
        for path in sorted(folder.iterdir()):
            name = path.name
            if is_temporary_name(name) or path.suffix.lower() not in _SUFFIXES:
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # renamed or taken away between listing and looking
                continue
            if not path.is_file():
                continue
            present.add(name)
            state = (stat.st_size, stat.st_mtime_ns)
            held = self.seen.get(name)
            if held is None or held[:2] != state:
                self.seen[name] = (*state, now)
                if self.settle_seconds > 0:
                    continue
                held = self.seen[name]
            if now - held[2] >= self.settle_seconds:
                ready.append(path)
        for gone in set(self.seen) - present:
            del self.seen[gone]
        return ready

    def unchanged(self, path: Path) -> bool:
        """Whether ``path`` is still as it was when it was found complete."""
        held = self.seen.get(path.name)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        return held is not None and held[:2] == (stat.st_size, stat.st_mtime_ns)

    def forget(self, path: Path) -> None:
        """Look at ``path`` afresh on the next poll."""
        self.seen.pop(path.name, None)


def import_folder(
    ledger: Ledger, folder: Path, center: str | None = None, *, watch: FolderWatch | None = None
) -> None:
    """Import every complete hotline export in ``folder``; move each to done/ or failed/.

    ``watch`` remembers, from poll to poll, what each file looked like (see
    :class:`FolderWatch`); without one, files are taken as soon as they are seen.
    """
    from channels.phone.importer import import_call_log

    watch = watch or FolderWatch(settle_seconds=0)
    for path in watch.candidates(folder):
        done = folder / "done"
        done.mkdir(exist_ok=True)
        try:
            summary = import_call_log(
                ledger,
                path,
                actor="daemon:watch",
                center=center,
                rejects_path=done / f"{path.name}.rejects.csv",
            )
        except SupervisionError as exc:
            if not watch.unchanged(path):  # it grew while read: look again when it settles
                watch.forget(path)
                continue
            failed = folder / "failed"
            failed.mkdir(exist_ok=True)
            (failed / f"{path.name}.error.txt").write_text(str(exc), encoding="utf-8")
            shutil.move(str(path), failed / path.name)
            watch.forget(path)
            log.warning("could not import %s: %s", path.name, exc)
            continue
        if not watch.unchanged(path):
            # Written to while it was read: what was read is stored (an import is safe to
            # run again), the rest comes with the next import once it settles.
            watch.forget(path)
            log.warning("%s changed while it was imported; it is imported again later", path.name)
            continue
        shutil.move(str(path), done / path.name)
        watch.forget(path)
        log.info("imported %s (batch %s): %s", path.name, summary.batch, summary.counts())


@attrs.frozen
class PhoneLogChannel:
    """The channel as centers enable it in ``supdesk.toml`` (``channels = ["phone_log"]``)."""

    name: str = CHANNEL
    label: str = "来电（话务记录导入）"
    settings_type: type[PhoneSettings] = PhoneSettings

    def jobs(self, ledger: Ledger, settings: PhoneSettings) -> list[Job]:
        """The watched folder, under a lease, when ``watch`` is configured."""
        folder = settings.watch
        if folder is None:
            return []
        watch = FolderWatch(settle_seconds=settings.settle_seconds)
        return [
            Job(
                name=f"watch:{folder}",
                poll_once=lambda: import_folder(ledger, folder, settings.center, watch=watch),
                every=settings.watch_seconds,
                lease=True,
            )
        ]

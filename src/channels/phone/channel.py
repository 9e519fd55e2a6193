"""The phone channel as registered, and its daemon job: a watched folder of hotline exports."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import attrs

from channels.phone import CHANNEL
from supervision_core import Job, Ledger, PluginTable, SupervisionError

__all__ = ["PhoneLogChannel", "PhoneSettings", "import_folder"]

log = logging.getLogger("channels.phone")
_SUFFIXES = (".csv", ".xlsx", ".xls")


@attrs.frozen(kw_only=True)
class PhoneSettings:
    """``[channels.phone_log]``: a folder the daemon watches for hotline exports."""

    watch: Path | None = None
    center: str | None = None  # for rows without a township column
    watch_seconds: float = 10.0

    @classmethod
    def from_table(cls, table: PluginTable) -> PhoneSettings:
        """Read ``watch``, ``center`` and ``watch_seconds``."""
        table.only("watch", "center", "watch_seconds")
        watch = table.text("watch", None)
        seconds = table.number("watch_seconds", 10.0)
        if seconds <= 0:
            raise table.fail("watch_seconds", f"应为正数：{seconds!r}")
        return cls(
            watch=Path(watch) if watch else None,
            center=table.text("center", None),
            watch_seconds=seconds,
        )


def import_folder(ledger: Ledger, folder: Path, center: str | None = None) -> None:
    """Import every hotline export dropped in ``folder``; move each to done/ or failed/."""
    from channels.phone.importer import import_call_log

    for path in sorted(folder.glob("*")):
        if not path.is_file() or path.suffix.lower() not in _SUFFIXES:
            continue
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
            log.info("imported %s: %s", path.name, summary)
            shutil.move(str(path), done / path.name)
        except SupervisionError as exc:
            failed = folder / "failed"
            failed.mkdir(exist_ok=True)
            (failed / f"{path.name}.error.txt").write_text(str(exc), encoding="utf-8")
            shutil.move(str(path), failed / path.name)
            log.warning("could not import %s: %s", path.name, exc)


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
        return [
            Job(
                name=f"watch:{folder}",
                poll_once=lambda: import_folder(ledger, folder, settings.center),
                every=settings.watch_seconds,
                lease=True,
            )
        ]

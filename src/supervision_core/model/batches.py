"""Import batches: a file or a mailbox taken in as a whole, recorded, and undoable."""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["ImportBatch"]


@attrs.frozen(kw_only=True)
class ImportBatch:
    """One import: what was read, by whom and when, what came of it, and whether undone."""

    id: int
    channel: str
    source_name: str
    checksum: str
    profile: str | None
    center: str | None
    actor: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: dict[str, int]
    rolled_back_at: dt.datetime | None
    rolled_back_by: str | None

"""Column profiles: how the columns of an exported call log map to report fields.

Hotline systems and hand-kept township spreadsheets name their columns differently;
a profile lists, for each field, the headers it may appear under. A file is matched
to the profile whose columns it has (see :func:`match_profile`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

import attrs

__all__ = ["PROFILE_FIELDS", "ColumnProfile", "ProfileMatch", "match_profile", "normalize_header"]

#: The report fields a column can feed. ``time`` may instead come from ``date`` plus ``clock``.
PROFILE_FIELDS: dict[str, str] = {
    "record_id": "原系统编号",
    "time": "来电时间",
    "date": "日期",
    "clock": "时刻",
    "caller_number": "来电号码",
    "caller_name": "来电人",
    "summary": "摘要",
    "content": "内容",
    "township": "苏木镇",
    "venue": "地点",
    "category": "类别",
}

_NOISE = re.compile(r"[\s*＊:：()（）\[\]【】\"'“”]+")


def normalize_header(text: object) -> str:
    """A header cell as compared: NFKC, no spaces, marks or brackets, lower case."""
    if text is None:
        return ""
    return _NOISE.sub("", unicodedata.normalize("NFKC", str(text))).lower()


def _columns(value: Mapping[str, Iterable[str]]) -> Mapping[str, tuple[str, ...]]:
    unknown = set(value) - set(PROFILE_FIELDS)
    if unknown:
        msg = f"未知的字段 {', '.join(sorted(unknown))}；可用：{', '.join(PROFILE_FIELDS)}"
        raise ValueError(msg)
    return {field: tuple(aliases) for field, aliases in value.items()}


def _formats(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen
class ColumnProfile:
    """One layout of call-log columns.

    :param columns: for each field, the header names it may appear under
    :param time_formats: ``strptime`` formats tried before the built-in Chinese forms
    """

    name: str
    label: str
    columns: Mapping[str, tuple[str, ...]] = attrs.field(converter=_columns)
    time_formats: tuple[str, ...] = attrs.field(default=(), converter=_formats)

    def locate(self, header: Sequence[object]) -> dict[str, int]:
        """Which column (index) holds each field this profile finds in ``header``."""
        cells = [normalize_header(c) for c in header]
        found: dict[str, int] = {}
        for field, aliases in self.columns.items():
            for alias in aliases:
                wanted = normalize_header(alias)
                if wanted in cells:
                    found[field] = cells.index(wanted)
                    break
        return found

    def missing(self, located: Mapping[str, int]) -> list[str]:
        """The fields a file must have but ``located`` lacks."""
        lacking = []
        if "time" not in located and "date" not in located:
            lacking.append("time")
        if "summary" not in located and "content" not in located:
            lacking.append("content")
        return lacking


@attrs.frozen
class ProfileMatch:
    """A profile, the header row it matched, and where each field is."""

    profile: ColumnProfile
    header_row: int  # 0-based, among the rows read
    header: tuple[str, ...]
    columns: Mapping[str, int]


def match_profile(
    rows: Sequence[Sequence[object]], profiles: Iterable[ColumnProfile]
) -> ProfileMatch | None:
    """The best profile for the first rows of a file, and which row is the header.

    Title rows above the header are passed over: the header is the first row in
    which some profile finds every field it needs. Among profiles that fit that
    row, the one that finds the most fields wins.
    """
    candidates = list(profiles)
    for index, row in enumerate(rows):
        best: ProfileMatch | None = None
        for profile in candidates:
            located = profile.locate(row)
            if profile.missing(located):
                continue
            if best is None or len(located) > len(best.columns):
                header = tuple("" if c is None else str(c) for c in row)
                best = ProfileMatch(profile, index, header, located)
        if best is not None:
            return best
    return None

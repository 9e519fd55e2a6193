"""Rows of a call log, made into reports: the checks of one row, and the fast path.

Each row becomes a report, a rejection (row number, column, reason in Chinese), or,
for the many calls in a hotline export that come from people who are not
supervisors, a plain row for :meth:`Ledger.quarantine_many`. Common rows take a fast
path (plain string slicing and dictionary look-ups, no report object); anything
unusual takes the general path, so both give the same result for the same row.
The cells' values are :mod:`channels.phone.cells`; reading a file in chunks is
:mod:`channels.phone.chunks`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from supervision_core import (
    SHANGHAI,
    ContactKind,
    ProblemType,
    ProfileMatch,
    Report,
    ReportHints,
    Sender,
    parse_term,
)

if TYPE_CHECKING:
    from supervision_core import Ledger
from channels.phone.cells import CHANNEL, parse_phone, parse_time

__all__ = [
    "CHANNEL",
    "MAX_CELL",
    "TOTAL_ROW",
    "CenterNames",
    "FastRows",
    "RejectedRow",
    "RowRejected",
    "RowRules",
    "parse_phone",
    "parse_time",
]


@attrs.frozen
class RejectedRow:
    """A row that was not imported: where it is, which column, and why (in Chinese)."""

    row: int  # 1-based, as the spreadsheet numbers it
    column: str
    reason: str


#: A row that sums the others up (合计, 小计, total): skipped, not rejected.
TOTAL_ROW = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计|共计|total)", re.IGNORECASE)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class RowRejected(ValueError):
    """A row that cannot be a report: which column, and why (in Chinese)."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


@attrs.frozen
class CenterNames:
    """Township names as people write them, mapped to center codes."""

    aliases: Mapping[str, str]

    @classmethod
    def of(cls, ledger: Ledger) -> CenterNames:
        """The names of the ledger's centers: code, full name, short name, bare name."""
        aliases: dict[str, str] = {}
        for center in ledger.centers():
            short = re.sub(r"(便民服务中心|政务服务中心|服务中心)$", "", center.name)
            for alias in {center.code, center.name, short, re.sub(r"(镇|苏木)$", "", short)}:
                if alias:
                    aliases[alias.lower()] = center.code
        return cls(aliases)

    def find(self, text: str) -> str | None:
        """The center a township cell names, or ``None``."""
        return self.aliases.get(text.strip().lower())


# ---------------------------------------------------------------------------- one row


@attrs.frozen
class RowRules:
    """What turning a row into a report needs: where the fields are, and the names.

    :param directory: the callers known as supervisors (normalized phone -> id), when
        senders are matched by the built-in look-up alone; then rows from anybody else
        come out as plain quarantine rows. ``None``: every row becomes a report.
    :param latest: the latest plausible time of a call (the import's own time, with a
        margin for the clocks): a call dated after it is rejected
    """

    match: ProfileMatch
    centers: CenterNames
    default_center: str | None
    directory: Mapping[str, int] | None = None
    latest: dt.datetime | None = None

    def name(self, field: str) -> str:
        """The file's own header for a field, for messages."""
        index = self.match.columns.get(field)
        return self.match.header[index] if index is not None else field

    def cell(self, row: list[Any], field: str) -> Any:
        index = self.match.columns.get(field)
        return row[index] if index is not None and index < len(row) else None

    def report(self, row: list[Any]) -> Report:
        """The report a row makes; raises ``RowRejected`` saying which column and why."""
        cell, name = self.cell, self.name
        profile = self.match.profile
        if any(isinstance(v, str) and "\ufffd" in v for v in row):
            raise RowRejected("（整行）", "含有无法按文件编码解码的字符")
        for index, value in enumerate(row):
            if isinstance(value, str) and len(value) > MAX_CELL:
                header = self.match.header
                column = header[index] if index < len(header) else f"第 {index + 1} 列"
                raise RowRejected(
                    column, f"内容过长（{len(value)} 个字符，每格最多 {MAX_CELL} 个）"
                )
        column = "time" if "time" in self.match.columns else "date"
        try:
            when = parse_time(cell(row, column), profile.time_formats, clock=cell(row, "clock"))
        except ValueError as exc:
            raise RowRejected(name(column), str(exc)) from exc
        if when is None:
            raise RowRejected(name(column), "缺少来电时间")
        if self.latest is not None and when > self.latest:
            shown = when.astimezone(SHANGHAI)
            raise RowRejected(
                name(column), f"来电时间 {shown:%Y-%m-%d %H:%M} 晚于导入时间，请核对日期"
            )
        try:
            phone = parse_phone(cell(row, "caller_number"))
        except ValueError as exc:
            raise RowRejected(name("caller_number"), str(exc)) from exc
        summary_text = _text(cell(row, "summary"))
        content = _text(cell(row, "content"))
        if summary_text and content and summary_text != content:
            text = f"{summary_text}\n{content}"
        else:
            text = content or summary_text
        if not text.strip():
            raise RowRejected(
                name("content" if "content" in self.match.columns else "summary"), "没有反映内容"
            )
        township = _text(cell(row, "township"))
        center = self.centers.find(township) if township else self.default_center
        if center is None:
            if township:
                raise RowRejected(name("township"), f"未配置的苏木镇/中心：{township}")
            raise RowRejected(
                name("township"), "无法确定所属中心：文件没有苏木镇列，请用 --center 指定"
            )
        category = _text(cell(row, "category"))
        problem_type = _problem_type(category) if category else None
        record_id = _text(cell(row, "record_id"))
        if record_id:
            external = f"{center}:rec:{record_id}"
        else:
            external = _content_id(center, when.isoformat(), phone, text)
        return Report(
            channel=CHANNEL,
            external_id=external,
            center=center,
            received_at=when,
            sender=Sender(ContactKind.PHONE, phone, _text(cell(row, "caller_name")) or None),
            subject=summary_text or None,
            text=text if not category or problem_type else f"{text}\n【类别】{category}",
            hints=ReportHints(problem_type=problem_type, venue=_text(cell(row, "venue")) or None),
        )

    def unmatched(self, report: Report) -> tuple[Any, ...] | None:
        """The report as a quarantine row if its caller is no supervisor, else ``None``."""
        if self.directory is None or report.sender.normalized in self.directory:
            return None
        hints = report.hints
        return (
            report.external_id,
            report.center,
            report.received_at.astimezone(dt.UTC).strftime(STORED_TIME),
            report.sender.value,
            report.sender.display_name,
            report.subject,
            report.text,
            hints.problem_type.value if hints.problem_type else None,
            hints.venue,
            f"{report.sender.kind.value}:{report.sender.value} 未登记",
        )


STORED_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how the ledger stores a time, in UTC

#: The longest cell a row may have (characters): a longer one rejects its row. CSV
#: fields up to :data:`channels.phone.tabular.FIELD_LIMIT` are read whole to get here.
MAX_CELL = 128 * 1024


def _content_id(center: str, when: str, phone: str, text: str) -> str:
    """A row's identity where the file has no record id: a hash of what it says."""
    digest = hashlib.sha256("\x1f".join((when, phone, " ".join(text.split()))).encode())
    return f"{center}:sha:{digest.hexdigest()[:32]}"


_PROBLEM_TYPES: dict[str, ProblemType | None] = {}


def _problem_type(category: str) -> ProblemType | None:
    """The problem type a category names, or ``None`` for the source system's own."""
    if category not in _PROBLEM_TYPES:
        try:
            _PROBLEM_TYPES[category] = parse_term(ProblemType, category)
        except ValueError:
            _PROBLEM_TYPES[category] = None
        if len(_PROBLEM_TYPES) > 10_000:  # bounded: a column of free text
            _PROBLEM_TYPES.clear()
    return _PROBLEM_TYPES[category]


# ---------------------------------------------------------------------------- fast path


class FastRows:
    """The common row of a large export, checked and made a quarantine row directly.

    Takes a row only if every field is in the plainest form (text cells, a time like
    ``2026-03-05 14:30``, a number of plain digits, a known township, a record id)
    and its caller is not a supervisor; returns ``None`` for anything else, which
    then takes :meth:`RowRules.report`. Both give the same stored row (tested).
    """

    FIELDS = (
        "record_id",
        "time",
        "caller_number",
        "caller_name",
        "summary",
        "content",
        "township",
        "venue",
        "category",
    )

    def __init__(self, rules: RowRules) -> None:
        cols = rules.match.columns
        self.ok = (
            rules.directory is not None
            and "time" in cols
            and "clock" not in cols
            and "record_id" in cols
            and not rules.match.profile.time_formats
        )
        self.directory = rules.directory or {}
        self.latest = (
            rules.latest.astimezone(dt.UTC).strftime(STORED_TIME) if rules.latest else None
        )
        self.aliases = rules.centers.aliases
        self.default_center = rules.default_center
        self.width = max(3, max(cols.values(), default=0) + 1)
        # A field the file lacks reads an empty cell appended for the moment.
        self.pad = any(f not in cols for f in self.FIELDS)
        self.pick = operator.itemgetter(*(cols.get(f, -1) for f in self.FIELDS))
        self.hours: dict[str, str | None] = {}
        # category -> (problem type's value or None, the category kept in the text)
        self.categories: dict[str, tuple[str | None, bool]] = {"": (None, False)}

    def _hour(self, key: str) -> str | None:
        """UTC ``YYYY-MM-DD HH`` for a local ``YYYY-MM-DD HH`` (Shanghai's offsets are hours)."""
        found: str | None = None
        digits = key[:4] + key[5:7] + key[8:10] + key[11:13]
        if key[4] + key[7] + key[10] == "-- " and digits.isascii() and digits.isdigit():
            try:
                local = dt.datetime(
                    int(key[:4]), int(key[5:7]), int(key[8:10]), int(key[11:13]), tzinfo=SHANGHAI
                )
            except ValueError:
                local = None
            if local is not None and 1990 <= local.year <= 2100:
                found = local.astimezone(dt.UTC).strftime("%Y-%m-%d %H")
        if len(self.hours) > 100_000:
            self.hours.clear()
        self.hours[key] = found
        return found

    def _category(self, category: str) -> tuple[str | None, bool]:
        problem_type = _problem_type(category)
        found = (problem_type.value if problem_type else None, problem_type is None)
        if len(self.categories) > 10_000:
            self.categories.clear()
        self.categories[category] = found
        return found

    def _text_time(self, when: str) -> str | None:
        """The stored time for exactly "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS"."""
        size = len(when)
        if size == 16:
            seconds = "00"
        elif size == 19 and when[16] == ":":
            seconds = when[17:]
            if not (seconds.isascii() and seconds.isdigit()) or seconds > "59":
                return None
        else:
            return None
        minutes = when[14:16]
        if when[13] != ":" or not (minutes.isascii() and minutes.isdigit()) or minutes > "59":
            return None
        key = when[:13]
        hour = self.hours[key] if key in self.hours else self._hour(key)
        if hour is None:
            return None
        return f"{hour}{when[13:16]}:{seconds}.000000"

    def _cell_time(self, when: Any) -> str | None:
        """The stored time for a spreadsheet's date cell (a naive datetime)."""
        if type(when) is not dt.datetime or when.tzinfo is not None:
            return None
        key = f"{when.year:04d}-{when.month:02d}-{when.day:02d} {when.hour:02d}"
        hour = self.hours[key] if key in self.hours else self._hour(key)
        if hour is None:
            return None
        return f"{hour}:{when.minute:02d}:{when.second:02d}.{when.microsecond:06d}"

    def row(self, row: list[Any]) -> tuple[Any, ...] | None:
        """A quarantine row, or ``None`` if this row needs the general path."""
        if len(row) < self.width:
            return None
        texts = True
        try:
            joined = "".join(row)
            if "\ufffd" in joined or len(joined) > MAX_CELL:
                return None
        except TypeError:  # a cell that is not text (a date, a number)
            texts = False
            for value in row:
                if type(value) is str and ("\ufffd" in value or len(value) > MAX_CELL):
                    return None
        if self.pad:
            row.append("")
            cells = self.pick(row)
            row.pop()
        else:
            cells = self.pick(row)
        record, when, phone, name, summary, content, township, venue, category = cells
        if texts:
            received = self._text_time(when)
        else:
            # A spreadsheet: the time may be a date cell; every other field is text.
            for value in cells:
                if type(value) is not str and value is not when:
                    return None
            received = self._text_time(when) if type(when) is str else self._cell_time(when)
        if received is None or (self.latest is not None and received > self.latest):
            return None
        # The number: plain digits, no country code (that one the general path strips).
        if not (phone.isascii() and phone.isdigit()) or not 5 <= len(phone) <= 15:
            return None
        if phone in self.directory or phone.startswith(("86", "00")):
            return None
        record = record.strip()
        if not record:
            return None
        for value in row[:3]:
            if type(value) is str and TOTAL_ROW.match(value):
                return None  # a total row: the general path passes it over
        summary, content = summary.strip(), content.strip()
        if summary and content and summary != content:
            text = f"{summary}\n{content}"
        else:
            text = content or summary
        if not text.strip():
            return None
        township = township.strip()
        center = self.aliases.get(township.lower()) if township else self.default_center
        if center is None:
            return None
        category = category.strip()
        problem_type, kept = (
            self.categories[category] if category in self.categories else self._category(category)
        )
        if kept:
            text = f"{text}\n【类别】{category}"
        return (
            f"{center}:rec:{record}",
            center,
            received,
            phone,
            name.strip() or None,
            summary or None,
            text,
            problem_type,
            venue.strip() or None,
            f"phone:{phone} 未登记",
        )

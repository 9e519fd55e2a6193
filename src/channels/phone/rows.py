"""Rows of a call log, made into reports: the values, the checks, the reading loop.

Each row becomes a report, a rejection (row number, column, reason in Chinese), or,
for the many calls in a hotline export that come from people who are not
supervisors, a plain row for :meth:`Ledger.quarantine_many`. Common rows take a fast
path (plain string slicing and dictionary look-ups, no report object); anything
unusual takes the general path, so both give the same result for the same row.

The reading loop, :func:`read_chunks`, needs no ledger: it runs in this process for
small files, and in a child process for large ones (``channels.phone.reader``),
while this one writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import operator
import re
import unicodedata
from collections.abc import Generator, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from channels.phone.tabular import Sheet, excel_serial_to_datetime, open_sheets, read_head
from supervision_core import (
    SHANGHAI,
    ColumnProfile,
    ConfigError,
    ContactKind,
    ProblemType,
    ProfileMatch,
    Report,
    ReportHints,
    Sender,
    match_profile,
    normalize_identity,
    parse_term,
)

if TYPE_CHECKING:
    from supervision_core import Ledger

__all__ = [
    "CenterNames",
    "ReadJob",
    "RejectedRow",
    "RowChunk",
    "parse_phone",
    "parse_time",
    "pick_sheet",
    "read_chunks",
]

CHANNEL = "phone_log"
HEAD_ROWS = 15  # rows searched for the header, below any title rows

_FULLWIDTH = str.maketrans("：／－．　", ":/-. ")
_CN_DATE = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(上午|下午|晚上|凌晨)?\s*(\d{1,2})\s*[:时点]\s*(\d{1,2})?\s*分?"
    r"(?:\s*[:]?\s*(\d{1,2})\s*秒?)?)?\s*$"
)
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:\s*(\d{2}):?(\d{2})(?::?(\d{2}))?)?\s*$")


def parse_time(
    value: Any, formats: tuple[str, ...] = (), *, clock: Any = None
) -> dt.datetime | None:
    """A call's time, aware in Asia/Shanghai, from what a spreadsheet holds.

    Takes datetimes and dates (XLSX), Excel serial numbers, ``2026-03-05 14:30``,
    ``2026/3/5``, ``2026年3月5日 14时30分``, ``2026.3.5 下午2:30``, ``20260305``, and
    ``formats`` (``strptime``) first. ``clock`` is a separate time-of-day cell.
    Returns ``None`` for an empty cell; raises ``ValueError`` saying what it saw.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    moment: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _serial(float(value))
    else:
        text = unicodedata.normalize("NFKC", str(value)).translate(_FULLWIDTH).strip()
        for fmt in formats:
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = _chinese_time(text)
            except ValueError as exc:  # 2026-13-01: the shape of a date, not a date
                msg = f"无法识别的时间：{value!r}（{exc}）"
                raise ValueError(msg) from exc
    if moment is None:
        msg = f"无法识别的时间：{value!r}"
        raise ValueError(msg)
    if clock is not None and moment.time() == dt.time():
        extra = _clock(clock)
        if extra is not None:
            moment = dt.datetime.combine(moment.date(), extra)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    if not 1990 <= moment.year <= 2100:
        msg = f"时间超出合理范围：{value!r}"
        raise ValueError(msg)
    return moment


def _serial(value: float) -> dt.datetime:
    if not 1 <= value < 2958466:
        msg = f"不是有效的 Excel 日期序号：{value!r}"
        raise ValueError(msg)
    return excel_serial_to_datetime(value).replace(microsecond=0)


def _chinese_time(text: str) -> dt.datetime | None:
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if 20000 < number < 80000:  # an Excel serial that came through as text
            return _serial(number)
    m = _CN_DATE.match(text) or None
    if m:
        year, month, day, half, hour, minute, second = m.groups()
        h = int(hour or 0)
        if half in ("下午", "晚上") and h < 12:
            h += 12
        elif half == "凌晨" and h == 12:
            h = 0
        return dt.datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0))
    c = _COMPACT.match(text)
    if c:
        year, month, day, hour, minute, second = c.groups()
        return dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _clock(value: Any) -> dt.time | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, float) and 0 <= value < 1:  # Excel time-of-day fraction
        seconds = round(value * 86400)
        return dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    text = unicodedata.normalize("NFKC", str(value)).translate(_FULLWIDTH).strip()
    m = re.match(
        r"^(上午|下午|晚上)?\s*(\d{1,2})\s*[:时点]\s*(\d{1,2})?\s*分?(?::(\d{1,2}))?$", text
    )
    if not m:
        msg = f"无法识别的时刻：{value!r}"
        raise ValueError(msg)
    half, hour, minute, second = m.groups()
    h = int(hour)
    if half in ("下午", "晚上") and h < 12:
        h += 12
    return dt.time(h, int(minute or 0), int(second or 0))


def parse_phone(value: Any) -> str:
    """A caller's number as stored, from what Excel made of it.

    ``13812341234.0`` (a number cell) and ``1.3812341234E+10`` come back whole;
    ``1.38123E+10`` lost digits when Excel shortened it, so it is refused with a
    note on how to export the column as text. Returns ``""`` for an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        msg = f"号码不是数字：{value!r}"
        raise ValueError(msg)
    if isinstance(value, int):
        return str(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return ""
    if isinstance(value, float) or re.fullmatch(r"[\d.]+[eE][+]?\d+|\d+\.0+", text):
        try:
            number = Decimal(text if not isinstance(value, float) else repr(value))
        except InvalidOperation as exc:
            msg = f"无法识别的号码：{value!r}"
            raise ValueError(msg) from exc
        mantissa = re.sub(r"[eE].*$", "", text).replace(".", "").lstrip("0")
        digits = str(int(number)) if number == number.to_integral_value() else ""
        if not digits or ("e" in text.lower() and len(mantissa) < len(digits)):
            msg = (
                f"号码 {text} 被 Excel 转成了科学计数法，位数已经丢失；请把该列设为“文本”后重新导出"
            )
            raise ValueError(msg)
        return digits
    phone = normalize_identity(ContactKind.PHONE, text)
    if not phone or len(phone) < 5 or len(phone) > 15:
        msg = f"号码位数不对：{value!r}"
        raise ValueError(msg)
    return phone


@attrs.frozen
class RejectedRow:
    """A row that was not imported: where it is, which column, and why (in Chinese)."""

    row: int  # 1-based, as the spreadsheet numbers it
    column: str
    reason: str


_TOTAL = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计|共计|total)", re.IGNORECASE)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Rejected(ValueError):
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
    :param stored_time: UTC as the ledger stores it (``YYYY-MM-DD HH:MM:SS.ffffff``)
    """

    match: ProfileMatch
    centers: CenterNames
    default_center: str | None
    directory: Mapping[str, int] | None = None

    def name(self, field: str) -> str:
        """The file's own header for a field, for messages."""
        index = self.match.columns.get(field)
        return self.match.header[index] if index is not None else field

    def cell(self, row: list[Any], field: str) -> Any:
        index = self.match.columns.get(field)
        return row[index] if index is not None and index < len(row) else None

    def report(self, row: list[Any]) -> Report:
        """The report a row makes; raises ``_Rejected`` saying which column and why."""
        cell, name = self.cell, self.name
        profile = self.match.profile
        if any(isinstance(v, str) and "\ufffd" in v for v in row):
            raise _Rejected("（整行）", "含有无法按文件编码解码的字符")
        column = "time" if "time" in self.match.columns else "date"
        try:
            when = parse_time(cell(row, column), profile.time_formats, clock=cell(row, "clock"))
        except ValueError as exc:
            raise _Rejected(name(column), str(exc)) from exc
        if when is None:
            raise _Rejected(name(column), "缺少来电时间")
        try:
            phone = parse_phone(cell(row, "caller_number"))
        except ValueError as exc:
            raise _Rejected(name("caller_number"), str(exc)) from exc
        summary_text = _text(cell(row, "summary"))
        content = _text(cell(row, "content"))
        if summary_text and content and summary_text != content:
            text = f"{summary_text}\n{content}"
        else:
            text = content or summary_text
        if not text.strip():
            raise _Rejected(
                name("content" if "content" in self.match.columns else "summary"), "没有反映内容"
            )
        township = _text(cell(row, "township"))
        center = self.centers.find(township) if township else self.default_center
        if center is None:
            if township:
                raise _Rejected(name("township"), f"未配置的苏木镇/中心：{township}")
            raise _Rejected(
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
            if "\ufffd" in "".join(row):
                return None
        except TypeError:  # a cell that is not text (a date, a number)
            texts = False
            for value in row:
                if type(value) is str and "\ufffd" in value:
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
        if received is None:
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
            if type(value) is str and _TOTAL.match(value):
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
    total = _TOTAL.match
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
        except _Rejected as bad:
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

"""The phone channel (来电): call logs and hotline exports imported as reports.

A center's hotline system exports its calls, or a township keeps them in a
spreadsheet; ``supdesk import calls FILE`` (or :func:`import_call_log`) turns each row
into a report. Safe to run again: a row's identity is the source system's record id,
or a hash of its content, so a file imported twice, or two overlapping exports, add
nothing the second time. Bad rows never sink good ones: each is reported with its row
number, column and reason, and written to a rejects file to fix and import again.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs
import click

from supervision_core import (
    SHANGHAI,
    ChannelRegistry,
    ColumnProfile,
    ConfigError,
    ContactKind,
    IntakeResult,
    InvalidInput,
    Ledger,
    ProblemType,
    ProfileMatch,
    ProfileRegistry,
    Report,
    ReportHints,
    Sender,
    actor_option,
    current_ledger,
    emit,
    hookimpl,
    json_option,
    match_profile,
    normalize_identity,
    parse_term,
    resolve_actor,
    wants_json,
)

from .tabular import Sheet, TabularError, excel_serial_to_datetime, open_sheets, read_head

__all__ = [
    "BUILTIN_PROFILES",
    "CHANNEL",
    "ImportSummary",
    "RejectedRow",
    "import_call_log",
    "parse_phone",
    "parse_time",
]

CHANNEL = "phone_log"
_HEAD_ROWS = 15  # rows searched for the header, below any title rows


@attrs.frozen
class PhoneLogChannel:
    """The channel as centers enable it in ``supdesk.toml`` (``channels = ["phone_log"]``)."""

    name: str = CHANNEL
    label: str = "来电（话务记录导入）"


BUILTIN_PROFILES: tuple[ColumnProfile, ...] = (
    ColumnProfile(
        name="hotline",
        label="热线工单导出（12345 等）",
        columns={
            "record_id": ("工单编号", "工单号", "受理编号", "流水号", "记录编号", "工单ID"),
            "time": ("来电时间", "受理时间", "登记时间", "创建时间", "呼入时间"),
            "caller_number": (
                "来电号码",
                "主叫号码",
                "来电电话",
                "联系电话",
                "手机号码",
                "电话号码",
            ),
            "caller_name": ("来电人", "来电人姓名", "诉求人", "联系人", "反映人"),
            "summary": ("诉求标题", "工单标题", "标题", "诉求摘要", "摘要"),
            "content": ("诉求内容", "来电内容", "工单内容", "详细内容", "内容"),
            "township": ("所属苏木镇", "所属乡镇", "苏木镇", "乡镇", "属地"),
            "venue": ("事发地点", "地点", "办事地点", "场所"),
            "category": ("诉求类型", "问题类型", "类别", "分类"),
        },
    ),
    ColumnProfile(
        name="township-ledger",
        label="苏木镇来电登记表（手工台账）",
        columns={
            "date": ("日期", "来电日期", "登记日期"),
            "clock": ("时间", "来电时刻", "时刻"),
            "time": ("来电时间", "登记时间"),
            "caller_number": ("联系电话", "电话", "来电号码", "手机", "联系方式"),
            "caller_name": ("姓名", "反映人", "来电人", "监督员"),
            "summary": ("反映事项", "事项", "问题摘要"),
            "content": ("反映问题", "问题内容", "反映内容", "问题描述", "具体问题", "内容"),
            "township": ("苏木镇", "镇", "乡镇", "所属苏木镇"),
            "venue": ("办事地点", "地点", "窗口", "场所"),
            "category": ("问题类型", "类型", "类别"),
        },
    ),
)


# ---------------------------------------------------------------------------- values

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


# ---------------------------------------------------------------------------- rows


@attrs.frozen
class RejectedRow:
    """A row that was not imported: where it is, which column, and why (in Chinese)."""

    row: int  # 1-based, as the spreadsheet numbers it
    column: str
    reason: str


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
class _Centers:
    """Township names as people write them, mapped to center codes."""

    aliases: Mapping[str, str]

    @classmethod
    def of(cls, ledger: Ledger) -> _Centers:
        aliases: dict[str, str] = {}
        for center in ledger.centers():
            short = re.sub(r"(便民服务中心|政务服务中心|服务中心)$", "", center.name)
            for alias in {center.code, center.name, short, re.sub(r"(镇|苏木)$", "", short)}:
                if alias:
                    aliases[alias.lower()] = center.code
        return cls(aliases)

    def find(self, text: str) -> str | None:
        return self.aliases.get(text.strip().lower())


def _reports(
    sheet: Sheet,
    match: ProfileMatch,
    *,
    centers: _Centers,
    default_center: str | None,
    summary: ImportSummary,
    rejects: Callable[[int, list[Any], RejectedRow], None],
) -> Iterator[Report]:
    cols = match.columns
    profile = match.profile
    first_row = match.header_row + 2  # the row after the header, 1-based

    def cell(row: list[Any], field: str) -> Any:
        index = cols.get(field)
        return row[index] if index is not None and index < len(row) else None

    for number, row in enumerate(sheet.rows, start=first_row):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            summary.skipped += 1
            continue
        if any(isinstance(v, str) and _TOTAL.match(v) for v in row[:3]):
            summary.skipped += 1  # a total row (合计) at the foot of a hand-kept sheet
            continue
        summary.read += 1
        try:
            report = _report(row, cell, profile, match, centers, default_center)
        except _Rejected as bad:
            summary.rejected += 1
            rejects(number, row, RejectedRow(number, bad.column, bad.reason))
            continue
        yield report


def _report(
    row: list[Any],
    cell: Callable[[list[Any], str], Any],
    profile: ColumnProfile,
    match: ProfileMatch,
    centers: _Centers,
    default_center: str | None,
) -> Report:
    header = match.header

    def name(field: str) -> str:
        index = match.columns.get(field)
        return header[index] if index is not None else field

    if any(isinstance(v, str) and "\ufffd" in v for v in row):
        raise _Rejected("（整行）", "含有无法按文件编码解码的字符")
    try:
        if "time" in match.columns:
            when = parse_time(cell(row, "time"), profile.time_formats, clock=cell(row, "clock"))
            column = "time"
        else:
            when = parse_time(cell(row, "date"), profile.time_formats, clock=cell(row, "clock"))
            column = "date"
    except ValueError as exc:
        raise _Rejected(name("time" if "time" in match.columns else "date"), str(exc)) from exc
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
            name("content" if "content" in match.columns else "summary"), "没有反映内容"
        )
    township = _text(cell(row, "township"))
    center = centers.find(township) if township else default_center
    if center is None:
        if township:
            raise _Rejected(name("township"), f"未配置的苏木镇/中心：{township}")
        raise _Rejected(name("township"), "无法确定所属中心：文件没有苏木镇列，请用 --center 指定")
    category = _text(cell(row, "category"))
    problem_type = None
    if category:
        try:
            problem_type = parse_term(ProblemType, category)
        except ValueError:
            problem_type = None  # a category of the source system's own: kept in the text
    record_id = _text(cell(row, "record_id"))
    if record_id:
        external = f"{center}:rec:{record_id}"
    else:
        digest = hashlib.sha256(
            "\x1f".join((when.isoformat(), phone, " ".join(text.split()))).encode()
        ).hexdigest()
        external = f"{center}:sha:{digest[:32]}"
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


# ---------------------------------------------------------------------------- import


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pick_sheet(
    path: Path, profiles: Mapping[str, ColumnProfile], wanted: str | None
) -> tuple[Sheet, ProfileMatch, list[list[Any]]]:
    choices = [profiles[wanted]] if wanted else list(profiles.values())
    seen: list[str] = []
    for sheet in open_sheets(path):
        head = read_head(sheet, _HEAD_ROWS)
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
) -> ImportSummary:
    """Import a call log (CSV, XLSX or XLS) into ``ledger``.

    :param center: the center for rows with no township column (or an empty one)
    :param profile: a column profile's name; by default the file's header picks one
    :param dry_run: check every row and report what would happen; store nothing
    :param rejects_path: where rejected rows go (default ``<file>.rejects.csv``)
    :param progress: called with how far reading has got (bytes for CSV, rows else)
    :param keep_rejects: how many rejected rows to keep in the summary (all go to the file)
    :raises ConfigError: no profile fits the file (the message lists the columns found)
    """
    path = Path(path)
    profiles = ledger.import_profiles()
    if profile is not None and profile not in profiles:
        msg = f"没有名为 {profile!r} 的列配置；可用：{'、'.join(profiles)}"
        raise ConfigError(msg)
    if center is not None:
        ledger.center(center)
    try:
        sheet, match, head = _pick_sheet(path, profiles, profile)
    except TabularError as exc:
        raise InvalidInput(f"{path.name}：{exc}") from exc
    summary = ImportSummary(
        file=str(path),
        sheet=sheet.name,
        profile=match.profile.name,
        encoding=sheet.encoding,
        dry_run=dry_run,
    )
    rejects_file = (
        Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv")
    )
    if rejects_file.exists() and not dry_run:
        rejects_file.unlink()
    write_reject, close_rejects = _rejects_writer(rejects_file, match.header)

    def reject(number: int, row: list[Any], rejected: RejectedRow) -> None:
        if len(summary.rejects) < keep_rejects:
            summary.rejects.append(rejected)
        if not dry_run:
            write_reject(number, row, rejected)

    body = head[match.header_row + 1 :]
    rest = sheet.rows

    def rows() -> Iterator[list[Any]]:
        yield from body
        for row in rest:
            yield row
            if progress is not None and sheet.position is not None:
                progress(sheet.position())

    sheet.rows = rows()
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
    reports = _reports(
        sheet,
        match,
        centers=_Centers.of(ledger),
        default_center=center,
        summary=summary,
        rejects=reject,
    )
    try:
        for result in ledger.receive_many(
            reports, batch=batch.id if batch else None, dry_run=dry_run
        ):
            _count(summary, result)
    except TabularError as exc:
        raise InvalidInput(f"{path.name}：{exc}（此前的行已导入，可再次运行以继续）") from exc
    finally:
        close_rejects()
        if batch is not None:
            ledger.finish_batch(batch.id, summary.counts())
    if summary.rejected and not dry_run:
        summary.rejects_file = str(rejects_file)
    return summary


def _count(summary: ImportSummary, result: IntakeResult) -> None:
    if result.duplicate_delivery:
        summary.already_present += 1
    elif result.filed:
        summary.imported += 1
    else:
        summary.quarantined += 1


# ---------------------------------------------------------------------------- plugin


@hookimpl
def supervision_register_channels(register: ChannelRegistry) -> None:
    """Register the phone channel."""
    register.add(PhoneLogChannel())


@hookimpl
def supervision_register_import_profiles(register: ProfileRegistry) -> None:
    """Register the built-in column profiles."""
    for profile in BUILTIN_PROFILES:
        register.add(profile)


def _import_group(cli: click.Group) -> click.Group:
    group = cli.commands.get("import")
    if isinstance(group, click.Group):
        return group

    @cli.group(name="import")
    def import_() -> None:
        """导入：话务记录等批量文件，以及导入批次的查询与撤销。"""

    return import_


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk import calls``, ``import batches`` and ``import rollback``."""
    group = _import_group(cli)

    @group.command("calls")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--center", help="没有苏木镇列（或该列为空）的行归入的中心代码。")
    @click.option("--profile", help="列配置名称（默认按表头自动匹配）。")
    @click.option("--dry-run", is_flag=True, help="只检查，不写入。")
    @click.option(
        "--rejects",
        type=click.Path(dir_okay=False, path_type=Path),
        help="被拒行写入的文件（默认 FILE.rejects.csv）。",
    )
    @actor_option
    @json_option
    def calls(
        file: Path,
        center: str | None,
        profile: str | None,
        dry_run: bool,
        rejects: Path | None,
        actor: str | None,
    ) -> None:
        """导入来电记录（CSV、XLSX、XLS），可重复运行。"""
        ledger = current_ledger()
        show_bar = not wants_json() and sys.stderr.isatty()
        size = file.stat().st_size if file.exists() else 0
        with click.progressbar(
            length=size or 1, label="导入中", file=sys.stderr, hidden=not show_bar
        ) as bar:
            last = {"at": 0}

            def progress(at: int) -> None:
                if at > last["at"]:
                    bar.update(min(at, size) - last["at"]) if size else None
                    last["at"] = min(at, size)

            summary = import_call_log(
                ledger,
                file,
                actor=resolve_actor(actor),
                center=center,
                profile=profile,
                dry_run=dry_run,
                rejects_path=rejects,
                progress=progress,
            )
        if wants_json():
            emit(summary)
            return
        verb = "（试运行，未写入）" if dry_run else f"（导入批次 #{summary.batch}）"
        click.echo(
            f"{file.name}{verb}：按列配置 {summary.profile} 读取 {summary.read} 行，"
            f"导入 {summary.imported}，已存在 {summary.already_present}，"
            f"进入隔离区 {summary.quarantined}，被拒 {summary.rejected}，跳过空行/合计行 {summary.skipped}。"
        )
        for rejected in summary.rejects[:20]:
            click.echo(f"  第 {rejected.row} 行 [{rejected.column}]：{rejected.reason}")
        if summary.rejected > 20:
            click.echo(f"  ……其余 {summary.rejected - 20} 行见被拒文件")
        if summary.rejects_file:
            click.echo(f"被拒的行已写入 {summary.rejects_file}，修改后可再次导入。")

    @group.command("batches")
    @json_option
    def batches() -> None:
        """列出导入批次。"""
        found = current_ledger().batches()
        if wants_json():
            emit(found)
            return
        if not found:
            click.echo("还没有导入批次。")
        for b in found:
            state = f"已撤销（{b.rolled_back_by}）" if b.rolled_back_at else "有效"
            counts = "，".join(f"{_COUNT_LABELS.get(k, k)} {v}" for k, v in b.counts.items())
            click.echo(
                f"#{b.id:<4} {b.started_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}  {b.source_name}  {state}  {counts}"
            )

    @group.command("rollback")
    @click.argument("batch_id", type=int)
    @actor_option
    def rollback(batch_id: int, actor: str | None) -> None:
        """撤销一个导入批次（其中的问题都还未审查时）。"""
        removed = current_ledger().rollback_batch(batch_id, actor=resolve_actor(actor))
        click.echo(f"导入批次 #{batch_id} 已撤销，移除反馈 {removed} 条。")

"""Reading spreadsheets as offices write them: streamed, row by row.

CSV in UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") or
GBK/GB18030 (what Excel in China writes), detected rather than assumed; XLSX
through calamine (a sheet at a time, in memory) or, for very large sheets, openpyxl's
read-only reader (streamed); XLS through xlrd. Cells merged across rows
are filled down, so a township written once beside five calls applies to all five.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import attrs

__all__ = [
    "FIELD_LIMIT",
    "Sheet",
    "TabularError",
    "detect_encoding",
    "file_kind",
    "open_sheets",
]

_SAMPLE = 256 * 1024
#: The longest CSV field read (characters). The csv module's own limit (128 KiB) would
#: stop the whole file at one long field; read whole, such a field rejects its row
#: (:data:`channels.phone.rows.MAX_CELL`). Beyond this a quote was surely left open.
FIELD_LIMIT = 16 << 20
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class TabularError(ValueError):
    """A file that cannot be read as a table at all (not a bad row: a bad file)."""


Cell = Any  # str, int, float, datetime, date, bool or None


@attrs.define
class Sheet:
    """One table in a file: its name, its rows (an iterator) and how far reading got."""

    name: str
    rows: Iterator[list[Cell]]
    encoding: str | None = None
    total: int | None = None  # rows, or bytes for CSV, when known
    position: Any = None  # a callable giving progress in the same unit as ``total``


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text file, from its first bytes.

    BOMs first; then strict UTF-8 (the last, possibly cut, character allowed);
    then charset-normalizer's best guess, with GBK and GB2312 read as GB18030,
    their superset, because Excel labels GB18030 text as either.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        # The sample may end in the middle of a two- or four-byte character.
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        from charset_normalizer import from_bytes

        best = from_bytes(sample, cp_isolation=["gb18030", "big5", "utf_16"]).best()
        if best is None or best.encoding in ("gb18030", "gbk", "gb2312", "hz"):
            return "gb18030"
        return str(best.encoding)
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        msg = "无法识别文件的字符编码（既不是 UTF-8，也不是 GBK/GB18030）"
        raise TabularError(msg)
    return str(best.encoding)


def _csv_sheet(path: Path) -> Sheet:
    raw = path.open("rb")
    sample = raw.read(_SAMPLE)
    raw.seek(0)
    if not sample.strip():
        raw.close()
        msg = "文件是空的"
        raise TabularError(msg)
    if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raw.close()
        msg = "这不是文本表格文件（含二进制内容）；XLSX/XLS 文件请保留原扩展名"
        raise TabularError(msg)
    encoding = detect_encoding(sample)
    # errors="replace": a stray undecodable byte rejects its row, not the file.
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    head = sample.decode(encoding, errors="replace")
    try:
        dialect: Any = csv.Sniffer().sniff(head[:20000], delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    size = path.stat().st_size
    if csv.field_size_limit() < FIELD_LIMIT:  # the module's setting, for every reader
        csv.field_size_limit(FIELD_LIMIT)

    def rows() -> Iterator[list[Cell]]:
        try:
            reader = csv.reader(text, dialect)
            yield from reader  # each row a new list already
        except csv.Error as exc:
            msg = f"CSV 格式错误（第 {reader.line_num} 行附近）：{exc}"
            raise TabularError(msg) from exc
        finally:
            text.close()

    return Sheet(path.name, rows(), encoding=encoding, total=size, position=raw.tell)


# <mergeCell ref="A1:B2"/>, any namespace prefix. Cell text cannot hold a raw "<", so a
# byte search finds exactly the elements, without parsing the sheet a second time.
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
_BLOCK = 1 << 20


def _merged_ranges(path: Path, sheet_part: str) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col), 1-based, of every merged range of a sheet."""
    from openpyxl.utils.cell import range_boundaries

    ranges: set[tuple[int, int, int, int]] = set()  # one found at a block's end may recur
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(sheet_part) as xml:
        while block := xml.read(_BLOCK):
            data = tail + block
            for found in _MERGE_CELL.finditer(data):
                bounds = range_boundaries(found.group(1).decode("ascii"))
                min_col, min_row, max_col, max_row = bounds
                if min_col and min_row and max_col and max_row:
                    ranges.add((min_row, min_col, max_row, max_col))
            # Keep what could be the start of an element cut by the block's end.
            cut = data.rfind(b"<")
            tail = data[cut:] if cut >= 0 and b">" not in data[cut:] else b""
    return sorted(ranges)


def _fill_merged(
    rows: Iterator[list[Cell]], ranges: list[tuple[int, int, int, int]]
) -> Iterator[list[Cell]]:
    """Copy each merged range's top-left value into its other cells."""
    starts: dict[int, list[tuple[int, int, int, int]]] = {}
    for r in ranges:
        starts.setdefault(r[0], []).append(r)
    active: list[tuple[tuple[int, int, int, int], Cell]] = []
    for number, row in enumerate(rows, start=1):
        for r in starts.get(number, ()):
            _, min_col, _, _ = r
            value = row[min_col - 1] if min_col - 1 < len(row) else None
            active.append((r, value))
        active = [(r, v) for r, v in active if r[2] >= number]
        for (min_row, min_col, _max_row, max_col), value in active:
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            for col in range(min_col, max_col + 1):
                if (number, col) != (min_row, min_col):
                    row[col - 1] = value
        yield row


# A workbook whose largest sheet is smaller than this (as XML: about 200,000 rows of a
# call log) is read by calamine, which holds a sheet in memory (about 45 MB for
# 100,000 rows of nine columns) and reads twelve times faster than openpyxl; a larger
# one is streamed by openpyxl, in memory that does not grow with it.
_IN_MEMORY_SHEET = 160 << 20


def _xlsx_sheets(path: Path) -> Iterator[Sheet]:
    try:
        with zipfile.ZipFile(path) as archive:
            largest = max(
                (
                    i.file_size
                    for i in archive.infolist()
                    if i.filename.startswith("xl/worksheets/")
                ),
                default=0,
            )
    except (zipfile.BadZipFile, OSError) as exc:
        msg = f"无法作为 XLSX 打开：{exc}"
        raise TabularError(msg) from exc
    if largest <= _IN_MEMORY_SHEET:
        yield from _calamine_sheets(path)
    else:
        yield from _openpyxl_sheets(path)


def _calamine_sheets(path: Path) -> Iterator[Sheet]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
    except (CalamineError, OSError, ValueError) as exc:
        msg = f"无法作为 XLSX 打开：{exc}"
        raise TabularError(msg) from exc
    for name in names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except (CalamineError, ValueError) as exc:
            msg = f"无法读取工作表 {name}：{exc}"
            raise TabularError(msg) from exc
        ranges = [
            (r0 + 1, c0 + 1, r1 + 1, c1 + 1)
            for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ()
        ]
        counter = {"n": 0}

        def rows(sh: Any = sheet, count: dict[str, int] = counter) -> Iterator[list[Cell]]:
            # Rows from the sheet's first (numbered as in Excel); empty cells are "".
            for values in sh.iter_rows():
                count["n"] += 1
                yield values

        yield Sheet(
            name,
            _fill_merged(rows(), ranges) if ranges else rows(),
            total=sheet.height,
            position=lambda count=counter: count["n"],
        )
    workbook.close()


def _openpyxl_sheets(path: Path) -> Iterator[Sheet]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        msg = f"无法作为 XLSX 打开：{exc}"
        raise TabularError(msg) from exc
    parts = _sheet_parts(path)
    for worksheet in workbook.worksheets:
        try:
            ranges = (
                _merged_ranges(path, parts[worksheet.title]) if worksheet.title in parts else []
            )
        except (KeyError, ElementTree.ParseError):
            ranges = []
        counter = {"n": 0}

        def rows(ws: Any = worksheet, count: dict[str, int] = counter) -> Iterator[list[Cell]]:
            for values in ws.iter_rows(values_only=True):
                count["n"] += 1
                yield list(values)

        total = worksheet.max_row if isinstance(worksheet.max_row, int) else None
        yield Sheet(
            worksheet.title,
            _fill_merged(rows(), ranges),
            total=total,
            position=lambda count=counter: count["n"],
        )
    workbook.close()


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet title -> its part in the archive, from the workbook and its relationships."""
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    pkg_ns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{pkg_ns}Relationship")}
    parts = {}
    for sheet in workbook.iter(f"{_NS}sheet"):
        target = targets.get(sheet.get(f"{rel_ns}id"), "")
        target = target.lstrip("/")
        parts[sheet.get("name", "")] = target if target.startswith("xl/") else f"xl/{target}"
    return parts


def _xls_sheets(path: Path) -> Iterator[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except (xlrd.XLRDError, OSError, AssertionError) as exc:
        msg = f"无法作为 XLS 打开：{exc}"
        raise TabularError(msg) from exc
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        ranges = [(r0 + 1, c0 + 1, r1, c1) for r0, r1, c0, c1 in sheet.merged_cells]

        def rows(sh: Any = sheet) -> Iterator[list[Cell]]:
            for r in range(sh.nrows):
                values: list[Cell] = []
                for cell in sh.row(r):
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        values.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        values.append(None)
                    else:
                        values.append(cell.value)
                yield values

        yield Sheet(sheet.name, _fill_merged(rows(), ranges), total=sheet.nrows)


def file_kind(path: str | Path) -> str:
    """``"xlsx"``, ``"xls"`` or ``"text"``, by the file's first bytes, not its name."""
    with Path(path).open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"PK\x03\x04"):
        return "xlsx"
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "text"


def open_sheets(path: str | Path) -> Iterator[Sheet]:
    """Every table in the file at ``path``: one for CSV, one per sheet for XLSX/XLS."""
    path = Path(path)
    if not path.is_file():
        msg = f"找不到文件 {path}"
        raise TabularError(msg)
    kind = file_kind(path)
    if kind == "xlsx":
        yield from _xlsx_sheets(path)
    elif kind == "xls":
        yield from _xls_sheets(path)
    else:
        yield _csv_sheet(path)


def excel_serial_to_datetime(value: float) -> dt.datetime:
    """An Excel serial date (days since 1899-12-30, the 1900 system) as a naive datetime."""
    return dt.datetime(1899, 12, 30) + dt.timedelta(days=value)


def read_head(sheet: Sheet, count: int) -> list[list[Cell]]:
    """The first ``count`` rows of a sheet (they are consumed from ``sheet.rows``)."""
    head = []
    for row in sheet.rows:
        head.append(row)
        if len(head) >= count:
            break
    return head

"""The ledger as a workbook a center hands in (反馈问题台账), and as CSV.

Streamed: issues are read a page at a time and written with XlsxWriter's
constant-memory mode (rows flushed as written, strings inline) or the csv module, so
a million-row export runs in bounded memory. Every text
cell that a spreadsheet could take for a formula is neutralised, in CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from supervision_core.model.centers import CenterLevel
from supervision_core.model.clock import SHANGHAI
from supervision_core.model.issues import (
    OPEN_STATES,
    IssueState,
    NotAcceptedReason,
    RectificationTrack,
    Satisfaction,
)
from supervision_core.model.outbox import transport_label
from supervision_core.model.vocabulary import Method, ProblemType, Stage, Topic
from supervision_core.rules.masking import mask_name, mask_personal_data

if TYPE_CHECKING:
    from supervision_core.ledger import Ledger

__all__ = ["LEDGER_HEADERS", "export_ledger", "neutralize", "notifier_labels", "unit_copy"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PAGE = 2000
# Characters XML 1.0 cannot carry (control characters, U+FFFE/U+FFFF, lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_OPEN = {s.value for s in OPEN_STATES}


def neutralize(value: object) -> object:
    """A text that a spreadsheet would read as a formula, made inert with a leading ``'``.

    OWASP's advice for CSV injection; applied to XLSX too, so both say the same.
    """
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def _label(kind: Any, value: str | None) -> str:
    return kind(value).label if value else ""


LEDGER_HEADERS: tuple[str, ...] = (
    "编号",
    "反馈时间",
    "监督员",
    "方式",
    "环节",
    "内容",
    "问题类型",
    "问题描述",
    "涉及单位/场所",
    "审查结果",
    "不予受理理由",
    "整改方式",
    "责任单位",
    "责任人",
    "整改措施",
    "整改时限",
    "整改进展",
    "完成时间",
    "整改结果及佐证",
    "说明",
    "告知监督员",
    "监督员评价",
    "是否逾期",
    "办结时间",
    "办结人",
    "备注",
)
"""The ledger's columns: DOMAIN.md's list, in its order, with the notice's words."""
_WIDTHS = (
    22,
    17,
    8,
    8,
    8,
    14,
    10,
    50,
    18,
    10,
    24,
    10,
    14,
    8,
    30,
    12,
    30,
    17,
    30,
    30,
    22,
    10,
    8,
    17,
    14,
    40,
)


def _screening(state: str) -> str:
    if state == IssueState.RECEIVED:
        return "待审查"
    if state == IssueState.NOT_ACCEPTED:
        return "不予受理"
    if state == IssueState.MERGED:
        return "已合并"
    return "受理"


def _is_late(r: Any, today: dt.date) -> bool:
    """是否逾期, as :meth:`Issue.is_late`: late fixes stay late, open ones late today."""
    return (
        r.completed_on_time is False
        or r.missed_due_on is not None
        or (r.state in _OPEN and r.due_on is not None and r.due_on < today)
    )


def _notes(r: Any, page: Any) -> str:
    """备注: the dispatch note, why not accepted, extensions and lateness, merging, closing."""
    notes = []
    if page.dispatch_note.get(r.id):
        notes.append(f"派单备注：{page.dispatch_note[r.id]}")
    if r.state == IssueState.NOT_ACCEPTED and r.screening_note:
        notes.append(f"不予受理说明：{r.screening_note}")
    if r.extensions:
        notes.append(f"延期{r.extensions}次，原整改时限{r.original_due_on or '—'}")
    done = "作出说明" if r.track == RectificationTrack.EXPLAINED else "完成整改"
    if r.completed_on_time is False:
        days = r.late_working_days
        notes.append(f"逾期{days}个工作日{done}" if days else f"逾期{done}（逾期天数未记录）")
    elif r.missed_due_on is not None:
        notes.append(f"整改时限{r.missed_due_on}已过，逾期后延期，仍计逾期")
    if page.merged_into.get(r.id):
        notes.append(f"已并入问题{page.merged_into[r.id]}")
    if page.close_note.get(r.id):
        notes.append(f"未经评价办结，原因：{page.close_note[r.id]}")
    return mask_personal_data("；".join(notes))


class _Names:
    """Chinese names for what the ledger stores as codes: units, notifiers, actors."""

    def __init__(self, ledger: Ledger) -> None:
        self.units = {(u.center, u.code): u.name for u in ledger.units()}
        banner = {c.code for c in ledger.centers() if c.level is CenterLevel.BANNER}
        # A township's issue may go to a unit of the banner center (dispatch allows it).
        self.banner_units = {code: n for (c, code), n in self.units.items() if c in banner}
        self.notifiers = notifier_labels(ledger)
        self.users = {u.username: u.display_name for u in ledger.users.list()}

    def unit(self, center: str, code: str | None) -> str:
        if not code:
            return ""
        return self.units.get((center, code)) or self.banner_units.get(code) or code

    def concerned(self, r: Any) -> str:
        """涉及单位/场所: what the report named, never the unit it was dispatched to."""
        named = self.units.get((r.center_code, r.unit_hint), r.unit_hint) if r.unit_hint else ""
        return "；".join(dict.fromkeys(v for v in (named, r.venue or "") if v))

    def told(self, told: tuple[dt.datetime, str] | None) -> str:
        if told is None:
            return ""
        when, transport = told  # a notifier, or the desk's telephone call (电话告知)
        return (
            f"{when:%Y-%m-%d %H:%M} {self.notifiers.get(transport) or transport_label(transport)}"
        )

    def actor(self, actor: str | None, center: str) -> str:
        """Who took a step, by name: staff by their display name, a unit by its name."""
        if not actor:
            return ""
        kind, _, rest = actor.partition(":")
        if kind == "supervisor":
            return "监督员"
        if kind == "system":
            return "系统"
        if kind == "user" and rest in self.users:
            return self.users[rest]
        if kind == "unit" and rest:
            return self.unit(center, rest.split(":")[0])
        if kind == "demo":
            return _ACTOR_KINDS[kind]
        if kind in _ACTOR_KINDS:
            return f"{_ACTOR_KINDS[kind]}（{rest}）" if rest else _ACTOR_KINDS[kind]
        return actor


#: Who took a step that no account names, in Chinese: ``cli:王敏`` is 命令行（王敏）.
_ACTOR_KINDS = {
    "cli": "命令行",
    "daemon": "守护进程",
    "api": "接口",
    "demo": "演示数据",
}


def notifier_labels(ledger: Ledger) -> dict[str, str]:
    """Each registered notifier's name in Chinese: its ``label``, else its channel's label."""
    channels = ledger.host.channels()
    notifiers = ledger.host.notifiers()
    labels = {name: str(channels[name].label) for name in channels}
    for name in notifiers:
        label = getattr(notifiers[name], "label", None)
        if isinstance(label, str) and label:
            labels[name] = label
    return labels


def _rows(
    ledger: Ledger,
    center: str | None,
    start: dt.date | None,
    end: dt.date | None,
    seen: set[int] | None = None,
) -> Iterator[tuple[list[object], bool]]:
    """Ledger rows in id order, a page at a time: (cells, late)."""
    today = ledger.today()
    names = _Names(ledger)
    for page in ledger.ledger_pages(center=center, start=start, end=end):
        for r in page.rows:
            if seen is not None:
                seen.add(r.supervisor_id)
            late = _is_late(r, today)
            cells: list[object] = [
                r.number,
                _local(r.received_at),
                mask_name(r.supervisor_name),
                _label(Method, r.method),
                _label(Stage, r.stage),
                _label(Topic, r.topic),
                _label(ProblemType, r.problem_type),
                mask_personal_data(r.text),
                mask_personal_data(names.concerned(r)),
                _screening(r.state),
                _label(NotAcceptedReason, r.not_accepted_reason),
                _label(RectificationTrack, r.track),
                names.unit(r.center_code, r.unit_code),
                r.responsible_person or "",
                mask_personal_data(r.measures or ""),
                r.rectification_due_on,  # the rectification deadline only: empty before a plan
                mask_personal_data(page.progress.get(r.id, "")),
                _local(r.completed_at),
                mask_personal_data(r.evidence or ""),
                mask_personal_data(r.explanation or ""),
                names.told(page.told.get(r.id)),
                _label(Satisfaction, r.satisfaction),
                "是" if late else "否",
                _local(r.closed_at),
                names.actor(r.closed_by, r.center_code),
                _notes(r, page),
            ]
            yield [neutralize(v) for v in cells], late


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    # To the second, as a ledger is read: microseconds are the database's, not the desk's.
    return moment.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0) if moment else None


def export_ledger(
    ledger: Ledger,
    path: str | Path,
    *,
    center: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    fmt: str = "xlsx",
    progress: Callable[[int], None] | None = None,
    supervisors: set[int] | None = None,
) -> int:
    """Write the ledger to ``path`` as XLSX (a sheet per center and a summary) or CSV.

    :param start: first day (Asia/Shanghai) of reports to include
    :param end: last day, inclusive
    :param supervisors: filled with the ids of the supervisors the file names (for the
        access log)
    :returns: how many issues were written
    """
    centers = [c for c in ledger.centers() if center is None or c.code == center]
    if center is not None:
        ledger.center(center)
    target = Path(path)
    if fmt == "csv":
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            return _write_csv(ledger, fh, centers, start, end, progress, supervisors)
    if fmt != "xlsx":
        msg = f"导出格式只能是 xlsx 或 csv：{fmt!r}"
        raise ValueError(msg)
    return _write_xlsx(ledger, target, centers, start, end, progress, supervisors)


def _write_csv(
    ledger: Ledger,
    fh: IO[str],
    centers: list[Any],
    start: dt.date | None,
    end: dt.date | None,
    progress: Callable[[int], None] | None,
    seen: set[int] | None = None,
) -> int:
    writer = csv.writer(fh)
    writer.writerow(["中心", *LEDGER_HEADERS])
    written = 0
    for c in centers:
        for cells, _overdue in _rows(ledger, c.code, start, end, seen):
            writer.writerow([c.name, *("" if v is None else v for v in cells)])
            written += 1
            if progress and written % 10000 == 0:
                progress(written)
    return written


def _write_xlsx(
    ledger: Ledger,
    target: Path,
    centers: list[Any],
    start: dt.date | None,
    end: dt.date | None,
    progress: Callable[[int], None] | None,
    seen: set[int] | None = None,
) -> int:
    import xlsxwriter

    # constant_memory: rows are flushed as written and strings are inline, so memory does
    # not grow with the ledger. The strings_to_* switches off keep every text a text.
    book = xlsxwriter.Workbook(
        str(target),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = book.add_format({"bold": True})
    formats = {
        (kind, late): book.add_format(
            {**({"num_format": kind} if kind else {}), **({"bg_color": "#F8CBAD"} if late else {})}
        )
        for kind in (None, "yyyy-mm-dd", "yyyy-mm-dd hh:mm")
        for late in (False, True)
    }
    summary = book.add_worksheet("汇总")
    summary.write_row(0, 0, ("中心", "问题总数", "办理中", "已逾期", "已办结", "不予受理"), bold)
    counts = ledger.count_by_center_and_state()
    late_counts = ledger.overdue_by_center()  # one count, not a list: exports stay bounded
    for row, c in enumerate(centers, start=1):
        mine = {state: n for (code, state), n in counts.items() if code == c.code}
        summary.write_row(
            row,
            0,
            (
                c.name,
                sum(mine.values()),
                sum(n for st, n in mine.items() if st in _OPEN),
                late_counts.get(c.code, 0) if not (start or end) else "",
                mine.get(IssueState.CLOSED.value, 0),
                mine.get(IssueState.NOT_ACCEPTED.value, 0),
            ),
        )
    written = 0
    for c in centers:
        sheet = book.add_worksheet(_sheet_name(c.name))
        for index, width in enumerate(_WIDTHS):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, LEDGER_HEADERS, bold)
        rows = 0
        for cells, late in _rows(ledger, c.code, start, end, seen):
            rows += 1
            for col, value in enumerate(cells):
                if value is None or value == "":
                    sheet.write_blank(rows, col, None, formats[(None, late)])
                elif isinstance(value, dt.datetime):
                    sheet.write_datetime(rows, col, value, formats[("yyyy-mm-dd hh:mm", late)])
                elif isinstance(value, dt.date):
                    sheet.write_datetime(
                        rows,
                        col,
                        dt.datetime.combine(value, dt.time()),
                        formats[("yyyy-mm-dd", late)],
                    )
                elif isinstance(value, str):
                    # Control characters have no place in XML; a report may still hold them.
                    sheet.write_string(
                        rows, col, _NOT_XML.sub("\ufffd", value), formats[(None, late)]
                    )
                else:
                    sheet.write(rows, col, value, formats[(None, late)])
            written += 1
            if progress and written % 10000 == 0:
                progress(written)
        sheet.autofilter(0, 0, rows, len(LEDGER_HEADERS) - 1)
    book.close()
    return written


def _sheet_name(name: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, no brackets, colons or slashes."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]


def _quoted(text: str) -> list[str]:
    """A free text as a quotation: each of its lines behind ``> ``, so none passes for a field."""
    return [
        f"> {line}".rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def unit_copy(view: Any, *, center_name: str, unit_name: str | None = None) -> str:
    """The unit's copy of a dispatched issue (派单通知): what to fix and by when.

    Built from the unit's view only, so it never names the supervisor. The notice's own
    fields come first, each on one line; every free text follows as a quotation under its
    label, so a description cannot add a line that passes for a field (期限).
    The printable notice is :func:`~supervision_core.documents.dispatch_notice.dispatch_notice_pdf`.
    """
    due = view.due_on.isoformat() if view.due_on else "按规定期限"
    if view.due_on and not view.due_confirmed:
        due += "（节假日安排未确认）"
    lines = [
        f"# 派单通知（{view.number}）",
        "",
        f"{_one_line(unit_name or view.unit or '责任单位')}：",
        "",
        f"{_one_line(center_name)}收到政务服务监督员反馈的问题如下，请按要求整改并反馈结果。",
        "",
        f"- 问题编号：{view.number}",
        f"- 反馈日期：{view.received_on.isoformat()}",
    ]
    if view.hints.problem_type:
        lines.append(f"- 问题类型：{view.hints.problem_type.label}")
    lines += [f"- 责任人：{_one_line(view.responsible_person or '—')}"]
    if view.track:
        lines.append(f"- 整改方式：{view.track.label}")
    lines.append(f"- 期限：{due}")
    texts = [
        ("涉及场所", view.hints.venue),
        ("问题描述", view.text),
        ("整改措施", view.measures),
        ("监督员不满意的理由（重新整改）", getattr(view, "dissatisfaction", None)),
    ]
    for label, text in texts:
        if text:
            lines += ["", f"{label}：", *_quoted(text)]
    for i, note in enumerate(getattr(view, "progress", ()), start=1):
        lines += ["", f"整改进展（{i}）：", *_quoted(note)]
    for label, text in (
        ("整改完成情况", getattr(view, "evidence", None)),
        ("说明", getattr(view, "explanation", None)),
    ):
        if text:
            lines += ["", f"{label}：", *_quoted(text)]
    lines += ["", f"{_one_line(center_name)}", ""]
    return "\n".join(lines)

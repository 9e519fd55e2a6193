"""The semi-annual briefing (每半年通报) as text, in Chinese: Markdown and the notice's body.

:func:`briefing_sections` is the one wording of the briefing: the Markdown here and
the PDF and DOCX (``documents/printable.py``) are set from it, so they cannot say
different things. Each section that counts shows its total, so a reader sees that
the lines add up to the reports received.
"""

from __future__ import annotations

from supervision_core.model.briefing import Briefing, RectificationLine
from supervision_core.model.year import AttendanceStatus

__all__ = [
    "SUB",
    "briefing_notice_text",
    "briefing_sections",
    "briefing_title",
    "render_markdown",
]

#: A line of a section that starts with SUB is an item under the line before it.
SUB = "  "


def _half(b: Briefing) -> tuple[str, str]:
    return b.period[:4], "上半年" if b.period.endswith("1") else "下半年"


def briefing_title(b: Briefing) -> str:
    """``关于2026年上半年政务服务监督工作情况的通报``."""
    year, half = _half(b)
    return f"关于{year}年{half}政务服务监督工作情况的通报"


def _agreement(total: int, expected: int, what: str) -> str:
    if total == expected:
        return f"以上合计 {total} 件，与{what} {expected} 件一致。"
    return f"以上合计 {total} 件，与{what} {expected} 件不一致（统计期间有新的变动，请重新生成本通报）。"


def _rectification_line(r: RectificationLine) -> str:
    if r.track is None:
        overdue = f"，其中已超过期限 {r.open_overdue} 件" if r.open_overdue else ""
        return f"{r.label} {r.total} 件{overdue}；"
    return (
        f"{r.label} {r.total} 件：按期完成 {r.on_time}，逾期完成 {r.late}，"
        f"正在办理 {r.open}，已逾期未完成 {r.open_overdue}；"
    )


def _meeting_lines(b: Briefing) -> list[str]:
    m = b.meeting
    if m is None:
        lines = ["通报会尚未记录（召开后记录日期、出席情况和听取的意见建议）。"]
    else:
        chair = f"，{m.chair}主持" if m.chair else ""
        invited = len(m.attendance)
        lines = [
            f"{m.held_on.year}年{m.held_on.month}月{m.held_on.day}日在{m.place}召开通报会{chair}。"
            + (
                f"邀请监督员 {invited} 人，出席 {m.count(AttendanceStatus.PRESENT)} 人，"
                f"请假 {m.count(AttendanceStatus.EXCUSED)} 人，"
                f"无故缺席 {m.count(AttendanceStatus.UNEXCUSED)} 人。"
                if invited
                else "出席情况未记录。"
            )
        ]
        if m.note:
            lines.append(m.note)
    if b.opinions:
        lines.append(f"听取监督员意见建议 {len(b.opinions)} 条：")
        lines += [f"{SUB}（{n}）{o.text}" for n, o in enumerate(b.opinions, 1)]
    elif m is not None:
        lines.append("会上未收到意见建议。")
    return lines


def briefing_sections(b: Briefing) -> list[tuple[str, list[str]]]:
    """The briefing's numbered sections, each a heading and its lines of text."""
    received = [f"本期共收到反馈 {b.received} 件，每件归入下列一项："]
    received += [f"{SUB}{line.label} {line.count} 件；" for line in b.lines]
    received.append(_agreement(b.lines_total, b.received, "收到件数"))
    rectified = [f"受理的 {b.accepted} 件按整改方式分列（是否逾期，以首次确定的整改期限为准）："]
    rectified += [SUB + _rectification_line(r) for r in b.rectification]
    rectified.append(_agreement(sum(r.total for r in b.rectification), b.accepted, "受理件数"))
    rectified.append(
        f"其中经监督员评价不满意、重新整改 {b.reopened} 件；"
        f"承办单位提出异议或重新派单 {b.redispatched} 件。"
    )
    rectified.append(
        f"已办结 {b.closed} 件。监督员评价：满意 {b.satisfaction.get('satisfied', 0)} 件，"
        f"基本满意 {b.satisfaction.get('basically_satisfied', 0)} 件，"
        f"不满意 {b.satisfaction.get('not_satisfied', 0)} 件。"
    )
    return [
        ("一、反馈问题受理情况", received),
        ("二、整改落实情况", rectified),
        (
            "三、问题分布",
            [
                "问题类型：" + ("；".join(f"{k} {v} 件" for k, v in b.problem_types) or "无"),
                "办理环节：" + ("；".join(f"{k} {v} 件" for k, v in b.stages) or "无"),
            ],
        ),
        (
            "四、典型案例",
            [
                f"{c['number']}：{c['text']}（整改：{c['measures'] or c['evidence'] or '—'}）"
                for c in b.typical_cases
            ]
            or ["无"],
        ),
        ("五、通报会及监督员意见建议", _meeting_lines(b)),
    ]


def render_markdown(b: Briefing) -> str:
    """The briefing as a Markdown document, in Chinese."""
    year, half = _half(b)
    lines = [f"# {b.center_name}{year}年{half}政务服务监督工作情况通报"]
    for heading, body in briefing_sections(b):
        lines += ["", f"## {heading}", ""]
        lines += [
            f"  - {line.removeprefix(SUB)}" if line.startswith(SUB) else f"- {line}"
            for line in body
        ]
    return "\n".join(lines) + "\n"


def briefing_notice_text(b: Briefing) -> tuple[str, str]:
    """The subject and body of the notice that sends the briefing to a supervisor."""
    year, half = _half(b)
    subject = f"{b.center_name}{year}年{half}政务服务监督工作情况通报"
    body = (
        f"监督员同志：\n\n现将{b.center_name}{year}年{half}政务服务监督工作情况通报如下，"
        "正式文本见附件（PDF）。\n\n" + render_markdown(b)
    )
    return subject, body

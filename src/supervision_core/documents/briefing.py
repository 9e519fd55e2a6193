"""The semi-annual briefing (每半年通报) as a Markdown document, in Chinese."""

from __future__ import annotations

from supervision_core.model.briefing import Briefing

__all__ = ["render_markdown"]


def render_markdown(b: Briefing) -> str:
    """The briefing as a Markdown document, in Chinese."""
    year, half = b.period[:4], "上半年" if b.period.endswith("1") else "下半年"
    lines = [
        f"# {b.center_name}{year}年{half}政务服务监督工作情况通报",
        "",
        "## 一、反馈问题受理情况",
        "",
        f"- 收到监督员反馈问题 {b.received} 件（另有非监督员来件 {b.quarantined} 件在隔离区待甄别）；",
        f"- 受理 {b.accepted} 件，不予受理 {sum(b.not_accepted.values())} 件。",
    ]
    for reason, n in sorted(b.not_accepted.items(), key=lambda x: -x[1]):
        lines.append(f"  - {reason}：{n} 件")
    lines += [
        "",
        "## 二、整改落实情况",
        "",
        f"- 立行立改 {b.immediate} 件；",
        f"- 限时整改按期完成 {b.scheduled_on_time} 件，逾期完成 {b.scheduled_overdue} 件，"
        f"正在整改 {b.scheduled_open} 件（其中已逾期 {b.scheduled_open_overdue} 件）；",
        f"- 经研判作出说明 {b.explained} 件；",
        f"- 已办结 {b.closed} 件。监督员评价：满意 {b.satisfaction.get('satisfied', 0)} 件，"
        f"基本满意 {b.satisfaction.get('basically_satisfied', 0)} 件，不满意 {b.satisfaction.get('not_satisfied', 0)} 件。",
        "",
        "## 三、问题分布",
        "",
        "- 问题类型：" + ("；".join(f"{k} {v} 件" for k, v in b.problem_types) or "无"),
        "- 办理环节：" + ("；".join(f"{k} {v} 件" for k, v in b.stages) or "无"),
        "",
        "## 四、典型案例",
        "",
    ]
    lines += [
        f"- {c['number']}：{c['text']}（整改：{c['measures'] or c['evidence'] or '—'}）"
        for c in b.typical_cases
    ] or ["- 无"]
    lines += ["", "## 五、监督员意见建议", ""]
    lines += [f"- {o.text}" for o in b.opinions] or ["- （通报会上听取的意见将记录于此）"]
    return "\n".join(lines) + "\n"

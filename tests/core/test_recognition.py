"""Field visits that found nothing, reason six's joint analysis, commendation, the officer team.

On both databases (``supdesk_ledger``).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import attrs
import pytest

from supervision_core import (
    AnalysisParticipant,
    AnalysisRole,
    ChangeKind,
    ContactKind,
    DefaultPolicy,
    EventKind,
    Identity,
    InvalidInput,
    InvalidTransition,
    JointAnalysis,
    Ledger,
    NewSupervisor,
    Origin,
    PluginManager,
    RecommendationStatus,
    Revocation,
    Settings,
    commendation_certificates_pdf,
    commendation_notice_docx,
    commendation_notice_pdf,
    hookimpl,
)
from supervision_core.testing import FrozenClock, skip_or_fail

OP = "operator:其木格"


def _supervisor(ledger: Ledger, name: str, center: str = "tuke", **kw: Any) -> int:
    n = len(ledger.supervisors())
    return ledger.add_supervisor(
        NewSupervisor(
            name=name,
            center=center,
            identities=[Identity(ContactKind.PHONE, f"1384877{n:04d}")],
            **kw,
        )
    ).id


# ---------------------------------------------------------------- field visits


def test_a_visit_that_found_nothing_counts_as_a_recorded_experience(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    sid = _supervisor(ledger, "巴特尔")
    first = ledger.record_field_visit(
        sid,
        method="simulated",
        venue="图克镇便民服务中心大厅",
        on=dt.date(2026, 2, 10),
        actor=OP,
        note="模拟办理营业执照，流程顺畅",
        task_id=7,
    )
    assert first.task_id == 7 and first.center == "tuke" and first.ref == f"体验#{first.id}"
    ledger.record_field_visit(
        sid, method="明察暗访", venue="税务窗口", on=dt.date(2026, 2, 20), actor=OP
    )
    ledger.record_field_visit(  # another year: not counted for 2026
        sid, method="in_person", venue="社保窗口", on=dt.date(2025, 12, 30), actor=OP
    )
    assert [v.method.label for v in ledger.field_visits(supervisor_id=sid, year=2026)] == [
        "模拟办",
        "明察暗访",
    ]
    year = ledger.supervisor_year(sid, 2026)
    assert len(year.field_visits) == 2 and year.service_experiences == ()
    score = DefaultPolicy().score(year)
    # 60 base + 2 × 1 (two recorded experiences, no problem found) = 62
    assert score.total == 62
    (item,) = [i for i in score.items if i.label == "办事体验记录"]
    assert item.refs == year.field_visits


def test_visits_and_experiences_share_one_cap() -> None:
    from supervision_core import SupervisorYear

    year = SupervisorYear(
        supervisor_id=1,
        year=2026,
        service_experiences=tuple(f"tuke-2026-{i:05d}" for i in range(4)),
        field_visits=tuple(f"体验#{i}" for i in range(9)),
    )
    # 4 + 9 recorded experiences at 1 point, capped at 10: 60 + 10 = 70
    assert DefaultPolicy().score(year).total == 70


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"method": "forum"}, "体验或暗访的方式只能是"),
        ({"method": "鬼画符"}, "体验或暗访的方式只能是"),
        ({"venue": "  "}, "必须写明体验或暗访的场所"),
        ({"on": dt.date(2026, 3, 3)}, "晚于今天"),
        ({"actor": " "}, "必须指明操作人"),
    ],
)
def test_a_visit_is_refused_in_chinese(
    supdesk_ledger: Ledger, fields: dict[str, Any], message: str
) -> None:
    sid = _supervisor(supdesk_ledger, "哈斯")
    values: dict[str, Any] = {
        "method": "simulated",
        "venue": "大厅",
        "on": dt.date(2026, 3, 1),
        "actor": OP,
    }
    with pytest.raises(InvalidInput, match=message):
        supdesk_ledger.record_field_visit(sid, **(values | fields))
    assert supdesk_ledger.field_visits() == []


def test_a_revoked_supervisor_records_no_visit(supdesk_ledger: Ledger) -> None:
    sid = _supervisor(supdesk_ledger, "萨仁")
    supdesk_ledger.revoke(
        sid,
        Revocation(
            on=dt.date(2026, 3, 1),
            reason="违反保密义务",
            letter_returned=True,
            card_returned=True,
            override="旗政务服务中心决定（测试）",
        ),
        actor=OP,
    )
    with pytest.raises(InvalidTransition, match="已取消资格"):
        supdesk_ledger.record_field_visit(
            sid, method="simulated", venue="大厅", on=dt.date(2026, 3, 1), actor=OP
        )


# ---------------------------------------------------------------- reason six


def _received(ledger: Ledger, supdesk_report: Any) -> int:
    result = ledger.receive(supdesk_report(text="建议取消所有纸质材料，全部网上办理。"))
    assert result.issue_id is not None
    return result.issue_id


def test_refusing_as_impractical_without_an_analysis_is_refused(
    supdesk_ledger: Ledger, supdesk_report: Any
) -> None:
    ref = _received(supdesk_ledger, supdesk_report)
    with pytest.raises(
        InvalidInput, match="须先经政务服务管理部门、政务服务部门及社会监督员分析研判"
    ):
        supdesk_ledger.not_accept(ref, reason="impractical", note="暂不具备条件", actor=OP)
    assert supdesk_ledger.issue(ref).state.value == "received"
    # the other reasons need none
    supdesk_ledger.not_accept(ref, reason="petition", note="已进入信访渠道", actor=OP)


def test_an_analysis_needs_a_supervisor_and_a_conclusion() -> None:
    staff = AnalysisParticipant(AnalysisRole.MANAGEMENT, "张主任")
    with pytest.raises(ValueError, match="至少一名监督员"):
        JointAnalysis(held_on=dt.date(2026, 3, 1), participants=[staff], conclusion="不可行")
    with pytest.raises(ValueError, match="必须写明结论"):
        JointAnalysis(
            held_on=dt.date(2026, 3, 1),
            participants=[staff, AnalysisParticipant("supervisor", "巴特尔", 1)],
            conclusion="  ",
        )
    with pytest.raises(ValueError, match="监督员:12"):
        JointAnalysis.parse(
            held_on=dt.date(2026, 3, 1),
            participants=["监督员:巴特尔"],
            conclusion="x",
            supervisor_name=str,
        )


def test_the_analysis_is_in_the_history_and_the_supervisors_notice(
    supdesk_ledger: Ledger, supdesk_report: Any
) -> None:
    ledger = supdesk_ledger
    ref = _received(ledger, supdesk_report)
    other = _supervisor(ledger, "其其格", center="banner")
    analysis = JointAnalysis.parse(
        held_on=dt.date(2026, 2, 27),
        participants=["管理部门:张主任", "服务部门：李科长", f"监督员:{other}"],
        conclusion="现阶段部分事项法定需纸质材料，暂不具备全部网办条件",
        supervisor_name=lambda sid: ledger.supervisor(sid).name,
    )
    assert analysis.participants[2] == AnalysisParticipant("supervisor", "其其格", other)
    issue = ledger.not_accept(
        ref, reason="impractical", note="感谢建议", actor=OP, analysis=analysis
    )
    assert issue.state.value == "not_accepted"
    (event,) = [e for e in ledger.history(ref) if e.kind is EventKind.NOT_ACCEPTED]
    assert JointAnalysis.from_data(event.data["analysis"]) == analysis
    (notice,) = [e for e in ledger.outbox(issue=ref) if "不予受理" in e.notice.body]
    text = notice.notice.body
    assert "2026-02-27 经分析研判" in text and "监督员1人" in text
    assert "暂不具备全部网办条件" in text
    assert "其其格" not in text  # the supervisor is told how many took part, not who


def test_an_analysis_naming_an_unknown_supervisor_is_refused(
    supdesk_ledger: Ledger, supdesk_report: Any
) -> None:
    ref = _received(supdesk_ledger, supdesk_report)
    analysis = JointAnalysis(
        held_on=dt.date(2026, 2, 27),
        participants=[AnalysisParticipant("supervisor", "无名", 999)],
        conclusion="不可行",
    )
    with pytest.raises(Exception, match="没有编号为 999 的监督员"):
        supdesk_ledger.not_accept(
            ref, reason="impractical", note="说明", actor=OP, analysis=analysis
        )


# ---------------------------------------------------------------- commendation


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    centers = tuple(
        attrs.evolve(c, scoring_policy="generous") if c.center.code == "tuke" else c
        for c in supdesk_settings.centers
    )
    return attrs.evolve(supdesk_settings, centers=centers)


@pytest.fixture
def supdesk_plugin_manager(supdesk_plugin_manager: PluginManager) -> PluginManager:
    class Generous:
        @hookimpl
        def supervision_register_scoring_policies(self, register: Any) -> None:
            # Each recorded experience weighs 10; 70 is excellent: a quota is easy to fill.
            register.add(
                "generous",
                DefaultPolicy(
                    label="宽松",
                    per_service_experience=10,
                    service_experience_cap=30,
                    excellent_from=70,
                ),
            )

    supdesk_plugin_manager.register(Generous(), name="generous-township")
    return supdesk_plugin_manager


def _excellent_year(ledger: Ledger) -> dict[str, int]:
    """Ten supervisors of 图克镇; two excellent (20% of ten)."""
    names = ["巴特尔", "其其格", "哈斯", "萨仁", "阿拉坦", "苏和", "乌云", "敖登", "朝鲁", "图雅"]
    ids = {name: _supervisor(ledger, name) for name in names}
    for name, visits in (("其其格", 3), ("乌云", 2), ("哈斯", 1)):
        for day in range(visits):
            ledger.record_field_visit(
                ids[name], method="simulated", venue="大厅", on=dt.date(2026, 2, 2 + day), actor=OP
            )
    evaluation = ledger.evaluate_year(2026, center="tuke", actor=OP, publish=True)
    assert [e.name for e in evaluation.excellent] == ["其其格", "乌云"]
    return ids


def test_the_published_excellent_supervisors_are_commended_once(
    supdesk_ledger: Ledger,
) -> None:
    ledger = supdesk_ledger
    with pytest.raises(InvalidInput, match="尚未发布 2026 年度评估结果"):
        ledger.commend(
            center="tuke",
            year=2026,
            decision_number="图政服发〔2026〕5号",
            decided_on=dt.date(2026, 3, 1),
            actor=OP,
        )
    ids = _excellent_year(ledger)
    done = ledger.commend(
        center="tuke",
        year=2026,
        decision_number="图政服发〔2026〕5号",
        decided_on=dt.date(2026, 3, 1),
        actor="user:其木格",
    )
    assert [(c.supervisor_id, c.name) for c in done] == [
        (ids["其其格"], "其其格"),
        (ids["乌云"], "乌云"),
    ]
    assert {c.decided_by for c in done} == {"user:其木格"}
    assert ledger.commendations(center="tuke", year=2026) == done
    with pytest.raises(InvalidTransition, match="已表彰 2026 年度优秀监督员"):
        ledger.commend(
            center="tuke",
            year=2026,
            decision_number="另一个文号",
            decided_on=dt.date(2026, 3, 1),
            actor=OP,
        )
    with pytest.raises(InvalidInput, match="必须写明表彰决定的文号"):
        ledger.commend(
            center="tuke", year=2026, decision_number=" ", decided_on=dt.date(2026, 3, 1), actor=OP
        )


def test_a_supervisor_revoked_since_the_evaluation_is_not_commended(
    supdesk_ledger: Ledger,
) -> None:
    ledger = supdesk_ledger
    ids = _excellent_year(ledger)
    ledger.revoke(
        ids["乌云"],
        Revocation(
            on=dt.date(2026, 3, 2),
            reason="泄露申请人信息",
            letter_returned=True,
            card_returned=False,
            override="旗政务服务中心决定（测试）",
        ),
        actor=OP,
    )
    with pytest.raises(InvalidTransition, match=r"乌云.*资格已取消，不能表彰"):
        ledger.commend(
            center="tuke",
            year=2026,
            decision_number="图政服发〔2026〕5号",
            decided_on=dt.date(2026, 3, 2),
            actor=OP,
        )
    assert ledger.commendations(center="tuke") == []


def _pdftoppm(pdf: Path, tmp_path: Path) -> list[Path]:
    if shutil.which("pdftoppm") is None:  # pragma: no cover
        skip_or_fail("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page*.png"))


def _ink(png: Path) -> int:
    from PIL import Image

    with Image.open(png) as image:
        gray = image.convert("L")
        return sum(gray.histogram()[:128])


def test_certificates_and_notice_name_the_commended(supdesk_ledger: Ledger, tmp_path: Path) -> None:
    from docx import Document
    from pypdf import PdfReader

    ledger = supdesk_ledger
    _excellent_year(ledger)
    done = ledger.commend(
        center="tuke",
        year=2026,
        decision_number="图政服发〔2026〕5号",
        decided_on=dt.date(2026, 3, 1),
        actor=OP,
    )
    center = ledger.center("tuke").name
    pdf = tmp_path / "证书.pdf"
    pdf.write_bytes(commendation_certificates_pdf(done, center_name=center))
    reader = PdfReader(pdf)
    assert len(reader.pages) == 2  # one page each
    for page, c in zip(reader.pages, done, strict=True):
        text = page.extract_text()
        assert "荣" in text and c.name in text and "图政服发〔2026〕5号" in text
        assert center in text and "2026年度" in text
    pages = _pdftoppm(pdf, tmp_path)
    assert len(pages) == 2 and all(_ink(p) > 500 for p in pages)  # the page renders, with text

    notice = PdfReader(io.BytesIO(commendation_notice_pdf(done, center_name=center)))
    text = "".join(p.extract_text() for p in notice.pages)
    assert "表彰2026年度优秀政务服务监督员" in text and "其其格、乌云" in text
    docx = commendation_notice_docx(done, tmp_path / "通报.docx", center_name=center)
    paragraphs = [p.text for p in Document(str(docx)).paragraphs]
    assert "图政服发〔2026〕5号" in paragraphs and "其其格、乌云。" in paragraphs
    with pytest.raises(InvalidInput, match="没有表彰记录"):
        commendation_certificates_pdf([], center_name=center)


# ---------------------------------------------------------------- the officer team


def test_a_township_recommends_its_hire_and_the_banner_accepts(supdesk_ledger: Ledger) -> None:
    ledger = supdesk_ledger
    hired = _supervisor(ledger, "敖登", origin=Origin.TOWNSHIP_HIRED)
    r = ledger.propose_officer(
        hired, reason="全年反馈问题 12 件，熟悉企业开办", actor="user:tuke-staff"
    )
    assert r.status is RecommendationStatus.PROPOSED and r.center == "tuke"
    with pytest.raises(InvalidTransition, match="已有待旗中心决定的推荐"):
        ledger.propose_officer(hired, reason="再推荐", actor=OP)
    with pytest.raises(InvalidInput, match="不予纳入必须写明理由"):
        ledger.decide_officer_recommendation(r.id, accept=False, actor="user:banner-staff")
    decided = ledger.decide_officer_recommendation(r.id, accept=True, actor="user:banner-staff")
    assert decided.status is RecommendationStatus.ACCEPTED
    assert decided.decided_by == "user:banner-staff" and decided.decided_at is not None
    assert ledger.supervisor(hired).origin is Origin.EXPERIENCE_OFFICER
    (change,) = [c for c in ledger.supervisor_history(hired) if c.kind is ChangeKind.ORIGIN]
    assert (change.before, change.after, change.actor) == (
        "township_hired",
        "experience_officer",
        "user:banner-staff",
    )
    with pytest.raises(InvalidTransition, match="已有决定"):
        ledger.decide_officer_recommendation(r.id, accept=False, note="x", actor=OP)
    with pytest.raises(InvalidTransition, match="已是营商环境体验官"):
        ledger.propose_officer(hired, reason="再推荐", actor=OP)


def test_a_declined_recommendation_keeps_the_origin(supdesk_ledger: Ledger) -> None:
    ledger = supdesk_ledger
    hired = _supervisor(ledger, "朝鲁", origin=Origin.TOWNSHIP_HIRED)
    r = ledger.propose_officer(hired, reason="熟悉牧区政策", actor=OP)
    declined = ledger.decide_officer_recommendation(
        r.id, accept=False, note="今年名额已满", actor="user:banner-staff"
    )
    assert declined.status is RecommendationStatus.DECLINED
    assert declined.decision_note == "今年名额已满"
    assert ledger.supervisor(hired).origin is Origin.TOWNSHIP_HIRED
    assert ledger.officer_recommendations(status="declined") == [declined]
    assert ledger.officer_recommendations(center="tuke", status="proposed") == []
    # declined, it may be proposed again next time
    assert ledger.propose_officer(hired, reason="再次推荐", actor=OP).id != r.id


def test_only_a_township_proposes_its_own_hire(supdesk_ledger: Ledger) -> None:
    ledger = supdesk_ledger
    banner_hire = _supervisor(ledger, "图雅", center="banner", origin=Origin.TOWNSHIP_HIRED)
    with pytest.raises(InvalidInput, match="只有苏木镇便民服务中心可以推荐"):
        ledger.propose_officer(banner_hire, reason="x", actor=OP)
    with pytest.raises(InvalidInput, match="推荐状态只能是"):
        ledger.officer_recommendations(status="maybe")

"""A township's whole year: reports, activities, findings, discipline, the evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from supervision_core import (
    SHANGHAI,
    ContactKind,
    DefaultPolicy,
    Identity,
    InvalidInput,
    Ledger,
    NewSupervisor,
    PluginManager,
    RectificationTrack,
    Report,
    ReportHints,
    Sender,
    Settings,
    YearSchedule,
    hookimpl,
)
from supervision_core.model.scoring import Band, Score
from supervision_core.model.year import EvaluationEntry, excellent_quota, rank_entries
from supervision_core.testing import FrozenClock

YEAR = 2026
OP = "operator:其木格"


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    centers = tuple(
        attrs.evolve(c, scoring_policy="pastoral") if c.center.code == "wushenzhao" else c
        for c in supdesk_settings.centers
    )
    # A report accepted on 31 December is due for dispatch in January: the next year's
    # holidays must be known (test data, not the State Council's notice).
    next_year = YearSchedule(YEAR + 1, [dt.date(YEAR + 1, 1, 1)], [], "config")
    return attrs.evolve(supdesk_settings, centers=centers, calendar_years=(next_year,))


@pytest.fixture
def supdesk_plugin_manager(supdesk_plugin_manager: PluginManager) -> PluginManager:
    class Pastoral:
        @hookimpl
        def supervision_register_scoring_policies(self, register: Any) -> None:
            # Reports weigh double; the bar for excellent is 75.
            register.add(
                "pastoral",
                DefaultPolicy(label="牧区评分办法", per_verified_report=4, excellent_from=75),
            )

    supdesk_plugin_manager.register(Pastoral(), name="pastoral-township")
    return supdesk_plugin_manager


def _people(ledger: Ledger) -> dict[str, int]:
    ids = {}
    for n, name in enumerate(["巴特尔", "其其格", "哈斯", "萨仁", "阿拉坦", "苏和"]):
        s = ledger.add_supervisor(
            NewSupervisor(
                name=name,
                center="wushenzhao",
                identities=[Identity(ContactKind.PHONE, f"1394877000{n}")],
            )
        )
        ids[name] = s.id
    return ids


def _report(ledger: Ledger, clock: FrozenClock, who: int, text: str, **hints: Any) -> int:
    phone = ledger.supervisor(who).identities[0].value
    result = ledger.receive(
        Report(
            channel="phone_log",
            external_id=f"{who}-{text}",
            center="wushenzhao",
            received_at=clock(),
            sender=Sender(ContactKind.PHONE, phone),
            text=text,
            hints=ReportHints(**hints),
        )
    )
    assert result.issue_id is not None
    return result.issue_id


def _fix(ledger: Ledger, ref: int, track: str = "immediate") -> None:
    ledger.accept(ref, actor=OP)
    ledger.dispatch(ref, unit="wushenzhao-window", responsible_person="高娃", actor=OP)
    ledger.plan(ref, track=track, measures="整改措施" if track == "scheduled" else None, actor=OP)
    ledger.complete(ref, evidence="已整改", actor=OP)


def test_a_whole_year_for_a_township_with_its_own_policy(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger, clock = supdesk_ledger, supdesk_clock
    who = _people(ledger)
    plan = ledger.add_work_plan(
        center="wushenzhao",
        year=YEAR,
        title="2026年监督工作计划",
        responsible_staff=["其木格"],
        content="每季度组织一次集中体验",
    )
    assert ledger.work_plans(center="wushenzhao")[0].responsible_staff == ("其木格",)
    assert plan.year == YEAR

    # 巴特尔: three verified reports, two fixed, one adopted suggestion, a service experience.
    a1 = _report(ledger, clock, who["巴特尔"], "窗口午间无人", method="in_person")
    a2 = _report(ledger, clock, who["巴特尔"], "自助机无法打印")
    a3 = _report(ledger, clock, who["巴特尔"], "建议增设蒙汉双语指引")
    _fix(ledger, a1)
    _fix(ledger, a2, "scheduled")
    ledger.accept(a3, actor=OP)
    ledger.record_finding(a3, "adopted_suggestion", actor=OP, note="已采纳")
    # 其其格: two verified, one fixed; and one found false.
    b1 = _report(ledger, clock, who["其其格"], "收费不透明")
    b2 = _report(ledger, clock, who["其其格"], "办事指南过期")
    b3 = _report(ledger, clock, who["其其格"], "窗口人员收红包")
    _fix(ledger, b1)
    ledger.accept(b2, actor=OP)
    ledger.accept(b3, actor=OP)
    ledger.record_finding(b3, "false_report", actor=OP, note="经核查不属实")
    # 哈斯: one report not accepted (does not count).
    c1 = _report(ledger, clock, who["哈斯"], "我已起诉到法院")
    ledger.not_accept(c1, reason="legal_procedure", note="请走诉讼程序", actor=OP)
    # 萨仁 and 阿拉坦: equal totals, 萨仁 with more verified reports.
    for n in range(2):
        _fix(ledger, _report(ledger, clock, who["萨仁"], f"萨仁反馈{n}"))
    ledger.accept(_report(ledger, clock, who["萨仁"], "萨仁反馈加"), actor=OP)
    ledger.accept(_report(ledger, clock, who["阿拉坦"], "阿拉坦反馈"), actor=OP)

    forum = ledger.add_activity(
        center="wushenzhao",
        kind="forum",
        title="营商环境座谈会",
        held_on=dt.date(YEAR, 3, 10),
        place="镇会议室",
        organizer="镇便民服务中心",
    )
    group = ledger.add_activity(
        center="wushenzhao",
        kind="group_experience",
        title="集中体验“一网办”",
        held_on=dt.date(YEAR, 4, 8),
        place="镇大厅",
        organizer="镇便民服务中心",
    )
    training = ledger.add_activity(
        center="wushenzhao",
        kind="training",
        title="政策解读培训",
        held_on=dt.date(YEAR, 5, 6),
        place="旗中心",
        organizer="旗政务服务中心",
    )
    for activity in (forum, group):
        ledger.record_attendance(activity.id, who["巴特尔"], "present", actor=OP)
        ledger.record_attendance(activity.id, who["哈斯"], "unexcused", actor=OP)
        ledger.record_attendance(activity.id, who["苏和"], "excused", actor=OP)
    ledger.record_attendance(forum.id, who["阿拉坦"], "present", actor=OP)
    ledger.record_attendance(group.id, who["阿拉坦"], "present", actor=OP)
    ledger.record_attendance(
        training.id, who["其其格"], "present", actor=OP
    )  # a right: recorded, not scored
    assert dict(ledger.activities(center="wushenzhao")[0].attendance)[who["哈斯"]] == "unexcused"
    admonition = ledger.record_discipline(
        who["哈斯"], kind="admonition", reason="两次无故缺席", actor=OP
    )
    ledger.record_discipline(
        who["苏和"], kind="confidentiality_breach", reason="泄露申请人信息", actor=OP
    )
    assert ledger.discipline(who["哈斯"]) == [admonition]

    evaluation = ledger.evaluate_year(YEAR, center="wushenzhao", actor=OP, publish=True)
    assert (evaluation.version, evaluation.policy, evaluation.quota) == (1, "pastoral", 1)
    by_name = {e.name: e for e in evaluation.entries}
    # 巴特尔: 60 + 3×4 + 2 fixes + 5 adopted + 2×3 activities + 1 experience = 86
    assert by_name["巴特尔"].score.total == 86 and by_name["巴特尔"].score.band is Band.EXCELLENT
    assert dict((i.label, i.refs) for i in by_name["巴特尔"].score.items)["意见建议被采纳"] == (
        ledger.issue(a3).number,
    )
    # 其其格: 60 + 2×4 + 1 − 10 (false report) = 59
    assert (
        by_name["其其格"].score.total == 59 and by_name["其其格"].score.band is Band.UNSATISFACTORY
    )
    # 哈斯: 60 − 2×5 = 50; 苏和: 60 − 20 and a revocation review
    assert by_name["哈斯"].score.total == 50
    assert by_name["苏和"].score.total == 40 and by_name["苏和"].score.revocation_review
    # 萨仁: 60 + 3×4 + 2 = 74; 阿拉坦: 60 + 4 + 2×3 = 70 ... and the ranks
    assert by_name["萨仁"].score.total == 74 and by_name["阿拉坦"].score.total == 70
    assert [e.name for e in evaluation.entries] == [
        "巴特尔",
        "萨仁",
        "阿拉坦",
        "其其格",
        "哈斯",
        "苏和",
    ]
    assert [e.name for e in evaluation.excellent] == ["巴特尔"]

    # A fix later in the year and a second evaluation: a new version; the first stays.
    ledger.complete(_fixed_later(ledger, who["阿拉坦"]), evidence="已整改", actor=OP)
    again = ledger.evaluate_year(
        YEAR, center="wushenzhao", actor=OP, quota_ratio=0.4, publish=True, reason="补录整改"
    )
    assert again.version == 2 and again.quota == 2
    assert (again.supersedes, again.reason) == (evaluation.id, "补录整改")
    assert [e.version for e in ledger.evaluations(center="wushenzhao", year=YEAR)] == [1, 2]
    # Both readable; the later one is the official one.
    assert ledger.evaluations(center="wushenzhao")[0] == attrs.evolve(evaluation, official=False)
    assert ledger.official_evaluation(center="wushenzhao", year=YEAR) == again
    with pytest.raises(sa.exc.DatabaseError, match="immutable"), ledger.engine.begin() as c:
        c.execute(sa.text("UPDATE evaluation SET quota = 9"))

    candidates = {
        name: reasons
        for _, name, reasons in ledger.revocation_candidates(
            center="wushenzhao", as_of=dt.date(YEAR, 6, 1)
        )
    }
    assert any("无故缺席 2 次" in r for r in candidates["哈斯"])
    assert "巴特尔" not in candidates and "萨仁" not in candidates
    breach = ledger.discipline(who["苏和"])[0]
    assert candidates["苏和"] == [
        f"违反保密义务（{breach.on}，处理#{breach.id}），须审查",  # always listed
        "2025-11-30 以来无反馈、无活动",  # excused absences are no activity
    ]
    late = {
        name
        for _, name, _ in ledger.revocation_candidates(
            center="wushenzhao", as_of=dt.date(YEAR, 12, 20)
        )
    }
    assert "巴特尔" in late  # nothing since March: six months of silence by December
    assert all(
        s.status.value == "active" for s in ledger.supervisors(center="wushenzhao")
    )  # nothing automatic


def _fixed_later(ledger: Ledger, supervisor: int) -> int:
    ref = ledger.issues(supervisor=supervisor)[0].id
    ledger.dispatch(ref, unit="wushenzhao-window", responsible_person="高娃", actor=OP)
    ledger.plan(ref, track="immediate", actor=OP)
    return ref


def test_findings_and_discipline_are_checked(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    who = _people(supdesk_ledger)
    ref = _report(supdesk_ledger, supdesk_clock, who["巴特尔"], "窗口无人")
    with pytest.raises(InvalidInput, match="尚不能"):
        supdesk_ledger.record_finding(ref, "adopted_suggestion", actor=OP)
    supdesk_ledger.accept(ref, actor=OP)
    supdesk_ledger.record_finding(ref, "adopted_suggestion", actor=OP)
    with pytest.raises(InvalidInput, match="已有"):
        supdesk_ledger.record_finding(ref, "adopted_suggestion", actor=OP)
    with pytest.raises(InvalidInput, match="部门"):
        supdesk_ledger.record_discipline(who["哈斯"], kind="referral", reason="违法", actor=OP)
    with pytest.raises(InvalidInput, match="出席情况"):
        activity = supdesk_ledger.add_activity(
            center="wushenzhao",
            kind="forum",
            title="t",
            held_on=dt.date(YEAR, 1, 5),
            place="p",
            organizer="o",
        )
        supdesk_ledger.record_attendance(activity.id, who["哈斯"], "late", actor=OP)


def _entry(
    sid: int, total: float, band: Band = Band.EXCELLENT, reports: int = 0
) -> EvaluationEntry:
    from supervision_core import SupervisorYear

    return EvaluationEntry(
        supervisor_id=sid,
        name=str(sid),
        rank=0,
        score=Score(total, band, ()),
        excellent=False,
        year_facts=SupervisorYear(
            supervisor_id=sid, year=YEAR, verified_reports=tuple("r" * reports)
        ),
    )


@pytest.mark.parametrize(
    ("evaluated", "quota"), [(0, 0), (1, 1), (4, 1), (5, 1), (9, 1), (10, 2), (14, 2), (15, 3)]
)
def test_excellent_quota(evaluated: int, quota: int) -> None:
    assert excellent_quota(evaluated) == quota


def test_ties_are_broken_by_the_stated_rule_and_only_the_excellent_band_qualifies() -> None:
    entries = [
        _entry(1, 90, reports=2),
        _entry(2, 90, reports=5),
        _entry(3, 88),
        _entry(4, 70, Band.SATISFACTORY),
    ]
    ranked = rank_entries(entries, tie_rule=("verified_reports",), quota=2)
    assert [(e.supervisor_id, e.rank, e.excellent) for e in ranked] == [
        (2, 1, True),
        (1, 2, True),
        (3, 3, False),
        (4, 4, False),
    ]
    assert ranked[1].tie_note == "与第 1 名同分，按“经核实的反馈多者在前”排后"
    by_id = rank_entries(entries, tie_rule=("appointed_earlier",), quota=1)
    assert [e.supervisor_id for e in by_id][:2] == [1, 2] and "聘任早者" in (
        by_id[1].tie_note or ""
    )
    nobody = rank_entries([_entry(5, 60, Band.SATISFACTORY)], tie_rule=(), quota=1)
    assert not nobody[0].excellent
    with pytest.raises(ValueError, match="未知的并列规则"):
        rank_entries(entries, tie_rule=("coin_toss",), quota=1)


def test_times_of_the_year_are_counted_in_shanghai(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    who = _people(supdesk_ledger)
    supdesk_clock.set(
        dt.datetime(YEAR, 12, 31, 23, 30, tzinfo=SHANGHAI)
    )  # 15:30 UTC: still 2026 here
    ref = _report(supdesk_ledger, supdesk_clock, who["巴特尔"], "年末最后一件")
    supdesk_ledger.accept(ref, actor=OP)
    assert len(supdesk_ledger.supervisor_year(who["巴特尔"], YEAR).verified_reports) == 1
    assert supdesk_ledger.supervisor_year(who["巴特尔"], YEAR + 1).verified_reports == ()


def test_semi_annual_briefing_agrees_with_an_independent_query(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger, clock = supdesk_ledger, supdesk_clock
    who = _people(ledger)
    refs = [
        _report(
            ledger, clock, who["巴特尔"], f"上半年反馈{n}", problem_type="slow", stage="acceptance"
        )
        for n in range(6)
    ]
    _fix(ledger, refs[0])  # immediate, completed
    _fix(ledger, refs[1], "scheduled")  # on time
    ledger.evaluate(refs[1], satisfaction="satisfied", actor=f"supervisor:{who['巴特尔']}")
    ledger.not_accept(refs[2], reason="petition", note="已在信访渠道", actor=OP)
    ledger.accept(refs[3], actor=OP)
    ledger.dispatch(refs[3], unit="wushenzhao-window", responsible_person="高娃", actor=OP)
    ledger.plan(
        refs[3], track="scheduled", measures="更换设备", days=2, actor=OP
    )  # left open, goes overdue
    ledger.accept(refs[4], actor=OP)
    ledger.dispatch(refs[4], unit="wushenzhao-window", responsible_person="高娃", actor=OP)
    ledger.plan(refs[4], track="explained", actor=OP)
    ledger.explain(refs[4], explanation="不符合实际", actor=OP)
    ledger.receive(
        Report(
            channel="t",
            external_id="stranger",
            center="wushenzhao",
            received_at=clock(),
            sender=Sender(ContactKind.PHONE, "13900000000"),
            text="群众来电",
        )
    )
    clock.set(dt.datetime(YEAR, 8, 1, 9, tzinfo=SHANGHAI))
    _report(ledger, clock, who["萨仁"], "下半年反馈")  # not in H1
    ledger.add_briefing_opinion(
        center="wushenzhao",
        period="2026h1",
        text="希望增加午间值班",
        actor=OP,
        supervisor_id=who["萨仁"],
    )

    b = ledger.briefing(center="wushenzhao", period="2026H1")
    start, end = dt.datetime(YEAR, 1, 1, tzinfo=SHANGHAI), dt.datetime(YEAR, 7, 1, tzinfo=SHANGHAI)
    with ledger.engine.connect() as c:  # the independent query, straight from the tables

        def count(where: str) -> int:
            return c.execute(
                sa.text(
                    f"SELECT count(*) FROM issue WHERE center_code = 'wushenzhao' AND received_at >= :s AND received_at < :e AND {where}"
                ),
                {"s": _db_time(ledger, start), "e": _db_time(ledger, end)},
            ).scalar_one()

        reports = c.execute(
            sa.text(
                "SELECT count(*) FROM report WHERE center_code = 'wushenzhao' AND received_at >= :s AND received_at < :e"
            ),
            {"s": _db_time(ledger, start), "e": _db_time(ledger, end)},
        ).scalar_one()
        assert b.received == reports == count("1=1") + 1 == 7  # and the stranger's call
        assert b.accepted == count("state NOT IN ('received', 'not_accepted', 'merged')") == 4
        assert b.not_accepted == {"已进入信访渠道": count("state = 'not_accepted'")}
        tracks = {r.track: r for r in b.rectification}
        immediate = count("track = 'immediate' AND state IN ('completed', 'closed')")
        assert tracks[RectificationTrack.IMMEDIATE].on_time == immediate == 1
        assert tracks[RectificationTrack.EXPLAINED].on_time == count("track = 'explained'") == 1
        scheduled = tracks[RectificationTrack.SCHEDULED]
        assert (scheduled.on_time, scheduled.late, scheduled.open) == (1, 0, 0)
        assert scheduled.open_overdue == 1
        assert b.closed == count("state = 'closed'") == 1
    assert b.quarantined == 1 and b.lines_total == b.received
    assert b.problem_types == [("办事慢", 6)] and b.stages == [("受理", 6)]
    assert [c["number"] for c in b.typical_cases] == [ledger.issue(refs[1]).number]
    assert [o.text for o in b.opinions] == ["希望增加午间值班"]
    from supervision_core import render_markdown

    text = render_markdown(b)
    assert text.startswith("# 乌审召镇便民服务中心2026年上半年政务服务监督工作情况通报")
    assert "不予受理：已进入信访渠道 1 件" in text and "希望增加午间值班" in text
    with pytest.raises(InvalidInput, match="2026H1"):
        ledger.briefing(center="wushenzhao", period="2026Q1")


def _db_time(ledger: Ledger, moment: dt.datetime) -> object:
    if ledger.engine.dialect.name == "sqlite":
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment

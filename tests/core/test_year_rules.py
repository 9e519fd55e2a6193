"""Issue #20 (part A): eligibility by term, discipline as the notice orders it, preview
then publish, the documented scoring table, and the term enforced at intake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs
import pytest
from openpyxl import load_workbook

from supervision_core import (
    SHANGHAI,
    ContactKind,
    DefaultPolicy,
    Identity,
    InvalidInput,
    InvalidTransition,
    Ledger,
    NewSupervisor,
    PluginManager,
    Report,
    ReportHints,
    Revocation,
    Sender,
    Settings,
    SupervisorYear,
)
from supervision_core.documents.evaluation_workbook import write_evaluation_xlsx
from supervision_core.model.reports import QuarantineReason
from supervision_core.model.supervisors import ChangeKind
from supervision_core.testing import FrozenClock

YEAR = 2026
OP = "operator:其木格"
CENTER = "wushenzhao"


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    # 乌审召镇 with its own plugin's policy (plugins/supervision-township-wushenzhao).
    centers = tuple(
        attrs.evolve(c, scoring_policy="wushenzhao-2026") if c.center.code == CENTER else c
        for c in supdesk_settings.centers
    )
    return attrs.evolve(supdesk_settings, centers=centers)


@pytest.fixture
def supdesk_plugin_manager(supdesk_plugin_manager: PluginManager) -> PluginManager:
    import supervision_township_wushenzhao

    supdesk_plugin_manager.register(supervision_township_wushenzhao, name="wushenzhao")
    return supdesk_plugin_manager


def _add(
    ledger: Ledger,
    name: str,
    n: int,
    *,
    center: str = CENTER,
    term: tuple[dt.date | None, dt.date | None] = (None, None),
) -> int:
    return ledger.add_supervisor(
        NewSupervisor(
            name=name,
            center=center,
            term_start=term[0],
            term_end=term[1],
            identities=[Identity(ContactKind.PHONE, f"1394877100{n}")],
        )
    ).id


def _send(ledger: Ledger, clock: FrozenClock, who: int, text: str, **hints: Any) -> Any:
    phone = ledger.supervisor(who).identities[0].value
    return ledger.receive(
        Report(
            channel="phone_log",
            external_id=f"{who}-{text}-{clock().isoformat()}",
            center=ledger.supervisor(who).center,
            received_at=clock(),
            sender=Sender(ContactKind.PHONE, phone),
            text=text,
            hints=ReportHints(**hints),
        )
    )


def _verified(ledger: Ledger, clock: FrozenClock, who: int, text: str) -> int:
    result = _send(ledger, clock, who, text)
    assert result.issue_id is not None
    ledger.accept(result.issue_id, actor=OP)
    return int(result.issue_id)


# ------------------------------------------------------------------ the scoring table


def _year(**facts: int) -> SupervisorYear:
    return SupervisorYear(
        supervisor_id=1,
        year=YEAR,
        **{k: tuple(f"#{k}{i}" for i in range(n)) for k, n in facts.items()},
    )


@pytest.mark.parametrize(
    ("facts", "total"),
    [
        ({}, 60),  # base
        ({"verified_reports": 3}, 60 + 3 * 2),
        ({"verified_reports": 2, "led_to_fix": 2}, 60 + 2 * 2 + 2 * 1),
        ({"adopted_suggestions": 2}, 60 + 2 * 5),
        ({"rule_changes": 1}, 60 + 10),
        ({"activities_attended": 4}, 60 + 4 * 3),
        ({"service_experiences": 7}, 60 + 7 * 1),
        ({"service_experiences": 13}, 60 + 10),  # at most 10
        ({"unexcused_absences": 3}, 60 - 3 * 5),
        ({"false_reports": 2}, 60 - 2 * 10),
        ({"confidentiality_breaches": 1}, 60 - 20),
        (  # all at once: 60 + 8 + 3 + 5 + 10 + 6 + 10 − 5 − 10 − 20 = 67
            {
                "verified_reports": 4,
                "led_to_fix": 3,
                "adopted_suggestions": 1,
                "rule_changes": 1,
                "activities_attended": 2,
                "service_experiences": 12,
                "unexcused_absences": 1,
                "false_reports": 1,
                "confidentiality_breaches": 1,
            },
            67,
        ),
    ],
)
def test_every_rule_of_the_default_policy_against_a_hand_computed_total(
    facts: dict[str, int], total: float
) -> None:
    score = DefaultPolicy().score(_year(**facts))
    assert score.total == total
    assert score.revocation_review == bool(facts.get("confidentiality_breaches"))


@pytest.mark.parametrize(
    ("facts", "total", "band"),
    [
        ({"verified_reports": 12, "led_to_fix": 1}, 85, "excellent"),  # 60 + 24 + 1
        ({"verified_reports": 12}, 84, "satisfactory"),  # 60 + 24
        ({}, 60, "satisfactory"),
        ({"unexcused_absences": 1}, 55, "unsatisfactory"),  # 60 − 5
    ],
)
def test_bands_of_the_default_policy(facts: dict[str, int], total: int, band: str) -> None:
    score = DefaultPolicy().score(_year(**facts))
    assert (score.total, score.band.value) == (total, band)


def test_training_is_not_scored_and_a_false_report_earns_no_experience_point(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger, clock = supdesk_ledger, supdesk_clock
    who = _add(ledger, "敖登", 1, center="banner")
    # A report made in person, then found false: −10 and no +1 for the experience.
    false = _send(ledger, clock, who, "窗口人员收红包", method="in_person")
    ledger.accept(false.issue_id, actor=OP)
    ledger.record_finding(false.issue_id, "false_report", actor=OP, note="经核查不属实")
    # A true one made in person: +2 and +1.
    true = _send(ledger, clock, who, "取号机故障", method="in_person")
    ledger.accept(true.issue_id, actor=OP)
    training = ledger.add_activity(
        center="banner",
        kind="training",
        title="政策解读培训",
        held_on=dt.date(YEAR, 5, 6),
        place="旗中心",
        organizer="旗政务服务中心",
    )
    forum = ledger.add_activity(
        center="banner",
        kind="forum",
        title="座谈会",
        held_on=dt.date(YEAR, 5, 7),
        place="旗中心",
        organizer="旗政务服务中心",
    )
    ledger.record_attendance(training.id, who, "unexcused", actor=OP)  # a right: no cost
    ledger.record_attendance(forum.id, who, "unexcused", actor=OP)  # −5
    entry = ledger.evaluate_year(YEAR, center="banner", actor=OP).entries[0]
    # 60 + 2 (verified) + 1 (one experience) − 5 (forum) − 10 (false) = 48
    assert entry.score.total == 48
    assert entry.year_facts.unexcused_absences == (f"活动#{forum.id}",)
    assert entry.year_facts.service_experiences == (ledger.issue(true.issue_id).number,)


# ------------------------------------------------------------------ eligibility


def test_the_population_follows_the_term_not_the_row(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger, clock = supdesk_ledger, supdesk_clock
    ended = _add(ledger, "任期已满", 1, term=(dt.date(2023, 1, 1), dt.date(2025, 12, 31)))
    serving = _add(ledger, "在聘", 2, term=(dt.date(2025, 6, 1), dt.date(2028, 5, 31)))
    later = _add(ledger, "明年聘", 3, term=(dt.date(YEAR + 1, 1, 1), None))
    # Appointed in 2026 but entered into the ledger in January 2027.
    clock.set(dt.datetime(YEAR + 1, 1, 8, 9, 0, tzinfo=SHANGHAI))
    entered_late = _add(ledger, "补录", 4, term=(dt.date(YEAR, 4, 1), dt.date(YEAR + 2, 3, 31)))
    ids = {e.supervisor_id for e in ledger.evaluate_year(YEAR, center=CENTER, actor=OP).entries}
    assert ids == {serving, entered_late}
    assert ended not in ids and later not in ids
    entry = next(
        e
        for e in ledger.evaluate_year(YEAR, center=CENTER, actor=OP).entries
        if e.supervisor_id == entered_late
    )
    assert (entry.term_start, entry.term_end) == (dt.date(YEAR, 4, 1), dt.date(YEAR + 2, 3, 31))


def test_a_revoked_or_suspended_supervisor_never_takes_a_quota_place(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock, tmp_path: Path
) -> None:
    """Under 乌审召镇's own policy (+4 a verified report, excellent from 80)."""
    ledger, clock = supdesk_ledger, supdesk_clock
    people = {name: _add(ledger, name, n) for n, name in enumerate("甲乙丙丁戊庚辛壬癸子")}
    # 甲 8 reports (92), 乙 7 (88, then revoked), 丙 6 (84, then suspended), 丁 5 (80).
    for name, count in (("甲", 8), ("乙", 7), ("丙", 6), ("丁", 5)):
        for k in range(count):
            _verified(ledger, clock, people[name], f"{name}反馈{k}")
    admonition = ledger.record_discipline(
        people["乙"], kind="admonition", reason="泄露窗口人员信息", actor=OP, response="接受批评"
    )
    clock.set(dt.datetime(YEAR, 11, 1, 9, 0, tzinfo=SHANGHAI))
    ledger.revoke(
        people["乙"],
        Revocation(
            on=dt.date(YEAR, 11, 1),
            reason="违反监督员义务",
            letter_returned=False,
            card_returned=True,
            admonitions=[admonition.id],
        ),
        actor=OP,
    )
    ledger.suspend(people["丙"], reason="涉嫌违纪，待查", actor=OP)
    evaluation = ledger.evaluate_year(YEAR, center=CENTER, actor=OP)
    assert evaluation.policy == "wushenzhao-2026"
    by_name = {e.name: e for e in evaluation.entries}
    assert [by_name[n].score.total for n in "甲乙丙丁"] == [92, 88, 84, 80]
    # Ten evaluated, two not active: 20% of the eight active ones is one place...
    assert evaluation.quota == 1
    assert [e.name for e in evaluation.excellent] == ["甲"]
    # ... and with 40% three: 甲 and 丁, never 乙 or 丙 who rank above 丁.
    wider = ledger.evaluate_year(YEAR, center=CENTER, actor=OP, quota_ratio=0.4)
    assert wider.quota == 3
    assert [e.name for e in wider.excellent] == ["甲", "丁"]
    assert [e.name for e in wider.entries[:4]] == ["甲", "乙", "丙", "丁"]
    assert by_name["乙"].status.value == "revoked" and by_name["丙"].status.value == "suspended"
    assert by_name["乙"].flags[0] == f"已于 {dt.date(YEAR, 11, 1)} 取消资格，不参评优秀"
    # The workbook shows status, term and flags.
    book = write_evaluation_xlsx(wider, tmp_path / "e.xlsx", center_name="乌审召镇")
    sheet = load_workbook(book).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header = rows[0]
    assert header[:4] == ("排名", "监督员", "状态", "聘期") and "提示（须审查等）" in header
    line = next(r for r in rows if r[1] == "乙")
    assert line[2] == "已取消资格" and "取消资格" in str(line[header.index("提示（须审查等）")])
    assert "草稿" in str(sheet["A1"].value)


# ------------------------------------------------------------------ preview, then publish


def test_evaluate_previews_and_publish_makes_the_one_official_version(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger, clock = supdesk_ledger, supdesk_clock
    who = _add(ledger, "巴图", 1)
    _verified(ledger, clock, who, "叫号系统故障")
    preview = ledger.evaluate_year(YEAR, center=CENTER, actor=OP)
    other = ledger.evaluate_year(YEAR, center=CENTER, actor=OP, quota_ratio=0.5)
    empty = ledger.evaluate_year(YEAR, center="tuke", actor=OP)  # nobody appointed there
    assert not preview.published and not other.published and empty.entries == ()
    assert ledger.evaluations() == []  # nothing stored
    with pytest.raises(InvalidInput, match="没有参评的监督员"):
        ledger.evaluate_year(YEAR, center="tuke", actor=OP, publish=True)

    first = ledger.evaluate_year(YEAR, center=CENTER, actor=OP, publish=True)
    assert first.published and first.official and first.version == 1
    assert ledger.official_evaluation(center=CENTER, year=YEAR) == first
    with pytest.raises(InvalidInput, match="请写明理由"):
        ledger.evaluate_year(YEAR, center=CENTER, actor=OP, publish=True)
    assert len(ledger.evaluations()) == 1
    second = ledger.evaluate_year(
        YEAR, center=CENTER, actor=OP, publish=True, reason="补录一条整改"
    )
    assert (second.version, second.supersedes, second.reason) == (2, first.id, "补录一条整改")
    listed = ledger.evaluations(center=CENTER, year=YEAR)
    assert [(e.version, e.official) for e in listed] == [(1, False), (2, True)]
    assert ledger.official_evaluation(center=CENTER, year=YEAR) == second
    assert ledger.official_evaluation(center="tuke", year=YEAR) is None


# ------------------------------------------------------------------ discipline


def test_candidates_follow_the_admonition_rule_and_always_show_breaches(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger, clock = supdesk_ledger, supdesk_clock
    once, twice, after_false, leaker, referred = (
        _add(ledger, name, n) for n, name in enumerate(["一次", "两次", "不实", "泄密", "违法"])
    )
    for who in (once, twice, after_false, leaker, referred):
        _verified(ledger, clock, who, f"反馈{who}")  # active: no "six months silent" reason
    first = ledger.record_discipline(
        once, kind="admonition", reason="以监督员身份干预窗口办件", actor=OP, response="认识到错误"
    )
    ledger.record_discipline(twice, kind="admonition", reason="组织网络炒作", actor=OP)
    clock.advance(days=20)
    again = ledger.record_discipline(twice, kind="admonition", reason="仍不改，再次炒作", actor=OP)
    ledger.record_discipline(after_false, kind="admonition", reason="凭空臆造", actor=OP)
    clock.advance(days=1)
    false = _send(ledger, clock, after_false, "编造的问题")
    ledger.accept(false.issue_id, actor=OP)
    ledger.record_finding(false.issue_id, "false_report", actor=OP)
    breach = ledger.record_discipline(
        leaker, kind="confidentiality_breach", reason="泄露申请人信息", actor=OP
    )
    ledger.record_discipline(
        referred, kind="referral", reason="收受好处", authority="旗纪委监委", actor=OP
    )
    found = {sid: reasons for sid, _, reasons in ledger.revocation_candidates(center=CENTER)}
    assert once not in found  # one admonition, nothing since: not a candidate
    assert found[twice] == [
        f"经批评教育（{dt.date(YEAR, 3, 2)}，处理#{ledger.discipline(twice)[0].id}）后仍有违反义务"
        f"的行为：批评教育（{again.on}，处理#{again.id}）"
    ]
    assert "反馈不实" in found[after_false][0]
    assert found[leaker] == [f"违反保密义务（{breach.on}，处理#{breach.id}），须审查"]
    assert "违法违纪" in found[referred][0]
    assert ledger.discipline(once) == [first] and first.response == "认识到错误"

    # The evaluation's table and workbook show the breach, not only --json.
    evaluation = ledger.evaluate_year(YEAR, center=CENTER, actor=OP)
    flags = {e.supervisor_id: e.flags for e in evaluation.entries}
    assert flags[leaker] == (f"违反保密义务（{breach.on}，处理#{breach.id}），须审查",)
    assert flags[once] == ()


def test_revocation_names_the_admonitions_or_an_override_and_follows_up_the_papers(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    who, other, third = (_add(ledger, n, i) for i, n in enumerate(["其木格", "娜仁", "乌云"]))

    def revoke(sid: int, **grounds: Any) -> Any:
        return ledger.revoke(
            sid,
            Revocation(
                on=ledger.today(),
                reason="经批评教育仍不悔改",
                letter_returned=False,
                card_returned=False,
                **grounds,
            ),
            actor=OP,
        )

    with pytest.raises(InvalidInput, match="批评教育"):
        revoke(who)
    foreign = ledger.record_discipline(other, kind="admonition", reason="x", actor=OP)
    with pytest.raises(InvalidInput, match="不是该监督员的批评教育记录"):
        revoke(who, admonitions=[foreign.id])
    assert ledger.supervisor(who).status.value == "active"
    admonition = ledger.record_discipline(who, kind="admonition", reason="干预办件", actor=OP)
    revoked = revoke(who, admonitions=[admonition.id], decided_by="旗政务服务中心主任 王")
    assert revoked.revocation is not None
    assert revoked.revocation.admonitions == (admonition.id,)
    assert revoked.revocation.decided_by == "旗政务服务中心主任 王"
    assert revoked.revocation.papers_outstanding == ("聘书", "工作证")
    overridden = revoke(third, override="违法犯罪被判刑，旗中心决定直接取消")
    assert overridden.revocation is not None and overridden.revocation.decided_by == OP

    assert [s.id for s in ledger.papers_outstanding(center=CENTER)] == [who, third]
    ledger.record_papers_returned(who, letter=True, card=False, actor=OP)
    with pytest.raises(InvalidTransition, match="已经收回"):
        ledger.record_papers_returned(who, letter=True, card=False, actor=OP)
    back = ledger.record_papers_returned(who, letter=False, card=True, actor=OP, note="本人交回")
    assert back.revocation is not None and back.revocation.papers_outstanding == ()
    assert [s.id for s in ledger.papers_outstanding(center=CENTER)] == [third]
    with pytest.raises(InvalidTransition):
        ledger.record_papers_returned(other, letter=True, card=True, actor=OP)
    history = ledger.supervisor_history(who)
    assert [c.kind for c in history] == [
        ChangeKind.REVOKED,
        ChangeKind.PAPERS_RETURNED,
        ChangeKind.PAPERS_RETURNED,
    ]
    assert all(c.actor == OP for c in history)
    assert f"#{admonition.id}" in (history[0].note or "")
    assert history[-1].after == "聘书已收回，工作证已收回"


# ------------------------------------------------------------------ the term at intake


def test_a_report_out_of_term_is_quarantined_with_that_reason(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger, clock = supdesk_ledger, supdesk_clock
    ended = _add(ledger, "期满", 1, term=(dt.date(2023, 1, 1), dt.date(2025, 12, 31)))
    early = _add(ledger, "未到", 2, term=(dt.date(YEAR, 3, 3), None))
    serving = _add(ledger, "在聘", 3, term=(dt.date(YEAR, 3, 2), dt.date(YEAR, 3, 2)))
    for who in (ended, early):
        result = _send(ledger, clock, who, "窗口无人")
        assert result.issue_id is None
        assert result.quarantine_reason is QuarantineReason.OUT_OF_TERM
    held = ledger.quarantine()
    assert {q.reason.label for q in held} == {"不在监督员聘期内"}
    assert any("聘期 2023-01-01 至 2025-12-31" in (q.detail or "") for q in held)
    assert _send(ledger, clock, serving, "窗口无人").issue_id is not None  # the last day counts


def test_an_import_checks_the_term_too(supdesk_ledger: Ledger, supdesk_clock: FrozenClock) -> None:
    """A batch large enough that intake loads every supervisor at once (the eager path)."""
    ledger, clock = supdesk_ledger, supdesk_clock
    ended = _add(ledger, "期满", 1, term=(dt.date(2023, 1, 1), dt.date(2025, 12, 31)))
    serving = _add(ledger, "在聘", 2, term=(dt.date(2025, 1, 1), None))
    reports = [
        Report(
            channel="phone_log",
            external_id=f"bulk-{n}",
            center=CENTER,
            received_at=clock() + dt.timedelta(minutes=n),
            sender=Sender(ContactKind.PHONE, ledger.supervisor(who).identities[0].value),
            text=f"批量导入的反馈 {n}",
        )
        for n, who in enumerate([ended, serving] * 40)
    ]
    results = list(ledger.receive_many(reports))
    reasons = [r.quarantine_reason for r in results]
    assert reasons[0::2] == [QuarantineReason.OUT_OF_TERM] * 40
    assert reasons[1::2] == [None] * 40


def test_a_briefing_meetings_attendance_is_kept_in_the_history(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger, clock = supdesk_ledger, supdesk_clock
    who = _add(ledger, "图雅", 1)

    def record(status: str, actor: str) -> None:
        ledger.record_briefing_meeting(
            center=CENTER,
            period="2026H1",
            held_on=dt.date(YEAR, 3, 2),
            place="镇会议室",
            actor=actor,
            attendance={who: status},
        )

    record("unexcused", "user:town-desk")
    record("unexcused", "user:town-desk")  # no change, nothing recorded
    clock.advance(hours=3)
    record("excused", "user:banner-desk")
    history = ledger.supervisor_history(who)
    assert [(c.kind, c.actor, c.before, c.after) for c in history] == [
        (ChangeKind.MEETING_ATTENDANCE, "user:town-desk", None, "unexcused"),
        (ChangeKind.MEETING_ATTENDANCE, "user:banner-desk", "unexcused", "excused"),
    ]
    assert history[1].at - history[0].at == dt.timedelta(hours=3)
    assert history[0].note == f"{CENTER} 2026H1 通报会"

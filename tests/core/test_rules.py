"""Screening checks, text similarity, vocabulary and deadlines, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision_core import (
    Attachment,
    ContactKind,
    NotAcceptedReason,
    ProblemType,
    RectificationTrack,
    Report,
    Sender,
    TimeLimits,
    china_calendar,
    due_after,
    parse_term,
    rectification_due,
    text_similarity,
    valid_id_number,
)
from supervision_core.model.clock import SHANGHAI
from supervision_core.rules.screening import (
    check_id_numbers,
    check_legal_procedure,
    check_petition,
    check_substance,
)


def report(text: str, attachments: tuple[Attachment, ...] = ()) -> Report:
    return Report(
        channel="t",
        external_id="1",
        center="banner",
        received_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        sender=Sender(ContactKind.EMAIL, "a@b.cn"),
        text=text,
        attachments=attachments,
    )


def test_substance_check() -> None:
    assert check_substance(report("")).reason is NotAcceptedReason.NO_SUBSTANCE  # type: ignore[union-attr]
    assert check_substance(report("？？！！。。")) is not None
    assert check_substance(report("窗口工作人员态度很差")) is None
    photo = Attachment("a.jpg", "image/jpeg", b"\xff\xd8")
    assert check_substance(report("", (photo,))) is None  # a photo can be the substance


def test_legal_and_petition_checks_give_evidence() -> None:
    legal = check_legal_procedure(report("此事我已向法院提起诉讼，请中心督促"))
    assert legal is not None and legal.reason is NotAcceptedReason.LEGAL_PROCEDURE
    assert "诉讼" in legal.evidence
    petition = check_petition(report("该问题已经在信访局登记"))
    assert petition is not None and petition.reason is NotAcceptedReason.PETITION
    assert check_legal_procedure(report("窗口办事慢")) is None


def test_id_number_check_masks_evidence_and_validates_check_digit() -> None:
    valid = "11010519491231002X"
    assert valid_id_number(valid)
    assert not valid_id_number("110105194912310021")
    proposal = check_id_numbers(report(f"申请人身份证{valid}被窗口复印留存"))
    assert proposal is not None and proposal.reason is NotAcceptedReason.CONFIDENTIAL
    assert valid not in proposal.evidence and "110105********002X" in proposal.evidence
    assert check_id_numbers(report("订单号110105194912310021")) is None


def test_similarity_compares_characters() -> None:
    a = "不动产登记窗口要求补交三次材料，没有一次性告知"
    b = "不动产登记窗口要求多次补交材料，没有做到一次性告知"
    c = "自助终端无法打印社保缴费证明"
    assert text_similarity(a, b) > 0.5
    assert text_similarity(a, c) < 0.2
    assert text_similarity(a, a) == 1.0
    assert text_similarity("", a) == 0.0


def test_parse_term_takes_code_or_chinese() -> None:
    assert parse_term(ProblemType, "黄牛") is ProblemType.BROKERS
    assert parse_term(ProblemType, "brokers") is ProblemType.BROKERS
    with pytest.raises(ValueError, match="可选"):
        parse_term(ProblemType, "排队")


def test_deadlines_follow_time_limits() -> None:
    cal = china_calendar()
    limits = TimeLimits()
    friday_evening = dt.datetime(2026, 2, 13, 18, 0, tzinfo=SHANGHAI)
    assert due_after(friday_evening, 1, cal, limits).due_on == dt.date(2026, 2, 14)
    # 23:30 UTC on 03-01 is already Monday 03-02 in Shanghai.
    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    assert due_after(late, 1, cal, limits).due_on == dt.date(2026, 3, 3)
    monday = dt.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    assert rectification_due(
        monday, RectificationTrack.IMMEDIATE, cal, limits, days=30
    ).due_on == dt.date(2026, 3, 3)
    assert rectification_due(monday, RectificationTrack.SCHEDULED, cal, limits).due_on == dt.date(
        2026, 3, 16
    )
    assert rectification_due(
        monday, RectificationTrack.SCHEDULED, cal, limits, days=3
    ).due_on == dt.date(2026, 3, 5)
    assert rectification_due(monday, RectificationTrack.EXPLAINED, cal, limits).due_on == dt.date(
        2026, 3, 9
    )
    counting = TimeLimits(count_start_day=True)
    assert due_after(monday, 1, cal, counting).due_on == dt.date(2026, 3, 2)


def test_time_limits_refuse_negative() -> None:
    with pytest.raises(ValueError, match="scheduled"):
        TimeLimits(scheduled=-1)

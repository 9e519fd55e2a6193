"""The unit's redaction pass: no identifier of the reporter survives, and the report still reads."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redaction_corpus import (
    CARD,
    DISPLAY_NAME,
    EMAILS,
    LETTER,
    MESSENGERS,
    NAME,
    PHONES,
    Case,
    cases,
    leaks,
)
from supervision_core import (
    SHANGHAI,
    ContactKind,
    Identity,
    Issue,
    Notice,
    Reporter,
    ReportHints,
    Sender,
    Supervisor,
    redact_for_unit,
    unit_view,
)
from supervision_core.rules.disclosure import unit_files, unit_notice
from supervision_core.rules.redaction import cut_quoted_and_signature

SUPERVISOR = Supervisor(
    id=7,
    name=NAME,
    center="wushenzhao",
    origin="township_hired",
    status="active",
    letter_number=LETTER,
    card_number=CARD,
    term_start=None,
    term_end=None,
    identities=(
        Identity(ContactKind.EMAIL, EMAILS[0]),
        *(Identity(ContactKind.PHONE, p) for p in PHONES),
        *(Identity(ContactKind.MESSENGER, m) for m in MESSENGERS),
    ),
)
REPORTER = Reporter.of(
    SUPERVISOR,
    [Sender(ContactKind.EMAIL, EMAILS[1], DISPLAY_NAME), Sender(ContactKind.REGISTER, "7", NAME)],
    colleagues=["王芳", NAME],
)


def test_the_reporter_holds_every_identifier_once() -> None:
    assert REPORTER.names == (NAME, DISPLAY_NAME)
    assert REPORTER.numbers == (LETTER, CARD)
    assert {i.value for i in REPORTER.contacts} == {*EMAILS, *PHONES, *MESSENGERS}
    assert REPORTER.colleagues == ("王芳",)  # the reporter is not their own colleague


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_no_identifier_of_the_reporter_survives(case: Case) -> None:
    redacted = redact_for_unit(case.text, REPORTER)
    assert leaks(redacted) == [], redacted
    for kept in case.keep:
        assert kept in redacted, (kept, redacted)
    for gone in case.gone:
        assert gone not in redacted, (gone, redacted)
    # A second pass changes nothing: what is left is the unit's text.
    assert redact_for_unit(redacted, REPORTER) == redacted


def test_the_corpus_does_leak_without_redaction() -> None:
    """The leak check finds what the corpus holds (else the test above could not fail)."""
    for case in cases():
        if case.name not in (
            "other-peoples-phones",
            "id-numbers",
            "phone-footer",
            "forged-deadline",
        ):
            assert leaks(case.text), case.name


def test_without_the_reporter_only_the_generic_patterns_apply() -> None:
    text = "巴特尔说：电话１３９－４８７７－２３４５，邮箱 bateer@example.cn，座机(0477)7123456。"
    assert (
        redact_for_unit(text)
        == "巴特尔说：电话【电话已隐去】，邮箱 【邮箱已隐去】，座机【电话已隐去】。"
    )
    assert (
        redact_for_unit(text, REPORTER)
        == "【监督员】说：电话【监督员】，邮箱 【监督员】，座机【监督员】。"
    )


def test_names_of_colleagues_are_hidden_whole_but_not_in_part() -> None:
    assert (
        redact_for_unit("我和王芳一起去的，王师傅接待。", REPORTER)
        == "我和【监督员】一起去的，王师傅接待。"
    )


def test_what_a_report_says_besides_stays_as_written() -> None:
    text = "２０２６年３月２日上午，在３号窗口，工作人员说“明天再来”。编号 wushenzhao-2026-00001。"
    assert redact_for_unit(text, REPORTER) == text


phone_spellings = st.builds(
    lambda prefix, seps, widths, phone: (
        prefix
        + "".join(
            (chr(ord(d) + 0xFEE0) if wide else d) + sep
            for d, sep, wide in zip(phone, seps, widths, strict=False)
        )
    ),
    st.sampled_from(["", "+86", "+86 ", "0086", "(+86)", "86", "+86-", "＋８６ "]),
    st.lists(st.sampled_from(["", "", "", " ", "-", "."]), min_size=11, max_size=11).map(
        lambda s: [*s[:10], ""]
    ),
    st.lists(st.booleans(), min_size=11, max_size=11),
    st.sampled_from(["13948772345", "15104775678", "18647773456"]),
)


@settings(max_examples=300, deadline=None)  # the machine's load is no failure
@given(phone_spellings, st.sampled_from(["电话", "联系", "打", "tel "]))
def test_no_digit_of_a_phone_survives_in_any_spelling(spelled: str, before: str) -> None:
    text = f"有事{before}{spelled}，谢谢配合"
    redacted = redact_for_unit(text)
    assert not any(ch.isdigit() for ch in redacted), (text, redacted)
    assert "【电话已隐去】" in redacted and redacted.endswith("，谢谢配合")
    if spelled.replace(" ", "").endswith("2345"):
        assert "【监督员】" in redact_for_unit(text, REPORTER)


def test_cutting_keeps_the_message_and_nothing_after_its_end() -> None:
    text = "窗口无人。\n\n-----Original Message-----\nFrom: x\n窗口有人"
    assert cut_quoted_and_signature(text) == "窗口无人。"
    assert cut_quoted_and_signature("谢谢") == "谢谢"  # a closing alone is the message
    assert cut_quoted_and_signature("第一段\n> 引用\n第二段") == "第一段\n第二段"


def _issue(**fields: object) -> Issue:
    values: dict[str, object] = {
        "id": 1,
        "number": "wushenzhao-2026-00001",
        "center": "wushenzhao",
        "report_id": 1,
        "supervisor_id": 7,
        "received_at": dt.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI),
        "subject": "巴特尔的反馈",
        "text": "我是巴特尔，电话13948772345。",
        "hints": ReportHints(venue="巴特尔家楼下的便民服务点（13948772345）"),
        "unit": "wushenzhao-window",
        "responsible_person": "其木格",
        "measures": "已联系巴特尔核实（139-4877-2345）",
        "evidence": "已回访 bateer@example.cn",
        "explanation": "巴老师反映的情况属实",
    }
    values.update(fields)
    return Issue(**values)  # type: ignore[arg-type]


def test_unit_view_redacts_every_text() -> None:
    view = unit_view(
        _issue(),
        REPORTER,
        progress=["已电话联系巴特尔 13948772345", ""],
        files=unit_files(["image/jpeg", "audio/ogg", "image/heic", "application/pdf"]),
    )
    texts = [
        view.text,
        view.hints.venue or "",
        view.measures or "",
        view.evidence or "",
        view.explanation or "",
        *view.progress,
    ]
    assert len(view.progress) == 1
    for text in texts:
        assert leaks(text) == [] and "【监督员】" in text, text
    assert [(f.filename, f.content_type, f.served) for f in view.files] == [
        ("附件1.jpg", "image/jpeg", True),
        ("附件2", "audio/ogg", False),
        ("附件3", "image/heic", False),
        ("附件4.pdf", "application/pdf", True),
    ]


def test_the_text_unit_copy_has_every_redacted_text_of_the_view() -> None:
    from supervision_core import unit_copy

    view = unit_view(_issue(), REPORTER, progress=["已电话联系巴特尔 13948772345"])
    copy = unit_copy(view, center_name="乌审召镇政务服务中心")
    assert "整改进展（1）" in copy and "已电话联系【监督员】" in copy
    assert leaks(copy) == []
    if view.evidence:
        assert "整改完成情况" in copy


def test_a_notice_to_a_unit_is_redacted_and_others_are_not() -> None:
    body = "问题描述：巴特尔反映窗口无人，电话13948772345"
    to_unit = Notice(
        key="k", center="c", recipient_kind="unit", recipient="u", subject="巴特尔", body=body
    )
    to_supervisor = Notice(
        key="k", center="c", recipient_kind="supervisor", recipient="7", subject="s", body=body
    )
    cleaned = unit_notice(to_unit, REPORTER)
    assert leaks(cleaned.subject + cleaned.body) == []
    assert cleaned.body == "问题描述：【监督员】反映窗口无人，电话【监督员】"
    assert unit_notice(to_supervisor, REPORTER) is to_supervisor


def test_a_thanks_ends_the_report_only_when_a_signature_follows() -> None:
    signed = "窗口无人。\n谢谢！\n巴特尔\n13948772345"
    assert cut_quoted_and_signature(signed) == "窗口无人。"
    more = "窗口无人。\n谢谢！\n另外，大厅空调也坏了。"
    assert cut_quoted_and_signature(more) == more
    assert cut_quoted_and_signature("窗口无人。\n\n此致\n敬礼！\n另外，空调坏了。") == "窗口无人。"


def test_the_public_hotline_is_not_a_personal_number() -> None:
    text = "热线电话12345一直占线，分机号 801，电话：7123456"
    assert redact_for_unit(text) == "热线电话12345一直占线，分机号 801，电话：【已隐去】"


def test_long_texts_are_read_once() -> None:
    """A pasted blob (base64, a run of digits) takes no longer than its length: no backtracking."""
    import time

    blob = ("QmF0ZWVyMTM5NDg3NzIzNDU" * 4000) + "1" * 20000 + "a." * 20000
    started = time.process_time()
    redact_for_unit(blob, REPORTER)
    assert time.process_time() - started < 10  # quadratic would take minutes

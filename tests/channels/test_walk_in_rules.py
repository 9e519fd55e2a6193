"""The walk-in form's rules as a plain function over submitted values (no web server)."""

from __future__ import annotations

import datetime as dt

import pytest

from channels.walk_in.form import FormChoices, Upload, validate_walk_in
from supervision_core import ContactKind, ProblemType

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
CHOICES = FormChoices(
    centers={"wushenzhao": "乌审召镇便民服务中心", "galutu": "嘎鲁图镇便民服务中心"},
    supervisors={7: ("巴特尔", "wushenzhao"), 8: ("王芳", "galutu")},
    units={("wushenzhao", "realty"): "不动产登记"},
    max_file_bytes=1000,
    max_files=2,
    today=dt.date(2026, 3, 2),
)
BASE = {
    "form_key": "a" * 24,
    "center": "wushenzhao",
    "reporter": "supervisor",
    "supervisor_id": "7",
    "mode": "visit",
    "description": "窗口无人",
}


def check(uploads=(), **fields):
    return validate_walk_in({**BASE, **fields}, list(uploads), CHOICES, received_at=NOW)


def test_a_complete_visit_is_a_report():
    report, errors = check(
        problem_type="slow", unit="realty", venue="一号窗口", uploads=[Upload("照片.jpg", JPEG)]
    )
    assert errors == {}
    assert report.channel == "walk_in" and report.external_id == "form:" + "a" * 24
    assert report.sender.kind is ContactKind.REGISTER and report.sender.value == "7"
    assert report.hints.problem_type is ProblemType.SLOW and report.hints.unit == "realty"
    assert report.subject == "来访"
    assert report.attachments[0].content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"center": "banner"}, "center", "请选择"),
        ({"supervisor_id": "8"}, "supervisor_id", "不属于所选中心"),
        ({"supervisor_id": "x"}, "supervisor_id", "请选择"),
        ({"reporter": ""}, "reporter", "请选择"),
        ({"reporter": "visitor"}, "visitor_name", "必填"),
        (
            {"reporter": "visitor", "visitor_name": "李四", "visitor_phone": "12"},
            "visitor_phone",
            "正确的手机号",
        ),
        (
            {"reporter": "visitor", "visitor_name": "李四", "visitor_phone": "1351234567x"},
            "visitor_phone",
            "正确的手机号",
        ),
        ({"mode": "fax"}, "mode", "来访或来信"),
        ({"mode": "letter", "letter_date": "3月1日"}, "letter_date", "年-月-日"),
        ({"mode": "letter", "letter_date": "2026-03-03"}, "letter_date", "不能晚于今天"),
        ({"mode": "letter", "letter_date": "2026-03-01"}, "scan", "扫描件"),
        ({"unit": "online"}, "unit", "不属于该中心"),
        ({"description": " \n "}, "description", "必填"),
        ({"description": "a\x00b"}, "description", "空字符"),
        ({"description": "长" * 5001}, "description", "5000"),
        ({"venue": "场" * 201}, "venue", "200"),
        ({"problem_type": "rude"}, "problem_type", "请从列表中选择"),
        ({"form_key": "short"}, "form_key", "表单已失效"),
    ],
)
def test_errors_name_the_field(fields, field, message):
    report, errors = check(**fields)
    assert report is None
    assert message in errors[field]


def test_files_are_checked_by_content_size_and_count():
    _, errors = check(uploads=[Upload("a.jpg", b"MZ\x90\x00 not a photo")])
    assert "不是允许的文件类型" in errors["files"]
    _, errors = check(uploads=[Upload("a.jpg", JPEG + b"\x00" * 1000)])
    assert "超过" in errors["files"]
    _, errors = check(uploads=[Upload("a.jpg", JPEG)] * 3)
    assert "最多 2 个" in errors["files"]


def test_a_letter_with_its_scan():
    report, errors = check(
        mode="letter", letter_date="2026-02-27", uploads=[Upload("C:\\扫描\\信.jpg", JPEG, "scan")]
    )
    assert errors == {}
    assert report.subject == "来信（写于 2026年02月27日）"
    assert report.attachments[0].filename == "信.jpg"  # the client's folders are dropped


def test_a_visitor_is_a_phone_sender():
    report, errors = check(
        reporter="visitor", visitor_name="李四", visitor_phone="+86 135-1234-5678"
    )
    assert errors == {}
    assert report.sender.kind is ContactKind.PHONE and report.sender.normalized == "13512345678"
    assert report.sender.display_name == "李四"


def test_text_is_kept_exactly():
    text = "  第一行\r\n\t<b>第二行</b>  "
    report, _ = check(description=text, venue=" 窗口 ")
    assert report.text == text and report.hints.venue == " 窗口 "

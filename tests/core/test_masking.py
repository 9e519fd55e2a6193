from __future__ import annotations

import pytest

from supervision_core import mask_id_number, mask_name, mask_personal_data, mask_phone


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138-1234-1234", "138****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("0086 13812341234", "138****1234"),
        ("0477-7654321", "047****4321"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_mask_id_number() -> None:
    assert mask_id_number("15062619900101123X") == "150626********123X"
    assert mask_id_number("123") == "***"


@pytest.mark.parametrize(
    ("raw", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("王", "王"), (" 李四 ", "李*")]
)
def test_mask_name(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


def test_mask_personal_data_in_text() -> None:
    text = "我的电话13812341234，身份证15062619900101123X，请联系。座机不变：2026年"
    masked = mask_personal_data(text)
    assert "13812341234" not in masked
    assert "138****1234" in masked
    assert "150626********123X" in masked
    assert masked.endswith("座机不变：2026年")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("电话１３８１２３４１２３４。", "电话138****1234。"),
        ("电话１３８－１２３４－１２３４，", "电话138****1234，"),
        ("139.1234.5678", "139****5678"),
        ("139 1234 5678", "139****5678"),
        ("(+86)13912345678", "139****5678"),
        ("8613912345678", "139****5678"),
        ("座机(0477)7654321", "座机047****4321"),
        ("座机（０４７７）７６５４３２１", "座机047****4321"),
        ("+86 477 7654321", "047****4321"),
        ("旧证150626900101123", "旧证150626*****1123"),
        ("证号 150626 19900101 123X", "证号 150626********123X"),
    ],
)
def test_mask_personal_data_in_every_spelling(raw: str, masked: str) -> None:
    assert mask_personal_data(raw) == masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-02 09:00 至 2026-03-16",
        "wushenzhao-2026-00001",
        "sha256 a13912345678b0c",
        "金额 1500 元，编号 12345",
        "，。、：（）【】全角标点不变",
    ],
)
def test_mask_personal_data_leaves_other_numbers_and_punctuation(text: str) -> None:
    assert mask_personal_data(text) == text

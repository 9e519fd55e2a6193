"""Masking of personal data wherever it is shown or exported (DOMAIN: confidentiality)."""

from __future__ import annotations

import re

__all__ = ["mask_id_number", "mask_name", "mask_personal_data", "mask_phone"]

_DIGITS = re.compile(r"\d")
# Mainland mobile numbers, optionally with +86/0086, and landlines with an area code.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:(?:\+|00)86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits: ``13812341234`` -> ``138****1234``.

    Separators and a country code are dropped first; a number too short to mask
    safely is masked whole rather than shown.
    """
    digits = "".join(_DIGITS.findall(phone))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 8:
        return "*" * len(digits) if digits else ""
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(id_number: str) -> str:
    """Keep the first six (region) and last four characters: ``150626********123X``."""
    value = id_number.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_name(name: str) -> str:
    """Keep the family name only: ``张三`` -> ``张*``, ``欧阳娜娜`` -> ``欧***``."""
    value = name.strip()
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1)


def mask_personal_data(text: str) -> str:
    """Mask every phone number and ID number found inside free text."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)

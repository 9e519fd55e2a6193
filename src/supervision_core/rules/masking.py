"""Masking of personal data wherever it is shown or exported (DOMAIN: confidentiality).

Numbers are found in every spelling people type: full-width digits (``１３９…``),
separated (``139-1234-5678``, ``139 1234 5678``, ``139.1234.5678``), with a country code
(``+86``, ``0086``, ``(+86)``), and landlines with their area code (``0477-1234567``,
``(0477)1234567``). The text is matched in a *folded* copy of the same length (full-width
digits, letters and signs made ASCII), so a match's place is also its place in the text
as written, and the rest of the text (Chinese punctuation included) is left as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "FoldedText",
    "fold",
    "mask_id_number",
    "mask_name",
    "mask_personal_data",
    "mask_phone",
]

_DIGITS = re.compile(r"\d")

# One character for one: full-width ASCII, the ideographic space and the dashes people
# type between digits. Never more or fewer characters, so spans stay where they were.
_FOLD_MAP = {
    **{chr(0xFF01 + i): chr(0x21 + i) for i in range(0x5E)},  # ！..～ -> !..~
    "\u3000": " ",
    "\u00a0": " ",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\ufe63": "-",
    "\u3002": ".",  # 。 in an address or a number typed on a Chinese keyboard
}
_FOLDABLE = re.compile("[" + "".join(_FOLD_MAP) + "]")
# Where a number may be spelled with folded characters: full-width digits, or a
# full-width sign or space beside a digit. Without any, a text is its own folded twin.
_SIGNS = "（）＋－．\u3000\u00a0\u2010-\u2014\u2212\ufe63\u3002"
_NUMBER_SPELLING = re.compile(f"[０-９]|[{_SIGNS}](?=\\d)|(?<=\\d)[{_SIGNS}]")

# A number starts with a digit, a bracket or a plus: checked first, so that the engine
# leaves every other position at once (a ledger export masks millions of texts).
_NOT_BEFORE = r"(?=[0-9(+])(?<![0-9A-Za-z])"
# A mainland mobile number: 11 digits from 13x to 19x, with a country code or not, and
# at most one separator (space, dash, dot) between any two digits.
MOBILE = re.compile(
    _NOT_BEFORE + r"(?:\(?(?:\+|00)?\s?86\)?[ \t-]?)?" + r"1[ \t.-]?[3-9](?:[ \t.-]?\d){9}(?![0-9])"
)
# A landline with its area code: 0477-1234567, (0477)1234567, 0477 12345678, or with
# the country code and without the area code's 0: +86 477 1234567.
LANDLINE = re.compile(
    _NOT_BEFORE
    + r"(?:\(0\d{2,3}\)|0\d{2,3}|(?:\+|00)\s?86[ \t-]?\(?[1-9]\d{1,2}\)?)"
    + r"[ \t-]?[1-9]\d{2,3}[ \t-]?\d{4}(?![0-9])"
)
# Resident ID numbers: 18 characters (the last may be X), written whole or 6-8-4; the
# older 15-digit form.
ID_NUMBER = re.compile(
    _NOT_BEFORE
    + r"(?:[1-9]\d{5}[ \t]?(?:19|20)\d{6}[ \t]?\d{3}[\dXx]|[1-9]\d{16}[\dXx]|[1-9]\d{14})"
    + r"(?![0-9A-Za-z])"
)


def fold(text: str) -> str:
    """``text`` with full-width ASCII and odd dashes and spaces made plain, one for one."""
    # re.sub over the few such characters: str.translate looks up every character.
    return _FOLDABLE.sub(lambda m: _FOLD_MAP[m.group()], text)


class FoldedText:
    """A text and its folded twin, changed together so that spans found in one fit both.

    Patterns are matched in :attr:`folded`; what a match is replaced by goes into both.
    With ``numbers_only``, a text in which no number is spelled with full-width digits or
    signs is not folded at all (the patterns look for numbers only).
    """

    def __init__(self, text: str, *, numbers_only: bool = False) -> None:
        self.text = text
        plain = numbers_only and not _NUMBER_SPELLING.search(text)
        self.folded = text if plain else fold(text)

    def sub(
        self,
        pattern: re.Pattern[str],
        replacement: str | Callable[[re.Match[str]], str],
        group: int | str = 0,
    ) -> None:
        """Replace each match's ``group`` (the whole match by default) in both texts."""
        texts: list[str] = []
        folded: list[str] = []
        last, changed = 0, False
        for match in pattern.finditer(self.folded):
            start, end = match.span(group)
            if start < 0:
                continue
            new = replacement if isinstance(replacement, str) else replacement(match)
            texts += [self.text[last:start], new]
            folded += [self.folded[last:start], new]
            last, changed = end, True
        if changed:
            self.text = "".join([*texts, self.text[last:]])
            self.folded = "".join([*folded, self.folded[last:]])


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits: ``13812341234`` -> ``138****1234``.

    Separators and a country code are dropped first; a number too short to mask
    safely is masked whole rather than shown.
    """
    digits = "".join(_DIGITS.findall(fold(phone)))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) in (12, 13):
        digits = digits[2:]
        if len(digits) == 10:  # a landline written +86 477 ...: its area code's 0 back
            digits = "0" + digits
    if len(digits) < 8:
        return "*" * len(digits) if digits else ""
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(id_number: str) -> str:
    """Keep the first six (region) and last four characters: ``150626********123X``."""
    value = "".join(fold(id_number).split())
    if len(value) <= 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_name(name: str) -> str:
    """Keep the family name only: ``张三`` -> ``张*``, ``欧阳娜娜`` -> ``欧***``."""
    value = name.strip()
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1)


# Seven digits close together (in any script, with signs between): no phone or ID number
# without them, and most texts of a ledger (dates, amounts, counts) have none.
_SEVEN_DIGITS = re.compile(f"\\d(?:[\\s().+\\-{_SIGNS}]{{0,3}}\\d){{6}}")
_PERSONAL = re.compile(
    "(?=[0-9(+])"
    f"(?:(?P<id>{ID_NUMBER.pattern})|(?P<mobile>{MOBILE.pattern})|(?P<landline>{LANDLINE.pattern}))"
)


def _mask(match: re.Match[str]) -> str:
    if match.group("id") is not None:
        return mask_id_number(match.group(0))
    return mask_phone(match.group(0))


def mask_personal_data(text: str) -> str:
    """Mask every phone number and ID number found inside free text, however it is written."""
    if not text or not _SEVEN_DIGITS.search(text):
        return text
    folded = FoldedText(text, numbers_only=True)
    folded.sub(_PERSONAL, _mask)
    return folded.text

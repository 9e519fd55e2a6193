"""Likeness of two reports' texts, for flagging possible duplicates.

Chinese has no spaces between words, so texts are compared as sets of character
bigrams (a common, dictionary-free measure for CJK near-duplicate detection),
after dropping punctuation and white space.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["bigrams", "text_similarity"]


_NOT_SIGNIFICANT = re.compile(r"[\W_]+")  # \w is letters and digits in every script


def _significant(text: str) -> str:
    return _NOT_SIGNIFICANT.sub("", unicodedata.normalize("NFKC", text).lower())


def bigrams(text: str) -> frozenset[str]:
    """The set of adjacent character pairs of ``text``'s letters and digits."""
    chars = _significant(text)
    if len(chars) < 2:
        return frozenset({chars}) if chars else frozenset()
    return frozenset([chars[i : i + 2] for i in range(len(chars) - 1)])


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' bigram sets: 0 (nothing shared) to 1 (same)."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))

"""Link codes: how a supervisor links a messenger account, as values.

The store (``store/messengers.py``) keeps only a code's hash; the code itself is shown once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import attrs

__all__ = ["LINK_CODE_ALPHABET", "LinkCode", "link_code_hash", "new_link_code"]

# No 0/O, 1/I/L: read aloud over the phone or typed from a slip of paper.
LINK_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_link_code(length: int = 8) -> str:
    """A random code of ``length`` characters from :data:`LINK_CODE_ALPHABET`."""
    return "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(length))


def link_code_hash(code: str) -> str:
    """What is stored of a code: its SHA-256, so the table never holds a usable code."""
    normalized = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalized.encode()).hexdigest()


@attrs.frozen
class LinkCode:
    """A code issued to a supervisor, shown once."""

    code: str
    supervisor_id: int
    expires_at: dt.datetime

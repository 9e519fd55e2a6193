"""No personal data in logs: a filter that masks every record before a handler writes it.

Logs go to files, journals and log collectors that more people read than the ledger's
staff, and they are kept longer. Whatever a record says (a library's own lines too,
aiosmtpd's ``sender: ...`` for one), phone numbers, ID numbers and e-mail addresses are
masked in it, its exception and its stack included.
"""

from __future__ import annotations

import logging
import re

from supervision_core.rules.masking import mask_personal_data

__all__ = ["PersonalDataFilter", "mask_log_text"]

# Any address-like text: the local part is what identifies a person.
_EMAIL_IN_TEXT = re.compile(r"([\w.%+-])[\w.%+-]*@([\w-]+(?:\.[\w-]+)+)")


def mask_log_text(text: str) -> str:
    """``text`` with phone numbers, ID numbers and e-mail addresses masked.

    ``bateer@example.cn`` becomes ``b***@example.cn``: the domain stays, to tell which
    server was involved.
    """
    return mask_personal_data(_EMAIL_IN_TEXT.sub(r"\1***@\2", text))


class PersonalDataFilter(logging.Filter):
    """A handler's filter that masks personal data in every record it lets through.

    Add it to a handler (``handler.addFilter(PersonalDataFilter())``), not to a logger:
    a handler's filters see the records of every logger below it, libraries' included.
    The message is masked, and each of its arguments (their shape kept, for formatters
    that unpack them), and its exception text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; always let it through."""
        if isinstance(record.args, tuple) and record.args:
            # Masked one by one, the arguments keep their shape: some formatters unpack
            # them (uvicorn's access log reads address, method, path... from args).
            record.msg = mask_log_text(str(record.msg))
            record.args = tuple(_masked_arg(a) for a in record.args)
            return self._mask_rest(record)
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its message
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = mask_log_text(message), None
        return self._mask_rest(record)

    @staticmethod
    def _mask_rest(record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_log_text(record.stack_info)
        return True


def _masked_arg(value: object) -> object:
    """A log argument masked, its type kept for numbers (``%d`` must still format it)."""
    if value is None or isinstance(value, int | float):
        return value
    return mask_log_text(value if isinstance(value, str) else str(value))

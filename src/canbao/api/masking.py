"""Personal numbers masked where the role does not need them: in lists, and always in logs.

An identity number keeps its region (6) and its last 4 characters, a phone its first 3 and
last 4 digits, a bank account its last 4: enough to tell two apart, not to use one.
"""

from __future__ import annotations

import logging
import re

#: Runs of 11 or more digits (identity numbers, phones, accounts) in a log line.
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{11,}[0-9Xx]?(?![0-9A-Za-z])")


def mask(text: str | None, keep_start: int, keep_end: int = 4) -> str | None:
    if text is None:
        return None
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]


def mask_certno(certno: str | None) -> str | None:
    return mask(certno, 6)


def mask_phone(phone: str | None) -> str | None:
    return mask(phone, 3)


def mask_account(account: str | None) -> str | None:
    return mask(account, 0)


def mask_numbers(text: str) -> str:
    """Every long number in a text masked (identity numbers in URLs of the access log)."""
    return _LONG_NUMBER.sub(lambda found: mask(found.group(0), 3) or "", text)


class MaskingFilter(logging.Filter):
    """Masks long numbers in every record's message and arguments (uvicorn's access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_numbers(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = mask_numbers(record.msg)
        return True

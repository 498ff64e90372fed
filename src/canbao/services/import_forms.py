"""The 登记表 as the files a clerk exchanges around an import (issue 9): the blank form to fill
in, and the error report of an import — the refused rows as they were in the file, in the
blank form's layout with a reason column, ready to be fixed and imported again.

Both are written from the columns the import reads (``adapters.registration_form.COLUMNS``):
the form's headers are the first header text of each field there, in that order, so a form
written here always reads back. The reason column (``REASON_HEADER``) is not one of them:
the import ignores it (``sheets.read_table`` lists it as an unknown column), so a fixed error
report is imported as it stands. Its rows keep the cells exactly as the clerk typed them (as
text), and its title row the uploaded file's (the enrollment year a title names stays).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Final

from canbao.adapters.registration_form import COLUMNS, REQUIRED, RowError
from canbao.adapters.sheets import read_table, write_xlsx
from canbao.policy import Policy

#: The form's fields, each once, in the order of ``COLUMNS``.
FIELDS: Final = tuple(dict.fromkeys(COLUMNS.values()))
#: The form's headers: the first (Chinese) header text of each field.
FORM_HEADERS: Final = tuple(
    next(text for text, field in COLUMNS.items() if field == name) for name in FIELDS
)
#: The error report's last column: why the row was not imported.
REASON_HEADER: Final = "错误原因"
#: The columns whose cells are text that Excel must not turn into numbers (an 18-digit number
#: typed into a General cell loses its last digits).
TEXT_FIELDS: Final = frozenset({"certno", "tel", "bank_acct", "insuplc_admdvs", "office_admdvs"})


def form_title(policy: Policy, region: str, year: int) -> str:
    """The form's title: the region and the enrollment year (the import reads the year)."""
    return f"{policy.region_name(region)}{year}年度城乡居民基本医疗保险新参保、变更、停保登记表"


def write_blank_form(path: Path, title: str) -> None:
    """The blank 登记表 (.xlsx): the title row, the headers, no rows."""
    write_xlsx(path, title, FORM_HEADERS, [], text_columns=_text_columns())


def write_error_report(source: Path, rejected: Iterable[RowError], path: Path) -> int:
    """The rows of ``source`` named in ``rejected``, in file order, with their reasons (each
    ``（列）原因``, joined by ``；``) in the last column; the title row of ``source`` (if any).
    Returns the number of rows written."""
    reasons: dict[int, list[str]] = {}
    for error in sorted(rejected, key=lambda e: (e.row, e.column or "")):
        column = f"（{error.column}）" if error.column else ""
        reasons.setdefault(error.row, []).append(column + error.reason)
    table = read_table(source, COLUMNS, REQUIRED)
    rows = (
        [*(row.cells.get(name, "") or None for name in FIELDS), "；".join(reasons[row.number])]
        for row in table.rows
        if row.number in reasons
    )
    title = table.titles[0] if table.titles else None
    headers = (*FORM_HEADERS, REASON_HEADER)
    return write_xlsx(path, title, headers, rows, text_columns=_text_columns())


def _text_columns() -> tuple[int, ...]:
    return tuple(index for index, name in enumerate(FIELDS) if name in TEXT_FIELDS)


__all__ = [
    "FIELDS",
    "FORM_HEADERS",
    "REASON_HEADER",
    "form_title",
    "write_blank_form",
    "write_error_report",
]

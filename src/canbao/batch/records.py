"""The enrollment-record exchange format of SPEC section 7, read into DuckDB or Spark.

One row per enrollment relation: ``rlts_id, psn_no, certno, psn_name, gend, brdy, insutype,
psn_type, insuplc_admdvs, psn_insu_stas, psn_clct_stas, begndate, enddate, places, flexible,
employee_continuous_months, identities, categories, entered_school_year``. ``places``,
``identities`` and ``categories`` are ``;``-separated codes (SPEC sections 2 and 6); dates are
``YYYY-MM-DD``; an open relation has an empty ``enddate``. CSV (UTF-8) or Parquet, by the
file's extension.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: Column → DuckDB type, in the order of SPEC section 7.
COLUMNS: Final[dict[str, str]] = {
    "rlts_id": "VARCHAR",
    "psn_no": "VARCHAR",
    "certno": "VARCHAR",
    "psn_name": "VARCHAR",
    "gend": "VARCHAR",
    "brdy": "DATE",
    "insutype": "VARCHAR",
    "psn_type": "VARCHAR",
    "insuplc_admdvs": "VARCHAR",
    "psn_insu_stas": "VARCHAR",
    "psn_clct_stas": "VARCHAR",
    "begndate": "DATE",
    "enddate": "DATE",
    "places": "VARCHAR",
    "flexible": "BOOLEAN",
    "employee_continuous_months": "INTEGER",
    "identities": "VARCHAR",
    "categories": "VARCHAR",
    "entered_school_year": "INTEGER",
}

#: The same columns as a Spark DDL schema string (``spark.read.schema(SPARK_SCHEMA)``).
SPARK_SCHEMA: Final[str] = ", ".join(
    f"{name} {'STRING' if kind == 'VARCHAR' else kind}" for name, kind in COLUMNS.items()
)

FORMATS: Final = (".csv", ".parquet")


class RecordsError(Exception):
    """A records file that cannot be read: its path and the reason, in Chinese."""


def file_format(path: Path) -> str:
    """``csv`` or ``parquet`` from the file's extension; anything else is a RecordsError."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise RecordsError(f"{path}：文件类型须为 .csv 或 .parquet，而不是“{suffix or '无扩展名'}”")
    return suffix[1:]

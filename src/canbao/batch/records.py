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
from typing import TYPE_CHECKING, Final

import duckdb

from canbao.certno.check import CHECK_CHARACTERS, WEIGHTS
from canbao.domain.codes import CATEGORIES, IDENTITIES, Scheme
from canbao.rules.duplicates import PLACE_NAMES

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

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


def check_character_sql(number: str) -> str:
    """The GB 11643 check character of the first 17 digits of SQL expression ``number``, in
    SQL that DuckDB and Spark both run (the weights and characters of canbao.certno.check)."""
    total = " + ".join(
        f"CAST(substr({number}, {position}, 1) AS INTEGER) * {weight}"
        for position, weight in enumerate(WEIGHTS, start=1)
    )
    return f"substr('{CHECK_CHARACTERS}', (({total}) % 11) + 1, 1)"


#: DuckDB's memory limit for a batch job (issue 7: ≤ 2 GB peak for the whole process).
MEMORY_LIMIT: Final = "1GB"
#: psn_clct_stas 1 (正常缴费): the contribution is paid (33号 二（四） "参保缴费状态正常").
PAYING: Final = "1"


class RecordsError(Exception):
    """A records file that cannot be read: its path and the reason, in Chinese."""


def file_format(path: Path) -> str:
    """``csv`` or ``parquet`` from the file's extension; anything else is a RecordsError."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise RecordsError(f"{path}：文件类型须为 .csv 或 .parquet，而不是“{suffix or '无扩展名'}”")
    return suffix[1:]


def spark_view(spark: SparkSession, path: Path, name: str = "records") -> None:
    """The records file at ``path`` as Spark's temporary view ``name``, typed by
    ``SPARK_SCHEMA`` (check it with :func:`load` first)."""
    reader = spark.read.schema(SPARK_SCHEMA)
    frame = (
        reader.option("header", True).option("dateFormat", "yyyy-MM-dd").csv(str(path))
        if file_format(path) == "csv"
        else reader.parquet(str(path))
    )
    frame.createOrReplaceTempView(name)


def output_format(path: Path) -> str:
    """``file_format`` of a file to be written; its folder must exist."""
    kind = file_format(path)
    if not path.parent.is_dir():
        raise RecordsError(f"{path}：输出文件夹 {path.parent} 不存在")
    return kind


#: Columns that must not be empty.
REQUIRED: Final = (
    "rlts_id",
    "certno",
    "insutype",
    "insuplc_admdvs",
    "psn_insu_stas",
    "psn_clct_stas",
    "begndate",
)
#: Codes a column may hold (SPEC sections 2 and 6); ``places``, ``identities`` and
#: ``categories`` hold ``;``-separated lists of them.
CODES: Final[dict[str, frozenset[str]]] = {
    "insutype": frozenset(s.insutype for s in Scheme),
    "psn_insu_stas": frozenset({"0", "1", "2", "3", "4"}),
    "psn_clct_stas": frozenset({"1", "2", "3"}),
    "gend": frozenset({"0", "1", "2", "9"}),
    "places": frozenset(PLACE_NAMES),
    "identities": frozenset(IDENTITIES),
    "categories": frozenset(CATEGORIES),
}
_LISTS: Final = ("places", "identities", "categories")
_KINDS: Final = {"DATE": "日期（YYYY-MM-DD）", "BOOLEAN": "是否（true/false）", "INTEGER": "整数"}


def bound(con: duckdb.DuckDBPyConnection, spill: Path, memory: str = MEMORY_LIMIT) -> None:
    """Bound a DuckDB connection's memory; what does not fit spills to ``spill``."""
    con.execute(f"SET memory_limit = '{memory}'")
    con.execute(f"SET temp_directory = '{quoted(spill)}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")


def load(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Check the records file at ``path``, make it the view ``records`` (typed as
    ``COLUMNS``) and return how many records it has. A missing or unreadable file, a missing
    column, or a bad value is a RecordsError naming the file, the row (CSV: the line; Parquet:
    the record's number) and the column."""
    kind = file_format(path)
    if not path.is_file():
        raise RecordsError(f"{path}：文件不存在或不可读")
    source = (
        f"read_csv('{quoted(path)}', header = true, all_varchar = true, auto_detect = true)"
        if kind == "csv"
        else f"read_parquet('{quoted(path)}')"
    )
    try:
        found = {
            str(row[0]): str(row[1])
            for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        }
    except duckdb.Error as error:
        raise RecordsError(f"{path}：无法读取（{_first_line(error)}）") from error
    missing = [name for name in COLUMNS if name not in found]
    if missing:
        raise RecordsError(f"{path}：缺少列 {'、'.join(missing)}")
    # A column typed as COLUMNS says is used as it is; any other is read as text and checked.
    text = ", ".join(
        name if found[name] in (kind, "VARCHAR") else f"CAST({name} AS VARCHAR) AS {name}"
        for name, kind in COLUMNS.items()
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW records_text AS SELECT {text} FROM {source}")
    checks = _checks(found)
    try:
        found_rows = con.execute(
            f"SELECT count(*), bool_or({' OR '.join(f'({c})' for _, c, _ in checks)}) "
            "FROM records_text"
        ).fetchone()
        if found_rows and found_rows[1]:
            _locate(con, path, kind, checks)
    except duckdb.Error as error:
        raise RecordsError(f"{path}：无法读取（{_first_line(error)}）") from error
    typed = ", ".join(
        name if found[name] == kind else f"CAST({name} AS {kind}) AS {name}"
        for name, kind in COLUMNS.items()
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW records AS SELECT {typed} FROM records_text")
    return int(found_rows[0]) if found_rows else 0


def _checks(found: dict[str, str]) -> list[tuple[str, str, str]]:
    """(column, SQL that is true on a bad row, the reason in Chinese) over ``records_text``."""
    checks = [
        (
            name,
            f"{name} IS NULL" if found[name] == COLUMNS[name] else f"coalesce({name}, '') = ''",
            "不能为空",
        )
        for name in REQUIRED
    ]
    for name, kind in COLUMNS.items():
        if kind != "VARCHAR" and found[name] != kind:
            checks.append(
                (
                    name,
                    f"{name} IS NOT NULL AND TRY_CAST({name} AS {kind}) IS NULL",
                    f"应为{_KINDS[kind]}",
                )
            )
    checks.append(
        (
            "insuplc_admdvs",
            "length(insuplc_admdvs) <> 6 OR ltrim(insuplc_admdvs, '0123456789') <> ''",
            "应为6位行政区划代码",
        )
    )
    for name, codes in CODES.items():
        allowed = ", ".join(f"'{code}'" for code in sorted(codes))
        if name in _LISTS:
            bad = f"NOT list_has_all([{allowed}, ''], string_split(replace({name}, ' ', ''), ';'))"
        else:
            bad = f"{name} NOT IN ({allowed})"
        checks.append(
            (
                name,
                f"coalesce({name}, '') <> '' AND {bad}",
                f"代码不在 {'、'.join(sorted(codes))} 之中",
            )
        )
    checks.append(
        (
            "employee_continuous_months",
            "TRY_CAST(employee_continuous_months AS INTEGER) < 0",
            "不能为负数",
        )
    )
    checks.append(
        (
            "enddate",
            "TRY_CAST(enddate AS DATE) < TRY_CAST(begndate AS DATE)",
            "结束日期早于开始日期",
        )
    )
    return checks


def _locate(
    con: duckdb.DuckDBPyConnection, path: Path, kind: str, checks: list[tuple[str, str, str]]
) -> None:
    """Raise the RecordsError of the first bad row."""
    flags = ", ".join(f"({sql}) AS c{i}" for i, (_, sql, _) in enumerate(checks))
    row = con.execute(
        f"SELECT * FROM (SELECT row_number() OVER () AS n, {', '.join(COLUMNS)}, {flags} "
        f"FROM records_text) WHERE {' OR '.join(f'c{i}' for i in range(len(checks)))} "
        "ORDER BY n LIMIT 1"
    ).fetchone()
    assert row is not None
    number = int(row[0])
    values = dict(zip(COLUMNS, row[1:], strict=False))
    flagged = row[1 + len(COLUMNS) :]
    column, _, reason = next(c for c, hit in zip(checks, flagged, strict=True) if hit)
    where = f"第{number + 1}行" if kind == "csv" else f"第{number}条记录"
    value = values[column]
    shown = f"“{value}”" if value is not None else "空"
    raise RecordsError(f"{path}：{where}，列 {column}：{reason}（值为{shown}）")


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def quoted(path: Path) -> str:
    """The path as the inside of an SQL string literal."""
    return str(path).replace("'", "''")

"""Helpers of the batch tests: records files written from plain rows, output files read back."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb

from canbao.batch.records import COLUMNS


def record(rlts_id: str, certno: str, **values: Any) -> dict[str, Any]:
    """A section-7 record: a normal, paid resident record at 440783 from 2024-01-01, open."""
    row: dict[str, Any] = {name: "" for name in COLUMNS}
    row.update(
        rlts_id=rlts_id,
        psn_no=f"P{certno}",
        certno=certno,
        psn_name="张三",
        gend="1",
        brdy="1990-01-01",
        insutype="390",
        psn_type="1501",
        insuplc_admdvs="440783",
        psn_insu_stas="1",
        psn_clct_stas="1",
        begndate="2024-01-01",
        flexible="false",
        employee_continuous_months="0",
    )
    row.update(
        {
            k: "" if v is None else str(v).lower() if isinstance(v, bool) else v
            for k, v in values.items()
        }
    )
    return row


def write_records(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``rows`` as a records file: CSV directly, Parquet through DuckDB."""
    text = path.with_suffix(".csv")
    with text.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    if path.suffix == ".parquet":
        casts = ", ".join(f"CAST(NULLIF({c}, '') AS {t}) AS {c}" for c, t in COLUMNS.items())
        duckdb.execute(
            f"COPY (SELECT {casts} FROM read_csv('{text}', all_varchar = true)) "
            f"TO '{path}' (FORMAT parquet)"
        )
    return path


def read_output(path: Path) -> list[dict[str, Any]]:
    """The rows of a dedup output file, in the file's order, as dicts."""
    source = f"read_csv('{path}', all_varchar = true)" if path.suffix == ".csv" else f"'{path}'"
    con = duckdb.connect()
    cursor = con.execute(f"SELECT * FROM {source}")
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

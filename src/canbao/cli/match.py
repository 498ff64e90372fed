"""``canbao match``: a department roster against the registry (数据对碰, T4)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from canbao.cli.output import fail, print_json

EPILOG = (
    "[bold]Examples[/bold]\n\n"
    "  canbao match 低保名单.xlsx --json\n\n"
    "  canbao match 学生名单.csv --xlsx 对碰结果.xlsx --as-of 2022-12-31\n\n"
    "  canbao match roster.csv --records records.parquet --engine spark --json\n\n"
    "Statuses: enrolled, not_enrolled, disagrees, invalid_id, matched_by_name, ambiguous "
    "(docs/adr/0009-roster-linkage.md).\n\n"
    "[bold]Exit codes[/bold]: 0 matched (every status is a result, not a failure); "
    "1 unexpected error or Spark cannot start; 2 the roster or records file cannot be read."
)

#: The .xlsx report's headers (行号 is the roster's row as the clerk sees it).
XLSX_HEADERS = ("行号", "身份证号码", "对碰结果", "个人编号", "说明")
#: 对碰结果 in the .xlsx report.
STATUS_NAMES = {
    "enrolled": "已参保",
    "not_enrolled": "未参保",
    "disagrees": "信息不一致",
    "invalid_id": "证件号码无效",
    "matched_by_name": "按姓名匹配",
    "ambiguous": "无法确定",
}


def match(
    roster: Annotated[
        Path, typer.Argument(help="The roster (.xlsx or .csv, UTF-8 or GBK).", show_default=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Write the rows to this .xlsx file.")
    ] = None,
    records: Annotated[
        Path | None,
        typer.Option("--records", help="Match against a section-7 records file instead."),
    ] = None,
    engine: Annotated[
        Literal["duckdb", "spark"], typer.Option("--engine", help="duckdb or spark.")
    ] = "duckdb",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day of matching, YYYY-MM-DD (default today).")
    ] = None,
) -> None:
    """Match a department roster (民政, 教育, 公安 …) against the registry: who is enrolled,
    who is not or left (断保/停保), whose data disagree; rows without a valid ID are linked by
    name and birth date."""
    from canbao.adapters.sheets import write_xlsx
    from canbao.batch.match import MatchError, match_file
    from canbao.batch.spark import SparkUnavailable
    from canbao.config import settings

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(f"--as-of 应为 YYYY-MM-DD 格式的日期，而不是“{as_of}”")
    try:
        report = match_file(
            roster,
            database_url=None if records else settings().url(),
            records=records,
            engine=engine,
            as_of=day,
        )
    except MatchError as error:
        fail(str(error))
    except SparkUnavailable as error:
        fail(str(error), code=1)
    if xlsx is not None:
        write_xlsx(
            xlsx,
            f"数据对碰结果：{roster.name}",
            XLSX_HEADERS,
            ((r.row, r.certno, STATUS_NAMES[r.status], r.psn_no, r.details) for r in report.rows),
        )
    if as_json:
        print_json(report.as_json())
        return
    counts = report.counts()
    sys.stdout.write(
        "，".join(f"{STATUS_NAMES[status]} {count} 行" for status, count in counts.items()) + "\n"
    )

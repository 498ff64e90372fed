"""``canbao dedup`` and ``canbao synth``: the batch jobs over enrollment-record files (issue 7)."""

from __future__ import annotations

import dataclasses
import datetime
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from canbao.cli.output import EXIT_CODES, fail, print_json

DEDUP_EPILOG = (
    "[bold]Examples[/bold]\n\n  canbao synth --persons 100000 records.parquet\n\n"
    "  canbao dedup records.parquet duplicates.csv --as-of 2026-01-01\n\n"
    "  canbao dedup records.csv duplicates.parquet --engine spark --json\n\n" + EXIT_CODES
)
SYNTH_EPILOG = (
    "[bold]Examples[/bold]\n\n  canbao synth --persons 1000 records.csv\n\n"
    "  canbao synth --persons 87500000 records.parquet   (about 10^8 records)\n\n" + EXIT_CODES
)


def _progress() -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )


def _plain(value: Any) -> Any:
    return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(value).items()}


def dedup(
    source: Annotated[
        Path, typer.Argument(help="Records file (.csv or .parquet, SPEC section 7).")
    ],
    output: Annotated[Path, typer.Argument(help="Output file (.csv or .parquet).")],
    engine: Annotated[
        str, typer.Option("--engine", help="duckdb (one machine) or spark (local mode).")
    ] = "duckdb",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM-DD: the day of the clean-up (policy year); today."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Find every duplicate enrollment group (D1) and decide it as `canbao decide` would
    (D2–D6): one output row per record of every group — rlts_id, certno, group_id, type,
    action (keep/terminate/suspend/awaiting_consent, empty where the documents leave it open),
    subsidy_deduction, notify_region, rules, status (decided/policy_gap)."""
    from canbao.batch import dedup as job
    from canbao.batch.records import RecordsError
    from canbao.batch.spark import SparkUnavailable

    if engine not in ("duckdb", "spark"):
        fail(f"--engine 须为 duckdb 或 spark，而不是“{engine}”")
    day = None
    if as_of is not None:
        try:
            day = datetime.date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of 须为 YYYY-MM-DD 格式的日期，而不是“{as_of}”")
    with _progress() as bar:
        task = bar.add_task(job.STEPS[0], total=len(job.STEPS))

        def tell(step: str, done: int, total: int) -> None:
            suffix = f"（{done}/{total} 种情形）" if total else ""
            bar.update(task, description=step + suffix, completed=job.STEPS.index(step))

        try:
            result = job.dedup(
                source,
                output,
                engine="spark" if engine == "spark" else "duckdb",
                as_of=day,
                progress=tell,
            )
        except RecordsError as error:
            fail(str(error))
        except SparkUnavailable as error:
            fail(str(error), code=1)
    if json_out:
        print_json(_plain(result))
        return
    actions = "，".join(f"{name} {n}" for name, n in result.actions.items())
    sys.stdout.write(
        f"已写出 {result.output}：{result.records:,} 条记录中 {result.groups:,} 组重复参保，"
        f"{result.rows:,} 行（{actions}）；其中 {result.gaps:,} 组文件未规定（policy_gap）；"
        f"{result.engine}，{result.seconds:.1f} 秒\n"
    )


def synth(
    output: Annotated[Path, typer.Argument(help="Output file (.csv or .parquet).")],
    persons: Annotated[int, typer.Option("--persons", min=1, help="How many persons.")] = 1000,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Write synthetic enrollment records (SPEC section 7) with known duplicates of every kind
    D1–D6 tells apart, and records that are not duplicates (continuations, suspended or unpaid
    records); valid ID numbers; the same file for the same --persons on every run."""
    from canbao.batch import synth as job
    from canbao.batch.records import RecordsError

    with _progress() as bar:
        bar.add_task("生成记录", total=None)
        try:
            result = job.synth(persons, output)
        except RecordsError as error:
            fail(str(error))
    if json_out:
        print_json(_plain(result))
        return
    sys.stdout.write(f"已写出 {result.output}：{result.persons:,} 人，{result.records:,} 条记录\n")

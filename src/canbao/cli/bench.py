"""``canbao bench``: measurements, printed as a table and written to docs/benchmarks.md."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from canbao import bench

app = typer.Typer(
    help="Benchmarks: figures with the machine's size (docs/benchmarks.md).",
    epilog="[bold]Example[/bold]: canbao bench decide --cases 2000 --cli-cases 2000\n\n"
    "[bold]Exit codes[/bold]: 0 measured; 1 failure; 2 usage.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


@app.command(
    "decide",
    epilog="[bold]Examples[/bold]\n\n  canbao bench decide\n\n"
    "  canbao bench decide --cases 200 --cli-cases 200\n\n"
    "  canbao bench decide --write   (update docs/benchmarks.md)\n\n"
    "[bold]Exit codes[/bold]: 0 measured; 1 the scenario files are missing or the command "
    "line did not answer every case.",
)
def decide(
    cases: Annotated[
        int, typer.Option(min=1, help="Cases decided in process (per path).")
    ] = 20_000,
    cli_cases: Annotated[
        int, typer.Option(min=1, help="Cases in the JSON list fed to one canbao decide.")
    ] = 10_000,
    write: Annotated[bool, typer.Option("--write", help="Update the benchmarks document.")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks document --write updates.")] = bench.ROOT
    / "docs"
    / "benchmarks.md",
) -> None:
    """Decisions per second over the scenario mix.

    The mix: the well-formed cases of tests/rules/*/*.json and examples/, cycled. In process
    through the contract and through the engine alone (facts built beforehand), and through
    the command line.
    """
    report = bench.bench_decide(cases, cli_cases)
    size = bench.machine()
    table = Table(
        title=f"canbao bench decide — {size['nproc']} processors, {size['memory']}, "
        f"mix of {report.mix} cases"
    )
    table.add_column("measure")
    for column in ("cases", "seconds", "decisions/s"):
        table.add_column(column, justify="right")
    for row in bench.rows(report):
        table.add_row(*row)
    Console(width=120).print(table)
    if write:
        bench.write(doc, bench.markdown(report, datetime.date.today(), size))
        Console(width=120).print(f"written: {doc}")


@app.command(
    "registry",
    epilog="[bold]Examples[/bold]\n\n  canbao bench registry\n\n"
    "  canbao bench registry --persons 2000 --rows 200\n\n"
    "  canbao bench registry --write   (update docs/benchmarks.md)\n\n"
    "[bold]Exit codes[/bold]: 0 measured; 1 PostgreSQL could not be started, or a failure.",
)
def registry(
    persons: Annotated[
        int, typer.Option(min=10, help="Persons of the demo population (assessment, lookups).")
    ] = 1_000_000,
    rows: Annotated[int, typer.Option(min=1, help="Rows of the registration file.")] = 100_000,
    write: Annotated[bool, typer.Option("--write", help="Update the benchmarks document.")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks document --write updates.")] = bench.ROOT
    / "docs"
    / "benchmarks.md",
) -> None:
    """The registry on a private PostgreSQL server: registration import rows/s (CSV, .xlsx)
    against a bare bulk insert, yearly assessment persons/s against a bare INSERT … SELECT, and
    person show p50/p99 against a primary-key lookup."""
    import tempfile

    from canbao import bench_registry
    from canbao.adapters.postgres_server import ServerError
    from canbao.cli.output import fail

    console = Console(width=160)
    size = bench.machine()
    with tempfile.TemporaryDirectory(prefix="canbao-bench-") as folder:
        try:
            figures = bench_registry.bench_registry(
                persons, rows, Path(folder), lambda step: console.print(f"… {step}", style="dim")
            )
        except ServerError as error:
            fail(str(error), code=1)
    table = Table(
        title=f"canbao bench registry — {size['nproc']} processors, {size['memory']}, "
        f"{persons:,} persons, {rows:,} rows"
    )
    for column in ("measure", "n", "measured", "baseline, same run", "note"):
        table.add_column(column, justify="right" if column == "n" else "left")
    for row in bench_registry.rows_of(figures):
        table.add_row(*row)
    console.print(table)
    if write:
        section = bench_registry.markdown(figures, persons, rows, datetime.date.today(), size)
        bench.write(doc, section, bench_registry.BEGIN, bench_registry.END)
        console.print(f"written: {doc}")


@app.command(
    "api",
    epilog="[bold]Examples[/bold]\n\n  canbao bench api\n\n"
    "  canbao bench api --persons 2000 --requests 500\n\n"
    "  canbao bench api --write   (update docs/benchmarks.md)\n\n"
    "[bold]Exit codes[/bold]: 0 measured; 1 PostgreSQL or the server could not be started.",
)
def api(
    persons: Annotated[
        int, typer.Option(min=10, help="Persons of the demo population.")
    ] = 1_000_000,
    requests: Annotated[int, typer.Option(min=100, help="Requests per route.")] = 20_000,
    concurrency: Annotated[int, typer.Option(min=1, help="Connections at once.")] = 8,
    write: Annotated[bool, typer.Option("--write", help="Update the benchmarks document.")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks document --write updates.")] = bench.ROOT
    / "docs"
    / "benchmarks.md",
) -> None:
    """The service under load on a private PostgreSQL server: the status query's throughput
    and p99 latency against a minimal endpoint of the same server, from a loopback generator."""
    from canbao import bench_api
    from canbao.adapters.postgres_server import ServerError
    from canbao.cli.output import fail

    console = Console(width=160)
    size = bench.machine()
    try:
        status, minimal = bench_api.bench_api(
            persons, requests, concurrency, lambda step: console.print(f"… {step}", style="dim")
        )
    except (ServerError, RuntimeError) as error:
        fail(str(error), code=1)
    table = Table(
        title=f"canbao bench api — {size['nproc']} processors, {size['memory']}, "
        f"{persons:,} persons, {concurrency} connections"
    )
    for column in ("route", "requests", "requests/s", "p50 ms", "p99 ms", "server CPU ms"):
        table.add_column(column, justify="left" if column == "route" else "right")
    for row in bench_api.rows_of(status, minimal):
        table.add_row(*row)
    console.print(table)
    if write:
        section = bench_api.markdown(
            status, minimal, persons, concurrency, datetime.date.today(), size
        )
        bench.write(doc, section, bench_api.BEGIN, bench_api.END)
        console.print(f"written: {doc}")


@app.command(
    "batch",
    epilog="[bold]Examples[/bold]\n\n  canbao bench batch\n\n"
    "  canbao bench batch --sizes 1000000,10000000 --spark-size 1000000\n\n"
    "  canbao bench batch --write   (update docs/benchmarks.md)\n\n"
    "[bold]Exit codes[/bold]: 0 measured; 1 a measurement failed.",
)
def batch(
    sizes: Annotated[
        str, typer.Option(help="Record counts for DuckDB, comma-separated.")
    ] = "1000000,10000000,100000000",
    spark_size: Annotated[
        int, typer.Option(min=0, help="Record count for Spark local mode (0: none).")
    ] = 1_000_000,
    folder: Annotated[
        Path, typer.Option(help="Where the generated records files are kept and reused.")
    ] = Path("/tmp/canbao-bench"),
    roster_rows: Annotated[
        int, typer.Option(min=0, help="Roster rows of the matching section (0: none).")
    ] = 1_000_000,
    match_records: Annotated[
        int, typer.Option(min=1, help="Records the roster is matched against.")
    ] = 10_000_000,
    whatif_persons: Annotated[
        int, typer.Option(min=0, help="Persons of the what-if's registry (0: none).")
    ] = 1_000_000,
    write: Annotated[bool, typer.Option("--write", help="Update the benchmarks document.")] = False,
    doc: Annotated[Path, typer.Option(help="The benchmarks document --write updates.")] = bench.ROOT
    / "docs"
    / "benchmarks.md",
) -> None:
    """Batch jobs: dedup at each size against a bare DuckDB overlap self-join on the same file
    (ratio), growth, peak memory, Spark local mode, and the national run estimated."""
    from canbao import bench_batch
    from canbao.cli.output import fail

    try:
        counts = tuple(int(s.replace("_", "")) for s in sizes.split(",") if s.strip())
    except ValueError:
        fail(f"--sizes 须为以逗号分隔的记录数，而不是“{sizes}”")
    console = Console(width=160)
    size = bench.machine()
    settings = bench_batch.Settings(
        counts,
        spark_size,
        folder,
        lambda step: console.print(f"… {step}", style="dim"),
        roster_rows,
        match_records,
        whatif_persons,
    )
    try:
        figures = bench_batch.bench_batch(settings)
    except RuntimeError as error:
        fail(str(error), code=1)
    table = Table(title=f"canbao bench batch — {size['nproc']} processors, {size['memory']}")
    for column in ("measure", "records", "time", "peak memory", "baseline, same run", "ratio"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_column("note")
    for row in bench_batch.rows_of(figures):
        table.add_row(*row)
    console.print(table)
    for line in bench_batch.estimate(figures, int(size["nproc"])):
        console.print(line)
    if write:
        section = bench_batch.markdown(figures, settings, datetime.date.today(), size)
        bench.write(doc, section, bench_batch.BEGIN, bench_batch.END)
        console.print(f"written: {doc}")

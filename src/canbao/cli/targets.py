"""``canbao targets``: target tables, coverage and progress reports (W9; T1–T3)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from canbao.cli.output import EXIT_CODES, FAILURE, fail, print_json

app = typer.Typer(
    help="参保目标与进度：目标表核对与导入、参保率、每周进度报表、义务教育学生参保月度调度。",
    epilog="[bold]Examples[/bold]\n\n  canbao targets check 目标数.xlsx\n\n"
    "  canbao targets import 目标数.csv --year 2022\n\n"
    "  canbao targets progress --year 2022 --json\n\n"
    "  canbao targets report --week-of 2021-11-04 进度.xlsx\n\n"
    "  canbao targets students --month 2021-11\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)

File = Annotated[Path, typer.Argument(help="The target table (.xlsx or CSV).", show_default=False)]
Json = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


@app.command()
def check(file: File) -> None:
    """Check every subtotal and total against the sum of its parts (T1): one line per
    disagreement and exit 1, or "no disagreements" and exit 0."""
    from canbao.services import targets

    try:
        found = targets.check(targets.read_targets(file))
    except targets.TargetError as error:
        fail(f"{file.name}：{error}")
    if not found:
        sys.stdout.write("no disagreements\n")
        return
    sys.stdout.write("".join(d.line() + "\n" for d in found))
    raise typer.Exit(FAILURE)


@app.command("import")
def import_(
    file: File,
    year: Annotated[int, typer.Option("--year", help="The enrollment year of the targets.")],
    as_json: Json = False,
) -> None:
    """Store the targets per region for the year; a re-import of the same table changes nothing."""
    from canbao.adapters.database import Actor, unit_of_work
    from canbao.config import settings
    from canbao.services import targets

    try:
        with unit_of_work(settings().url(), Actor(settings().actor, file.name)) as uow:
            report = targets.import_targets(uow, file, year)
    except targets.TargetError as error:
        fail(f"{file.name}：{error}")
    if as_json:
        print_json(report.as_json())
        return
    state = "未变化" if report.unchanged else "已导入"
    sys.stdout.write(f"{state}：{report.rows} 行，{len(report.regions)} 个地区\n")
    sys.stdout.write("".join(f"核对不符：{d.line()}\n" for d in report.disagreements))


@app.command()
def progress(
    year: Annotated[int, typer.Option("--year", help="The enrollment year.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The date (YYYY-MM-DD); today by default.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Coverage per region against its target (T1)."""
    from canbao.adapters.database import ready
    from canbao.config import settings
    from canbao.services import targets

    day = _date(as_of) if as_of else None
    with ready(settings().url()).connect() as connection:
        report = targets.progress(connection, year, day)
    if as_json:
        print_json(report.as_json())
        return
    sys.stdout.write(f"{year}年度参保进度（截至{report.as_of.isoformat()}）\n")
    for r in report.regions:
        coverage = "—" if r.coverage is None else f"{r.coverage:.2%}"
        sys.stdout.write(
            f"{r.name} {r.region}：目标 {r.target if r.target is not None else '—'}，"
            f"已参保 {r.enrolled}，已核定 {r.assessed}，参保率 {coverage}\n"
        )


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="The .xlsx file to write.", show_default=False)],
    week_of: Annotated[str, typer.Option("--week-of", help="A date in the report's week.")],
) -> None:
    """The weekly progress report (T2) as .xlsx with charts."""
    from canbao.adapters.database import ready
    from canbao.config import settings
    from canbao.services import targets

    if out.suffix.lower() != ".xlsx":
        fail(f"文件应为 .xlsx：{out.name}")
    day = _date(week_of)
    try:
        with ready(settings().url()).connect() as connection:
            weekly = targets.weekly(connection, day)
        targets.write_weekly(weekly, out)
    except targets.TargetError as error:
        fail(str(error))
    except OSError as error:
        fail(f"无法写入 {out}：{error.strerror}", code=FAILURE)
    sys.stdout.write(f"{weekly.name} {weekly.day.isoformat()} 参保进度报表：{out}\n")


@app.command()
def students(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    as_json: Json = False,
) -> None:
    """Compulsory-education students per district and how many are enrolled (T3)."""
    from canbao.adapters.database import ready
    from canbao.config import settings
    from canbao.services import targets

    try:
        with ready(settings().url()).connect() as connection:
            found = targets.students(connection, month)
    except targets.TargetError as error:
        fail(str(error))
    if as_json:
        print_json(found.as_json())
        return
    sys.stdout.write(f"{month} 九年制义务教育学生参保情况（截至{found.as_of.isoformat()}）\n")
    for d in found.districts:
        rate = "—" if d.rate is None else f"{d.rate:.2%}"
        sys.stdout.write(f"{d.name} {d.region}：学生 {d.students}，已参保 {d.enrolled}，{rate}\n")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"日期应为 YYYY-MM-DD，得到 {text!r}")

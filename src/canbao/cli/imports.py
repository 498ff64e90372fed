"""``canbao import``: department files into the registry."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from canbao.cli.output import EXIT_CODES, fail, print_json

app = typer.Typer(
    help="Import department files (.xlsx or .csv, UTF-8 or GBK) into the registry.",
    epilog="[bold]Example[/bold]: canbao import registrations 登记表.xlsx --json\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)


@app.command(
    epilog="[bold]Exit codes[/bold]: 0 imported (rejected rows are listed, not a failure); "
    "1 unexpected error; 2 the file cannot be read, or the year or office is invalid."
)
def registrations(
    file: Annotated[Path, typer.Argument(help="登记表 (.xlsx or .csv).", show_default=False)],
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            help="Enrollment year of every row (default: from 受理时间).",
            min=1900,
            max=2999,
        ),
    ] = None,
    office: Annotated[
        str | None,
        typer.Option(
            "--office",
            help="受理机构: region code of the office that took the rows without a 受理机构 "
            "column (全市通办, K5; default: each enrollment region's own agency).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """新参保、变更、停保 rows of the 登记表, each in its own transaction; re-importing the same
    file accepts nothing new."""
    from rich.progress import Progress

    from canbao.cli.registry import region_known
    from canbao.config import settings
    from canbao.services.imports import SheetError, import_registrations

    if office is not None and not region_known(office):
        fail(f"--office 应为6位医保区划代码，得到 {office!r}")
    url = settings().url()
    try:
        if sys.stderr.isatty():
            with Progress(transient=True) as bar:
                task = bar.add_task("导入登记表", total=None)
                report = import_registrations(
                    url,
                    file,
                    settings().actor,
                    year,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                    office=office,
                )
        else:
            report = import_registrations(url, file, settings().actor, year, office=office)
    except SheetError as error:
        fail(f"{file}：{error.reason}")
    if as_json:
        print_json(report.as_json())
        return
    counts = (report.accepted, report.unchanged, len(report.rejected))
    sys.stdout.write("新增 {} 行，无变化 {} 行，未受理 {} 行\n".format(*counts))
    for rejected in report.rejected:
        column = f"（{rejected.column}）" if rejected.column else ""
        sys.stdout.write(f"  第{rejected.row}行{column}：{rejected.reason}\n")

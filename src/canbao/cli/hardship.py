"""``canbao hardship``: the departments' monthly hardship lists (W3, K7) and funding requests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from canbao.cli.output import EXIT_CODES, FAILURE, fail, print_json
from canbao.contract.fields import MAX_YEAR, MIN_YEAR

app = typer.Typer(
    help="Hardship lists (困难人员名单): import a department's monthly list, confirm it "
    "(another clerk), request the funding per fund.",
    epilog="[bold]Examples[/bold]\n\n"
    "  canbao hardship import 2022-03民政.xlsx --department 民政 --month 2022-03 --json\n\n"
    "  CANBAO_ACTOR=reviewer canbao hardship confirm --department 民政 --month 2022-03\n\n"
    "  canbao hardship funding 520100 2022 资金申请.xlsx\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)

Department = Annotated[
    str, typer.Option("--department", help="民政, 乡村振兴, 残联, 退役军人 or 卫健.")
]
Month = Annotated[str, typer.Option("--month", help="The list's month, YYYY-MM.")]


@app.command("import")
def import_list(
    file: Annotated[Path, typer.Argument(help="The list (.xlsx or .csv).", show_default=False)],
    department: Department,
    month: Month,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import a monthly list: 姓名, 身份证号码, 身份类别, 变动类型 (新增/减员), 认定日期/生效日期.

    Every bad or unmatched row is reported with its row, column and reason; the good rows are
    kept; importing the same list again changes nothing."""
    from canbao.adapters.database import Actor, unit_of_work
    from canbao.config import settings
    from canbao.services import hardship
    from canbao.services.review import Refused

    if not file.is_file():
        fail(f"文件不存在：{file}")
    actor = Actor(settings().actor, source_file=file.name)
    try:
        with _progress() as progress, unit_of_work(settings().url(), actor) as uow:
            report = hardship.import_hardship_list(uow, file, department, month, progress=progress)
    except Refused as refused:
        fail(str(refused))
    if as_json:
        print_json(report.as_json())
        return
    sys.stdout.write(
        f"新增或减员 {report.accepted} 行，无变化 {report.unchanged} 行，"
        f"退回 {len(report.rejected)} 行\n"
    )
    for item in report.rejected:
        sys.stdout.write(f"  第{item['row']}行 {item['column']}：{item['reason']}\n")


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("导入名单", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@app.command()
def confirm(department: Department, month: Month) -> None:
    """Confirm a department's monthly list (maker-checker: not by the clerk who imported it)."""
    from canbao.adapters.database import Actor, unit_of_work
    from canbao.config import settings
    from canbao.services import hardship
    from canbao.services.review import Refused

    try:
        with unit_of_work(settings().url(), Actor(settings().actor)) as uow:
            count = hardship.confirm_hardship_list(uow, department, month)
    except Refused as refused:
        fail(str(refused), code=FAILURE)
    sys.stdout.write(f"已确认 {count} 条记录\n")


@app.command()
def funding(
    region: Annotated[str, typer.Argument(metavar="REGION", help="Region code, e.g. 520100.")],
    year: Annotated[
        int,
        typer.Argument(
            metavar="YEAR",
            help=f"Enrollment year, {MIN_YEAR}–{MAX_YEAR}.",
            min=MIN_YEAR,
            max=MAX_YEAR,
        ),
    ],
    out: Annotated[Path, typer.Argument(help="The summary .xlsx; one file per fund beside it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the totals as JSON.")] = False,
) -> None:
    """Funding requests per fund from the confirmed lists (K7), with totals."""
    from canbao.adapters.database import ready
    from canbao.config import settings
    from canbao.services import hardship

    if out.suffix.lower() != ".xlsx":
        fail(f"输出文件应为 .xlsx：{out}")
    if not out.parent.is_dir():
        fail(f"输出文件夹不存在：{out.parent}")
    with ready(settings().url()).connect() as connection:
        request = hardship.funding_request(connection, region, year, out)
    if as_json:
        print_json(request.as_json())
        return
    for source, total in request.totals.items():
        sys.stdout.write(f"{source}: {total}\n")
    if request.undetermined:
        sys.stdout.write(f"分担未载明: {request.undetermined}\n")
    sys.stdout.write("\n".join(str(p) for p in request.files) + "\n")

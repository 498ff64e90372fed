"""``canbao collection``: the yearly collection with the tax bureau (W2).

``assess`` the year for a region's enrollees, ``export`` the 应征数据 file of a new batch,
import the tax bureau's ``feedback``. On a terminal a Rich progress bar shows the work (on
stderr); the answer is on stdout.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from canbao.cli.output import EXIT_CODES, fail, print_json

if TYPE_CHECKING:
    from canbao.adapters.database import Actor

app = typer.Typer(
    help="The yearly collection with the tax bureau (应征数据、扣费反馈).",
    epilog="[bold]Examples[/bold]\n\n  canbao collection assess 440783 2022\n\n"
    "  canbao collection export 440783 2022 kaiping-2022.xlsx\n\n"
    "  canbao collection feedback feedback.csv --json\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)

Region = Annotated[str, typer.Argument(help="参保地区划代码, e.g. 440783.", show_default=False)]
Year = Annotated[int, typer.Argument(help="The enrollment year, e.g. 2022.", show_default=False)]


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield advance


def _check(region: str, year: int) -> None:
    from canbao.certno.regions import is_region_code

    if not (len(region) == 6 and region.isdigit() and is_region_code(region)):
        fail(f"区划代码无效：{region!r}")
    if not 1990 <= year <= 2100:
        fail(f"年度无效：{year}")


@app.command()
def assess(
    region: Region,
    year: Year,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Assess the year for every active resident enrollee of the region (K2, C6)."""
    from canbao.adapters.database import unit_of_work
    from canbao.config import settings
    from canbao.services import collection

    _check(region, year)
    with _progress("核定") as progress, unit_of_work(settings().url(), _actor()) as uow:
        report = collection.assess(uow, region, year, progress=progress)
    if as_json:
        print_json(report.as_json())
        return
    sys.stdout.write(f"核定 {report.assessed} 人，已核定未变 {report.unchanged} 人\n")
    for gap in report.gaps:
        who = "、".join(gap.identities) or "无资助身份"
        sys.stdout.write(f"  未核定 {gap.count} 人（{gap.region} {who}）：{gap.explanation}\n")


@app.command()
def export(
    region: Region,
    year: Year,
    file: Annotated[Path, typer.Argument(help="The file to write: .xlsx or .csv.")],
) -> None:
    """Write the 应征数据 file of a new batch for the tax bureau (K1)."""
    from canbao.adapters.database import unit_of_work
    from canbao.config import settings
    from canbao.services import collection

    _check(region, year)
    if file.suffix.lower() not in (".xlsx", ".csv"):
        fail(f"文件应为 .xlsx 或 .csv：{file.name}")
    try:
        with unit_of_work(settings().url(), _actor(file.name)) as uow:
            batch_id = collection.export_batch(uow, region, year, file)
    except OSError as error:
        fail(f"无法写入 {file}：{error.strerror}", code=1)
    if batch_id is None:
        sys.stdout.write("没有需要送税务的应征数据，未生成批次\n")
        return
    sys.stdout.write(f"批次 {batch_id}：{file}\n")


@app.command()
def feedback(
    file: Annotated[Path, typer.Argument(help="The tax bureau's feedback (.xlsx or .csv).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import the tax bureau's deduction feedback: paid, resend, abandoned (K1)."""
    from canbao.adapters.database import unit_of_work
    from canbao.adapters.tax_files import TaxFileError
    from canbao.config import settings
    from canbao.services import collection

    try:
        with (
            _progress("导入反馈") as progress,
            unit_of_work(settings().url(), _actor(file.name)) as uow,
        ):
            report = collection.import_feedback(uow, file, progress=progress).as_json()
    except TaxFileError as error:
        fail(f"{file.name}：{error.reason}")
    if as_json:
        print_json(report)
        return
    sys.stdout.write(
        f"扣费成功 {report['paid']}，重新传送 {report['resend']}，自动弃保 {report['abandoned']}，"
        f"未定 {report['failed']}，已导入 {report['unchanged']}，"
        f"未匹配 {len(report['unmatched'])}，错误 {len(report['rejected'])}\n"
    )
    for item in report["unmatched"]:
        sys.stdout.write(f"  第{item['row']}行 {item['certno']}：{item['reason']}\n")
    for item in report["rejected"]:
        sys.stdout.write(f"  第{item['row']}行 {item['column']}：{item['reason']}\n")


def _actor(source_file: str | None = None) -> Actor:
    import getpass

    from canbao.adapters.database import Actor

    return Actor(getpass.getuser(), source_file=source_file)

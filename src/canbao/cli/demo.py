"""``canbao demo``: load the synthetic population into the configured database."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

EPILOG = (
    "[bold]Examples[/bold]\n\n  canbao demo\n\n  canbao demo --persons 2000\n\n"
    "[bold]Exit codes[/bold]: 0 loaded (or already there); 1 failure; 2 usage."
)


def demo(
    persons: Annotated[
        int, typer.Option("--persons", min=1, help="How many persons the population has.")
    ] = 20_000,
) -> None:
    """Load a synthetic population (CANBAO_DATABASE_URL): the four jurisdictions' households,
    valid ID numbers, students and schools, hardship identities, enrollment histories and some
    duplicates. Idempotent: a second run adds nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from canbao.adapters.database import Actor, unit_of_work
    from canbao.cli.registry import shown
    from canbao.config import settings
    from canbao.services import demo as service

    url = settings().url()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not sys.stderr.isatty(),
        transient=True,
    ) as bar:
        task = bar.add_task("演示数据", total=persons)
        with unit_of_work(url, Actor(service.ACTOR)) as uow:
            loaded = service.load(uow, persons, lambda n: bar.advance(task, n))
    if not loaded.households:
        sys.stdout.write(f"演示数据已在库中（{loaded.skipped} 户），未新增任何记录：{shown(url)}\n")
        return
    sys.stdout.write(
        f"已加载演示数据：{loaded.persons} 人，{loaded.households} 户"
        + (f"（另有 {loaded.skipped} 户已在库中）" if loaded.skipped else "")
        + f"：{shown(url)}\n"
    )
    for table, n in loaded.added.items():
        sys.stdout.write(f"  {table}: +{n}\n")

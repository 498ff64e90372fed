"""``canbao policy``: check, show and diff the policy data."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from canbao.certno import is_region_code
from canbao.cli.output import EXIT_CODES, FAILURE, OK, fail, print_json
from canbao.contract.fields import MAX_YEAR, MIN_YEAR
from canbao.policy import Policy, load_policy

app = typer.Typer(
    help="Policy data: dated values with their sources (src/canbao/policy/data/).",
    epilog="[bold]Examples[/bold]\n\n  canbao policy check\n\n  canbao policy show 440783 2022\n\n"
    "  canbao policy diff 440783 2023 --json\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)

Region = Annotated[
    str,
    typer.Argument(help="6-digit region code (GB/T 2260; 520190 贵安新区).", show_default=False),
]
Year = Annotated[
    int,
    typer.Argument(
        metavar="YEAR",
        help=f"Enrollment year (参保年度), {MIN_YEAR}–{MAX_YEAR}.",
        show_default=False,
        min=MIN_YEAR,
        max=MAX_YEAR,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@app.command(
    epilog="[bold]Example[/bold]: canbao policy check\n\n"
    "[bold]Exit codes[/bold]: 0 no problem; 1 problems found (each on a line); "
    "1 also for an unexpected error."
)
def check() -> None:
    """Validate the policy data files: form, sources, documents, rules, target tables."""
    from canbao.policy.check import check_policy, target_disagreements

    policy = load_policy()
    problems = check_policy(policy)
    for problem in problems:
        sys.stdout.write(f"error: {problem}\n")
    for table in policy.targets:
        for finding in target_disagreements(table):
            sys.stdout.write(f"note (T1, the document's own figures): {finding}\n")
    sys.stdout.write(
        f"{len(policy.values)} values, {len(policy.regions)} regions, "
        f"{len(policy.documents)} documents, {len(policy.rules)} rules: "
        f"{len(problems)} problem(s)\n"
    )
    raise typer.Exit(FAILURE if problems else OK)


@app.command(
    epilog="[bold]Examples[/bold]\n\n  canbao policy show 520190 2022\n\n"
    "  canbao policy show 440783 2022 --json\n\n"
    "JSON: region, year, chain (the resolution order), values (key, value, unit, region it "
    "comes from, year/from_year, effective, source doc/section/note, confirmed), targets.\n\n"
    "[bold]Exit codes[/bold]: 0 shown; 2 not a region code; 1 unexpected error."
)
def show(region: Region, year: Year, as_json: AsJson = False) -> None:
    """Every parameter a decision for REGION and YEAR reads, with its source.

    Each value names the region it comes from (county → city → province → national).
    """
    from canbao.policy.show import show as show_text
    from canbao.policy.show import show_json

    policy = _policy_for(region)
    if as_json:
        print_json(show_json(policy, region, year))
    else:
        sys.stdout.write(show_text(policy, region, year))


@app.command(
    epilog="[bold]Examples[/bold]\n\n  canbao policy diff 440783 2023\n\n"
    "  canbao policy diff 520100 2023 --json\n\n"
    "Text: ~ changed (old, then → new), + added, - removed, each with its source. JSON: "
    "added, removed, changed ({key, old, new}), values as in policy show --json.\n\n"
    "[bold]Exit codes[/bold]: 0 shown; 2 not a region code; 1 unexpected error."
)
def diff(region: Region, year: Year, as_json: AsJson = False) -> None:
    """What changed for REGION from YEAR-1 to YEAR, with the sources.

    After resolution: added, removed and changed values, each with its old and new source.
    """
    from canbao.policy.diff import diff as diff_text
    from canbao.policy.diff import diff_json

    policy = _policy_for(region)
    if as_json:
        print_json(diff_json(policy, region, year))
    else:
        sys.stdout.write(diff_text(policy, region, year))


def _policy_for(region: str) -> Policy:
    policy = load_policy()
    if region not in policy.regions and not is_region_code(region):
        fail(f"{region!r} 不是行政区划代码（GB/T 2260 六位代码，或本项目的 520190 贵安新区）")
    return policy

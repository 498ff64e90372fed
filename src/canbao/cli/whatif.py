"""``canbao whatif``: the yearly assessment with changed policy values, beside the current one
(W11); writes nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from canbao.cli.output import EXIT_CODES, fail, print_json

EPILOG = (
    "[bold]Examples[/bold]\n\n"
    "  canbao whatif --region 440783 --year 2022 --set resident.individual_standard=400\n\n"
    "  canbao whatif --region 520100 --year 2022 --set "
    '\'subsidy.dibao={ kind = "fixed", amount = 200, funding = "undetermined" }\' --json\n\n'
    + EXIT_CODES
)


def whatif(
    region: Annotated[str, typer.Option("--region", help="参保地区划代码, e.g. 440783.")],
    year: Annotated[int, typer.Option("--year", help="The enrollment year, e.g. 2022.")],
    values: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="KEY=VALUE: a policy parameter (canbao policy show) and its what-if value; "
            "repeat for several.",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    records: Annotated[
        Path | None,
        typer.Option("--records", help="Over a section-7 records file instead of the registry."),
    ] = None,
    engine: Annotated[
        Literal["duckdb", "spark"],
        typer.Option("--engine", help="duckdb or spark (with --records)."),
    ] = "duckdb",
) -> None:
    """Run the yearly assessment of the region's active enrollees with the policy as it is and
    with the changed values; print persons, payable, subsidy and funding by source for both,
    and who pays a different amount."""
    from canbao.adapters.database import ready
    from canbao.batch import whatif as job
    from canbao.batch.records import RecordsError
    from canbao.batch.spark import SparkUnavailable
    from canbao.config import settings
    from canbao.policy import load_policy
    from canbao.policy.override import OverrideError, parse_overrides

    policy = load_policy()
    if region not in policy.regions:
        fail(f"区划代码不在政策数据中：{region!r}")
    try:
        overrides = parse_overrides(values)
    except OverrideError as error:
        fail(str(error))
    if records is not None:
        try:
            report = job.run_records(records, region, year, overrides, engine, policy)
        except RecordsError as error:
            fail(str(error))
        except SparkUnavailable as error:
            fail(str(error), code=1)
    elif engine != "duckdb":
        fail("--engine spark 须与 --records 一起使用（登记库上的测算在数据库中计数）")
    else:
        with ready(settings().url()).connect() as connection:
            report = job.run(connection, region, year, overrides, policy)
    if as_json:
        print_json(report.as_json())
        return
    out = sys.stdout
    out.write(f"{policy.region_name(region)} {year}年度：{report.persons} 人\n")
    for label, totals in (("现行", report.current), ("测算", report.whatif)):
        funding = "，".join(f"{s} {a}" for s, a in sorted(totals.funding.items())) or "无"
        out.write(
            f"{label}：个人缴费 {totals.payable}，资助 {totals.subsidy}（{funding}）"
            f"，未能核定 {totals.not_decided} 人\n"
        )
    out.write(f"缴费金额变化：{report.changed_persons} 人\n")
    for change in report.changes[: job.SHORT_LIST]:
        identities = "、".join(change.identities) or "无资助身份"
        out.write(
            f"  {change.region} {identities}：{change.persons} 人，"
            f"{change.current} → {change.whatif}\n"
        )

"""``canbao idcheck``: identity numbers → one JSON object per line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from canbao.certno import check_certno
from canbao.cli.output import INVALID, OK, print_json

EPILOG = (
    "[bold]Examples[/bold]\n\n"
    "  canbao idcheck 440783198506151234\n\n"
    "  canbao idcheck '4407 8319 8506 1512 34'   (checked without the spaces, with a note)\n\n"
    "  canbao idcheck USA440785061501           (older 15-character foreign permanent ID)\n\n"
    "  canbao idcheck < numbers.txt             (one number per line)\n\n"
    "Each line: certno, valid, reason (code: 中文), notes, cert_type (01/07/17), certno18, "
    "birth_date, sex, region, region_name.\n\n"
    "[bold]Exit codes[/bold]: 0 every number valid; 2 some number invalid; 1 unexpected error."
)


def idcheck(
    numbers: Annotated[
        list[str] | None,
        typer.Argument(metavar="NUMBER", help="Numbers; none: one per line on stdin."),
    ] = None,
) -> None:
    """Check identity numbers (证件号码), one JSON object per line.

    公民身份号码 of 18 and 15 digits, HK/Macau/Taiwan residence permits, foreign permanent
    residence IDs (the 18-digit 2023 one and the older 15-character one).
    """
    if not numbers:
        text = sys.stdin.buffer.read().decode("utf-8-sig", errors="replace")
        numbers = [line for line in text.splitlines() if line.strip()]
    results = [check_certno(number) for number in numbers]
    for result in results:
        print_json(result.as_json(), compact=True)
    raise typer.Exit(OK if all(r.valid for r in results) else INVALID)

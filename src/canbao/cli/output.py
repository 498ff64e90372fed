"""What every command shares: JSON on stdout, errors on stderr, the exit codes."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

OK, FAILURE, INVALID = 0, 1, 2

EXIT_CODES = (
    "[bold]Exit codes[/bold]: 0 done; 1 failure (policy data with problems, or an unexpected "
    "error, told in one line on stderr); 2 invalid input or usage."
)


def print_json(value: Any, *, compact: bool = False) -> None:
    """Plain JSON on stdout (UTF-8, not ASCII-escaped): indented, or one line."""
    if compact:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(value, ensure_ascii=False, indent=2)
    sys.stdout.write(text + "\n")


def fail(message: str, code: int = INVALID) -> NoReturn:
    """One Chinese line on stderr, then exit with ``code``."""
    sys.stderr.write(f"canbao: {message}\n")
    raise typer.Exit(code)

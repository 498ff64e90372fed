"""``canbao decide``: cases (JSON) in, answers (JSON) out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from canbao.cli.output import INVALID, OK, fail, print_json
from canbao.contract import CASES, schema
from canbao.contract.inputs import decide_input, parse
from canbao.domain.decision import Decision, FieldError, Status, to_json

STDIN = "-"

EPILOG = (
    "[bold]Examples[/bold]\n\n"
    "  canbao decide examples/contribution_guiyang_dibao.json\n\n"
    "  canbao decide < case.json            (one case → one answer)\n\n"
    "  canbao decide a.json - b.json        (several inputs, - is stdin → one list)\n\n"
    "  canbao decide --schema contribution  (the JSON Schema of a kind)\n\n"
    "A file or stdin holds one case or a JSON list of cases (one answer each, in order; "
    "errors in a list carry the case's index, [1].kind). A UTF-8 byte order mark is "
    "accepted; input that is not UTF-8 or not JSON is answered as invalid.\n\n"
    "[bold]Exit codes[/bold]: 0 every case answered (decided or policy_gap); 2 some case "
    "invalid, or an unknown kind for --schema; 1 unexpected error."
)


def decide(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE",
            help="Case files (JSON); - or none: stdin. With --schema: the case kind.",
            show_default=False,
        ),
    ] = None,
    schema_: Annotated[
        bool,
        typer.Option(
            "--schema",
            help="Print the JSON Schema of the cases and answers of KIND (or of every kind).",
        ),
    ] = False,
) -> None:
    """Decide cases: contribution, eligibility, benefit_start, duplicates, refund.

    Each answer names the rules applied and the document sections they come from
    (status decided, policy_gap with gaps, or invalid with errors).
    """
    if schema_:
        _print_schema(files or [])
    answers, many = decide_inputs(files or [STDIN])
    bodies = [to_json(answer.as_json()) for answer in answers]
    print_json(bodies if many else bodies[0])
    raise typer.Exit(INVALID if any(a.status is Status.INVALID for a in answers) else OK)


def decide_inputs(names: list[str]) -> tuple[list[Decision], bool]:
    """Every case of every input, decided in order, and whether the answer is a list: several
    inputs, or one holding a JSON list. A case's index in that list prefixes its errors."""
    answers: list[Decision] = []
    many = len(names) > 1
    for name in names:
        raw, error = load(name)
        many = decide_input(raw, error, answers, many)
    return answers, many


def load(name: str) -> tuple[Any, FieldError | None]:
    """The JSON of one input (a file, or ``-`` for stdin), or the error that stops it."""
    origin = "(stdin)" if name == STDIN else name
    try:
        data = sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    except OSError as error:
        return None, FieldError(origin, f"无法读取：{_why(error)}", "unreadable")
    return parse(data, origin)


def _why(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "文件不存在"
    if isinstance(error, IsADirectoryError):
        return "这是一个目录"
    if isinstance(error, PermissionError):
        return "没有读取权限"
    return str(error.strerror or error)


def _print_schema(kinds: list[str]) -> None:
    if len(kinds) > 1:
        fail("--schema 只接受一个案例类型")
    kind = kinds[0] if kinds else None
    if kind is not None and kind not in CASES:
        fail(f"未知的案例类型 {kind!r}；可选：{', '.join(sorted(CASES))}")
    print_json(schema(kind))
    raise typer.Exit(OK)

"""``canbao decide``: cases (JSON) in, answers (JSON) out."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from canbao.cli.output import INVALID, OK, fail, print_json
from canbao.contract import CASES, decide_case, invalid, schema
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
        if error is not None:
            answers.append(invalid(None, [error]))
        elif isinstance(raw, list):
            many, first = True, len(answers)
            answers.extend(decide_case(case, at=f"[{first + i}]") for i, case in enumerate(raw))
        else:
            answers.append(decide_case(raw, at=f"[{len(answers)}]" if many else ""))
    return answers, many


def load(name: str) -> tuple[Any, FieldError | None]:
    """The JSON of one input (a file, or ``-`` for stdin), or the error that stops it."""
    origin = "(stdin)" if name == STDIN else name
    try:
        data = sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    except OSError as error:
        return None, FieldError(origin, f"无法读取：{_why(error)}", "unreadable")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        reason = f"不是 UTF-8 编码的文本（第{error.start + 1}个字节起）"
        return None, FieldError(origin, reason, "not_utf8")
    try:
        return json.loads(
            text, parse_float=Decimal, parse_int=_integer, parse_constant=_no_constant
        ), None
    except RecursionError:
        return None, FieldError(origin, "不是有效的 JSON：嵌套层数过多", "not_json")
    except ValueError as error:
        return None, FieldError(origin, f"不是有效的 JSON：{error}", "not_json")


def _why(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "文件不存在"
    if isinstance(error, IsADirectoryError):
        return "这是一个目录"
    if isinstance(error, PermissionError):
        return "没有读取权限"
    return str(error.strerror or error)


def _integer(digits: str) -> int | Decimal:
    """Python refuses to convert very long digit strings to int; such a number is kept as
    Decimal for the contract to reject as too large, instead of failing the whole input."""
    limit = sys.get_int_max_str_digits()
    return int(digits) if not limit or len(digits) <= limit else Decimal(digits)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} 不是 JSON 数值")


def _print_schema(kinds: list[str]) -> None:
    if len(kinds) > 1:
        fail("--schema 只接受一个案例类型")
    kind = kinds[0] if kinds else None
    if kind is not None and kind not in CASES:
        fail(f"未知的案例类型 {kind!r}；可选：{', '.join(sorted(CASES))}")
    print_json(schema(kind))
    raise typer.Exit(OK)

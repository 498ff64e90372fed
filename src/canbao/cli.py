"""The command line: thin entry points over the rules and the policy data.

canbao decide [FILE...]          decide cases (stdin or files) → JSON
canbao idcheck [NUMBER...]       check identity numbers → one JSON object per line
canbao policy check              validate the policy data files
canbao policy show REGION YEAR   the resolved parameters with their sources
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from canbao.domain.decision import Decision, FieldError, Status, to_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="canbao", description="参保 — canbao")
    commands = parser.add_subparsers(dest="command", required=True)
    decide = commands.add_parser("decide", help="decide cases (JSON) from stdin or files")
    decide.add_argument("files", nargs="*", type=Path)
    idcheck = commands.add_parser("idcheck", help="check identity numbers")
    idcheck.add_argument("numbers", nargs="*")
    policy = commands.add_parser("policy", help="policy data")
    policy_commands = policy.add_subparsers(dest="policy_command", required=True)
    policy_commands.add_parser("check", help="validate the policy data files")
    show = policy_commands.add_parser("show", help="resolved parameters for a region and year")
    show.add_argument("region")
    show.add_argument("year", type=int)
    args = parser.parse_args(argv)
    if args.command == "decide":
        return _decide(args.files)
    if args.command == "idcheck":
        return _idcheck(args.numbers)
    if args.policy_command == "check":
        return _policy_check()
    return _policy_show(args.region, args.year)


def _print(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _load(text: str, origin: str) -> tuple[Any, Decision | None]:
    from canbao.contract import invalid

    try:
        return json.loads(text, parse_float=Decimal), None
    except json.JSONDecodeError as error:
        return None, invalid(None, [FieldError(origin, f"不是有效的 JSON：{error}")])


def _decide(files: list[Path]) -> int:
    from canbao.contract import decide_case, invalid

    answers: list[Decision] = []
    if not files:
        raw, bad = _load(sys.stdin.read(), "(stdin)")
        many = isinstance(raw, list)
        for case in raw if many else [raw]:
            answers.append(bad or decide_case(case))
    else:
        many = len(files) > 1
        for path in files:
            try:
                raw, bad = _load(path.read_text(encoding="utf-8"), str(path))
            except (OSError, UnicodeDecodeError) as error:
                bad = invalid(None, [FieldError(str(path), f"无法读取文件：{error}")])
            answers.append(bad or decide_case(raw))
    bodies = [to_json(answer.as_json()) for answer in answers]
    _print(bodies if many else bodies[0])
    return 2 if any(a.status is Status.INVALID for a in answers) else 0


def _idcheck(numbers: list[str]) -> int:
    from canbao.identity.certno import check_certno

    if not numbers:
        numbers = [line for line in sys.stdin.read().splitlines() if line.strip()]
    valid = True
    for number in numbers:
        result = check_certno(number)
        valid = valid and result.valid
        line = json.dumps(result.as_json(), ensure_ascii=False, separators=(",", ":"))
        sys.stdout.write(line + "\n")
    return 0 if valid else 1


def _policy_check() -> int:
    from canbao.policy import load_policy
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
    return 1 if problems else 0


def _policy_show(region: str, year: int) -> int:
    from canbao.policy import load_policy
    from canbao.policy.show import show

    text, ok = show(load_policy(), region, year)
    sys.stdout.write(text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The README's examples are the command line's actual answers: each ``$ canbao …`` block is
run and compared with the block that follows it (JSON exactly; text line by line, where
``…`` stands for lines left out), and each example case shown is the file in examples/."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from conftest import ROOT, Run

README = (ROOT / "README.md").read_text(encoding="utf-8")
SHOWN = re.findall(
    r"```sh\n\$ canbao ([^\n]+)\n```\n\n```(json|text)\n(.*?)\n```", README, re.DOTALL
)
CASES = re.findall(r"`(examples/[a-z_]+\.json)`:\n\n```json\n(.*?)\n```", README, re.DOTALL)


def test_the_readme_opens_with_make_run_and_make_test() -> None:
    assert README.split("\n")[2:6] == [
        "```sh",
        "make run    # sets up .venv and runs the main job: a decision on an example case",
        "make test   # sets up .venv, then lint, type checks, the policy data check and every "
        "test tier",
        "```",
    ]


def test_the_readme_shows_an_example_of_every_kind() -> None:
    examples = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.json"))
    assert sorted(path for path, _ in CASES) == examples
    kinds = {json.loads((ROOT / path).read_text(encoding="utf-8"))["kind"] for path in examples}
    assert kinds == {"contribution", "eligibility", "benefit_start", "duplicates", "refund"}
    assert [args for args, _, _ in SHOWN if args.startswith("decide ")] == [
        f"decide {path}" for path, _ in CASES
    ]


@pytest.mark.parametrize(("path", "shown"), CASES, ids=[path for path, _ in CASES])
def test_each_case_shown_is_the_example_file(path: str, shown: str) -> None:
    assert json.loads(shown) == json.loads((ROOT / path).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("args", "language", "shown"), SHOWN, ids=[a for a, _, _ in SHOWN])
def test_each_answer_shown_is_the_actual_answer(
    canbao: Run, args: str, language: str, shown: str
) -> None:
    out = canbao(*shlex.split(args)).stdout.decode("utf-8")
    if language == "json":
        assert json.loads(shown) == json.loads(out), f"README: paste the output of canbao {args}"
        return
    actual = out.splitlines()
    at = 0
    for line in shown.splitlines():
        if line == "…":
            continue
        assert line in actual[at:], f"README: `canbao {args}` no longer prints {line!r}"
        at = actual.index(line, at) + 1

"""``canbao bench decide``: how many decisions per second, in process and through the CLI.

The mix is every case of the scenario files (``tests/rules/<kind>/*.json``) and of
``examples/``, cycled to the number asked for. Three figures, measured in the same run:

* in process, ``canbao.contract.decide_case`` (JSON case → answer, as the API will call it);
* in process, ``canbao.rules.decide.decide_facts`` on facts built beforehand (the engine
  without its edge), and the ratio of the two: the share of the time the typed edge adds;
* through the command line: one ``canbao decide`` process fed a JSON list of the cases on
  stdin, start-up and JSON in and out included.

The cases are parsed once (numbers with decimals as Decimal, as the CLI parses them); the
in-process figures time the decisions only.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from canbao.domain.decision import Decision

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3
BEGIN, END = "<!-- bench decide: begin -->", "<!-- bench decide: end -->"


@dataclass(frozen=True)
class Measure:
    """One row of the table: what was measured, over how many cases, in how many seconds."""

    label: str
    cases: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class Report:
    edge: Measure
    engine: Measure
    cli: Measure
    mix: int  # distinct cases in the mix

    @property
    def ratio(self) -> float:
        """Edge rate over engine rate (1.0: the edge costs nothing)."""
        return self.edge.rate / self.engine.rate


def scenario_mix(root: Path = ROOT) -> list[Any]:
    """The well-formed cases of the scenario files and the examples, in file order."""
    paths = sorted((root / "tests" / "rules").glob("*/*.json"))
    cases = [_load(path)["case"] for path in paths]
    cases += [_load(path) for path in sorted((root / "examples").glob("*.json"))]
    if not cases:
        raise FileNotFoundError(f"{root}: 没有 tests/rules/*/*.json 或 examples/*.json 案例文件")
    return [case for case in cases if _facts(case) is not None]


def _facts(case: Any) -> tuple[str, Any] | None:
    """The kind and facts of a well-formed case (what the edge hands to the engine)."""
    from pydantic import ValidationError

    from canbao.contract import CASES

    try:
        model = CASES[case["kind"]].model_validate(case)
    except ValidationError:
        return None
    return None if model.problems() else (case["kind"], model.facts())


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def _cycle(cases: list[Any], n: int) -> list[Any]:
    return list(itertools.islice(itertools.cycle(cases), n))


def _seconds(decide: Callable[[Any], Decision], cases: list[Any]) -> float:
    start = time.perf_counter()
    for case in cases:
        decide(case)
    return time.perf_counter() - start


def _canbao_command() -> list[str]:
    script = Path(sys.executable).with_name("canbao")
    return [str(script)] if script.exists() else [sys.executable, "-m", "canbao"]


def _through_cli(cases: list[Any]) -> Measure:
    from canbao.domain.decision import to_json

    payload = json.dumps(to_json(cases), ensure_ascii=False).encode("utf-8")
    start = time.perf_counter()
    done = subprocess.run(
        [*_canbao_command(), "decide", "-"], input=payload, capture_output=True, check=False
    )
    seconds = time.perf_counter() - start
    answers = json.loads(done.stdout) if done.returncode in (0, 2) else None
    if not isinstance(answers, list) or len(answers) != len(cases):
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"canbao decide 未对 {len(cases)} 个案例逐一作答：{detail}")
    return Measure(
        "command line: one `canbao decide -` process, a JSON list on stdin", len(cases), seconds
    )


def bench_decide(cases: int, cli_cases: int, root: Path = ROOT) -> Report:
    """Measure the three rates over the scenario mix."""
    from canbao.contract import decide_case
    from canbao.policy import load_policy
    from canbao.rules.decide import decide_facts

    policy = load_policy()
    mix = scenario_mix(root)
    built = [_facts(case) for case in mix]
    paths: dict[str, tuple[Callable[[Any], Decision], list[Any]]] = {
        "edge": (decide_case, _cycle(mix, cases)),
        "engine": (lambda built: decide_facts(built[0], built[1], policy), _cycle(built, cases)),
    }
    for decide, sample in paths.values():  # warm up: policy data loaded, caches filled
        _seconds(decide, sample[: len(mix)])
    # The best of rounds taken in turn, so that neither path pays for the other's noise.
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(ROUNDS):
        for name, (decide, sample) in paths.items():
            seconds[name].append(_seconds(decide, sample))
    best = {name: min(times) for name, times in seconds.items()}
    return Report(
        Measure("in process: canbao.contract.decide_case", cases, best["edge"]),
        Measure(
            "in process: canbao.rules.decide.decide_facts (engine alone)", cases, best["engine"]
        ),
        _through_cli(_cycle(mix, cli_cases)),
        len(mix),
    )


def machine() -> dict[str, str]:
    """The machine's size: processors available (as ``nproc`` counts them), memory, CPU."""
    memory = "?"
    cpu = platform.processor() or platform.machine()
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        if found := re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read_text(), re.MULTILINE):
            memory = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        if found := re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE):
            cpu = found.group(1).strip()
    return {
        "nproc": str(
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        ),
        "memory": memory,
        "cpu": cpu,
        "python": platform.python_version(),
    }


def rows(report: Report) -> list[tuple[str, str, str, str]]:
    """The table: measure, cases, seconds, decisions per second (and the ratio)."""
    body = [
        (m.label, f"{m.cases:,}", f"{m.seconds:.2f}", f"{m.rate:,.0f}")
        for m in (report.edge, report.engine, report.cli)
    ]
    body.insert(2, ("ratio: contract / engine alone (in process)", "", "", f"{report.ratio:.2f}"))
    return body


def markdown(report: Report, today: datetime.date, size: dict[str, str]) -> str:
    """The section of docs/benchmarks.md between the ``bench decide`` markers."""
    table = ["| measure | cases | seconds | decisions/s |", "|---|---:|---:|---:|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(report)]
    return "\n".join(
        [
            BEGIN,
            f"Measured {today.isoformat()} with `canbao bench decide --cases "
            f"{report.edge.cases} --cli-cases {report.cli.cases} --write` on "
            f"{size['nproc']} processors (`nproc`), {size['memory']} memory, {size['cpu']}, "
            f"Python {size['python']}; mix of {report.mix} distinct cases.",
            "",
            *table,
            END,
        ]
    )


def write(doc: Path, section: str, begin: str = BEGIN, end: str = END) -> None:
    """Replace the section of ``doc`` between the markers (``bench decide``'s by default), or
    append it."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")

"""``canbao bench decide`` at a small size: it runs and prints (and writes) its rows; the
figures themselves are not asserted."""

from __future__ import annotations

from pathlib import Path

from conftest import Run

ROWS = [
    "in process: canbao.contract.decide_case",
    "in process: canbao.rules.decide.decide_facts (engine alone)",
    "ratio: contract / engine alone (in process)",
    "command line: one `canbao decide -` process, a JSON list on stdin",
]


def test_bench_decide_prints_its_rows(canbao: Run) -> None:
    done = canbao("bench", "decide", "--cases", "200", "--cli-cases", "200")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    out = done.stdout.decode("utf-8")
    assert out.lstrip().startswith("canbao bench decide — ")
    table = [line for line in out.splitlines() if line.startswith("│")]
    assert [line.split("│")[1].strip() for line in table] == ROWS
    assert [line.split("│")[2].strip() for line in table] == ["200", "200", "", "200"]


def test_bench_decide_writes_its_section_and_keeps_the_rest(canbao: Run, tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nIntro.\n\n## Later\n", encoding="utf-8")
    for _ in range(2):  # the second run replaces the section written by the first
        done = canbao(
            "bench", "decide", "--cases", "50", "--cli-cases", "50", "--write", "--doc", str(doc)
        )
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nIntro.\n\n## Later\n\n<!-- bench decide: begin -->\n")
    assert text.endswith("<!-- bench decide: end -->\n")
    assert text.count("<!-- bench decide: begin -->") == 1
    assert "--cases 50 --cli-cases 50 --write` on " in text
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0].lstrip("| ") for row in table] == ["measure", *ROWS]

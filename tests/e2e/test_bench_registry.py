"""``canbao bench registry`` at a small size, on its private PostgreSQL server: it runs, prints
its table and writes its section beside the decide one; the figures are not asserted."""

from __future__ import annotations

from pathlib import Path

from conftest import Run

MEASURES = [
    "registration import, csv",
    "registration import, xlsx",
    "yearly assessment (PostgreSQL)",
    "person show: find_person + status (PostgreSQL)",
]
DECIDE = "<!-- bench decide: begin -->\nfigures\n<!-- bench decide: end -->\n"


def test_bench_registry_prints_and_writes_its_rows(canbao: Run, tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n" + DECIDE, encoding="utf-8")
    done = canbao(
        "bench", "registry", "--persons", "300", "--rows", "20", "--write", "--doc", str(doc)
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    out = done.stdout.decode("utf-8")
    assert "canbao bench registry — " in out
    assert "300 persons, 20 rows" in out
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\n" + DECIDE + "\n<!-- bench registry: begin -->\n")
    assert text.endswith("<!-- bench registry: end -->\n")
    assert "`canbao bench registry --persons 300 --rows 20 --write` on " in text
    table = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert [line.split(" | ")[0].removeprefix("| ") for line in table] == MEASURES
    assert [line.split(" | ")[1] for line in table] == ["20", "20", "300", "300"]

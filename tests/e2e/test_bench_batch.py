"""``canbao bench batch`` at a tiny size: it runs, prints its table and the estimate, and
writes its section beside the others; the figures are not asserted."""

from __future__ import annotations

from pathlib import Path

from conftest import Run

DECIDE = "<!-- bench decide: begin -->\nfigures\n<!-- bench decide: end -->\n"


def test_bench_batch_prints_and_writes_its_rows(canbao: Run, tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n" + DECIDE, encoding="utf-8")
    folder = tmp_path / "files"
    args = ["bench", "batch", "--sizes", "300,3000", "--spark-size", "0", "--folder", str(folder)]
    args += ["--roster-rows", "200", "--match-records", "2000", "--whatif-persons", "300"]
    done = canbao(*args, "--write", "--doc", str(doc))
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    out = done.stdout.decode("utf-8")
    assert "canbao bench batch — " in out
    assert "National run (estimate)" in out
    assert sorted(p.name for p in folder.iterdir()) == [
        "records-262.parquet",
        "records-2625.parquet",
    ]
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\n" + DECIDE + "\n<!-- bench batch: begin -->\n")
    assert text.endswith("<!-- bench batch: end -->\n")
    assert (
        "`canbao bench batch --sizes 300,3000 --spark-size 0 --roster-rows 200 "
        "--match-records 2000 --whatif-persons 300 --write` on "
    ) in text
    table = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert [line.split(" | ")[0] for line in table] == ["| dedup (DuckDB)"] * 2 + [
        "| match, exact ID (DuckDB)",
        "| match, linkage by name (DuckDB)",
        "| what-if (sqlite)",
        "| what-if (records, duckdb)",
    ]
    assert [line.split(" | ")[4].split(":")[0] for line in table] == [
        "bare overlap self-join",
        "bare overlap self-join",
        "bare hash join on certno",
        "",
        "bare GROUP BY count",
        "bare GROUP BY count",
    ]
    assert "- Growth: " in text

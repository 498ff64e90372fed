"""``canbao bench api`` at a tiny size, on its private PostgreSQL server and its own
``canbao serve``: it runs, prints its table and writes its section; the figures are not
asserted."""

from __future__ import annotations

from pathlib import Path

from conftest import Run

ROUTES = ["status query GET /api/v1/persons/{certno}", "minimal endpoint GET /api/v1/health"]


def test_bench_api_prints_and_writes_its_rows(canbao: Run, tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n", encoding="utf-8")
    done = canbao(
        "bench", "api", "--persons", "100", "--requests", "100", "--concurrency", "2",
        "--write", "--doc", str(doc),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert "canbao bench api — " in done.stdout.decode("utf-8")
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\n<!-- bench api: begin -->\n")
    assert text.endswith("<!-- bench api: end -->\n")
    assert "`canbao bench api --persons 100 --requests 100 --concurrency 2 --write` on " in text
    table = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert [line.split(" | ")[0].removeprefix("| ") for line in table] == ROUTES
    assert [line.split(" | ")[1] for line in table] == ["100", "100"]

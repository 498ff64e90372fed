"""``canbao targets`` as a clerk runs it (SQLite, in process): exit codes, the lines printed,
JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from openpyxl import load_workbook
from test_targets import attachment, write_csv, write_xlsx

from canbao.cli import main
from canbao.config import settings


class Done(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def canbao(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Any]:
    """``canbao targets ARGS`` in process, on a fresh SQLite file."""
    monkeypatch.setenv("CANBAO_DATABASE_URL", f"sqlite:///{tmp_path / 'registry.db'}")
    settings.cache_clear()

    def run(*args: str) -> Done:
        code = main(["targets", *args])
        out = capsys.readouterr()
        return Done(code, out.out, out.err)

    yield run
    settings.cache_clear()


def test_check_import_progress_report_and_students(canbao: Any, tmp_path: Path) -> None:
    gbk = write_csv(tmp_path / "目标.csv", attachment())
    found = canbao("check", str(gbk))
    assert (found.returncode, found.stderr) == (1, "")
    assert (
        found.stdout
        == "第22行 贵阳贵安总计：表列 2710466，分项合计 2710446（第3、16行，相差 +20）\n"
    )
    kaiping = write_xlsx(
        tmp_path / "开平.xlsx", "开平市2022年度参保目标", [[1, "开平市", 500, None]]
    )
    clean = canbao("check", str(kaiping))
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "no disagreements\n", "")
    bad = canbao("check", str(tmp_path / "无此文件.csv"))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("canbao: 无此文件.csv：无法读取文件 无此文件.csv")

    imported = canbao("import", str(kaiping), "--year", "2022", "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {
        "table_id": 1,
        "rows": 1,
        "regions": ["440783"],
        "unchanged": False,
        "disagreements": [],
    }
    again = canbao("import", str(kaiping), "--year", "2022")
    assert (again.returncode, again.stdout) == (0, "未变化：1 行，1 个地区\n")

    progress = canbao("progress", "--year", "2022", "--as-of", "2021-11-18", "--json")
    assert json.loads(progress.stdout) == {
        "year": 2022,
        "as_of": "2021-11-18",
        "rules": ["T1", "K1"],
        "regions": [
            {
                "region": "440783",
                "name": "开平市",
                "target": 500,
                "target_rate": "0.98",
                "required": 490,
                "assessed": 0,
                "enrolled": 0,
                "coverage": "0.0000",
                "reached": False,
            }
        ],
    }
    out = tmp_path / "进度.xlsx"
    report = canbao("report", "--week-of", "2021-11-04", str(out))
    assert (report.returncode, report.stdout) == (0, f"开平市 2021-11-04 参保进度报表：{out}\n")
    assert load_workbook(out)["本周进度"]["A3"].value == "开平市"
    early = canbao("report", "--week-of", "2021-10-28", str(tmp_path / "早.xlsx"))
    assert (early.returncode, early.stderr) == (
        2,
        "canbao: 2021-10-28 所在周无须报送参保进度（每周报送尚未开始）\n",
    )
    assert not (tmp_path / "早.xlsx").exists()
    students = canbao("students", "--month", "2021-11", "--json")
    assert json.loads(students.stdout)["districts"] == []
    wrong = canbao("students", "--month", "2021-13")
    assert (wrong.returncode, wrong.stderr) == (2, "canbao: 月份应为 YYYY-MM，得到 '2021-13'\n")

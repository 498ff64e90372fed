"""``canbao targets`` as a clerk runs it (SQLite): exit codes, the lines printed, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from test_targets import attachment, write_csv, write_xlsx

CANBAO = str(Path(sys.executable).parent / "canbao")


def canbao(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"CANBAO_DATABASE_URL": url}
    return subprocess.run(
        [CANBAO, "targets", *args], capture_output=True, text=True, env=environment, check=False
    )


def test_check_import_progress_report_and_students(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    gbk = write_csv(tmp_path / "目标.csv", attachment())
    found = canbao(url, "check", str(gbk))
    assert (found.returncode, found.stderr) == (1, "")
    assert (
        found.stdout
        == "第22行 贵阳贵安总计：表列 2710466，分项合计 2710446（第3、16行，相差 +20）\n"
    )
    kaiping = write_xlsx(
        tmp_path / "开平.xlsx", "开平市2022年度参保目标", [[1, "开平市", 500, None]]
    )
    clean = canbao(url, "check", str(kaiping))
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "no disagreements\n", "")
    bad = canbao(url, "check", str(tmp_path / "无此文件.csv"))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("canbao: 无此文件.csv：无法读取文件 无此文件.csv")

    imported = canbao(url, "import", str(kaiping), "--year", "2022", "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {
        "table_id": 1,
        "rows": 1,
        "regions": ["440783"],
        "unchanged": False,
        "disagreements": [],
    }
    again = canbao(url, "import", str(kaiping), "--year", "2022")
    assert (again.returncode, again.stdout) == (0, "未变化：1 行，1 个地区\n")

    progress = canbao(url, "progress", "--year", "2022", "--as-of", "2021-11-18", "--json")
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
    report = canbao(url, "report", "--week-of", "2021-11-04", str(out))
    assert (report.returncode, report.stdout) == (0, f"开平市 2021-11-04 参保进度报表：{out}\n")
    assert load_workbook(out)["本周进度"]["A3"].value == "开平市"
    early = canbao(url, "report", "--week-of", "2021-10-28", str(tmp_path / "早.xlsx"))
    assert (early.returncode, early.stderr) == (
        2,
        "canbao: 2021-10-28 所在周无须报送参保进度（每周报送尚未开始）\n",
    )
    assert not (tmp_path / "早.xlsx").exists()
    students = canbao(url, "students", "--month", "2021-11", "--json")
    assert json.loads(students.stdout)["districts"] == []
    wrong = canbao(url, "students", "--month", "2021-13")
    assert (wrong.returncode, wrong.stderr) == (2, "canbao: 月份应为 YYYY-MM，得到 '2021-13'\n")

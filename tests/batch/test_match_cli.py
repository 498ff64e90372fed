"""``canbao match``: the JSON on stdout, and one clear Chinese line with exit code 2 for input
that cannot be matched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_match import RECORDS, ROSTER, expected, write_csv

from canbao.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["match", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_against_a_records_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = write_csv(tmp_path / "roster.csv", ROSTER)
    source = write_csv(tmp_path / "records.csv", RECORDS)
    args = [str(roster), "--records", str(source), "--json", "--as-of", "2022-12-01"]
    code, out, err = run(args, capsys)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"rows": expected()}
    code, out, err = run(args[:3] + ["--as-of", "2022-12-01"], capsys)
    assert (code, out, err) == (
        0,
        "已参保 2 行，未参保 2 行，信息不一致 3 行，"
        "证件号码无效 4 行，按姓名匹配 4 行，无法确定 1 行\n",
        "",
    )


def test_a_roster_without_an_id_column_names_the_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = write_csv(
        tmp_path / "名单.csv", [["姓名", "性别", "出生日期"], ["张伟", "男", "1985-06-15"]]
    )
    source = write_csv(tmp_path / "records.csv", RECORDS)
    assert run([str(roster), "--records", str(source), "--json"], capsys) == (
        2,
        "",
        "canbao: 名单.csv：缺少必需的列："
        "身份证号码（或 公民身份号码、身份证号、证件号码、certno）\n",
    )


def test_bad_files_and_dates_are_refused_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = write_csv(tmp_path / "roster.csv", ROSTER)
    missing = tmp_path / "none.xlsx"
    assert run([str(missing), "--records", str(roster)], capsys) == (
        2, "", "canbao: none.xlsx：无法读取文件 none.xlsx：No such file or directory\n",
    )  # fmt: skip
    source = tmp_path / "records.txt"
    source.write_text("x", encoding="utf-8")
    assert run([str(roster), "--records", str(source)], capsys) == (
        2, "", f"canbao: {source}：文件类型须为 .csv 或 .parquet，而不是“.txt”\n",
    )  # fmt: skip
    assert run([str(roster), "--records", str(tmp_path / "none.csv")], capsys) == (
        2, "", f"canbao: 找不到参保记录文件 {tmp_path / 'none.csv'}\n",
    )  # fmt: skip
    assert run([str(roster), "--as-of", "2022-13-01"], capsys) == (
        2, "", "canbao: --as-of 应为 YYYY-MM-DD 格式的日期，而不是“2022-13-01”\n",
    )  # fmt: skip

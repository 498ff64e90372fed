"""Roster matching (数据对碰, T4) against the registry, on SQLite and PostgreSQL: who is enrolled,
who left and why, whose data disagree, who is found by name; matching writes nothing."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from canbao.adapters.database import Actor, unit_of_work
from canbao.batch.match import match_file
from canbao.certno import check_character
from canbao.cli import main
from canbao.config import settings
from canbao.domain.registry import STOP, Registration
from canbao.services import registry
from registry_helpers import counts, register

#: The workflow rules these tests prove (tests/rules/test_rule_coverage.py).
COVERS = {"T4"}

CLERK = Actor("clerk-a")
WANG = (b := "44078319850615123") + check_character(b)  # Kaiping, enrolled
LI = (b := "52010219850615125") + check_character(b)  # 南明区, stopped on 2022-03-01
ZHANG = (b := "44078319850615127") + check_character(b)  # registered nowhere
AS_OF = date(2022, 12, 1)
ROSTER = [
    ["南明区2022年度特困人员名单"],
    ["序号", "姓名", "公民身份号码", "性别", "户籍地址"],
    ["1", "王小明", WANG, "男", "广东省江门市开平市长沙街道"],
    ["2", "李四", LI, "男", "贵州省贵阳市南明区"],
    ["3", "张三", ZHANG, "男", "广东省江门市开平市"],
    ["4", "王晓明", WANG, "男", "广东省江门市开平市"],
    ["5", "李四", "", "男", "贵州省贵阳市南明区"],
]


@pytest.fixture
def url(database_url: str) -> str:
    register(database_url, CLERK, "王小明", WANG, "440783")
    register(database_url, CLERK, "李四", LI, "520102")
    with unit_of_work(database_url, CLERK) as uow:
        stopped = registry.apply(
            uow,
            Registration(
                chg_type=STOP, psn_name="李四", certno=LI, insuplc_admdvs="520102",
                accepted_on=date(2022, 3, 1), stop_reason="joined_employee",
            ),
        )  # fmt: skip
    assert stopped.status == "accepted"
    return database_url


def roster_file(folder: Path, rows: list[list[str]] = ROSTER) -> Path:
    path = folder / "特困名单.csv"
    with path.open("w", encoding="gb18030", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def psn_no(url: str, number: str) -> str:
    with unit_of_work(url, CLERK) as uow:
        found = registry.find_person(uow.connection, "01", number)
    assert found is not None
    return found


def expected(url: str) -> dict[str, object]:
    wang, li = psn_no(url, WANG), psn_no(url, LI)
    enrolled = "正常参保（城乡居民基本医疗保险，参保地 440783）"
    left = "自 2022-03-01 起暂停参保（城乡居民基本医疗保险，参保地 520102；原因：参加职工医保）"
    return {
        "rows": [
            {"row": 3, "certno": WANG, "status": "enrolled", "psn_no": wang, "details": enrolled},
            {"row": 4, "certno": LI, "status": "not_enrolled", "psn_no": li, "details": left},
            {"row": 5, "certno": ZHANG, "status": "not_enrolled", "psn_no": None,
             "details": "登记库中无此证件号码"},
            {"row": 6, "certno": WANG, "status": "disagrees", "psn_no": wang,
             "details": f"姓名不一致：名单为“王晓明”，登记为“王小明”；{enrolled}"},
            # no birth date on the roster: found by name and region (户籍地址 南明区), never
            # by name alone
            {"row": 7, "certno": LI, "status": "matched_by_name", "psn_no": li,
             "details": f"名单无证件号码；名单无出生日期；按姓名和地区找到：李四；{left}"},
        ]
    }  # fmt: skip


def test_a_roster_against_the_registry(url: str, tmp_path: Path) -> None:
    before = counts(url)
    report = match_file(roster_file(tmp_path), database_url=url, as_of=AS_OF)
    assert report.as_json() == expected(url)
    assert counts(url) == before


def test_without_birth_date_nor_region_nobody_is_found_by_name_alone(
    url: str, tmp_path: Path
) -> None:
    rows = [["姓名", "公民身份号码", "性别"], ["李四", "", "男"]]
    report = match_file(roster_file(tmp_path, rows), database_url=url, as_of=AS_OF)
    assert report.as_json() == {
        "rows": [
            {"row": 2, "certno": None, "status": "invalid_id", "psn_no": None,
             "details": "名单无证件号码；名单无出生日期和地区，无法按姓名比对"},
        ]
    }  # fmt: skip


def test_found_by_name_and_birth_date_and_as_of_before_the_stop(url: str, tmp_path: Path) -> None:
    rows = [ROSTER[1] + ["出生日期"], ["5", "李四", "", "男", "贵州省贵阳市南明区", "1985-06-15"]]
    report = match_file(roster_file(tmp_path, rows), database_url=url, as_of=date(2022, 2, 28))
    assert report.as_json() == {
        "rows": [
            {"row": 2, "certno": LI, "status": "matched_by_name", "psn_no": psn_no(url, LI),
             "details": "名单无证件号码；按姓名和出生日期找到：李四；"
                        "正常参保（城乡居民基本医疗保险，参保地 520102）"},
        ]
    }  # fmt: skip


def test_the_command_prints_json_and_writes_xlsx(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANBAO_DATABASE_URL", url)
    settings.cache_clear()
    out = tmp_path / "结果.xlsx"
    try:
        roster = str(roster_file(tmp_path))
        assert main(["match", roster, "--json", "--xlsx", str(out), "--as-of", "2022-12-01"]) == 0
    finally:
        settings.cache_clear()
    assert json.loads(capsys.readouterr().out) == expected(url)
    sheet = load_workbook(out).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[:3] == [
        ["数据对碰结果：特困名单.csv", None, None, None, None],
        ["行号", "身份证号码", "对碰结果", "个人编号", "说明"],
        [3, WANG, "已参保", psn_no(url, WANG), "正常参保（城乡居民基本医疗保险，参保地 440783）"],
    ]
    assert len(values) == 2 + len(ROSTER) - 2

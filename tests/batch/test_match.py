"""Roster matching (T4) against a section-7 records file, on DuckDB and on Spark: the exact
JSON of every row, the same on both engines."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from canbao.batch import records
from canbao.batch.match import MatchError, bench, match_file
from canbao.certno import check_character

AS_OF = date(2022, 12, 1)


def number(body: str) -> str:
    """A valid 18-character number from its first 17 digits."""
    return body + check_character(body)


ZHANG = number("44078319850615123")  # male
LI = number("52010219900101124")  # female
WANG = number("44078319850101001")  # male, a parent
SHAN = number("44078319800202001")
OUYANG = number("44078319700303003")
CHEN1, CHEN2 = number("44078319950505002"), number("44078319950505004")
ZHAO = number("11010119751010111")  # registered nowhere
BAD = ZHANG[:17] + ("0" if ZHANG[17] != "0" else "1")


def record(
    rlts_id: str, certno: str, name: str, gend: str, brdy: str, **more: str
) -> dict[str, str]:
    row = dict.fromkeys(records.COLUMNS, "")
    row.update(
        rlts_id=rlts_id, psn_no="P" + rlts_id, certno=certno, psn_name=name, gend=gend,
        brdy=brdy, insutype="390", psn_type="1501", insuplc_admdvs="440783",
        psn_insu_stas="1", psn_clct_stas="1", begndate="2021-01-01", flexible="false",
        employee_continuous_months="0",
    )  # fmt: skip
    row.update(more)
    return row


RECORDS = [
    record("1", ZHANG, "张伟", "1", "1985-06-15"),
    record(
        "2",
        LI,
        "李娜",
        "2",
        "1990-01-01",
        psn_insu_stas="2",
        enddate="2022-06-30",
        insuplc_admdvs="520102",
    ),  # fmt: skip
    record("3", WANG, "王大明", "1", "1985-01-01"),
    record("4", SHAN, "单雄信", "1", "1980-02-02"),
    record("5", OUYANG, "欧阳锋", "1", "1970-03-03"),
    record("6", CHEN1, "陈静", "2", "1995-05-05"),
    record("7", CHEN2, "陈静", "2", "1995-05-05", insuplc_admdvs="520102"),
]

ROSTER = [
    ["2022年度低保对象名单"],
    ["姓名", "身份证号码", "性别", "出生日期", "所属区县"],
    ["张伟", ZHANG, "男", "1985-06-15", "440783"],
    ["李娜", LI, "女", "1990-01-01", "520102"],
    ["赵六", ZHAO, "男", "1975-10-10", "440783"],
    ["张卫", ZHANG, "男", "1985-06-15", "440783"],
    ["王小宝", WANG, "男", "2022-09-01", "440783"],
    ["张伟", ZHANG, "女", "1985-06-15", "440783"],
    ["刘强", BAD, "男", "1985-06-15", "440783"],
    ["善雄信", "", "男", "1980-02-02", "440783"],
    ["歐陽鋒", "", "男", "1970-03-03", "440783"],
    ["陈静", "", "女", "1995-05-05", "440783"],
    ["張 偉", f"{ZHANG[:4]} {ZHANG[4:8]} {ZHANG[8:]}", "男", "1985年6月15日", "440783"],
    ["陈静", "", "男", "1995-05-05", "440783"],  # the same name and birthday, the other sex
    # Without a birth date: by name and region (row 12 above, with one, still finds 陈静 of
    # 520102 too: region is a further block, not a condition on the others).
    ["单雄信", "", "男", "", "440783"],
    ["陈静", "", "女", "", "520102"],
    ["张伟", "", "男", "", "441400"],
    ["李四", "", "男", "", ""],
]


def write_csv(path: Path, rows: list[list[str]] | list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        if rows and isinstance(rows[0], dict):
            writer = csv.DictWriter(stream, fieldnames=list(records.COLUMNS))
            writer.writeheader()
            writer.writerows(rows)  # type: ignore[arg-type]
        else:
            csv.writer(stream).writerows(rows)
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write_csv(tmp_path / "roster.csv", ROSTER), write_csv(tmp_path / "records.csv", RECORDS)


FOUND = "名单无证件号码；按姓名和出生日期找到"
BY_REGION = "名单无证件号码；名单无出生日期；按姓名和地区"
ENROLLED = "正常参保（城乡居民基本医疗保险，参保地 440783）"


def expected() -> list[dict[str, Any]]:
    def row(
        number_: int, certno: str | None, status: str, psn_no: str | None, details: str
    ) -> dict[str, Any]:
        return {
            "row": number_,
            "certno": certno,
            "status": status,
            "psn_no": psn_no,
            "details": details,
        }

    return [
        row(3, ZHANG, "enrolled", "P1", ENROLLED),
        row(4, LI, "not_enrolled", "P2",
            "自 2022-07-01 起暂停参保（城乡居民基本医疗保险，参保地 520102）"),
        row(5, ZHAO, "not_enrolled", None, "登记库中无此证件号码"),
        row(6, ZHANG, "disagrees", "P1", f"姓名不一致：名单为“张卫”，登记为“张伟”；{ENROLLED}"),
        row(7, WANG, "disagrees", "P3",
            "疑为新生儿使用父母的身份证号码：名单出生日期 2022-09-01，号码中的出生日期 1985-01-01；"
            f"姓名不一致：名单为“王小宝”，登记为“王大明”；{ENROLLED}"),
        row(8, ZHANG, "disagrees", "P1", f"性别与身份证号码不符：名单为女，号码中为男；{ENROLLED}"),
        row(9, BAD, "invalid_id", None,
            f"证件号码无效（校验码错误，应为 {ZHANG[17]}）；按姓名和出生日期未找到"),
        row(10, SHAN, "matched_by_name", "P4", f"{FOUND}：单雄信；{ENROLLED}"),
        row(11, OUYANG, "matched_by_name", "P5", f"{FOUND}：欧阳锋；{ENROLLED}"),
        row(12, None, "ambiguous", None,
            f"{FOUND}2人：陈静（个人编号 P6，证件号码 440783********{CHEN1[-4:]}）、"
            f"陈静（个人编号 P7，证件号码 440783********{CHEN2[-4:]}）"),
        row(13, ZHANG, "enrolled", "P1", ENROLLED),
        row(14, None, "invalid_id", None, "名单无证件号码；按姓名和出生日期未找到"),
        row(15, SHAN, "matched_by_name", "P4", f"{BY_REGION}找到：单雄信；{ENROLLED}"),
        row(16, CHEN2, "matched_by_name", "P7",
            f"{BY_REGION}找到：陈静；正常参保（城乡居民基本医疗保险，参保地 520102）"),
        row(17, None, "invalid_id", None, f"{BY_REGION}未找到"),
        row(18, None, "invalid_id", None, "名单无证件号码；名单无出生日期和地区，无法按姓名比对"),
    ]  # fmt: skip


def test_every_row_gets_its_status_on_both_engines(engine: str, files: tuple[Path, Path]) -> None:
    roster, source = files
    report = match_file(roster, records=source, engine=engine, as_of=AS_OF)  # type: ignore[arg-type]
    assert report.as_json() == {"rows": expected()}
    assert report.counts() == {
        "enrolled": 2, "not_enrolled": 2, "disagrees": 3, "invalid_id": 4,
        "matched_by_name": 4, "ambiguous": 1,
    }  # fmt: skip


def test_a_missing_records_file_is_a_clear_error(tmp_path: Path, files: tuple[Path, Path]) -> None:
    roster, _ = files
    with pytest.raises(MatchError, match="找不到参保记录文件"):
        match_file(roster, records=tmp_path / "none.csv", as_of=AS_OF)


def test_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    figures = bench(200, 1000, "duckdb", linkage_rows=5, folder=tmp_path)
    assert (figures.roster_rows, figures.records, figures.linkage_rows) == (200, 1000, 5)
    assert (
        figures.exact_seconds > 0 and figures.linkage_seconds > 0 and figures.baseline_seconds > 0
    )

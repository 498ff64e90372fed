"""``canbao.batch.dedup``: exact rows for every kind of duplicate on both engines, identical
files from DuckDB and Spark, and bad input refused with no output file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from batch_helpers import read_output, record, write_records

from canbao.batch.dedup import OUTPUT, dedup
from canbao.batch.records import RecordsError

AS_OF = date(2025, 6, 30)
COLLEGE = {"categories": "college_student"}


def population() -> list[dict[str, Any]]:
    return [
        # D2: two resident records, the habitual residence kept, the other terminated (D6).
        record("A1", "A", places="habitual_residence"),
        record(
            "A2",
            "A",
            insuplc_admdvs="520102",
            begndate="2024-03-01",
            enddate="2024-12-31",
            places="hukou",
        ),
        # D2/D6: 24 continuous employee months, the employee record kept.
        record("B1", "B", begndate="2023-01-01", employee_continuous_months=24),
        record(
            "B2",
            "B",
            insutype="310",
            insuplc_admdvs="520102",
            places="employment",
            employee_continuous_months=24,
        ),
        # D2: 6 employee months, not a year: the documents do not say which is kept.
        record("C1", "C", employee_continuous_months=6),
        record("C2", "C", insutype="310", begndate="2024-05-01", employee_continuous_months=6),
        # D3: flexible work, the resident record suspended, same region: nobody to notify.
        record("D1", "D"),
        record("D2", "D", insutype="310", flexible=True, places="employment"),
        # D4: tuopin at hukou and residence places, no written choice yet.
        record("E1", "E", places="hukou", identities="tuopin"),
        record(
            "E2", "E", insuplc_admdvs="441402", places="habitual_residence", identities="tuopin"
        ),
        # Not duplicates: a continuation (touching periods), and an unpaid record.
        record("F1", "F", begndate="2022-01-01", enddate="2023-12-31"),
        record("F2", "F"),
        record("G1", "G"),
        record("G2", "G", insuplc_admdvs="520102", psn_clct_stas="2"),
        # D5: a college student who found a job: the school's place suspends.
        record(
            "H1", "H", begndate="2022-09-01", places="school", entered_school_year=2022, **COLLEGE
        ),
        record(
            "H2",
            "H",
            insutype="310",
            insuplc_admdvs="520102",
            begndate="2025-07-01",
            places="employment",
            entered_school_year=2022,
            **COLLEGE,
        ),
    ]


def row(
    rid: str,
    group: str,
    kind: str,
    action: str | None,
    deducted: bool | None,
    notify: str | None,
    rules: str,
    status: str = "decided",
) -> dict[str, Any]:
    certno = rid[0]
    return dict(
        zip(
            OUTPUT,
            [rid, certno, f"{certno}/{group}", kind, action, deducted, notify, rules, status],
            strict=True,
        )
    )


EXPECTED = [
    row("A1", "A1", "intra_scheme", "keep", False, None, "D1;D2;D3;D6;D7"),
    row("A2", "A1", "intra_scheme", "terminate", True, "520102", "D1;D2;D3;D6;D7"),
    row("B1", "B1", "cross_scheme", "terminate", True, "440783", "D1;D2;D3;D6;D7"),
    row("B2", "B1", "cross_scheme", "keep", False, None, "D1;D2;D3;D6;D7"),
    row("C1", "C1", "cross_scheme", None, False, None, "D1;D2;D7", "policy_gap"),
    row("C2", "C1", "cross_scheme", None, False, None, "D1;D2;D7", "policy_gap"),
    row("D1", "D1", "cross_scheme", "suspend", False, None, "D1;D3;D6;D7"),
    row("D2", "D1", "cross_scheme", "keep", False, None, "D1;D3;D6;D7"),
    row("E1", "E1", "intra_scheme", "awaiting_consent", False, None, "D1;D4;D7"),
    row("E2", "E1", "intra_scheme", "awaiting_consent", False, None, "D1;D4;D7"),
    row("H1", "H1", "cross_scheme", "suspend", False, "440783", "D1;D5;D6;D7"),
    row("H2", "H1", "cross_scheme", "keep", False, None, "D1;D5;D6;D7"),
]


def test_every_kind_of_duplicate(engine: str, tmp_path: Path) -> None:
    source = write_records(tmp_path / "records.csv", population())
    result = dedup(
        source,
        tmp_path / "out.parquet",
        engine=engine,  # type: ignore[arg-type]
        as_of=AS_OF,
    )
    assert read_output(tmp_path / "out.parquet") == EXPECTED
    assert (result.records, result.groups, result.rows, result.gaps) == (16, 6, 12, 1)
    assert result.actions == {
        "awaiting_consent": 2,
        "keep": 4,
        "suspend": 2,
        "terminate": 2,
        "undetermined": 2,
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet", "records.csv"]


def test_csv_output_and_parquet_input(tmp_path: Path) -> None:
    source = write_records(tmp_path / "records.parquet", population())
    dedup(source, tmp_path / "out.csv", as_of=AS_OF)
    text = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert text[0] == ",".join(OUTPUT)
    assert text[1:3] == [
        "A1,A,A/A1,intra_scheme,keep,false,,D1;D2;D3;D6;D7,decided",
        "A2,A,A/A1,intra_scheme,terminate,true,520102,D1;D2;D3;D6;D7,decided",
    ]
    assert text[5] == "C1,C,C/C1,cross_scheme,,false,,D1;D2;D7,policy_gap"
    assert len(text) == 1 + len(EXPECTED)


@pytest.mark.spark
def test_spark_writes_the_duckdb_file(tmp_path: Path, spark: Any) -> None:
    source = write_records(tmp_path / "records.csv", population())
    dedup(source, tmp_path / "duckdb.parquet", as_of=AS_OF)
    dedup(source, tmp_path / "spark.parquet", engine="spark", as_of=AS_OF)
    assert (tmp_path / "spark.parquet").read_bytes() == (tmp_path / "duckdb.parquet").read_bytes()


def test_meizhou_clears_locally_in_2022(tmp_path: Path) -> None:
    """D8 (梅市医保〔2021〕7号 四（一）) is policy data for 2022 only."""
    rows = [
        record(
            "K1", "K", insuplc_admdvs="441402", begndate="2022-01-01", places="habitual_residence"
        ),
        record("K2", "K", insuplc_admdvs="441403", begndate="2022-03-01", places="hukou"),
    ]
    source = write_records(tmp_path / "records.csv", rows)
    dedup(source, tmp_path / "out.parquet", as_of=date(2022, 6, 30))
    assert read_output(tmp_path / "out.parquet") == [
        row("K1", "K1", "intra_scheme", "keep", False, None, "D1;D2;D3;D6;D8;D7"),
        row("K2", "K1", "intra_scheme", "terminate", True, "441403", "D1;D2;D3;D6;D8;D7"),
    ]


def test_separate_groups_of_one_person_are_each_decided(tmp_path: Path) -> None:
    rows = [
        record("P1", "P", begndate="2021-01-01", enddate="2021-12-31", places="habitual_residence"),
        record(
            "P2",
            "P",
            begndate="2021-06-01",
            enddate="2021-12-31",
            places="hukou",
            insuplc_admdvs="520102",
        ),
        record("P3", "P", begndate="2024-01-01", places="habitual_residence"),
        record(
            "P4",
            "P",
            begndate="2024-02-01",
            insutype="310",
            places="employment",
            insuplc_admdvs="520102",
            flexible=True,
        ),
    ]
    source = write_records(tmp_path / "records.csv", rows)
    dedup(source, tmp_path / "out.parquet", as_of=AS_OF)
    got = [
        (r["rlts_id"], r["group_id"], r["action"]) for r in read_output(tmp_path / "out.parquet")
    ]
    assert got == [
        ("P1", "P/P1", "keep"),
        ("P2", "P/P1", "terminate"),
        ("P3", "P/P3", "suspend"),
        ("P4", "P/P3", "keep"),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"begndate": "2024-13-01"},
            "第3行，列 begndate：应为日期（YYYY-MM-DD）（值为“2024-13-01”）",
        ),
        ({"insutype": "999"}, "第3行，列 insutype：代码不在 310、390 之中（值为“999”）"),
        ({"certno": ""}, "第3行，列 certno：不能为空（值为空）"),
        ({"enddate": "2023-01-01"}, "第3行，列 enddate：结束日期早于开始日期（值为“2023-01-01”）"),
        ({"places": "home"}, "第3行，列 places：代码不在"),
        ({"employee_continuous_months": "x"}, "第3行，列 employee_continuous_months：应为整数"),
    ],
)
def test_bad_value_names_row_and_column(
    change: dict[str, str], message: str, tmp_path: Path
) -> None:
    rows = population()[:3]
    rows[1].update(change)
    source = write_records(tmp_path / "records.csv", rows)
    with pytest.raises(RecordsError) as raised:
        dedup(source, tmp_path / "out.csv", as_of=AS_OF)
    assert f"{source}：{message}" in str(raised.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.csv"]


def test_missing_column_and_unreadable_file(tmp_path: Path) -> None:
    source = tmp_path / "records.csv"
    source.write_text("rlts_id,certno\nA1,A\n", encoding="utf-8")
    with pytest.raises(RecordsError, match="缺少列 psn_no、psn_name"):
        dedup(source, tmp_path / "out.csv", as_of=AS_OF)
    broken = tmp_path / "records.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(RecordsError, match="无法读取"):
        dedup(broken, tmp_path / "out.csv", as_of=AS_OF)
    with pytest.raises(RecordsError, match="文件不存在"):
        dedup(tmp_path / "absent.csv", tmp_path / "out.csv", as_of=AS_OF)
    with pytest.raises(RecordsError, match="文件类型须为"):
        dedup(source, tmp_path / "out.xlsx", as_of=AS_OF)
    with pytest.raises(RecordsError, match="输出文件夹 .*absent 不存在"):
        dedup(source, tmp_path / "absent" / "out.csv", as_of=AS_OF)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.csv", "records.parquet"]


def test_repeated_record_id(tmp_path: Path) -> None:
    rows = [record("A1", "A", places="habitual_residence"), record("A1", "A", places="hukou")]
    source = write_records(tmp_path / "records.csv", rows)
    with pytest.raises(RecordsError, match="rlts_id 重复：“A1”"):
        dedup(source, tmp_path / "out.csv", as_of=AS_OF)
    assert not (tmp_path / "out.csv").exists()

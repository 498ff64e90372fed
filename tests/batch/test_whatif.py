"""What-if (W11) over a registry: exact totals with the policy as it is and with changed
values, who changes, nothing written; the overrides' parsing and errors; the command line;
the bench at a tiny size."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from batch_helpers import record, write_records
from sqlalchemy import insert

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, UnitOfWork, ready, unit_of_work
from canbao.batch import whatif
from canbao.certno.check import check_character
from canbao.cli import main
from canbao.config import settings
from canbao.domain.registry import NEW, STOP, Registration
from canbao.policy import load_policy
from canbao.policy.override import OverrideError, parse_overrides
from canbao.services import collection, hardship, registry
from registry_helpers import counts

CLERK, REVIEWER = Actor("clerk"), Actor("reviewer")
KAIPING, NANMING = "440783", "520102"
D = Decimal


def certno(region: str, serial: int) -> str:
    first17 = f"{region}19800101{serial:03d}"
    return first17 + check_character(first17)


#: (region, serial, hukou, identities)
PEOPLE = [
    (KAIPING, 1, KAIPING, ()),
    (KAIPING, 2, KAIPING, ("dibao",)),
    (KAIPING, 3, KAIPING, ("tekun",)),
    (KAIPING, 4, "440703", ("dibao",)),  # 开平方案 三（二）: subsidy for local hukou only
    (KAIPING, 5, KAIPING, ()),  # stopped before the year: not an active enrollee
    (NANMING, 1, NANMING, ()),
    (NANMING, 2, NANMING, ("dibao",)),
]


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with unit_of_work(url, CLERK) as uow:
        for region, serial, hukou, identities in PEOPLE:
            outcome = registry.apply(
                uow,
                Registration(
                    chg_type=NEW,
                    psn_name=f"居民{region}{serial}",
                    certno=certno(region, serial),
                    gend="1",
                    brdy=date(1980, 1, 1),
                    insuplc_admdvs=region,
                    hukou_admdvs=hukou,
                    accepted_on=date(2021, 10, 15),
                ),
            )
            assert outcome.status == "accepted", outcome.reason
            change_id = uow.record("hardship", psn_no=outcome.psn_no)
            for identity in identities:
                uow.connection.execute(
                    insert(t.hardship_identity).values(
                        psn_no=outcome.psn_no,
                        identity=identity,
                        begin=date(2021, 1, 1),
                        department="civil_affairs",
                        list_month="2021-01",
                        change_id=change_id,
                    )
                )
        outcome = registry.apply(
            uow,
            Registration(
                chg_type=STOP,
                psn_name=f"居民{KAIPING}5",
                certno=certno(KAIPING, 5),
                insuplc_admdvs=KAIPING,
                accepted_on=date(2021, 11, 10),
                stop_reason="joined_employee",
            ),
        )
        assert outcome.status == "accepted"
    with unit_of_work(url, REVIEWER) as uow:  # the assessment counts confirmed identities only
        hardship.confirm_hardship_list(uow, "civil_affairs", "2021-01")
    return url


def run(url: str, region: str, *texts: str) -> dict[str, object]:
    with ready(url).connect() as connection:
        return whatif.run(connection, region, 2022, parse_overrides(texts)).as_json()


KAIPING_400 = {
    "region": KAIPING,
    "year": 2022,
    "set": {"resident.individual_standard": "400"},
    "persons": 4,
    "current": {
        "payable": "752.00",
        "subsidy": "752.00",
        "funding": {"undetermined": "752.00"},
        "not_decided": 0,
    },
    "whatif": {
        "payable": "800.00",
        "subsidy": "800.00",
        "funding": {"undetermined": "800.00"},
        "not_decided": 0,
    },
    "changed": {
        "persons": 2,
        "combinations": 2,
        "largest": [
            {
                "region": KAIPING,
                "identities": [],
                "hukou": None,
                "persons": 1,
                "payable": {"current": "376.00", "whatif": "400.00"},
            },
            {
                "region": KAIPING,
                "identities": ["dibao"],
                "hukou": "440703",
                "persons": 1,
                "payable": {"current": "376.00", "whatif": "400.00"},
            },
        ],
    },
}


def test_a_higher_standard_in_kaiping_exact_totals_and_nothing_written(url: str) -> None:
    before = counts(url)
    assert run(url, KAIPING, "resident.individual_standard=400") == KAIPING_400
    assert counts(url) == before


def test_the_same_after_the_yearly_assessment(url: str) -> None:
    """What-if takes every active enrollee, assessed for the year or not."""
    with unit_of_work(url, CLERK) as uow:
        assert collection.assess(uow, KAIPING, 2022).assessed == 4
    assert run(url, KAIPING, "resident.individual_standard=400") == KAIPING_400


def test_a_fixed_dibao_subsidy_in_guiyang_changes_funding_by_source(url: str) -> None:
    """Guiyang's 低保 is full (320: 140 medical assistance, the rest city and county 40/60,
    筑医保通〔2021〕34号 二); fixed at 200 the funding is undetermined and 120 is paid."""
    report = run(
        url,
        "520100",
        'subsidy.dibao={ kind = "fixed", amount = 200, funding = "undetermined" }',
    )
    assert report["persons"] == 2
    assert report["current"] == {
        "payable": "320.00",
        "subsidy": "320.00",
        "funding": {
            "city_finance": "72.00",
            "county_finance": "108.00",
            "medical_assistance_fund": "140.00",
        },
        "not_decided": 0,
    }
    assert report["whatif"] == {
        "payable": "440.00",
        "subsidy": "200.00",
        "funding": {"undetermined": "200.00"},
        "not_decided": 0,
    }
    assert report["changed"] == {
        "persons": 1,
        "combinations": 1,
        "largest": [
            {
                "region": NANMING,
                "identities": ["dibao"],
                "hukou": NANMING,
                "persons": 1,
                "payable": {"current": "0.00", "whatif": "120.00"},
            }
        ],
    }


def test_an_override_keeps_its_source() -> None:
    policy = load_policy()
    changed = policy.with_values({"resident.individual_standard": D("400")}, KAIPING, 2022)
    value = changed.find("resident.individual_standard", KAIPING, 2022)
    assert value is not None
    assert (value.value, value.source and value.source.doc) == (D("400"), "what-if")
    assert policy.find("resident.individual_standard", KAIPING, 2022).value == D("376")  # type: ignore[union-attr]
    assert changed.find("resident.individual_standard", KAIPING, 2023) == policy.find(
        "resident.individual_standard", KAIPING, 2023
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "resident.standard=400",
            "resident.standard：政策参数中没有此项（unknown key 'resident.standard'）",
        ),
        (
            "subsidy.nobody=1",
            "subsidy.nobody：政策参数中没有此项（unknown identity code 'nobody'）",
        ),
        (
            "resident.individual_standard=四百",
            "resident.individual_standard=四百：不是money类型的值",
        ),
        (
            "resident.individual_standard=-1",
            "resident.individual_standard=-1：expected an amount in yuan, got Decimal('-1')",
        ),
        ("resident.individual_standard=NaN", "resident.individual_standard=NaN：不是money类型的值"),
        (
            "coverage.target_rate=1.5",
            "coverage.target_rate=1.5：expected a share 0…1, got Decimal('1.5')",
        ),
        ("subsidy.dibao=3", "subsidy.dibao=3：expected { kind = fixed|full|gap, ... }, got 3"),
        (
            "resident.individual_standard",
            "'resident.individual_standard'：应为 KEY=VALUE（如 resident.individual_standard=400）",
        ),
    ],
)
def test_a_bad_key_or_value_is_named(text: str, message: str) -> None:
    with pytest.raises(OverrideError) as error:
        parse_overrides([text])
    assert str(error.value) == message


def canbao(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``canbao whatif ARGS`` in process."""
    code = main(["whatif", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_command_line(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(url)
    monkeypatch.setenv("CANBAO_DATABASE_URL", url)
    settings.cache_clear()
    args = ("--region", KAIPING, "--year", "2022", "--set", "resident.individual_standard=400")
    code, out, err = canbao(capsys, *args, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == KAIPING_400
    code, out, err = canbao(capsys, *args)
    assert out.splitlines()[:4] == [
        "开平市 2022年度：4 人",
        "现行：个人缴费 752.00，资助 752.00（undetermined 752.00），未能核定 0 人",
        "测算：个人缴费 800.00，资助 800.00（undetermined 800.00），未能核定 0 人",
        "缴费金额变化：2 人",
    ]
    code, out, err = canbao(capsys, *args[:4], "--set", "resident.standard=400")
    assert (code, out) == (2, "")
    assert (
        err == "canbao: resident.standard：政策参数中没有此项（unknown key 'resident.standard'）\n"
    )
    assert counts(url) == before
    settings.cache_clear()


def test_the_bench_runs_at_a_tiny_size() -> None:
    figure = whatif.bench(300)
    assert figure.database == "sqlite"
    assert figure.persons > 0 and figure.seconds > 0 and figure.baseline_seconds > 0


def register(uow: UnitOfWork, serial: int, accepted_on: date, born: date) -> str:
    first17 = f"{KAIPING}{born:%Y%m%d}{serial:03d}"
    outcome = registry.apply(
        uow,
        Registration(
            chg_type=NEW,
            psn_name=f"居民{KAIPING}{serial}",
            certno=first17 + check_character(first17),
            gend="1",
            brdy=born,
            insuplc_admdvs=KAIPING,
            hukou_admdvs=KAIPING,
            accepted_on=accepted_on,
        ),
    )
    assert outcome.status == "accepted", outcome.reason
    assert outcome.psn_no is not None
    return outcome.psn_no


def test_the_count_without_staging_is_the_assessments_count(url: str) -> None:
    """``count_combinations`` (what-if: GROUP BY, nothing staged) counts exactly as the
    assessment's staging: for 2021, the registrations of 2021-10-15 are for 2022 (Kaiping's
    concentrated period) and a newborn registered in March is for 2021; an identity held but
    not confirmed counts as none."""
    with unit_of_work(url, CLERK) as uow:
        newborn = register(uow, 6, date(2021, 3, 1), born=date(2021, 2, 1))  # E4
        change_id = uow.record("hardship", psn_no=newborn)
        uow.connection.execute(
            insert(t.hardship_identity).values(
                psn_no=newborn,
                identity="tekun",
                begin=date(2021, 1, 1),
                department="civil_affairs",
                list_month="2021-03",
                change_id=change_id,
            )
        )
    policy = load_policy()
    plain = collection.Combination(KAIPING, frozenset(), None)
    expected = {
        2021: {plain: 1},
        2022: {
            plain: 2,
            collection.Combination(KAIPING, frozenset({"dibao"}), KAIPING): 1,
            collection.Combination(KAIPING, frozenset({"tekun"}), KAIPING): 1,
            collection.Combination(KAIPING, frozenset({"dibao"}), "440703"): 1,
        },
    }
    with ready(url).connect() as connection:
        regions = collection.enrollment_regions(connection, policy, KAIPING)
        for year, pending in [(2021, True), (2022, True), (2022, False)]:
            counted = collection.count_combinations(connection, policy, regions, year, pending)
            staged = collection.combination_counts(connection, policy, regions, year, pending)
            assert counted == staged == expected[year]
        connection.rollback()


#: Records of Kaiping and Nanming for 2022: (rlts_id, region, insutype, status, begin, end,
#: identities). For 2022, in: R1–R3, R6 and R8 (registered during 2022: no period of 2023 in the
#: policy data, so for 2022), R10; out: R4 suspended, R5 ended 2021, R7 employee, R9 Nanming.
#: For 2021, R10 (registered 2021-10-15, in the concentrated period for 2022) is out.
RECORDS = [
    ("R1", KAIPING, "390", "1", "2020-01-01", "", ""),
    ("R2", KAIPING, "390", "1", "2020-01-01", "", "dibao"),
    ("R3", KAIPING, "390", "1", "2021-05-01", "2022-06-30", "tekun;dibao"),
    ("R4", KAIPING, "390", "2", "2020-01-01", "", ""),
    ("R5", KAIPING, "390", "1", "2020-01-01", "2021-12-31", ""),
    ("R6", KAIPING, "390", "1", "2022-03-01", "", ""),
    ("R7", KAIPING, "310", "1", "2020-01-01", "", ""),
    ("R8", KAIPING, "390", "1", "2022-11-15", "", ""),
    ("R9", NANMING, "390", "1", "2020-01-01", "", "dibao"),
    ("R10", KAIPING, "390", "1", "2021-10-15", "", ""),
]


def test_what_if_over_a_records_file_on_both_engines(tmp_path: Path, engine: str) -> None:
    """The same SQL on DuckDB and Spark gives this exact report. The records carry no hukou:
    the engine takes an unknown hukou as meeting Kaiping's local-hukou condition (开平方案
    三（二）), so R2 and R3 are subsidized."""
    path = write_records(
        tmp_path / "records.parquet",
        [
            record(
                rid,
                certno(region, n),
                insuplc_admdvs=region,
                insutype=insutype,
                psn_insu_stas=status,
                begndate=begin,
                enddate=end,
                identities=identities,
            )
            for n, (rid, region, insutype, status, begin, end, identities) in enumerate(RECORDS)
        ],
    )

    def run(year: int) -> dict[str, Any]:
        return whatif.run_records(
            path,
            KAIPING,
            year,
            parse_overrides(["resident.individual_standard=400"]),
            "spark" if engine == "spark" else "duckdb",
        ).as_json()

    if engine == "duckdb":  # one Spark run is enough to compare
        assert run(2021)["persons"] == 4  # R1, R2, R3 (mid-2021), R5
    assert run(2022) == {
        "region": KAIPING,
        "year": 2022,
        "set": {"resident.individual_standard": "400"},
        "persons": 6,
        "current": {
            "payable": "1504.00",
            "subsidy": "752.00",
            "funding": {"undetermined": "752.00"},
            "not_decided": 0,
        },
        "whatif": {
            "payable": "1600.00",
            "subsidy": "800.00",
            "funding": {"undetermined": "800.00"},
            "not_decided": 0,
        },
        "changed": {
            "persons": 4,
            "combinations": 1,
            "largest": [
                {
                    "region": KAIPING,
                    "identities": [],
                    "hukou": None,
                    "persons": 4,
                    "payable": {"current": "376.00", "whatif": "400.00"},
                }
            ],
        },
    }


def test_what_if_over_records_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_records(
        tmp_path / "records.csv", [record("R1", certno(KAIPING, 1), begndate="2020-01-01")]
    )
    args = ("--region", KAIPING, "--year", "2022", "--set", "resident.individual_standard=400")
    code, out, err = canbao(capsys, *args, "--records", str(path), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["persons"] == 1
    code, out, err = canbao(capsys, *args, "--engine", "spark")
    assert (code, out, err) == (
        2,
        "",
        "canbao: --engine spark 须与 --records 一起使用（登记库上的测算在数据库中计数）\n",
    )
    bad = write_records(
        tmp_path / "bad.csv", [record("R1", certno(KAIPING, 1), begndate="2020-13-01")]
    )
    code, out, err = canbao(capsys, *args, "--records", str(bad))
    assert (code, out) == (2, "")
    assert err == f"canbao: {bad}：第2行，列 begndate：应为日期（YYYY-MM-DD）（值为“2020-13-01”）\n"


def test_the_records_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    path = write_records(
        tmp_path / "records.parquet", [record("R1", certno(KAIPING, 1), begndate="2020-01-01")]
    )
    figure = whatif.bench_records(path)
    assert (figure.persons, figure.database) == (1, "records, duckdb")
    assert figure.seconds > 0 and figure.baseline_seconds > 0

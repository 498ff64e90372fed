"""The batch and `canbao decide` agree: random persons → the dedup job's rows for each person
are what ``decide_case`` answers for that person's records (SPEC section 7, issue 7).

Each Hypothesis example is a population of random persons written to one file and run through
the job once; every person's rows are then checked against ``decide_case``: the group the
decision picks (``duplicate_records``) and, for each of ``other_duplicate_groups``, the
decision on that group's records alone (canbao.batch.dedup's notes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from batch_helpers import read_output, record, write_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canbao.batch.dedup import dedup
from canbao.contract import decide_case

AS_OF = date(2025, 6, 30)
#: Kaiping, a Meizhou county (D8 clears locally), Guiyang, Gui'an, and a region outside.
REGIONS = ("440783", "441402", "520102", "520190", "110101")
DAYS = (
    "2021-01-01",
    "2022-09-01",
    "2023-01-01",
    "2023-09-01",
    "2024-01-01",
    "2024-06-30",
    "2024-07-01",
    "2025-01-01",
    "2025-06-30",
)
PLACES = ("employment", "habitual_residence", "school", "hukou", "poverty_identified")


@st.composite
def persons(draw: Any, number: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One person: their facts and 1–4 records (shared days, so that overlaps, touching
    periods and same first days are frequent)."""
    certno = f"44078319900101{number:04d}"
    facts = {
        "identities": sorted(draw(st.sets(st.sampled_from(["tuopin", "dibao"])))),
        "categories": sorted(
            draw(st.sets(st.sampled_from(["college_student", "school_student", "veteran"])))
        ),
        "entered_school_year": draw(st.none() | st.integers(2021, 2025)),
        "months": draw(st.sampled_from([0, 5, 11, 12, 13, 36])),
    }
    rows = []
    for index in range(draw(st.integers(1, 4))):
        start = draw(st.sampled_from(DAYS))
        end = draw(st.none() | st.sampled_from([d for d in DAYS if d >= start]))
        rows.append(
            record(
                f"R{number:04d}{draw(st.sampled_from('ABCDEFGH'))}{index}",
                certno,
                insutype=draw(st.sampled_from(["310", "390"])),
                insuplc_admdvs=draw(st.sampled_from(REGIONS)),
                begndate=start,
                enddate=end,
                psn_insu_stas=draw(st.sampled_from(["1", "1", "1", "2", "4"])),
                psn_clct_stas=draw(st.sampled_from(["1", "1", "1", "2"])),
                places=";".join(sorted(draw(st.sets(st.sampled_from(PLACES), max_size=3)))),
                flexible=draw(st.booleans()),
                identities=";".join(facts["identities"]),
                categories=";".join(facts["categories"]),
                entered_school_year=facts["entered_school_year"],
                employee_continuous_months=facts["months"],
            )
        )
    return facts, rows


@st.composite
def populations(draw: Any, size: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return [draw(persons(n)) for n in range(size)]


def case(facts: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "duplicates",
        "as_of": AS_OF.isoformat(),
        "person": {
            "identities": facts["identities"],
            "categories": facts["categories"],
            "entered_school_year": facts["entered_school_year"],
        },
        "employee_continuous_months": facts["months"],
        "records": [
            {
                "id": r["rlts_id"],
                "scheme": "employee" if r["insutype"] == "310" else "resident",
                "region": r["insuplc_admdvs"],
                "from": r["begndate"],
                "to": r["enddate"] or "2100-12-31",
                "psn_insu_stas": r["psn_insu_stas"],
                "paid": r["psn_clct_stas"] == "1",
                "places": [p for p in r["places"].split(";") if p],
                "flexible": r["flexible"] == "true",
            }
            for r in rows
        ],
    }


def expected_rows(
    certno: str, ids: list[str], answer: dict[str, Any], status: str, rules: list[str]
) -> list[dict[str, Any]]:
    """The batch's rows for a group, from ``decide``'s answer."""
    actions = {a["id"]: a for a in answer["actions"] or []}
    deducted = answer["subsidy_deduction"]
    group_id = f"{certno}/{min(ids)}"
    out = []
    for rid in sorted(ids):
        if answer["awaiting_consent"]:
            action = "awaiting_consent"
        elif rid == answer["keep"]:
            action = "keep"
        else:
            action = actions[rid]["action"] if rid in actions else None
        out.append(
            {
                "rlts_id": rid,
                "certno": certno,
                "group_id": group_id,
                "type": answer["type"],
                "action": action,
                "subsidy_deduction": None if deducted is None else rid in deducted,
                "notify_region": actions[rid]["notify_region"] if rid in actions else None,
                "rules": ";".join(rules),
                "status": status,
            }
        )
    return out


def expected(population: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for facts, records in population:
        certno = records[0]["certno"]
        whole = decide_case(case(facts, records))
        assert whole.status.value != "invalid", whole.errors
        groups = [whole.answer["duplicate_records"], *whole.answer["other_duplicate_groups"]]
        for number, ids in enumerate(g for g in groups if g):
            decision = whole
            if number:
                alone = [r for r in records if r["rlts_id"] in ids]
                decision = decide_case(case(facts, alone))
                assert decision.answer["duplicate_records"] == ids
            rows += expected_rows(
                certno, ids, decision.answer, decision.status.value, list(decision.rules)
            )
    return sorted(rows, key=lambda r: (r["group_id"], r["rlts_id"]))


def check(
    population: list[tuple[dict[str, Any], list[dict[str, Any]]]], folder: Path, engine: str
) -> None:
    source = write_records(folder / "records.parquet", [r for _, rs in population for r in rs])
    output = folder / "duplicates.parquet"
    output.unlink(missing_ok=True)
    dedup(source, output, engine="spark" if engine == "spark" else "duckdb", as_of=AS_OF)
    assert read_output(output) == expected(population)


@settings(
    max_examples=7, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(population=populations(size=40))
def test_duckdb_agrees_with_decide(population: Any, tmp_path: Path) -> None:
    check(population, tmp_path, "duckdb")


@pytest.mark.spark
@settings(
    max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(population=populations(size=30))
def test_spark_agrees_with_decide(population: Any, tmp_path: Path, spark: Any) -> None:
    check(population, tmp_path, "spark")

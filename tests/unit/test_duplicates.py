"""Duplicate enrollment (D1–D8): invalid cases and properties over generated record sets."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invalid_case import error_paths

from canbao.contract import decide_case
from canbao.domain.decision import to_json


def record(rid: str, scheme: str = "resident", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": rid,
        "scheme": scheme,
        "region": "440783",
        "from": "2022-01-01",
        "to": "2022-12-31",
        "psn_insu_stas": "1",
        "paid": True,
        "places": [],
        "flexible": False,
    }
    base.update(changes)
    return base


def case(records: Any, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "duplicates",
        "as_of": "2022-03-01",
        "person": {"identities": [], "categories": []},
        "employee_continuous_months": 0,
        "records": records,
    }
    base.update(changes)
    return base


def answer(raw: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = to_json(decide_case(raw).as_json())
    return result


TWO = [record("A", places=["habitual_residence"]), record("B", places=["hukou"])]


@pytest.mark.parametrize(
    ("raw", "paths"),
    [
        (case(TWO, as_of="2022-02-30"), ["as_of"]),
        ({k: v for k, v in case(TWO).items() if k != "records"}, ["records"]),
        (
            {k: v for k, v in case(TWO).items() if k != "employee_continuous_months"},
            ["employee_continuous_months"],
        ),
        (case([record("A", to="2021-12-31"), TWO[1]]), ["records[0].to"]),
        (case([record("A"), record("A")]), ["records[1].id"]),
        (case([record("A", scheme="390"), TWO[1]]), ["records[0].scheme"]),
        (case([record("A", psn_insu_stas="9"), TWO[1]]), ["records[0].psn_insu_stas"]),
        (case([{k: v for k, v in TWO[0].items() if k != "paid"}, TWO[1]]), ["records[0].paid"]),
        (
            case([record("A", paid="yes"), record("B", region="4407")]),
            ["records[0].paid", "records[1].region"],
        ),
        (case([record("A", places=["school", "office"]), TWO[1]]), ["records[0].places[1]"]),
        (
            case(TWO, person={"identities": ["poor"], "categories": ["student"]}),
            ["person.categories[0]", "person.identities[0]"],
        ),
        (case(TWO, chosen_record="C"), ["chosen_record"]),
        (case(TWO, employee_continuous_months=-1), ["employee_continuous_months"]),
        (case("not a list"), ["records"]),
    ],
)
def test_invalid_cases_name_every_bad_field(raw: dict[str, Any], paths: list[str]) -> None:
    assert error_paths(raw) == paths


def test_without_entry_year_only_the_deduction_is_open() -> None:
    raw = case(
        [record("A", places=["school"]), record("B", region="520102", places=["hukou"])],
        person={"identities": [], "categories": ["college_student"]},
    )
    got = answer(raw)
    assert got["status"] == "policy_gap"
    assert got["keep"] == "A"
    assert got["actions"] == [{"id": "B", "action": "terminate", "notify_region": "520102"}]
    assert got["subsidy_deduction"] is None
    assert got["subsidy_deduction_undetermined"] == ["B"]
    assert got["gaps"][0].startswith("person.entered_school_year")
    with_year = answer({**raw, "person": {**raw["person"], "entered_school_year": 2021}})
    assert with_year["status"] == "decided"
    assert (with_year["keep"], with_year["actions"]) == (got["keep"], got["actions"])
    assert with_year["subsidy_deduction"] == ["B"]


def test_tuopin_choice_outside_the_duplicate_is_invalid() -> None:
    raw = case(
        [
            record("A", places=["hukou"]),
            record("B", region="520102", places=["habitual_residence"]),
            record("C", psn_insu_stas="4", places=["hukou"]),
        ],
        person={"identities": ["tuopin"], "categories": []},
        chosen_record="C",
        consent_recorded=True,
    )
    assert error_paths(raw) == ["chosen_record"]


def test_status_3_is_accepted_but_not_normal() -> None:
    got = answer(case([record("A", psn_insu_stas="3"), TWO[1]]))
    assert got["status"] == "decided" and got["duplicate"] is False


# --------------------------------------------------------------------------------------------
# Properties

REGIONS = ["441402", "441481", "440783", "520102", "520111"]
PLACES = ["employment", "habitual_residence", "school", "hukou", "poverty_identified"]
MONTH_STARTS = [f"{y}-{m:02d}-01" for y in (2021, 2022) for m in (1, 1, 1, 7, 9)]
MONTH_ENDS = [f"{y}-{m}" for y in (2021, 2022) for m in ("03-31", "06-30", "08-31", "12-31")]


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.sampled_from([0, 1, 2, 2, 2, 3, 3, 4, 5]))
    ids = draw(st.lists(st.sampled_from("ABCDEFGH"), min_size=count, max_size=count, unique=True))
    found = []
    for rid in ids:
        start = draw(st.sampled_from(MONTH_STARTS))
        end = draw(st.sampled_from([e for e in MONTH_ENDS if e >= start and e[:4] == start[:4]]))
        found.append(
            record(
                rid,
                scheme=draw(st.sampled_from(["employee", "resident"])),
                region=draw(st.sampled_from(REGIONS)),
                **{"from": start, "to": end},
                psn_insu_stas=draw(st.sampled_from(["1"] * 6 + ["2", "4"])),
                paid=draw(st.sampled_from([True] * 6 + [False])),
                places=draw(st.lists(st.sampled_from(PLACES), max_size=2, unique=True)),
                flexible=draw(st.booleans()),
            )
        )
    return found


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    found = draw(records())
    categories = draw(st.sampled_from([[], ["college_student"], ["school_student"]]))
    person: dict[str, Any] = {
        "identities": draw(st.sampled_from([[], ["tuopin"], ["tuopin", "dibao"]])),
        "categories": categories,
    }
    entered = draw(st.sampled_from([None, 2020, 2021, 2022]))
    if entered is not None:
        person["entered_school_year"] = entered
    extra: dict[str, Any] = {}
    if found and draw(st.booleans()):
        extra["chosen_record"] = draw(st.sampled_from([r["id"] for r in found]))
        extra["consent_recorded"] = draw(st.booleans())
    return case(
        found,
        as_of=draw(st.sampled_from(["2021-10-01", "2022-03-01", "2022-11-30"])),
        person=person,
        employee_continuous_months=draw(st.sampled_from([0, 11, 12, 30])),
        **extra,
    )


def normal(r: dict[str, Any]) -> bool:
    return bool(r["psn_insu_stas"] == "1" and r["paid"])


def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["from"] <= b["to"] and b["from"] <= a["to"])


@settings(max_examples=400, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_duplicate_decisions_are_complete_and_order_free(raw: dict[str, Any], rnd: Any) -> None:
    got = answer(raw)
    by_id = {r["id"]: r for r in raw["records"]}
    if got["status"] == "invalid":
        # only an unresolvable tuopin choice outside the group can make a well-formed case invalid
        assert [e["path"] for e in got["errors"]] == ["chosen_record"]
        return
    assert got["records_kept_for_audit"] == sorted(by_id)  # D7: nothing is dropped
    pairs = [
        (a, b)
        for a in by_id.values()
        for b in by_id.values()
        if a["id"] < b["id"] and normal(a) and normal(b) and overlap(a, b)
    ]
    assert got["duplicate"] is bool(pairs)
    assert "D1" in got["rules"]
    group = set(got["duplicate_records"])
    assert all(normal(by_id[i]) for i in group)
    acted = [a["id"] for a in got["actions"]]
    assert len(acted) == len(set(acted))
    if not got["duplicate"]:
        assert got["type"] is None and got["keep"] is None and acted == []
    elif got["keep"] is None:
        assert acted == [] and got["subsidy_deduction"] == []
        assert got["status"] == "policy_gap" or got["awaiting_consent"]
    else:
        assert "D7" in got["rules"]
        keep = by_id[got["keep"]]
        assert got["keep"] in group
        assert set(acted) == group - {got["keep"]}  # every other record: exactly one action
        for action in got["actions"]:
            other = by_id[action["id"]]
            assert action["action"] in ("terminate", "suspend")
            expected = other["region"] if other["region"] != keep["region"] else None
            assert action["notify_region"] == expected
        if got["subsidy_deduction"] is None:  # D6 waits for the entry year, nothing else
            assert got["status"] == "policy_gap"
            assert "entered_school_year" not in raw["person"]
            assert got["gaps"][0].startswith("person.entered_school_year")
            deducted = set(got["subsidy_deduction_undetermined"])
        else:
            deducted = set(got["subsidy_deduction"])
        assert deducted <= set(acted)
        assert all(by_id[i]["scheme"] == "resident" for i in deducted)
        schemes = {by_id[i]["scheme"] for i in group}
        assert got["type"] == ("cross_scheme" if len(schemes) > 1 else "intra_scheme")
    shuffled = copy.deepcopy(raw)
    rnd.shuffle(shuffled["records"])
    assert answer(shuffled) == got


@pytest.mark.parametrize("months", [0, 1, 11, 12, 13, 30])
@pytest.mark.parametrize("flexible", [False, True])
def test_a_college_student_who_found_a_job_is_suspended_whatever_the_months(
    months: int, flexible: bool
) -> None:
    """D5 (33号 三（二）) comes before D2's 12-month rule and D3's flexible-work rule."""
    raw = case(
        [
            record("A", "employee", region="440783", places=["employment"], flexible=flexible),
            record("B", region="520102", **{"from": "2021-09-01"}, places=["school"]),
        ],
        person={"identities": [], "categories": ["college_student"], "entered_school_year": 2021},
        employee_continuous_months=months,
    )
    got = answer(raw)
    assert got["status"] == "decided"
    assert got["rules"][:2] == ["D1", "D5"] and "D2" not in got["rules"]
    assert got["keep"] == "A"
    assert got["actions"] == [{"id": "B", "action": "suspend", "notify_region": "520102"}]
    assert got["subsidy_deduction"] == (["B"] if months >= 12 else [])

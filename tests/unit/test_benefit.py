"""benefit_start (B1–B15): malformed cases and properties of the date arithmetic."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from invalid_case import error_paths

from canbao.contract import decide_case
from canbao.domain.decision import Status
from canbao.domain.months import first_of_next_month, last_of_month, month_index
from canbao.policy import Params, load_policy
from canbao.rules import benefit
from canbao.rules.outcome import Outcome


def case(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "benefit_start",
        "region": "440783",
        "year": 2022,
        "scheme": "resident",
        "paid_on": "2022-05-10",
        "mid_year": True,
        "person": {"identities": [], "categories": [], "birth_date": "1985-03-02"},
        "history": [],
    }
    body.update(changes)
    return body


def test_outcome_carries_every_gap_noted() -> None:
    out = Outcome(benefit.KIND, Params(load_policy(), "441400", 2022))
    out.apply("B7")
    assert out.decision("…").status is Status.DECIDED
    out.gap_note("a")
    out.gap_note("b")
    out.gap_note("a")
    decision = out.decision("…", benefit_start=None)
    assert (decision.status, decision.gaps, decision.rules) == (
        Status.POLICY_GAP,
        ("a", "b"),
        ("B7",),
    )
    assert out.gap("c", "…").gaps == ("a", "b", "c")


def test_no_document_number_or_section_in_the_rule_code() -> None:
    """Texts name documents through rules.toml/documents.toml (Policy.cited), never literally."""
    package = Path(benefit.__file__).parent
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        literals = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ]
        assert [text for text in literals if "〔" in text or "方案" in text] == [], path.name


def test_malformed_dates_and_codes_are_all_reported() -> None:
    raw = case(
        paid_on="2022-02-30",
        person={"identities": ["poor"], "categories": ["newborn"], "birth_date": "15/03/2022"},
    )
    assert error_paths(raw) == ["paid_on", "person.birth_date", "person.identities[0]"]


def test_missing_scheme_and_payment() -> None:
    raw = case()
    del raw["scheme"], raw["paid_on"]
    assert error_paths(raw) == ["scheme"]  # facts are compared once the format is right
    raw["scheme"] = "resident"
    assert error_paths(raw) == ["paid_on"]


def test_paid_on_may_be_absent_when_the_hardship_flag_date_is_given() -> None:
    raw = case(person={"identities": ["dibao"]}, hardship_flagged_on="2022-03-08")
    del raw["paid_on"]
    assert decide_case(raw).answer["benefit_start"] == date(2022, 3, 8)


def test_history_errors_name_the_period() -> None:
    raw = case(
        history=[
            {"scheme": "employee", "region": "440783", "from": "2021-05-01", "to": "2021-01-31"},
            {"scheme": "other", "region": "4407", "from": "2020-01-01", "to": "2020-12-31"},
        ]
    )
    assert error_paths(raw) == ["history[1].region", "history[1].scheme"]
    del raw["history"][1]
    assert error_paths(raw) == ["history[0].to"]


def test_contradicting_dates() -> None:
    born_later = case(person={"categories": ["newborn"], "birth_date": "2022-06-01"})
    assert error_paths(born_later) == ["paid_on"]
    registered_after_payment = case(registered_on="2022-06-01")
    assert error_paths(registered_after_payment) == ["registered_on"]
    paid_after_year = case(paid_on="2023-01-05")
    assert error_paths(paid_after_year) == ["paid_on"]
    newborn_without_birth_date = case(person={"categories": ["newborn"]})
    assert error_paths(newborn_without_birth_date) == ["person.birth_date"]


def test_counts_beyond_a_lifetime_and_dates_beyond_the_year_are_invalid() -> None:
    too_long = case(year=2025, years_without_coverage=41, repair_years=97)
    assert error_paths(too_long) == ["repair_years", "years_without_coverage"]
    assert error_paths(case(year=2025, repair_years=95697)) == ["repair_years"]
    born_1985 = case(year=2025, years_without_coverage=40, in_concentrated_period=False)
    assert decide_case(born_1985).answer["waiting_months"] == 43
    born_later = case(person={"birth_date": "2023-01-01"}, paid_on="2023-01-02")
    assert error_paths(born_later) == ["paid_on", "person.birth_date"]
    newborn = {"categories": ["newborn"], "birth_date": "2022-03-01"}
    assert error_paths(case(person=newborn, paid_on="2024-01-02")) == ["paid_on"]
    assert error_paths(case(hardship_ended_on="2023-01-01")) == ["hardship_ended_on"]


def test_counts_and_flags_are_typed() -> None:
    raw = case(year=2025, mid_year="yes", years_without_coverage=-1, repair_years=1.5)
    assert error_paths(raw) == ["mid_year", "repair_years", "years_without_coverage"]


kaiping_births = st.dates(min_value=date(2022, 1, 1), max_value=date(2022, 12, 31))


@settings(max_examples=200)
@given(born=kaiping_births, delay=st.integers(min_value=0, max_value=250))
def test_kaiping_newborn_from_birth_exactly_within_the_window(born: date, delay: int) -> None:
    """B4: paid by the last day of the 6th month after the birth month → from the birth date;
    later, an ordinary mid-year enrollee of the year of payment (no 2023 data: policy_gap)."""
    paid = born + timedelta(days=delay)
    raw = case(
        paid_on=paid.isoformat(),
        person={"categories": ["newborn"], "birth_date": born.isoformat()},
    )
    decision = decide_case(raw)
    window_end = last_of_month(month_index(born) + 6)
    if paid <= window_end:
        assert decision.status is Status.DECIDED
        assert decision.answer["benefit_start"] == born
        assert decision.answer["contribution_years"] == list(range(born.year, paid.year + 1))
    elif paid.year == 2022:
        assert decision.status is Status.DECIDED
        assert decision.answer["benefit_start"] == first_of_next_month(paid)
        assert decision.answer["contribution_years"] == [2022]
    else:
        assert decision.status is Status.POLICY_GAP
        assert decision.answer["benefit_start"] is None
        assert decision.answer["contribution_years"] == [paid.year]


@settings(max_examples=100)
@given(
    broken=st.integers(min_value=0, max_value=10),
    repaired=st.integers(min_value=0, max_value=10),
    paid=st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
)
def test_2025_waiting_period_bounds(broken: int, repaired: int, paid: date) -> None:
    """B14: at least the fixed 3 months; never more than 3 + the break; ≥ 6 after a long break."""
    raw = case(
        region="441400",
        year=2025,
        paid_on=paid.isoformat(),
        in_concentrated_period=False,
        years_without_coverage=broken,
        repair_years=repaired,
    )
    answer = decide_case(raw).answer
    waiting = answer["waiting_months"]
    assert 3 <= waiting <= 3 + broken
    if broken >= 4:
        assert waiting >= 6
    if repaired == 0:
        assert waiting == 3 + broken
    assert answer["benefit_start"] == date(
        (month_index(paid) + 1 + waiting) // 12, (month_index(paid) + 1 + waiting) % 12 + 1, 1
    )


@given(gap=st.integers(min_value=0, max_value=8))
def test_meizhou_switch_gap_boundary(gap: int) -> None:
    """B7: up to 3 gap months → next month; more → 3 months of waiting (employee → resident)."""
    paid = date(2022, 1 + gap, 15) if gap < 12 else date(2022, 12, 15)
    raw = case(
        region="441400",
        paid_on=paid.isoformat(),
        history=[
            {"scheme": "employee", "region": "441400", "from": "2018-01-01", "to": "2021-12-31"}
        ],
    )
    answer = decide_case(raw).answer
    assert answer["gap_months"] == gap
    waiting = 0 if gap <= 3 else 3
    assert answer["waiting_months"] == waiting
    assert month_index(answer["benefit_start"]) == month_index(paid) + 1 + waiting

"""Properties of contribution decisions over every region, identity mix, scheme and payment day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canbao.contract import decide_case
from canbao.domain.codes import FUNDING_SOURCES, IDENTITIES
from canbao.domain.decision import Status
from canbao.policy import load_policy
from canbao.rules.contribution import split_funding

REGIONS = ["441400", "441402", "520100", "520111", "520190", "440700", "440783"]


@settings(max_examples=300, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    identities=st.sets(st.sampled_from(sorted(IDENTITIES)), max_size=4),
    paid_on=st.one_of(st.none(), st.dates(date(2021, 8, 1), date(2022, 12, 31))),
)
def test_a_subsidy_never_exceeds_the_standard(
    region: str, identities: set[str], paid_on: date | None
) -> None:
    case: dict[str, object] = {
        "kind": "contribution",
        "region": region,
        "year": 2022,
        "person": {"identities": sorted(identities)},
    }
    if paid_on is not None:
        case["paid_on"] = paid_on.isoformat()
    decision = decide_case(case)
    assert decision.status in (Status.DECIDED, Status.POLICY_GAP)
    answer = decision.answer
    if decision.status is Status.POLICY_GAP:
        assert decision.gaps and answer["payable"] is None
        return
    standard, subsidy, payable = answer["standard"], answer["subsidy"], answer["payable"]
    assert Decimal(0) <= subsidy <= standard
    assert payable == standard - subsidy
    if answer["funding"] is not None:
        assert sum(part["amount"] for part in answer["funding"]) == subsidy
    if not identities:
        assert subsidy == 0 and decision.rules[:1] == ("C1",)


# --------------------------------------------------------------------------------------------
# C3–C5: funding lines always add up to the subsidy granted, in every region, for every
# identity, in both schemes.

POLICY = load_policy()
ALL_REGIONS = sorted(POLICY.regions)
CONTRIBUTIONS = st.one_of(
    st.none(),
    st.decimals(Decimal("0"), Decimal("2000"), places=2, allow_nan=False, allow_infinity=False),
)


def check_amounts(case: dict[str, object]) -> None:
    decision = decide_case(case)
    assert decision.status in (Status.DECIDED, Status.POLICY_GAP), decision.explanation
    answer = decision.answer
    subsidy, funding = answer.get("subsidy"), answer.get("funding")
    if subsidy is None:
        assert decision.status is Status.POLICY_GAP and funding is None
        return
    standard, payable = answer["standard"], answer["payable"]
    if standard is not None:  # an employee case without the contribution has no standard
        assert Decimal(0) <= subsidy <= standard
        assert payable == standard - subsidy >= 0
    if funding is not None:
        assert sum(part["amount"] for part in funding) == subsidy
        assert all(part["amount"] > 0 and part["source"] in FUNDING_SOURCES for part in funding)
        assert len({part["source"] for part in funding}) == len(funding)
    if case.get("scheme") == "employee":
        contribution = case.get("employee_contribution")
        if contribution is not None:
            assert subsidy <= Decimal(str(contribution))
        assert subsidy <= answer["resident_subsidy_standard"]


@pytest.mark.parametrize("scheme", ["resident", "employee"])
@pytest.mark.parametrize("region", ALL_REGIONS)
def test_every_identity_in_every_region_funds_exactly_what_is_granted(
    region: str, scheme: str
) -> None:
    for identity in IDENTITIES:
        case: dict[str, object] = {
            "kind": "contribution",
            "region": region,
            "year": 2022,
            "scheme": scheme,
            "person": {"identities": [identity]},
        }
        check_amounts(case)
        if scheme == "employee":
            for amount in ("0", "0.01", "139.99", "200", "319.99", "320", "320.01", "1000"):
                check_amounts({**case, "employee_contribution": Decimal(amount)})


@settings(max_examples=300, deadline=None)
@given(
    region=st.sampled_from(ALL_REGIONS),
    identities=st.sets(st.sampled_from(sorted(IDENTITIES)), max_size=3),
    scheme=st.sampled_from(["resident", "employee"]),
    contribution=CONTRIBUTIONS,
    year=st.sampled_from([2021, 2022, 2023]),
)
def test_funding_adds_up_to_the_subsidy(
    region: str, identities: set[str], scheme: str, contribution: Decimal | None, year: int
) -> None:
    case: dict[str, object] = {
        "kind": "contribution",
        "region": region,
        "year": year,
        "scheme": scheme,
        "person": {"identities": sorted(identities)},
    }
    if scheme == "employee" and contribution is not None:
        case["employee_contribution"] = contribution
    check_amounts(case)


GUIYANG_DIBAO = {
    "kind": "fixed",
    "amount": 320,
    "funding": [
        {"source": "medical_assistance_fund", "amount": 140},
        {"source": "city_finance", "ratio": 4},
        {"source": "county_finance", "ratio": 6},
    ],
}


@pytest.mark.parametrize(
    ("granted", "lines"),
    [
        (
            "320",
            [("medical_assistance_fund", "140"), ("city_finance", "72"), ("county_finance", "108")],
        ),
        (
            "300",
            [("medical_assistance_fund", "140"), ("city_finance", "64"), ("county_finance", "96")],
        ),
        ("140.01", [("medical_assistance_fund", "140"), ("county_finance", "0.01")]),
        (
            "140.02",
            [
                ("medical_assistance_fund", "140"),
                ("city_finance", "0.01"),
                ("county_finance", "0.01"),
            ],
        ),
        ("140", [("medical_assistance_fund", "140")]),
        ("100", [("medical_assistance_fund", "100")]),
        ("0", []),
    ],
)
def test_a_cut_falls_on_the_remainder_first(granted: str, lines: list[tuple[str, str]]) -> None:
    """筑医保通〔2021〕34号 二（一）2: 140 from the assistance fund, the rest city:county 4:6."""
    got = split_funding(GUIYANG_DIBAO, Decimal(granted))
    assert got == tuple((source, Decimal(amount)) for source, amount in lines)


@settings(max_examples=300, deadline=None)
@given(st.decimals(Decimal("0"), Decimal("320"), places=2, allow_nan=False, allow_infinity=False))
def test_a_split_sums_exactly_and_keeps_the_ratio_within_a_fen(granted: Decimal) -> None:
    got = dict(split_funding(GUIYANG_DIBAO, granted) or ())
    assert sum(got.values(), Decimal(0)) == granted
    assert got.get("medical_assistance_fund", Decimal(0)) == min(granted, Decimal(140))
    rest = granted - min(granted, Decimal(140))
    assert abs(got.get("city_finance", Decimal(0)) - rest * 4 / 10) <= Decimal("0.01")

"""Properties of contribution decisions over every region, identity mix and payment day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from canbao.contract import decide_case
from canbao.domain.codes import IDENTITIES
from canbao.domain.decision import Status

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

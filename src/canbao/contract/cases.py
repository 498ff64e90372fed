"""One pydantic model per case kind (SPEC section 6): the JSON a caller sends.

A model checks the format only: field names (an unknown field is an error), types, codes,
dates, amounts, regions, and the dates that contradict each other. ``facts()`` gives the
frozen facts the rules read; the rules never see JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from canbao.contract import fields as f
from canbao.domain.codes import REFUND_REASONS, Scheme
from canbao.domain.decision import FieldError
from canbao.domain.periods import Period
from canbao.rules import benefit, contribution, duplicates, eligibility, refund


def _optional(check: Callable[[Any], Any], schema: dict[str, Any]) -> Any:
    """An optional field of a contract type: absent or null → None."""
    return (
        BeforeValidator(lambda value: None if value is None else check(value)),
        WithJsonSchema(schema),
    )


OptDay = Annotated[date | None, *_optional(f._day, {"type": "string", "format": "date"})]
OptMonth = Annotated[
    date | None, *_optional(f._month, {"type": "string", "pattern": r"^\d{4}-\d{2}$"})
]
OptYear = Annotated[
    int | None,
    *_optional(f._year, {"type": "integer", "minimum": f.MIN_YEAR, "maximum": f.MAX_YEAR}),
]
OptMonths = Annotated[int | None, *_optional(f._months, {"type": "integer", "minimum": 0})]
OptYears = Annotated[int | None, *_optional(f._years, {"type": "integer", "minimum": 0})]
OptMoney = Annotated[
    Decimal | None, *_optional(f._money, {"type": "number", "minimum": 0, "multipleOf": 0.01})
]
OptRegion = Annotated[str | None, *_optional(f._region, {"type": "string", "pattern": r"^\d{6}$"})]
OptFlag = Annotated[bool | None, *_optional(f._flag, {"type": "boolean"})]
OptText = Annotated[str | None, *_optional(f._text, {"type": "string", "minLength": 1})]
SchemeCode = Literal["employee", "resident"]
Reason = Annotated[
    str,
    BeforeValidator(f.code_check(REFUND_REASONS, "退费事由")),
    WithJsonSchema({"type": "string", "enum": list(REFUND_REASONS)}),
]


class Part(BaseModel):
    """Every part of a case: unknown fields are errors; an optional field may be null."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, hide_input_in_errors=True, populate_by_name=False
    )

    def problems(self) -> list[FieldError]:
        """Facts that contradict each other (checked after the format)."""
        return []


class Person(Part):
    identities: list[f.Identity] = Field(default=[], description="资助参保身份")
    categories: list[f.Category] = Field(default=[], description="人员类别")


class ContributionPerson(Person):
    district: OptRegion = Field(default=None, description="区县代码（贵阳各区县）")
    hukou_region: OptRegion = Field(default=None, description="户籍地（本市户籍资助）")


class ContributionCase(Part):
    """What a person pays for a year and which subsidy covers it (C1–C7)."""

    kind: Literal["contribution"]
    region: f.Region
    year: f.Year
    paid_on: OptDay = None
    scheme: SchemeCode = "resident"
    employee_contribution: OptMoney = Field(default=None, description="职工医保个人缴费（C5）")
    person: ContributionPerson

    def problems(self) -> list[FieldError]:
        district = self.person.district
        if district is not None and not within(district, self.region):
            return [
                FieldError(
                    "person.district",
                    f"区县 {district} 不在参保地 {self.region} 范围内",
                    "region_mismatch",
                )
            ]
        return []

    def facts(self) -> contribution.ContributionFacts:
        return contribution.ContributionFacts(
            region=self.region,
            year=self.year,
            paid_on=self.paid_on,
            identities=frozenset(self.person.identities),
            district=self.person.district,
            scheme=Scheme(self.scheme),
            hukou_region=self.person.hukou_region,
            employee_contribution=self.employee_contribution,
        )


class EligibilityPerson(Person):
    birth_date: OptDay = Field(default=None, description="出生日期（新生儿参保期限，B3）")
    hukou_region: OptRegion = None
    residence_permit_region: OptRegion = None
    school_region: OptRegion = None
    in_employee_scheme: f.Flag = False
    in_resident_scheme_elsewhere: f.Flag = False
    employed: f.Flag = Field(default=False, description="有劳动合同、稳定劳动关系（E3）")
    entered_school_year: OptYear = None
    registry_match: OptFlag = Field(default=None, description="姓名、身份与公安户籍一致（E6）")
    special_payer: f.Flag = Field(default=False, description="学生由集体、企业等代缴（E5）")
    poverty_identified_region: OptRegion = None
    parent_insured_region: OptRegion = None


class EligibilityCase(Part):
    """Who may enroll, on which basis, with which proofs (E1–E6)."""

    kind: Literal["eligibility"]
    region: f.Region
    year: f.Year
    as_of: f.Day
    person: EligibilityPerson

    def facts(self) -> eligibility.EligibilityFacts:
        p = self.person
        return eligibility.EligibilityFacts(
            region=self.region,
            year=self.year,
            as_of=self.as_of,
            hukou_region=p.hukou_region,
            residence_permit_region=p.residence_permit_region,
            school_region=p.school_region,
            in_employee_scheme=p.in_employee_scheme,
            in_resident_scheme_elsewhere=p.in_resident_scheme_elsewhere,
            employed=p.employed,
            categories=frozenset(p.categories),
            identities=frozenset(p.identities),
            entered_school_year=p.entered_school_year,
            registry_match=p.registry_match,
            special_payer=p.special_payer,
            poverty_identified_region=p.poverty_identified_region,
            parent_insured_region=p.parent_insured_region,
            birth_date=p.birth_date,
        )


class Coverage(Part):
    scheme: SchemeCode
    region: f.Region
    start: f.Day = Field(alias="from")
    end: f.Day = Field(alias="to")


class BenefitPerson(Person):
    birth_date: OptDay = None
    hukou_region: OptRegion = None


class BenefitCase(Part):
    """When benefits start, how long a waiting period lasts, which years are due (B1–B15)."""

    kind: Literal["benefit_start"]
    region: f.Region
    year: f.Year
    scheme: SchemeCode
    paid_on: OptDay = None
    registered_on: OptDay = None
    person: BenefitPerson
    history: list[Coverage] = []
    mid_year: OptFlag = None
    enrolled_under_parent_name: f.Flag = False
    hardship_flagged_on: OptDay = None
    hardship_ended_on: OptDay = None
    residence_permit_expires_on: OptDay = None
    employee_from: OptDay = None
    work_ended_on: OptDay = None
    years_without_coverage: OptYears = None
    repair_years: f.Years = 0
    in_concentrated_period: OptFlag = None
    continuous_years: OptYears = None
    zero_claim_years: f.Years = 0
    critical_illness_cap: OptMoney = None

    def problems(self) -> list[FieldError]:
        found: list[FieldError] = []

        def fail(path: str, reason: str, code: str = "date_order") -> None:
            found.append(FieldError(path, reason, code))

        for index, item in enumerate(self.history):
            if item.end < item.start:
                fail(f"history[{index}].to", "截止日期早于起始日期")
        born, paid, year = self.person.birth_date, self.paid_on, self.year
        newborn = "newborn" in self.person.categories or (born is not None and born.year == year)
        if paid is None and self.hardship_flagged_on is None:
            fail("paid_on", "缺少必填项（未给出困难身份标识日期时）", "missing")
        if "newborn" in self.person.categories and born is None:
            fail("person.birth_date", "新生儿须提供出生日期", "missing")
        if born and born.year > year:
            fail("person.birth_date", f"出生日期 {born} 晚于 {year} 参保年度")
        if paid and born and paid < born:
            fail("paid_on", f"缴费日期 {paid} 早于出生日期 {born}")
        if paid and self.registered_on and self.registered_on > paid:
            fail(
                "registered_on",
                f"参保登记日期 {self.registered_on} 晚于缴费日期 {paid}（应先登记后缴费）",
            )
        if paid and not newborn and paid.year > year:
            fail("paid_on", f"缴费日期 {paid} 晚于 {year} 参保年度")
        if paid and newborn and paid.year > year + 1:
            fail(
                "paid_on",
                f"缴费日期 {paid} 晚于 {year} 参保年度的次年"
                "（新生儿逾期参保的，year 写缴费所在年度）",
            )
        ended = self.hardship_ended_on
        if ended and ended.year > year:
            fail("hardship_ended_on", f"{ended} 不在 {year} 参保年度内")
        # A count of years cannot reach back before the person's birth (or the first year a
        # case may name): beyond it, it is a typing error, and waiting months would leave the
        # calendar.
        span = max(0, year - (born.year if born else f.MIN_YEAR))
        for name, count in (
            ("years_without_coverage", self.years_without_coverage),
            ("repair_years", self.repair_years),
        ):
            if count is not None and count > span:
                fail(name, f"{count} 年超过 {year} 年度之前可能的年数 {span}", "invalid_count")
        return found

    def facts(self) -> benefit.BenefitFacts:
        return benefit.BenefitFacts(
            region=self.region,
            year=self.year,
            scheme=Scheme(self.scheme),
            paid_on=self.paid_on,
            registered_on=self.registered_on,
            birth_date=self.person.birth_date,
            identities=frozenset(self.person.identities),
            categories=frozenset(self.person.categories),
            history=tuple(
                benefit.Coverage(Scheme(c.scheme), c.region, Period(c.start, c.end))
                for c in self.history
            ),
            mid_year=self.mid_year,
            hukou_region=self.person.hukou_region,
            enrolled_under_parent_name=self.enrolled_under_parent_name,
            hardship_flagged_on=self.hardship_flagged_on,
            hardship_ended_on=self.hardship_ended_on,
            residence_permit_expires_on=self.residence_permit_expires_on,
            employee_from=self.employee_from,
            work_ended_on=self.work_ended_on,
            years_without_coverage=self.years_without_coverage,
            repair_years=self.repair_years,
            in_concentrated_period=self.in_concentrated_period,
            continuous_years=self.continuous_years,
            zero_claim_years=self.zero_claim_years,
            critical_illness_cap=self.critical_illness_cap,
        )


class Record(Part):
    id: f.Text = Field(description="参保关系编号（rlts_id），案内唯一")
    scheme: SchemeCode
    region: f.Region
    start: f.Day = Field(alias="from")
    end: f.Day = Field(alias="to")
    psn_insu_stas: Literal["0", "1", "2", "3", "4"] = Field(description="人员参保状态")
    paid: f.Flag
    places: list[f.Place] = []
    flexible: f.Flag = False


class DuplicatesPerson(Person):
    entered_school_year: OptYear = None


class DuplicatesCase(Part):
    """Which of several enrollments is kept and what happens to the others (D1–D8)."""

    kind: Literal["duplicates"]
    as_of: f.Day
    person: DuplicatesPerson
    records: list[Record]
    employee_continuous_months: f.Months
    chosen_record: OptText = None
    consent_recorded: f.Flag = False

    def problems(self) -> list[FieldError]:
        found: list[FieldError] = []
        seen: set[str] = set()
        for index, record in enumerate(self.records):
            if record.end < record.start:
                found.append(
                    FieldError(
                        f"records[{index}].to",
                        f"结束日期 {record.end} 早于开始日期 {record.start}",
                        "date_order",
                    )
                )
            if record.id in seen:
                found.append(
                    FieldError(
                        f"records[{index}].id", f"记录编号重复：{record.id!r}", "duplicate_id"
                    )
                )
            seen.add(record.id)
        if self.chosen_record is not None and self.chosen_record not in seen:
            found.append(
                FieldError(
                    "chosen_record",
                    f"不是本案任何一条记录的编号：{self.chosen_record!r}",
                    "unknown_record",
                )
            )
        return found

    def facts(self) -> duplicates.DuplicateFacts:
        return duplicates.DuplicateFacts(
            as_of=self.as_of,
            identities=frozenset(self.person.identities),
            categories=frozenset(self.person.categories),
            entered_school_year=self.person.entered_school_year,
            records=tuple(
                duplicates.Record(
                    r.id,
                    Scheme(r.scheme),
                    r.region,
                    Period(r.start, r.end),
                    r.psn_insu_stas,
                    r.paid,
                    frozenset(r.places),
                    r.flexible,
                )
                for r in self.records
            ),
            employee_continuous_months=self.employee_continuous_months,
            chosen_record=self.chosen_record,
            consent_recorded=self.consent_recorded,
        )


class RefundCase(Part):
    """Whether a contribution is refunded, how much and through which channel (F1–F6)."""

    kind: Literal["refund"]
    region: f.Region
    year: f.Year
    scheme: SchemeCode
    paid_amount: f.Money
    paid_on: f.Day
    applied_on: f.Day
    event_on: f.Day
    reason: Reason
    employer_contribution_from: OptMonth = Field(default=None, description="F4：单位缴费起始月")
    assistance_subsidized: f.Flag = False
    relation_suspended: OptFlag = None
    terminated_region: OptRegion = None
    benefit_period_start: OptDay = None

    def problems(self) -> list[FieldError]:
        found: list[FieldError] = []
        flexible = self.reason == "flexible_then_employed"
        if flexible and self.employer_contribution_from is None:
            found.append(FieldError("employer_contribution_from", "缺少必填项", "missing"))
        if flexible and self.scheme == "resident":
            found.append(
                FieldError(
                    "reason",
                    "flexible_then_employed 仅适用于职工医保（scheme=employee，F4）；"
                    "居民医保参保人参加职工医保请用 joined_employee",
                    "scheme_mismatch",
                )
            )
        if self.applied_on < self.paid_on:
            found.append(
                FieldError(
                    "applied_on",
                    f"申请日 {self.applied_on} 早于缴费日 {self.paid_on}",
                    "date_order",
                )
            )
        if self.applied_on < self.event_on:
            found.append(
                FieldError(
                    "applied_on",
                    f"申请日 {self.applied_on} 早于事由发生日 {self.event_on}",
                    "date_order",
                )
            )
        return found

    def facts(self) -> refund.RefundFacts:
        return refund.RefundFacts(
            region=self.region,
            year=self.year,
            scheme=Scheme(self.scheme),
            paid_amount=self.paid_amount,
            paid_on=self.paid_on,
            applied_on=self.applied_on,
            event_on=self.event_on,
            reason=self.reason,
            employer_contribution_from=self.employer_contribution_from,
            assistance_subsidized=self.assistance_subsidized,
            relation_suspended=self.relation_suspended,
            terminated_region=self.terminated_region,
            benefit_period_start=self.benefit_period_start,
        )


Case = ContributionCase | EligibilityCase | BenefitCase | DuplicatesCase | RefundCase
CASES: dict[str, type[Case]] = {
    "contribution": ContributionCase,
    "eligibility": EligibilityCase,
    "benefit_start": BenefitCase,
    "duplicates": DuplicatesCase,
    "refund": RefundCase,
}


def within(code: str, area: str) -> bool:
    """Whether ``code`` lies in ``area`` by the GB/T 2260 structure (province xx0000, city
    xxxx00) or by the policy hierarchy (贵安新区 520190 under 贵阳 520100)."""
    from canbao.policy import load_policy

    policy = load_policy()
    if code in policy.regions:
        return policy.within(code, area)
    if area.endswith("0000"):
        return code[:2] == area[:2]
    if area.endswith("00"):
        return code[:4] == area[:4]
    return code == area

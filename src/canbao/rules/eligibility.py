"""Who may enroll in the resident scheme, and whether now (rules E1–E6).

E1/E2 the enrollment scope of the region (a list of bases in policy data); E3 employee-scheme
members and people with a labour contract belong to the employee scheme; E4 after the
concentrated period only the listed mid-year enrollees, each with their proof; E5 students
enroll where their school is; E6 name and ID must match the public-security registry.

"Local" (本市户籍, 在本市就读, 持本市居住证) means within ``eligibility.local_area``, a value of
its own: Jiangmen for Kaiping (开平方案 二, "江门市内统一标准"), Meizhou for its counties.

Newborns (B3, 医保发〔2020〕33号 三（三）): in every region a newborn within the scope may enroll
within ``benefit.newborn_window_days`` of birth (as_of ≤ birth_date + N days), also after the
local collection period; ``person.birth_date`` is needed for this only. Past that window the
local rules decide: Kaiping lists newborns among its mid-year enrollees without a time limit
(E4); its 6-month window (``benefit.newborn_window_months``, B4) decides from when benefits run,
which is benefit_start's answer, not whether the newborn may enroll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from canbao.domain.codes import (
    ELIGIBILITY_BASES,
    STUDENT_CATEGORIES,
)
from canbao.domain.decision import Decision
from canbao.policy import Params, Policy
from canbao.rules.outcome import Outcome

KIND = "eligibility"


@dataclass(frozen=True)
class EligibilityFacts:
    """Attributes:
    region, year, as_of: where, for which enrollment year, and on which day the person asks.
    hukou_region, residence_permit_region, school_region: the person's places, if any.
    in_employee_scheme: enrolled in the employee scheme now.
    in_resident_scheme_elsewhere: enrolled in another region's resident scheme.
    employed: has a labour contract and a stable employment relation (E3); flexible or
      seasonal work without one is given as a category, not as employed.
    categories, identities: SPEC section 2 codes.
    entered_school_year: the year a student entered or transferred to the school.
    registry_match: whether name and ID match the public-security registry (None: not checked).
    special_payer: a student whose contribution is paid by a collective or an enterprise.
    poverty_identified_region: where a poor (建档立卡) student's status was identified.
    parent_insured_region: where a migrant worker parent is insured (preschool children).
    birth_date: the birth date, needed only for a newborn's window (B3).
    """

    region: str
    year: int
    as_of: date
    hukou_region: str | None
    residence_permit_region: str | None
    school_region: str | None
    in_employee_scheme: bool
    in_resident_scheme_elsewhere: bool
    employed: bool
    categories: frozenset[str]
    identities: frozenset[str]
    entered_school_year: int | None
    registry_match: bool | None
    special_payer: bool
    poverty_identified_region: str | None
    parent_insured_region: str | None
    birth_date: date | None = None


def decide(facts: EligibilityFacts, policy: Policy) -> Decision:
    params = Params(policy, facts.region, facts.year)
    out = Outcome(KIND, params)
    place = policy.region_name(facts.region)
    blocked = _employee_scheme(facts, params, out) or _registry(facts, params, out)
    if blocked is not None:
        return blocked
    student = _student_place(facts, params, out)
    if student is not None and not student[0]:
        return out.decided(
            student[2],
            eligible=False,
            basis=None,
            bases=[],
            mid_year_allowed=None,
            required_proofs=[],
        )
    scope = params.find("eligibility.bases")
    bases = [student[1]] if student is not None else []
    if scope is not None:
        out.apply(scope.value["rule"])
        area = str(out.require("eligibility.local_area"))
        bases += [b for b in scope.value["bases"] if _matches(b, facts, policy, area)]
    elif student is None:
        reference = params.get("eligibility.scope_reference")
        follow = f"，未尽事宜按{reference}执行，该文件不在本项目文件集中" if reference else ""
        return out.gap(
            f"{place}文件未列明居民医保参保范围{follow}",
            f"{place}{facts.year}年度文件未列明居民医保参保范围{follow}，无法判定该人员能否参保。",
            eligible=None,
            basis=None,
            bases=[],
            mid_year_allowed=None,
            required_proofs=[],
        )
    answer: dict[str, Any] = {"basis": bases[0] if bases else None, "bases": bases}
    if not bases:
        return out.decided(
            f"该人员不属于{place}居民医保参保范围。",
            eligible=False,
            **answer,
            mid_year_allowed=None,
            required_proofs=[],
        )
    return _timing(facts, params, out, answer)


def _employee_scheme(facts: EligibilityFacts, params: Params, out: Outcome) -> Decision | None:
    """E3: in the employee scheme, or employed with a labour contract → not here; the proof
    that the employee insurance stopped, where the region names one."""
    if not (facts.in_employee_scheme or facts.employed):
        return None
    out.apply("E3")
    if facts.in_employee_scheme:
        proofs = list(params.get("eligibility.employee_scheme_proofs") or [])
        text = "职工医保参保人不能重复参加居民医保" + (
            f"，如需参保须提供{'、'.join(proofs)}。" if proofs else "。"
        )
    else:
        text = "与用人单位签订劳动合同的人员应参加职工医保，不参加居民医保。"
        proofs = []
    return out.decided(
        text, eligible=False, basis=None, bases=[], mid_year_allowed=None, required_proofs=proofs
    )


def _registry(facts: EligibilityFacts, params: Params, out: Outcome) -> Decision | None:
    """E6: name and ID must match the registry, except the categories the region exempts."""
    if facts.registry_match is not False:
        return None
    exempt = params.get("registration.registry_match_exempt")
    if exempt is None:
        return None
    out.apply("E6")
    if facts.categories & set(exempt):
        return None
    return out.decided(
        "参保登记的姓名、身份信息须与公安户籍一致，核对一致后方可登记。",
        eligible=False,
        basis=None,
        bases=[],
        mid_year_allowed=None,
        required_proofs=list(params.get("registration.registry_match_proofs") or []),
    )


def _student_place(
    facts: EligibilityFacts, params: Params, out: Outcome
) -> tuple[bool, str | None, str] | None:
    """E5: a student enrolls where the school is; hardship students and those with a special
    payer may choose the hukou place; a poor college student the place of identification."""
    if not facts.categories & STUDENT_CATEGORIES or facts.school_region is None:
        return None
    out.apply("E5")
    policy, region = params.policy, params.region
    if policy.within(facts.school_region, region) or policy.within(region, facts.school_region):
        return True, "school_place", "学生在学校所在地参加居民医保。"
    hardship = bool(facts.identities) or facts.special_payer
    if hardship and policy.within(facts.hukou_region, region):
        return (
            True,
            "hukou_place_by_choice",
            "享受资助的困难学生或有特定缴费情形的学生可选择在户籍地参保。",
        )
    if (
        "tuopin" in facts.identities
        and "college_student" in facts.categories
        and policy.within(facts.poverty_identified_region, region)
    ):
        return True, "poverty_identified_place", "建档立卡贫困大中专学生可在身份认定地参保。"
    school = policy.region_name(facts.school_region)
    return False, None, f"学生原则上在学校所在地（{school}）参加居民医保，不在本地参保。"


def _matches(basis: str, facts: EligibilityFacts, policy: Policy, area: str) -> bool:
    """Whether the person falls under one basis of the enrollment scope of ``area``."""
    local = policy.within(facts.hukou_region, area)
    at_school = policy.within(facts.school_region, area)
    permit = policy.within(facts.residence_permit_region, area)
    student = bool(facts.categories & STUDENT_CATEGORIES)
    hmt = "hk_macau_taiwan" in facts.categories
    tests = {
        "local_hukou_not_employee": local and not facts.in_employee_scheme,
        "local_college_vocational_student": bool(
            facts.categories & {"college_student", "vocational_student"}
        )
        and at_school
        and not local,
        "migrant_worker_child_local_school": "migrant_worker_child" in facts.categories
        and at_school,
        "residence_permit_not_insured_elsewhere": permit
        and not facts.in_resident_scheme_elsewhere
        and not facts.in_employee_scheme,
        "hmt_residence_permit_unemployed": hmt and permit and not facts.employed,
        "hmt_local_student": hmt and student and at_school,
        "local_hukou_unemployed": local and not facts.employed,
        "local_full_time_student": student and at_school and not local,
        "migrant_worker_preschool_child": "migrant_worker_child" in facts.categories
        and bool(facts.categories & {"preschool", "newborn"})
        and policy.within(facts.parent_insured_region, area),
        "residence_permit": permit,
    }
    return basis in ELIGIBILITY_BASES and tests.get(basis, False)


def _timing(
    facts: EligibilityFacts, params: Params, out: Outcome, answer: dict[str, Any]
) -> Decision:
    """E4: after the concentrated period only the listed mid-year enrollees may enroll; B3: a
    newborn within the national window may, in every region."""
    place = params.policy.region_name(facts.region)
    groups = params.get("mid_year.enrollees")
    mid_year, proofs = _mid_year_groups(facts, out, groups) if groups else (None, [])
    if groups is not None:
        out.apply("E4")
    window = params.get("collection.concentrated_period")
    after = window is not None and facts.as_of > window["end"]
    if facts.as_of.year > facts.year:
        return out.gap(
            "参保年度结束后能否补办该年度参保，文件未规定",
            f"{facts.year}年度已结束，文件未规定能否补办该年度参保。",
            eligible=None,
            **answer,
            mid_year_allowed=mid_year,
            required_proofs=[],
        )
    if not after:
        return out.decided(
            f"该人员属于{place}居民医保参保范围，可在{facts.year}年度参保。",
            eligible=True,
            **answer,
            mid_year_allowed=mid_year,
            required_proofs=[],
        )
    # Where the local list already admits the person (Kaiping lists newborns, E4), B3 adds
    # nothing; elsewhere the national window decides for a newborn.
    newborn = None if mid_year else _newborn(facts, params, out)
    if newborn is not None:
        answer["newborn_window_end"] = newborn.end
    if newborn is not None and newborn.open:
        return out.decided(
            f"集中参保期已过，但新生儿出生后{newborn.days}天内（至{newborn.end}）可参保登记。",
            eligible=True,
            **answer,
            mid_year_allowed=True,
            required_proofs=[],
        )
    if groups is None:
        late = params.get("resident.late_standard")
        if late is not None:
            out.apply("C2")
            return out.decided(
                f"集中征缴期已过，可在零星征缴期参保，按{late}元标准缴费。",
                eligible=True,
                **answer,
                mid_year_allowed=None,
                required_proofs=[],
                late_payment=True,
            )
        end = window["end"] if window else None
        return out.gap(
            f"{place}文件未规定缴费期（截至{end}）后的中途参保"
            + (newborn.missing if newborn is not None else ""),
            f"{place}缴费期已于{end}结束，文件未规定此后能否中途参保"
            + (newborn.missing if newborn is not None else "")
            + "。",
            eligible=None,
            **answer,
            mid_year_allowed=None,
            required_proofs=[],
        )
    if not mid_year:
        return out.decided(
            "集中参保期已过，该人员不属于可中途参保的人员。",
            eligible=False,
            **answer,
            mid_year_allowed=False,
            required_proofs=[],
        )
    return out.decided(
        "集中参保期已过，该人员属于中途参保人员，按全年标准缴费，须提供相应证明材料。",
        eligible=True,
        **answer,
        mid_year_allowed=True,
        required_proofs=proofs,
    )


@dataclass(frozen=True)
class _Newborn:
    """B3's window for a newborn: ``days`` after birth, up to ``end`` (None without a birth
    date); ``open`` on the day asked; ``missing`` says why it does not settle the case."""

    days: int
    end: date | None
    open: bool
    missing: str


def _newborn(facts: EligibilityFacts, params: Params, out: Outcome) -> _Newborn | None:
    if "newborn" not in facts.categories:
        return None
    out.apply("B3")
    days = int(out.require("benefit.newborn_window_days"))
    if facts.birth_date is None:
        return _Newborn(
            days,
            None,
            False,
            f"；新生儿出生后{days}天内可参保登记，但未给出出生日期（person.birth_date）",
        )
    end = facts.birth_date + timedelta(days=days)
    return _Newborn(
        days,
        end,
        facts.as_of <= end,
        f"；新生儿{facts.birth_date}出生，已超过出生后{days}天（至{end}）的参保登记期限",
    )


def _mid_year_groups(
    facts: EligibilityFacts, out: Outcome, groups: dict[str, Any]
) -> tuple[bool, list[str]]:
    area = str(out.require("eligibility.local_area"))
    local = out.params.policy.within(facts.hukou_region, area)
    member = set(facts.categories)
    if facts.identities:
        member.add("hardship")
    if (
        facts.categories & STUDENT_CATEGORIES
        and facts.entered_school_year == facts.year
        and not local
    ):
        member.add("new_student")
    proofs: list[str] = []
    allowed = False
    for group, rule in groups.items():
        if group not in member or (rule.get("local_hukou") and not local):
            continue
        allowed = True
        proofs.extend(p for p in rule.get("proofs", []) if p not in proofs)
    return allowed, proofs

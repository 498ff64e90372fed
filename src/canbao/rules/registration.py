"""Registrations (W1): who may take them, until when, what a stop does.

- K2 (开平 五（三）, 五（七）): changes and stops are handled until
  ``collection.change_deadline``; an enrollee who did not change or stop by then is assessed for
  the new year at the new standard, so a change or stop received after it and before the
  collection ends is refused for that year. New registrations are for the eligibility rules (E4
  decides who may still enroll after the collection period, with which proofs).
- K5 (梅市 三（一）; 开平 五（八）) 全市通办: ``registration.citywide_handling`` names the area
  (``area``) whose every office may take the registrations it lists (``handles``) for an
  enrollment in it. An office of the enrollment region itself (or of a region within it) is the
  region's own agency: nothing to decide. Any other office, an action the documents do not list,
  or a region whose documents say nothing: ``policy_gap`` naming what is missing.
- K6 (梅市 三（一）): after the year's payment period began, a continuing enrollee's basic
  information (``registration.basic_info_before_payment``: 参保属地, 姓名, 身份证号码) is
  changed before payment. The text does not say what happens after payment: such a change is a
  ``policy_gap``. A payment dated on the day of the change counts as made by then (the registry
  keeps days, and the state as of a day holds that day's events, ADR 0006). A continuing
  enrollee is one enrolled before the period began; a new enrollee's change is not K6's.
- The relation after a 停保 (terminated or suspended) is the convention ``convention.stop_status``.
"""

from __future__ import annotations

from datetime import date

from canbao.certno.regions import divisions
from canbao.domain.codes import (
    BASIC_INFO_FIELDS,
    REFUND_REASONS,
    REGISTRATION_ACTIONS,
    STOP_EFFECTS,
)
from canbao.domain.decision import Decision
from canbao.policy import Params, Policy
from canbao.rules.outcome import Outcome

KIND = "registration"


def collection_year(policy: Policy, region: str, day: date) -> int | None:
    """The year whose concentrated collection period holds ``day``, if any."""
    for year in (day.year + 1, day.year):
        window = Params(policy, region, year).get("collection.concentrated_period")
        if window is not None and window["start"] <= day <= window["end"]:
            return year
    return None


def enrollment_year(policy: Policy, region: str, day: date) -> int:
    """The enrollment year a registration received on ``day`` is for: the year whose
    concentrated period holds the day, the coming year when its period is already over (a late
    registration), else the day's own year (mid-year)."""
    found = collection_year(policy, region, day)
    if found is not None:
        return found
    coming = Params(policy, region, day.year + 1).get("collection.concentrated_period")
    if coming is not None and day > coming["end"]:
        return day.year + 1
    return day.year


def change_too_late(policy: Policy, region: str, year: int, day: date) -> Decision | None:
    """K2: a change or stop received after the change deadline of ``year``'s collection."""
    params = Params(policy, region, year)
    deadline = params.get("collection.change_deadline")
    window = params.get("collection.concentrated_period")
    if deadline is None or window is None or not deadline < day <= window["end"]:
        return None
    out = Outcome(KIND, params)
    out.apply("K2")
    return out.decided(
        f"{day}受理，已过{year}年度变更、停保截止日{deadline}；未按时办理的，按新年度标准自动核定"
        f"{year}年度参保缴费，本次变更或停保不适用于{year}年度。",
        deadline=deadline,
    )


def office_handling(
    policy: Policy, region: str, year: int, office: str, action: str
) -> Decision | None:
    """K5: may ``office`` take the registration (``action``, of REGISTRATION_ACTIONS) of an
    enrollment in ``region``? None for the region's own agency; else decided (K5) or
    policy_gap (see the module)."""
    if policy.within(office, region):
        return None
    params = Params(policy, region, year)
    out = Outcome(KIND, params)
    what, at = REGISTRATION_ACTIONS[action], f"{_place(policy, office)}（{office}）的经办机构"
    enrollment = f"参保属地{_place(policy, region)}（{region}）"
    citywide = params.get("registration.citywide_handling")
    if citywide is None:
        documents = _place(policy, policy.documents_place(region))
        return out.gap(
            f"{documents}{year}年度的文件未规定{enrollment}的{what}可否由{at}办理",
            f"{at}受理{enrollment}的{what}：{documents}{year}年度的文件未规定其他地区的经办机构"
            "可否办理，不予受理。",
            office_admdvs=office,
        )
    out.apply("K5")
    area, cited = citywide["area"], policy.cited("K5", region)
    handled = "、".join(REGISTRATION_ACTIONS[a] for a in citywide["handles"])
    if not (policy.within(office, area) and policy.within(region, area)):
        return out.gap(
            f"{cited}：全市通办限于{_place(policy, area)}（{area}）的经办机构和参保人，"
            f"未规定{at}可否办理{enrollment}的{what}",
            f"{at}受理{enrollment}的{what}：全市通办限于{_place(policy, area)}（{cited}），"
            "其外的经办机构可否办理文件未规定，不予受理。",
            office_admdvs=office,
        )
    if action not in citywide["handles"]:
        return out.gap(
            f"{cited}：全市通办只及于{handled}，未规定{what}可否在参保属地以外的经办机构办理",
            f"{at}受理{enrollment}的{what}：全市通办只及于{handled}（{cited}），"
            f"{what}可否通办文件未规定，不予受理。",
            office_admdvs=office,
        )
    return out.decided(
        f"全市通办（{cited}）：{_place(policy, area)}任一经办机构可办理{handled}，"
        f"{at}受理{enrollment}的{what}。",
        office_admdvs=office,
    )


def basic_info_change(
    policy: Policy,
    region: str,
    year: int,
    day: date,
    changed: frozenset[str],
    enrolled_on: date | None,
    paid_on: date | None,
) -> Decision | None:
    """K6: a change on ``day`` of the fields ``changed`` (of BASIC_INFO_FIELDS) for ``year``, of
    an enrollee whose relation began on ``enrolled_on`` and whose ``year`` contribution was
    first paid on ``paid_on``. None where K6 does not speak (see the module)."""
    params = Params(policy, region, year)
    fields = params.get("registration.basic_info_before_payment") or ()
    touched = [name for name in fields if name in changed]
    if not touched:
        return None
    out = Outcome(KIND, params)
    out.apply("K6")
    window = params.get("collection.concentrated_period")
    if window is None:
        place = policy.region_name(region)
        return out.gap(
            f"collection.concentrated_period: {place}（{region}）{year}年度无此参数",
            f"{place}{year}年度的缴费期未载入，无法判断基础信息变更是否在缴费期开始后。",
        )
    if day < window["start"] or enrolled_on is None or enrolled_on >= window["start"]:
        return None
    names, cited = (
        "、".join(BASIC_INFO_FIELDS[name] for name in touched),
        policy.cited("K6", region),
    )
    if paid_on is None or paid_on > day:
        return out.decided(f"{year}年度缴费期开始后、缴费前变更{names}（{cited}）。", paid_on=None)
    return out.gap(
        f"{cited}：只规定连续参保人员{names}应在缴费前办理变更，未规定缴费后如何办理",
        f"{year}年度个人缴费已于{paid_on}缴纳，{names}应在缴费前变更（{cited}）；缴费后如何办理"
        "文件未规定，本次变更不予受理。",
        paid_on=paid_on,
    )


def stop_effect(policy: Policy, region: str, year: int, reason: str) -> Decision:
    """What a 停保 for ``reason`` (a REFUND_REASONS code) does to the relation: the answer's
    ``effect`` is ``terminate`` or ``suspend`` (``convention.stop_status``)."""
    params = Params(policy, region, year)
    out = Outcome(KIND, params)
    table = params.get("convention.stop_status")
    if table is None:
        return out.gap(
            f"convention.stop_status: {year}年度无此约定",
            f"{year}年度停保后参保关系终止或暂停的约定未载入，无法办理停保。",
        )
    effect = table.get(reason, table["other"])
    return out.decided(
        f"停保原因“{REFUND_REASONS.get(reason, reason)}”：{STOP_EFFECTS[effect]}。",
        effect=effect,
    )


def _place(policy: Policy, code: str) -> str:
    """A region's name: the policy data's, else GB/T 2260's, else the code."""
    if code in policy.regions:
        return policy.region_name(code)
    return divisions().get(code, code)

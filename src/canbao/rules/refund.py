"""Refunds of contributions (rules F1–F6, 医保发〔2020〕33号 二（五） and the local documents).

The resident benefit period is the enrollment year: it starts on January 1 of ``year`` (the B1
convention, ``convention.prepaid_benefit_start``) unless the case gives ``benefit_period_start``
(a mid-year enrollee, B2, or a waiting period, B7/B14, starts later).

Which date decides. The documents attach the time condition to the *event*: a refund is possible
when the person 在相应待遇享受期未开始前因重复缴费、参加职工医保… (33号 二（五）; 梅市 四（三）),
and Kaiping excepts events 在新基本医疗保险年度开始前发生 (开平 五（七））. The refund itself is
依申请, with no application deadline. So ``event_on`` decides whether the event came before the
benefit period; ``applied_on`` only matters in Kaiping, where a refund during the new year is
refused unless it is one of the excepted events that happened before the new year.

- F1 event before the period, reason on the national list (refund.before_benefit_reasons) or
  on the local list (refund.local_before_benefit_reasons: Meizhou adds system error and death)
  → terminate the resident relation and refund the whole individual contribution on
  application.
- F2 event after the period started and the resident relation is suspended
  (``relation_suspended``) → no refund of the individual contribution.
- F3 a contribution subsidized through medical assistance (``assistance_subsidized``) is refunded
  through the payment channel of the place whose relation is terminated (``terminated_region``,
  default ``region``), also after the period started, for the reasons a relation is terminated
  for (the lists above). The documents do not say how such a refund divides between the
  assistance fund and the person: ``refund_split`` is null and the explanation says so.
- F4 a flexible worker (employee scheme) who paid the year at once and then contributes through
  an employer from month M of ``year`` gets back paid_amount × (13 − M) / 12, rounded to the
  fen: from M to December. M in a later year → no month of the year is after the employment, not
  eligible. M in an earlier year → not 中途就业 but a flexible payment made while already insured
  through an employer: an 其他情况 of 33号 二（五）, policy_gap.
- F5 Kaiping (refund.no_refund_after_deduction): the listed events
  (refund.local_before_benefit_reasons) that happened before the new year are refunded;
  otherwise no refund during the new year (applied on or after the period start). Kaiping is
  in Guangdong, where 粤医保发〔2020〕32号 forwards the national guidance, so the national F1
  reasons apply there as well.
- F6 Guiyang and Gui'an (refund.external_rules): refunds follow 黔税发〔2020〕6号, which is not
  among the documents; F1–F3 are applied and the answer says so.

Anything else (an event after the period without a suspension, a reason on no list, an
employee-scheme refund other than F4) is one of the 其他情况 that 33号 二（五） leaves to the
provincial level (refund.other_cases = "provincial", cited from its source), whose rules are
not among the documents: policy_gap.

Answer fields: ``eligible`` (bool, null in a gap), ``amount`` (yuan, 0 when not eligible, null
when undetermined), ``terminate`` (bool: the relation is terminated), ``channel`` (null when no
refund), ``channel_region`` (F3), ``refund_split`` (F3: null, undetermined),
``benefit_period_start`` (resident scheme), ``refund_months`` and ``refund_from`` (F4).

Channel codes:
  ``original_payment_channel``  退回个人，经原缴费渠道办理（文件写“依申请为个人办理退费”；税务征收的
                                经税务部门退回）.
  ``medical_assistance_channel_of_terminated_place``  按需终止的参保关系所在地的缴费（医疗救助资助）
                                渠道退费 (F3); ``channel_region`` names that place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from canbao.domain.codes import REFUND_REASONS, Scheme
from canbao.domain.decision import Decision
from canbao.domain.money import ZERO, Money, money, yuan
from canbao.policy import MissingParameter, Params, Policy
from canbao.rules.outcome import Outcome

KIND = "refund"

ORIGINAL_CHANNEL = "original_payment_channel"
ASSISTANCE_CHANNEL = "medical_assistance_channel_of_terminated_place"
FLEXIBLE_THEN_EMPLOYED = "flexible_then_employed"
MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class RefundFacts:
    """Attributes:
    region: pooling region of the relation (most specific known: a Guiyang district, 520190,
      440783).
    year: enrollment year the contribution was paid for.
    scheme: resident or employee (F4 is the employee scheme's only rule).
    paid_amount: the contribution paid, yuan.
    paid_on: payment date.
    applied_on: date of the refund application (not before paid_on or event_on).
    event_on: date of the event that gives the reason (second payment, joining the employee
      scheme or another region's scheme, death, employment, ...).
    reason: refund reason code (codes.REFUND_REASONS).
    employer_contribution_from: F4: first month of employer contributions (first day of it).
    assistance_subsidized: the contribution was subsidized through medical assistance (F3).
    relation_suspended: the resident relation is suspended (F2); None when not stated.
    terminated_region: F3: the place whose relation is terminated, default ``region``.
    benefit_period_start: the start of the resident benefit period, when it is not January 1
      of ``year`` (mid-year enrollment, waiting period); None: January 1 (B1 convention).
    """

    region: str
    year: int
    scheme: Scheme
    paid_amount: Money
    paid_on: date
    applied_on: date
    event_on: date
    reason: str
    employer_contribution_from: date | None
    assistance_subsidized: bool
    relation_suspended: bool | None
    terminated_region: str | None
    benefit_period_start: date | None


def decide(facts: RefundFacts, policy: Policy) -> Decision:
    params = Params(policy, facts.region, facts.year)
    out = Outcome(KIND, params)
    if facts.scheme is Scheme.EMPLOYEE:
        return _employee(facts, params, out)
    return _resident(facts, params, out)


# --- employee scheme: F4 ------------------------------------------------------------------


def _employee(facts: RefundFacts, params: Params, out: Outcome) -> Decision:
    reason = REFUND_REASONS[facts.reason]
    if facts.reason != FLEXIBLE_THEN_EMPLOYED or facts.employer_contribution_from is None:
        return out.gap(
            _other_cases(out) + "（职工医保因" + reason + "退费）",
            f"职工医保因{reason}申请退费，不属灵活就业人员中途随单位参保的情形，"
            "文件将其他情况交由省级明确，本项目文件中未规定。",
            **_undetermined(None),
        )
    out.apply("F4")
    start = facts.employer_contribution_from
    month = f"{start.year}-{start.month:02d}"
    answer: dict[str, Any] = {"benefit_period_start": None, "refund_from": month}
    if start.year > facts.year:
        return out.decided(
            f"单位缴费自{month}开始，已在{facts.year}年度之后，该年度以灵活就业身份缴纳的职工医保费"
            "没有就业后的剩余月份，不予退费。",
            eligible=False,
            amount=ZERO,
            terminate=False,
            channel=None,
            refund_months=0,
            **answer,
        )
    if start.year < facts.year:
        return out.gap(
            _other_cases(out) + f"（单位缴费自{month}开始，早于{facts.year}年度，不属中途就业）",
            f"单位缴费自{month}开始，早于{facts.year}年度，此后以灵活就业身份一次性缴纳全年费用不属"
            "“中途就业”，其退费属文件交由省级明确的其他情况。",
            eligible=None,
            amount=None,
            terminate=False,
            channel=None,
            refund_months=None,
            **answer,
        )
    months = MONTHS_PER_YEAR - start.month + 1
    amount = refund_share(facts.paid_amount, months)
    text = (
        f"灵活就业人员一次性缴纳{facts.year}年度职工医保费{yuan(facts.paid_amount)}元，"
        f"自{month}起随单位参保，依申请按剩余{months}个月退回{yuan(amount)}元"
    )
    if facts.assistance_subsidized:
        return out.gap(
            "灵活就业人员的职工医保个人缴费曾获医疗救助资助时，退费渠道及资助部分的去向，文件未规定",
            text + "；该缴费曾获医疗救助资助，退费渠道及资助部分去向文件未规定。",
            eligible=True,
            amount=amount,
            terminate=False,
            channel=None,
            refund_split=None,
            refund_months=months,
            **answer,
        )
    return out.decided(
        text + "，经原缴费渠道办理。",
        eligible=True,
        amount=amount,
        terminate=False,
        channel=ORIGINAL_CHANNEL,
        refund_months=months,
        **answer,
    )


# --- resident scheme: F1, F2, F3, F5, F6 --------------------------------------------------


@dataclass(frozen=True)
class _Lists:
    """The reasons for a refund before the benefit period: national (F1) and local."""

    national: frozenset[str]
    local: frozenset[str]

    @property
    def all(self) -> frozenset[str]:
        return self.national | self.local


def _resident(facts: RefundFacts, params: Params, out: Outcome) -> Decision:
    policy = params.policy
    place = policy.region_name(facts.region)
    start = facts.benefit_period_start or _period_start(facts, params)
    external = params.get("refund.external_rules")
    if external:
        out.apply("F6")
    kaiping = bool(params.get("refund.no_refund_after_deduction"))
    before = facts.event_on < start
    # The lists are read (and cited) only where they can decide: before the period, or F3.
    needed = before or facts.assistance_subsidized
    lists = _reason_lists(params) if needed else _Lists(frozenset(), frozenset())
    reason = REFUND_REASONS[facts.reason]
    when = (
        f"{place}{facts.year}年度居民医保待遇享受期自{start}开始，退费事由“{reason}”发生于"
        f"{facts.event_on}（待遇享受期开始{'前' if before else '后'}），{facts.applied_on}申请退费"
    )
    note = (
        f"；该地退费按{external}执行，该文件不在本项目文件集中，本项目按国家规定（F1–F3）判断"
        if external
        else ""
    )
    answer: dict[str, Any] = {"benefit_period_start": start}
    if kaiping:
        return _kaiping(facts, out, lists, before, start, when, answer)
    if before and facts.reason in lists.all:
        return _refund_before(facts, out, when + note, answer)
    if before:
        return _other_case(facts, out, when + note, external, answer)
    if facts.assistance_subsidized and facts.reason in lists.all:
        return _assistance(facts, out, when + note, answer)
    if facts.relation_suspended:
        out.apply("F2")
        return out.decided(
            when + "，居民医保参保关系已暂停，原则上个人缴费不再退回" + note + "。",
            eligible=False,
            amount=ZERO,
            terminate=False,
            channel=None,
            **answer,
        )
    return _other_case(facts, out, when + note, external, answer)


def _period_start(facts: RefundFacts, params: Params) -> date:
    convention = params.require("convention.prepaid_benefit_start")
    if convention != "january_first":
        raise MissingParameter("convention.prepaid_benefit_start", facts.region, facts.year)
    return date(facts.year, 1, 1)


def _reason_lists(params: Params) -> _Lists:
    """The national list (F1) and the region's own list, where it has one."""
    national = params.require("refund.before_benefit_reasons")
    local = params.get("refund.local_before_benefit_reasons") or []
    return _Lists(frozenset(national), frozenset(local))


def _other_cases(out: Outcome) -> str:
    """What is missing for one of the 其他情况: the level the national rule leaves them to."""
    level = out.require("refund.other_cases")
    who = "省级医疗保障部门会同相关部门" if level == "provincial" else str(level)
    return f"其他退费情形由{who}明确可以退费和不予退费的具体情形，本项目文件集中无相应规定"


def _refund_before(facts: RefundFacts, out: Outcome, when: str, answer: dict[str, Any]) -> Decision:
    """F1 (and F3 for the channel): terminate and refund the whole individual contribution."""
    out.apply("F1")
    return _refund_whole(facts, out, when, answer)


def _refund_whole(facts: RefundFacts, out: Outcome, when: str, answer: dict[str, Any]) -> Decision:
    """Terminate and refund all that was paid: through the assistance channel (F3) or the
    original payment channel."""
    if facts.assistance_subsidized:
        return _assistance(facts, out, when, answer)
    return out.decided(
        when + "，终止居民医保参保关系，依申请经原缴费渠道退还个人缴费"
        f"{yuan(facts.paid_amount)}元。",
        eligible=True,
        amount=facts.paid_amount,
        terminate=True,
        channel=ORIGINAL_CHANNEL,
        **answer,
    )


def _assistance(facts: RefundFacts, out: Outcome, when: str, answer: dict[str, Any]) -> Decision:
    """F3: the relation that must be terminated is refunded through its place's channel."""
    out.apply("F3")
    region = facts.terminated_region or facts.region
    name = out.params.policy.region_name(region)
    return out.decided(
        when + f"，该缴费曾获医疗救助资助，终止参保关系，依申请经{name}的缴费渠道退费"
        f"{yuan(facts.paid_amount)}元；退费在救助资金与个人之间如何分配，文件未规定。",
        eligible=True,
        amount=facts.paid_amount,
        terminate=True,
        channel=ASSISTANCE_CHANNEL,
        channel_region=region,
        refund_split=None,
        **answer,
    )


def _other_case(
    facts: RefundFacts,
    out: Outcome,
    when: str,
    external: Any,
    answer: dict[str, Any],
) -> Decision:
    """The 其他情况 of 33号 二（五）: left to the provincial level, not in the documents."""
    start: date = answer["benefit_period_start"]
    if facts.event_on < start:
        out.apply("F1")  # checked: the reason is on no list
    missing = _other_cases(out)
    if external:
        missing += f"；该地退费所依据的{external}（F6）不在本项目文件集中"
    if facts.event_on >= start and facts.relation_suspended is None:
        missing += (
            "；如该居民医保参保关系已暂停，按 F2 原则上不退个人缴费（请给出 relation_suspended）"
        )
    return out.gap(
        missing,
        when + "，不属文件列明可退费的情形，文件将其他情况交由省级明确，本项目文件中未规定。",
        **_undetermined(start),
    )


def _kaiping(
    facts: RefundFacts,
    out: Outcome,
    lists: _Lists,
    before: bool,
    start: date,
    when: str,
    answer: dict[str, Any],
) -> Decision:
    """F5: the listed events before the new year are refunded; otherwise none in the new year."""
    out.apply("F5")
    if before and facts.reason in lists.all:
        if facts.reason in lists.national:
            out.apply("F1")
        return _refund_whole(facts, out, when + "，属新年度开始前发生的可退费情形", answer)
    if not before and facts.assistance_subsidized and facts.reason in lists.all:
        out.apply("F3")
        place = out.params.policy.region_name(facts.region)
        return out.gap(
            "医疗救助资助参保的救助对象在待遇享受期开始后可依申请退费（F3），而"
            f"{place}规定扣缴后新年度中途原则上不作退费（F5），两者如何衔接文件未规定",
            when + "，该缴费曾获医疗救助资助；国家规定允许经终止关系所在地渠道退费，"
            f"{place}规定新年度中途原则上不退费，文件未明确如何衔接。",
            **_undetermined(start),
        )
    if facts.applied_on >= start or not before:
        if facts.relation_suspended and not before:
            out.apply("F2")
        return out.decided(
            when
            + "，扣缴后新年度中途原则上不作退费，"
            + ("该情形不属" if before else "事由发生于新年度开始后，不属")
            + "本地列明的新年度开始前发生的除外情形，不予退费。",
            eligible=False,
            amount=ZERO,
            terminate=False,
            channel=None,
            **answer,
        )
    return _other_case(facts, out, when, None, answer)


def _undetermined(start: date | None) -> dict[str, Any]:
    return {
        "eligible": None,
        "amount": None,
        "terminate": None,
        "channel": None,
        "benefit_period_start": start,
    }


def refund_share(paid: Decimal, months: int) -> Money:
    """F4 pro rata: ``months`` twelfths of ``paid``, rounded to the fen."""
    return money(paid * months / MONTHS_PER_YEAR)

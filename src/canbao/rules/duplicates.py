"""Duplicate enrollment: which relation to keep, what happens to the others (rules D1–D8).

D1 a duplicate is one person with two or more records whose periods overlap, each in normal
enrollment (psn_insu_stas 1) and paid; D2 which to keep; D3 the others are terminated, or
suspended across schemes through flexible work; D4 a tuopin person at hukou and residence
places keeps the relation chosen with a written commitment; D5 college students (entering
school / finding a job), the specific rule that comes before D2/D3; D6 deduction of the
duplicate year's fiscal subsidy; D7 nothing is deleted; D8 Meizhou's own clearing rule.

D5 (33号 三（二）) speaks of 大中专学生（含全日制研究生）, the project's ``college_student``; a
primary or secondary school student keeps the school's place under D2 and the others terminate
under D3. For a college student with one resident record at the school's place, the cause of
each other record's duplicate is read from the records, not given:

* a record that began after the person entered school arose later: an employee record is a job
  found during or after school (就业后形成的重复参保): the employee record is kept and the
  school's place **suspends** its record, whatever the employee months (D2's 12-month rule does
  not decide it); a resident record is an ordinary duplicate: the school's place is kept (D2)
  and the record terminates (D3);
* a record that was there before entry arose on entering school (因入学形成的重复参保): the
  school's record is kept and the original place terminates, also for an employee record.

"Began after entering school": with ``entered_school_year``, a record beginning in a later
year did, one beginning in an earlier year did not; within the entry year, and without
``entered_school_year``, the record began after entry when it begins after the school record.
A record that begins on the school record's first day cannot be told: for a resident record it
does not matter (the school's record is kept and the other terminated either way, cited as
D5), for an employee record it decides which relation is kept, so it is a gap.
``entered_school_year`` is optional: only D6's entry-year exception needs it; without it the
deduction of a terminated record of a college student is a gap, not which record is kept.

A 建档立卡 (``tuopin``) college student may choose the place where that status was identified
(33号 三（二）, rule E5): the chosen record there is kept and the others terminate (D3).

Conventions of this module (the documents leave them to the implementer):

* "同一时间段" (33号 二（四）): two records are in the same period when their from–to periods
  share at least one day; records that only touch (one ends 2021-12-31, the other starts
  2022-01-01) are a continuation, not a duplicate. ``as_of`` does not have to fall inside the
  overlap: a duplicate found after the fact still has to be cleared and its subsidy deducted.
  Overlapping records form groups (connected by overlap); when a person has several separate
  groups, the group with a record covering ``as_of`` is decided, else the most recent one, and
  the others are listed in ``other_duplicate_groups``.
* The "year of entering school" exception of D6 compares ``entered_school_year`` with the year
  in which the record's duplicate period begins (the first day it overlaps another normal
  record), not with the year of ``as_of``: 二（六） speaks of the duplicate year ("入学当年重复
  参加"), and a clean-up can happen later than the duplicate.
* D6 for suspended records: 二（六） deducts for terminated resident records, and separately,
  "在按本意见规定的原则处理后", for the resident record of a cross-scheme duplicate with a year
  of continuous employee enrollment, whatever that handling was. So a suspended resident record
  (flexible work, or a college student who found a job) is deducted only under that second
  clause, i.e. when the employee months reach ``duplicates.employee_keep_min_months``.
* notify_region: an action on a record whose region differs from the kept record's region
  carries that record's region (the agency there terminates or suspends, notified by the
  keeping place, D5); same region → null.
* D8 (梅市 四（一）) restates the national rule for Meizhou ("按规定保留一个可享受待遇的参保关
  系"); it does not remove the national suspension for flexible work, which is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from canbao.domain.codes import (
    STUDENT_CATEGORIES,
    Scheme,
)
from canbao.domain.decision import Decision, FieldError, Status
from canbao.domain.periods import Period
from canbao.policy import Params, Policy
from canbao.policy.store import NATIONAL
from canbao.rules.outcome import Outcome

KIND = "duplicates"

NORMAL = "1"
#: 大中专学生（含全日制研究生） (33号 三（二）、二（六）): the project's code for them.
COLLEGE = "college_student"

SCHEME_NAMES = {Scheme.EMPLOYEE: "职工医保", Scheme.RESIDENT: "居民医保"}
PLACE_NAMES = {
    "employment": "就业地",
    "habitual_residence": "常住地",
    "school": "学籍地",
    "hukou": "户籍地",
    "poverty_identified": "建档立卡身份认定地",
}
#: 建档立卡 (D4): the one hardship identity the rules read.
TUOPIN = "tuopin"
EMPLOYEE_KEEP_MIN_MONTHS = "duplicates.employee_keep_min_months"
LOCAL_CLEARING = "duplicates.local_clearing"
#: What the rules read of a person's facts and of the policy, and nothing else: the codes of
#: ``identities``, ``categories`` and ``Record.places``, and the policy keys read per region
#: (canbao.batch.dedup reduces a duplicate group to these; its property test guards them).
READ_IDENTITIES = (TUOPIN,)
READ_CATEGORIES = tuple(sorted(STUDENT_CATEGORIES))
READ_PLACES = tuple(PLACE_NAMES)
READ_KEYS = (EMPLOYEE_KEEP_MIN_MONTHS, LOCAL_CLEARING)


@dataclass(frozen=True)
class Record:
    """Attributes:
    id: the enrollment relation's id (rlts_id), unique within the case.
    scheme: employee or resident.
    region: 医保区划 of the relation.
    period: the record's first and last day (``from``, ``to``).
    status: psn_insu_stas code.
    paid: whether the contribution for the period is paid.
    places: what the region is for the person (employment, habitual_residence, school, hukou,
      poverty_identified).
    flexible: enrolled through part-time, temporary or flexible work (employee records).
    """

    id: str
    scheme: Scheme
    region: str
    period: Period
    status: str
    paid: bool
    places: frozenset[str]
    flexible: bool

    @property
    def normal(self) -> bool:
        """Normal enrollment and payment status (33号 二（四） "参保缴费状态正常")."""
        return self.status == NORMAL and self.paid

    def overlaps(self, other: Record) -> bool:
        return self.period.overlaps(other.period)


@dataclass(frozen=True)
class DuplicateFacts:
    """Attributes:
    as_of: the day the records are looked at; its year selects the policy values.
    identities: hardship identities (SPEC section 2).
    categories: person categories (SPEC section 2).
    entered_school_year: the year a student entered school; D5 reads it when given, D6's
      entry-year exception needs it.
    records: the person's enrollment records, in any order.
    employee_continuous_months: months of continuous employee enrollment, for D2/D6.
    chosen_record: the record id the person chose (D4; a tuopin college student's choice of the
      poverty-identification place, E5), optional.
    consent_recorded: the written commitment for D4 is on file (default false).
    """

    as_of: date
    identities: frozenset[str]
    categories: frozenset[str]
    entered_school_year: int | None
    records: tuple[Record, ...]
    employee_continuous_months: int
    chosen_record: str | None = None
    consent_recorded: bool = False

    @property
    def college(self) -> bool:
        return COLLEGE in self.categories


class _Invalid(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.error = FieldError(path, reason)


@dataclass
class Plan:
    """What the rules chose for one duplicate group.

    Attributes:
      keep: the record kept, or None (policy gap or awaiting consent).
      suspend: ids of records suspended rather than terminated.
      reason: Chinese phrase saying why ``keep`` is kept.
      gap: what the documents leave open, for a policy gap.
      awaiting: D4, the person's written choice is not on file yet.
    """

    keep: Record | None = None
    suspend: frozenset[str] = frozenset()
    reason: str = ""
    gap: str | None = None
    awaiting: bool = False


@dataclass(frozen=True)
class Deduction:
    """D6: the records whose duplicate year's fiscal subsidy is deducted; ``open`` the ones that
    depend on the missing ``entered_school_year``; ``notes`` Chinese remarks."""

    deducted: tuple[str, ...] = ()
    open: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def decide(facts: DuplicateFacts, policy: Policy) -> Decision:
    try:
        return _decide(facts, policy)
    except _Invalid as bad:
        return Decision(
            KIND,
            Status.INVALID,
            (),
            (),
            f"案例格式有误，共1处：{bad.error.path} {bad.error.reason}",
            errors=(bad.error,),
        )


def _decide(facts: DuplicateFacts, policy: Policy) -> Decision:
    records = sorted(facts.records, key=lambda r: r.id)
    groups = _groups([r for r in records if r.normal])
    group = _current(groups, facts.as_of)
    params = Params(policy, _region(policy, group or records, facts.as_of.year), facts.as_of.year)
    out = Outcome(KIND, params)
    out.apply("D1")
    base: dict[str, Any] = {
        "records_kept_for_audit": [r.id for r in records],
        "duplicate_records": [r.id for r in group],
        "other_duplicate_groups": [[r.id for r in g] for g in groups if g is not group],
    }
    if not group:
        excluded = [r.id for r in records if not r.normal]
        note = f"（{'、'.join(excluded)}非正常参保缴费状态，不计入）" if excluded else ""
        return out.decided(
            f"该人员没有两条及以上同一时间段参保缴费状态正常的记录{note}，不属于重复参保。",
            duplicate=False,
            type=None,
            keep=None,
            actions=[],
            subsidy_deduction=[],
            awaiting_consent=False,
            **base,
        )
    schemes = {r.scheme for r in group}
    cross = len(schemes) > 1
    kind_text = "跨制度重复参保" if cross else f"{SCHEME_NAMES[group[0].scheme]}制度内重复参保"
    lead = f"{'、'.join(r.id for r in group)}为同一时间段参保缴费状态正常的记录，属{kind_text}"
    later = "".join(
        f"；另一组重复记录{'、'.join(r.id for r in g)}另行处理" for g in groups if g is not group
    )
    plan = _college_student(facts, group, cross, out) if facts.college else None
    if plan is None:
        plan = _cross(facts, group, params, out) if cross else _intra(facts, group, out)
    answer: dict[str, Any] = {
        "duplicate": True,
        "type": "cross_scheme" if cross else "intra_scheme",
        **base,
    }
    if plan.keep is None:
        out.apply("D7")
    if plan.awaiting:
        return out.decided(
            f"{lead}；{plan.reason}，在本人书面承诺前暂不处理，记录留存备查{later}。",
            keep=None,
            actions=[],
            subsidy_deduction=[],
            awaiting_consent=True,
            **answer,
        )
    if plan.keep is None:
        return out.gap(
            plan.gap or "保留哪一参保关系文件未规定",
            f"{lead}；{plan.reason}，暂不能确定保留哪一参保关系，记录留存备查{later}。",
            keep=None,
            actions=[],
            subsidy_deduction=[],
            awaiting_consent=False,
            **answer,
        )
    keep = plan.keep
    actions = [
        {
            "id": r.id,
            "action": "suspend" if r.id in plan.suspend else "terminate",
            "notify_region": r.region if r.region != keep.region else None,
        }
        for r in group
        if r is not keep
    ]
    deduction = _deduction(facts, group, keep, plan, cross, params, out)
    if any(_local_clearing(policy, r, facts.as_of.year) for r in group):
        params.get(LOCAL_CLEARING)
        out.apply("D8")
    out.apply("D7")
    text = f"{lead}；{plan.reason}，保留{keep.id}，" + "，".join(
        _action_text(policy, a) for a in actions
    )
    deducted = "、".join(deduction.deducted)
    text += "；" + (f"扣减{deducted}重复参保当年的财政补助" if deducted else "不扣减财政补助")
    text += "".join(deduction.notes) + later + "。"
    if deduction.open:
        open_ids = "、".join(deduction.open)
        return out.gap(
            f"person.entered_school_year: 大中专学生入学当年的重复参保不扣减财政补助（D6），"
            f"未给出入学年份，无法确定是否扣减{open_ids}重复参保当年的财政补助",
            text + f"未给出入学年份，{open_ids}是否扣减财政补助待定。",
            keep=keep.id,
            actions=actions,
            subsidy_deduction=None,
            subsidy_deduction_undetermined=list(deduction.open),
            awaiting_consent=False,
            **answer,
        )
    return out.decided(
        text,
        keep=keep.id,
        actions=actions,
        subsidy_deduction=list(deduction.deducted),
        awaiting_consent=False,
        **answer,
    )


def _groups(normal: list[Record]) -> list[list[Record]]:
    """Records connected by overlapping periods, groups of two or more, sorted by id."""
    groups: list[list[Record]] = []
    for record in normal:
        joined = [g for g in groups if any(record.overlaps(r) for r in g)]
        merged = [record] + [r for g in joined for r in g]
        groups = [g for g in groups if g not in joined] + [sorted(merged, key=lambda r: r.id)]
    return sorted((g for g in groups if len(g) > 1), key=lambda g: g[0].id)


def _current(groups: list[list[Record]], as_of: date) -> list[Record]:
    """The group with a record covering ``as_of``, else the most recent group."""
    if not groups:
        return []
    covering = [g for g in groups if any(r.period.contains(as_of) for r in g)]
    if covering:
        return covering[0]
    return max(groups, key=lambda g: (max(r.period.end for r in g), min(r.period.start for r in g)))


def _region(policy: Policy, records: list[Record], year: int) -> str:
    """The region whose values the decision reads: one that clears duplicates locally (D8,
    ``duplicates.local_clearing``) if any record is there, else the first record's."""
    for record in records:
        if _local_clearing(policy, record, year):
            return record.region
    return records[0].region if records else NATIONAL


def _local_clearing(policy: Policy, record: Record, year: int) -> bool:
    found = policy.find(LOCAL_CLEARING, record.region, year)
    return found is not None and found.value is True


def _by_place(records: list[Record], place: str) -> Record | None:
    found = [r for r in records if place in r.places]
    return found[0] if len(found) == 1 else None


def _place_gap(records: list[Record], place: str, rule: str) -> str:
    found = [r.id for r in records if place in r.places]
    which = "没有一条记录" if not found else f"有{len(found)}条记录（{'、'.join(found)}）"
    name = PLACE_NAMES[place]
    return f"D2：{rule}原则上保留{name}参保关系，但{which}标明为{name}"


def _intra(facts: DuplicateFacts, group: list[Record], out: Outcome) -> Plan:
    """Duplicates within one scheme: students, tuopin persons (D4), then D2 by place."""
    scheme = group[0].scheme
    if scheme is Scheme.RESIDENT and facts.categories & STUDENT_CATEGORIES:
        return _student(group, out)
    if scheme is Scheme.RESIDENT and TUOPIN in facts.identities and _hukou_and_residence(group):
        return _tuopin(facts, group, out)
    out.apply("D2")
    place, rule = (
        ("employment", "重复参加职工医保的，")
        if scheme is Scheme.EMPLOYEE
        else ("habitual_residence", "重复参加居民医保的，")
    )
    keep = _by_place(group, place)
    if keep is None:
        return Plan(
            gap=_place_gap(group, place, rule), reason=f"无法确定唯一的{PLACE_NAMES[place]}记录"
        )
    out.apply("D3")
    return Plan(keep=keep, reason=f"按{PLACE_NAMES[place]}原则")


def _hukou_and_residence(group: list[Record]) -> bool:
    hukou = {r.id for r in group if "hukou" in r.places}
    residence = {r.id for r in group if "habitual_residence" in r.places}
    return bool(hukou and residence and (len(hukou | residence) > 1))


def _student(group: list[Record], out: Outcome) -> Plan:
    """D2 a student keeps the school's place; D3 the others terminate."""
    out.apply("D2")
    keep = _by_place(group, "school")
    if keep is None:
        return Plan(
            gap=_place_gap(group, "school", "学生重复参保，"), reason="无法确定唯一的学籍地记录"
        )
    out.apply("D3")
    return Plan(keep=keep, reason="学生按学籍地原则")


def _college_student(
    facts: DuplicateFacts, group: list[Record], cross: bool, out: Outcome
) -> Plan | None:
    """A college student (大中专学生): the poverty place chosen (E5), then D5 by the cause read
    from the records; None when there is no single school record to read it from."""
    residents = [r for r in group if r.scheme is Scheme.RESIDENT]
    chosen = next((r for r in residents if r.id == facts.chosen_record), None)
    if (
        not cross
        and chosen is not None
        and TUOPIN in facts.identities
        and "poverty_identified" in chosen.places
    ):
        out.apply("E5", "D3")
        return Plan(keep=chosen, reason="建档立卡贫困大中专学生选择在身份认定地参保")
    school = _by_place(residents, "school")
    if school is None:
        return None
    others = [r for r in group if r is not school]
    after = {r.id: _began_after_entry(r, school, facts.entered_school_year) for r in others}
    unclear = [r.id for r in others if r.scheme is Scheme.EMPLOYEE and after[r.id] is None]
    if unclear:
        out.apply("D5")
        return Plan(
            gap=(
                f"D5：职工医保记录{'、'.join(unclear)}与学籍地记录{school.id}同日开始，"
                "无法从记录判断重复参保因入学还是就业形成（终止原参保关系或暂停学籍地关系）"
            ),
            reason="大中专学生跨制度重复参保，但无法判断因入学还是就业形成",
        )
    later = [r for r in others if after[r.id]]
    jobs = [r for r in later if r.scheme is Scheme.EMPLOYEE]
    entry = [r for r in others if r not in later]
    if jobs or entry:
        out.apply("D5")
    if jobs:
        keep = _one(jobs, "employment")
        if keep is None:
            out.apply("D2")
            return Plan(
                gap=_place_gap(jobs, "employment", "重复参加职工医保的，"),
                reason="大中专学生就业后形成重复参保，但有多条职工医保记录且无法确定就业地记录",
            )
        if len(group) > 2:
            out.apply("D3")
        return Plan(
            keep=keep,
            suspend=frozenset({school.id}),
            reason="大中专学生就业后形成重复参保，由就业地通知原学籍地暂停",
        )
    if later:
        out.apply("D2", "D3")
    reason = "因入学形成的重复参保，由学籍地通知原参保地终止" if entry else ""
    if later:
        reason += ("；" if reason else "") + "入学后形成的其他重复参保，学生按学籍地原则"
    return Plan(keep=school, reason=reason)


def _began_after_entry(
    record: Record, school: Record, entered_school_year: int | None
) -> bool | None:
    """Whether ``record`` began after the student entered school (D5, see the module notes);
    None when it begins on the school record's first day and the entry year does not tell."""
    began = record.period.start
    if entered_school_year is not None and began.year != entered_school_year:
        return began.year > entered_school_year
    if began == school.period.start:
        return None
    return began > school.period.start


def _tuopin(facts: DuplicateFacts, group: list[Record], out: Outcome) -> Plan:
    """D4: the person chooses, with a written commitment kept on file."""
    out.apply("D4")
    chosen = next((r for r in group if r.id == facts.chosen_record), None)
    if facts.chosen_record is not None and chosen is None:
        raise _Invalid("chosen_record", f"{facts.chosen_record!r}不在本次重复参保的记录中")
    if chosen is None:
        return Plan(
            awaiting=True,
            reason="脱贫人口在户籍地和居住地重复参加居民医保，须征得本人同意确定保留的关系",
        )
    if not facts.consent_recorded:
        return Plan(
            awaiting=True,
            reason=f"脱贫人口已选择保留{chosen.id}，但本人书面承诺尚未留存备案",
        )
    out.apply("D3")
    return Plan(keep=chosen, reason="脱贫人口经本人书面承诺选择")


def _cross(facts: DuplicateFacts, group: list[Record], params: Params, out: Outcome) -> Plan:
    """Employee + resident: D3 flexible work, D2 ≥ 12 months."""
    employees = [r for r in group if r.scheme is Scheme.EMPLOYEE]
    residents = [r for r in group if r.scheme is Scheme.RESIDENT]
    months = int(params.require(EMPLOYEE_KEEP_MIN_MONTHS))
    served = facts.employee_continuous_months
    flexible = [r for r in employees if r.flexible]
    if flexible:
        out.apply("D3")
        keep = _one(flexible, "employment")
        if keep is None:
            out.apply("D2")
            return Plan(
                gap=_place_gap(flexible, "employment", "重复参加职工医保的，"),
                reason="无法确定唯一的灵活就业职工医保记录",
            )
        suspended = residents[0] if len(residents) == 1 else None
        if suspended is None:
            out.apply("D2")
            suspended = _by_place(residents, "habitual_residence")
            if suspended is None:
                return Plan(
                    gap=_place_gap(residents, "habitual_residence", "重复参加居民医保的，"),
                    reason="以灵活就业形式跨制度重复参保，但多条居民医保记录中无法确定常住地记录",
                )
        return Plan(
            keep=keep,
            suspend=frozenset({suspended.id}),
            reason="以灵活就业形式跨制度重复参保，保留可享受待遇的职工医保关系、暂停居民医保关系",
        )
    out.apply("D2")
    if served < months:
        return Plan(
            gap=(
                f"D2：只规定连续参加职工医保{months}个月（一年）以上的跨制度重复参保保留"
                f"职工医保关系；连续{served}个月的情形未规定保留哪一关系"
            ),
            reason=f"跨制度重复参保但连续参加职工医保仅{served}个月，不足{months}个月",
        )
    keep = _one(employees, "employment")
    if keep is None:
        return Plan(
            gap=_place_gap(employees, "employment", "重复参加职工医保的，"),
            reason="有多条职工医保记录且无法确定就业地记录",
        )
    out.apply("D3")
    return Plan(
        keep=keep, reason=f"连续参加职工医保{served}个月（不少于{months}个月），按保留职工医保原则"
    )


def _one(records: list[Record], place: str) -> Record | None:
    """The only record, or the only one at ``place`` when there are several."""
    return records[0] if len(records) == 1 else _by_place(records, place)


def _deduction(
    facts: DuplicateFacts,
    group: list[Record],
    keep: Record,
    plan: Plan,
    cross: bool,
    params: Params,
    out: Outcome,
) -> Deduction:
    """D6: the resident records whose duplicate year's fiscal subsidy is deducted."""
    others = [r for r in group if r is not keep and r.scheme is Scheme.RESIDENT]
    if not others:
        return Deduction()
    out.apply("D6")
    long_employee = cross and facts.employee_continuous_months >= int(
        params.require(EMPLOYEE_KEEP_MIN_MONTHS)
    )
    deducted: list[str] = []
    undetermined: list[str] = []
    notes: list[str] = []
    for record in others:
        if long_employee:
            deducted.append(record.id)
            continue
        if record.id in plan.suspend:
            continue
        if facts.college:
            year = _duplicate_start(record, group).year
            if facts.entered_school_year is None:
                undetermined.append(record.id)
                continue
            if year == facts.entered_school_year:
                notes.append(f"（{record.id}为大中专学生入学当年{year}年的重复参保，不扣减补助）")
                continue
        deducted.append(record.id)
    return Deduction(tuple(deducted), tuple(undetermined), tuple(notes))


def _duplicate_start(record: Record, group: list[Record]) -> date:
    """The first day ``record`` overlaps another record of its group."""
    return min(
        max(record.period.start, o.period.start)
        for o in group
        if o is not record and o.overlaps(record)
    )


def _action_text(policy: Policy, action: dict[str, Any]) -> str:
    verb = "暂停" if action["action"] == "suspend" else "终止"
    region = action["notify_region"]
    where = f"（通知{policy.region_name(region)}{region}）" if region else ""
    return f"{verb}{action['id']}{where}"

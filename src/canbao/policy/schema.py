"""The parameter keys policy data may hold, with their type and unit.

A key names a policy value; which region and year it applies to, and its source, are in the
data files. ``subsidy.*`` takes a hardship identity code in place of the star.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeySpec:
    type: str
    unit: str
    description: str


# Types: money, date, period ({start, end}), months, days, ratio, bool, choice:<a|b>,
# identities, categories, reasons (refund reasons), proofs (table category → proof), subsidy,
# bases (eligibility bases, see rules.eligibility.BASES), region (a region code of regions.toml),
# citywide ({ area = region, handles = [registration actions] }), fields (basic information
# fields), stop_statuses (refund reason → terminate|suspend, ``other`` for the rest).
KEYS: dict[str, KeySpec] = {
    # Contributions (C)
    "resident.individual_standard": KeySpec("money", "yuan", "城乡居民医保个人缴费标准"),
    "resident.individual_minimum": KeySpec("money", "yuan", "国家居民医保个人缴费最低标准"),
    "resident.fiscal_subsidy_minimum": KeySpec("money", "yuan", "国家人均财政补助最低标准"),
    "resident.fiscal_subsidy_standard": KeySpec("money", "yuan", "本地各级财政补助标准（不低于）"),
    "resident.funding_minimum": KeySpec("money", "yuan", "人均筹资标准（不低于）"),
    "resident.late_standard": KeySpec("money", "yuan", "零星征缴期缴费标准"),
    "collection.concentrated_period": KeySpec("period", "date", "集中征缴（扣费）期"),
    "collection.change_deadline": KeySpec("date", "date", "变更、停保办理截止日"),
    "collection.registration_deadline": KeySpec("date", "date", "新参保登记截止日"),
    "collection.hardship_verification_deadline": KeySpec("date", "date", "特殊人群参保核定完成日"),
    "collection.hardship_list_deadline": KeySpec("date", "date", "困难人群名单导入截止日"),
    "collection.hardship_tax_declaration_deadline": KeySpec(
        "date", "date", "困难群体缴费身份标识和定额（零费用）申报截止日"
    ),
    "collection.school_setup_deadline": KeySpec("date", "date", "学校参保缴费单位设置截止日"),
    "collection.compulsory_students_deadline": KeySpec(
        "date", "date", "九年制义务教育学生参保完成日"
    ),
    "collection.hardship_monthly_list_day": KeySpec(
        "days", "day of month", "困难居民月度名单提供日"
    ),
    "collection.hardship_monthly_feedback_day": KeySpec(
        "days", "day of month", "参保不成功名单反馈日"
    ),
    "collection.hardship_full_list_deadline": KeySpec("date", "date", "全年困难居民名单报送日"),
    "collection.abandoning_failures": KeySpec(
        "texts", "-", "视为自动弃保的个人原因扣费失败（税务反馈的失败原因）"
    ),
    "subsidy.*": KeySpec("subsidy", "yuan", "资助参保标准及资金来源"),
    "subsidy.combination": KeySpec("choice:highest_only", "-", "多重身份资助的适用方式"),
    "subsidy.local_hukou_area": KeySpec("region", "-", "资助仅限该区划户籍（本市户籍）"),
    "subsidy.employee_scheme_identities": KeySpec(
        "identities", "-", "参加职工医保按居民资助标准资助个人缴费的身份"
    ),
    "subsidy.tax_declaration": KeySpec("bool", "-", "全额资助零申报、定额资助按减免后金额申报"),
    # Who may enroll (E)
    "eligibility.bases": KeySpec("bases", "-", "居民医保参保范围"),
    "eligibility.scope_reference": KeySpec("document", "-", "参保范围未尽事宜所依据的文件"),
    "eligibility.local_area": KeySpec("region", "-", "参保范围所称“本市”的区划"),
    "mid_year.enrollees": KeySpec("proofs", "-", "中途参保人员及其证明材料"),
    "eligibility.employee_scheme_proofs": KeySpec(
        "texts", "-", "职工医保参保人参加居民医保须提供的证明"
    ),
    "registration.registry_match_proofs": KeySpec("texts", "-", "参保登记须与公安户籍一致的信息"),
    "registration.registry_match_exempt": KeySpec(
        "categories", "-", "姓名、身份信息须与公安户籍一致，以下人员除外"
    ),
    "registration.citywide_handling": KeySpec(
        "citywide", "-", "全市通办：区划范围内任一经办机构可办理的登记"
    ),
    "registration.basic_info_before_payment": KeySpec(
        "fields", "-", "缴费期开始后须在缴费前办理变更的基础信息"
    ),
    # Benefit start and waiting periods (B)
    "benefit.newborn_window_days": KeySpec("days", "days", "新生儿出生后参保登记期限"),
    "benefit.newborn_window_months": KeySpec(
        "months", "months", "新生儿自出生次月1日起的参保缴费期限"
    ),
    "benefit.mid_year_start": KeySpec(
        "choice:first_of_next_month", "-", "中途参保待遇起始：缴费成功次月1日"
    ),
    "benefit.hardship_register_first": KeySpec("bool", "-", "困难居民先登记参保、后补助缴费"),
    "benefit.residence_permit_auto_stop": KeySpec("bool", "-", "居住证到期自动停保"),
    "switch.local_rule": KeySpec(
        "bool", "-", "统筹地区文件另行规定跨制度切换的待遇衔接（否则适用国家规定）"
    ),
    "switch.min_continuous_months": KeySpec("months", "months", "跨制度切换连续参保月数"),
    "switch.max_gap_months": KeySpec("months", "months", "中断缴费不超过的月数"),
    "switch.short_gap_start": KeySpec(
        "choice:payment_date|first_of_next_month", "-", "中断不超过规定月数时的待遇起始"
    ),
    "switch.max_waiting_months": KeySpec("months", "months", "待遇享受等待期上限"),
    "switch.employee_to_resident_waiting_months": KeySpec(
        "months", "months", "职工医保切换至居民医保的等待期"
    ),
    "switch.waiting_exempt_categories": KeySpec("categories", "-", "不设等待期的人员类别"),
    "switch.waiting_exempt_identities": KeySpec("identities", "-", "不设等待期的困难群体身份"),
    "waiting.fixed_months": KeySpec("months", "months", "固定等待期"),
    "waiting.variable_months_per_year": KeySpec("months", "months", "每多断缴1年增加的变动等待期"),
    "waiting.repair_months_per_year": KeySpec("months", "months", "每多缴1年减少的变动等待期"),
    "waiting.long_break_years": KeySpec("count", "years", "连续断保年数（长期断保）"),
    "waiting.min_after_long_break_months": KeySpec(
        "months", "months", "长期断保补缴后等待期不少于"
    ),
    "reward.continuity_years": KeySpec("count", "years", "连续参保激励起算年数"),
    "reward.continuity_cap_increase": KeySpec(
        "money", "yuan", "连续参保每年提高大病保险最高支付限额"
    ),
    "reward.zero_claim_cap_increase": KeySpec(
        "money", "yuan", "零报销次年提高大病保险最高支付限额"
    ),
    "reward.max_ratio": KeySpec("ratio", "share of the original cap", "激励累计不超过原封顶线比例"),
    "students.calendar_year": KeySpec("bool", "-", "大中专学生参保缴费期调整为自然年度"),
    # Conventions where the documents are silent (SPEC section 4), decided by this project
    "convention.prepaid_benefit_start": KeySpec(
        "choice:january_first", "-", "参保年度开始前缴费的待遇起始（B1 约定）"
    ),
    "convention.gap_counting": KeySpec(
        "choice:calendar_months_between", "-", "中断月数：两月份之间完整的自然月数"
    ),
    "convention.waiting_counting": KeySpec(
        "choice:from_next_month", "-", "等待期自缴费次月1日起算，期满次月1日起享受待遇"
    ),
    "convention.stop_status": KeySpec(
        "stop_statuses", "-", "停保原因对应的参保关系状态（终止或暂停）"
    ),
    # Duplicate enrollment (D)
    "duplicates.employee_keep_min_months": KeySpec(
        "months", "months", "跨制度重复参保保留职工医保所需连续参加职工医保月数"
    ),
    "duplicates.local_clearing": KeySpec("bool", "-", "本地清理重复参保，保留一个可享受待遇的关系"),
    # Refunds (F)
    "refund.before_benefit_reasons": KeySpec("reasons", "-", "待遇享受期开始前可退费的情形"),
    "refund.local_before_benefit_reasons": KeySpec(
        "reasons", "-", "本地规定的待遇享受期（新年度）开始前可退费的情形"
    ),
    "refund.other_cases": KeySpec("choice:provincial", "-", "其他退费情形由何级部门明确"),
    "refund.no_refund_after_deduction": KeySpec("bool", "-", "扣缴后新年度中途不作退费"),
    "refund.external_rules": KeySpec("document", "-", "退费按本项目文件集以外的文件执行"),
    # Targets (T)
    "coverage.target_rate": KeySpec("ratio", "share of the insurable population", "参保率目标"),
    "progress.weekly_report_from": KeySpec("date", "date", "参保进度每周报送起始日"),
    "progress.weekly_report_day": KeySpec(
        "choice:monday|tuesday|wednesday|thursday|friday|saturday|sunday",
        "-",
        "参保进度每周报送日",
    ),
    "progress.students_monthly_from": KeySpec(
        "date", "date", "九年制义务教育学生参保完成情况按月调度起始月"
    ),
}


def spec_for(key: str) -> KeySpec | None:
    """The specification of a key, ``subsidy.<identity>`` matching ``subsidy.*``."""
    if key in KEYS:
        return KEYS[key]
    prefix, _, _rest = key.partition(".")
    return KEYS.get(prefix + ".*")

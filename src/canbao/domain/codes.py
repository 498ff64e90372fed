"""National codes and the project's vocabulary (SPEC section 2).

These are names, not policy: which identity gets which subsidy lives in policy data.
"""

from __future__ import annotations

from enum import StrEnum


class Scheme(StrEnum):
    """险种 in the decision contract; ``insutype`` gives the national code."""

    EMPLOYEE = "employee"
    RESIDENT = "resident"

    @property
    def insutype(self) -> str:
        return {"employee": "310", "resident": "390"}[self.value]


#: 险种类型 insutype → its name.
INSUTYPE_NAMES: dict[str, str] = {"310": "职工基本医疗保险", "390": "城乡居民基本医疗保险"}

#: 资助参保身份 — hardship identities used in policy data and cases.
IDENTITIES: dict[str, str] = {
    "tekun": "特困人员",
    "dibao": "最低生活保障对象",
    "low_income": "低收入家庭成员",
    "low_income_vulnerable": "低收入家庭中的老年人、未成年人、重度残疾人和重病患者",
    "dibao_edge": "最低生活保障边缘家庭救助对象",
    "tuopin": "脱贫人口",
    "fanpin": "返贫致贫人口",
    "monitored": "纳入农村低收入人口监测范围人员",
    "severe_disability": "重度残疾人",
    "mental_intellectual_disability": "精神和智力残疾人",
    "child_in_distress": "困境儿童",
    "veteran_hardship": "困难退役军人等优抚对象",
    "family_planning_two": "计生“两户”",
    "family_planning_special": "计生特殊家庭成员",
    "rural_two_daughters": "农村纯生二女结扎的夫妇双方及其14周岁以内的女孩",
    "retired_1960s": "二十世纪六十年代初精减退职老职工",
    "mental_disorder_offender": "肇事肇祸精神障碍患者",
    "family_planning_preferential": "计生优待户",
}

#: Other person categories (SPEC section 2), plus two that 筑医保通〔2021〕34号 五（一） names.
CATEGORIES: dict[str, str] = {
    "newborn": "新生儿",
    "preschool": "学龄前儿童",
    "school_student": "中小学生",
    "college_student": "大中专学生（含研究生）",
    "vocational_student": "中职技校学生",
    "veteran": "当年退役军人",
    "military_spouse": "随军未就业军人配偶",
    "released_prisoner": "刑释人员",
    "new_hukou": "户籍新迁入人员",
    "employment_to_unemployment": "就业转失业人员",
    "retiree_short_years": "未达最低缴费年限的职工退休人员",
    "residence_permit_new": "当年申领居住证人员",
    "hk_macau_taiwan": "港澳台居民",
    "migrant_worker_child": "异地务工人员子女",
    "land_expropriated_farmer": "被征地农民",
    "seasonal_worker": "短期季节性务工人员",
    "flexible_employment": "灵活就业人员",
    "prisoner": "服刑人员",
    "foreigner_without_id": "暂无身份信息的合法入境外籍人士",
}

STUDENT_CATEGORIES = frozenset(
    {"preschool", "school_student", "college_student", "vocational_student"}
)

#: Funding sources of subsidies (SPEC section 6).
FUNDING_SOURCES: dict[str, str] = {
    "medical_assistance_fund": "医疗救助基金",
    "city_finance": "市级财政",
    "county_finance": "县级财政",
    "guian_finance": "贵安新区本级财政",
    "county_government": "县级政府统筹",
    "disability_employment_fund": "残疾人就业保障基金",
    "veterans_funds": "退役军人部门资金",
}

#: 性别 gend (SPEC section 2).
SEXES: dict[str, str] = {"1": "男", "2": "女", "0": "未知", "9": "未说明"}
#: 未知的性别: what a form that does not give 性别 carries.
UNKNOWN_SEX = "0"

#: 人员类别 psn_type of residents (SPEC section 2); 16xx 居民（老年） are residents too.
RESIDENT_PSN_TYPES: dict[str, str] = {
    "1401": "新生儿",
    "1402": "学龄前儿童",
    "1403": "中小学生",
    "1404": "大学生",
    "1405": "未成年（未入学）",
    "1501": "普通居民（成年）",
}
NEWBORN_PSN_TYPE, RESIDENT_ADULT = "1401", "1501"
#: 人员类别 of an employee enrolled through flexible employment (灵活就业人员在职).
FLEXIBLE_EMPLOYEE = "1103"

#: Resident psn_type → the engine's person category it implies.
PSN_TYPE_CATEGORIES: dict[str, str] = {
    "1401": "newborn",
    "1402": "preschool",
    "1403": "school_student",
    "1404": "college_student",
}

#: 人员变更类型 psn_chg_type (SPEC section 2) the registry writes: 新参保, 终止 (停保),
#: 基本信息维护, 参保信息维护.
NEW, STOP, BASIC_INFO, ENROLLMENT_INFO = "11", "21", "35", "36"

#: The 登记表's 登记类型 → psn_chg_type: 变更 is 参保信息维护 (the form changes the
#: enrollment's bank account, category or place).
REGISTRATION_TYPES: dict[str, str] = {"新参保": NEW, "变更": ENROLLMENT_INFO, "停保": STOP}

#: What a registration asks for, as policy data names it (全市通办, K5): 新参保登记, 参保属地
#: 变更 (参保跨区域流动), other changes (变更), 停保.
REGISTRATION_ACTIONS: dict[str, str] = {
    "new": "新参保登记",
    "transfer": "参保属地变更（参保跨区域流动）",
    "change": "变更",
    "stop": "停保",
}

#: 基础信息 a change may touch (K6), by field name.
BASIC_INFO_FIELDS: dict[str, str] = {
    "insuplc_admdvs": "参保属地",
    "psn_name": "姓名",
    "certno": "身份证号码",
}

#: What a stop does to the relation (``convention.stop_status``): 终止 or 暂停.
STOP_EFFECTS: dict[str, str] = {"terminate": "终止参保", "suspend": "暂停参保"}

#: 人员参保状态 psn_insu_stas; 3 is not emitted (used inconsistently across provinces).
ENROLLMENT_STATUS: dict[str, str] = {
    "0": "未参保",
    "1": "正常参保",
    "2": "暂停参保",
    "4": "终止参保",
}

#: Places a record can be kept for (duplicate cases).
PLACES = frozenset({"employment", "habitual_residence", "school", "hukou", "poverty_identified"})

REFUND_REASONS: dict[str, str] = {
    "duplicate_payment": "重复缴费",
    "joined_employee": "参加职工医保",
    "other_region_resident": "参加其他统筹地区居民医保",
    "death": "死亡",
    "system_error": "系统原因错缴",
    "hukou_moved_out": "户口迁出",
    "lifetime_benefit": "符合终身享受基本医疗保险待遇",
    "duplicate_enrollment": "重复参保",
    "flexible_then_employed": "灵活就业人员中途随单位参加职工医保",
    "other": "其他",
}

#: Eligibility bases (参保范围) that policy data can list for a region; rules.eligibility
#: implements what each means.
ELIGIBILITY_BASES: dict[str, str] = {
    "local_hukou_not_employee": "本市户籍居民（职工医保覆盖范围以外）",
    "local_college_vocational_student": "本市全日制大学和中职技校的非本市户籍学生",
    "migrant_worker_child_local_school": "在本市就读的异地务工人员子女",
    "residence_permit_not_insured_elsewhere": (
        "持本市居住证且未在原籍地参加居民医保的非职工医保人员"
    ),
    "hmt_residence_permit_unemployed": "在本市居住且办理港澳台居民居住证的未就业港澳台居民",
    "hmt_local_student": "在本市就读的港澳台大中小学生",
    "local_hukou_unemployed": "本市户籍的未就业城乡居民",
    "local_full_time_student": "非本市户籍的本市各类全日制在校学生及幼儿园、托儿所儿童",
    "migrant_worker_preschool_child": "在本市参加社会保险的异地务工人员的学龄前子女（含新生儿）",
    "residence_permit": "持本市居住证（含港澳台居民居住证）的人员",
}

#: Groups of mid-year enrollees (中途参保) in policy data: categories plus two groups.
MID_YEAR_GROUPS = frozenset(CATEGORIES) | {"new_student", "hardship"}

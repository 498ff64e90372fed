"""College and vocational students (B15, ``students.calendar_year``).

33号 三（二） lets a pooling region move 大中专学生 from the academic to the calendar year. The
2022 notices of Meizhou, Guiyang/Gui'an and Kaiping collect students through schools in the
same period, for the same calendar enrollment year, as every other resident: the value is
``true`` there, read from those arrangements (its source note says so). Where no value says
so, the start, waiting period and years are withheld (``policy_gap``) and the calendar-year
reading is given beside them.
"""

from __future__ import annotations

from canbao.domain.codes import Scheme
from canbao.rules.benefit.context import Context, Finding, Note

#: 大中专学生 (33号 三（二）): college and secondary vocational students.
COLLEGE = frozenset({"college_student", "vocational_student"})


def period(ctx: Context, found: Finding) -> Note | None:
    facts = ctx.facts
    if facts.scheme is not Scheme.RESIDENT or not facts.categories & COLLEGE:
        return None
    ctx.out.apply("B15")
    if ctx.peek("students.calendar_year") is not None and ctx.get("students.calendar_year"):
        return Note(
            f"{ctx.place}大中专学生与其他居民在同一征缴期为同一参保年度缴费，参保缴费期为自然年度。",
            {"student_period": "calendar_year"},
        )
    return Note(
        f"按自然年度计算结果如上；但{ctx.place}是否已将大中专学生参保缴费期由学年调整为自然年度，"
        "文件未载明，待遇起止无法确定。",
        {
            "student_period": None,
            "calendar_year_reading": {
                "benefit_start": found.start,
                "waiting_months": found.waiting,
                "contribution_years": None if found.years is None else list(found.years),
            },
        },
        (
            f"students.calendar_year：{ctx.cited('B15')}允许将大中专学生参保缴费期由学年调整"
            f"为自然年度，{ctx.place}{facts.year}年度文件未载明是否调整（学年制的起止亦未规定）",
        ),
        withhold=True,
    )

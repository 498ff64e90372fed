"""Targets and progress (W9; T1–T3): target tables, their check and import, coverage per
region, the weekly progress report and the monthly progress of compulsory-education students.

**Reading a target table** (T1; shaped like 筑医保通〔2021〕34号's attachment: a title row, a
header 序号/地区/约束目标（人）, rows such as 贵阳市小计, 其中：花溪片区, 贵阳贵安总计). The file
gives no indentation, so the hierarchy is read from the names and the figures:

* a row whose name contains 总计 (or is 合计) is a *total*: it sums the table's subtotals, or,
  where there are none, every row not part of another;
* a row whose name contains 小计 is a *subtotal*. Where the table opens with a subtotal (as the
  attachment does), each subtotal heads its group and sums the rows after it up to the next
  subtotal or total; otherwise each subtotal sums the rows since the previous one;
* a row whose name starts with 其中 opens the *parts* of the row above it. Directly under a
  subtotal, the parts are simply that subtotal's rows. Under any other row, the parts run over
  the following rows until they add up to at least the row's figure, or until a subtotal,
  total, another 其中 row or a row naming a region of the policy data (a district is not a
  part of a district) — 其中：花溪片区 274240 and 小河片区 38851 are the parts of 花溪区 313091;
* every other row is an ordinary row of its group.

A row's region is the policy data's region of that name (its 小计 stripped). Each subtotal,
total and row with parts is then checked against the sum of its parts; the attachment's own
总计 (2710466) is 20 more than its subtotals (2710446).

**Coverage** (T1): a region's *enrolled* persons on a date are the persons with a resident
relation in it that is normal (psn_insu_stas 1) on that date and whose assessment for the year
is paid by that date, or has nothing to pay (全额资助, payable 0, C3/C6): a deduction that
fails for a personal reason is 自动弃保 (K1), so an unpaid assessment is not enrolment.
*Assessed* persons are those normal on the date with an assessment for the year. The coverage
rate is enrolled / target; where the policy data gives a target rate (Kaiping 98%, 开平方案
一, ``coverage.target_rate``) the target is reached at that share of the target persons,
otherwise at the target itself.

**Weekly report** (T2, Kaiping): on the report day (``progress.weekly_report_day``) of every
week from ``progress.weekly_report_from``; **students** (T3, Guiyang): each month from
``progress.students_monthly_from``, per district of the school, the compulsory-education
students (中小学生, psn_type 1403, enrolled through a school unit, W4) and how many are enrolled.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Date, and_, case, func, insert, literal, or_, select, union_all

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork
from canbao.adapters.sheets import SheetError, read_table
from canbao.adapters.tax_files import PAID
from canbao.domain.decision import Decision
from canbao.policy import Params, Policy, load_policy
from canbao.rules.outcome import Outcome
from canbao.services.registry import NORMAL, RESIDENT

KIND = "targets"
ROW, PART, SUBTOTAL, TOTAL = "row", "part", "subtotal", "total"
#: 人员类别 中小学生 (SPEC section 2).
PUPIL = "1403"
SCHOOL = "school"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

COLUMNS = {
    "序号": "number",
    "地区": "area",
    "区域": "area",
    "单位": "area",
    "约束目标（人）": "target",
    "约束目标(人)": "target",
    "约束目标": "target",
    "目标数": "target",
    "参保目标数": "target",
    "目标任务数": "target",
    "备注": "note",
    "number": "number",
    "area": "area",
    "target": "target",
}
_PART_PREFIX = re.compile(r"^其中\s*[：:]?\s*")


class TargetError(Exception):
    """A target file that cannot be read: one Chinese reason naming the row and column."""


# --- reading and checking (T1) ---------------------------------------------------------------


@dataclass(frozen=True)
class TargetLine:
    """One row of a target table: ``row`` as the clerk sees it; ``part_of`` the row it is a
    part of (a subtotal's row, a total's subtotal, the row above a 其中 run)."""

    row: int
    number: str
    area: str
    target: int
    kind: str
    part_of: int | None
    region: str | None


@dataclass(frozen=True)
class TargetFile:
    path: Path
    title: str
    lines: tuple[TargetLine, ...]

    def parts(self, row: int) -> list[TargetLine]:
        return [line for line in self.lines if line.part_of == row]

    def digest(self, year: int) -> str:
        content = [year] + [[x.number, x.area, x.target] for x in self.lines]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Disagreement:
    """A subtotal, total or row with parts whose stated figure differs from its parts' sum."""

    row: int
    area: str
    stated: int
    parts_sum: int
    parts: tuple[int, ...]

    def line(self) -> str:
        rows = "、".join(map(str, self.parts))
        return (
            f"第{self.row}行 {self.area}：表列 {self.stated}，分项合计 {self.parts_sum}"
            f"（第{rows}行，相差 {self.stated - self.parts_sum:+d}）"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "area": self.area,
            "stated": self.stated,
            "parts_sum": self.parts_sum,
            "parts": list(self.parts),
        }


def read_targets(path: Path, policy: Policy | None = None) -> TargetFile:
    """A target table (.xlsx or CSV, UTF-8 or GBK, title rows above the header) with its
    hierarchy read as the module says. :class:`TargetError` for a file or cell it cannot read."""
    policy = policy or load_policy()
    try:
        table = read_table(path, COLUMNS, required=("area", "target"))
    except SheetError as error:
        raise TargetError(error.reason) from error
    raw: list[tuple[int, str, str, int]] = []
    for row in table.rows:
        area = row.cells["area"]
        text = row.cells["target"].replace(",", "").replace("，", "")
        if not area:
            raise TargetError(f"第{row.number}行 {table.headers['area']}：地区为空")
        if not text.isdigit():
            raise TargetError(
                f"第{row.number}行 {table.headers['target']}：{row.cells['target']!r} 不是人数"
            )
        raw.append((row.number, row.cells.get("number", ""), area, int(text)))
    if not raw:
        raise TargetError("表中没有数据行")
    return TargetFile(path, " ".join(table.titles), _structure(raw, _region_names(policy)))


def check(targets: TargetFile) -> list[Disagreement]:
    """T1: every subtotal, total and row with parts that differs from the sum of its parts."""
    found = []
    for line in targets.lines:
        parts = targets.parts(line.row)
        if parts and sum(p.target for p in parts) != line.target:
            found.append(
                Disagreement(
                    line.row,
                    line.area,
                    line.target,
                    sum(p.target for p in parts),
                    tuple(p.row for p in parts),
                )
            )
    return found


def _kind(area: str) -> str:
    if "总计" in area or area in ("合计", "总合计"):
        return TOTAL
    if "小计" in area:
        return SUBTOTAL
    if area.startswith("其中"):
        return PART
    return ROW


def _region_names(policy: Policy) -> dict[str, str]:
    """Region name → code, for the names that only one region has."""
    names: dict[str, list[str]] = {}
    for code, region in policy.regions.items():
        names.setdefault(region.name, []).append(code)
    return {name: codes[0] for name, codes in names.items() if len(codes) == 1}


def _structure(
    raw: Sequence[tuple[int, str, str, int]], regions: Mapping[str, str]
) -> tuple[TargetLine, ...]:
    kinds = [_kind(area) for _, _, area, _ in raw]
    targets = [target for *_, target in raw]
    named = [
        regions.get(_PART_PREFIX.sub("", area).replace("小计", "").strip()) for _, _, area, _ in raw
    ]
    part_of: list[int | None] = [None] * len(raw)
    boundary = (SUBTOTAL, TOTAL)
    i = 0
    while i < len(raw):
        if kinds[i] != PART or i == 0 or kinds[i - 1] == TOTAL:
            if kinds[i] == PART:
                kinds[i] = ROW
            i += 1
            continue
        parent = i - 1
        if kinds[parent] == SUBTOTAL:  # 其中 right under a subtotal: its group's rows
            kinds[i] = ROW
            i += 1
            continue
        total, j = 0, i
        while j < len(raw) and kinds[j] not in boundary:
            if j > i and (kinds[j] == PART or named[j] is not None):
                break
            kinds[j], part_of[j] = PART, parent
            total += targets[j]
            j += 1
            if total >= targets[parent]:
                break
        i = j
    top = [i for i, k in enumerate(kinds) if k == ROW and part_of[i] is None]
    subtotals = [i for i, k in enumerate(kinds) if k == SUBTOTAL]
    heading = bool(subtotals) and subtotals[0] == 0
    for s in subtotals:
        if heading:
            end = next((j for j in range(s + 1, len(raw)) if kinds[j] in boundary), len(raw))
            members = [i for i in top if s < i < end]
        else:
            start = max([p for p in subtotals if p < s], default=-1)
            members = [i for i in top if start < i < s]
        for i in members:
            part_of[i] = s
    for total_index in (i for i, k in enumerate(kinds) if k == TOTAL):
        members = [s for s in subtotals if s < total_index] or [
            i for i in top if i < total_index and part_of[i] is None
        ]
        for i in members:
            part_of[i] = total_index
    return tuple(
        TargetLine(
            row,
            number,
            area,
            target,
            kinds[i],
            None if (above := part_of[i]) is None else raw[above][0],
            named[i] if kinds[i] != PART else None,
        )
        for i, (row, number, area, target) in enumerate(raw)
    )


# --- import (W9) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    table_id: int
    rows: int
    regions: tuple[str, ...]
    unchanged: bool
    disagreements: tuple[Disagreement, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "table_id": self.table_id,
            "rows": self.rows,
            "regions": list(self.regions),
            "unchanged": self.unchanged,
            "disagreements": [d.as_json() for d in self.disagreements],
        }


def import_targets(
    uow: UnitOfWork, path: Path, year: int, policy: Policy | None = None
) -> ImportReport:
    """Store a target table for ``year``, row by row as the file prints it (T1). Nothing is
    updated: a changed table is a new import and the regions' targets are its rows from then
    on. A file whose rows are those of the latest import for each of its regions changes
    nothing. Disagreements are reported, and the table is stored as printed."""
    policy = policy or load_policy()
    targets = read_targets(path, policy)
    connection = uow.connection
    digest = targets.digest(year)
    regions = tuple(sorted({x.region for x in targets.lines if x.region}))
    disagreements = tuple(check(targets))
    same = connection.execute(
        select(func.max(t.target_table.c.id)).where(
            t.target_table.c.digest == digest, t.target_table.c.year == year
        )
    ).scalar()
    if same is not None:
        later = connection.execute(
            select(func.count())
            .select_from(t.target_row.join(t.target_table))
            .where(
                t.target_table.c.year == year,
                t.target_table.c.id > same,
                t.target_row.c.region.in_(regions),
            )
        ).scalar_one()
        if not later:
            return ImportReport(int(same), len(targets.lines), regions, True, disagreements)
    home = policy.pooling_region(regions[0]) if regions else None
    decision = _rule_decision(policy, home or "000000", year, "T1", f"导入{year}年度参保目标表")
    change_id = uow.record(
        "targets_import",
        reason=f"{targets.title or path.name}：{len(targets.lines)}行，{len(regions)}个地区",
        decisions=(decision,) if decision else (),
    )
    table_id = connection.execute(
        insert(t.target_table)
        .values(
            year=year,
            title=targets.title,
            file_name=path.name,
            digest=digest,
            change_id=change_id,
        )
        .returning(t.target_table.c.id)
    ).scalar_one()
    connection.execute(
        insert(t.target_row),
        [
            {
                "table_id": table_id,
                "row": x.row,
                "number": x.number,
                "area": x.area,
                "kind": x.kind,
                "part_of": x.part_of,
                "region": x.region,
                "target": x.target,
            }
            for x in targets.lines
        ],
    )
    return ImportReport(int(table_id), len(targets.lines), regions, False, disagreements)


def _rule_decision(policy: Policy, region: str, year: int, rule: str, text: str) -> Decision | None:
    """The decision naming a workflow rule (T) where the region's documents state it."""
    if not policy.rule_citations(rule, region):
        return None
    out = Outcome(KIND, Params(policy, region, year))
    out.apply(rule)
    return out.decided(text + "。")


# --- coverage (T1) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionProgress:
    region: str
    name: str
    target: int | None
    target_rate: Decimal | None
    assessed: int
    enrolled: int

    @property
    def required(self) -> int | None:
        """The enrolled persons that reach the target."""
        if self.target is None:
            return None
        rate = self.target_rate if self.target_rate is not None else Decimal(1)
        return math.ceil(self.target * rate)

    @property
    def coverage(self) -> Decimal | None:
        if not self.target:
            return None
        return (Decimal(self.enrolled) / self.target).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )

    @property
    def reached(self) -> bool | None:
        return None if self.required is None else self.enrolled >= self.required

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "name": self.name,
            "target": self.target,
            "target_rate": None if self.target_rate is None else str(self.target_rate),
            "required": self.required,
            "assessed": self.assessed,
            "enrolled": self.enrolled,
            "coverage": None if self.coverage is None else str(self.coverage),
            "reached": self.reached,
        }


@dataclass(frozen=True)
class Progress:
    year: int
    as_of: date
    regions: tuple[RegionProgress, ...]
    rules: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "as_of": self.as_of.isoformat(),
            "rules": list(self.rules),
            "regions": [r.as_json() for r in self.regions],
        }


def progress(
    connection: Connection, year: int, as_of: date | None = None, policy: Policy | None = None
) -> Progress:
    """Coverage against the target of every region with a target for ``year``: its row in the
    latest imported table, or a target rate in the policy data (Kaiping)."""
    policy = policy or load_policy()
    as_of = as_of or date.today()
    rows = _current_targets(connection, year)
    rated = sorted(
        {v.region for v in policy.values if v.key == "coverage.target_rate" and v.covers(year)}
    )
    regions = list(rows) + [r for r in rated if r not in rows]
    counts = _counts(connection, year, as_of)
    found = []
    for region in regions:
        codes = _codes(rows, region, policy, counts)
        rate = Params(policy, region, year).get("coverage.target_rate")
        found.append(
            RegionProgress(
                region,
                rows[region][1] if region in rows else policy.region_name(region),
                rows[region][0] if region in rows else None,
                None if rate is None else Decimal(rate),
                sum(counts.get(c, (0, 0))[0] for c in codes),
                sum(counts.get(c, (0, 0))[1] for c in codes),
            )
        )
    return Progress(year, as_of, tuple(found), ("T1", "K1"))


def _current_targets(connection: Connection, year: int) -> dict[str, tuple[int, str, list[str]]]:
    """Region → (target, area, regions of its parts where every part has one), from the latest
    import that has a row for the region; in table order."""
    r, tt = t.target_row, t.target_table
    lines = connection.execute(
        select(r.c.table_id, r.c.row, r.c.area, r.c.region, r.c.target, r.c.part_of)
        .select_from(r.join(tt))
        .where(tt.c.year == year)
        .order_by(r.c.table_id, r.c.row)
    ).all()
    latest: dict[str, int] = {}
    for line in lines:
        if line.region:
            latest[line.region] = line.table_id
    found: dict[str, tuple[int, str, list[str]]] = {}
    for line in lines:
        if not line.region or latest[line.region] != line.table_id:
            continue
        parts = [p.region for p in lines if p.table_id == line.table_id and p.part_of == line.row]
        found[line.region] = (
            line.target,
            line.area,
            [p for p in parts if p] if parts and all(parts) else [],
        )
    return found


def _codes(
    rows: Mapping[str, tuple[int, str, list[str]]],
    region: str,
    policy: Policy,
    counts: Mapping[str, tuple[int, int]],
) -> set[str]:
    """The enrollment regions a target row counts: its parts' (贵阳市小计: the districts, not
    贵安新区 which the policy hierarchy places under Guiyang), else every region within it."""
    parts = rows[region][2] if region in rows else []
    if parts:
        return set().union(*(_codes(rows, p, policy, counts) for p in parts))
    return {code for code in counts if policy.within(code, region)} | {region}


def _counts(connection: Connection, year: int, as_of: date) -> dict[str, tuple[int, int]]:
    """Enrollment region → (assessed persons, enrolled persons) on ``as_of`` (see the module)."""
    e, a = t.enrollment, t.assessment
    normal = _normal_on(as_of).subquery()
    enrolled = _enrolled(as_of)
    rows = connection.execute(
        select(
            e.c.insuplc_admdvs,
            func.count(func.distinct(e.c.psn_no)),
            func.count(func.distinct(case((enrolled, e.c.psn_no)))),
        )
        .select_from(
            e.join(normal, normal.c.rlts_id == e.c.rlts_id).join(
                a, and_(a.c.rlts_id == e.c.rlts_id, a.c.year == year)
            )
        )
        .where(e.c.insutype == RESIDENT)
        .group_by(e.c.insuplc_admdvs)
    )
    return {str(region): (int(assessed), int(done)) for region, assessed, done in rows}


def _enrolled(day: date) -> Any:
    """The assessment is paid by ``day``, or has nothing to pay (全额资助)."""
    a, p = t.assessment, t.payment
    paid = select(p.c.id).where(p.c.assessment_id == a.c.id, p.c.result == PAID, p.c.paid_on <= day)
    return or_(a.c.payable == 0, paid.exists())


def _normal_on(day: date) -> Any:
    """The relations whose version on ``day`` is normal (the latest version valid then)."""
    v = t.enrollment_version
    ranked = (
        select(
            v.c.rlts_id,
            v.c.psn_insu_stas,
            v.c.psn_type,
            v.c.unit_id,
            func.row_number()
            .over(partition_by=v.c.rlts_id, order_by=(v.c.valid_from.desc(), v.c.id.desc()))
            .label("n"),
        )
        .where(v.c.valid_from <= day)
        .subquery()
    )
    return select(ranked.c.rlts_id, ranked.c.psn_type, ranked.c.unit_id).where(
        ranked.c.n == 1, ranked.c.psn_insu_stas == NORMAL
    )


# --- the weekly progress report (T2) ---------------------------------------------------------


@dataclass(frozen=True)
class WeekPoint:
    day: date
    enrolled: int


@dataclass(frozen=True)
class WeeklyReport:
    """The progress report due on ``day`` for ``region`` (T2): its regions' progress that day,
    and the enrolled persons of every report day since the first."""

    region: str
    name: str
    year: int
    day: date
    progress: Progress
    weeks: tuple[WeekPoint, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "name": self.name,
            "year": self.year,
            "day": self.day.isoformat(),
            "progress": self.progress.as_json(),
            "weeks": [{"day": w.day.isoformat(), "enrolled": w.enrolled} for w in self.weeks],
        }


def weekly(connection: Connection, week_of: date, policy: Policy | None = None) -> WeeklyReport:
    """The report due in the week (Monday to Sunday) of ``week_of``: on the report day of the
    region whose weekly reports have begun by then (the latest ``progress.weekly_report_from``
    not after it). :class:`TargetError` when no report is due that week."""
    policy = policy or load_policy()
    monday = week_of - timedelta(days=week_of.weekday())
    due: list[tuple[date, date, str, int]] = []
    for value in policy.values:
        if value.key != "progress.weekly_report_from" or value.year is None:
            continue
        weekday = Params(policy, value.region, value.year).require("progress.weekly_report_day")
        day = monday + timedelta(days=WEEKDAYS.index(weekday))
        if value.value <= day:
            due.append((value.value, day, value.region, value.year))
    if not due:
        raise TargetError(f"{week_of.isoformat()} 所在周无须报送参保进度（每周报送尚未开始）")
    first, day, region, year = max(due)
    whole = progress(connection, year, day, policy)
    within = tuple(r for r in whole.regions if policy.within(r.region, region))
    weeks = _weeks(
        connection, region, year, first + timedelta(days=(day - first).days % 7), day, policy
    )
    return WeeklyReport(
        region,
        policy.region_name(region),
        year,
        day,
        Progress(year, day, within, ("T2", "T1", "K1")),
        weeks,
    )


def trend(
    connection: Connection, region: str, year: int, as_of: date, policy: Policy | None = None
) -> tuple[WeekPoint, ...]:
    """The enrolled persons of ``region`` for ``year`` week by week up to ``as_of`` and the
    end of its concentrated collection period: on its report days where the region reports
    weekly (T2, Kaiping: Thursdays from November 1), otherwise every seventh day from the
    period's start. Empty where the policy data has neither for the region and year."""
    policy = policy or load_policy()
    params = Params(policy, region, year)
    period = params.get("collection.concentrated_period")
    first: date | None = params.get("progress.weekly_report_from")
    if first is not None:
        weekday = WEEKDAYS.index(params.require("progress.weekly_report_day"))
        first += timedelta(days=(weekday - first.weekday()) % 7)
    elif period is not None:
        first = period["start"]
    if first is None:
        return ()
    last = min(as_of, period["end"]) if period is not None else as_of
    return _weeks(connection, region, year, first, last, policy)


def _weeks(
    connection: Connection, region: str, year: int, first: date, last: date, policy: Policy
) -> tuple[WeekPoint, ...]:
    """The enrolled persons of ``region`` on ``first`` and every seventh day after it up to
    ``last``, counted as its coverage counts them (its target row's parts where it has them):
    one query over the days, each relation's versions as spans (a version holds from its day
    to the next version's; the latest of a day wins)."""
    days = [first + timedelta(days=7 * n) for n in range((last - first).days // 7 + 1)]
    if not days:
        return ()
    v, e, a = t.enrollment_version, t.enrollment, t.assessment
    latest = select(
        v.c.rlts_id,
        v.c.psn_insu_stas,
        v.c.valid_from,
        func.row_number()
        .over(partition_by=(v.c.rlts_id, v.c.valid_from), order_by=v.c.id.desc())
        .label("n"),
    ).subquery()
    spans = (
        select(
            latest.c.rlts_id,
            latest.c.psn_insu_stas,
            latest.c.valid_from,
            func.lead(latest.c.valid_from)
            .over(partition_by=latest.c.rlts_id, order_by=latest.c.valid_from)
            .label("until"),
        )
        .where(latest.c.n == 1)
        .subquery()
    )
    on = union_all(*(select(literal(d, Date).label("day")) for d in days)).subquery()
    pay = t.payment
    paid = (
        select(pay.c.assessment_id, func.min(pay.c.paid_on).label("paid_on"))
        .where(pay.c.result == PAID)
        .group_by(pay.c.assessment_id)
        .subquery()
    )
    # The normal spans of the year's assessed resident relations, each with the day from which
    # it counts as enrolled (paid, or nothing to pay: as _enrolled); then the days over them.
    normal = (
        select(
            spans.c.valid_from,
            spans.c.until,
            e.c.insuplc_admdvs.label("region"),
            e.c.psn_no,
            case((a.c.payable == 0, literal(date.min, Date)), else_=paid.c.paid_on).label("from"),
        )
        .select_from(
            spans.join(e, e.c.rlts_id == spans.c.rlts_id)
            .join(a, and_(a.c.rlts_id == e.c.rlts_id, a.c.year == year))
            .outerjoin(paid, paid.c.assessment_id == a.c.id)
        )
        .where(spans.c.psn_insu_stas == NORMAL, e.c.insutype == RESIDENT)
        .subquery()
    )
    rows = connection.execute(
        select(on.c.day, normal.c.region, func.count(func.distinct(normal.c.psn_no)))
        .select_from(
            on.join(
                normal,
                and_(
                    normal.c.valid_from <= on.c.day,
                    or_(normal.c.until.is_(None), normal.c.until > on.c.day),
                    normal.c["from"] <= on.c.day,
                ),
            )
        )
        .group_by(on.c.day, normal.c.region)
    ).all()
    targets = _current_targets(connection, year)
    weeks = []
    for day in days:
        counts = {str(code): (0, int(n)) for when, code, n in rows if _day(when) == day}
        codes = _codes(targets, region, policy, counts)
        weeks.append(WeekPoint(day, sum(n for code, (_, n) in counts.items() if code in codes)))
    return tuple(weeks)


def _day(value: date | str) -> date:
    """A date column of a computed row (SQLite gives it back as text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def years(connection: Connection, policy: Policy | None = None) -> list[int]:
    """The enrollment years that have a target: an imported table, or a target rate in the
    policy data."""
    policy = policy or load_policy()
    imported = connection.execute(select(t.target_table.c.year).distinct()).scalars()
    rated = {v.year for v in policy.values if v.key == "coverage.target_rate" and v.year}
    return sorted({int(year) for year in imported} | rated)


def write_weekly(report: WeeklyReport, path: Path) -> None:
    """The report as .xlsx: sheet 本周进度 (one row per region, a bar chart of target and
    enrolled persons) and sheet 每周趋势 (enrolled persons per report day, a line chart)."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "本周进度"
    title = f"{report.name}{report.year}年度城乡居民医保参保进度（截至{report.day.isoformat()}）"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    headers = ["地区", "区划代码", "目标人数", "目标参保率", "应达人数", "已核定人数"]
    sheet.append(headers + ["已参保人数", "参保率", "是否达标"])
    for r in report.progress.regions:
        sheet.append(
            [
                r.name,
                r.region,
                r.target,
                None if r.target_rate is None else float(r.target_rate),
                r.required,
                r.assessed,
                r.enrolled,
                None if r.coverage is None else float(r.coverage),
                None if r.reached is None else ("是" if r.reached else "否"),
            ]
        )
    last = 2 + len(report.progress.regions)
    bars = BarChart()
    bars.title = "目标人数与已参保人数"
    bars.y_axis.title = "人数"
    bars.add_data(
        Reference(sheet, min_col=3, max_col=3, min_row=2, max_row=last), titles_from_data=True
    )
    bars.add_data(
        Reference(sheet, min_col=7, max_col=7, min_row=2, max_row=last), titles_from_data=True
    )
    bars.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=last))
    sheet.add_chart(bars, f"A{last + 3}")  # type: ignore[call-arg]
    trend = book.create_sheet("每周趋势")
    assert isinstance(trend, Worksheet)
    trend.append([f"{report.name}{report.year}年度每周参保进度"])
    trend["A1"].font = Font(bold=True, size=14)
    trend.append(["报送日", "已参保人数"])
    for week in report.weeks:
        trend.append([week.day, week.enrolled])
        trend.cell(trend.max_row, 1).number_format = "yyyy-mm-dd"
    lines = LineChart()
    lines.title = "每周已参保人数"
    lines.y_axis.title = "人数"
    lines.x_axis.title = "报送日"
    end = 2 + len(report.weeks)
    lines.add_data(Reference(trend, min_col=2, min_row=2, max_row=end), titles_from_data=True)
    lines.set_categories(Reference(trend, min_col=1, min_row=3, max_row=end))
    trend.add_chart(lines, "D3")
    _save(book, path)


def _save(book: Any, path: Path) -> None:
    """Written next to the target, then moved into place: never a half-written file."""
    handle, temporary = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(handle)
    try:
        book.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- compulsory-education students per district (T3) -----------------------------------------


@dataclass(frozen=True)
class DistrictStudents:
    region: str
    name: str
    students: int
    enrolled: int

    @property
    def rate(self) -> Decimal | None:
        if not self.students:
            return None
        return (Decimal(self.enrolled) / self.students).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "name": self.name,
            "students": self.students,
            "enrolled": self.enrolled,
            "rate": None if self.rate is None else str(self.rate),
        }


@dataclass(frozen=True)
class StudentsReport:
    region: str
    year: int
    month: str
    as_of: date
    deadline: date | None
    districts: tuple[DistrictStudents, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "year": self.year,
            "month": self.month,
            "as_of": self.as_of.isoformat(),
            "deadline": None if self.deadline is None else self.deadline.isoformat(),
            "rules": ["T3"],
            "districts": [d.as_json() for d in self.districts],
        }


def students(connection: Connection, month: str, policy: Policy | None = None) -> StudentsReport:
    """For ``month`` (``YYYY-MM``), per district of the school: the compulsory-education
    students enrolled through a school unit on the month's last day and how many of them are
    enrolled for the year (paid, or nothing to pay), for the region whose monthly follow-up
    (``progress.students_monthly_from``) has begun by then."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as error:
        raise TargetError(f"月份应为 YYYY-MM，得到 {month!r}") from error
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    policy = policy or load_policy()
    begun = [
        (v.value, v.region, v.year)
        for v in policy.values
        if v.key == "progress.students_monthly_from" and v.year is not None and v.value <= last
    ]
    if not begun:
        raise TargetError(f"{month} 无须调度义务教育学生参保（按月调度尚未开始）")
    _, region, year = max(begun)
    deadline = Params(policy, region, year).get("collection.compulsory_students_deadline")
    e, a, u = t.enrollment, t.assessment, t.unit
    version = _normal_on(last).subquery()
    rows = connection.execute(
        select(
            u.c.admdvs,
            func.count(func.distinct(e.c.psn_no)),
            func.count(func.distinct(case((_enrolled(last), e.c.psn_no)))),
        )
        .select_from(
            e.join(version, version.c.rlts_id == e.c.rlts_id)
            .join(u, u.c.unit_id == version.c.unit_id)
            .outerjoin(a, and_(a.c.rlts_id == e.c.rlts_id, a.c.year == year))
        )
        .where(e.c.insutype == RESIDENT, version.c.psn_type == PUPIL, u.c.kind == SCHOOL)
        .group_by(u.c.admdvs)
        .order_by(u.c.admdvs)
    )
    districts = tuple(
        DistrictStudents(str(code), policy.region_name(str(code)), int(n), int(done))
        for code, n, done in rows
        if policy.within(str(code), region)
    )
    return StudentsReport(region, year, month, last, deadline, districts)

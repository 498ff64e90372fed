"""Targets and progress (W9; T1–T3) on both databases: the target table's check and import
(GBK CSV and .xlsx with title rows), coverage against targets, the weekly report and the
monthly progress of compulsory-education students; exact figures, and nothing else changed."""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import insert, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.certno.check import check_character
from canbao.domain.registry import NEW, SCHOOL, Registration
from canbao.services import collection, registry, targets
from registry_helpers import changed, counts

#: The workflow rules this module proves (tests/rules/test_rule_coverage.py reads it).
COVERS = frozenset({"T1", "T2", "T3"})

CLERK = Actor("clerk")
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
KAIPING, NANMING, YUNYAN, GUIAN = "440783", "520102", "520103", "520190"
HEADER = ["序号", "地区", "约束目标（人）", "备注"]


def attachment() -> list[list[str]]:
    """筑医保通〔2021〕34号's attachment as its text prints it: the header and 20 rows."""
    lines = (SEEDS / "003_6c189142b8f42d6f.txt").read_text(encoding="utf-8").splitlines()
    start = lines.index("\t".join(HEADER))
    return [line.split("\t")[:4] for line in lines[start + 1 : start + 21]]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "gbk") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["2022年贵阳贵安居民医保集中征缴期参保目标数"])
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, title: str, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([title])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# --- T1: reading and checking ----------------------------------------------------------------


def test_the_attachment_as_gbk_csv_reads_its_hierarchy_and_one_disagreement(
    tmp_path: Path,
) -> None:
    read = targets.read_targets(write_csv(tmp_path / "目标.csv", attachment()))
    assert read.title == "2022年贵阳贵安居民医保集中征缴期参保目标数"
    # The policy data's transcription of the same table lists each row's parts.
    table = next(x for x in targets.load_policy().targets if x.year == 2022)
    row_of = {line.number: line.row for line in read.lines}
    expected = {
        row_of[str(r.number)]: sorted(row_of[str(n)] for n in r.parts)
        for r in table.rows
        if r.parts
    }
    assert {
        line.row: sorted(p.row for p in read.parts(line.row))
        for line in read.lines
        if read.parts(line.row)
    } == expected
    assert [(x.area, x.kind, x.region) for x in read.lines[:7]] == [
        ("贵阳市小计", "subtotal", "520100"),
        ("南明区", "row", NANMING),
        ("云岩区", "row", YUNYAN),
        ("花溪区", "row", "520111"),
        ("其中：花溪片区", "part", None),
        ("小河片区", "part", None),
        ("乌当区", "row", "520112"),
    ]
    assert [d.line() for d in targets.check(read)] == [
        "第22行 贵阳贵安总计：表列 2710466，分项合计 2710446（第3、16行，相差 +20）"
    ]


def test_a_wrong_part_and_a_footer_subtotal_in_xlsx(tmp_path: Path) -> None:
    """Subtotals below their rows sum the rows since the previous one; a 其中 part that is too
    small is reported on its row, and the subtotal is not disturbed."""
    path = write_xlsx(
        tmp_path / "目标.xlsx",
        "开平市2022年度参保目标",
        [
            [1, "长沙街道", 100, None],
            [2, "三埠街道", 50, None],
            [3, "其中：新昌片区", 20, None],
            [4, "荻海片区", 29, None],
            [5, "第一片小计", 150, None],
            [6, "月山镇", 40, None],
            [7, "第二片小计", 41, None],
            [8, "总计", 191, None],
        ],
    )
    read = targets.read_targets(path)
    assert read.title == "开平市2022年度参保目标"
    assert [(x.row, x.kind, x.part_of) for x in read.lines] == [
        (3, "row", 7),
        (4, "row", 7),
        (5, "part", 4),
        (6, "part", 4),
        (7, "subtotal", 10),
        (8, "row", 9),
        (9, "subtotal", 10),
        (10, "total", None),
    ]
    assert [d.line() for d in targets.check(read)] == [
        "第4行 三埠街道：表列 50，分项合计 49（第5、6行，相差 +1）",
        "第9行 第二片小计：表列 41，分项合计 40（第8行，相差 +1）",
    ]


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([["1", "南明区", "二十万", ""]], "第3行 约束目标（人）：'二十万' 不是人数"),
        ([["1", "", "5", ""]], "第3行 地区：地区为空"),
    ],
)
def test_a_bad_cell_is_named(tmp_path: Path, rows: list[list[str]], reason: str) -> None:
    with pytest.raises(targets.TargetError) as error:
        targets.read_targets(write_csv(tmp_path / "bad.csv", rows, "utf-8"))
    assert str(error.value) == reason


# --- W9: import ------------------------------------------------------------------------------


def stored(url: str) -> list[tuple[object, ...]]:
    r = t.target_row
    with ready(url).connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(
                    r.c.table_id, r.c.row, r.c.area, r.c.kind, r.c.part_of, r.c.region, r.c.target
                ).order_by(r.c.id)
            )
        ]


def import_file(url: str, path: Path, year: int = 2022) -> targets.ImportReport:
    with unit_of_work(url, Actor("clerk", path.name)) as uow:
        return targets.import_targets(uow, path, year)


def test_import_keeps_history_and_a_reimport_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "目标.csv", attachment())
    before = counts(database_url)
    first = import_file(database_url, path)
    assert (first.rows, first.unchanged, len(first.regions), len(first.disagreements)) == (
        20,
        False,
        12,
        1,
    )
    assert changed(before, counts(database_url)) == {
        "change_log": 1,
        "target_table": 1,
        "target_row": 20,
    }
    rows = stored(database_url)
    assert rows[:2] == [
        (first.table_id, 3, "贵阳市小计", "subtotal", 22, "520100", 2579617),
        (first.table_id, 4, "南明区", "row", 3, NANMING, 237372),
    ]
    with ready(database_url).connect() as connection:
        change = connection.execute(
            select(t.change_log.c.action, t.change_log.c.rules, t.change_log.c.source_file)
            .order_by(t.change_log.c.id.desc())
            .limit(1)
        ).one()
    assert tuple(change) == ("targets_import", ["T1"], "目标.csv")
    again = import_file(database_url, path)
    assert (again.table_id, again.unchanged) == (first.table_id, True)
    assert changed(before, counts(database_url)) == {
        "change_log": 1,
        "target_table": 1,
        "target_row": 20,
    }
    revised = attachment()
    revised[1][2] = "237400"
    second = import_file(database_url, write_csv(tmp_path / "修订.csv", revised))
    assert second.unchanged is False
    assert changed(before, counts(database_url)) == {
        "change_log": 2,
        "target_table": 2,
        "target_row": 40,
    }
    assert stored(database_url)[:20] == rows  # the first import is kept as it was
    with ready(database_url).connect() as connection:
        now = targets.progress(connection, 2022, date(2021, 11, 1))
    nanming = next(r for r in now.regions if r.region == NANMING)
    assert nanming.target == 237400
    # The first table again is a change back: a third import.
    assert import_file(database_url, path).unchanged is False


# --- T1 coverage, T2 weekly report, T3 students ----------------------------------------------


def certno(region: str, serial: int, born: str = "19800101") -> str:
    first17 = f"{region}{born}{serial:03d}"
    return first17 + check_character(first17)


def resident(region: str, serial: int, **extra: object) -> Registration:
    values: dict[str, object] = dict(
        chg_type=NEW,
        psn_name=f"居民{region}{serial}",
        certno=certno(region, serial),
        gend="1",
        brdy=date(1980, 1, 1),
        insuplc_admdvs=region,
        hukou_admdvs=region,
        accepted_on=date(2021, 10, 15),
    )
    values.update(extra)
    return Registration(**values)  # type: ignore[arg-type]


def pay(url: str, days: dict[str, date]) -> None:
    """Payment events (paid) for the persons' 2022 assessments (certno → the day paid)."""
    with unit_of_work(url, CLERK) as uow:
        change_id = uow.record("payment")
        for number, day in days.items():
            person = registry.find_person(uow.connection, "01", number)
            assessment_id = uow.connection.execute(
                select(t.assessment.c.id).where(
                    t.assessment.c.psn_no == person, t.assessment.c.year == 2022
                )
            ).scalar_one()
            uow.connection.execute(
                insert(t.payment).values(
                    assessment_id=assessment_id,
                    result="paid",
                    paid_amount=0,
                    paid_on=day,
                    clct_way="02",
                    change_id=change_id,
                )
            )


@pytest.fixture
def progress_url(database_url: str, tmp_path: Path) -> str:
    """Kaiping: 4 residents, 3 paid (Nov 2, Nov 9, Nov 16); Nanming: 2 residents and 2 pupils of
    a Nanming school, 1 resident and 1 pupil paid; Gui'an: 1 resident, paid; the targets: a
    small table for 贵阳贵安 and one for Kaiping, each with a title row."""
    day = {1: date(2021, 11, 2), 2: date(2021, 11, 9), 3: date(2021, 11, 16)}
    with unit_of_work(database_url, CLERK) as uow:
        school = registry.register_unit(uow, SCHOOL, "南明区第一中学", NANMING)
    with unit_of_work(database_url, CLERK) as uow:
        people = [resident(KAIPING, n) for n in (1, 2, 3, 4)]
        people += [resident(NANMING, n) for n in (1, 2)] + [resident(GUIAN, 1)]
        people += [
            resident(
                NANMING,
                n,
                certno=certno(NANMING, n, "20100101"),
                brdy=date(2010, 1, 1),
                psn_type="1403",
                unit_id=school,
                accepted_on=date(2021, 10, 20),
            )
            for n in (3, 4)
        ]
        for person in people:
            assert registry.apply(uow, person).status == "accepted"
    for region in (KAIPING, "520100"):
        with unit_of_work(database_url, CLERK) as uow:
            collection.assess(uow, region, 2022)
    pay(database_url, {certno(KAIPING, n): paid_on for n, paid_on in day.items()})
    pay(
        database_url,
        {
            certno(NANMING, 1): date(2021, 11, 3),
            certno(GUIAN, 1): date(2021, 11, 3),
            certno(NANMING, 3, "20100101"): date(2021, 12, 1),
        },
    )
    import_file(
        database_url,
        write_csv(
            tmp_path / "贵阳.csv",
            [
                ["1", "贵阳市小计", "6", ""],
                ["2", "南明区", "4", ""],
                ["3", "云岩区", "2", ""],
                ["4", "贵安新区小计", "2", ""],
                ["5", "其中：党武镇", "2", ""],
                ["6", "贵阳贵安总计", "8", ""],
            ],
        ),
    )
    import_file(
        database_url,
        write_xlsx(tmp_path / "开平.xlsx", "开平市2022年度参保目标", [[1, "开平市", 4, None]]),
    )
    return database_url


def test_coverage_per_region_against_its_target(progress_url: str) -> None:
    with ready(progress_url).connect() as connection:
        report = targets.progress(connection, 2022, date(2021, 11, 10))
    assert report.as_json() == {
        "year": 2022,
        "as_of": "2021-11-10",
        "rules": ["T1", "K1"],
        "regions": [
            # 贵阳市小计 counts its districts, not 贵安新区 (under Guiyang in the policy data).
            {
                "region": "520100",
                "name": "贵阳市小计",
                "target": 6,
                "target_rate": None,
                "required": 6,
                "assessed": 4,
                "enrolled": 1,
                "coverage": "0.1667",
                "reached": False,
            },
            {
                "region": NANMING,
                "name": "南明区",
                "target": 4,
                "target_rate": None,
                "required": 4,
                "assessed": 4,
                "enrolled": 1,
                "coverage": "0.2500",
                "reached": False,
            },
            {
                "region": YUNYAN,
                "name": "云岩区",
                "target": 2,
                "target_rate": None,
                "required": 2,
                "assessed": 0,
                "enrolled": 0,
                "coverage": "0.0000",
                "reached": False,
            },
            {
                "region": GUIAN,
                "name": "贵安新区小计",
                "target": 2,
                "target_rate": None,
                "required": 2,
                "assessed": 1,
                "enrolled": 1,
                "coverage": "0.5000",
                "reached": False,
            },
            # 开平方案 一: 98% of the target.
            {
                "region": KAIPING,
                "name": "开平市",
                "target": 4,
                "target_rate": "0.98",
                "required": 4,
                "assessed": 4,
                "enrolled": 2,
                "coverage": "0.5000",
                "reached": False,
            },
        ],
    }


def test_the_weekly_report_on_thursdays_from_november(progress_url: str, tmp_path: Path) -> None:
    before = counts(progress_url)
    with ready(progress_url).connect() as connection:
        report = targets.weekly(connection, date(2021, 11, 20))
        with pytest.raises(targets.TargetError) as early:
            targets.weekly(connection, date(2021, 10, 27))
    assert str(early.value) == "2021-10-27 所在周无须报送参保进度（每周报送尚未开始）"
    assert (report.region, report.day) == (KAIPING, date(2021, 11, 18))
    assert [(w.day, w.enrolled) for w in report.weeks] == [
        (date(2021, 11, 4), 1),
        (date(2021, 11, 11), 2),
        (date(2021, 11, 18), 3),
    ]
    path = tmp_path / "进度.xlsx"
    targets.write_weekly(report, path)
    book = load_workbook(path)
    assert book.sheetnames == ["本周进度", "每周趋势"]
    week = [list(row) for row in book["本周进度"].iter_rows(values_only=True)]
    assert week == [
        ["开平市2022年度城乡居民医保参保进度（截至2021-11-18）", *[None] * 8],
        [
            "地区",
            "区划代码",
            "目标人数",
            "目标参保率",
            "应达人数",
            "已核定人数",
            "已参保人数",
            "参保率",
            "是否达标",
        ],
        ["开平市", KAIPING, 4, 0.98, 4, 4, 3, 0.75, "否"],
    ]
    trend = [list(row) for row in book["每周趋势"].iter_rows(values_only=True)]
    assert [row[:2] for row in trend[1:]] == [
        ["报送日", "已参保人数"],
        [datetime(2021, 11, 4), 1],
        [datetime(2021, 11, 11), 2],
        [datetime(2021, 11, 18), 3],
    ]
    assert book["每周趋势"]["A3"].number_format == "yyyy-mm-dd"
    with zipfile.ZipFile(path) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        xml = [archive.read(name).decode() for name in charts]
    assert len(charts) == 2
    assert "barChart" in xml[0] and "目标人数与已参保人数" in xml[0]
    assert "lineChart" in xml[1] and "每周已参保人数" in xml[1]
    assert counts(progress_url) == before


def test_compulsory_education_students_per_district_by_month(progress_url: str) -> None:
    with ready(progress_url).connect() as connection:
        november = targets.students(connection, "2021-11").as_json()
        december = targets.students(connection, "2021-12").as_json()
        with pytest.raises(targets.TargetError) as early:
            targets.students(connection, "2021-09")
    assert november == {
        "region": "520100",
        "year": 2022,
        "month": "2021-11",
        "as_of": "2021-11-30",
        "deadline": "2021-12-31",
        "rules": ["T3"],
        "districts": [
            {"region": NANMING, "name": "南明区", "students": 2, "enrolled": 0, "rate": "0.0000"}
        ],
    }
    assert december["districts"] == [
        {"region": NANMING, "name": "南明区", "students": 2, "enrolled": 1, "rate": "0.5000"}
    ]
    assert str(early.value) == "2021-09 无须调度义务教育学生参保（按月调度尚未开始）"


def test_the_trend_counts_what_the_target_row_counts(progress_url: str) -> None:
    """Kaiping: its Thursday report days (T2) up to the end of its concentrated period;
    Guiyang (no weekly report): every seventh day from its period's start, counting the
    districts of 贵阳市小计 — not Gui'an's resident, paid on November 3 too."""
    with ready(progress_url).connect() as connection:
        kaiping = targets.trend(connection, KAIPING, 2022, date(2026, 1, 1))
        guiyang = targets.trend(connection, "520100", 2022, date(2021, 11, 10))
        years = targets.years(connection)
        assert targets.trend(connection, KAIPING, 2019, date(2026, 1, 1)) == ()
    assert [(w.day.isoformat(), w.enrolled) for w in kaiping] == [
        ("2021-11-04", 1),
        ("2021-11-11", 2),
        ("2021-11-18", 3),
        ("2021-11-25", 3),
        ("2021-12-02", 3),
        ("2021-12-09", 3),
        ("2021-12-16", 3),
        ("2021-12-23", 3),
    ]
    assert [(w.day.isoformat(), w.enrolled) for w in guiyang] == [
        ("2021-09-30", 0),
        ("2021-10-07", 0),
        ("2021-10-14", 0),
        ("2021-10-21", 0),
        ("2021-10-28", 0),
        ("2021-11-04", 1),
    ]
    assert years == [2022]


def test_collection_progress_and_the_exchange_work_per_region(
    progress_url: str, tmp_path: Path
) -> None:
    regions = [KAIPING, NANMING, YUNYAN, GUIAN]
    with ready(progress_url).connect() as connection:
        before = collection.collection_progress(connection, regions, 2022)
        assert collection.exchange_work(connection, regions) == collection.ExchangeWork(0, 0)
    assert [r.as_json() for r in before] == [
        {"region": KAIPING, "name": "开平市", "assessed": 4, "sent": 0, "paid": 3,
         "resend": 0, "abandoned": 0, "failed": 0},
        {"region": NANMING, "name": "南明区", "assessed": 4, "sent": 0, "paid": 2,
         "resend": 0, "abandoned": 0, "failed": 0},
        {"region": GUIAN, "name": "贵安新区", "assessed": 1, "sent": 0, "paid": 1,
         "resend": 0, "abandoned": 0, "failed": 0},
    ]  # fmt: skip
    with unit_of_work(progress_url, CLERK) as uow:
        batch = collection.export_batch(uow, KAIPING, 2022, tmp_path / "应征.csv")
    assert batch is not None
    with ready(progress_url).connect() as connection:
        assert collection.exchange_work(connection, regions) == collection.ExchangeWork(1, 0)
        assert collection.exchange_work(connection, [NANMING]) == collection.ExchangeWork(0, 0)
    feedback = tmp_path / "反馈.csv"
    with feedback.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["批次号", "证件号码", "年度", "结果代码", "实缴金额", "缴费日期", "失败原因"]
        )
        writer.writerow([batch, certno(KAIPING, 4), "2022", "3", "0", "", "余额不足"])
        writer.writerow([batch, certno(KAIPING, 9), "2022", "1", "376.00", "2021-11-02", ""])
    with unit_of_work(progress_url, CLERK) as uow:
        collection.import_feedback(uow, feedback)
    with ready(progress_url).connect() as connection:
        after = collection.collection_progress(connection, [KAIPING], 2022)
        assert collection.exchange_work(connection, regions) == collection.ExchangeWork(0, 1)
    assert [r.as_json() for r in after] == [
        {"region": KAIPING, "name": "开平市", "assessed": 4, "sent": 4, "paid": 3,
         "resend": 0, "abandoned": 1, "failed": 0},
    ]  # fmt: skip

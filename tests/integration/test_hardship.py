"""W3 on both databases: a department's monthly hardship list imported and matched by ID, the
identities with their validity as of any date, B12 recorded, the review by another clerk
(maker-checker) and the funding requests per fund from the confirmed list (K7)."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.cli import main
from canbao.config import settings
from canbao.services import hardship, registry
from canbao.services.review import Refused
from registry_helpers import changed, counts, register

#: The workflow rules these tests prove (tests/rules/test_rule_coverage.py).
COVERS = {"K7"}

CLERK, REVIEWER = Actor("clerk-a"), Actor("clerk-b")


def certno(body: str) -> str:
    """A valid 18-character number from its first 17 digits."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


WANG = certno("44078319850615123")  # Kaiping
LI = certno("52010219900101123")  # Guiyang, 南明区
ZHANG = certno("44078319800101001")  # not in the registry


@pytest.fixture
def url(database_url: str) -> str:
    register(database_url, CLERK, "王小明", WANG, "440783")
    register(database_url, CLERK, "李四", LI, "520102")
    return database_url


def row(name: str, number: str, identity: str, change: str, day: str) -> dict[str, str]:
    return {
        "姓名": name,
        "身份证号码": number,
        "身份类别": identity,
        "变动类型": change,
        "认定日期": day,
    }


MARCH = [
    row("王小明", WANG, "最低生活保障对象", "新增", "2022-03-10"),
    row("李四", LI, "dibao", "新增", "2021-11-01"),
    row("张三", ZHANG, "dibao", "新增", "2021-11-01"),
    row("某某", "123", "dibao", "新增", "2021-11-01"),
    row("李四", LI, "低保", "新增", "2021-11-01"),
    row("李四", LI, "tekun", "变更", "2021-11-01"),
    row("李四", LI, "tekun", "新增", "2021-13-01"),
    row("李五", LI, "tekun", "新增", "2021-11-01"),
]


def import_list(url: str, rows: Any, month: str = "2022-03", actor: Actor = CLERK) -> Any:
    with unit_of_work(url, actor) as uow:
        return hardship.import_hardship_list(uow, rows, "民政", month)


def identities(url: str) -> list[tuple[Any, ...]]:
    h = t.hardship_identity
    with ready(url).connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                select(
                    t.certificate.c.certno,
                    h.c.identity,
                    h.c.begin,
                    h.c.end,
                    h.c.department,
                    h.c.list_month,
                    h.c.benefit_start,
                )
                .join(t.certificate, t.certificate.c.psn_no == h.c.psn_no)
                .order_by(h.c.id)
            )
        ]


def idetinfo(url: str, number: str, as_of: date) -> list[dict[str, str]]:
    with ready(url).connect() as connection:
        psn_no = registry.find_person(connection, "01", number)
        assert psn_no is not None
        answer = registry.status(connection, psn_no, as_of)
    assert answer is not None
    return [{k: i[k] for k in ("psn_idet_type", "begntime", "endtime")} for i in answer["idetinfo"]]


def test_a_list_adds_matched_identities_and_reports_every_other_row(url: str) -> None:
    before = counts(url)
    report = import_list(url, MARCH)
    assert report.as_json() == {
        "accepted": 2,
        "unchanged": 0,
        "rejected": [
            {"row": 4, "column": "身份证号码", "code": "unmatched",
             "reason": "登记库中没有该身份证号码的人员。"},
            {"row": 5, "column": "身份证号码", "code": "invalid_certno",
             "reason": "身份证号码无效：bad_length: 长度应为15位或18位，实为3位"},
            {"row": 6, "column": "身份类别", "code": "unknown_identity",
             "reason": "身份类别 '低保' 不是资助参保身份。"},
            {"row": 7, "column": "变动类型", "code": "unknown_change",
             "reason": "变动类型应为“新增”或“减员”。"},
            {"row": 8, "column": "认定日期/生效日期", "code": "invalid_date",
             "reason": "日期应为 YYYY-MM-DD。"},
            {"row": 9, "column": "姓名", "code": "name_mismatch",
             "reason": "姓名与登记库不符（登记库：李四）。"},
        ],
    }  # fmt: skip
    assert changed(before, counts(url)) == {"change_log": 2, "hardship_identity": 2}
    assert identities(url) == [
        (WANG, "dibao", date(2022, 3, 10), None, "civil_affairs", "2022-03", date(2022, 3, 10)),
        (LI, "dibao", date(2021, 11, 1), None, "civil_affairs", "2022-03", None),
    ]
    with ready(url).connect() as connection:
        log = (
            connection.execute(
                select(t.change_log)
                .where(t.change_log.c.action == "hardship_add")
                .order_by(t.change_log.c.id)
            )
            .mappings()
            .all()
        )
    assert [(r["actor"], r["source_row"], r["rules"]) for r in log] == [
        ("clerk-a", 2, ["C1", "C7", "C3", "C4", "B12"]),
        ("clerk-a", 3, ["C1", "C7", "C3", "C4", "C6"]),
    ]
    # Kaiping registers hardship residents first: benefits from the identity flag day (B12).
    b12 = log[0]["decision"][1]
    assert (b12["kind"], b12["status"], b12["benefit_start"]) == (
        "benefit_start", "decided", "2022-03-10"
    )  # fmt: skip
    kaiping = {"doc": "开平市2022年度城乡居民基本医疗保险参保工作方案", "section": "五（一）"}
    assert kaiping in log[0]["citations"]
    subsidy = log[1]["decision"][0]
    assert (subsidy["subsidy"], subsidy["subsidy_identity"], subsidy["funding"]) == (
        320,
        "dibao",
        [
            {"source": "medical_assistance_fund", "amount": 140},
            {"source": "city_finance", "amount": 72},
            {"source": "county_finance", "amount": 108},
        ],
    )


def test_importing_the_same_list_again_changes_nothing(url: str) -> None:
    import_list(url, MARCH)
    before = counts(url)
    again = import_list(url, MARCH)
    assert (again.accepted, again.unchanged, len(again.rejected)) == (0, 2, 6)
    assert counts(url) == before
    # The same person and identity in a later month's list: already held, nothing new.
    later = import_list(url, MARCH[:2], month="2022-04")
    assert (later.accepted, later.unchanged) == (0, 2)
    assert counts(url) == before


def test_a_removal_appends_the_end_and_history_shows_both(url: str) -> None:
    import_list(url, MARCH[:2])
    before = counts(url)
    removed = import_list(
        url, [row("王小明", WANG, "dibao", "减员", "2022-06-15")], month="2022-06"
    )
    assert (removed.accepted, removed.rejected) == (1, [])
    assert changed(before, counts(url)) == {"change_log": 1, "hardship_identity": 1}
    assert identities(url)[-1] == (
        WANG, "dibao", date(2022, 3, 10), date(2022, 6, 15), "civil_affairs", "2022-06", None
    )  # fmt: skip
    held = [{"psn_idet_type": "dibao", "begntime": "2022-03-10", "endtime": "2022-06-15"}]
    assert idetinfo(url, WANG, date(2022, 3, 9)) == []
    assert idetinfo(url, WANG, date(2022, 6, 15)) == held
    assert idetinfo(url, WANG, date(2022, 6, 16)) == []
    with ready(url).connect() as connection:
        log = (
            connection.execute(
                select(t.change_log).where(t.change_log.c.action == "hardship_remove")
            )
            .mappings()
            .one()
        )
    # B12: the hardship benefit standard stops from the next month.
    assert log["decision"][0]["hardship_standard_ends_on"] == "2022-07-01"
    # Removing again, or removing an identity the person never had, changes nothing.
    before = counts(url)
    again = import_list(
        url,
        [
            row("王小明", WANG, "dibao", "减员", "2022-06-20"),
            row("李四", LI, "tekun", "减员", "2022-06-20"),
        ],
        month="2022-07",
    )
    assert (again.accepted, again.unchanged) == (0, 1)
    assert again.rejected == [
        {"row": 3, "column": "身份类别", "code": "not_listed",
         "reason": "该人员没有特困人员身份，无法减员。"}
    ]  # fmt: skip
    assert counts(url) == before


def test_the_list_is_confirmed_by_another_clerk_only(url: str) -> None:
    import_list(url, MARCH[:2])
    before = counts(url)
    with pytest.raises(Refused, match="由 clerk-a 提出，须由另一名经办人复核确认"):
        with unit_of_work(url, CLERK) as uow:
            hardship.confirm_hardship_list(uow, "民政", "2022-03")
    assert counts(url) == before
    with unit_of_work(url, REVIEWER) as uow:
        assert hardship.confirm_hardship_list(uow, "民政", "2022-03") == 2
    assert changed(before, counts(url)) == {"change_log": 1, "review": 2}
    with ready(url).connect() as connection:
        reviews = connection.execute(
            select(t.review.c.subject, t.review.c.confirmed, t.change_log.c.actor).join(
                t.change_log, t.change_log.c.id == t.review.c.change_id
            )
        ).all()
    assert [tuple(r) for r in reviews] == [("hardship", True, "clerk-b")] * 2
    with pytest.raises(Refused, match="没有待确认的记录"):
        with unit_of_work(url, REVIEWER) as uow:
            hardship.confirm_hardship_list(uow, "民政", "2022-03")


def test_funding_follows_the_confirmed_list_per_fund(url: str, tmp_path: Path) -> None:
    import_list(url, MARCH[:2])
    out = tmp_path / "guiyang.xlsx"
    with ready(url).connect() as connection:
        unconfirmed = hardship.funding_request(connection, "520100", 2022, out)
    assert (unconfirmed.persons, unconfirmed.totals) == (0, {})
    with unit_of_work(url, REVIEWER) as uow:
        hardship.confirm_hardship_list(uow, "民政", "2022-03")
    before = counts(url)
    with ready(url).connect() as connection:
        request = hardship.funding_request(connection, "520100", 2022, out)
        kaiping = hardship.funding_request(connection, "440783", 2022, tmp_path / "kp.xlsx")
    assert counts(url) == before
    assert request.as_json() == {
        "persons": 1,
        "totals": {"medical_assistance_fund": "140.00", "city_finance": "72.00",
                   "county_finance": "108.00"},
        "undetermined": "0",
        "files": [str(out)] + [
            str(tmp_path / f"guiyang-{s}.xlsx")
            for s in ("medical_assistance_fund", "city_finance", "county_finance")
        ],
    }  # fmt: skip
    sheet = load_workbook(tmp_path / "guiyang-medical_assistance_fund.xlsx").active
    assert sheet is not None
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["贵阳市2022年度资助参保资金申请（医疗救助基金）", None, None, None, None, None, None],
        ["序号", "姓名", "身份证号码", "参保地", "资助身份", "资助金额", "本资金来源金额"],
        [1, "李四", LI, "520102", "最低生活保障对象", 320, 140],
        ["合计", None, None, None, None, 320, 140],
    ]
    # Kaiping's documents do not say how the full subsidy divides among its funds (C4).
    assert (kaiping.persons, kaiping.totals) == (1, {})
    assert kaiping.undetermined == Decimal("376.00")
    # A removal confirmed: the identity still held on some day of 2022 counts for 2022.
    import_list(url, [row("李四", LI, "dibao", "减员", "2022-02-28")], month="2022-02")
    with unit_of_work(url, REVIEWER) as uow:
        hardship.confirm_hardship_list(uow, "民政", "2022-02")
    with ready(url).connect() as connection:
        assert hardship.funding_request(connection, "520100", 2022, out).persons == 1
        assert hardship.funding_request(connection, "520100", 2023, out).persons == 0


def test_the_command_line_imports_a_gbk_csv_with_a_title_row(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.csv"
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["开平市2022年3月困难人员名单（民政）"])
        writer.writerow(["姓名", "身份证号码", "身份类别", "变动类型", "认定日期"])
        writer.writerow(["王小明", WANG, "最低生活保障对象", "新增", "2022-03-10"])
        writer.writerow(["张三", ZHANG, "dibao", "新增", "2022-03-10"])
    monkeypatch.setenv("CANBAO_DATABASE_URL", url)
    monkeypatch.setenv("CANBAO_ACTOR", "clerk-cli")
    settings.cache_clear()
    try:
        args = ["hardship", "import", str(path), "--department", "民政", "--month", "2022-03"]
        assert main([*args, "--json"]) == 0
        first = json.loads(capsys.readouterr().out)
        assert main([*args, "--json"]) == 0
        second = json.loads(capsys.readouterr().out)
        assert main(["hardship", "confirm", "--department", "民政", "--month", "2022-03"]) == 1
        assert "须由另一名经办人复核确认" in capsys.readouterr().err
        assert main([*args[:3], "--department", "教育", "--month", "2022-03"]) == 2
        assert "不是提供困难人员名单的部门" in capsys.readouterr().err
        assert main([*args[:3], "--department", "民政", "--month", "2022-3"]) == 2
        assert "名单月份应为 YYYY-MM" in capsys.readouterr().err
    finally:
        settings.cache_clear()
    assert first == {
        "accepted": 1,
        "unchanged": 0,
        "rejected": [{"row": 4, "column": "身份证号码", "code": "unmatched",
                      "reason": "登记库中没有该身份证号码的人员。"}],
    }  # fmt: skip
    assert (second["accepted"], second["unchanged"]) == (0, 1)
    with ready(url).connect() as connection:
        log = connection.execute(
            select(
                t.change_log.c.actor, t.change_log.c.source_file, t.change_log.c.source_row
            ).where(t.change_log.c.action == "hardship_add")
        ).one()
    assert tuple(log) == ("clerk-cli", "list.csv", 3)


def test_an_xlsx_list_is_read_with_its_title_row(url: str, tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2022年3月困难人员名单"])
    sheet.append(["序号", "姓名", "公民身份号码", "身份类别", "变动类型", "生效日期"])
    sheet.append([1, "李四", LI, "dibao", "新增", date(2021, 11, 1)])
    sheet.append([2, "王小明", int(WANG), "dibao", "新增", date(2021, 11, 1)])
    book.save(path)
    report = import_list(url, path)
    assert report.accepted == 1
    # An ID typed into a number cell has lost its last digits: reported, never guessed.
    assert [(r["row"], r["column"], r["code"]) for r in report.rejected] == [
        (4, "身份证号码", "number_lost_digits")
    ]
    assert identities(url)[0][:3] == (LI, "dibao", date(2021, 11, 1))

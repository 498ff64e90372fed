"""W2 on both databases: the yearly assessment (K2, C6), the file for the tax bureau with
households and collective accounts (K3), and its feedback (K1, K4): exact rows, and that
nothing else changed."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, UnitOfWork, ready, unit_of_work
from canbao.certno.check import check_character
from canbao.domain.registry import NEW, STOP, Registration
from canbao.services import collection, hardship, registry
from registry_helpers import changed, counts

#: The workflow rules this module proves (tests/rules/test_rule_coverage.py reads it).
COVERS = frozenset({"K1", "K2", "K3", "K4"})

CLERK, REVIEWER = Actor("clerk"), Actor("reviewer")
KAIPING, NANMING = "440783", "520102"


def certno(region: str, serial: int) -> str:
    first17 = f"{region}19800101{serial:03d}"
    return first17 + check_character(first17)


def person(region: str, serial: int, name: str, hukou: str | None = None) -> Registration:
    return Registration(
        chg_type=NEW,
        psn_name=name,
        certno=certno(region, serial),
        gend="1",
        brdy=date(1980, 1, 1),
        insuplc_admdvs=region,
        hukou_admdvs=hukou or region,
        accepted_on=date(2021, 10, 15),
        bank_acct=f"62220000{region}{serial:03d}",
    )


#: name → (registration, identities)
PEOPLE: dict[str, tuple[Registration, tuple[str, ...]]] = {
    "k_none": (person(KAIPING, 1, "开平甲"), ()),
    "k_dibao": (person(KAIPING, 2, "开平乙"), ("dibao",)),
    "k_tekun": (person(KAIPING, 3, "开平丙"), ("tekun",)),
    "k_dibao_elsewhere": (person(KAIPING, 4, "开平丁", hukou="440703"), ("dibao",)),
    "k_stopped": (person(KAIPING, 5, "开平戊"), ()),
    "g_none": (person(NANMING, 1, "南明甲"), ()),
    "g_dibao": (person(NANMING, 2, "南明乙"), ("dibao",)),
    "g_tuopin": (person(NANMING, 3, "南明丙"), ("tuopin",)),
    "g_tekun": (person(NANMING, 4, "南明丁"), ("tekun",)),
}


@pytest.fixture
def registry_url(database_url: str) -> str:
    """Everyone registered for 2022; the identities as the departments' lists give them,
    confirmed by a second clerk; one Kaiping enrollee stopped before the deadline (K2: not
    assessed)."""
    with unit_of_work(database_url, CLERK) as uow:
        for registration, identities in PEOPLE.values():
            outcome = registry.apply(uow, registration)
            assert outcome.status == "accepted", outcome.reason
            for identity in identities:
                listed(uow, outcome.psn_no, identity, "2021-01", date(2021, 1, 1))
        stopped = PEOPLE["k_stopped"][0]
        outcome = registry.apply(
            uow,
            Registration(
                chg_type=STOP,
                psn_name=stopped.psn_name,
                certno=stopped.certno,
                insuplc_admdvs=KAIPING,
                accepted_on=date(2021, 11, 10),
                stop_reason="joined_employee",
            ),
        )
        assert outcome.status == "accepted"
    with unit_of_work(database_url, REVIEWER) as uow:
        hardship.confirm_hardship_list(uow, "civil_affairs", "2021-01")
    return database_url


def listed(
    uow: UnitOfWork,
    psn_no: str | None,
    identity: str,
    month: str,
    begin: date,
    end: date | None = None,
) -> None:
    """A version of an identity on the civil-affairs list of ``month`` (新增 open, 减员 with its
    end), as the list import writes it: not confirmed yet."""
    change_id = uow.record("hardship", psn_no=psn_no)
    uow.connection.execute(
        insert(t.hardship_identity).values(
            psn_no=psn_no,
            identity=identity,
            begin=begin,
            end=end,
            department="civil_affairs",
            list_month=month,
            change_id=change_id,
        )
    )


def assess(url: str, region: str, year: int = 2022) -> collection.AssessReport:
    with unit_of_work(url, CLERK) as uow:
        return collection.assess(uow, region, year)


def assessments(url: str) -> dict[str, tuple[Any, ...]]:
    """certno → (standard, subsidy, payable, identity, declaration, funding lines)."""
    a, c, s = t.assessment, t.certificate, t.subsidy_line
    with ready(url).connect() as connection:
        rows = connection.execute(
            select(a, c.c.certno).join(c, c.c.psn_no == a.c.psn_no).order_by(a.c.id)
        ).mappings()
        found = {}
        for row in rows:
            lines = connection.execute(
                select(s.c.source, s.c.amount)
                .where(s.c.assessment_id == row["id"])
                .order_by(s.c.id)
            ).all()
            found[row["certno"]] = (
                row["year"],
                row["standard"],
                row["subsidy"],
                row["payable"],
                row["subsidy_identity"],
                row["declaration"],
                [(source, amount) for source, amount in lines],
            )
        return found


def of(name: str) -> str:
    number = PEOPLE[name][0].certno
    assert number is not None
    return number


D = Decimal


def test_assessment_writes_exact_rows_and_one_change(registry_url: str) -> None:
    before = counts(registry_url)
    kaiping = assess(registry_url, KAIPING)
    guiyang = assess(registry_url, NANMING)
    assert (kaiping.assessed, kaiping.unchanged, kaiping.gaps) == (4, 0, ())
    assert (guiyang.assessed, guiyang.unchanged, guiyang.gaps) == (4, 0, ())
    assert guiyang.declarations == {"normal": 1, "zero": 2, "reduced_with_identity": 1}
    assert changed(before, counts(registry_url)) == {
        "change_log": 2,
        "assessment": 8,
        "subsidy_line": 2 + 5,  # Kaiping: 2 undetermined splits; Guiyang: 3 + 1 + 1 (C4)
    }
    undetermined = "undetermined"
    assert assessments(registry_url) == {
        of("k_none"): (2022, D("376.00"), D("0.00"), D("376.00"), None, "normal", []),
        of("k_dibao"): (
            2022,
            D("376.00"),
            D("376.00"),
            D("0.00"),
            "dibao",
            "normal",
            [(undetermined, D("376.00"))],
        ),
        of("k_tekun"): (
            2022,
            D("376.00"),
            D("376.00"),
            D("0.00"),
            "tekun",
            "normal",
            [(undetermined, D("376.00"))],
        ),
        # 开平方案 三（二）: the subsidy is for local hukou only.
        of("k_dibao_elsewhere"): (2022, D("376.00"), D("0.00"), D("376.00"), None, "normal", []),
        of("g_none"): (2022, D("320.00"), D("0.00"), D("320.00"), None, "normal", []),
        of("g_dibao"): (
            2022,
            D("320.00"),
            D("320.00"),
            D("0.00"),
            "dibao",
            "zero",
            [
                ("medical_assistance_fund", D("140.00")),
                ("city_finance", D("72.00")),
                ("county_finance", D("108.00")),
            ],
        ),
        of("g_tuopin"): (
            2022,
            D("320.00"),
            D("140.00"),
            D("180.00"),
            "tuopin",
            "reduced_with_identity",
            [("county_finance", D("140.00"))],
        ),
        of("g_tekun"): (
            2022,
            D("320.00"),
            D("320.00"),
            D("0.00"),
            "tekun",
            "zero",
            [("medical_assistance_fund", D("320.00"))],
        ),
    }
    with ready(registry_url).connect() as connection:
        log = (
            connection.execute(
                select(t.change_log)
                .where(t.change_log.c.action == "assess")
                .order_by(t.change_log.c.id)
            )
            .mappings()
            .all()
        )
    assert [row["rules"] for row in log] == [
        ["K2", "C1", "C7", "C3", "C4"],
        ["C1", "C7", "C3", "C4", "C6"],
    ]
    # One decision per distinct combination, not per person: Kaiping has four (none, dibao,
    # tekun, dibao with hukou elsewhere) after the K2 run decision.
    assert len(log[0]["decision"]) == 1 + 4
    assert {"doc": "开平市2022年度城乡居民基本医疗保险参保工作方案", "section": "五（七）"} in log[
        0
    ]["citations"]


def test_assessing_again_changes_nothing(registry_url: str) -> None:
    assess(registry_url, KAIPING)
    before = counts(registry_url)
    again = assess(registry_url, KAIPING)
    assert (again.assessed, again.unchanged, again.change_id) == (0, 4, None)
    assert counts(registry_url) == before


def test_a_year_without_a_standard_is_a_gap_with_its_count(registry_url: str) -> None:
    before = counts(registry_url)
    report = assess(registry_url, KAIPING, 2030)
    assert report.assessed == 0
    # Not the one stopped in 2021; the two dibao persons (hukou here and elsewhere) together.
    assert [(g.region, g.identities, g.count) for g in report.gaps] == [
        (KAIPING, (), 1),
        (KAIPING, ("dibao",), 2),
        (KAIPING, ("tekun",), 1),
    ]
    assert all("resident.individual_standard" in g.gaps[0] for g in report.gaps)
    assert counts(registry_url) == before


def export(url: str, region: str, path: Path) -> str | None:
    with unit_of_work(url, CLERK) as uow:
        return collection.export_batch(uow, region, 2022, path)


def read_xlsx(path: Path) -> list[list[Any]]:
    book = load_workbook(path, read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def test_export_groups_households_under_their_account(registry_url: str, tmp_path: Path) -> None:
    with unit_of_work(registry_url, CLERK) as uow:
        psn = {name: registry.find_person(uow.connection, "01", of(name)) for name in PEOPLE}
        village = collection.create_collective_account(
            uow, "三埠村委会", KAIPING, "6228000000000001", 2022
        )
        collection.create_household(
            uow, KAIPING, [psn["k_none"], psn["k_tekun"]], date(2021, 9, 1), account_id=village
        )
        collection.create_household(
            uow, KAIPING, [psn["k_dibao"]], date(2021, 9, 1), bank_acct="6221111111111111"
        )
    assess(registry_url, KAIPING)
    before = counts(registry_url)
    path = tmp_path / "kaiping.xlsx"
    batch_id = export(registry_url, KAIPING, path)
    assert batch_id == "4407832022-0001"
    assert changed(before, counts(registry_url)) == {
        "change_log": 1,
        "tax_batch": 1,
        "tax_batch_item": 4,
    }
    rows = read_xlsx(path)
    assert rows[0][0] == "开平市2022年度城乡居民基本医疗保险应征数据（批次4407832022-0001）"
    assert rows[1] == [
        "人员编号",
        "姓名",
        "证件号码",
        "年度",
        "险种",
        "应缴金额",
        "申报方式",
        "资助身份",
        "银行账号",
        "家庭户",
        "批次号",
    ]
    body = [(r[2], r[3], r[4], D(str(r[5])), r[6], r[7] or "", r[8], r[10]) for r in rows[2:]]
    assert body == [
        (
            of("k_dibao"),
            2022,
            "390",
            D("0"),
            "正常申报",
            "最低生活保障对象",
            "6221111111111111",
            batch_id,
        ),
        (
            of("k_dibao_elsewhere"),
            2022,
            "390",
            D("376"),
            "正常申报",
            "",
            "62220000440783004",
            batch_id,
        ),
        (of("k_none"), 2022, "390", D("376"), "正常申报", "", "6228000000000001", batch_id),
        (of("k_tekun"), 2022, "390", D("0"), "正常申报", "特困人员", "6228000000000001", batch_id),
    ]
    assert rows[2][9] is not None and rows[3][9] is None and rows[4][9] == rows[5][9]
    # Nothing new to send: no batch, nothing written.
    before = counts(registry_url)
    assert export(registry_url, KAIPING, tmp_path / "again.xlsx") is None
    assert counts(registry_url) == before


def test_guiyang_export_as_csv_declares_zero_and_reduced(registry_url: str, tmp_path: Path) -> None:
    assess(registry_url, NANMING)
    path = tmp_path / "nanming.csv"
    batch_id = export(registry_url, NANMING, path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "人员编号"
    assert sorted((r[2], r[5], r[6], r[7], r[10]) for r in rows[1:]) == sorted(
        [
            (of("g_none"), "320.00", "正常申报", "", batch_id),
            (of("g_dibao"), "0.00", "零申报", "最低生活保障对象", batch_id),
            (of("g_tuopin"), "180.00", "减免后金额申报（资助身份标识）", "脱贫人口", batch_id),
            (of("g_tekun"), "0.00", "零申报", "特困人员", batch_id),
        ]
    )


@pytest.fixture
def june_list(registry_url: str) -> str:
    """The civil-affairs list of June 2021, not confirmed yet: 南明戊 newly dibao (新增), and
    南明丁's tekun ended on 30 June (减员)."""
    with unit_of_work(registry_url, CLERK) as uow:
        outcome = registry.apply(uow, person(NANMING, 5, "南明戊"))
        assert outcome.status == "accepted", outcome.reason
        listed(uow, outcome.psn_no, "dibao", "2021-06", date(2021, 6, 1))
        tekun = registry.find_person(uow.connection, "01", of("g_tekun"))
        listed(uow, tekun, "tekun", "2021-06", date(2021, 1, 1), date(2021, 6, 30))
    return registry_url


def nanming_file(url: str, tmp_path: Path) -> list[tuple[str, ...]]:
    """(certno, payable, 申报方式, identity) of each row of Nanming's assessment file."""
    path = tmp_path / "nanming.csv"
    assert export(url, NANMING, path) is not None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return sorted((r[2], r[5], r[6], r[7]) for r in rows[1:])


GUIYANG_DIBAO = [
    ("medical_assistance_fund", D("140.00")),
    ("city_finance", D("72.00")),
    ("county_finance", D("108.00")),
]


NEW_DIBAO = certno(NANMING, 5)
FULL = (2022, D("320.00"), D("0.00"), D("320.00"), None, "normal", [])
TEKUN = (
    2022,
    D("320.00"),
    D("320.00"),
    D("0.00"),
    "tekun",
    "zero",
    [("medical_assistance_fund", D("320.00"))],
)
DIBAO = (2022, D("320.00"), D("320.00"), D("0.00"), "dibao", "zero", GUIYANG_DIBAO)


@pytest.mark.parametrize(
    ("confirmed", "lines", "new_dibao", "tekun", "in_file"),
    [
        # Not confirmed: the new dibao pays the full standard, declared normally; the 减员 does
        # not end the confirmed tekun yet.
        (
            False,
            3 + 1 + 1,
            FULL,
            TEKUN,
            [("320.00", "正常申报", ""), ("0.00", "零申报", "特困人员")],
        ),
        # Confirmed by a second clerk: the new dibao is fully subsidized (zero declaration, three
        # funding lines), and the tekun ended in June pays the full standard.
        (
            True,
            3 + 3 + 1,
            DIBAO,
            FULL,
            [("0.00", "零申报", "最低生活保障对象"), ("320.00", "正常申报", "")],
        ),
    ],
)
def test_only_confirmed_identities_count_for_the_assessment(
    june_list: str,
    tmp_path: Path,
    confirmed: bool,
    lines: int,
    new_dibao: tuple[Any, ...],
    tekun: tuple[Any, ...],
    in_file: list[tuple[str, str, str]],
) -> None:
    """Maker-checker: an identity counts for the assessment and its file once a second clerk
    confirmed its list."""
    if confirmed:
        with unit_of_work(june_list, REVIEWER) as uow:
            assert hardship.confirm_hardship_list(uow, "civil_affairs", "2021-06") == 2
    before = counts(june_list)
    report = assess(june_list, NANMING)
    assert (report.assessed, report.gaps) == (5, ())
    assert report.declarations == {"normal": 2, "zero": 2, "reduced_with_identity": 1}
    assert changed(before, counts(june_list)) == {
        "change_log": 1,
        "assessment": 5,
        "subsidy_line": lines,
    }
    found = assessments(june_list)
    assert (found[NEW_DIBAO], found[of("g_tekun")]) == (new_dibao, tekun)
    rows = nanming_file(june_list, tmp_path)
    assert [row for row in rows if row[0] in (NEW_DIBAO, of("g_tekun"))] == sorted(
        [(NEW_DIBAO, *in_file[0]), (of("g_tekun"), *in_file[1])]
    )


def write_feedback(path: Path, lines: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["税务扣费反馈"])
        writer.writerow(
            ["批次号", "证件号码", "年度", "结果代码", "实缴金额", "缴费日期", "失败原因"]
        )
        writer.writerows(lines)
    return path


def feedback(url: str, path: Path) -> dict[str, Any]:
    with unit_of_work(url, Actor("clerk", source_file=path.name)) as uow:
        return collection.import_feedback(uow, path).as_json()


def status(url: str, name: str) -> str | None:
    with ready(url).connect() as connection:
        psn_no = registry.find_person(connection, "01", of(name))
        assert psn_no is not None
        return collection.payment_status(connection, psn_no, 2022)


def test_feedback_paid_resend_abandoned_and_unmatched(registry_url: str, tmp_path: Path) -> None:
    assess(registry_url, KAIPING)
    assert status(registry_url, "k_none") == "assessed"
    batch_id = export(registry_url, KAIPING, tmp_path / "out.xlsx")
    assert batch_id is not None
    assert status(registry_url, "k_none") == "sent"
    path = write_feedback(
        tmp_path / "feedback.csv",
        [
            [batch_id, of("k_none"), "2022", "1", "376.00", "2021-11-02", ""],
            [batch_id, of("k_dibao"), "2022", "2", "0", "", "银行系统故障"],
            [batch_id, of("k_tekun"), "2022", "3", "0", "", "余额不足"],
            [batch_id, of("k_dibao_elsewhere"), "2022", "4", "0", "", "账户冻结"],
            [batch_id, certno("440783", 99), "2022", "1", "376.00", "2021-11-02", ""],
            ["4407832022-0099", of("k_none"), "2022", "1", "376.00", "2021-11-02", ""],
            [batch_id, of("k_none"), "2022", "9", "0", "", ""],
        ],
    )
    before = counts(registry_url)
    report = feedback(registry_url, path)
    assert report == {
        "paid": 1,
        "resend": 1,
        "abandoned": 2,
        "failed": 0,
        "unchanged": 0,
        "unmatched": [
            {
                "row": 7,
                "batch_id": batch_id,
                "certno": certno("440783", 99),
                "year": 2022,
                "problem": "unknown_person",
                "reason": "证件号码不在登记库中",
            },
            {
                "row": 8,
                "batch_id": "4407832022-0099",
                "certno": of("k_none"),
                "year": 2022,
                "problem": "unknown_batch",
                "reason": "税务反馈的批次号不存在",
            },
        ],
        "rejected": [
            {
                "row": 9,
                "column": "结果代码",
                "code": "unknown_code",
                "reason": "未知的结果代码 '9'（应为 1 扣费成功、2 非个人原因扣费失败、"
                "3 缴费银行账户余额不足、4 缴费银行账户状态不正常）",
            }
        ],
    }
    assert changed(before, counts(registry_url)) == {
        "change_log": 6,
        "payment": 4,
        "unmatched_feedback": 2,
    }
    assert [status(registry_url, n) for n in ("k_none", "k_dibao", "k_tekun")] == [
        "paid",
        "resend",
        "abandoned",
    ]
    with ready(registry_url).connect() as connection:
        payments = connection.execute(
            select(
                t.payment.c.result,
                t.payment.c.paid_amount,
                t.payment.c.paid_on,
                t.payment.c.clct_way,
                t.payment.c.result_code,
            ).order_by(t.payment.c.id)
        ).all()
        abandon = connection.execute(
            select(t.change_log.c.rules, t.change_log.c.citations, t.change_log.c.source_row)
            .where(t.change_log.c.action == "tax_feedback")
            .order_by(t.change_log.c.id)
        ).all()
    assert [tuple(p) for p in payments] == [
        ("paid", D("376.00"), date(2021, 11, 2), "02", "1"),
        ("resend", D("0.00"), None, "02", "2"),
        ("abandoned", D("0.00"), None, "02", "3"),
        ("abandoned", D("0.00"), None, "02", "4"),
    ]
    assert [(rules, row) for rules, _, row in abandon] == [
        (["K4"], 3),
        (["K1"], 4),
        (["K1"], 5),
        (["K1"], 6),
    ]
    assert {
        "doc": "开平市2022年度城乡居民基本医疗保险参保工作方案",
        "section": "五（七）",
    } in abandon[2][1]

    # The same feedback again changes nothing.
    before = counts(registry_url)
    again = feedback(registry_url, path)
    assert (again["unchanged"], again["paid"], again["unmatched"]) == (6, 0, [])
    assert counts(registry_url) == before

    # The resend goes out in the next batch, alone; then paid.
    second = export(registry_url, KAIPING, tmp_path / "second.csv")
    assert second == "4407832022-0002"
    with (tmp_path / "second.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [row[2] for row in list(csv.reader(handle))[1:]] == [of("k_dibao")]
    feedback(
        registry_url,
        write_feedback(
            tmp_path / "feedback2.csv",
            [[second, of("k_dibao"), "2022", "1", "0", "2021-12-01", ""]],
        ),
    )
    assert status(registry_url, "k_dibao") == "paid"


def test_a_registration_during_the_year_is_assessed_for_the_year_it_is_for(
    database_url: str,
) -> None:
    """Guiyang's 2022 collection runs to 2022-03-31: a registration on 2022-02-10 is for 2022
    (assessed for it though not enrolled on 2022-01-01); one on 2021-10-20 is for 2022, not
    for 2021."""
    with unit_of_work(database_url, CLERK) as uow:
        late = registry.apply(
            uow,
            Registration(
                chg_type=NEW,
                psn_name="南明戊",
                certno=certno(NANMING, 5),
                insuplc_admdvs=NANMING,
                hukou_admdvs=NANMING,
                accepted_on=date(2022, 2, 10),
            ),
        )
        early = registry.apply(uow, PEOPLE["g_none"][0])
        assert (late.status, early.status) == ("accepted", "accepted")
    before = counts(database_url)
    assert assess(database_url, NANMING, 2021).assessed == 0
    assert counts(database_url) == before
    report = assess(database_url, NANMING)
    assert (report.assessed, report.declarations) == (2, {"normal": 2})
    with ready(database_url).connect() as connection:
        assessed = connection.execute(
            select(t.assessment.c.psn_no, t.assessment.c.payable).order_by(t.assessment.c.psn_no)
        ).all()
    assert sorted(assessed) == sorted([(late.psn_no, D("320.00")), (early.psn_no, D("320.00"))])

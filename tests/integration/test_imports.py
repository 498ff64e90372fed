"""Imports of the registration form (item 5) on both databases: .xlsx with a title row and GBK
CSV generated here; rows as the clerk sees them; re-imports, conflicts, refusals, and an
import killed with SIGKILL then completed."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from canbao.adapters import tables as t
from canbao.adapters.database import ready
from canbao.adapters.registration_form import RegistrationRow
from canbao.adapters.sheets import write_xlsx
from canbao.policy import load_policy
from canbao.services.imports import hukou_region, import_registrations, to_registration
from registry_helpers import counts

#: Workflow rules these tests prove (tests/rules/test_rule_coverage.py).
COVERS = {"K2"}

HEADERS = [
    "序号",
    "姓名",
    "身份证号码",
    "联系电话",
    "户籍地址",
    "参保属地",
    "人员类别",
    "银行账号",
    "登记类型",
    "停保原因",
    "受理时间",
]
KAIPING = "广东省江门市开平市三埠街道1号"
GOOD = [
    "1",
    "王小明",
    "440783198506151234",
    "13800000000",
    KAIPING,
    "440783",
    "普通居民",
    "6222000000000000",
    "新参保",
    "",
    "2021-10-15",
]
OTHER_HUKOU = [
    "2",
    "赵六",
    "440100199202021239",
    "",
    "广东省广州市天河区1号",
    "440783",
    "普通居民",
    "",
    "新参保",
    "",
    "2021-10-20",
]
BAD_CERTNO = [
    "3",
    "钱七",
    "440783198506151235",
    "",
    KAIPING,
    "440783",
    "普通居民",
    "",
    "新参保",
    "",
    "2021-10-20",
]
CONFLICT_A = [
    "4",
    "孙八",
    "440783199001011230",
    "",
    KAIPING,
    "440783",
    "普通居民",
    "",
    "新参保",
    "",
    "2021-10-20",
]
CONFLICT_B = [
    "5",
    "孙捌",
    "440783199001011230",
    "",
    KAIPING,
    "440783",
    "普通居民",
    "",
    "新参保",
    "",
    "2021-10-20",
]
LATE_STOP = [
    "6",
    "王小明",
    "440783198506151234",
    "",
    KAIPING,
    "440783",
    "普通居民",
    "",
    "停保",
    "死亡",
    "2021-11-25",
]
TITLE = "江门市2022年度城乡居民基本医疗保险新参保、变更、停保登记表"


def xlsx(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "登记表.xlsx"
    write_xlsx(path, TITLE, HEADERS, rows)
    return path


def test_an_xlsx_form_with_good_bad_refused_and_conflicting_rows(
    database_url: str, tmp_path: Path
) -> None:
    path = xlsx(tmp_path, [GOOD, OTHER_HUKOU, BAD_CERTNO, CONFLICT_A, CONFLICT_B])
    before = counts(database_url)
    report = import_registrations(database_url, path, "clerk").as_json()
    # title row 1, header row 2: the data start at row 3
    assert report["accepted"] == 1 and report["unchanged"] == 0
    assert [(r["row"], r["column"], r["code"]) for r in report["rejected"]] == [
        (4, None, "refused"),
        (5, "身份证号码", "bad_check_character"),
        (6, "姓名", "conflicting_rows"),
        (7, "姓名", "conflicting_rows"),
    ]
    assert report["rejected"][0]["reason"] == "该人员不属于开平市居民医保参保范围。"
    after = counts(database_url)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {
        "change_log": 2,
        "person": 1,
        "certificate": 1,
        "person_version": 1,
        "enrollment": 1,
        "enrollment_version": 1,
    }
    with ready(database_url).connect() as connection:
        log = (
            connection.execute(select(t.change_log).where(t.change_log.c.action == "register"))
            .mappings()
            .one()
        )
        version = connection.execute(select(t.person_version)).mappings().one()
    assert (log["source_file"], log["source_row"], log["actor"]) == ("登记表.xlsx", 3, "clerk")
    assert log["request_key"].startswith("registration:")
    assert log["reason"] == "2022年度参保登记"  # 2021-10-15 is in the 2022 collection period
    assert version["hukou_admdvs"] == "440783"  # read from 户籍地址
    # the same file again: nothing new, the same rejections
    again = import_registrations(database_url, path, "clerk").as_json()
    assert (again["accepted"], again["unchanged"]) == (0, 1)
    assert again["rejected"] == report["rejected"]
    assert counts(database_url) == after


def test_a_late_stop_is_refused_against_its_acceptance_day(
    database_url: str, tmp_path: Path
) -> None:
    import_registrations(database_url, xlsx(tmp_path, [GOOD]), "clerk")
    before = counts(database_url)
    report = import_registrations(database_url, xlsx(tmp_path, [LATE_STOP]), "clerk").as_json()
    assert [(r["row"], r["column"], r["code"]) for r in report["rejected"]] == [
        (3, None, "refused")
    ]
    assert "2021-11-20" in report["rejected"][0]["reason"]  # K2, against 受理时间
    assert counts(database_url) == before


def test_a_gbk_csv_counts_csv_lines(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "登记表.csv"
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows([GOOD, BAD_CERTNO, GOOD])  # line 4 repeats line 2
    report = import_registrations(database_url, path, "clerk").as_json()
    assert (report["accepted"], report["unchanged"]) == (1, 1)
    assert [(r["row"], r["column"], r["code"]) for r in report["rejected"]] == [
        (3, "身份证号码", "bad_check_character")
    ]


def test_the_year_comes_from_the_option_then_the_period_then_the_title(
    database_url: str, tmp_path: Path
) -> None:
    path = xlsx(tmp_path, [GOOD])
    report = import_registrations(database_url, path, "clerk", year=2023).as_json()
    assert report["accepted"] == 1
    with ready(database_url).connect() as connection:
        reason = connection.execute(
            select(t.change_log.c.reason).where(t.change_log.c.action == "register")
        ).scalar_one()
    assert reason == "2023年度参保登记"


def test_the_title_names_the_year_of_a_row_outside_every_collection_period() -> None:
    row = RegistrationRow(
        row=3,
        psn_name="李四",
        certno="440783199001011230",
        psn_cert_type="01",
        insuplc_admdvs="440783",
        psn_chg_type="11",
        psn_insu_date=date(2022, 5, 10),
    )
    policy = load_policy()
    assert to_registration(row, policy, None, 2022).year == 2022
    assert to_registration(row, policy, None, None).year is None
    assert to_registration(row, policy, 2023, 2022).year == 2023
    in_period = row.model_copy(update={"psn_insu_date": date(2021, 10, 15)})
    assert to_registration(in_period, policy, None, 2021).year == 2022


def test_hukou_from_the_address() -> None:
    assert hukou_region("广东省江门市开平市三埠街道") == "440783"
    assert hukou_region("江门市开平市长沙街道") == "440783"
    assert hukou_region("开平市水口镇") is None  # no province or city: unknown, never guessed
    assert hukou_region(None) is None


def _rows(n: int) -> list[list[str]]:
    from canbao.certno import check_certno

    rows: list[list[str]] = []
    serial = 0
    while len(rows) < n:
        serial += 1
        body = f"44078319800101{serial:03d}"
        for check in "0123456789X":
            if check_certno(body + check).valid:
                rows.append(
                    [
                        str(len(rows) + 1),
                        f"居民{serial}",
                        body + check,
                        "",
                        KAIPING,
                        "440783",
                        "普通居民",
                        "",
                        "新参保",
                        "",
                        "2021-10-15",
                    ]
                )
                break
    return rows


def _snapshot(url: str) -> dict[str, Any]:
    """Every row of the import's tables, without generated ids, times and psn_no."""
    with ready(url).connect() as connection:
        certs = {
            psn_no: certno
            for certno, psn_no in connection.execute(
                select(t.certificate.c.certno, t.certificate.c.psn_no)
            )
        }
        log = connection.execute(
            select(
                t.change_log.c.action,
                t.change_log.c.psn_no,
                t.change_log.c.source_row,
                t.change_log.c.request_key,
                t.change_log.c.rules,
            )
        ).all()
        enrollments = connection.execute(
            select(
                t.enrollment.c.psn_no,
                t.enrollment_version.c.psn_insu_date,
                t.enrollment_version.c.psn_insu_stas,
            ).join(t.enrollment_version)
        ).all()
    return {
        "log": sorted((a, certs.get(p), r, k, json.dumps(rules)) for a, p, r, k, rules in log),
        "enrollments": sorted((certs[p], d, s) for p, d, s in enrollments),
        "counts": counts(url),
    }


def _import(url: str, path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "CANBAO_DATABASE_URL": url, "CANBAO_ACTOR": "clerk"}
    command = [sys.executable, "-m", "canbao", "import", "registrations", str(path), "--json"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)


def test_an_import_killed_with_sigkill_completes_exactly_when_run_again(
    database_url: str, tmp_path: Path
) -> None:
    path = xlsx(tmp_path, _rows(ROWS))
    process = _import(database_url, path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _relations(database_url) < 10:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = counts(database_url)
    assert 10 <= killed["enrollment"] < ROWS
    # whole rows only: every person has their certificate, version and relation
    assert killed["person"] == killed["certificate"] == killed["person_version"]
    assert killed["enrollment"] == killed["enrollment_version"] == killed["person"]
    finish = _import(database_url, path)
    out, _ = finish.communicate(timeout=120)
    report = json.loads(out)
    assert report["accepted"] + report["unchanged"] == ROWS and report["rejected"] == []
    assert report["unchanged"] == killed["enrollment"]
    whole = tmp_path / "whole.db"
    _import(f"sqlite:///{whole}", path).communicate(timeout=120)
    assert _snapshot(database_url) == _snapshot(f"sqlite:///{whole}")


#: Enough rows that the import is still running when the test kills it.
ROWS = 400


def _relations(url: str) -> int:
    """Relations stored so far, read without taking the writer's lock (a plain engine: the
    registry's own begins every transaction IMMEDIATE on SQLite)."""
    probe = create_engine(url)
    try:
        with probe.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(t.enrollment)).scalar_one()
            )
    except Exception:  # the schema is not there yet
        return 0
    finally:
        probe.dispose()

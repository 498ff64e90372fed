"""Every route of the API on SQLite and PostgreSQL: the exact answers, the rows each request
wrote (counts of every table before and after), idempotency keys (a repeated key returns the
first answer and writes nothing) and maker-checker through the API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from api_helpers import (
    JIANGMEN,
    KAIPING,
    LI,
    NANMING,
    NOBODY,
    WANG,
    ZHAO,
    auth,
    certno,
    resident,
)
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.cli.decide import decide_inputs
from canbao.domain.decision import to_json
from canbao.services import registry
from registry_helpers import changed, counts

ROOT = Path(__file__).resolve().parents[2]
CLERK = auth("clerk", JIANGMEN)
REVIEWER = auth("reviewer", JIANGMEN)
ADMIN = auth("city_admin", JIANGMEN)
TAX = auth("tax", KAIPING)
ANALYST = auth("analyst", JIANGMEN)


def csv_file(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode("utf-8-sig")


# --- decide ----------------------------------------------------------------------------------


def test_decide_answers_as_the_command_line(client: TestClient) -> None:
    examples = sorted((ROOT / "examples").glob("*.json"))
    for example in examples:
        answer = client.post("/api/v1/decide", content=example.read_bytes(), headers=ANALYST)
        expected, _ = decide_inputs([str(example)])
        assert answer.status_code == 200
        assert answer.json() == to_json(expected[0].as_json())
    many = b"[" + b",".join(e.read_bytes() for e in examples[:2]) + b"]"
    answer = client.post("/api/v1/decide", content=many, headers=ANALYST)
    assert [a["kind"] for a in answer.json()] == [
        json.loads(e.read_bytes())["kind"] for e in examples[:2]
    ]
    broken = client.post("/api/v1/decide", content=b"{", headers=ANALYST).json()
    assert (broken["status"], broken["errors"][0]["code"]) == ("invalid", "not_json")


# --- persons ---------------------------------------------------------------------------------


def test_a_persons_status_as_of_a_date_and_the_read_is_audited(
    client: TestClient, url: str
) -> None:
    before = counts(url)
    answer = client.get(f"/api/v1/persons/{WANG}", params={"as_of": "2022-01-01"}, headers=CLERK)
    assert answer.status_code == 200
    body = answer.json()
    assert body["baseinfo"] | {"psn_no": None} == {
        "psn_no": None,
        "psn_cert_type": "01",
        "certno": WANG,
        "psn_name": "王伟",
        "gend": "1",
        "naty": "",
        "brdy": "1980-01-01",
        "age": 42,
        "exp_content": "",
    }
    assert body["insuinfo"] == [
        {
            "balc": 0,
            "insutype": "390",
            "psn_type": "1501",
            "psn_insu_stas": "1",
            "psn_insu_date": "2021-10-15",
            "paus_insu_date": "",
            "cvlserv_flag": "0",
            "insuplc_admdvs": KAIPING,
            "emp_name": "",
        }
    ]
    assert body["idetinfo"] == []
    assert changed(before, counts(url)) == {"read_audit": 1}
    with ready(url).connect() as connection:
        audit = connection.execute(select(t.read_audit)).mappings().one()
    assert (audit["username"], audit["psn_no"], audit["route"], audit["client"]) == (
        f"clerk-{JIANGMEN}",
        body["baseinfo"]["psn_no"],
        "/api/v1/persons/{certno}",
        "testclient",
    )
    earlier = client.get(f"/api/v1/persons/{WANG}", params={"as_of": "2021-10-14"}, headers=CLERK)
    assert (earlier.status_code, earlier.json()["field"]) == (404, "query.as_of")


def test_status_of_a_person_never_enrolled_by_hukou_scope_audited_only_within_it(
    client: TestClient, url: str
) -> None:
    """Without a relation, the person's hukou puts them in a scope (services.access): read
    and audited within it; elsewhere the same 404 as for nobody, and no audit row. On
    PostgreSQL this is the asynchronous path's fall-back (adapters.pg_async)."""
    number = certno(KAIPING, 5)
    with unit_of_work(url, Actor("setup")) as uow:
        psn_no = registry.ensure_person(uow, resident(number, "李娜", KAIPING))
    before = counts(url)
    elsewhere = client.get(f"/api/v1/persons/{number}", headers=auth("clerk", NANMING))
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (404, "path.certno")
    assert changed(before, counts(url)) == {}
    within = client.get(f"/api/v1/persons/{number}", headers=CLERK)
    assert within.status_code == 200
    body = within.json()
    assert (body["baseinfo"]["psn_no"], body["baseinfo"]["psn_name"]) == (psn_no, "李娜")
    assert (body["insuinfo"], body["idetinfo"]) == ([], [])
    assert changed(before, counts(url)) == {"read_audit": 1}
    with ready(url).connect() as connection:
        audit = connection.execute(select(t.read_audit)).mappings().one()
    assert (audit["username"], audit["psn_no"]) == (f"clerk-{JIANGMEN}", psn_no)


def test_persons_by_name_paged_within_the_scope_masked_for_analysts(client: TestClient) -> None:
    first = client.get("/api/v1/persons", params={"name": "王伟", "limit": 1}, headers=CLERK)
    assert first.status_code == 200
    page = first.json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (2, 1, 0, 1)
    second = client.get(
        "/api/v1/persons", params={"name": "王伟", "limit": 1, "offset": 1}, headers=CLERK
    ).json()
    assert {page["items"][0]["certno"], second["items"][0]["certno"]} == {WANG, LI}
    item = second["items"][0]
    assert (item["tel"], item["bank_acct"], item["regions"]) == (
        "13800138000",
        "6222000011112222333",
        [KAIPING],
    )
    masked = client.get("/api/v1/persons", params={"name": "王伟"}, headers=ANALYST).json()
    assert sorted((i["certno"], i["tel"], i["bank_acct"]) for i in masked["items"]) == [
        ("440783********0014", "138****8000", "***************2333"),
        ("440783********0022", "138****8000", "***************2333"),
    ]
    guiyang = client.get("/api/v1/persons", params={"name": "王伟"}, headers=auth("clerk", NANMING))
    assert [i["certno"] for i in guiyang.json()["items"]] == [ZHAO]


# --- registry --------------------------------------------------------------------------------


def test_register_change_and_stop(client: TestClient, url: str) -> None:
    path = f"/api/v1/persons/{NOBODY}/enrollments/{KAIPING}"
    form = {"psn_name": "张三", "accepted_on": "2021-10-20", "gend": "2", "brdy": "1990-02-03",
            "hukou_admdvs": KAIPING}  # fmt: skip
    before = counts(url)
    registered = client.post(path, json=form, headers=CLERK)
    assert registered.status_code == 200
    body = registered.json()
    assert (body["status"], body["decisions"][0]["kind"], body["decisions"][0]["rules"]) == (
        "accepted",
        "eligibility",
        ["E2", "E4"],
    )
    assert changed(before, counts(url)) == {
        "change_log": 2,
        "person": 1,
        "certificate": 1,
        "person_version": 1,
        "enrollment": 1,
        "enrollment_version": 1,
    }
    again = client.post(path, json=form, headers=CLERK).json()
    assert (again["status"], again["reason"]) == ("unchanged", "已在该地参保。")
    changed_form = {"psn_name": "张三", "accepted_on": "2021-11-01", "gend": "2",
                    "tel": "13900139000"}  # fmt: skip
    change = client.post(f"{path}/changes", json=changed_form, headers=CLERK).json()
    assert (change["status"], change["reason"]) == ("accepted", "已变更。")
    stop = client.post(
        f"{path}/stop", json={"accepted_on": "2021-11-20", "stop_reason": "death"}, headers=CLERK
    ).json()
    assert (stop["status"], stop["reason"]) == ("accepted", "已停保。")
    status = client.get(f"/api/v1/persons/{NOBODY}", params={"as_of": "2021-11-20"}, headers=CLERK)
    assert [(i["psn_insu_stas"], i["paus_insu_date"]) for i in status.json()["insuinfo"]] == [
        ("4", "2021-11-20")
    ]


def test_switch_scheme_and_units(client: TestClient, url: str) -> None:
    switched = client.post(
        f"/api/v1/persons/{WANG}/switches",
        json={
            "scheme": "employee",
            "region": KAIPING,
            "joined_on": "2022-03-01",
            "paid_on": "2022-03-01",
        },  # fmt: skip
        headers=CLERK,
    ).json()
    assert (switched["status"], switched["decisions"][0]["kind"]) == ("accepted", "benefit_start")
    outside = client.post(
        f"/api/v1/persons/{WANG}/switches",
        json={
            "scheme": "employee",
            "region": NANMING,
            "joined_on": "2022-03-01",
            "paid_on": "2022-03-01",
        },  # fmt: skip
        headers=CLERK,
    )
    assert (outside.status_code, outside.json()["code"]) == (403, "forbidden")
    school = {"kind": "school", "name": "开平市第一中学"}
    first = client.post(f"/api/v1/regions/{KAIPING}/units", json=school, headers=CLERK).json()
    before = counts(url)
    second = client.post(f"/api/v1/regions/{KAIPING}/units", json=school, headers=CLERK).json()
    assert first == second and first["unit_id"].startswith("U")
    assert counts(url) == before


def test_import_registrations_within_the_region_only(client: TestClient, url: str) -> None:
    header = [
        "姓名",
        "身份证号码",
        "性别",
        "出生日期",
        "户籍地址",
        "参保属地",
        "登记类型",
        "受理时间",
    ]
    row = ["张三", NOBODY, "男", "1980-01-01", "广东省江门市开平市长沙街道", KAIPING, "新参保",
           "2021-10-20"]  # fmt: skip
    good = csv_file([header, row])
    path = f"/api/v1/regions/{KAIPING}/imports/registrations"
    answer = client.post(path, files={"file": ("登记表.csv", good, "text/csv")}, headers=CLERK)
    assert answer.json() == {"accepted": 1, "unchanged": 0, "rejected": []}
    again = client.post(path, files={"file": ("登记表.csv", good, "text/csv")}, headers=CLERK)
    assert again.json() == {"accepted": 0, "unchanged": 1, "rejected": []}
    before = counts(url)
    elsewhere = csv_file([header, row[:5] + [NANMING] + row[6:]])
    refused = client.post(
        path, files={"file": ("登记表.csv", elsewhere, "text/csv")}, headers=CLERK
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert "第2行" in refused.json()["message"]
    assert counts(url) == before
    text = client.post(path, files={"file": ("登记表.txt", good, "text/plain")}, headers=CLERK)
    assert (text.status_code, text.json()["field"]) == (422, "body.file")


# --- refunds ---------------------------------------------------------------------------------

REFUND = {"year": 2022, "reason": "joined_employee", "paid_amount": "350", "paid_on": "2021-11-05",
          "event_on": "2021-12-01", "applied_on": "2021-12-20"}  # fmt: skip


def test_refund_apply_confirm_pay_idempotent_and_maker_checker(
    client: TestClient, url: str
) -> None:
    path = f"/api/v1/persons/{WANG}/refunds"
    before = counts(url)
    applied = client.post(path, json=REFUND, headers=CLERK | {"Idempotency-Key": "a-1"})
    assert applied.status_code == 201
    case = applied.json()
    assert (case["created"], case["decision"]["rules"], case["decision"]["amount"]) == (
        True,
        ["F5", "F1"],
        350,
    )
    after_apply = counts(url)
    assert changed(before, after_apply) == {"change_log": 1, "refund_case": 1, "idempotency_key": 1}
    repeated = client.post(path, json=REFUND, headers=CLERK | {"Idempotency-Key": "a-1"})
    assert (repeated.status_code, repeated.json(), repeated.headers["idempotent-replayed"]) == (
        201,
        case,
        "true",
    )
    assert counts(url) == after_apply
    reused = client.post(
        path, json=REFUND | {"paid_amount": "1"}, headers=CLERK | {"Idempotency-Key": "a-1"}
    )
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    case_id = case["case_id"]
    same_user = auth("city_admin", JIANGMEN, f"clerk-{JIANGMEN}")
    own = client.post(f"{path}/{case_id}/confirmation", headers=same_user)
    assert (own.status_code, own.json()["code"]) == (409, "refused")
    assert "不能自行确认" in own.json()["message"]
    unpaid = client.post(f"{path}/{case_id}/payment", json={"paid_on": "2022-01-05"}, headers=CLERK)
    assert (unpaid.status_code, unpaid.json()["code"]) == (409, "refused")
    confirmed = client.post(f"{path}/{case_id}/confirmation", headers=REVIEWER)
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    other = client.post(f"/api/v1/persons/{LI}/refunds/{case_id}/confirmation", headers=REVIEWER)
    assert (other.status_code, other.json()["field"]) == (404, "path.case_id")
    before_pay = counts(url)
    paid = client.post(
        f"{path}/{case_id}/payment",
        json={"paid_on": "2022-01-05"},
        headers=CLERK | {"Idempotency-Key": "p-1"},
    )
    assert paid.status_code == 200 and paid.json()["paid_on"] == "2022-01-05"
    after_pay = counts(url)
    assert changed(before_pay, after_pay) == {
        "change_log": 1,
        "refund_payment": 1,
        "enrollment_version": 1,
        "idempotency_key": 1,
    }
    replay = client.post(
        f"{path}/{case_id}/payment",
        json={"paid_on": "2022-01-05"},
        headers=CLERK | {"Idempotency-Key": "p-1"},
    )
    assert replay.json() == paid.json() and counts(url) == after_pay
    twice = client.post(f"{path}/{case_id}/payment", json={"paid_on": "2022-01-06"}, headers=CLERK)
    assert (twice.status_code, twice.json()["code"]) == (409, "refused")


# --- collection ------------------------------------------------------------------------------


def test_assess_export_and_feedback(client: TestClient, url: str) -> None:
    base = f"/api/v1/regions/{KAIPING}/collection"
    assessed = client.post(f"{base}/2022/assessment", headers=CLERK | {"Idempotency-Key": "s-1"})
    assert assessed.status_code == 200
    report = assessed.json()
    assert (report["assessed"], report["unchanged"], report["declarations"]) == (
        2,
        0,
        {"normal": 2},
    )
    after = counts(url)
    again = client.post(f"{base}/2022/assessment", headers=CLERK | {"Idempotency-Key": "s-1"})
    assert again.json() == report and counts(url) == after
    fresh = client.post(f"{base}/2022/assessment", headers=CLERK).json()
    assert (fresh["assessed"], fresh["unchanged"]) == (0, 2)

    exported = client.post(f"{base}/2022/exports", headers=TAX | {"Idempotency-Key": "e-1"})
    assert exported.status_code == 200
    batch_id = exported.headers["x-batch-id"]
    assert batch_id == f"{KAIPING}2022-0001"
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("人员编号", "姓名", "证件号码")
    assert sorted((r[2], r[3], r[5]) for r in rows[2:]) == [(WANG, 2022, 376), (LI, 2022, 376)]
    replayed = client.post(f"{base}/2022/exports", headers=TAX | {"Idempotency-Key": "e-1"})
    assert (replayed.content, replayed.headers["x-batch-id"]) == (exported.content, batch_id)
    nothing = client.post(f"{base}/2022/exports", params={"format": "csv"}, headers=TAX)
    assert nothing.status_code == 204

    feedback = csv_file(
        [["批次号", "证件号码", "年度", "结果代码", "实缴金额", "缴费日期"],
         [batch_id, WANG, "2022", "1", "376", "2021-11-10"],
         [batch_id, LI, "2022", "3", "0", ""]]
    )  # fmt: skip
    before = counts(url)
    imported = client.post(
        f"{base}/feedback",
        files={"file": ("反馈.csv", feedback, "text/csv")},
        headers=TAX | {"Idempotency-Key": "f-1"},
    )
    assert imported.status_code == 200
    result = imported.json()
    assert (result["paid"], result["unmatched"], result["rejected"]) == (1, [], [])
    assert result["paid"] + result["abandoned"] + result["failed"] + result["resend"] == 2
    assert changed(before, counts(url))["payment"] == 2
    elsewhere = client.post(
        f"/api/v1/regions/{NANMING}/collection/feedback",
        files={"file": ("反馈.csv", feedback, "text/csv")},
        headers=auth("tax", NANMING),
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "forbidden")


# --- hardship lists --------------------------------------------------------------------------


def test_hardship_list_import_confirm_and_funding(client: TestClient, url: str) -> None:
    base = f"/api/v1/regions/{KAIPING}/hardship"
    listed = csv_file(
        [["姓名", "身份证号码", "身份类别", "变动类型", "认定日期"],
         ["王伟", WANG, "dibao", "新增", "2021-11-01"]]
    )  # fmt: skip
    imported = client.post(
        f"{base}/lists/civil_affairs/2021-11",
        files={"file": ("名单.csv", listed, "text/csv")},
        headers=CLERK,
    )
    assert imported.json() == {"accepted": 1, "unchanged": 0, "rejected": []}
    own = client.post(f"{base}/lists/civil_affairs/2021-11/confirmation",
                      headers=auth("city_admin", JIANGMEN, f"clerk-{JIANGMEN}"))  # fmt: skip
    assert (own.status_code, own.json()["code"]) == (409, "refused")
    confirmed = client.post(f"{base}/lists/civil_affairs/2021-11/confirmation", headers=REVIEWER)
    assert confirmed.json() == {"confirmed": 1}
    funding = client.get(f"{base}/funding/2022", headers=ANALYST)
    assert funding.status_code == 200
    assert funding.json()["persons"] == 1
    outside = csv_file(
        [["姓名", "身份证号码", "身份类别", "变动类型", "认定日期"],
         ["王伟", ZHAO, "dibao", "新增", "2021-11-01"]]
    )  # fmt: skip
    before = counts(url)
    refused = client.post(
        f"{base}/lists/civil_affairs/2021-12",
        files={"file": ("名单.csv", outside, "text/csv")},
        headers=CLERK,
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert counts(url) == before


def test_health(client: TestClient) -> None:
    assert client.get("/api/v1/health", headers=TAX).json() == {
        "status": "ok",
        "user": f"tax-{KAIPING}",
    }


def test_an_export_neutralises_formulas_in_cells(client: TestClient) -> None:
    """A name that starts like a formula reaches the tax file as text (adapters.sheets)."""
    form = {"psn_name": "=HYPERLINK(\"x\")", "accepted_on": "2021-10-20", "gend": "2",
            "hukou_admdvs": KAIPING}  # fmt: skip
    path = f"/api/v1/persons/{NOBODY}/enrollments/{KAIPING}"
    assert client.post(path, json=form, headers=CLERK).json()["status"] == "accepted"
    base = f"/api/v1/regions/{KAIPING}/collection/2022"
    assert client.post(f"{base}/assessment", headers=CLERK).json()["assessed"] == 3
    exported = client.post(f"{base}/exports", headers=TAX)
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    [cell] = [row[1] for row in sheet.iter_rows(min_row=3) if row[2].value == NOBODY]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ('=HYPERLINK("x")', "s", True)

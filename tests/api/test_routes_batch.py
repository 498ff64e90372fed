"""The routes of issue 7's use cases on SQLite and PostgreSQL: duplicates (W7) through the
API with maker-checker, roster matching that sees only the user's scope, what-if totals and
targets; exact answers and the rows each request wrote (counts of every table)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from api_helpers import GUIYANG, JIANGMEN, KAIPING, LI, WANG, ZHAO, auth
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_routes import csv_file

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.batch import whatif
from canbao.policy import load_policy
from canbao.services import targets
from registry_helpers import changed, counts

CLERK = auth("clerk", JIANGMEN)
REVIEWER = auth("reviewer", JIANGMEN)
ANALYST = auth("analyst", JIANGMEN)
AS_OF = "2026-01-01"


def relations(url: str, certno: str) -> tuple[str, list[str]]:
    """The person's psn_no and relations."""
    c, e = t.certificate, t.enrollment
    with ready(url).connect() as connection:
        psn_no = connection.execute(select(c.c.psn_no).where(c.c.certno == certno)).scalar_one()
        ids = connection.execute(
            select(e.c.rlts_id).where(e.c.psn_no == psn_no).order_by(e.c.rlts_id)
        ).scalars()
        return psn_no, list(ids)


def relation(url: str, rlts_id: str, psn_no: str, region: str, start: date) -> None:
    """A resident relation in 正常参保 and paying since ``start``, written directly, and the
    person's residence in Kaiping (D2 keeps the relation there) from the day before."""
    v = t.person_version
    with unit_of_work(url, Actor("setup")) as uow:
        change_id = uow.record("test")
        current = dict(
            uow.connection.execute(select(v).where(v.c.psn_no == psn_no)).mappings().one()
        )
        del current["id"]
        uow.connection.execute(
            v.insert(),
            current | {"valid_from": start - timedelta(days=1), "resd_admdvs": KAIPING,
                       "change_id": change_id},
        )  # fmt: skip
        uow.connection.execute(
            t.enrollment.insert(),
            {"rlts_id": rlts_id, "psn_no": psn_no, "insutype": "390", "insuplc_admdvs": region,
             "change_id": change_id},
        )  # fmt: skip
        uow.connection.execute(
            t.enrollment_version.insert(),
            {"rlts_id": rlts_id, "valid_from": start, "psn_type": "1501", "psn_insu_stas": "1",
             "psn_clct_stas": "1", "psn_insu_date": start, "paus_insu_date": None,
             "change_id": change_id},
        )  # fmt: skip


def duplicated(client: TestClient, url: str) -> tuple[str, str]:
    """WANG also enrolled in Meizhou (441402) since 2024: detected in Kaiping by a clerk;
    the case id and WANG's Kaiping relation."""
    psn_no, [kaiping] = relations(url, WANG)
    relation(url, "R-MZ", psn_no, "441402", date(2024, 3, 1))
    before = counts(url)
    path = f"/api/v1/regions/{KAIPING}/duplicates/detection"
    found = client.post(path, json={"as_of": AS_OF}, headers=CLERK)
    assert found.status_code == 200
    body = found.json()
    assert (body["as_of"], body["candidates"], body["existing"]) == (AS_OF, 1, [])
    [case] = body["proposed"]
    assert {k: case[k] for k in ("psn_no", "certno", "records", "state", "proposer")} == {
        "psn_no": psn_no,
        "certno": WANG,
        "records": sorted([kaiping, "R-MZ"]),
        "state": "proposed",
        "proposer": f"clerk-{JIANGMEN}",
    }
    assert changed(before, counts(url)) == {"change_log": 1, "duplicate_case": 1}
    return case["case_id"], kaiping


def test_duplicates_detected_listed_confirmed_and_applied(client: TestClient, url: str) -> None:
    case_id, kaiping = duplicated(client, url)
    before = counts(url)
    # The city's detection covers its counties: the same case, found again, nothing written.
    again = client.post(
        f"/api/v1/regions/{JIANGMEN}/duplicates/detection", json={"as_of": AS_OF}, headers=CLERK
    ).json()
    assert (again["candidates"], again["proposed"], again["existing"]) == (1, [], [case_id])
    # The list: full numbers for a reviewer, masked for an analyst; nothing for Guiyang.
    listed = client.get(f"/api/v1/regions/{KAIPING}/duplicates", headers=REVIEWER).json()
    assert (listed["total"], [i["certno"] for i in listed["items"]]) == (1, [WANG])
    assert listed["items"][0]["case_id"] == case_id
    masked = client.get(f"/api/v1/regions/{JIANGMEN}/duplicates", headers=ANALYST).json()
    assert [i["certno"] for i in masked["items"]] == [WANG[:6] + "********" + WANG[-4:]]
    none = client.get(
        f"/api/v1/regions/{GUIYANG}/duplicates", headers=auth("city_admin", GUIYANG)
    ).json()
    assert none == {"total": 0, "limit": 20, "offset": 0, "items": []}
    applied_state = client.get(
        f"/api/v1/regions/{KAIPING}/duplicates", params={"state": "applied"}, headers=REVIEWER
    ).json()
    assert applied_state["total"] == 0
    assert counts(url) == before
    # Maker-checker: the proposer cannot confirm (409); another person's path: 404.
    base = f"/api/v1/persons/{WANG}/duplicates/{case_id}"
    own = client.post(f"{base}/confirmation", headers=auth("city_admin", JIANGMEN, "clerk-440700"))
    assert (own.status_code, own.json()["code"]) == (409, "refused")
    assert "不能自行确认" in own.json()["message"]
    other = client.post(f"/api/v1/persons/{LI}/duplicates/{case_id}/confirmation", headers=REVIEWER)
    assert (other.status_code, other.json()["field"]) == (404, "path.case_id")
    early = client.post(
        f"/api/v1/regions/{KAIPING}/duplicates/application", json={}, headers=CLERK
    ).json()
    assert early == {"applied": []}
    consent = client.post(
        f"{base}/consent",
        json={"keep": kaiping, "document": "承诺书1", "signed_on": AS_OF},
        headers=CLERK,
    )
    assert (consent.status_code, consent.json()["code"]) == (409, "refused")
    assert counts(url) == before
    confirmed = client.post(f"{base}/confirmation", headers=REVIEWER)
    assert confirmed.status_code == 200
    assert {k: confirmed.json()[k] for k in ("case_id", "confirmed")} == {
        "case_id": case_id,
        "confirmed": True,
    }
    assert changed(before, counts(url)) == {"change_log": 1, "review": 1}
    # Apply: Guiyang's city admin applies nothing of Jiangmen's; Jiangmen's clerk applies it.
    before = counts(url)
    elsewhere = client.post(
        f"/api/v1/regions/{GUIYANG}/duplicates/application",
        json={"on": "2026-03-01"},
        headers=auth("city_admin", GUIYANG),
    )
    assert elsewhere.json() == {"applied": []}
    assert counts(url) == before
    applied = client.post(
        f"/api/v1/regions/{KAIPING}/duplicates/application",
        json={"on": "2026-03-01"},
        headers=CLERK,
    )
    assert applied.status_code == 200
    assert applied.json() == {
        "applied": [
            {
                "case_id": case_id,
                "effective_on": "2026-03-01",
                "keep": kaiping,
                "actions": [{"id": "R-MZ", "action": "terminate", "notify_region": "441402"}],
                # No assessment for 2026 in Meizhou: the amount is to be determined.
                "deductions": [{"id": "R-MZ", "year": 2026, "amount": None}],
            }
        ]
    }
    assert changed(before, counts(url)) == {
        "change_log": 1,
        "enrollment_version": 1,
        "duplicate_action": 1,
        "subsidy_deduction": 1,
    }
    before = counts(url)
    twice = client.post(
        f"/api/v1/regions/{KAIPING}/duplicates/application", json={}, headers=CLERK
    ).json()
    assert twice == {"applied": []} and counts(url) == before


def test_a_duplicate_rejected_by_a_reviewer_not_by_its_proposer(
    client: TestClient, url: str
) -> None:
    case_id, _ = duplicated(client, url)
    base = f"/api/v1/persons/{WANG}/duplicates/{case_id}"
    before = counts(url)
    own = client.post(
        f"{base}/rejection",
        json={"reason": "核实有误"},
        headers=auth("city_admin", JIANGMEN, "clerk-440700"),
    )
    assert (own.status_code, own.json()["code"]) == (409, "refused")
    empty = client.post(f"{base}/rejection", json={"reason": ""}, headers=REVIEWER)
    assert (empty.status_code, empty.json()["field"]) == (422, "body.reason")
    assert counts(url) == before
    rejected = client.post(f"{base}/rejection", json={"reason": "核实有误"}, headers=REVIEWER)
    assert rejected.status_code == 200
    assert {k: rejected.json()[k] for k in ("case_id", "confirmed")} == {
        "case_id": case_id,
        "confirmed": False,
    }
    assert changed(before, counts(url)) == {"change_log": 1, "review": 1}
    states = client.get(f"/api/v1/regions/{KAIPING}/duplicates", headers=REVIEWER).json()
    assert [i["state"] for i in states["items"]] == ["rejected"]


# --- roster matching -------------------------------------------------------------------------

ROSTER = [
    ["姓名", "身份证号码", "性别", "出生日期", "所属区县"],
    ["王伟", WANG, "男", "1980-01-01", KAIPING],
    ["王伟", ZHAO, "男", "1980-01-01", KAIPING],
    ["王伟", "", "男", "1980-01-01", KAIPING],
]


def test_a_roster_is_matched_against_the_users_scope_only(client: TestClient, url: str) -> None:
    before = counts(url)
    upload = {"file": ("名单.csv", csv_file(ROSTER), "text/csv")}
    params = {"as_of": "2022-01-01"}
    jiangmen = client.post(
        f"/api/v1/regions/{KAIPING}/matches", files=upload, params=params, headers=CLERK
    )
    assert jiangmen.status_code == 200
    rows = jiangmen.json()["rows"]
    wang_psn, [wang_rlts] = relations(url, WANG)
    li_psn, _ = relations(url, LI)
    zhao_psn, _ = relations(url, ZHAO)
    assert [(r["row"], r["certno"], r["status"], r["psn_no"]) for r in rows] == [
        (2, WANG, "enrolled", wang_psn),
        (3, ZHAO, "not_enrolled", None),  # enrolled in Guiyang: not seen from Jiangmen
        (4, None, "ambiguous", None),  # WANG and LI, both of Kaiping
    ]
    assert zhao_psn not in rows[2]["details"] and li_psn in rows[2]["details"]
    guiyang = client.post(
        f"/api/v1/regions/{GUIYANG}/matches",
        files=upload,
        params=params,
        headers=auth("clerk", GUIYANG),
    ).json()["rows"]
    assert [(r["status"], r["psn_no"]) for r in guiyang] == [
        ("not_enrolled", None),
        ("enrolled", zhao_psn),
        ("matched_by_name", zhao_psn),
    ]
    bad = client.post(
        f"/api/v1/regions/{KAIPING}/matches",
        files={"file": ("名单.csv", csv_file([["姓名"], ["王伟"]]), "text/csv")},
        headers=CLERK,
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "body.file")
    assert counts(url) == before


# --- what-if and targets ---------------------------------------------------------------------


def test_what_if_answers_the_jobs_totals(client: TestClient, url: str) -> None:
    before = counts(url)
    path = f"/api/v1/regions/{KAIPING}/what-if/2022"
    body = {"set": {"resident.individual_standard": 400}}
    answer = client.post(path, json=body, headers=ANALYST)
    assert answer.status_code == 200
    with ready(url).connect() as connection:
        expected = whatif.run(
            connection, KAIPING, 2022, {"resident.individual_standard": Decimal(400)}
        ).as_json()
    del expected["changed"]["largest"]
    assert answer.json() == expected
    # Kaiping's two residents at 400 each instead of the current standard.
    assert (answer.json()["whatif"]["payable"], answer.json()["changed"]) == (
        "800.00",
        {"persons": 2, "combinations": 1},
    )
    assert (answer.json()["persons"], answer.json()["set"]) == (
        2,
        {"resident.individual_standard": "400"},
    )
    bad = client.post(path, json={"set": {"resident.nothing": 1}}, headers=ANALYST)
    assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (
        422,
        "invalid",
        "body.set.resident.nothing",
    )
    assert counts(url) == before


def test_targets_and_students_within_the_region(client: TestClient, url: str) -> None:
    before = counts(url)
    policy = load_policy()
    answer = client.get(
        f"/api/v1/regions/{KAIPING}/targets/2022", params={"as_of": "2022-06-30"}, headers=ANALYST
    )
    assert answer.status_code == 200
    with ready(url).connect() as connection:
        found = targets.progress(connection, 2022, date(2022, 6, 30), policy)
        students = targets.students(connection, "2022-09", policy)
    within = tuple(r for r in found.regions if policy.within(r.region, KAIPING))
    assert answer.json() == dataclasses.replace(found, regions=within).as_json()
    assert [r["region"] for r in answer.json()["regions"]] == [KAIPING]
    guiyang = client.get(
        f"/api/v1/regions/{GUIYANG}/targets/2022",
        params={"as_of": "2022-06-30"},
        headers=auth("analyst", GUIYANG),
    ).json()
    assert guiyang["regions"] == []  # Kaiping's target is not Guiyang's to see
    month = client.get(f"/api/v1/regions/{JIANGMEN}/students/2022-09", headers=ANALYST)
    assert month.json() == students.as_json()
    early = client.get(f"/api/v1/regions/{JIANGMEN}/students/1999-01", headers=ANALYST)
    assert (early.status_code, early.json()["field"]) == (422, "path.month")
    assert counts(url) == before

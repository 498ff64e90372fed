"""The routes added for issue 8's remainder, on SQLite and PostgreSQL: a newborn's number
attached by the clerk of the region, B13 permit expiry per region, the funding request's
.xlsx per fund (an RFC 5987 Chinese file name), and the duplicates list filtered to the
user's scope in the query."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote

from api_helpers import GUIYANG, JIANGMEN, KAIPING, NANMING, WANG, ZHAO, auth, certno
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.domain.codes import FUNDING_SOURCES
from canbao.domain.registry import NEW, Registration
from canbao.services import access, registry
from registry_helpers import changed, counts

CLERK = auth("clerk", JIANGMEN)
REVIEWER = auth("reviewer", JIANGMEN)
ANALYST = auth("analyst", JIANGMEN)
#: A newborn of Kaiping registered under the parent's name (B5), without a number.
NEWBORN = Registration(
    chg_type=NEW,
    psn_name="陈大文",
    psn_type="1401",
    gend="1",
    brdy=date(2022, 3, 1),
    insuplc_admdvs=KAIPING,
    hukou_admdvs=KAIPING,
    accepted_on=date(2022, 4, 1),
    paid_on=date(2022, 4, 1),
    under_parent_name=True,
    proofs=frozenset({"入户后的户口簿"}),
)
OWN_NUMBER = certno(KAIPING, 20)


def register(url: str, registration: Registration) -> str:
    with unit_of_work(url, Actor("setup")) as uow:
        outcome = registry.apply(uow, registration)
    assert outcome.status == "accepted" and outcome.psn_no is not None
    return outcome.psn_no


# --- a newborn's number ----------------------------------------------------------------------


def test_a_newborns_number_is_attached_within_the_region_only(client: TestClient, url: str) -> None:
    psn_no = register(url, NEWBORN)
    path = f"/api/v1/persons/{OWN_NUMBER}/enrollments/{KAIPING}/certificate"
    body = {"psn_no": psn_no, "valid_from": "2022-06-01", "psn_name": "陈小宝"}
    before = counts(url)
    elsewhere = client.post(
        f"/api/v1/persons/{OWN_NUMBER}/enrollments/{NANMING}/certificate",
        json=body,
        headers=auth("clerk", GUIYANG),
    )
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (404, "body.psn_no")
    assert counts(url) == before
    attached = client.post(path, json=body, headers=CLERK)
    assert attached.status_code == 200
    assert attached.json() == {
        "status": "accepted",
        "reason": "已补登证件号码。",
        "psn_no": psn_no,
        "rlts_id": None,
        "change_id": attached.json()["change_id"],
        "decisions": [],
    }
    assert changed(before, counts(url)) == {
        "change_log": 1,
        "certificate": 1,
        "person_version": 1,
    }
    shown = client.get(
        f"/api/v1/persons/{OWN_NUMBER}", params={"as_of": "2022-06-01"}, headers=CLERK
    ).json()["baseinfo"]
    assert (shown["psn_no"], shown["certno"], shown["psn_name"]) == (psn_no, OWN_NUMBER, "陈小宝")
    again = client.post(path, json=body, headers=CLERK).json()
    assert (again["status"], again["reason"]) == ("unchanged", "该证件已属于该人员。")
    middle = counts(url)
    taken = client.post(
        f"/api/v1/persons/{WANG}/enrollments/{KAIPING}/certificate", json=body, headers=CLERK
    ).json()
    assert (taken["status"], taken["reason"], taken["psn_no"]) == (
        "refused",
        f"证件号码{WANG}已登记给另一人员。",
        None,
    )
    assert counts(url) == middle


def test_a_newborn_is_registered_under_a_parents_name_without_a_number(
    client: TestClient, url: str
) -> None:
    """B5 through the API: no number in the path; the answer's psn_no names the newborn until
    the number is attached; another region's clerk is refused before anything is written."""
    body = {"psn_name": "陈大文", "brdy": "2022-03-01", "gend": "1", "accepted_on": "2022-04-01",
            "hukou_admdvs": KAIPING, "paid_on": "2022-04-01",
            "proofs": ["入户后的户口簿"]}  # fmt: skip
    before = counts(url)
    path = f"/api/v1/regions/{KAIPING}/newborns"
    elsewhere = client.post(path, json=body, headers=auth("clerk", GUIYANG))
    assert elsewhere.status_code == 403
    assert counts(url) == before
    done = client.post(path, json=body, headers=CLERK)
    assert done.status_code == 200
    answer = done.json()
    assert (answer["status"], [d["rules"] for d in answer["decisions"]][1]) == (
        "accepted",
        ["B4", "B5"],
    )
    started = answer["decisions"][1]
    assert (started["benefit_start"], started["update_newborn_identity"]) == ("2022-03-01", True)
    assert changed(before, counts(url)) == {
        "change_log": 2,
        "person": 1,
        "person_version": 1,
        "enrollment": 1,
        "enrollment_version": 1,
    }
    with ready(url).connect() as connection:
        person = registry.person_as_of(connection, answer["psn_no"], date(2022, 4, 1))
    assert person is not None
    assert (person["psn_name"], person["under_parent_name"], person["brdy"]) == (
        "陈大文",
        True,
        date(2022, 3, 1),
    )
    attached = client.post(
        f"/api/v1/persons/{OWN_NUMBER}/enrollments/{KAIPING}/certificate",
        json={"psn_no": answer["psn_no"], "valid_from": "2022-06-01", "psn_name": "陈小宝"},
        headers=CLERK,
    )
    assert (attached.json()["status"], attached.json()["psn_no"]) == ("accepted", answer["psn_no"])


# --- B13: residence permits ------------------------------------------------------------------


def test_expired_permits_stop_the_relations_of_the_region_only(
    client: TestClient, url: str
) -> None:
    """Two residents whose permits expired on 2022-06-30, one in Kaiping, one in Nanming:
    Jiangmen's clerk stops Kaiping's only; Guiyang's gets Nanming's only."""

    def permit_holder(serial: int, region: str) -> str:
        return register(
            url,
            Registration(
                chg_type=NEW,
                psn_name="赵六",
                certno=certno("440100", serial),
                gend="1",
                brdy=date(1992, 2, 2),
                insuplc_admdvs=region,
                hukou_admdvs="440100",
                resd_admdvs=region,
                permit_expires_on=date(2022, 6, 30),
                accepted_on=date(2021, 10, 20),
            ),
        )

    kaiping, nanming = permit_holder(1, KAIPING), permit_holder(2, NANMING)
    path = f"/api/v1/regions/{KAIPING}/permits/expiry"
    before = counts(url)
    early = client.post(path, json={"as_of": "2022-06-30"}, headers=CLERK)
    assert early.json() == {"outcomes": []}
    stopped = client.post(path, json={"as_of": "2022-07-15"}, headers=CLERK).json()["outcomes"]
    assert [(o["status"], o["psn_no"], o["decisions"][0]["rules"]) for o in stopped] == [
        ("accepted", kaiping, ["B2", "B13"])
    ]
    assert changed(before, counts(url)) == {"change_log": 1, "enrollment_version": 1}
    with ready(url).connect() as connection:
        assert [r["psn_insu_stas"] for r in registry.enrollments_as_of(
            connection, kaiping, date(2022, 7, 1))] == ["2"]  # fmt: skip
        assert [r["psn_insu_stas"] for r in registry.enrollments_as_of(
            connection, nanming, date(2022, 7, 1))] == ["1"]  # fmt: skip
    assert client.post(path, json={"as_of": "2022-07-15"}, headers=CLERK).json() == {"outcomes": []}
    after = counts(url)
    guiyang = client.post(
        f"/api/v1/regions/{GUIYANG}/permits/expiry",
        json={"as_of": "2022-07-15"},
        headers=auth("clerk", GUIYANG),
    ).json()["outcomes"]
    # Guiyang's documents give no stop on expiry: the engine keeps the relation.
    assert [(o["status"], o["psn_no"]) for o in guiyang] == [("unchanged", nanming)]
    assert counts(url) == after


# --- the funding request's files -------------------------------------------------------------


def test_the_funding_request_downloads_per_fund(client: TestClient, url: str) -> None:
    base = f"/api/v1/regions/{NANMING}/hardship"
    listed = (
        "姓名,身份证号码,身份类别,变动类型,认定日期\r\n王伟," + ZHAO + ",dibao,新增,2021-11-01\r\n"
    )
    files = {"file": ("名单.csv", listed.encode("utf-8-sig"), "text/csv")}
    clerk, reviewer, analyst = (auth(role, GUIYANG) for role in ("clerk", "reviewer", "analyst"))
    imported = client.post(f"{base}/lists/civil_affairs/2021-11", files=files, headers=clerk)
    assert imported.json()["accepted"] == 1
    confirmed = client.post(f"{base}/lists/civil_affairs/2021-11/confirmation", headers=reviewer)
    assert confirmed.json() == {"confirmed": 1}
    totals = client.get(f"{base}/funding/2022", headers=analyst).json()
    assert totals["persons"] == 1 and totals["totals"]
    before = counts(url)
    for fund, amount in totals["totals"].items():
        answer = client.get(f"{base}/funding/2022/xlsx", params={"fund": fund}, headers=analyst)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"南明区2022年度资助参保资金申请-{FUNDING_SOURCES[fund]}.xlsx"
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="hardship-funding-{NANMING}-2022-{fund}.xlsx"; '
            f"filename*=UTF-8''{quote(name, safe='')}"
        )
        sheet = load_workbook(io.BytesIO(answer.content)).active
        assert sheet is not None
        rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
        [line] = [row for row in rows if row[2] == ZHAO]
        assert (line[0], line[1], line[3]) == (1, "王伟", NANMING)
        assert rows[-1][0] == "合计" and f"{rows[-1][-1]:.2f}" == amount
    summary = client.get(f"{base}/funding/2022/xlsx", headers=analyst)
    sheet = load_workbook(io.BytesIO(summary.content)).active
    assert sheet is not None
    assert sorted(
        (row[0], f"{row[2]:.2f}") for row in sheet.iter_rows(min_row=3, values_only=True)
    ) == sorted((FUNDING_SOURCES[fund], amount) for fund, amount in totals["totals"].items())
    missing = next(fund for fund in FUNDING_SOURCES if fund not in totals["totals"])
    none = client.get(f"{base}/funding/2022/xlsx", params={"fund": missing}, headers=analyst)
    assert (none.status_code, none.json()["field"]) == (404, "query.fund")
    assert counts(url) == before


# --- the scope in the query ------------------------------------------------------------------


def test_the_status_query_and_scope_regions_read_the_holders_relations(url: str) -> None:
    """``access.read_status``: one answer for nobody and for another region's person."""
    from canbao.policy import load_policy

    policy = load_policy()
    with ready(url).begin() as connection:

        def read(number: str, scope: str) -> object:
            found = access.read_status(
                connection, policy, "01", number, scope, date(2022, 1, 1), "x", "/r", None
            )
            return None if found is None else (found.regions, found.status is not None)

        assert read(WANG, JIANGMEN) == (frozenset({KAIPING}), True)
        assert read(ZHAO, JIANGMEN) is None
        assert read(ZHAO, GUIYANG) == (frozenset({NANMING}), True)
        assert read(certno(KAIPING, 99), JIANGMEN) is None

"""The person pages and the registration form, in process on both databases: the search within
the scope (masked for the analyst), the form's errors beside their fields with the typed values
kept, the preview that writes nothing, the save through the registry's use case, the person's
page as of a date (timeline, decisions with rule ids and citations, household) and its audit."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from web_helpers import Demo, sign_in

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from registry_helpers import changed, counts, register

#: A newborn of Kaiping (born 2022-03-01) and two adults of Kaiping and Guiyang (Nanming).
BABY = "44078320220301002X"
WANG, LI = "440783198506150039", "520102198506150038"
NEWBORN = {"type": "new", "certno": BABY, "psn_name": "关小宝", "insuplc_admdvs": "440783",
           "hukou_admdvs": "440783", "accepted_on": "2022-03-20", "psn_type": "1401",
           "paid_on": "2022-03-20"}  # fmt: skip


def text(html: str) -> str:
    """The page's main text, tags removed and spaces collapsed."""
    main = html[html.index("<main>") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def post(client: TestClient, token: str, data: dict[str, Any], step: str) -> Any:
    form = {**data, "csrf_token": token, "step": step}
    return client.post("/registrations/new", data=form, follow_redirects=False)


def test_register_a_newborn_preview_then_save_then_stop(web_client: TestClient, demo: Demo) -> None:
    token = sign_in(web_client, demo, "clerk-440783")
    blank = web_client.get("/registrations/new")
    assert blank.status_code == 200 and 'name="accepted_on"' in blank.text
    # Dates are typed as YYYY-MM-DD, not in the browser's own date format.
    assert re.search(
        r'<input id="f-brdy" name="brdy" type="text" value="" inputmode="numeric" '
        r'pattern="\\d\{4\}-\\d\{2\}-\\d\{2\}" maxlength="10" title="YYYY-MM-DD" '
        r'placeholder="YYYY-MM-DD"',
        blank.text,
    )
    assert f'name="csrf_token" value="{token}"' in blank.text
    before = counts(demo.url)

    wrong = post(web_client, token, NEWBORN | {"certno": "44078320220301002", "psn_name": "",
                                               "accepted_on": "2022-13-01"}, "preview")  # fmt: skip
    assert wrong.status_code == 422
    assert re.findall(r'id="e-(\w+)">([^<]*)<', wrong.text) == [
        ("certno", "证件号码无效：长度应为15位或18位，实为17位"),
        ("psn_name", "必填。"),
        ("accepted_on", "日期应为 YYYY-MM-DD。"),
    ]
    assert 'value="44078320220301002"' in wrong.text and 'value="2022-13-01"' in wrong.text
    outside = post(web_client, token, NEWBORN | {"insuplc_admdvs": "520102"}, "save")
    assert outside.status_code == 422
    assert "区划 520102 不在您的管辖范围（440783）内。" in outside.text

    first = post(web_client, token, NEWBORN, "preview")
    assert first.status_code == 200
    shown = text(first.text)
    assert "不能办理：须提供：入户后的户口簿。" in shown
    assert "须提供的证明材料：入户后的户口簿" in shown
    assert "个人缴费标准 376.00 元 资助 0.00 元 个人应缴 376.00 元" in shown
    assert 'name="proofs" value="入户后的户口簿"' in first.text

    with_proof = NEWBORN | {"proofs": "入户后的户口簿"}
    second = post(web_client, token, with_proof, "preview")
    shown = text(second.text)
    assert "可以办理。" in shown
    assert "待遇开始日期： 2022-03-01" in shown
    assert "依据： B4 开平市2022年度城乡居民基本医疗保险参保工作方案 五（六）1" in shown
    assert counts(demo.url) == before  # a preview writes nothing

    saved = post(web_client, token, with_proof, "save")
    assert saved.status_code == 303
    after = counts(demo.url)
    assert changed(before, after) == {"change_log": 2, "person": 1, "certificate": 1,
                                      "person_version": 1, "enrollment": 1,
                                      "enrollment_version": 1}  # fmt: skip
    with ready(demo.url).connect() as connection:
        v = t.enrollment_version
        version = connection.execute(
            select(
                v.c.valid_from,
                v.c.psn_type,
                v.c.psn_insu_stas,
                v.c.psn_insu_date,
                v.c.benefit_start,
                v.c.waiting_months,
            )  # fmt: skip
        ).one()
        log = connection.execute(
            select(t.change_log.c.id, t.change_log.c.actor, t.change_log.c.rules).where(
                t.change_log.c.action == "register"
            )
        ).one()
    assert tuple(version) == (date(2022, 3, 20), "1401", "1", date(2022, 3, 20),
                              date(2022, 3, 1), 0)  # fmt: skip
    assert log.actor == "clerk-440783" and "B4" in log.rules and "E2" in log.rules
    assert saved.headers["location"] == f"/persons/{BABY}?saved={log.id}"

    page = web_client.get(saved.headers["location"])
    assert page.status_code == 200
    shown = text(page.text)
    assert f"已保存（办理记录 #{log.id} ）。" in shown
    assert "城乡居民基本医疗保险 开平市 新生儿 正常参保 2022-03-20" in shown
    assert f"2022-03-20 正常参保 新生儿 2022-03-20 2022-03-01 0 #{log.id}" in shown
    assert f"#{log.id} 新参保登记" in shown
    assert "依据： B4 开平市2022年度城乡居民基本医疗保险参保工作方案 五（六）1" in shown
    assert changed(after, counts(demo.url)) == {"read_audit": 1}

    stopped = post(web_client, token, {"type": "stop", "certno": BABY, "insuplc_admdvs": "440783",
                                       "accepted_on": "2022-06-01", "stop_reason": "death"},
                   "save")  # fmt: skip
    assert stopped.status_code == 303
    before_stop = text(web_client.get(f"/persons/{BABY}?as_of=2022-05-31").text)
    after_stop = text(web_client.get(f"/persons/{BABY}?as_of=2022-06-01").text)
    assert "截至 2022-05-31 的参保状态" in before_stop
    assert "开平市 新生儿 正常参保 2022-03-20" in before_stop
    assert "开平市 新生儿 终止参保 2022-03-20 2022-06-01" in after_stop
    assert f"#{log.id + 1} 停保 " in after_stop


def test_search_within_the_scope_masked_for_the_analyst_and_the_household(
    web_client: TestClient, demo: Demo
) -> None:
    register(demo.url, Actor("setup"), "王伟", WANG, "440783")
    register(demo.url, Actor("setup"), "王伟", LI, "520102")
    with unit_of_work(demo.url, Actor("setup")) as uow:
        change_id = uow.record("household")
        uow.connection.execute(
            insert(t.household).values(household_id="H1", admdvs="440783", change_id=change_id)
        )
        people = uow.connection.execute(select(t.person.c.psn_no).order_by(t.person.c.psn_no))
        for psn_no in people.scalars():
            uow.connection.execute(
                insert(t.household_member).values(
                    household_id="H1",
                    psn_no=psn_no,
                    joined_on=date(2021, 10, 15),
                    change_id=change_id,
                )  # fmt: skip
            )
    before = counts(demo.url)
    sign_in(web_client, demo, "clerk-440783")
    found = text(web_client.get("/persons", params={"name": "王伟"}).text)
    assert "王伟 440783198506150039 男 1985-06-15 开平市" in found
    assert LI not in found and "共 1 条，第 1–1 条" in found
    by_number = text(web_client.get("/persons", params={"certno": WANG}).text)
    assert "王伟 440783198506150039" in by_number
    bad = web_client.get("/persons", params={"certno": "123"})
    assert bad.status_code == 422 and "证件号码无效" in bad.text

    page = web_client.get(f"/persons/{WANG}", params={"as_of": "2022-01-01"})
    shown = text(page.text)
    assert "家庭成员（截至 2022-01-01）" in shown
    assert "王伟（本人） 440783198506150039 2021-10-15" in shown
    assert LI not in page.text  # a household member of another scope stays unseen
    assert web_client.get(f"/persons/{LI}").status_code == 404
    web_client.cookies.clear()

    sign_in(web_client, demo, "analyst-440783")
    masked = web_client.get("/persons", params={"name": "王伟"}).text
    assert "440783********0039" in masked and WANG not in masked
    assert web_client.get(f"/persons/{WANG}").status_code == 403
    assert changed(before, counts(demo.url)) == {"read_audit": 1}


def test_a_newborn_under_a_parents_name_gets_its_number_later(
    web_client: TestClient, demo: Demo
) -> None:
    """B5 on the form: no number, the parent's name; the newborn's page by psn_no within the
    scope only; the number attached there, with the errors beside their fields first."""
    token = sign_in(web_client, demo, "clerk-440783")
    form = NEWBORN | {"certno": "", "psn_name": "关大文", "proofs": "入户后的户口簿",
                      "under_parent_name": "on"}  # fmt: skip
    missing = post(web_client, token, form | {"brdy": ""}, "save")
    assert missing.status_code == 422
    assert re.findall(r'id="e-(\w+)">([^<]*)<', missing.text) == [("brdy", "无证件号码时必填。")]
    adult = post(web_client, token, form | {"brdy": "2022-03-01", "psn_type": "1501"}, "save")
    assert re.findall(r'id="e-(\w+)">([^<]*)<', adult.text) == [
        ("certno", "必填（新生儿以父母名义登记时可暂缺）。")
    ]
    before = counts(demo.url)
    saved = post(
        web_client, token, form | {"brdy": "2022-03-01", "under_parent_name": "on"}, "save"
    )
    assert saved.status_code == 303
    assert changed(before, counts(demo.url)) == {"change_log": 2, "person": 1,
                                                 "person_version": 1, "enrollment": 1,
                                                 "enrollment_version": 1}  # fmt: skip
    with ready(demo.url).connect() as connection:
        psn_no, flagged = connection.execute(
            select(t.person_version.c.psn_no, t.person_version.c.under_parent_name).where(
                t.person_version.c.psn_name == "关大文"
            )
        ).one()
    assert flagged is True
    location = saved.headers["location"]
    assert location.startswith(f"/persons/unnumbered/{psn_no}?saved=")
    shown = text(web_client.get(location).text)
    assert "证件号码 （尚无证件号码）" in shown and "补登证件号码" in shown
    assert "城乡居民基本医疗保险 开平市 新生儿 正常参保 2022-03-20" in shown
    found = web_client.get("/persons", params={"name": "关大文"}).text
    assert f'<a href="/persons/unnumbered/{psn_no}">关大文</a>' in found

    web_client.cookies.clear()
    sign_in(web_client, demo, "clerk-520100")
    assert web_client.get(f"/persons/unnumbered/{psn_no}").status_code == 404
    web_client.cookies.clear()
    token = sign_in(web_client, demo, "clerk-440783")

    before = counts(demo.url)
    attach = f"/persons/unnumbered/{psn_no}/certificate"
    typed = {"csrf_token": token, "certno": "44078320220301002", "psn_name": "关小明",
             "valid_from": "2022-05-01"}  # fmt: skip
    wrong = web_client.post(attach, data=typed)
    assert wrong.status_code == 422
    assert re.findall(r'id="e-(\w+)">([^<]*)<', wrong.text) == [
        ("certno", "证件号码无效：长度应为15位或18位，实为17位")
    ]
    assert 'value="关小明"' in wrong.text and 'value="2022-05-01"' in wrong.text
    register(demo.url, Actor("setup"), "王伟", WANG, "440783")
    taken = web_client.post(attach, data=typed | {"certno": WANG})
    assert taken.status_code == 409
    assert "已属于另一人员" in text(taken.text)
    before = counts(demo.url)
    done = web_client.post(attach, data=typed | {"certno": BABY}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/persons/{BABY}?saved=")
    assert changed(before, counts(demo.url)) == {"change_log": 1, "certificate": 1,
                                                 "person_version": 1}  # fmt: skip
    again = web_client.get(f"/persons/unnumbered/{psn_no}", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, f"/persons/{BABY}")
    shown = text(web_client.get(f"/persons/{BABY}").text)
    assert "关小明" in shown and psn_no in shown

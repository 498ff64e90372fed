"""The refund pages, in process on both databases: apply (the engine's decision stored with the
case), the applicant's own confirmation refused and said plainly, another user's confirmation,
the payment, the list by state within the scope — and the rows each step wrote."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from test_persons import LI, WANG, text
from web_helpers import Demo, sign_in

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready
from registry_helpers import changed, counts, register

APPLICATION = {"reason": "joined_employee", "year": "2022", "paid_amount": "350.00",
               "paid_on": "2021-11-05", "event_on": "2021-12-01", "applied_on": "2021-12-20",
               "scheme": "resident", "region": ""}  # fmt: skip


def test_apply_confirm_by_another_user_and_pay(web_client: TestClient, demo: Demo) -> None:
    register(demo.url, Actor("setup"), "李娜", LI, "520102")
    register(demo.url, Actor("setup"), "王伟", WANG, "440783")
    admin = sign_in(web_client, demo, "city_admin-520100")
    form = web_client.get(f"/persons/{LI}/refunds/new")
    assert form.status_code == 200 and "退费申请 · 李娜" in form.text
    assert f'name="csrf_token" value="{admin}"' in form.text
    before = counts(demo.url)
    wrong = web_client.post(f"/persons/{LI}/refunds", data=APPLICATION | {
        "csrf_token": admin, "paid_amount": "三百", "applied_on": "2021-11-01"})  # fmt: skip
    assert wrong.status_code == 422
    assert 'id="e-paid_amount">应为数字。<' in wrong.text and 'value="三百"' in wrong.text
    early = web_client.post(f"/persons/{LI}/refunds", data=APPLICATION | {
        "csrf_token": admin, "applied_on": "2021-11-01"})  # fmt: skip
    assert early.status_code == 422
    assert 'id="e-applied_on">申请日期不能早于缴费日期或事由发生日期。<' in early.text
    assert counts(demo.url) == before

    applied = web_client.post(
        f"/persons/{LI}/refunds", data=APPLICATION | {"csrf_token": admin}, follow_redirects=False
    )
    assert applied.status_code == 303
    with ready(demo.url).connect() as connection:
        case_id, amount, channel = connection.execute(
            select(t.refund_case.c.case_id, t.refund_case.c.amount, t.refund_case.c.channel)
        ).one()
    assert applied.headers["location"] == f"/refunds?case={case_id}"
    assert changed(before, counts(demo.url)) == {"change_log": 1, "refund_case": 1}
    assert (str(amount), channel) == ("350.00", "original_payment_channel")
    listed = text(web_client.get("/refunds?state=waiting").text)
    assert f"{case_id} 李娜 {LI} 2022 参加职工医保 350.00 2021-12-20 city_admin-520100" in listed
    assert "350.00 原缴费渠道退回个人 待复核 F6 F1" in listed

    confirm = f"/persons/{LI}/refunds/{case_id}/confirmation"
    own = web_client.post(confirm, data={"csrf_token": admin})
    assert own.status_code == 409
    assert (
        f"未能办理：退费申请 {case_id}由 city_admin-520100 提出，须由另一名经办人复核确认，"
        "不能自行确认。" in text(own.text)
    )
    applied_rows = counts(demo.url)
    web_client.cookies.clear()

    reviewer = sign_in(web_client, demo, "reviewer-520100")
    assert web_client.get("/refunds?state=waiting").text.count("复核确认</button>") == 1
    elsewhere = web_client.post(f"/persons/{WANG}/refunds/{case_id}/confirmation",
                                data={"csrf_token": reviewer})  # fmt: skip
    assert elsewhere.status_code == 404
    done = web_client.post(confirm, data={"csrf_token": reviewer}, follow_redirects=False)
    assert done.status_code == 303
    assert changed(applied_rows, counts(demo.url)) == {"change_log": 1, "review": 1}
    assert "待支付" in text(web_client.get(f"/refunds?case={case_id}").text)
    confirmed_rows = counts(demo.url)
    web_client.cookies.clear()

    clerk = sign_in(web_client, demo, "clerk-520100")
    pay = f"/persons/{LI}/refunds/{case_id}/payment"
    paid = web_client.post(pay, data={"csrf_token": clerk, "paid_on": "2022-01-05"},
                           follow_redirects=False)  # fmt: skip
    assert paid.status_code == 303
    assert changed(confirmed_rows, counts(demo.url)) == {
        "change_log": 1, "refund_payment": 1, "enrollment_version": 1}  # fmt: skip
    again = web_client.post(pay, data={"csrf_token": clerk, "paid_on": "2022-01-05"})
    assert again.status_code == 409 and "已支付，不能重复支付。" in again.text
    shown = text(web_client.get("/refunds?state=paid").text)
    assert f"{case_id} 李娜" in shown and "已支付（2022-01-05）" in shown
    assert "没有退费申请。" in text(web_client.get("/refunds?state=waiting").text)
    web_client.cookies.clear()

    sign_in(web_client, demo, "reviewer-440783")  # Kaiping's scope: another city's case unseen
    assert "没有退费申请。" in text(web_client.get("/refunds").text)

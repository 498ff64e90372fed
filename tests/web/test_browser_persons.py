"""The person pages in real Chromium (issue 9's browser tests): register a newborn and see the
benefit start date; a newborn registered without a number gets it on its page; stop an
enrollment and see it on the timeline as of before and after the stop; a refund applied by a
clerk and confirmed by a second user. Each test uses persons of its own (numbers no demo person
has), registered through the pages or the services."""

from __future__ import annotations

from typing import Any

import pytest
from web_helpers import Demo, log_in

from canbao.adapters.database import Actor
from registry_helpers import register

pytestmark = pytest.mark.browser

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def number(first17: str) -> str:
    """A valid identity number (GB 11643 check character) from its first 17 characters."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def newborn_form(page: Any, live: Demo, name: str) -> None:
    """A Kaiping clerk's 新参保 form for a newborn of Kaiping paid on 2022-03-20, the number
    left to the test."""
    log_in(page, live, "clerk-440783")
    page.click("nav.menu >> text=参保登记")
    page.fill("#f-psn_name", name)
    page.select_option("#f-insuplc_admdvs", "440783")
    page.fill("#f-accepted_on", "2022-03-20")
    page.select_option("#f-psn_type", "1401")
    page.fill("#f-hukou_admdvs", "440783")
    page.fill("#f-paid_on", "2022-03-20")


def test_register_a_newborn_and_see_the_benefit_start(page: Any, live: Demo) -> None:
    baby = number("44078320220301981")
    newborn_form(page, live, "司徒小安")
    page.fill("#f-certno", baby)
    page.click("button[value=preview]")
    assert "须提供：入户后的户口簿" in page.locator(".preview").inner_text()
    page.check("input[name=proofs][value=入户后的户口簿]")
    page.click("button[value=preview]")
    assert page.locator(".preview .benefit-start").inner_text() == "2022-03-01"
    assert page.locator(".preview .payable").inner_text() == "376.00"
    page.click("button[value=save]")
    page.wait_for_url(f"**/persons/{baby}?saved=*")
    assert page.locator("p.saved").is_visible()
    row = page.locator("table.timeline tbody tr").first.locator("td").all_inner_texts()
    assert row[:6] == ["2022-03-20", "正常参保", "新生儿", "2022-03-20", "", "2022-03-01"]


def test_a_newborn_without_a_number_gets_it_on_its_page(page: Any, live: Demo) -> None:
    """B5: registered under the mother's name without a number; the number attached later on
    the newborn's page, which then lives under the number."""
    baby = number("44078320220301984")
    newborn_form(page, live, "梁美华")
    page.fill("#f-brdy", "2022-03-01")
    page.check("input[name=under_parent_name]")
    page.click("button[value=preview]")
    page.check("input[name=proofs][value=入户后的户口簿]")
    page.click("button[value=save]")
    page.wait_for_url("**/persons/unnumbered/*?saved=*")
    assert page.locator("#base dd").nth(1).inner_text() == "（尚无证件号码）"
    page.fill("#attach #f-certno", baby)
    page.fill("#attach #f-psn_name", "梁小玲")
    page.fill("#attach #f-valid_from", "2022-05-01")
    page.click("#attach button[type=submit]")
    page.wait_for_url(f"**/persons/{baby}?saved=*")
    assert page.locator("h1").inner_text().startswith("梁小玲")


def test_stop_an_enrollment_and_see_it_as_of_before_and_after(page: Any, live: Demo) -> None:
    adult = number("44078319900101982")
    register(live.url, Actor("browser-test"), "谢明", adult, "440783")
    log_in(page, live, "clerk-440783")
    page.goto(f"/persons/{adult}")
    page.click("nav.actions >> text=停保")
    assert page.input_value("#f-certno") == adult
    assert page.input_value("#f-insuplc_admdvs") == "440783"
    page.fill("#f-accepted_on", "2022-06-01")
    page.select_option("#f-stop_reason", "joined_employee")
    page.click("button[value=save]")
    page.wait_for_url(f"**/persons/{adult}?saved=*")

    def status_as_of(day: str) -> list[str]:
        page.fill("#f-as_of", day)
        page.click("form.as-of button")
        page.wait_for_url(f"**/persons/{adult}?as_of={day}")
        return page.locator("#status tbody tr").first.locator("td").all_inner_texts()

    assert status_as_of("2022-05-31")[3:] == ["正常参保", "2021-10-15", ""]
    # 参加职工医保 suspends the resident relation (convention.stop_status)
    assert status_as_of("2022-06-01")[3:] == ["暂停参保", "2021-10-15", "2022-06-01"]
    current = page.locator("table.timeline tr.current td").all_inner_texts()
    assert current[:5] == ["2022-06-01", "暂停参保", "普通居民（成年）", "2021-10-15", "2022-06-01"]


def test_a_refund_applied_by_a_clerk_is_confirmed_by_a_reviewer(page: Any, live: Demo) -> None:
    person = number("52010219900101983")
    register(live.url, Actor("browser-test"), "欧阳芳", person, "520102")
    log_in(page, live, "clerk-520100")
    page.click("nav.menu >> text=缴费与退费")
    page.fill("#f-certno", person)
    page.click("text=填写申请")
    page.wait_for_url(f"**/persons/{person}/refunds/new")
    page.select_option("#f-reason", "joined_employee")
    page.fill("#f-year", "2022")
    page.fill("#f-paid_amount", "350.00")
    page.fill("#f-paid_on", "2021-11-05")
    page.fill("#f-event_on", "2021-12-01")
    page.fill("#f-applied_on", "2021-12-20")
    page.click("text=提交申请")
    page.wait_for_url("**/refunds?case=*")
    case = page.url.rsplit("=", 1)[1]
    assert page.locator(f"#case-{case} td.state").inner_text() == "待复核"
    page.click("text=退出")
    page.wait_for_url("**/login")

    log_in(page, live, "reviewer-520100")
    page.goto("/refunds?state=waiting")
    page.locator(f"#case-{case}").locator("text=复核确认").click()
    page.wait_for_url(f"**/refunds?case={case}")
    assert page.locator(f"#case-{case} td.state").inner_text() == "待支付"

"""The web UI's session and security, in process on both databases: the login form, the
session cookie, the CSRF check, the menu per role, pages for errors, the API untouched."""

from __future__ import annotations

from fastapi.testclient import TestClient
from web_helpers import Demo, sign_in

from canbao.web.pages import MENU


def test_a_page_without_a_session_goes_to_the_login_page(web_client: TestClient) -> None:
    answer = web_client.get("/?year=2026", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/%3Fyear%3D2026"


def test_a_wrong_password_shows_the_form_again_with_the_name_kept(
    web_client: TestClient,
) -> None:
    answer = web_client.post("/login", data={"username": "clerk-520100", "password": "wrong"})
    assert answer.status_code == 401
    assert "用户名或密码错误。" in answer.text
    assert 'value="clerk-520100"' in answer.text
    assert "canbao_session" not in answer.headers.get("set-cookie", "")


def test_login_sets_an_httponly_cookie_and_follows_next_on_this_site_only(
    web_client: TestClient, demo: Demo
) -> None:
    data = {"username": "clerk-520100", "password": demo.passwords["clerk-520100"]}
    answer = web_client.post("/login", data={**data, "next": "//evil.example/x"},
                             follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("canbao_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    again = web_client.post("/login", data={**data, "next": "/persons"}, follow_redirects=False)
    assert again.headers["location"] == "/persons"


def test_the_menu_shows_only_what_the_role_may_do(web_client: TestClient, demo: Demo) -> None:
    expected = {
        "clerk-520100": ["首页", "人员查询", "参保登记", "缴费与退费", "重复参保", "困难人员",
                         "批量导入", "税务征缴", "政策查看"],
        "reviewer-520100": ["首页", "人员查询", "缴费与退费", "重复参保", "困难人员", "政策查看"],
        "tax-520100": ["首页", "人员查询", "税务征缴", "政策查看"],
        "analyst-520100": ["首页", "人员查询", "重复参保", "困难人员", "政策查看"],
    }  # fmt: skip
    for name, labels in expected.items():
        sign_in(web_client, demo, name)
        page = web_client.get("/").text
        nav = page[page.index('<nav class="menu"') : page.index("</nav>")]
        assert [item.label for item in MENU if f">{item.label}</a>" in nav] == labels, name
        web_client.cookies.clear()


def test_a_change_without_the_csrf_value_is_refused(web_client: TestClient, demo: Demo) -> None:
    token = sign_in(web_client, demo, "clerk-520100")
    refused = web_client.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert "页面已过期或来源不明" in refused.text
    wrong = web_client.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert wrong.status_code == 403
    done = web_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/login"
    assert 'canbao_session=""' in done.headers["set-cookie"]


def test_the_api_still_answers_json_and_ignores_the_cookie(
    web_client: TestClient, demo: Demo
) -> None:
    sign_in(web_client, demo, "clerk-520100")
    answer = web_client.get("/api/v1/persons?name=x")
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized"
    missing = web_client.get("/no-such-page")
    assert missing.status_code == 404
    assert "没有这个页面。" in missing.text and "<html" in missing.text


def test_every_asset_is_served_by_the_service(web_client: TestClient, demo: Demo) -> None:
    sign_in(web_client, demo, "clerk-520100")
    page = web_client.get("/").text
    assert 'lang="zh-CN"' in page
    for asset in ("/static/app.css", "/static/app.js", "/static/vendor/htmx.min.js",
                  "/static/vendor/echarts.min.js"):  # fmt: skip
        assert f'"{asset}"' in page
        assert web_client.get(asset).status_code == 200
    assert "http://" not in page and "https://" not in page

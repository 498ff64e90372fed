"""Users and logins: ``canbao user add`` keeps an argon2 hash only; the token route answers
a signed token for the right password and 401 otherwise; failed logins are limited per
username and per client address; identity numbers are masked in the access log."""

from __future__ import annotations

import io
import logging

import pytest
from api_helpers import KAIPING, WANG, settings_for
from fastapi.testclient import TestClient
from sqlalchemy import select

from canbao.adapters import tables as t
from canbao.adapters.database import ready
from canbao.api import create_app
from canbao.api.errors import ApiError
from canbao.api.masking import MaskingFilter
from canbao.api.security import LoginLimiter
from canbao.cli import main
from canbao.config import settings
from registry_helpers import changed, counts

PASSWORD = "correct horse battery"


def add(monkeypatch: pytest.MonkeyPatch, url: str, *args: str, password: str = PASSWORD) -> int:
    monkeypatch.setenv("CANBAO_DATABASE_URL", url)
    monkeypatch.setenv("CANBAO_ACTOR", "admin")
    settings.cache_clear()
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    try:
        return main(["user", "add", *args])
    finally:
        settings.cache_clear()


def test_user_add_keeps_a_hash_and_the_token_route_signs_in(
    monkeypatch: pytest.MonkeyPatch, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(url)
    assert (
        add(monkeypatch, url, "wang", "--role", "clerk", "--region", KAIPING, "--password-stdin")
        == 0
    )
    assert capsys.readouterr().out == f"用户 wang 已创建：经办员，区划 {KAIPING}\n"
    assert changed(before, counts(url)) == {
        "change_log": 1,
        "app_user": 1,
    }
    with ready(url).connect() as connection:
        row = connection.execute(select(t.app_user)).mappings().one()
        actor = connection.execute(
            select(t.change_log.c.actor).where(t.change_log.c.id == row["change_id"])
        ).scalar_one()
    assert (row["username"], row["role"], row["admdvs"], actor) == (
        "wang",
        "clerk",
        KAIPING,
        "admin",
    )
    assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]

    refused = [
        (("wang", "--role", "clerk", "--region", KAIPING), PASSWORD, "已存在"),
        (("li", "--role", "boss", "--region", KAIPING), PASSWORD, "角色"),
        (("li", "--role", "clerk", "--region", "440000"), PASSWORD, "不是政策数据中的市或县"),
        (("li", "--role", "clerk", "--region", KAIPING), "short", "至少10个字符"),
    ]
    for args, password, reason in refused:
        assert add(monkeypatch, url, *args, "--password-stdin", password=password) == 2
        assert reason in capsys.readouterr().err
    assert add(monkeypatch, url, "li", "--role", "clerk", "--region", KAIPING) == 2

    with TestClient(create_app(settings_for(url))) as client:
        token = client.post("/api/v1/auth/token", data={"username": "wang", "password": PASSWORD})
        assert token.status_code == 200
        body = token.json()
        assert (body["token_type"], body["expires_in"]) == ("bearer", 480 * 60)
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        assert client.get("/api/v1/health", headers=bearer).json() == {
            "status": "ok",
            "user": "wang",
        }
        assert client.get(f"/api/v1/persons/{WANG}", headers=bearer).status_code == 200
        wrong = client.post("/api/v1/auth/token", data={"username": "wang", "password": "nope"})
        assert wrong.status_code == 401 and wrong.json() == {
            "code": "unauthorized",
            "message": "用户名或密码错误。",
            "field": None,
        }
        # The second failure reaches the limit (login_failures=2): now even the right
        # password is refused, for this user and from this address.
        client.post("/api/v1/auth/token", data={"username": "nobody", "password": "nope"})
        limited = client.post("/api/v1/auth/token", data={"username": "wang", "password": PASSWORD})
        assert (limited.status_code, limited.json()["code"]) == (429, "too_many_attempts")
        assert int(limited.headers["retry-after"]) > 0


def test_the_limit_counts_failures_per_key_within_the_window() -> None:
    limiter = LoginLimiter(failures=2, window_seconds=0.2)
    limiter.failed("user:a", "address:1")
    limiter.check("user:a", "address:1")
    limiter.failed("user:a", "address:2")
    with pytest.raises(ApiError) as refused:
        limiter.check("user:a")
    assert refused.value.status == 429
    limiter.check("user:b", "address:1")  # one failure each: still allowed
    limiter.succeeded("user:a")
    limiter.check("user:a")


def test_identity_numbers_are_masked_in_the_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/v1/persons/{WANG}?tel=13800138000", "1.1", 200), None,
    )  # fmt: skip
    assert MaskingFilter().filter(record)
    assert record.getMessage() == (
        '127.0.0.1:5000 - "GET /api/v1/persons/440***********0014?tel=138****8000 HTTP/1.1" 200'
    )

"""What the web UI's tests share: the demo database with its users' passwords, the app's
settings, logging in through the test client or the browser."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from canbao.adapters.database import Actor, unit_of_work, upgrade
from canbao.api.settings import ApiSettings
from canbao.services import users

CHROMIUM = os.environ.get("CANBAO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DEMO_PERSONS = 400


@dataclass
class Demo:
    """A database with the demo population and users: their passwords by name."""

    url: str
    passwords: dict[str, str] = field(default_factory=dict)
    base: str = ""


def demo_database(url: str, persons: int = DEMO_PERSONS) -> Demo:
    """``canbao serve``'s first start: the demo population and the demo users; with
    ``persons=0`` the users alone (the in-process tests of the pages' security)."""
    upgrade(url)
    if persons:
        created = users.first_start(url, persons)
    else:
        with unit_of_work(url, Actor("setup")) as uow:
            created = users.add_demo_users(uow)
    return Demo(url, {user.name: password for user, password in created})


def settings_for(url: str) -> ApiSettings:
    return ApiSettings(database_url=url, secret_key="web-test-key", login_failures=50)


def sign_in(client: TestClient, demo: Demo, name: str) -> str:
    """Log the test client in as a demo user; the session's CSRF value (from the dashboard)."""
    answer = client.post(
        "/login", data={"username": name, "password": demo.passwords[name]}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/")
    assert page.status_code == 200
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def log_in(page: Any, demo: Demo, name: str) -> None:
    """Through the login form, as a person would."""
    page.goto("/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", demo.passwords[name])
    page.click("button[type=submit]")
    page.wait_for_url("**/")

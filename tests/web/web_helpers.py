"""What the web UI's tests (and scripts/screenshots.py) share: the demo database with its users'
passwords, the app's settings and a live server of it, a watched browser page, logging in
through the test client or the browser."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from fastapi.testclient import TestClient

from canbao.adapters.database import Actor, unit_of_work, upgrade
from canbao.api import create_app
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


def start_server(settings: ApiSettings) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The app served by uvicorn on a free loopback port in a thread, once it serves: the
    server (``should_exit`` stops it), its thread and its base address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start within 30 s"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def watched_page(browser: Any, base: str, problems: list[str]) -> tuple[Any, Any]:
    """A fresh context (no cookies) at 1366×768 in zh-CN and its page, which adds to
    ``problems`` every console error, page error and request to a host but the server's
    (refused)."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", base_url=base
    )
    own = urlsplit(base).netloc

    def route(route: Any) -> None:
        target = urlsplit(route.request.url)
        if target.scheme in ("data", "blob") or target.netloc == own:
            route.continue_()
        else:
            problems.append(f"request to another host: {route.request.url}")
            route.abort()

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return context, page

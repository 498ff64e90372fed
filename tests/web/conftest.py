"""The web UI's tests.

In process (FastAPI's test client): ``web_client`` on a database of the test's own with the
demo users and no persons (``database_url``: SQLite, then PostgreSQL).

In a real browser (marker ``browser``): ``live`` is ``canbao serve``'s app on a SQLite demo
database of the run, served by uvicorn on a free loopback port in a thread; ``page`` is a
Chromium page (Debian's /usr/bin/chromium through Playwright's Python API, 1366×768, zh-CN)
that fails its test on any console error, any page error and any request to another host,
and keeps a screenshot of the test's last page in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import (
    ARTIFACTS,
    CHROMIUM,
    Demo,
    demo_database,
    settings_for,
    start_server,
    watched_page,
)

from canbao.api import create_app


@pytest.fixture
def demo(database_url: str) -> Demo:
    return demo_database(database_url, persons=0)


@pytest.fixture
def web_client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(demo.url)), raise_server_exceptions=False) as client:
        yield client


# --- the browser tier ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'canbao.db'}"
    found = demo_database(url)
    server, thread, found.base = start_server(settings_for(url))
    yield found
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"Debian's Chromium is missing at {CHROMIUM}: make setup installs chromium, "
        "chromium-driver and fonts-noto-cjk (scripts/install-system.sh)"
    )
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    assert fonts.stdout.strip(), (
        "no CJK font: Chinese pages would render as boxes; make setup installs fonts-noto-cjk "
        "(scripts/install-system.sh)"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live: Demo, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh context (no cookies) at 1366×768 in zh-CN; fails the test on a console error,
    a page error or a request to any host but the server's."""
    problems: list[str] = []
    context, tab = watched_page(browser, live.base, problems)
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert problems == []

"""The UI in real Chromium (Debian's, through Playwright): log in, see the dashboard."""

from __future__ import annotations

from typing import Any

import pytest
from web_helpers import Demo, log_in

pytestmark = pytest.mark.browser


def test_login_shows_the_dashboard_in_chinese(page: Any, live: Demo) -> None:
    page.goto("/")
    assert page.url.startswith(f"{live.base}/login")
    log_in(page, live, "city_admin-520100")
    assert page.locator("h1").inner_text().startswith("首页")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("nav.menu a").all_inner_texts()[0] == "首页"

"""Screenshots of the web UI's main pages for the README: docs/screenshots/<page>.png at 1366×768.

    .venv/bin/python scripts/screenshots.py [--persons 2000] [--out docs/screenshots]

Starts the demo server as ``canbao serve`` does on a first start (a new SQLite database in a
temporary folder: the demo population, its collection year and the demo users) on a free
loopback port, logs in through the form as city_admin-520100 with Debian's Chromium (the
browser tests' set-up, tests/web/web_helpers.py: Playwright's Python API, /usr/bin/chromium or
``CANBAO_CHROMIUM``) and photographs each page of ``PAGES`` that the service has (a page
answering 404 is skipped and named). Exit status 1 when a page logs a console error or asks
another host.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from canbao.adapters import tables as t
from canbao.adapters.database import ready

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "web"))
from web_helpers import CHROMIUM, demo_database, settings_for, start_server, watched_page  # noqa: E402

USER = "city_admin-520100"
#: File name → path ({certno}: a person enrolled in 南明区).
PAGES = (
    ("dashboard", "/"),
    ("persons", "/persons"),
    ("person", "/persons/{certno}"),
    ("registration", "/registrations/new"),
    ("refunds", "/refunds"),
    ("duplicates", "/duplicates"),
    ("hardship", "/hardship"),
    ("imports", "/imports"),
    ("collection", "/collection/520100/2022"),
    ("policy", "/policy"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=2000, help="demo persons to load")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print(f"Debian's Chromium is missing at {CHROMIUM} (scripts/install-system.sh)")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="canbao-shots-") as folder:
        demo = demo_database(f"sqlite:///{Path(folder) / 'canbao.db'}", args.persons)
        with ready(demo.url).connect() as connection:
            certno = connection.execute(
                select(t.certificate.c.certno)
                .join(t.enrollment, t.enrollment.c.psn_no == t.certificate.c.psn_no)
                .where(t.enrollment.c.insuplc_admdvs == "520102")
                .order_by(t.certificate.c.certno)
                .limit(1)
            ).scalar_one()
        server, thread, base = start_server(settings_for(demo.url))
        problems: list[str] = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
                )
                _context, page = watched_page(browser, base, problems)
                page.goto("/login")
                page.fill("input[name=username]", USER)
                page.fill("input[name=password]", "")
                _shoot(page, args.out / "login.png")
                page.fill("input[name=password]", demo.passwords[USER])
                page.click("button[type=submit]")
                page.wait_for_url("**/")
                for name, path in PAGES:
                    before = len(problems)
                    answer = page.goto(path.format(certno=certno))
                    if answer is None or answer.status == 404:
                        del problems[before:]  # the browser logs the 404 itself
                        print(f"skipped  {name:<13} {path}: not served yet")
                        continue
                    if name == "duplicates":  # the queue with the demo's duplicates proposed
                        page.click("form[action='/duplicates/detection'] button[type=submit]")
                        page.wait_for_load_state()
                    _shoot(page, args.out / f"{name}.png")
                browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _shoot(page: Any, path: Path) -> None:
    """The viewport once the page's charts are drawn (ECharts' animation finished)."""
    for chart in page.locator(".chart").all():
        chart.locator("canvas").wait_for(state="attached", timeout=10_000)
    if page.locator(".chart").count():
        page.wait_for_timeout(1200)
    page.screenshot(path=str(path))
    print(f"saved    {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    sys.exit(main())

"""The README's examples are the command line's actual answers: each ``$ canbao …`` block is
run and compared with the block that follows it (JSON exactly; text line by line, where
``…`` stands for lines left out), each example case shown is the file in examples/, and its
first command (``make run``: ``canbao serve``) serves the API."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from canbao.services.users import DEMO_SCOPES
from conftest import CANBAO, ROOT, Run

README = (ROOT / "README.md").read_text(encoding="utf-8")
SHOWN = re.findall(
    r"```sh\n\$ canbao ([^\n]+)\n```\n\n```(json|text)\n(.*?)\n```", README, re.DOTALL
)
CASES = re.findall(r"`(examples/[a-z_]+\.json)`:\n\n```json\n(.*?)\n```", README, re.DOTALL)


def test_the_readme_opens_with_make_run_and_make_test() -> None:
    assert README.split("\n")[2:6] == [
        "```sh",
        "make run    # sets up .venv and runs the service: canbao serve on http://127.0.0.1:8000",
        "make test   # sets up .venv, then lint, type checks, the policy data check and every "
        "test tier",
        "```",
    ]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run: setup\n\t(.+)$", makefile, re.MULTILINE)
    assert recipe is not None and recipe.group(1) == "$(BIN)/canbao serve"


def test_the_first_command_serves_and_loads_data_once(tmp_path: Path) -> None:
    """What ``make run`` runs, on a fresh database and a free port: the demo users' passwords
    are printed once, one signs in and reaches the API, another opens the printed address and
    logs in through the web form to the dashboard; started again, it loads nothing."""
    environment = os.environ | {"CANBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'canbao.db'}"}
    with serving(environment) as (port, printed):
        passwords = dict(re.findall(r"^  (\S+-\d{6}) .* (\S+)$", printed, re.MULTILINE))
        assert sorted(passwords) == sorted(
            f"{role}-{region}" for region, roles in DEMO_SCOPES for role in roles
        )
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/api/v1/health").status_code == 401
        token = httpx.post(
            f"{base}/api/v1/auth/token",
            data={"username": "clerk-440783", "password": passwords["clerk-440783"]},
        ).json()["access_token"]
        health = httpx.get(f"{base}/api/v1/health", headers={"Authorization": f"Bearer {token}"})
        assert health.json() == {"status": "ok", "user": "clerk-440783"}
        assert "canbao" in httpx.get(f"{base}/docs").text
        address = re.search(r"^服务地址 (http://\S+) ", printed, re.MULTILINE)
        assert address is not None and address.group(1) == f"{base}/"
        with httpx.Client(base_url=base) as browser:
            assert browser.get("/").headers["location"] == "/login?next=/"
            form = browser.get("/login").text
            assert '<html lang="zh-CN">' in form and 'name="username"' in form
            signed_in = browser.post(
                "/login",
                data={"username": "reviewer-440783", "password": passwords["reviewer-440783"]},
                follow_redirects=True,
            )
            assert signed_in.status_code == 200
            assert "首页 · 2022 年度" in signed_in.text and "开平市" in signed_in.text
    with serving(environment) as (_port, printed):
        assert printed.startswith("数据库已有数据，未加载任何数据")


@contextmanager
def serving(environment: dict[str, str]) -> Iterator[tuple[int, str]]:
    """``canbao serve`` on a free port until it serves; its stdout up to then; stopped after
    (Ctrl+C), checking that it stopped cleanly."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [CANBAO, "serve", "--port", str(port), "--demo-persons", "300"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        printed = ""
        while "服务地址" not in printed:
            line = server.stdout.readline()
            assert line, f"canbao serve stopped: {server.stderr.read() if server.stderr else ''}"
            printed += line
        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port, printed
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=60) == 0


def test_the_readme_shows_an_example_of_every_kind() -> None:
    examples = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.json"))
    assert sorted(path for path, _ in CASES) == examples
    kinds = {json.loads((ROOT / path).read_text(encoding="utf-8"))["kind"] for path in examples}
    assert kinds == {"contribution", "eligibility", "benefit_start", "duplicates", "refund"}
    assert [args for args, _, _ in SHOWN if args.startswith("decide ")] == [
        f"decide {path}" for path, _ in CASES
    ]


@pytest.mark.parametrize(("path", "shown"), CASES, ids=[path for path, _ in CASES])
def test_each_case_shown_is_the_example_file(path: str, shown: str) -> None:
    assert json.loads(shown) == json.loads((ROOT / path).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("args", "language", "shown"), SHOWN, ids=[a for a, _, _ in SHOWN])
def test_each_answer_shown_is_the_actual_answer(
    canbao: Run, args: str, language: str, shown: str
) -> None:
    out = canbao(*shlex.split(args)).stdout.decode("utf-8")
    if language == "json":
        assert json.loads(shown) == json.loads(out), f"README: paste the output of canbao {args}"
        return
    actual = out.splitlines()
    at = 0
    for line in shown.splitlines():
        if line == "…":
            continue
        assert line in actual[at:], f"README: `canbao {args}` no longer prints {line!r}"
        at = actual.index(line, at) + 1

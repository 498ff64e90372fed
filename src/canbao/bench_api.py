"""``canbao bench api``: the service under load from a loopback generator, on PostgreSQL.

A private PostgreSQL server (:mod:`canbao.adapters.postgres_server`) gets the demo population
of ``persons`` persons (``bench_registry.populate``); ``canbao serve`` runs on it in a
subprocess on a free port (one process, as ``make run`` starts it, the access log on); the
generator — one asyncio process writing plain HTTP/1.1 (``_Connection``), ``concurrency``
connections kept alive, each with one request outstanding (a closed loop: the p99 is per
request at that concurrency) — sends ``requests`` requests to each of, the same generator
and concurrency for both:

* **status query** — ``GET /api/v1/persons/{certno}``: the guard (token and role, no
  database), then on one connection the holder's status with the scope checked from their
  relations (one statement) and the audited read (``services.access.read_status``), for
  persons of Kaiping at random, as a tax interface user of Jiangmen;
* **minimal endpoint** — ``GET /api/v1/health`` of the same server, same token and guard
  (no database): the baseline that shows what the framework and the generator cost.

Figures: throughput (requests/s) and p50/p99 latency as the generator sees them; the status
query's throughput as a share of the minimal endpoint's. Targets (issue 8): p99 ≤ 20 ms and
at least half of the minimal endpoint's throughput, with 1,000,000 persons.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from canbao.adapters import tables as t
from canbao.adapters.database import ready
from canbao.api.security import issue_token
from canbao.api.settings import ApiSettings
from canbao.bench_registry import percentile, populate
from canbao.services.users import User

BEGIN, END = "<!-- bench api: begin -->", "<!-- bench api: end -->"
REGION, SCOPE = "440783", "440700"
SEED = 8
WARM_UP = 50


@dataclass(frozen=True)
class Load:
    """What the generator measured on one route."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    #: The server process's CPU time per request (user + system, from /proc): what a request
    #: costs the server whatever else the machine runs.
    server_cpu_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def p(self, n: int) -> float:
        return percentile(self.latencies_ms, n)


def bench_api(
    persons: int, requests: int, concurrency: int, say: Callable[[str], None] = lambda _: None
) -> tuple[Load, Load]:
    """(status query, minimal endpoint) on a private PostgreSQL server."""
    from canbao.adapters.postgres_server import private_server

    with private_server() as server:
        server.execute("CREATE DATABASE bench_api")
        url = server.url("bench_api")
        ready(url)
        say(f"population: {persons:,} persons (canbao demo)")
        populate(url, persons)
        with ready(url).connect() as connection:
            certnos = list(
                connection.execute(
                    select(t.certificate.c.certno)
                    .join(t.enrollment, t.enrollment.c.psn_no == t.certificate.c.psn_no)
                    .where(t.enrollment.c.insuplc_admdvs == REGION)
                    .distinct()
                ).scalars()
            )
        ready(url).dispose()
        key = secrets.token_urlsafe(32)
        token = issue_token(ApiSettings(secret_key=key), User("bench", "tax", SCOPE))
        headers = {"Authorization": f"Bearer {token}"}
        rng = random.Random(SEED)
        with _serving(url, key) as (base, pid):
            say(f"minimal endpoint: {requests:,} requests, {concurrency} connections")
            minimal = _drive(base, pid, ["/api/v1/health"] * requests, headers, concurrency)
            say(f"status query: {requests:,} requests, {concurrency} connections")
            paths = [f"/api/v1/persons/{rng.choice(certnos)}" for _ in range(requests)]
            status = _drive(base, pid, paths, headers, concurrency)
    return status, minimal


@contextmanager
def _serving(url: str, key: str) -> Iterator[tuple[str, int]]:
    """``canbao serve`` on the database and a free port, until the block ends: its base URL
    and process id."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = os.environ | {"CANBAO_DATABASE_URL": url, "CANBAO_SECRET_KEY": key}
    process = subprocess.Popen(
        [sys.executable, "-m", "canbao", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("canbao serve 未能启动")
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def _drive(
    base: str, pid: int, paths: list[str], headers: dict[str, str], concurrency: int
) -> Load:
    return asyncio.run(_load(base, pid, paths, headers, concurrency))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Connection:
    """One kept-alive HTTP/1.1 connection of the generator: a request written as bytes, the
    answer's status line and headers read up to the blank line, its body by Content-Length.
    That is all the generator needs of HTTP, and it costs the shared processors a fraction of
    what a general client (httpx) costs per request: the machine's 2 cores run the server and
    the generator, so the generator's own cost would otherwise weigh on both routes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str) -> _Connection:
        host, _, port = base.removeprefix("http://").partition(":")
        return cls(*await asyncio.open_connection(host, int(port)))

    async def get(self, path: str, head: bytes) -> tuple[int, bytes]:
        self.writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + head)
        lines = (await self.reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        length = next(
            int(line.split(b":", 1)[1]) for line in lines if line[:15].lower() == b"content-length:"
        )
        return int(lines[0].split(b" ", 2)[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def _load(
    base: str, pid: int, paths: list[str], headers: dict[str, str], concurrency: int
) -> Load:
    """Every path requested once (after a warm-up), ``concurrency`` connections each with one
    request at a time (a closed loop: a connection sends its next request when the answer to
    the last one is read)."""
    host = base.removeprefix("http://")
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host, **headers}.items())
    head_bytes = (head + "\r\n").encode()
    connections = [await _Connection.open(base) for _ in range(concurrency)]
    try:
        for n, path in enumerate(paths[:WARM_UP]):
            code, body = await connections[n % concurrency].get(path, head_bytes)
            if code != 200:
                raise RuntimeError(f"{path}: {code} {body[:200]!r}")
        queue = iter(paths)
        latencies: list[float] = []

        async def worker(connection: _Connection) -> None:
            for path in queue:
                started = time.perf_counter()
                code, body = await connection.get(path, head_bytes)
                latencies.append((time.perf_counter() - started) * 1000)
                if code != 200:
                    raise RuntimeError(f"{path}: {code} {body[:200]!r}")

        started, cpu = time.perf_counter(), _cpu_seconds(pid)
        await asyncio.gather(*(worker(connection) for connection in connections))
        seconds = time.perf_counter() - started
        cpu_ms = (_cpu_seconds(pid) - cpu) * 1000 / len(paths)
    finally:
        for connection in connections:
            connection.close()
    return Load(len(paths), seconds, latencies, cpu_ms)


def rows_of(status: Load, minimal: Load) -> list[tuple[str, ...]]:
    def row(name: str, load: Load) -> tuple[str, ...]:
        return (
            name,
            f"{load.requests:,}",
            f"{load.throughput:,.0f}",
            f"{load.p(50):.2f}",
            f"{load.p(99):.2f}",
            f"{load.server_cpu_ms:.2f}",
        )

    return [
        row("status query GET /api/v1/persons/{certno}", status),
        row("minimal endpoint GET /api/v1/health", minimal),
    ]


def markdown(
    status: Load,
    minimal: Load,
    persons: int,
    concurrency: int,
    today: dt.date,
    size: dict[str, str],
) -> str:
    """The section of docs/benchmarks.md between the ``bench api`` markers."""
    table = [
        "| route | requests | requests/s | p50 ms | p99 ms | server CPU ms/request |",
        "|---|---:|---:|---:|---:|---:|",
        *(f"| {' | '.join(row)} |" for row in rows_of(status, minimal)),
    ]
    share = status.throughput / minimal.throughput
    return "\n".join(
        [
            BEGIN,
            f"Measured {today.isoformat()} with `canbao bench api --persons {persons} "
            f"--requests {status.requests} --concurrency {concurrency} --write` on "
            f"{size['nproc']} processors (`nproc`), {size['memory']} memory, {size['cpu']}, "
            f"Python {size['python']}; PostgreSQL private server (fsync off); one server "
            "process and the load generator on the same machine (loopback).",
            "",
            *table,
            "",
            f"The status query reaches {share:.0%} of the minimal endpoint's throughput "
            f"(target ≥ 50%) with p99 {status.p(99):.2f} ms (target ≤ 20 ms) at "
            f"{persons:,} persons (target size: 1,000,000); the server spends "
            f"{status.server_cpu_ms / minimal.server_cpu_ms:.1f}× the minimal endpoint's CPU "
            "on it. The machine was shared with other work (load average "
            f"{os.getloadavg()[0]:.1f} at the end of the run): the latencies include the time "
            "the server and the generator waited for a processor; the CPU per request does not.",
            END,
        ]
    )

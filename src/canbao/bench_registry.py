"""``canbao bench registry``: the registry's figures on PostgreSQL, each beside a baseline.

Everything runs on a private PostgreSQL server started for the run
(:mod:`canbao.adapters.postgres_server`), one fresh database per measure:

* **registration import** — a 登记表 of ``rows`` 新参保 rows (Kaiping, valid numbers) written
  as CSV and as .xlsx, imported by ``canbao import registrations FILE --json`` in a
  subprocess (start-up included). Baseline: the same
  file read by the sheets adapter without checks and its rows bulk inserted into the same
  tables (one change a batch).
* **yearly assessment** — ``canbao.services.collection.assess`` of the four jurisdictions
  over the demo population of ``persons`` persons (``canbao demo``'s rows, its hardship
  identities confirmed by the demo's second clerk), in one transaction; baseline: the same
  rows — one per normal resident relation, amounts not computed — selected into a temporary
  table first, then bare-inserted into ``assessment`` by one INSERT … SELECT, rolled back.
* **person show** — ``find_person`` and ``status`` (what ``canbao person show`` runs after
  start-up) for ``LOOKUPS`` random persons of that population, p50 and p99; baseline: the
  certificate's primary-key lookup alone, on the same connection and the same persons.

The population is loaded with foreign-key triggers off (``session_replication_role =
replica``, the bench's own server): the rows are the demo's, consistent by construction, and
loading a million persons with them on would take longer than the figures it serves.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    Table,
    bindparam,
    column,
    func,
    insert,
    literal,
    select,
    table,
    text,
)

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.bench import ROOT, machine, write
from canbao.certno import RESIDENT_ID, check_character

BEGIN, END = "<!-- bench registry: begin -->", "<!-- bench registry: end -->"
LOOKUPS = 2_000
SEED = 6
REGION, YEAR = "440783", 2022
#: Kaiping, Meizhou (its counties), Guiyang (its districts) and Gui'an.
JURISDICTIONS = ("440783", "441400", "520100", "520190")
HEADERS = (
    "序号",
    "姓名",
    "身份证号码",
    "联系电话",
    "户籍地址",
    "参保属地",
    "人员类别",
    "银行账号",
    "登记类型",
    "停保原因",
    "受理时间",
)


@dataclass(frozen=True)
class Figure:
    """One row: what, how many, the subject's figure and the baseline's, and a note."""

    measure: str
    n: int
    subject: str
    baseline: str
    note: str = ""


# --- the switches ----------------------------------------------------------------------------


def import_file(url: str, path: Path) -> tuple[int, float]:
    """``canbao import registrations FILE --json`` in a subprocess: (rows accepted, seconds),
    start-up included."""
    env = {**os.environ, "CANBAO_DATABASE_URL": url}
    command = [sys.executable, "-m", "canbao", "import", "registrations", str(path), "--json"]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False, text=True)
    seconds = time.perf_counter() - start
    accepted = re.search(r'"accepted":\s*(\d+)', done.stdout)
    if done.returncode not in (0, 2) or accepted is None:
        raise RuntimeError(f"canbao import registrations 未完成：{done.stderr.strip()[:300]}")
    return int(accepted.group(1)), seconds


def assess(url: str, year: int) -> tuple[int, float]:
    """The yearly assessment (W2, ``services.collection.assess``) of every active resident
    enrollee of the jurisdictions, in one transaction: (rows written, seconds). A jurisdiction
    within another (Gui'an within Guiyang, by the policy's region tree) is assessed by the
    other's run."""
    from canbao.policy import load_policy
    from canbao.services import collection

    policy = load_policy()
    outermost = [
        region
        for region in JURISDICTIONS
        if not any(other != region and policy.within(region, other) for other in JURISDICTIONS)
    ]
    with unit_of_work(url, Actor("bench")) as uow:
        before = _count(uow.connection, t.assessment)
        start = time.perf_counter()
        for region in outermost:
            collection.assess(uow, region, year)
        seconds = time.perf_counter() - start
        rows = _count(uow.connection, t.assessment) - before
    return rows, seconds


# --- (a) registration import -----------------------------------------------------------------


def registration_rows(n: int) -> list[list[str]]:
    """``n`` 新参保 rows of Kaiping, accepted in the 2022 collection period; valid numbers."""
    rng = random.Random(SEED)
    taken: set[str] = set()
    rows = []
    start = date(YEAR - 1, 9, 1)
    for i in range(n):
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(50 * 365))
        male = rng.random() < 0.5
        while True:
            body = f"{REGION}{born:%Y%m%d}{rng.randrange(1, 500) * 2 - male:03d}"
            certno = body + check_character(body)
            if certno not in taken:
                taken.add(certno)
                break
        rows.append(
            [
                str(i + 1),
                rng.choice("司欧关谢张周吴许梁邓") + rng.choice("伟芳娜敏静强磊军洋勇"),
                certno,
                f"13{rng.randrange(10**9):09d}",
                f"广东省江门市开平市长沙街道{rng.randrange(1, 300)}号",
                REGION,
                "普通居民",
                f"6217{rng.randrange(10**15):015d}",
                "新参保",
                "",
                (start + timedelta(days=rng.randrange(100))).isoformat(),
            ]
        )
    return rows


def write_files(folder: Path, rows: list[list[str]]) -> dict[str, Path]:
    """The 登记表 as CSV (UTF-8 with BOM) and as .xlsx (a title row above the header)."""
    from canbao.adapters import sheets

    files = {"csv": folder / "registrations.csv", "xlsx": folder / "registrations.xlsx"}
    sheets.write_csv(files["csv"], HEADERS, rows)
    sheets.write_xlsx(
        files["xlsx"], f"开平市{YEAR}年度城乡居民基本医疗保险参保登记表", HEADERS, rows
    )
    return files


def _read(path: Path) -> Any:
    from canbao.adapters import registration_form, sheets

    return sheets.read_table(path, registration_form.COLUMNS, registration_form.REQUIRED)


def bare_insert(url: str, path: Path) -> tuple[int, float]:
    """The floor: the file read by the sheets adapter (no checks) and its rows bulk inserted
    into the same tables, one change a batch."""
    from canbao.services.demo import Loaded, bulk

    start = time.perf_counter()
    rows = [row.cells for row in _read(path).rows]
    with unit_of_work(url, Actor("bench")) as uow:
        loaded = Loaded()
        for first in range(0, len(rows), 5_000):
            batch = rows[first : first + 5_000]
            change = uow.record("bench", reason="bare bulk insert")
            tables: dict[Table, list[dict[str, Any]]] = {}
            for i, row in enumerate(batch, start=first):
                psn_no, rlts_id = f"BP{i:010d}", f"BR{i:010d}"
                certno, accepted = row["certno"], date.fromisoformat(row["psn_insu_date"])
                written: tuple[tuple[Table, dict[str, Any]], ...] = (
                    (t.person, {"psn_no": psn_no}),
                    (
                        t.certificate,
                        {
                            "psn_cert_type": RESIDENT_ID,
                            "certno": certno,
                            "psn_no": psn_no,
                            "valid_from": accepted,
                        },
                    ),
                    (
                        t.person_version,
                        {
                            "psn_no": psn_no,
                            "valid_from": accepted,
                            "psn_name": row["psn_name"],
                            "gend": "1" if int(certno[16]) % 2 else "2",
                            "brdy": dt.datetime.strptime(certno[6:14], "%Y%m%d").date(),
                            "tel": row["tel"],
                            "bank_acct": row["bank_acct"],
                            "alive": True,
                            "under_parent_name": False,
                        },
                    ),
                    (
                        t.enrollment,
                        {
                            "rlts_id": rlts_id,
                            "psn_no": psn_no,
                            "insutype": "390",
                            "insuplc_admdvs": row["insuplc_admdvs"],
                        },
                    ),
                    (
                        t.enrollment_version,
                        {
                            "rlts_id": rlts_id,
                            "valid_from": accepted,
                            "psn_type": "1501",
                            "psn_insu_stas": "1",
                            "psn_clct_stas": "1",
                            "psn_insu_date": accepted,
                        },
                    ),
                )
                for table, values in written:
                    tables.setdefault(table, []).append({**values, "change_id": change})
            for table, all_values in tables.items():
                bulk(uow.connection, table, all_values, loaded)
    return len(rows), time.perf_counter() - start


# --- (b) and (c): the demo population --------------------------------------------------------


def populate(url: str, persons: int, progress: Callable[[int], None] | None = None) -> None:
    """The demo population, foreign-key triggers off for the load (see the module's note)."""
    from canbao.services import demo

    with unit_of_work(url, Actor(demo.ACTOR)) as uow:
        uow.connection.execute(text("SET LOCAL session_replication_role = replica"))
        demo.load(uow, persons, progress)
    with ready(url).connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def assessment_baseline(engine: Engine, year: int) -> tuple[int, float, float]:
    """The floor: the same rows bare-inserted into the same table — an assessment row per
    relation whose latest version on 1 January is a normal resident one, amounts not computed
    — by one INSERT … SELECT from a temporary table that holds them; rolled back. Also the
    seconds of selecting those relations into it (not counted in the insert's)."""
    v, e = t.enrollment_version, t.enrollment
    latest = (
        select(
            v.c.rlts_id,
            v.c.psn_insu_stas,
            func.row_number()
            .over(partition_by=v.c.rlts_id, order_by=(v.c.valid_from.desc(), v.c.id.desc()))
            .label("n"),
        )
        .where(v.c.valid_from <= date(year, 1, 1))
        .subquery()
    )
    chosen = (
        select(e.c.rlts_id, e.c.psn_no)
        .select_from(e.join(latest, latest.c.rlts_id == e.c.rlts_id))
        .where(latest.c.n == 1, latest.c.psn_insu_stas == "1", e.c.insutype == "390")
    )
    with engine.connect() as connection:
        transaction = connection.begin()
        change = connection.execute(
            insert(t.change_log)
            .values(
                recorded_at=dt.datetime.now(dt.UTC),
                actor="bench",
                action="assess",
                reason="baseline",
                rules=[],
                citations=[],
            )
            .returning(t.change_log.c.id)
        ).scalar_one()
        compiled = chosen.compile(connection, compile_kwargs={"literal_binds": True})
        start = time.perf_counter()
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE bench_chosen AS {compiled}")
        selecting = time.perf_counter() - start
        zero = literal(0, t.Money)
        staged = table("bench_chosen", column("rlts_id"), column("psn_no"))
        start = time.perf_counter()
        connection.execute(
            insert(t.assessment).from_select(
                [
                    "rlts_id",
                    "psn_no",
                    "year",
                    "standard",
                    "subsidy",
                    "payable",
                    "declaration",
                    "change_id",
                ],
                select(
                    staged.c.rlts_id,
                    staged.c.psn_no,
                    literal(year),
                    zero,
                    zero,
                    zero,
                    literal("normal"),
                    literal(change),
                ),
            )
        )
        seconds = time.perf_counter() - start
        rows = _count(connection, t.assessment)
        transaction.rollback()
        # The rolled-back rows gone from the table and its indexes: the assessment measured
        # next writes into the empty table this one wrote into.
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM assessment"
        )
    return rows, seconds, selecting


def lookups(engine: Engine, n: int) -> tuple[list[float], list[float]]:
    """Milliseconds of each ``person show`` (find_person + status) and of each bare
    certificate lookup, for ``n`` random persons of the population."""
    from canbao.services import registry

    today = date.today()
    c = t.certificate
    with engine.connect() as connection:
        certnos = list(connection.execute(select(c.c.certno)).scalars())
        sample = random.Random(SEED).sample(certnos, min(n, len(certnos)))
        bare = select(c.c.psn_no).where(
            c.c.psn_cert_type == RESIDENT_ID, c.c.certno == bindparam("no")
        )
        shows, floors = [], []
        for certno in sample[:50]:  # warm up: statement caches, buffers
            registry.status(
                connection, registry.find_person(connection, RESIDENT_ID, certno) or "", today
            )
        for certno in sample:
            start = time.perf_counter()
            connection.execute(bare, {"no": certno}).scalar()
            middle = time.perf_counter()
            psn_no = registry.find_person(connection, RESIDENT_ID, certno)
            registry.status(connection, psn_no or "", today)
            end = time.perf_counter()
            floors.append((middle - start) * 1000)
            shows.append((end - middle) * 1000)
    return shows, floors


def _count(connection: Any, table: Any) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# --- the run ---------------------------------------------------------------------------------


def bench_registry(
    persons: int, rows: int, folder: Path, say: Callable[[str], None] = lambda _: None
) -> list[Figure]:
    """Every measure on a private PostgreSQL server; the figures in table order."""
    from canbao.adapters.postgres_server import private_server

    figures: list[Figure] = []
    with private_server() as server:
        databases = iter(range(1, 100))

        def fresh() -> str:
            name = f"bench_{next(databases)}"
            server.execute(f"CREATE DATABASE {name}")
            url = server.url(name)
            ready(url)
            return url

        say(f"registration file: {rows:,} rows")
        files = write_files(folder, registration_rows(rows))
        for kind in ("csv", "xlsx"):
            say(f"import {kind}")
            n, seconds_floor = bare_insert(fresh(), files[kind])
            floor = f"{n / seconds_floor:,.0f} rows/s (bare bulk insert)"
            accepted, seconds = import_file(fresh(), files[kind])
            ratio = (accepted / seconds) / (n / seconds_floor)
            subject = f"{accepted / seconds:,.0f} rows/s ({ratio:.2f}× the bare bulk insert)"
            figures.append(
                Figure(
                    f"registration import, {kind}",
                    rows,
                    subject,
                    floor,
                    f"canbao import registrations --json, start-up included; {accepted:,} "
                    f"accepted; load average {os.getloadavg()[0]:.1f}",
                )
            )
        say(f"population: {persons:,} persons (canbao demo)")
        url = fresh()
        populate(url, persons)
        engine = ready(url)
        say("yearly assessment")
        baseline_rows, baseline_seconds, selecting = assessment_baseline(engine, YEAR)
        floor = f"{baseline_rows / baseline_seconds:,.0f} persons/s (bare INSERT … SELECT)"
        assessed, seconds = assess(url, YEAR)
        subject = f"{assessed / seconds:,.0f} persons/s ({assessed:,} assessed)"
        figures.append(
            Figure(
                "yearly assessment (PostgreSQL)",
                persons,
                subject,
                floor,
                f"target ≥ 100,000 persons/s; {baseline_rows:,} normal resident relations; "
                f"selecting the baseline's rows alone: {baseline_rows / selecting:,.0f} persons/s",
            )
        )
        say("person show")
        shows, floors = lookups(engine, LOOKUPS)
        figures.append(
            Figure(
                "person show: find_person + status (PostgreSQL)",
                persons,
                f"p50 {percentile(shows, 50):.2f} ms, p99 {percentile(shows, 99):.2f} ms",
                f"p50 {percentile(floors, 50):.2f} ms, p99 {percentile(floors, 99):.2f} ms "
                "(certificate primary-key lookup)",
                f"target p99 ≤ 20 ms; {len(shows):,} persons at random",
            )
        )
        engine.dispose()
    return figures


def rows_of(figures: list[Figure]) -> list[tuple[str, str, str, str, str]]:
    return [(f.measure, f"{f.n:,}", f.subject, f.baseline, f.note) for f in figures]


def markdown(
    figures: list[Figure], persons: int, rows: int, today: dt.date, size: dict[str, str]
) -> str:
    """The section of docs/benchmarks.md between the ``bench registry`` markers."""
    table = ["| measure | n | measured | baseline, same run | note |", "|---|---:|---|---|---|"]
    table += [f"| {' | '.join(row)} |" for row in rows_of(figures)]
    return "\n".join(
        [
            BEGIN,
            f"Measured {today.isoformat()} with `canbao bench registry --persons {persons} "
            f"--rows {rows} --write` on {size['nproc']} processors (`nproc`), "
            f"{size['memory']} memory, {size['cpu']}, Python {size['python']}; PostgreSQL "
            "private server (fsync off).",
            "",
            *table,
            END,
        ]
    )


__all__ = ["ROOT", "Figure", "bench_registry", "machine", "markdown", "rows_of", "write"]

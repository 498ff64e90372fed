"""What-if runs (W11): the yearly assessment of a region's active enrollees, once with the
policy data as it is and once with changed values, writing nothing.

Set-based: the enrollees are counted in SQL by the combinations the contribution decision
depends on (region, confirmed hardship identities, hukou), one ``GROUP BY`` without staging a
row per enrollee; the engine decides once per combination with each policy, and the totals are
the decisions' amounts weighted by the counts, in Decimal. The decisions are a few dozen
whatever the population.

Two sources:

- the registry (:func:`run`): the enrollees the yearly assessment takes, assessed for the year
  or not (``collection.count_combinations``, the assessment's own definition);
- a section-7 records file (:func:`run_records`, ``--records``), on DuckDB or Spark with the
  same SQL (``RECORDS_SQL``): the resident records normal (psn_insu_stas 1) whose period holds
  the first day of the year or begins during the year on a day the policy counts for the year
  (``enrollment_year``), with the record's identities. The records carry no hukou: the
  engine takes an unknown hukou as local (``rules.contribution``), as it does for a registry
  person without one.

``bench`` measures persons per second at a given size against a bare ``GROUP BY`` count of the
same relations, on a population filled set-based from the demo's (:func:`fill`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal

import duckdb
from sqlalchemy import Connection, func, insert, literal, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.batch import records
from canbao.domain.codes import IDENTITIES
from canbao.domain.decision import Decision, Status
from canbao.policy import Policy, load_policy
from canbao.rules.registration import enrollment_year
from canbao.services.collection import (
    Combination,
    count_combinations,
    decide_combination,
    enrollment_regions,
    funding_lines,
)
from canbao.services.registry import NORMAL, RESIDENT

Engine = Literal["duckdb", "spark"]

#: How many changed combinations the report lists (the largest first).
SHORT_LIST = 20
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Totals:
    """One run's sums: what the persons pay, the subsidy and its funding by source (C4), and
    how many persons the documents leave open (a gap decision: not assessed)."""

    payable: Decimal
    subsidy: Decimal
    funding: dict[str, Decimal]
    not_decided: int

    def as_json(self) -> dict[str, Any]:
        return {
            "payable": str(self.payable),
            "subsidy": str(self.subsidy),
            "funding": {source: str(amount) for source, amount in sorted(self.funding.items())},
            "not_decided": self.not_decided,
        }


@dataclass(frozen=True)
class Change:
    """The persons of one combination whose payable amount differs (None: not decided)."""

    region: str
    identities: tuple[str, ...]
    hukou: str | None
    persons: int
    current: Decimal | None
    whatif: Decimal | None

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "identities": list(self.identities),
            "hukou": self.hukou,
            "persons": self.persons,
            "payable": {"current": _text(self.current), "whatif": _text(self.whatif)},
        }


@dataclass(frozen=True)
class WhatIfReport:
    region: str
    year: int
    values: dict[str, Any]
    persons: int
    current: Totals
    whatif: Totals
    changed_persons: int
    changes: tuple[Change, ...]  # every changed combination, the largest first

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "year": self.year,
            "set": {key: _value_text(value) for key, value in self.values.items()},
            "persons": self.persons,
            "current": self.current.as_json(),
            "whatif": self.whatif.as_json(),
            "changed": {
                "persons": self.changed_persons,
                "combinations": len(self.changes),
                "largest": [c.as_json() for c in self.changes[:SHORT_LIST]],
            },
        }


def run(
    connection: Connection,
    region: str,
    year: int,
    values: Mapping[str, Any],
    policy: Policy | None = None,
) -> WhatIfReport:
    """The yearly assessment of ``region``'s active enrollees in the registry for ``year``
    with the policy as it is and with ``values`` (key → parsed value,
    :mod:`canbao.policy.override`). Reads only."""
    policy = policy or load_policy()
    regions = enrollment_regions(connection, policy, region)
    counts = count_combinations(connection, policy, regions, year, pending=False)
    return report(policy, region, year, values, counts)


#: The records' enrollees by region, registration day (NULL: in force on the first day of the
#: year) and identities as written; DuckDB and Spark run this same text.
RECORDS_SQL: Final = f"""
SELECT region, day, identities, count(*) AS persons
FROM (
  SELECT insuplc_admdvs AS region,
         CASE WHEN begndate > DATE '{{first}}' THEN begndate END AS day,
         coalesce(identities, '') AS identities
  FROM records
  WHERE insutype = '{RESIDENT}' AND psn_insu_stas = '{NORMAL}'
    AND begndate <= DATE '{{last}}' AND (enddate IS NULL OR enddate >= DATE '{{first}}')
) enrollee
GROUP BY region, day, identities
"""


def run_records(
    source: Path,
    region: str,
    year: int,
    values: Mapping[str, Any],
    engine: Engine = "duckdb",
    policy: Policy | None = None,
) -> WhatIfReport:
    """The what-if over the section-7 records file ``source`` (module notes), on DuckDB or
    Spark; the file is checked first (a RecordsError names row, column and reason)."""
    policy = policy or load_policy()
    sql = RECORDS_SQL.format(first=date(year, 1, 1), last=date(year, 12, 31))
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        records.load(con, source)
        if engine == "spark":
            from canbao.batch.spark import session

            spark = session()
            records.spark_view(spark, source)
            try:
                rows = [tuple(row) for row in spark.sql(sql).collect()]
            finally:
                spark.catalog.dropTempView("records")
        else:
            rows = con.execute(sql).fetchall()
    counts: dict[Combination, int] = {}
    for found, day, codes, n in rows:
        if not policy.within(found, region):
            continue
        if day is not None and enrollment_year(policy, found, day) != year:
            continue
        held = frozenset(c for c in codes.replace(" ", "").split(";") if c in IDENTITIES)
        key = Combination(found, held, None)
        counts[key] = counts.get(key, 0) + int(n)
    return report(policy, region, year, values, counts)


def report(
    policy: Policy,
    region: str,
    year: int,
    values: Mapping[str, Any],
    counts: Mapping[Combination, int],
) -> WhatIfReport:
    """Decide each combination with the policy as it is and with ``values``; the totals and
    the changed combinations."""
    changed_policy = policy.with_values(values, region, year)
    current = {c: decide_combination(policy, c, year) for c in counts}
    whatif = {c: decide_combination(changed_policy, c, year) for c in counts}
    changes = [
        Change(
            c.region,
            tuple(sorted(c.identities)),
            c.hukou,
            n,
            _payable(current[c]),
            _payable(whatif[c]),
        )
        for c, n in counts.items()
        if _payable(current[c]) != _payable(whatif[c])
    ]
    changes.sort(key=lambda c: (-c.persons, c.region, c.identities, c.hukou or ""))
    return WhatIfReport(
        region,
        year,
        dict(values),
        sum(counts.values()),
        _totals(counts, current),
        _totals(counts, whatif),
        sum(c.persons for c in changes),
        tuple(changes),
    )


def _payable(decision: Decision) -> Decimal | None:
    if decision.status is not Status.DECIDED:
        return None
    return Decimal(decision.answer["payable"])


def _totals(counts: Mapping[Combination, int], decisions: Mapping[Combination, Decision]) -> Totals:
    payable = subsidy = ZERO
    funding: dict[str, Decimal] = {}
    not_decided = 0
    for combination, n in counts.items():
        decision = decisions[combination]
        if decision.status is not Status.DECIDED:
            not_decided += n
            continue
        answer = decision.answer
        payable += n * Decimal(answer["payable"])
        subsidy += n * Decimal(answer["subsidy"])
        for line in funding_lines(answer):
            amount = Decimal(line["amount"] or 0)
            funding[line["source"]] = funding.get(line["source"], ZERO) + n * amount
    return Totals(payable, subsidy, funding, not_decided)


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _value_text(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


# --- the benchmark ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    """What-if persons per second, beside a bare GROUP BY count of the same relations."""

    persons: int
    seconds: float
    baseline_seconds: float
    database: str  # sqlite, postgresql, or "records, <engine>"

    @property
    def rate(self) -> float:
        return self.persons / self.seconds

    @property
    def ratio(self) -> float:
        """How many times the bare count's time the what-if takes."""
        return self.seconds / self.baseline_seconds


#: The jurisdictions of the demo population (Kaiping, Meizhou, Guiyang, Gui'an) and the year.
BENCH_REGIONS, BENCH_YEAR = ("440783", "441400", "520100", "520190"), 2022
#: The what-if the bench runs: a higher individual standard.
BENCH_VALUES = {"resident.individual_standard": Decimal("400")}
#: Persons the demo loads before the fill copies them.
DEMO_BASE = 20_000


def bench(persons: int, url: str | None = None) -> Bench:
    """Fill a database (a fresh SQLite file unless ``url``) with about ``persons`` persons
    (:func:`fill`), then time :func:`run` for each jurisdiction of the demo, and the bare
    count: one ``GROUP BY`` region of the resident relations (after one warm-up run)."""
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite:///{Path(folder) / 'whatif.db'}"
        fill(url, persons)
        engine = ready(url)
        e = t.enrollment
        bare = (
            select(e.c.insuplc_admdvs, func.count())
            .where(e.c.insutype == RESIDENT)
            .group_by(e.c.insuplc_admdvs)
        )
        with engine.connect() as connection:
            connection.execute(bare).all()
            start = time.perf_counter()
            connection.execute(bare).all()
            baseline = time.perf_counter() - start
            start = time.perf_counter()
            assessed = sum(
                run(connection, region, BENCH_YEAR, BENCH_VALUES).persons
                for region in BENCH_REGIONS
            )
            seconds = time.perf_counter() - start
        engine.dispose()
        return Bench(assessed, seconds, baseline, engine.dialect.name)


def bench_records(path: Path, engine: Engine = "duckdb") -> Bench:
    """:func:`run_records` over the records file at ``path`` for each jurisdiction of the
    demo (the file checked each time), beside the bare count: one ``GROUP BY`` region of the
    file's records on the same engine, once per jurisdiction too (after one warm-up run)."""
    bare = "SELECT insuplc_admdvs, count(*) FROM records GROUP BY insuplc_admdvs"
    with duckdb.connect() as con:
        records.load(con, path)
        if engine == "spark":
            from canbao.batch.spark import session

            spark = session()
            records.spark_view(spark, path)

        def count() -> None:
            if engine == "spark":
                spark.sql(bare).collect()
            else:
                con.execute(bare).fetchall()

        count()
        start = time.perf_counter()
        for _ in BENCH_REGIONS:
            count()
        baseline = time.perf_counter() - start
    start = time.perf_counter()
    persons = sum(
        run_records(path, region, BENCH_YEAR, BENCH_VALUES, engine).persons
        for region in BENCH_REGIONS
    )
    return Bench(persons, time.perf_counter() - start, baseline, f"records, {engine}")


#: The tables a relation's assessment reads, copied by :func:`fill`; the key columns get the
#: copy's suffix.
_COPIED = (
    (t.person, ("psn_no",)),
    (t.person_version, ("psn_no",)),
    (t.enrollment, ("rlts_id", "psn_no")),
    (t.enrollment_version, ("rlts_id",)),
    (t.hardship_identity, ("psn_no",)),
)


def fill(url: str, persons: int) -> int:
    """About ``persons`` persons: the demo's first ``DEMO_BASE`` (fewer when ``persons`` is
    smaller), copied set-based (INSERT … SELECT, keys suffixed ``~k``) until there are
    enough, their hardship identities confirmed by a second clerk (the assessment counts
    confirmed ones only). Returns the number of persons."""
    from canbao.services import demo

    base = min(persons, DEMO_BASE)
    with unit_of_work(url, Actor(demo.ACTOR)) as uow:
        demo.load(uow, base)
    copies = -(-persons // base) - 1
    with unit_of_work(url, Actor(demo.ACTOR)) as uow:
        connection = uow.connection
        originals = {table.name: table.alias(f"{table.name}_0") for table, _ in _COPIED}
        for k in range(1, copies + 1):
            for table, keys in _COPIED:
                source = originals[table.name]
                columns = [c.name for c in table.columns if c.name != "id"]
                copied = select(
                    *(
                        source.c[name] + literal(f"~{k}") if name in keys else source.c[name]
                        for name in columns
                    )
                ).where(source.c[keys[0]].not_like("%~%"))
                connection.execute(insert(table).from_select(columns, copied))
        found = int(connection.execute(select(func.count()).select_from(t.person)).scalar_one())
    with unit_of_work(url, Actor(demo.REVIEWER)) as uow:
        demo.confirm_identities(uow)
    return found

"""``canbao dedup``: the yearly duplicate clean-up over a whole records file (D1–D6, W7).

The job gives, for every duplicate group, the decision ``canbao decide`` (kind
``duplicates``, canbao.rules.duplicates) gives for that group's records, on DuckDB or on Spark,
with the same SQL text (``SQL``; the few dialect differences are ``Dialect``):

1. **Groups (D1), set-based.** A group is exactly a set of a person's (``certno``) normal
   records (psn_insu_stas 1 and paid) connected by overlapping periods (the module's
   convention: sharing one day; touching periods are a continuation); groups of two or more
   are duplicates, their ``group_id`` is ``certno/<first rlts_id>``. One ``GROUP BY`` of the
   normal records per person (``persons``) sorts the persons out cheaply, most of them with
   one record: a person with one record is done; with two, they are one group exactly when the
   later first day is not after the earlier last day (latest first day ≤ earliest last day),
   no window needed; only the persons with three or more records are sorted by first day, a
   record opening a new group when it begins after the last day reached by the person's
   earlier records.
2. **Shapes.** The decision depends on a group's records only through their order by
   ``rlts_id``, scheme, places and flexible flag, the order of their dates (and, for a college
   student with an entry year, whether each date's year is before, in or after it), which
   records share a region and the policy values the rules read for it (``READ_KEYS``: regions
   with the same values form a class), and on the person's student categories, tuopin
   identity, entry year and whether the employee months reach the threshold. Each group is
   reduced to that *shape* (``members`` and ``shapes``), so that the hundreds of thousands of
   groups of 10^7 records share a few dozen shapes.
3. **Decisions.** Each distinct shape is decided once by the rules engine
   (``decide_facts("duplicates", …)``, with stand-in ids, dates and regions of the class), and
   the answer joined back to every group of that shape: one row per record, ``rlts_id, certno,
   group_id, type, action, subsidy_deduction, notify_region, rules, status`` (SPEC section 7;
   ``status`` decided or policy_gap; ``notify_region`` the record's own region when the
   decision notifies it).

How the batch reads the person's facts from the group's records (section 7 repeats them on each
record): identities and categories are their union, ``entered_school_year`` and
``employee_continuous_months`` the largest given; an open record (empty ``enddate``) runs to
2100-12-31, the latest day a case may name. Every group is decided, not only the one
``decide`` picks for ``as_of`` (rules.duplicates: ``other_duplicate_groups``): each as
``decide`` decides that group's records, which for the group covering ``as_of`` (or the most
recent) is the answer for all the person's records. ``as_of`` selects the policy year. There is
no chosen record nor written commitment in the records, so a D4 group is ``awaiting_consent``.
The property test (tests/batch/test_dedup_property.py) checks all of this against
``decide_case``.

``action``: ``keep``, ``terminate``, ``suspend`` or ``awaiting_consent``, and empty for every
record of a group whose kept record the documents leave open (``status`` policy_gap);
``subsidy_deduction`` is empty where D6 depends on a missing entry year (policy_gap).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, Literal

import duckdb

from canbao.batch import records
from canbao.contract.fields import LATEST
from canbao.domain.codes import Scheme
from canbao.domain.decision import Decision
from canbao.domain.periods import Period
from canbao.policy import Policy, load_policy
from canbao.rules import duplicates
from canbao.rules.decide import decide_facts
from canbao.rules.duplicates import READ_CATEGORIES, READ_IDENTITIES, READ_KEYS, READ_PLACES

Engine = Literal["duckdb", "spark"]
#: Told each step's name and, for the decisions, how many shapes are decided of how many.
Progress = Callable[[str, int, int], None]

#: The output columns (SPEC section 7, then ``status``) and their DuckDB types.
OUTPUT: Final[dict[str, str]] = {
    "rlts_id": "VARCHAR",
    "certno": "VARCHAR",
    "group_id": "VARCHAR",
    "type": "VARCHAR",
    "action": "VARCHAR",
    "subsidy_deduction": "BOOLEAN",
    "notify_region": "VARCHAR",
    "rules": "VARCHAR",
    "status": "VARCHAR",
}
STEPS: Final = ("读取并检查记录", "找出重复参保组", "按规则决定", "写出结果")
#: The last day of an open record (empty ``enddate``): the latest day a case may name.
OPEN_END: Final = LATEST.isoformat()
BATCH: Final = 5_000  # shapes decided and stored per round
#: The stand-in year of a college student's entry in a shape: dates are kept as before (-1),
#: in (0) or after (+1) the entry year, and their order within each.
ENTRY_YEAR: Final = 2000


@dataclass(frozen=True)
class Dialect:
    """What DuckDB's and Spark's SQL spell differently."""

    #: ``{name}`` and ``{select}``: make a table of a query's rows.
    materialise: str
    #: ``{value}``, ``{order}``, ``{sep}``: the values of a group joined in order.
    ordered_join: str
    #: ``{value}``: the values of a window as a list.
    collect: str
    #: ``{values}``, ``{value}``: the position (from 1) of ``value`` among the distinct
    #: ``values``, sorted.
    rank_in: str
    #: ``{first}``, ``{second}``: two lists as one.
    concat_lists: str


DIALECTS: Final[dict[str, Dialect]] = {
    "duckdb": Dialect(
        materialise="CREATE OR REPLACE TABLE {name} AS {select}",
        ordered_join="string_agg({value}, '{sep}' ORDER BY {order})",
        collect="list({value})",
        rank_in="list_position(list_sort(list_distinct({values})), {value})",
        concat_lists="list_concat({first}, {second})",
    ),
    "spark": Dialect(
        materialise="CACHE TABLE {name} AS {select}",
        ordered_join="array_join(transform(array_sort(collect_list(struct({order} AS o, "
        "{value} AS v))), x -> x.v), '{sep}')",
        collect="collect_list({value})",
        rank_in="array_position(array_sort(array_distinct({values})), {value})",
        concat_lists="concat({first}, {second})",
    ),
}

#: The columns of a normal record the groups and shapes read.
NORMAL_COLUMNS: Final = (
    "rlts_id, certno, insutype, region, begndate, enddate, places, flexible, identities, "
    "categories, entered_school_year, months"
)
NORMAL_SQL: Final = f"psn_insu_stas = '{duplicates.NORMAL}' AND psn_clct_stas = '{records.PAYING}'"
#: The job's SQL, in order: (table, query); ``records`` is the typed input. ``normal``: the
#: normal records of the persons who may have a group (``paired``: exactly two, overlapping);
#: ``members``: the records of every duplicate group with what their shape needs; ``shapes``:
#: each group's shape (canbao.batch.dedup's notes). ``normal`` is a table of its own so that
#: Spark, which inlines a query's WITH clauses, scans the records for it once.
SQL: Final[tuple[tuple[str, str], ...]] = (
    (
        "normal",
        f"""
WITH persons AS (
  SELECT certno, count(*) = 2 AS paired FROM records WHERE {NORMAL_SQL}
  GROUP BY certno
  HAVING count(*) > 2
      OR (count(*) = 2 AND max(begndate) <= min(coalesce(enddate, DATE '{OPEN_END}')))
)
SELECT r.rlts_id, r.certno, r.insutype, r.insuplc_admdvs AS region, r.begndate,
       coalesce(r.enddate, DATE '{OPEN_END}') AS enddate,
       concat(';', replace(coalesce(r.places, ''), ' ', ''), ';') AS places,
       coalesce(r.flexible, false) AS flexible,
       concat(';', replace(coalesce(r.identities, ''), ' ', ''), ';') AS identities,
       concat(';', replace(coalesce(r.categories, ''), ' ', ''), ';') AS categories,
       r.entered_school_year, coalesce(r.employee_continuous_months, 0) AS months, p.paired
FROM records r JOIN persons p ON p.certno = r.certno
WHERE {NORMAL_SQL.replace("psn_", "r.psn_")}
""",
    ),
    (
        "members",
        f"""
WITH reached AS (
  SELECT {NORMAL_COLUMNS}, max(enddate) OVER (
      PARTITION BY certno ORDER BY begndate, rlts_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM normal WHERE NOT paired
), parts AS (
  SELECT {NORMAL_COLUMNS}, CAST(1 AS BIGINT) AS part FROM normal WHERE paired
  UNION ALL
  SELECT {NORMAL_COLUMNS},
         CAST(sum(CASE WHEN reach IS NULL OR begndate > reach THEN 1 ELSE 0 END) OVER (
             PARTITION BY certno ORDER BY begndate, rlts_id
             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS part
  FROM reached
), groups AS (
  SELECT certno AS group_certno, part AS group_part, min(rlts_id) AS first_id,
         max(entered_school_year) AS entered,
         max(months) AS months_reached,
         {{person_flags}},
         {{collect_begins}} AS begin_days,
         {{collect_ends}} AS end_days,
         {{collect_regions}} AS group_regions,
         {{collect_ids}} AS group_ids
  FROM parts GROUP BY certno, part HAVING count(*) > 1
), dated AS (
  SELECT p.rlts_id, p.certno, p.insutype, p.region, p.begndate, p.enddate, p.places,
         p.flexible, g.*,
         {{rank_ids}} AS pos,
         CASE WHEN g.c_{duplicates.COLLEGE} = 1 THEN g.entered END AS entry
  FROM parts p JOIN groups g ON g.group_certno = p.certno AND g.group_part = p.part
)
SELECT concat(certno, '/', first_id) AS group_id, certno, rlts_id, CAST(pos AS INT) AS pos,
       insutype, region,
       CAST({{region_rank}} AS INT) AS region_rank,
       concat({{bucket_begins}}, '.', CAST({{rank_begins}} AS STRING)) AS begins,
       concat({{bucket_ends}}, '.', CAST({{rank_ends}} AS STRING)) AS ends,
       {{place_flags}} AS places,
       CASE WHEN flexible THEN '1' ELSE '0' END AS flexible,
       concat({{identity_flags}}, '|', {{category_flags}}, '|',
              CASE WHEN entry IS NULL THEN '' ELSE '{ENTRY_YEAR}' END) AS person,
       months_reached AS months
FROM dated
""",
    ),
    (
        "shapes",
        """
SELECT group_id,
       concat({ordered_items}, '|', max(person), '|', CAST({months} AS STRING)) AS shape
FROM (
  SELECT group_id, pos, person, months,
         concat(insutype, ',', CAST({region_class} AS STRING), '#',
                CAST(region_rank AS STRING), ',', begins, ',', ends, ',', places, ',',
                flexible) AS item
  FROM members
) items
GROUP BY group_id
""",
    ),
)

DISTINCT_SHAPES: Final = "SELECT DISTINCT shape FROM shapes"
RESULT: Final = """
SELECT m.rlts_id, m.certno, m.group_id, d.type, d.action, d.subsidy_deduction,
       CASE WHEN d.notified THEN m.region END AS notify_region, d.rules, d.status
FROM members m
JOIN shapes s ON s.group_id = m.group_id
JOIN decisions d ON d.shape = s.shape AND d.pos = m.pos
"""
#: The decisions table: one row per shape and record position.
DECISIONS: Final[dict[str, str]] = {
    "shape": "VARCHAR",
    "pos": "INTEGER",
    "type": "VARCHAR",
    "action": "VARCHAR",
    "subsidy_deduction": "BOOLEAN",
    "notified": "BOOLEAN",
    "rules": "VARCHAR",
    "status": "VARCHAR",
}


@dataclass(frozen=True)
class Regions:
    """The regions of the groups by class (``READ_KEYS``' values): ``classes[i]`` the
    regions of class i, sorted, class 0 the largest; ``thresholds`` the employee months
    the classes keep the employee record from, largest first."""

    classes: tuple[tuple[str, ...], ...]
    thresholds: tuple[int, ...]

    @classmethod
    def of(cls, regions: list[str], policy: Policy, year: int) -> Regions:
        by_values: dict[tuple[Any, ...], list[str]] = {}
        for region in sorted(regions):
            found = [policy.find(key, region, year) for key in READ_KEYS]
            values = tuple(None if f is None else f.value for f in found)
            by_values.setdefault(values, []).append(region)
        classes = sorted(by_values.values(), key=lambda members: (-len(members), members[0]))
        thresholds = {int(v[0]) for v in by_values if v[0] is not None}
        return cls(tuple(tuple(c) for c in classes), tuple(sorted(thresholds, reverse=True)))

    def case(self) -> str:
        """SQL: the class of ``region``."""
        arms = " ".join(
            f"WHEN '{region}' THEN {index}"
            for index, members in enumerate(self.classes)
            if index
            for region in members
        )
        return f"CASE region {arms} ELSE 0 END" if arms else "0"


def statements(engine: str, regions: Regions) -> list[tuple[str, str]]:
    """The job's statements in ``engine``'s dialect: (table, statement that makes it).
    The employee months are kept only as the largest of ``regions.thresholds`` they reach,
    the only thing the rules compare them with."""
    dialect = DIALECTS[engine]
    months = " ".join(f"WHEN max(months) >= {t} THEN {t}" for t in regions.thresholds)

    def bucket(day: str) -> str:
        return (
            f"CASE WHEN entry IS NULL OR year({day}) = entry THEN '0' "
            f"WHEN year({day}) < entry THEN '-1' ELSE '1' END"
        )

    def rank(value: str, values: str) -> str:
        return dialect.rank_in.format(values=values, value=value)

    days = dialect.concat_lists.format(first="begin_days", second="end_days")

    flags = [("i", c) for c in READ_IDENTITIES] + [("c", c) for c in READ_CATEGORIES]
    values = {
        "person_flags": ",\n         ".join(
            f"max(CASE WHEN {'identities' if kind == 'i' else 'categories'} LIKE '%;{code};%' "
            f"THEN 1 ELSE 0 END) AS {kind}_{code}"
            for kind, code in flags
        ),
        "collect_begins": dialect.collect.format(value="begndate"),
        "collect_ends": dialect.collect.format(value="enddate"),
        "collect_regions": dialect.collect.format(value="region"),
        "region_rank": rank("region", "group_regions"),
        "collect_ids": dialect.collect.format(value="rlts_id"),
        "rank_ids": rank("p.rlts_id", "g.group_ids"),
        "bucket_begins": bucket("begndate"),
        "bucket_ends": bucket("enddate"),
        "rank_begins": rank("begndate", days),
        "rank_ends": rank("enddate", days),
        "place_flags": _flags("places", [("", p) for p in READ_PLACES]),
        "identity_flags": _flags("", [("i", c) for c in READ_IDENTITIES]),
        "category_flags": _flags("", [("c", c) for c in READ_CATEGORIES]),
        "ordered_items": dialect.ordered_join.format(value="item", order="pos", sep="/"),
        "months": f"CASE {months} ELSE 0 END" if months else "0",
        "region_class": regions.case(),
    }
    return [
        (name, dialect.materialise.format(name=name, select=select.format(**values)))
        for name, select in SQL
    ]


def make_tables(run: Callable[[str], Any], engine: str, policy: Policy, year: int) -> Regions:
    """Make the tables of ``SQL`` with ``run`` (one statement of ``engine``'s dialect, its
    rows returned); the groups' regions by class."""
    for _, statement in statements(engine, Regions((), ()))[:-1]:
        run(statement)
    twice = run("SELECT min(rlts_id) FROM members GROUP BY group_id, pos HAVING count(*) > 1")
    if twice:
        raise records.RecordsError(f"参保关系编号 rlts_id 重复：“{twice[0][0]}”出现不止一次")
    found = [str(row[0]) for row in run("SELECT DISTINCT region FROM members")]
    regions = Regions.of(found, policy, year)
    run(statements(engine, regions)[-1][1])
    return regions


def _flags(column: str, codes: list[tuple[str, str]]) -> str:
    """The codes present, in ``codes``' order, each followed by ``;``: in the ``;``-delimited
    ``column``, or (no column) where the flag column ``<kind>_<code>`` is 1."""
    arms = [
        f"CASE WHEN {column} LIKE '%;{code};%' THEN '{code};' ELSE '' END"
        if column
        else f"CASE WHEN {kind}_{code} = 1 THEN '{code};' ELSE '' END"
        for kind, code in codes
    ]
    return "concat(" + ", ".join(arms) + ")"


@dataclass(frozen=True)
class DedupResult:
    """What a run found and wrote.

    Attributes:
      output: the file written.
      engine: duckdb or spark.
      records: records read.
      groups: duplicate groups found (D1).
      rows: rows written (one per record of every group).
      shapes: distinct shapes decided by the engine.
      actions: rows per action (``keep``, ``terminate``, ``suspend``, ``awaiting_consent``, and
        ``undetermined`` for the records of a policy-gap group without a kept record).
      gaps: groups whose decision is a policy gap.
      seconds: wall time.
    """

    output: Path
    engine: str
    records: int
    groups: int
    rows: int
    shapes: int
    actions: dict[str, int]
    gaps: int
    seconds: float


def dedup(
    source: Path,
    output: Path,
    *,
    engine: Engine = "duckdb",
    as_of: date | None = None,
    memory: str = records.MEMORY_LIMIT,
    progress: Progress | None = None,
    policy: Policy | None = None,
) -> DedupResult:
    """Decide every duplicate group of the records file ``source`` and write one row per
    record of every group to ``output`` (.csv or .parquet), through a temporary file renamed
    at the end; bad input is a RecordsError and leaves no output."""
    started = time.perf_counter()
    as_of = as_of or date.today()
    policy = policy or load_policy()
    out_kind = records.output_format(output)
    tell = progress or (lambda step, done, total: None)
    partial = output.with_name(f".{output.name}.partial")
    work = Path(tempfile.mkdtemp(prefix="canbao-dedup-", dir=_spill_root(output)))
    try:
        with duckdb.connect() as con:
            records.bound(con, work, memory)
            tell(STEPS[0], 0, 0)
            counted = records.load(con, source)
            if engine == "spark":
                result = _spark_run(con, source, work, as_of, policy, tell)
            else:
                result = _duckdb_run(con, as_of, policy, tell)
            tell(STEPS[3], 0, 0)
            columns = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in OUTPUT.items())
            options = "FORMAT parquet" if out_kind == "parquet" else "FORMAT csv, HEADER"
            con.execute("SET preserve_insertion_order = true")
            # Written from a table of plain values, so that both engines' rows give one file.
            con.execute(
                f"CREATE OR REPLACE TABLE final AS SELECT {columns} FROM {result} "
                "ORDER BY group_id, rlts_id"
            )
            con.execute(f"COPY final TO '{records.quoted(partial)}' ({options})")
            figures = con.execute(
                f"SELECT count(*), count(DISTINCT group_id), "
                f"count(DISTINCT group_id) FILTER (WHERE status = 'policy_gap') FROM {result}"
            ).fetchone()
            actions = con.execute(
                f"SELECT coalesce(action, 'undetermined'), count(*) FROM {result} GROUP BY 1 "
                "ORDER BY 1"
            ).fetchall()
            shapes = con.execute("SELECT count(*) FROM decided_shapes").fetchone()
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert figures is not None and shapes is not None
    return DedupResult(
        output=output,
        engine=engine,
        records=counted,
        groups=int(figures[1]),
        rows=int(figures[0]),
        shapes=int(shapes[0]),
        actions={str(a): int(n) for a, n in actions},
        gaps=int(figures[2]),
        seconds=time.perf_counter() - started,
    )


def _spill_root(output: Path) -> str | None:
    root = os.environ.get("CANBAO_SPILL_DIR")
    return root if root else str(output.parent) if output.parent.is_dir() else None


def _duckdb_run(con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy, tell: Progress) -> str:
    tell(STEPS[1], 0, 0)
    regions = make_tables(lambda sql: con.execute(sql).fetchall(), "duckdb", policy, as_of.year)
    columns = ", ".join(f"{c} {t}" for c, t in DECISIONS.items())
    con.execute(f"CREATE OR REPLACE TABLE decisions ({columns})")
    con.execute("CREATE OR REPLACE TABLE decided_shapes (shape VARCHAR)")
    total = _one(con, "SELECT count(DISTINCT shape) FROM shapes")
    reader = con.cursor()
    reader.execute(DISTINCT_SHAPES)
    done = 0
    tell(STEPS[2], 0, total)
    while batch := [str(row[0]) for row in reader.fetchmany(BATCH)]:
        rows = list(_decision_rows(batch, regions, as_of, policy))
        unnested = ", ".join(f"unnest(?::{t}[])" for t in DECISIONS.values())
        con.execute(
            f"INSERT INTO decisions SELECT {unnested}",
            [[row[i] for row in rows] for i in range(len(DECISIONS))],
        )
        con.execute("INSERT INTO decided_shapes SELECT unnest(?::VARCHAR[])", [batch])
        done += len(batch)
        tell(STEPS[2], done, total)
    con.execute(f"CREATE OR REPLACE TABLE result AS {RESULT}")
    return "result"


def _spark_run(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    work: Path,
    as_of: date,
    policy: Policy,
    tell: Progress,
) -> str:
    from canbao.batch.spark import session

    spark = session()
    reader = spark.read.option("header", True) if source.suffix.lower() == ".csv" else spark.read
    frame = (
        reader.csv(str(source)) if source.suffix.lower() == ".csv" else reader.parquet(str(source))
    )
    frame.createOrReplaceTempView("records_source")
    typed = ", ".join(
        c if t == "VARCHAR" else f"CAST(NULLIF(CAST({c} AS STRING), '') AS {t}) AS {c}"
        for c, t in records.COLUMNS.items()
    )
    spark.sql(f"SELECT {typed} FROM records_source").createOrReplaceTempView("records")
    tell(STEPS[1], 0, 0)
    try:
        regions = make_tables(lambda sql: spark.sql(sql).collect(), "spark", policy, as_of.year)
        # The distinct shapes are few (bounded by the codes and the regions' classes, not by
        # the records), so the driver holds them.
        shapes = [str(row[0]) for row in spark.sql(DISTINCT_SHAPES).collect()]
        tell(STEPS[2], 0, len(shapes))
        decided = list(_decision_rows(shapes, regions, as_of, policy))
        schema = ", ".join(f"{c} {t.replace('VARCHAR', 'STRING')}" for c, t in DECISIONS.items())
        spark.createDataFrame(decided, schema).createOrReplaceTempView("decisions")
        tell(STEPS[2], len(shapes), len(shapes))
        folder = work / "spark-result"
        spark.sql(RESULT).write.parquet(str(folder))
    finally:
        for name, _ in reversed(SQL):
            spark.sql(f"UNCACHE TABLE IF EXISTS {name}")
            spark.catalog.dropTempView(name)
    con.execute(
        "CREATE OR REPLACE TABLE decided_shapes AS SELECT unnest(?::VARCHAR[]) AS shape", [shapes]
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW spark_result AS "
        f"SELECT * FROM read_parquet('{records.quoted(folder)}/*.parquet')"
    )
    return "spark_result"


def _decision_rows(
    shapes: list[str], regions: Regions, as_of: date, policy: Policy
) -> Iterator[tuple[Any, ...]]:
    """The decision rows (DECISIONS' columns) of each shape, decided by the rules engine."""
    for shape in shapes:
        facts = facts_of(shape, regions, as_of)
        decision = decide_facts(duplicates.KIND, facts, policy)
        for pos, row in enumerate(per_record(decision, [r.id for r in facts.records]), 1):
            yield (shape, pos, *row)


def facts_of(shape: str, regions: Regions, as_of: date) -> duplicates.DuplicateFacts:
    """The facts of a group's shape (see the module's notes); records are ``r000001`` … in
    the order of their ``rlts_id``; the j-th distinct region of a class in the group stands
    for the class's j-th region."""
    items, identities, categories, entered, months = shape.split("|")
    fields = [item.split(",") for item in items.split("/")]
    labels = sorted({f[1] for f in fields}, key=lambda label: [int(n) for n in label.split("#")])
    stand_in: dict[str, str] = {}
    for label in labels:
        index = int(label.split("#")[0])
        taken = sum(1 for other in stand_in if other.split("#")[0] == str(index))
        stand_in[label] = regions.classes[index][taken]
    found = []
    for pos, (insutype, label, begins, ends, places, flexible) in enumerate(fields, 1):
        found.append(
            duplicates.Record(
                f"r{pos:06d}",
                next(s for s in Scheme if s.insutype == insutype),
                stand_in[label],
                Period(_day(begins), _day(ends)),
                duplicates.NORMAL,
                True,
                frozenset(p for p in places.split(";") if p),
                flexible == "1",
            )
        )
    return duplicates.DuplicateFacts(
        as_of=as_of,
        identities=_codes(identities),
        categories=_codes(categories),
        entered_school_year=int(entered) if entered else None,
        records=tuple(found),
        employee_continuous_months=int(months),
    )


def per_record(
    decision: Decision, ids: list[str]
) -> Iterator[tuple[str | None, str | None, bool | None, bool, str, str]]:
    """(type, action, subsidy_deduction, notified, rules, status) of each record id;
    ``notified``: the record's region is told (``notify_region``)."""
    answer = decision.answer
    actions = {a["id"]: a for a in answer.get("actions") or []}
    deducted = answer.get("subsidy_deduction")
    rules = ";".join(decision.rules)
    for rid in ids:
        action: str | None
        if answer.get("awaiting_consent"):
            action = "awaiting_consent"
        elif rid == answer.get("keep"):
            action = "keep"
        elif rid in actions:
            action = str(actions[rid]["action"])
        else:
            action = None
        notified = rid in actions and actions[rid]["notify_region"] is not None
        yield (
            answer.get("type"),
            action,
            None if deducted is None else rid in deducted,
            notified,
            rules,
            decision.status.value,
        )


def _day(ranked: str) -> date:
    """The stand-in date of ``BUCKET.RANK``: the RANK-th day of the year ENTRY_YEAR + BUCKET
    (the order of the dates and their place against the entry year kept)."""
    bucket, rank = ranked.split(".")
    return date(ENTRY_YEAR + int(bucket), 1, 1) + timedelta(days=int(rank) - 1)


def _codes(joined: str) -> frozenset[str]:
    return frozenset(c for c in joined.split(";") if c)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0

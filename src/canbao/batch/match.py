"""Roster matching (数据对碰, T4, W10): a department's roster against the registry or a
section-7 records file, on DuckDB or Spark (docs/adr/0008-roster-linkage.md).

A roster (民政 hardship list, 教育 student roster, 公安 household extract) is read with
:func:`canbao.adapters.sheets.read_table`. Each row gets one status:

* ``invalid_id`` — the roster's ID number fails :func:`canbao.certno.check_certno` (or is
  blank) and the person is not found by name and birth date either; ``details`` gives the
  check's reason.
* ``matched_by_name`` — no usable ID, but exactly one registered person has the name (folded
  hanzi or the same pinyin, :mod:`canbao.batch.names`) and the birth date; ``certno`` is then
  the registry's, ``details`` says what the registry holds.
* ``ambiguous`` — several registered persons fit the name and birth date; ``details`` lists
  them with masked numbers.
* ``disagrees`` — the ID is valid but the roster contradicts it or the registry: another name
  for the same ID, a birth date or sex that contradicts the ID, a newborn listed with a
  parent's number (the row's person is under one year old on the day of matching and the
  number's birth date is earlier).
* ``enrolled`` — the ID's person has a relation in 正常参保 status (``psn_insu_stas`` 1) that
  has begun and not ended on the day of matching (``as_of``, default today), in any scheme and
  any region: a person covered elsewhere is not one to enroll here (that would be a
  duplicate, D1); ``details`` names the scheme and region.
* ``not_enrolled`` — no such relation: never registered, or left (断保/停保); ``details`` says
  when the last relation ended and why (暂停/终止 and the stop reason the registry recorded).

How the work is split (set-based; no Python loop over the registry or the records):

1. The roster's ID numbers are checked in DuckDB (the GB 11643 check character, birth date
   and address code in SQL, :data:`VALID_ID_SQL`); only numbers that SQL does not accept as
   they stand (blank, 15 digits, spaces, foreign IDs, errors) go through ``check_certno`` for
   their normalised form or their reason.
2. The engine (DuckDB or Spark, the same SQL text) joins the valid IDs to the persons and
   summarises each person's relations as of the day: the latest normal one, else the one that
   ended last.
3. Rows without a valid ID are linked with Splink on the engine's backend, against the
   persons born on the rows' birth dates (blocking: pinyin name key + birth date, or surname
   + birth date + sex; never the name alone), with fixed m/u probabilities and a fixed
   threshold (ADR 0009).
"""

from __future__ import annotations

import datetime
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from sqlalchemy import select

from canbao.adapters import tables as t
from canbao.adapters.database import ready
from canbao.adapters.registration_form import COLUMNS as FORM_COLUMNS
from canbao.adapters.sheets import SheetError, read_table
from canbao.batch import records as rec
from canbao.batch.names import fold, prepare
from canbao.certno import check_certno
from canbao.certno.check import EARLIEST_BIRTH_DATE, FOREIGNER_MARK
from canbao.certno.regions import address_codes
from canbao.domain.codes import ENROLLMENT_STATUS, INSUTYPE_NAMES, REFUND_REASONS
from canbao.services.imports import hukou_region

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "ROSTER_COLUMNS",
    "STATUSES",
    "MatchBench",
    "MatchError",
    "MatchReport",
    "MatchRow",
    "bench",
    "match_file",
    "match_roster",
]

Engine = Literal["duckdb", "spark"]
Status = Literal[
    "enrolled", "not_enrolled", "disagrees", "invalid_id", "matched_by_name", "ambiguous"
]
STATUSES: Final[tuple[Status, ...]] = (
    "enrolled", "not_enrolled", "disagrees", "invalid_id", "matched_by_name", "ambiguous",
)  # fmt: skip

#: Accepted header texts → canonical field names: the 登记表's for the person (姓名, 身份证号码 or
#: 公民身份号码, 性别, 出生日期, 户籍地址 …, or the national names), its 参保属地 as the row's
#: region, and the rosters' own 所属区县 and 学校.
ROSTER_COLUMNS: Final[dict[str, str]] = {
    text: "region" if field == "insuplc_admdvs" else field
    for text, field in FORM_COLUMNS.items()
    if field in ("seq", "psn_name", "certno", "gend", "brdy", "tel", "hukou_address",
                 "insuplc_admdvs")
} | {"所属区县": "region", "区县": "region", "学校": "school", "学校名称": "school"}  # fmt: skip
REQUIRED: Final = ("psn_name", "certno")

#: Scheme names for the details (SPEC section 2).
_SEXES: Final = {"男": "1", "女": "2", "1": "1", "2": "2"}
_SEX_NAMES: Final = {"1": "男", "2": "女"}
_DATE: Final = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{4})(\d{2})(\d{2})")
_REGION_CODE: Final = re.compile(r"\d{6}", re.ASCII)

# --- linkage model (ADR 0009): fixed probabilities, fixed threshold --------------------------
#: The prior that two persons in one block (same birth date and name key, or same birth date,
#: surname and sex) are the same person.
PRIOR: Final = 0.01
#: (m, u) per level of the name comparison: same folded hanzi, same pinyin (homophones),
#: pinyin Jaro-Winkler ≥ :data:`JARO_WINKLER`, anything else.
NAME_LEVELS: Final = ((0.90, 0.0005), (0.10, 0.0015), (0.15, 0.01), (0.01, 0.9875))
JARO_WINKLER: Final = 0.92
SEX_LEVELS: Final = ((0.997, 0.5), (0.003, 0.5))
REGION_LEVELS: Final = ((0.85, 0.10), (0.15, 0.90))
#: A pair is a match from this match weight (log2 of the Bayes factor with the prior) on.
THRESHOLD: Final = 0.0


class MatchError(Exception):
    """The job cannot run: a roster or records file that cannot be read (its reason in
    Chinese, naming the column where one is missing)."""


@dataclass(frozen=True, slots=True)
class MatchRow:
    """One roster row's outcome (SPEC section 7).

    Attributes:
      row: the row as the clerk sees it (Excel row, title and header rows counted; CSV line).
      certno: the normalised ID (the registry's for ``matched_by_name``), the text as given for
        ``invalid_id``, None where there is none.
      status: one of :data:`STATUSES`.
      psn_no: the registered person's number, where one was found.
      details: what was found, in Chinese.
    """

    row: int
    certno: str | None
    status: Status
    psn_no: str | None
    details: str


@dataclass(frozen=True)
class MatchReport:
    """The outcome of matching one roster, row by row in roster order."""

    rows: tuple[MatchRow, ...]

    def counts(self) -> dict[str, int]:
        """Rows per status, every status present."""
        found: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for row in self.rows:
            found[row.status] += 1
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": [
                {
                    "row": r.row,
                    "certno": r.certno,
                    "status": r.status,
                    "psn_no": r.psn_no,
                    "details": r.details,
                }
                for r in self.rows
            ]
        }


# --- the roster --------------------------------------------------------------------------------

_RAW_SCHEMA: Final = pa.schema(
    [
        ("row", pa.int64()),
        ("psn_name", pa.string()),
        ("certno", pa.string()),
        ("gend", pa.string()),
        ("brdy", pa.date32()),
        ("region", pa.string()),
    ]
)


def read_roster(path: Path) -> pa.Table:
    """The roster's rows as an Arrow table (``row, psn_name, certno, gend, brdy, region``)."""
    try:
        table = read_table(path, ROSTER_COLUMNS, REQUIRED)
    except SheetError as error:
        raise MatchError(f"{path.name}：{error.reason}") from error
    return pa.Table.from_pylist([_raw(row.number, row.cells) for row in table.rows], _RAW_SCHEMA)


def _raw(number: int, cells: dict[str, str]) -> dict[str, Any]:
    region_text = cells.get("region", "")
    region = region_text if _REGION_CODE.fullmatch(region_text) else hukou_region(region_text)
    return {
        "row": number,
        "psn_name": cells.get("psn_name", ""),
        "certno": cells.get("certno", ""),
        "gend": _SEXES.get(cells.get("gend", "")),
        "brdy": _date(cells.get("brdy", "")),
        "region": region or hukou_region(cells.get("hukou_address")),
    }


def _date(text: str) -> datetime.date | None:
    found = _DATE.fullmatch(text.split(" ")[0]) if text else None
    if found is None:
        return None
    year, month, day = (
        int(part) for part in (found.groups()[:3] if found[1] else found.groups()[3:])
    )
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


#: An 18-digit citizen's or permit number that check_certno accepts exactly as it stands.
VALID_ID_SQL: Final = (
    "coalesce(CASE WHEN regexp_full_match(certno, "
    f"'[1-{int(FOREIGNER_MARK) - 1}][0-9]{{16}}[0-9X]') "
    f"THEN {rec.check_character_sql('certno')} = substr(certno, 18, 1) "
    "AND CAST(try_strptime(substr(certno, 7, 8), '%Y%m%d') AS DATE) "
    f"BETWEEN DATE '{EARLIEST_BIRTH_DATE.isoformat()}' AND DATE '{{today}}' "
    "AND substr(certno, 1, 6) IN (SELECT code FROM address_code) END, false)"
)


def _checked_roster(raw: pa.Table, today: datetime.date) -> pa.Table:
    """The roster with ``certno18, id_birth, id_sex, id_reason`` (see the module, step 1)."""
    con = _duckdb()
    try:
        con.register("raw", raw)
        codes = pa.table({"code": list(address_codes())})
        con.register("address_code", codes)
        valid = VALID_ID_SQL.replace("{today}", today.isoformat())
        con.execute(f"CREATE TABLE roster AS SELECT *, {valid} AS fast FROM raw")
        slow = con.execute("SELECT row, certno FROM roster WHERE NOT fast").fetchall()
        checked = [(row, check_certno(text or "", today)) for row, text in slow]
        con.register(
            "slow",
            pa.table(
                {
                    "row": pa.array([row for row, _ in checked], pa.int64()),
                    "certno18": [c.certno18 if c.valid else None for _, c in checked],
                    "id_birth": pa.array([c.birth_date for _, c in checked], pa.date32()),
                    "id_sex": [c.sex for _, c in checked],
                    "id_reason": [c.reason for _, c in checked],
                }
            ),
        )
        return con.sql(
            "SELECT r.row, r.psn_name, r.certno, r.gend, r.brdy, r.region, "
            "CASE WHEN r.fast THEN r.certno ELSE s.certno18 END AS certno18, "
            "CASE WHEN r.fast THEN CAST(strptime(substr(r.certno, 7, 8), '%Y%m%d') AS DATE) "
            "ELSE s.id_birth END AS id_birth, "
            "CASE WHEN r.fast THEN CASE WHEN CAST(substr(r.certno, 17, 1) AS INTEGER) % 2 = 1 "
            "THEN '1' ELSE '2' END ELSE s.id_sex END AS id_sex, "
            "s.id_reason FROM roster r LEFT JOIN slow s ON s.row = r.row ORDER BY r.row"
        ).to_arrow_table()
    finally:
        con.close()


def _duckdb() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection without a progress bar."""
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    return connection


# --- the engines -------------------------------------------------------------------------------


class _DuckDB:
    def __init__(self) -> None:
        self.con = _duckdb()

    def load(self, name: str, table: pa.Table) -> None:
        self.con.register(f"{name}_arrow", table)
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
        self.con.unregister(f"{name}_arrow")

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def load_records(self, path: Path) -> None:
        kind = rec.file_format(path)
        columns = ", ".join(f"'{name}': '{kind_}'" for name, kind_ in rec.COLUMNS.items())
        source = (
            f"read_csv('{path}', header = true, columns = {{{columns}}})"
            if kind == "csv"
            else f"read_parquet('{path}')"
        )
        self.con.execute(f"CREATE OR REPLACE VIEW records AS SELECT * FROM {source}")

    def splink_api(self) -> Any:
        from splink import DuckDBAPI

        return DuckDBAPI(self.con)

    def linker_input(self, api: Any, name: str) -> Any:
        return api.register(name, table_name=f"splink_{name}")

    def close(self) -> None:
        self.con.close()


class _Spark:
    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self.cached: list[Any] = []

    def load(self, name: str, table: pa.Table) -> None:
        frame = self.spark.createDataFrame(table) if table.num_rows else self._empty(table)
        frame.createOrReplaceTempView(name)

    def _empty(self, table: pa.Table) -> Any:
        from pyspark.sql.pandas.types import from_arrow_schema

        return self.spark.createDataFrame([], from_arrow_schema(table.schema))

    def view(self, name: str, sql: str) -> None:
        frame = self.spark.sql(sql).cache()
        self.cached.append(frame)
        frame.createOrReplaceTempView(name)

    def query(self, sql: str) -> pa.Table:
        return self.spark.sql(sql).toArrow()

    def load_records(self, path: Path) -> None:
        rec.spark_view(self.spark, path)

    def splink_api(self) -> Any:
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        # Splink's Jaro-Winkler is a Scala function in a jar that ships with Splink.
        self.spark.sql(f"ADD JAR {similarity_jar_location()}")
        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=self.spark,
            break_lineage_method="persist",
            num_partitions_on_repartition=2,
        )

    def linker_input(self, api: Any, name: str) -> Any:
        return api.register(self.spark.table(name))

    def close(self) -> None:
        for name in (
            "records",
            "wanted_records",
            "persons",
            "relations",
            "roster_ids",
            "births",
            "linked",
            "link_rows",
            "candidates",
            "names",
            "region_names",
            "link_left",
            "link_right",
        ):
            self.spark.catalog.dropTempView(name)
        for frame in self.cached:
            frame.unpersist()


@contextmanager
def _backend(engine: Engine, cores: int | None = None) -> Iterator[_DuckDB | _Spark]:
    if engine == "spark":
        from canbao.batch.spark import session

        backend: _DuckDB | _Spark = _Spark(session(cores))
    else:
        backend = _DuckDB()
    try:
        yield backend
    finally:
        backend.close()


# --- the registered persons and their relations ------------------------------------------------

#: ``persons(pkey, psn_no, certno, psn_name, gend, brdy, region)`` from a records file: one
#: per certno (the latest record's data), or per psn_no for records without one.
_RECORDS_PERSONS: Final = """
SELECT pkey, psn_no, certno, psn_name, gend, brdy, region FROM (
  SELECT coalesce(certno, concat('psn:', psn_no)) AS pkey, psn_no, certno, psn_name, gend, brdy,
         insuplc_admdvs AS region,
         row_number() OVER (PARTITION BY coalesce(certno, concat('psn:', psn_no))
                            ORDER BY begndate DESC, rlts_id DESC) AS n
  FROM wanted_records) latest
WHERE n = 1"""
#: ``relations(pkey, insutype, admdvs, stas, begndate, enddate, reason)``: ``enddate`` the
#: last day covered.
_RECORDS_RELATIONS: Final = """
SELECT coalesce(certno, concat('psn:', psn_no)) AS pkey, insutype, insuplc_admdvs AS admdvs,
       psn_insu_stas AS stas, begndate, enddate, CAST(NULL AS STRING) AS reason
FROM wanted_records"""
#: The records that matching can use: those of the roster's IDs and those born on the birth
#: dates of the rows to link (filtered first, so the rest of the job is roster-sized).
_WANTED_RECORDS: Final = """
SELECT * FROM records
WHERE certno IN (SELECT certno FROM roster_ids) OR brdy IN (SELECT brdy FROM births)"""


def _registry_tables(
    url: str, as_of: datetime.date, regions: Sequence[str] | None = None
) -> tuple[pa.Table, pa.Table]:
    """The registry's persons and relations as of the day, read with one query per table and
    shaped in DuckDB (the latest version valid on the day; ADR 0006). With ``regions`` (a
    user's scope), only the persons with a relation in one of them (or, never enrolled, a
    hukou there) and their relations: nobody else is seen."""
    pv, c, e, ev, log = (
        t.person_version, t.certificate, t.enrollment, t.enrollment_version, t.change_log,
    )  # fmt: skip
    queries = {
        "version": select(
            pv.c.id,
            pv.c.psn_no,
            pv.c.valid_from,
            pv.c.psn_name,
            pv.c.gend,
            pv.c.brdy,
            pv.c.hukou_admdvs,
        ).where(pv.c.valid_from <= as_of),  # fmt: skip
        "certificate": select(c.c.psn_no, c.c.certno),
        "relation": select(
            ev.c.id,
            ev.c.rlts_id,
            ev.c.valid_from,
            e.c.psn_no,
            e.c.insutype,
            e.c.insuplc_admdvs,
            ev.c.psn_insu_stas,
            ev.c.psn_insu_date,
            ev.c.paus_insu_date,
            log.c.reason,
        )
        .select_from(e.join(ev, ev.c.rlts_id == e.c.rlts_id).join(log, log.c.id == ev.c.change_id))
        .where(ev.c.valid_from <= as_of),  # fmt: skip
    }
    con = _duckdb()
    try:
        with ready(url).connect() as connection:
            for name, query in queries.items():
                result = connection.execute(query)
                columns = list(result.keys())
                rows = result.fetchall()
                data = {column: [row[i] for row in rows] for i, column in enumerate(columns)}
                con.register(name, pa.table(data) if rows else _empty_arrow(query))
        seen = ""
        if regions is not None:
            con.register("scope", pa.table({"admdvs": pa.array(list(regions), pa.string())}))
            seen = (
                " AND (v.psn_no IN (SELECT psn_no FROM relation WHERE insuplc_admdvs IN "
                "(SELECT admdvs FROM scope)) OR (v.hukou_admdvs IN (SELECT admdvs FROM scope) "
                "AND v.psn_no NOT IN (SELECT psn_no FROM relation)))"
            )
        persons = con.sql(
            "SELECT v.psn_no AS pkey, v.psn_no, c.certno, v.psn_name, v.gend, v.brdy, "
            "v.hukou_admdvs AS region FROM (SELECT *, row_number() OVER (PARTITION BY psn_no "
            "ORDER BY valid_from DESC, id DESC) AS n FROM version) v "
            "LEFT JOIN (SELECT psn_no, min(certno) AS certno FROM certificate GROUP BY psn_no) c "
            "ON c.psn_no = v.psn_no WHERE v.n = 1" + seen
        ).to_arrow_table()
        con.register("seen", persons.select(["psn_no"]))
        relations = con.sql(
            "SELECT psn_no AS pkey, insutype, insuplc_admdvs AS admdvs, psn_insu_stas AS stas, "
            "psn_insu_date AS begndate, CAST(paus_insu_date - 1 AS DATE) AS enddate, "
            "CASE WHEN paus_insu_date IS NULL THEN NULL ELSE reason END AS reason "
            "FROM (SELECT *, row_number() OVER (PARTITION BY rlts_id "
            "ORDER BY valid_from DESC, id DESC) AS n FROM relation) WHERE n = 1"
            " AND psn_no IN (SELECT psn_no FROM seen)"
        ).to_arrow_table()
    finally:
        con.close()
    return persons, relations


def _empty_arrow(query: Any) -> pa.Table:
    kinds = {"valid_from": pa.date32(), "brdy": pa.date32(), "psn_insu_date": pa.date32()}
    kinds |= {"paus_insu_date": pa.date32(), "id": pa.int64()}
    return pa.table(
        {
            column: pa.array([], kinds.get(column, pa.string()))
            for column in query.selected_columns.keys()
        }
    )


# --- the matching --------------------------------------------------------------------------------

#: Per wanted person (``wanted(key, pkey, psn_no, certno, psn_name)``): the relation that says
#: most about the day — a normal one, else the one that ended last (``normal`` 1 or 0).
_SUMMARY: Final = """
SELECT w.key, w.pkey, w.psn_no, w.certno, w.psn_name, s.insutype, s.admdvs, s.stas,
       s.begndate, s.enddate, s.reason, s.normal
FROM ({wanted}) w LEFT JOIN (
  SELECT * FROM (
    SELECT x.*, row_number() OVER (PARTITION BY x.pkey ORDER BY x.normal DESC,
           coalesce(x.enddate, x.begndate) DESC, x.admdvs, x.insutype) AS n
    FROM (
      SELECT rel.pkey, rel.insutype, rel.admdvs, rel.stas, rel.begndate, rel.enddate,
             rel.reason,
             CASE WHEN rel.stas = '1' AND (rel.enddate IS NULL OR rel.enddate >= DATE '{as_of}')
                  THEN 1 ELSE 0 END AS normal
      FROM relations rel
      WHERE rel.begndate <= DATE '{as_of}'
        AND rel.pkey IN (SELECT pkey FROM ({wanted}) k)) x) ranked
  WHERE n = 1) s ON s.pkey = w.pkey"""

_BY_ID: Final = (
    "SELECT r.row AS key, p.pkey, p.psn_no, p.certno, p.psn_name "
    "FROM roster_ids r JOIN persons p ON p.certno = r.certno"
)
_BY_NAME: Final = (
    "SELECT l.row AS key, p.pkey, p.psn_no, p.certno, p.psn_name "
    "FROM linked l JOIN persons p ON p.pkey = l.pkey"
)
#: The persons a row without a valid ID may be: born on a row's birth date, or, for a row
#: without one, of its region under its name as written or folded (``region_names``).
_CANDIDATES: Final = """
SELECT p.pkey, p.psn_no, p.certno, p.psn_name, p.gend, p.brdy, p.region FROM persons p
JOIN (SELECT DISTINCT brdy FROM births) b ON b.brdy = p.brdy
UNION
SELECT p.pkey, p.psn_no, p.certno, p.psn_name, p.gend, p.brdy, p.region FROM persons p
JOIN (SELECT DISTINCT region, psn_name FROM region_names) n
  ON n.region = p.region AND n.psn_name = p.psn_name"""
#: One side of the linkage, built in the engine from the table ``source`` and ``names``.
_LINK_SIDE: Final = """
SELECT concat('{prefix}', CAST(s.{key} AS STRING)) AS unique_id, n.folded AS name_folded,
       n.pinyin, n.name_key, n.surname, CASE WHEN s.gend IN ('1', '2') THEN s.gend END AS gend,
       CAST(s.brdy AS STRING) AS brdy, s.region, {region_block} AS region_block
FROM {source} s JOIN names n ON n.psn_name = s.psn_name"""
_NAMES: Final = pa.schema(
    [(field, pa.string()) for field in ("psn_name", "folded", "pinyin", "name_key", "surname")]
)


def match_file(
    roster: Path,
    *,
    database_url: str | None = None,
    records: Path | None = None,
    engine: Engine = "duckdb",
    as_of: datetime.date | None = None,
    regions: Sequence[str] | None = None,
) -> MatchReport:
    """Match a roster file against the registry at ``database_url`` (only the persons of
    ``regions`` when given) or, with ``records``, against a section-7 records file. Raises
    MatchError for a file that cannot be read."""
    return match_roster(
        read_roster(roster), database_url=database_url, records=records, engine=engine,
        as_of=as_of, regions=regions,
    )  # fmt: skip


def match_roster(
    roster: pa.Table,
    *,
    database_url: str | None = None,
    records: Path | None = None,
    engine: Engine = "duckdb",
    as_of: datetime.date | None = None,
    cores: int | None = None,
    regions: Sequence[str] | None = None,
) -> MatchReport:
    """Match roster rows (``row, psn_name, certno, gend, brdy, region``) — see the module;
    with ``regions``, against the registry's persons of those regions only."""
    day = as_of or datetime.date.today()
    checked = _checked_roster(roster, day)
    ids = checked.filter(pc.is_valid(checked["certno18"])).select(["row", "certno18"])
    unlinked = checked.filter(
        pc.and_(
            pc.and_(
                pc.is_null(checked["certno18"]),
                pc.or_(pc.is_valid(checked["brdy"]), pc.is_valid(checked["region"])),
            ),
            pc.not_equal(checked["psn_name"], ""),
        )
    )
    with _backend(engine, cores) as backend:
        backend.load("roster_ids", ids.rename_columns(["row", "certno"]))
        backend.load("births", unlinked.select(["brdy"]))
        backend.load("region_names", _region_names(unlinked))
        if records is not None:
            _records_source(backend, records)
        elif database_url is not None:
            persons, relations = _registry_tables(database_url, day, regions)
            backend.load("persons", persons)
            backend.load("relations", relations)
        else:
            raise ValueError("match_roster needs database_url or records")
        by_id = backend.query(_SUMMARY.format(wanted=_BY_ID, as_of=day.isoformat()))
        backend.load("link_rows", unlinked.select(["row", "psn_name", "gend", "brdy", "region"]))
        by_name = _linkage(backend, day) if unlinked.num_rows else {}
    return _report(checked, by_id, by_name, day)


def _records_source(backend: _DuckDB | _Spark, path: Path) -> None:
    if not path.is_file():
        raise MatchError(f"找不到参保记录文件 {path}")
    try:
        backend.load_records(path)
        backend.view("wanted_records", _WANTED_RECORDS)
        backend.view("persons", _RECORDS_PERSONS)
        backend.view("relations", _RECORDS_RELATIONS)
    except rec.RecordsError as error:
        raise MatchError(str(error)) from error
    except Exception as error:  # the engine's own message about an unreadable file
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise MatchError(f"参保记录文件 {path.name} 无法读取：{first}") from error


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    """An Arrow table's rows as dicts, converted column by column (faster than by row)."""
    names = table.column_names
    return [
        dict(zip(names, values, strict=True))
        for values in zip(*table.to_pydict().values(), strict=True)
    ]


def _linkage(backend: _DuckDB | _Spark, day: datetime.date) -> dict[int, list[dict[str, Any]]]:
    """Rows without a valid ID but with a name and birth date (``link_rows``; ``births`` holds
    their dates) → their candidates at or over the threshold, each with its relation summary.
    Names are prepared once per distinct name; the linkage tables are built in the engine."""
    backend.view("candidates", _CANDIDATES)
    distinct = backend.query(
        "SELECT DISTINCT psn_name FROM candidates UNION SELECT psn_name FROM link_rows"
    )
    backend.load("names", _names(distinct.column("psn_name").to_pylist()))
    # A roster row blocks on its region only without a birth date (:func:`_settings`).
    backend.view(
        "link_left",
        _LINK_SIDE.format(
            prefix="r:",
            key="row",
            source="link_rows",
            region_block="CASE WHEN s.brdy IS NULL THEN s.region END",
        ),
    )
    backend.view(
        "link_right",
        _LINK_SIDE.format(prefix="p:", key="pkey", source="candidates", region_block="s.region"),
    )
    if backend.query("SELECT count(*) AS n FROM link_right").column("n")[0].as_py() == 0:
        return {}
    pairs = _predict(backend)
    if not pairs:
        return {}
    linked = pa.table(
        {
            "row": pa.array([row for row, _ in pairs], pa.int64()),
            "pkey": pa.array([pkey for _, pkey in pairs], pa.string()),
        }
    )
    backend.load("linked", linked)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(backend.query(_SUMMARY.format(wanted=_BY_NAME, as_of=day.isoformat()))):
        found[row["key"]].append(row)
    for candidates in found.values():
        candidates.sort(key=lambda c: (c["psn_no"] or "", c["certno"] or ""))
    return found


def _region_names(unlinked: pa.Table) -> pa.Table:
    """(region, psn_name) of the rows without a birth date but with a region: each name as
    written and folded (the registry's names are looked up as they are, so a homophone is not
    found this way; the name key still decides among the candidates)."""
    pairs = {
        (row["region"], name)
        for row in _rows(unlinked.select(["psn_name", "brdy", "region"]))
        if row["brdy"] is None and row["region"] is not None
        for name in (row["psn_name"], fold(row["psn_name"]))
    }
    ordered = sorted(pairs)
    return pa.table(
        {
            "region": pa.array([r for r, _ in ordered], pa.string()),
            "psn_name": pa.array([n for _, n in ordered], pa.string()),
        }
    )


def _names(names: Iterable[str | None]) -> pa.Table:
    """Each distinct name with its folded hanzi, pinyin and keys (None where empty)."""
    data: dict[str, list[str | None]] = {field: [] for field in _NAMES.names}
    for name in names:
        if name is None:
            continue
        prepared = prepare(name)
        data["psn_name"].append(name)
        data["folded"].append(prepared.folded or None)
        data["pinyin"].append(prepared.pinyin or None)
        data["name_key"].append(prepared.name_key or None)
        data["surname"].append(prepared.surname or None)
    return pa.table(data, _NAMES)


def _settings() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def levels(
        column: str, conditions: Sequence[Any], probabilities: Sequence[tuple[float, float]]
    ) -> Any:
        configured = [
            level.configure(m_probability=m, u_probability=u)
            for level, (m, u) in zip(conditions, probabilities, strict=True)
        ]
        return cl.CustomComparison(
            output_column_name=column, comparison_levels=[cll.NullLevel(column), *configured]
        )

    return SettingsCreator(
        link_type="link_only",
        probability_two_random_records_match=PRIOR,
        comparisons=[
            levels(
                "name_folded",
                [
                    cll.ExactMatchLevel("name_folded"),
                    cll.ExactMatchLevel("name_key"),
                    cll.JaroWinklerLevel("pinyin", JARO_WINKLER),
                    cll.ElseLevel(),
                ],
                NAME_LEVELS,
            ),
            levels("gend", [cll.ExactMatchLevel("gend"), cll.ElseLevel()], SEX_LEVELS),
            levels("region", [cll.ExactMatchLevel("region"), cll.ElseLevel()], REGION_LEVELS),
        ],
        # Region is a further block for rows without a birth date, never a condition added
        # to the others: blocks are a union, so it only adds pairs, and a person listed in one
        # region and registered in another is still found by name and birth date.
        blocking_rules_to_generate_predictions=[
            block_on("name_key", "brdy"),
            block_on("surname", "brdy", "gend"),
            block_on("name_key", "region_block"),
        ],
        retain_matching_columns=False,
    )


def _predict(backend: _DuckDB | _Spark) -> list[tuple[int, str]]:
    """(roster row, person key) of every pair at or over the threshold, sorted."""
    from splink import Linker

    api = backend.splink_api()
    linker = Linker(
        [backend.linker_input(api, "link_left"), backend.linker_input(api, "link_right")],
        _settings(),
        log_level=None,
    )
    result = linker.inference.predict(threshold_match_weight=THRESHOLD, warning_mode="never")
    table = result.as_pyarrow_table()  # type: ignore[no-untyped-call]
    frame = table.select(["unique_id_l", "unique_id_r"]).to_pylist()
    pairs: set[tuple[int, str]] = set()
    for pair in frame:
        ids = sorted(
            (pair["unique_id_l"], pair["unique_id_r"]), key=lambda i: not i.startswith("r:")
        )
        pairs.add((int(ids[0][2:]), ids[1][2:]))
    return sorted(pairs)


# --- the report ----------------------------------------------------------------------------------


def _case(column: str, names: dict[str, str]) -> str:
    """SQL: ``column``'s name from ``names``, else the code itself."""
    whens = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in names.items())
    return f"CASE {column} {whens} ELSE {column} END"


#: The registry's word on a person as of the day, in Chinese, from a summary row ``s``.
_STATE: Final = f"""
CASE WHEN s.pkey IS NULL THEN '登记库中无此证件号码'
     WHEN s.stas IS NULL THEN '登记库中有此人，但无已开始的参保关系'
     WHEN s.normal = 1 THEN '正常参保（' || {_case("s.insutype", INSUTYPE_NAMES)}
          || '，参保地 ' || s.admdvs || '）'
     ELSE coalesce('自 ' || CAST(s.enddate + 1 AS VARCHAR) || ' 起', '')
          || CASE WHEN s.stas = '1' THEN '参保关系结束（断保）'
                  ELSE {_case("s.stas", ENROLLMENT_STATUS)} END
          || '（' || {_case("s.insutype", INSUTYPE_NAMES)} || '，参保地 ' || s.admdvs
          || coalesce('；原因：' || {_case("s.reason", REFUND_REASONS)}, '') || '）'
END"""
_SEX_SQL: Final = {column: _case(column, _SEX_NAMES) for column in ("c.gend", "c.id_sex")}
#: What contradicts the ID or the registry (NULL when nothing does), row ``c``, summary ``s``.
_PROBLEMS: Final = {
    "birth": """CASE WHEN c.brdy IS NOT NULL AND c.brdy <> c.id_birth THEN
      CASE WHEN c.id_birth < c.brdy AND c.brdy > DATE '{as_of}' - INTERVAL 1 YEAR
           THEN '疑为新生儿使用父母的身份证号码：名单出生日期 ' || CAST(c.brdy AS VARCHAR)
                || '，号码中的出生日期 ' || CAST(c.id_birth AS VARCHAR)
           ELSE '出生日期与身份证号码不符：名单为 ' || CAST(c.brdy AS VARCHAR)
                || '，号码中为 ' || CAST(c.id_birth AS VARCHAR) END END""",
    "sex": f"""CASE WHEN c.gend IS NOT NULL AND c.id_sex IS NOT NULL AND c.gend <> c.id_sex
      THEN '性别与身份证号码不符：名单为' || {_SEX_SQL["c.gend"]} || '，号码中为'
           || {_SEX_SQL["c.id_sex"]} END""",
    # names that differ as written are compared folded (張偉 = 张伟): ``folded_alike``
    "name": """CASE WHEN s.pkey IS NOT NULL AND s.psn_name <> c.psn_name
      AND c.row NOT IN (SELECT row FROM folded_alike)
      THEN '姓名不一致：名单为“' || c.psn_name || '”，登记为“' || s.psn_name || '”' END""",
}
_WITH_ID: Final = f"""
SELECT row, certno,
       CASE WHEN coalesce(birth, sex, name) IS NOT NULL THEN 'disagrees'
            WHEN normal = 1 THEN 'enrolled' ELSE 'not_enrolled' END AS status,
       psn_no, concat_ws('；', birth, sex, name, state) AS details
FROM (SELECT c.row, c.certno18 AS certno, s.psn_no, s.normal, {_STATE} AS state,
             {_PROBLEMS["birth"]} AS birth, {_PROBLEMS["sex"]} AS sex,
             {_PROBLEMS["name"]} AS name
      FROM checked c LEFT JOIN by_id s ON s.key = c.row
      WHERE c.certno18 IS NOT NULL) x
ORDER BY row"""


def _report(
    checked: pa.Table,
    by_id: pa.Table,
    by_name: dict[int, list[dict[str, Any]]],
    day: datetime.date,
) -> MatchReport:
    """Rows with an ID are assembled in one DuckDB query (set-based); the few without one,
    and their candidates, here."""
    con = _duckdb()
    try:
        con.register("checked", checked)
        con.register("by_id", by_id)
        differ = con.execute(
            "SELECT c.row, c.psn_name, s.psn_name FROM checked c JOIN by_id s ON s.key = c.row "
            "WHERE s.psn_name <> c.psn_name"
        ).fetchall()
        alike = [row for row, given, held in differ if fold(given) == fold(held)]
        con.register("folded_alike", pa.table({"row": pa.array(alike, pa.int64())}))
        with_id = con.sql(_WITH_ID.replace("{as_of}", day.isoformat())).to_arrow_table()
        named = [c for candidates in by_name.values() for c in candidates]
        states = _states(con, named)
    finally:
        con.close()
    columns = with_id.to_pydict()
    rows = [
        MatchRow(*values)
        for values in zip(
            columns["row"], columns["certno"], columns["status"], columns["psn_no"],
            columns["details"], strict=True,
        )
    ]  # fmt: skip
    unlinked = checked.filter(pc.is_null(checked["certno18"]))
    rows += [_without_id(row, by_name.get(row["row"], []), states) for row in _rows(unlinked)]
    return MatchReport(tuple(sorted(rows, key=lambda r: r.row)))


def _states(con: duckdb.DuckDBPyConnection, summaries: list[dict[str, Any]]) -> dict[str, str]:
    """Person key → the registry's word on them (:data:`_STATE`), for these summaries."""
    if not summaries:
        return {}
    con.register("s", pa.Table.from_pylist(summaries))
    return dict(con.execute(f"SELECT s.pkey, {_STATE} FROM s").fetchall())


def _without_id(
    row: dict[str, Any], found: list[dict[str, Any]], states: dict[str, str]
) -> MatchRow:
    given = row["certno"] or None
    reason = (row["id_reason"] or "empty: 号码为空").split(": ", 1)[-1]
    why = f"证件号码无效（{reason}）" if given else "名单无证件号码"
    by = "按姓名和出生日期" if row["brdy"] is not None else "名单无出生日期；按姓名和地区"
    if not found:
        tried = (
            f"{by}未找到"
            if row["brdy"] is not None or row["region"] is not None
            else "名单无出生日期和地区，无法按姓名比对"
        )
        return MatchRow(row["row"], given, "invalid_id", None, f"{why}；{tried}")
    if len(found) > 1:
        listed = "、".join(
            f"{c['psn_name']}（个人编号 {c['psn_no']}，证件号码 {_mask(c['certno'])}）"
            for c in found
        )
        return MatchRow(
            row["row"], given, "ambiguous", None,
            f"{why}；{by}找到{len(found)}人：{listed}",
        )  # fmt: skip
    person = found[0]
    return MatchRow(
        row["row"], person["certno"], "matched_by_name", person["psn_no"],
        f"{why}；{by}找到：{person['psn_name']}；{states[person['pkey']]}",
    )  # fmt: skip


def _mask(certno: str | None) -> str:
    if not certno:
        return "无"
    return certno[:6] + "*" * (len(certno) - 10) + certno[-4:]


# --- the benchmark -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchBench:
    """Figures of one run of :func:`bench` (seconds; rows per second of roster).

    Attributes:
      roster_rows, records, engine: the sizes and the engine.
      linkage_rows: roster rows without an ID (linked by name).
      exact_seconds: matching the roster's rows with an ID (checks, join, summaries, report).
      linkage_seconds: matching the rows without an ID.
      baseline_seconds: a bare DuckDB hash join of the same roster to the records on certno.
    """

    roster_rows: int
    records: int
    engine: str
    linkage_rows: int
    exact_seconds: float
    linkage_seconds: float
    baseline_seconds: float

    @property
    def exact_rows_per_second(self) -> float:
        return self.roster_rows / self.exact_seconds if self.exact_seconds else 0.0

    @property
    def linkage_rows_per_second(self) -> float:
        return self.linkage_rows / self.linkage_seconds if self.linkage_seconds else 0.0

    @property
    def ratio(self) -> float:
        """Exact matching's time over the bare join's."""
        return self.exact_seconds / self.baseline_seconds if self.baseline_seconds else 0.0


_SURNAMES: Final = "['张','王','李','赵','刘','陈','杨','黄','单','曾']"
_GIVEN: Final = "['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳']"


def _synthetic(
    folder: Path, roster_rows: int, records: int, linkage_rows: int
) -> tuple[Path, Path, Path]:
    """Records (Parquet) of ``records`` persons, one relation each, a roster (Parquet) of
    ``roster_rows`` of them with IDs, and one of ``linkage_rows`` without: generated in
    DuckDB. Numbers: 440783 + a birth date + a sequence + the check character."""
    con = _duckdb()
    try:
        check = rec.check_character_sql("body")
        moved = "('110101' || substr(certno, 7, 11))"  # the same person, registered nowhere
        other = f"{moved} || {rec.check_character_sql(moved)}"
        con.execute(
            f"""CREATE TABLE people AS SELECT i,
                body || {check} AS certno,
                'P' || lpad(CAST(i AS VARCHAR), 10, '0') AS psn_no,
                {_SURNAMES}[(i % 10) + 1] || {_GIVEN}[((i // 10) % 12) + 1]
                  || {_GIVEN}[((i // 120) % 12) + 1] AS psn_name,
                brdy, CASE WHEN (i // 30000) % 2 = 1 THEN '1' ELSE '2' END AS gend
              FROM (SELECT i, brdy, '440783' || strftime(brdy, '%Y%m%d')
                      || lpad(CAST((i // 30000) % 1000 AS VARCHAR), 3, '0') AS body
                    FROM (SELECT i, DATE '1940-01-01' + CAST(i % 30000 AS INTEGER) AS brdy
                          FROM range({records}) r(i)))"""
        )
        records_path, roster_path, link_path = (
            folder / "records.parquet", folder / "roster.parquet", folder / "linkage.parquet",
        )  # fmt: skip
        con.execute(
            f"""COPY (SELECT 'R' || CAST(i AS VARCHAR) AS rlts_id, psn_no, certno, psn_name, gend,
                brdy, '390' AS insutype, '1501' AS psn_type, '440783' AS insuplc_admdvs,
                CASE WHEN i % 20 = 0 THEN '2' ELSE '1' END AS psn_insu_stas,
                '1' AS psn_clct_stas, DATE '2021-01-01' AS begndate,
                CASE WHEN i % 20 = 0 THEN DATE '2022-06-30' END AS enddate,
                'hukou' AS places, false AS flexible, 0 AS employee_continuous_months,
                '' AS identities, '' AS categories, CAST(NULL AS INTEGER) AS entered_school_year
              FROM people) TO '{records_path}' (FORMAT parquet)"""
        )
        # Every tenth roster row is someone the records do not hold; every 50th gives a name
        # that disagrees.
        con.execute(
            f"""COPY (SELECT CAST(n + 2 AS BIGINT) AS row,
                CASE WHEN n % 50 = 7 THEN psn_name || '某' ELSE psn_name END AS psn_name,
                CASE WHEN n % 10 = 3 THEN other ELSE certno END AS certno,
                gend, brdy, '440783' AS region
              FROM (SELECT row_number() OVER () - 1 AS n, *, {other} AS other FROM people
                    USING SAMPLE {roster_rows} ROWS (reservoir, 42)))
              TO '{roster_path}' (FORMAT parquet)"""
        )
        con.execute(
            f"""COPY (SELECT CAST(i + 2 AS BIGINT) AS row, psn_name, '' AS certno, gend, brdy,
                '440783' AS region FROM people WHERE i < {linkage_rows})
              TO '{link_path}' (FORMAT parquet)"""
        )
    finally:
        con.close()
    return records_path, roster_path, link_path


def bench(
    roster_rows: int,
    records: int,
    engine: Engine = "duckdb",
    *,
    linkage_rows: int | None = None,
    folder: Path | None = None,
    cores: int | None = None,
) -> MatchBench:
    """Time matching a synthetic roster of ``roster_rows`` (with IDs) and of ``linkage_rows``
    (default 1% of the roster, at least 10, without IDs) against ``records`` records, beside
    a bare DuckDB hash join of the same roster on certno. The files are written to ``folder``
    (default: a temporary folder, removed afterwards). The roster is read from Parquet, not
    through ``read_table``: this measures matching, not reading a spreadsheet."""
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="canbao-match-") as temporary:
            return bench(
                roster_rows, records, engine, linkage_rows=linkage_rows,
                folder=Path(temporary), cores=cores,
            )  # fmt: skip
    linkage = linkage_rows if linkage_rows is not None else max(10, roster_rows // 100)
    records_path, roster_path, link_path = _synthetic(folder, roster_rows, records, linkage)
    con = _duckdb()
    try:
        started = time.perf_counter()
        con.execute(
            f"SELECT count(*), count(r.psn_no) FROM read_parquet('{roster_path}') o "
            f"LEFT JOIN read_parquet('{records_path}') r ON r.certno = o.certno"
        ).fetchall()
        baseline = time.perf_counter() - started
        roster = con.sql(f"SELECT * FROM read_parquet('{roster_path}')").to_arrow_table()
        named = con.sql(f"SELECT * FROM read_parquet('{link_path}')").to_arrow_table()
    finally:
        con.close()
    started = time.perf_counter()
    match_roster(roster.cast(_RAW_SCHEMA), records=records_path, engine=engine, cores=cores)
    exact = time.perf_counter() - started
    started = time.perf_counter()
    match_roster(named.cast(_RAW_SCHEMA), records=records_path, engine=engine, cores=cores)
    linkage_seconds = time.perf_counter() - started
    return MatchBench(roster_rows, records, engine, linkage, exact, linkage_seconds, baseline)

"""``canbao demo``: a synthetic population for trying the registry, loaded in bulk.

Households of the four jurisdictions (Kaiping 440783, the Meizhou counties 4414xx, the Guiyang
districts 5201xx and Gui'an 520190), each generated from a fixed seed and its own number, so
that the same household is the same on every machine and every run:

* persons with valid 18-character numbers (GB 11643: address code of the birth place, birth
  date, sequence code odd for men and even for women, check character), Chinese names (compound
  surnames 欧阳 and 司徒, and surnames a pinyin library misreads: 单 Shàn, 解 Xiè, 区 Ōu, 仇 Qiú,
  朴 Piáo), birth dates, phone numbers; Gui'an has no GB/T 2260 code, so its people carry the
  codes of the Guiyang districts it was carved from (花溪 520111, 清镇 520181) in their numbers
  and enroll in 520190;
* households with their members and bank accounts; Kaiping villages with collective accounts;
* schools and colleges as units, their students enrolled through them;
* hardship identities (dibao, tekun, tuopin, …) with their validity, some expired, each
  confirmed by a second demo clerk (``REVIEWER``) through the maker-checker path
  (``services.review.confirm``), so that the yearly assessment grants their subsidies;
* enrollment histories: most normal since some year, some stopped (deaths, moves), some switched
  to the employee scheme (the resident relation suspended), some moved to another jurisdiction,
  and some duplicates (enrolled in two jurisdictions at once).

Bulk: rows are inserted with Core ``executemany`` in batches of households, never through the
use cases one person at a time. Every row points to a change (ADR 0006): one ``change_log`` row
per household, whose ``request_key`` (``demo:<seed>:household:<n>``) makes a second run skip
the households already there, and one for the units; the reviewer's confirmations are one
more change per ``REVIEW_BATCH`` identities, in the same transaction. Ages and histories are
computed as of a fixed day, so the population does not depend on the day it is loaded.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, String, Table, cast, insert, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, UnitOfWork, insert_rows
from canbao.certno import RESIDENT_ID, check_character
from canbao.services import review
from canbao.services.hardship import SUBJECT

SEED = 20261123
#: The day the population is described as of (ages, histories, identities' validity).
AS_OF = date(2026, 1, 1)
KEY = f"demo:{SEED}"
ACTOR = "demo"
#: The second demo clerk, who confirms the identities the demo (the first) listed.
REVIEWER = "demo-reviewer"
BATCH = 500  # households per executemany batch
REVIEW_BATCH = 10_000  # identities per confirmation

NORMAL, SUSPENDED, TERMINATED = "1", "2", "4"
PAYING, PAYMENT_SUSPENDED, PAYMENT_ENDED = "1", "2", "3"
RESIDENT, EMPLOYEE = "390", "310"

#: The jurisdictions: enrollment regions → (weight, the address codes of their people's numbers).
JURISDICTIONS: dict[str, tuple[int, tuple[str, ...]]] = {
    "440783": (35, ("440783",)),
    "441402": (6, ("441402",)),
    "441403": (5, ("441403",)),
    "441422": (3, ("441422",)),
    "441423": (3, ("441423",)),
    "441424": (5, ("441424",)),
    "441426": (2, ("441426",)),
    "441427": (2, ("441427",)),
    "441481": (4, ("441481",)),
    "520102": (5, ("520102",)),
    "520103": (5, ("520103",)),
    "520111": (3, ("520111",)),
    "520112": (2, ("520112",)),
    "520113": (2, ("520113",)),
    "520115": (3, ("520115",)),
    "520121": (1, ("520121",)),
    "520122": (1, ("520122",)),
    "520123": (1, ("520123",)),
    "520181": (2, ("520181",)),
    "520190": (10, ("520111", "520181")),
}
PLACE_NAMES = {
    "440783": "开平",
    "441402": "梅江",
    "441403": "梅县",
    "441422": "大埔",
    "441423": "丰顺",
    "441424": "五华",
    "441426": "平远",
    "441427": "蕉岭",
    "441481": "兴宁",
    "520102": "南明",
    "520103": "云岩",
    "520111": "花溪",
    "520112": "乌当",
    "520113": "白云",
    "520115": "观山湖",
    "520121": "开阳",
    "520122": "息烽",
    "520123": "修文",
    "520181": "清镇",
    "520190": "贵安",
}
#: Surnames by province (weights), with the compound ones and those pinyin readers get wrong.
SURNAMES = {
    "44": "司徒8 关6 谢5 张5 周4 吴4 许3 梁4 邓3 胡3 区3 李5 黄5 陈6 刘4 钟3 曾3 罗3 古2 "
    "廖3 欧阳2 叶2 温2 丘2 单1 仇1 解1 朴1",
    "52": "王6 李6 张5 刘5 杨6 陈5 吴4 罗3 赵3 黄3 周3 龙2 田2 石2 欧阳1 单1 解1 仇1 朴1 区1",
}
MALE_NAMES = "伟强磊军洋勇杰涛明超刚建国文辉志海俊浩宇轩晨鹏飞斌锋华荣德永健嘉振"
FEMALE_NAMES = "芳娜敏静丽艳娟秀霞平桂英玉兰萍红欣涵雨婷诗怡佳琳梅慧燕凤丹颖晓雪"
#: Ethnicities (GB 3304 codes) by province: 汉 mostly; 苗, 布依, 侗 in Guizhou.
ETHNICITIES = {"44": "01" * 97 + "08" * 2 + "13", "52": "01" * 80 + "06" * 10 + "09" * 7 + "12" * 3}
#: Hardship identities with the department whose list carries them (``hardship.DEPARTMENTS``).
HARDSHIP = (
    ("dibao", "civil_affairs", 30),
    ("tekun", "civil_affairs", 8),
    ("low_income", "civil_affairs", 10),
    ("dibao_edge", "civil_affairs", 6),
    ("tuopin", "rural_revitalization", 25),
    ("monitored", "rural_revitalization", 6),
    ("fanpin", "rural_revitalization", 2),
    ("severe_disability", "disabled_persons_federation", 10),
    ("child_in_distress", "civil_affairs", 3),
)


@dataclass
class Loaded:
    """What a run did: rows added per table, households and persons added, households that
    were there already."""

    added: dict[str, int] = field(default_factory=dict)
    households: int = 0
    persons: int = 0
    skipped: int = 0

    def count(self, table: Table, n: int = 1) -> None:
        self.added[table.name] = self.added.get(table.name, 0) + n


def load(uow: UnitOfWork, persons: int, progress: Callable[[int], None] | None = None) -> Loaded:
    """Load the first ``persons`` persons of the demo population; skip households already
    loaded (their change's request key). ``progress`` is told how many persons each batch
    covered (added or skipped)."""
    connection = uow.connection
    loaded = Loaded()
    done = {
        key
        for (key,) in connection.execute(
            select(t.change_log.c.request_key).where(t.change_log.c.request_key.like(f"{KEY}:%"))
        )
    }
    taken = {
        certno
        for (certno,) in connection.execute(
            select(t.certificate.c.certno).where(t.certificate.c.psn_cert_type == RESIDENT_ID)
        )
    }
    units = _units(uow, loaded, f"{KEY}:units" in done)
    batch: list[Household] = []
    covered = 0
    for household in _households(persons, units, taken, done):
        if household.key in done:
            loaded.skipped += 1
            covered += household.size
        else:
            batch.append(household)
        if len(batch) >= BATCH:
            covered += _insert(connection, batch, loaded)
            batch = []
        if progress is not None and covered:
            progress(covered)
            covered = 0
    covered += _insert(connection, batch, loaded)
    if progress is not None and covered:
        progress(covered)
    confirm_identities(UnitOfWork(connection, Actor(REVIEWER)), loaded)
    return loaded


def confirm_identities(reviewer: UnitOfWork, loaded: Loaded | None = None) -> None:
    """The reviewer confirms the demo's hardship identities not confirmed yet (maker-checker:
    the assessment and the funding requests count confirmed ones only); ``loaded`` counts the
    rows written. The what-if bench calls it again for its copies of the demo."""
    loaded = loaded or Loaded()
    h, c, r = t.hardship_identity, t.change_log, t.review
    confirmed = select(r.c.id).where(r.c.subject == SUBJECT, r.c.subject_id == cast(h.c.id, String))
    waiting = [
        str(identity)
        for identity in reviewer.connection.execute(
            select(h.c.id)
            .join(c, c.c.id == h.c.change_id)
            .where(c.c.actor == ACTOR, c.c.request_key.like(f"{KEY}:%"), ~confirmed.exists())
            .order_by(h.c.id)
        ).scalars()
    ]
    for first in range(0, len(waiting), REVIEW_BATCH):
        chunk = waiting[first : first + REVIEW_BATCH]
        review.confirm(reviewer, SUBJECT, dict.fromkeys(chunk, ACTOR), "演示人群的困难人员名单")
        loaded.count(c)
        loaded.count(r, len(chunk))


# --- generation ------------------------------------------------------------------------------


@dataclass
class Household:
    """One household's rows, their ``change_id`` filled in when its change is written."""

    key: str
    psn_no: str  # the head
    size: int
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: Table, **values: Any) -> None:
        self.rows.setdefault(table.name, []).append(values)


@dataclass(frozen=True)
class Units:
    schools: dict[str, list[str]]  # region → school unit ids
    colleges: dict[str, list[str]]  # province → college unit ids
    accounts: list[str]  # Kaiping villages' collective accounts


def _units(uow: UnitOfWork, loaded: Loaded, there: bool) -> Units:
    """Two schools per region, a college per province, five Kaiping villages with collective
    accounts; written once (one change) and known by their fixed ids afterwards."""
    schools = {region: [f"DS{region}{i}" for i in (1, 2)] for region in JURISDICTIONS}
    colleges = {"44": ["DC440783", "DC441402"], "52": ["DC520111", "DC520190"]}
    villages = [f"DV440783{i}" for i in range(1, 6)]
    units = Units(schools, colleges, [f"DA{v[2:]}" for v in villages])
    if there:
        return units
    change_id = uow.record("demo", reason="演示数据：学校与村集体账户", request_key=f"{KEY}:units")
    rows = [
        {"unit_id": u, "kind": "school", "name": f"{PLACE_NAMES[r]}第{u[-1]}中学", "admdvs": r}
        for r, ids in schools.items()
        for u in ids
    ]
    rows += [
        {"unit_id": u, "kind": "school", "name": f"{PLACE_NAMES[u[2:]]}学院", "admdvs": u[2:]}
        for ids in colleges.values()
        for u in ids
    ]
    rows += [
        {"unit_id": v, "kind": "village", "name": f"开平市第{v[-1]}村委会", "admdvs": "440783"}
        for v in villages
    ]
    accounts = [
        {"account_id": a, "unit_id": v, "bank_acct": f"44078300000000{v[-1]}"}
        for a, v in zip(units.accounts, villages, strict=True)
    ]
    bulk(uow.connection, t.unit, [{**r, "change_id": change_id} for r in rows], loaded)
    bulk(
        uow.connection,
        t.collective_account,
        [{**r, "change_id": change_id} for r in accounts],
        loaded,
    )
    loaded.count(t.change_log)
    return units


def _households(persons: int, units: Units, taken: set[str], done: set[str]) -> Iterator[Household]:
    """Households 0, 1, 2, … until ``persons`` persons; the last one cut to fit."""
    number, left = 0, persons
    while left > 0:
        rng = random.Random(f"{KEY}:{number}")
        size = min(left, rng.choice((1, 1, 2, 2, 3, 3, 3, 4, 4, 5)))
        key = f"{KEY}:household:{number}"
        if key in done:
            yield Household(key, "", size)
        else:
            yield _household(rng, number, size, units, taken)
        number += 1
        left -= size


def _household(
    rng: random.Random, number: int, size: int, units: Units, taken: set[str]
) -> Household:
    regions = list(JURISDICTIONS)
    region = rng.choices(regions, weights=[JURISDICTIONS[r][0] for r in regions])[0]
    province = region[:2]
    surnames = _weighted(SURNAMES[province])
    family = rng.choice(surnames)
    household_id = f"DH{number:09d}"
    head_age = rng.randint(24, 75)
    # Members: the head, a spouse, then children (or a parent of the head).
    ages = [head_age]
    if size > 1:
        ages.append(max(20, head_age + rng.randint(-5, 5)))
    for _ in range(size - len(ages)):
        if head_age > 50 and rng.random() < 0.3:
            ages.append(rng.randint(0, 12))  # a grandchild
        elif head_age < 55 and rng.random() < 0.2:
            ages.append(min(95, head_age + rng.randint(22, 32)))  # a parent
        else:
            ages.append(max(0, head_age - rng.randint(20, 35)))
    head_male = rng.random() < 0.7
    bank = f"6217{rng.randrange(10**15):015d}"
    account = rng.choice(units.accounts) if region == "440783" and rng.random() < 0.3 else None
    household = Household(f"{KEY}:household:{number}", f"DP{number:09d}00", size)
    household.add(
        t.household, household_id=household_id, admdvs=region, bank_acct=bank, account_id=account
    )
    for k, age in enumerate(ages):
        male = head_male if k == 0 else (not head_male if k == 1 else rng.random() < 0.5)
        surname = family if k != 1 else rng.choice(surnames)
        _person(rng, household, f"DP{number:09d}{k:02d}", region, age, male, surname, units, taken)
        household.add(
            t.household_member,
            household_id=household_id,
            psn_no=f"DP{number:09d}{k:02d}",
            joined_on=_day(rng, AS_OF.year - min(age, 20)),
        )
    for member in household.rows[t.person_version.name]:
        member.setdefault("bank_acct", None)
    household.rows[t.person_version.name][0]["bank_acct"] = bank
    return household


def _person(
    rng: random.Random,
    household: Household,
    psn_no: str,
    region: str,
    age: int,
    male: bool,
    surname: str,
    units: Units,
    taken: set[str],
) -> None:
    province = region[:2]
    born = _day(rng, AS_OF.year - age - 1)
    born = min(born, AS_OF - timedelta(days=1))
    address = rng.choice(JURISDICTIONS[region][1])
    if rng.random() < 0.05:  # born elsewhere in the four jurisdictions
        address = rng.choice([a for _, codes in JURISDICTIONS.values() for a in codes])
    certno = _certno(rng, address, born, male, taken)
    given = "".join(
        rng.choice(MALE_NAMES if male else FEMALE_NAMES) for _ in range(rng.choice((1, 2, 2)))
    )
    household.add(t.person, psn_no=psn_no)
    household.add(
        t.certificate, psn_cert_type=RESIDENT_ID, certno=certno, psn_no=psn_no, valid_from=born
    )
    household.add(
        t.person_version,
        psn_no=psn_no,
        valid_from=born,
        psn_name=surname + given,
        gend="1" if male else "2",
        brdy=born,
        naty=rng.choice(_pairs(ETHNICITIES[province])),
        hukou_admdvs=address,
        resd_admdvs=region,
        tel=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if age >= 16 else None,
        alive=True,
        death_date=None,
        under_parent_name=False,
    )
    psn_type, unit = _category(rng, region, age, units)
    # The first registration: in a collection period (September to December 20) before the
    # first year, or within three months of birth.
    first_year = max(2016, AS_OF.year - age, AS_OF.year - rng.randint(1, 10))
    if born.year >= first_year - 1:
        accepted = born + timedelta(days=rng.randint(1, 90))
    else:
        accepted = _collection_day(rng, first_year - 1)
    accepted = min(accepted, AS_OF - timedelta(days=1))
    rlts = f"DR{psn_no[2:]}"
    _enroll(household, f"{rlts}1", psn_no, RESIDENT, region, accepted, psn_type, unit)
    fate = rng.random()
    later = _between(rng, accepted, AS_OF)
    if later is None:
        return
    if fate < 0.02 and age >= 40:  # died
        _stop(household, f"{rlts}1", later, accepted, psn_type, TERMINATED, PAYMENT_ENDED, unit)
        household.add(
            t.person_version,
            **{
                **household.rows[t.person_version.name][-1],
                "valid_from": later,
                "alive": False,
                "death_date": later,
            },
        )
    elif fate < 0.05:  # stopped: moved away, hukou out
        _stop(household, f"{rlts}1", later, accepted, psn_type, TERMINATED, PAYMENT_ENDED, unit)
    elif fate < 0.08 and 18 <= age < 60:  # switched to the employee scheme
        _stop(household, f"{rlts}1", later, accepted, psn_type, SUSPENDED, PAYMENT_SUSPENDED, unit)
        _enroll(household, f"{rlts}2", psn_no, EMPLOYEE, region, later, "1101", None)
    elif fate < 0.11:  # moved to another jurisdiction
        elsewhere = _elsewhere(rng, region)
        _stop(household, f"{rlts}1", later, accepted, psn_type, TERMINATED, PAYMENT_ENDED, unit)
        _enroll(household, f"{rlts}2", psn_no, RESIDENT, elsewhere, later, psn_type, None)
    elif fate < 0.12:  # a duplicate: enrolled in a second jurisdiction as well
        _enroll(
            household, f"{rlts}2", psn_no, RESIDENT, _elsewhere(rng, region), later, psn_type, None
        )
    if rng.random() < 0.07:
        identity, department = _identity(rng)
        begin = _day(rng, rng.randint(2019, AS_OF.year - 1))
        end = None if rng.random() < 0.6 else begin + timedelta(days=rng.randint(180, 1100))
        household.add(
            t.hardship_identity,
            psn_no=psn_no,
            identity=identity,
            begin=begin,
            end=end,
            department=department,
            list_month=f"{begin:%Y-%m}",
            benefit_start=None,
        )


def _category(rng: random.Random, region: str, age: int, units: Units) -> tuple[str, str | None]:
    """人员类别 as of the day, and the school or college a student enrolls through."""
    if age < 1:
        return "1401", None
    if age < 6:
        return "1402", None
    if age < 18:
        return "1403", rng.choice(units.schools[region])
    if age < 23 and rng.random() < 0.4:
        return "1404", rng.choice(units.colleges[region[:2]])
    return ("1501" if age < 60 else "1601"), None


def _enroll(
    household: Household,
    rlts_id: str,
    psn_no: str,
    insutype: str,
    region: str,
    accepted: date,
    psn_type: str,
    unit: str | None,
) -> None:
    household.add(
        t.enrollment, rlts_id=rlts_id, psn_no=psn_no, insutype=insutype, insuplc_admdvs=region
    )
    household.add(
        t.enrollment_version,
        rlts_id=rlts_id,
        valid_from=accepted,
        psn_type=psn_type,
        psn_insu_stas=NORMAL,
        psn_clct_stas=PAYING,
        psn_insu_date=accepted,
        paus_insu_date=None,
        unit_id=unit,
        household_id=household.rows[t.household.name][0]["household_id"],
    )


def _stop(
    household: Household,
    rlts_id: str,
    on: date,
    accepted: date,
    psn_type: str,
    status: str,
    payment: str,
    unit: str | None,
) -> None:
    household.add(
        t.enrollment_version,
        rlts_id=rlts_id,
        valid_from=on,
        psn_type=psn_type,
        psn_insu_stas=status,
        psn_clct_stas=payment,
        psn_insu_date=accepted,
        paus_insu_date=on,
        unit_id=unit,
        household_id=household.rows[t.household.name][0]["household_id"],
    )


def _certno(rng: random.Random, address: str, born: date, male: bool, taken: set[str]) -> str:
    """A valid number not given to anyone yet: the sequence code drawn until one is free."""
    while True:
        sequence = rng.randrange(1, 500) * 2 - (1 if male else 0)
        body = f"{address}{born:%Y%m%d}{sequence:03d}"
        certno = body + check_character(body)
        if certno not in taken:
            taken.add(certno)
            return certno


def _identity(rng: random.Random) -> tuple[str, str]:
    identity, department, _ = rng.choices(HARDSHIP, weights=[w for *_, w in HARDSHIP])[0]
    return identity, department


def _elsewhere(rng: random.Random, region: str) -> str:
    """Another jurisdiction (a county of another city, or Gui'an for a Guiyang district)."""
    return rng.choice([r for r in JURISDICTIONS if r[:4] != region[:4] and r != region])


def _day(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randint(0, 364))


def _collection_day(rng: random.Random, year: int) -> date:
    """A day of a collection period: 1 September to 20 December."""
    return date(year, 9, 1) + timedelta(days=rng.randint(0, 110))


def _between(rng: random.Random, after: date, before: date) -> date | None:
    days = (before - after).days
    return None if days < 2 else after + timedelta(days=rng.randint(1, days - 1))


def _weighted(spec: str) -> list[str]:
    """'司徒8 关6' → ['司徒'] * 8 + ['关'] * 6."""
    out: list[str] = []
    for item in spec.split():
        name = item.rstrip("0123456789")
        out += [name] * int(item[len(name) :])
    return out


def _pairs(codes: str) -> list[str]:
    return [codes[i : i + 2] for i in range(0, len(codes), 2)]


# --- bulk insert -----------------------------------------------------------------------------

ORDER = (
    t.person,
    t.certificate,
    t.person_version,
    t.household,
    t.household_member,
    t.enrollment,
    t.enrollment_version,
    t.hardship_identity,
)


def _insert(connection: Connection, batch: list[Household], loaded: Loaded) -> int:
    """One change per household (returning their ids in order), then each table's rows."""
    if not batch:
        return 0
    now = dt.datetime.now(dt.UTC)
    ids = (
        connection.execute(
            insert(t.change_log).returning(t.change_log.c.id, sort_by_parameter_order=True),
            [
                {
                    "recorded_at": now,
                    "actor": ACTOR,
                    "action": "demo",
                    "psn_no": household.psn_no,
                    "reason": "演示数据：一户",
                    "rules": [],
                    "citations": [],
                    "request_key": household.key,
                }
                for household in batch
            ],
        )
        .scalars()
        .all()
    )
    loaded.count(t.change_log, len(ids))
    for table in ORDER:
        rows = [
            {**row, "change_id": change_id}
            for household, change_id in zip(batch, ids, strict=True)
            for row in household.rows.get(table.name, [])
        ]
        bulk(connection, table, rows, loaded)
    persons = sum(household.size for household in batch)
    loaded.households += len(batch)
    loaded.persons += persons
    return persons


def bulk(connection: Connection, table: Table, rows: list[dict[str, Any]], loaded: Loaded) -> None:
    """The rows inserted at once (``database.insert_rows``: COPY on PostgreSQL), counted."""
    insert_rows(connection, table, rows)
    loaded.count(table, len(rows))


__all__ = ["AS_OF", "KEY", "REVIEWER", "SEED", "Loaded", "bulk", "confirm_identities", "load"]

"""Imports of the registration form (登记表) from .xlsx and .csv files (issue 6, item 5).

The file is read by ``canbao.adapters.sheets`` and its rows checked by
``canbao.adapters.registration_form``; each good row becomes a ``Registration``, and the rows
are applied ``BATCH`` at a time by ``canbao.services.registry.apply_all`` (the same decisions
and rows as ``registry.apply`` one by one, read and written with a few statements a batch),
one transaction a batch, so that an import killed at any moment leaves whole batches only, and
running it again completes it.

Idempotence: a row's request key is the hash of its content (every cell but 序号, the row's
identity included); the change it made carries the key, and a row whose key is already in the
change log is ``unchanged``. The same file imported again accepts nothing new; a row repeated
in a later file is found too. A blank 受理机构 is left out of the key (forms without the column
keep the keys they had), and so is ``--office``: the same row imported again at another office
is the same request.

Readings (conventions of this module, not policy):

* The enrollment year of a row: ``--year`` when given; else the year whose concentrated
  collection period holds its 受理时间 (``rules.registration.collection_year``); else the
  year the form's title names (江门市2022年度…); else the registry's ``enrollment_year``.
* 户籍地 (hukou region): the form has only the text 户籍地址. The region is the one whose
  full name (广东省江门市开平市), or the name without the province (江门市开平市), begins
  the address, the most specific such region, when exactly one is; otherwise the hukou is
  unknown and the eligibility engine's answer decides (the 参保属地 is never taken for it).
* 停保原因: a refund reason's Chinese name or code (SPEC section 6); other texts are
  ``other``.
* 受理机构 (the handling office, K5): the row's, else the import's ``office``, else the
  enrollment region's own agency is assumed (``registry.office_of``).
* A 新生儿 (1401) row without an ID number is a newborn registered under a parent's name
  (B5); the number given later is attached with ``registry.attach_certificate``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from canbao.adapters.database import Actor, unit_of_work
from canbao.adapters.registration_form import (
    COLUMNS,
    NOTICE_CODES,
    REQUIRED,
    RegistrationRow,
    RowError,
    parse_rows,
    year_of_title,
)
from canbao.adapters.sheets import SheetError, read_table
from canbao.certno.regions import address_codes
from canbao.domain.codes import NEWBORN_PSN_TYPE, REFUND_REASONS
from canbao.domain.registry import Registration
from canbao.policy import Policy, load_policy
from canbao.rules.registration import collection_year
from canbao.services import registry


@dataclass
class Report:
    """What an import did: ``accepted`` and ``unchanged`` counts, every rejected row."""

    accepted: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "unchanged": self.unchanged,
            "rejected": [error.as_json() for error in sorted(self.rejected, key=_order)],
        }


def _order(error: RowError) -> tuple[int, str]:
    return error.row, error.column or ""


def read_registrations(path: Path) -> tuple[list[RegistrationRow], list[RowError], int | None]:
    """The good rows of a form, its bad rows, and the year its title names.
    Raises ``SheetError`` when the file cannot be read at all."""
    table = read_table(path, COLUMNS, REQUIRED)
    rows, errors = parse_rows(table)
    return rows, errors, year_of_title(table.titles)


def import_registrations(
    url: str,
    path: Path,
    actor: str,
    year: int | None = None,
    policy: Policy | None = None,
    progress: Callable[[int, int], None] | None = None,
    office: str | None = None,
) -> Report:
    """Apply every good row of the form at ``path``: ``BATCH`` rows a transaction;
    ``progress`` is told (rows done, rows in all) after each batch.
    ``office``: the office that took the rows without a 受理机构 (default: each enrollment
    region's own agency)."""
    policy = policy or load_policy()
    rows, errors, title_year = read_registrations(path)
    report = Report(rejected=[e for e in errors if e.code not in NOTICE_CODES])
    report.unchanged += len(errors) - len(report.rejected)  # rows repeated in the file
    for first in range(0, len(rows), BATCH):
        batch = rows[first : first + BATCH]
        to_apply = []
        for row in batch:
            registration = to_registration(row, policy, year, title_year, office)
            if isinstance(registration, RowError):
                report.rejected.append(registration)
            else:
                to_apply.append((row, registration))
        _apply(url, path, actor, to_apply, policy, report)
        if progress is not None:
            progress(first + len(batch), len(rows))
    return report


#: Rows a transaction: a SIGKILL loses at most the batch under way, never part of a row, and
#: the next run applies it (the rows' request keys tell what is done).
BATCH = 100


def _apply(
    url: str,
    path: Path,
    actor: str,
    batch: list[tuple[RegistrationRow, Registration]],
    policy: Policy,
    report: Report,
) -> None:
    """One transaction for the batch: the rows whose request key no change carries yet go
    to ``registry.apply_all`` together (a refused row writes nothing). The counts go to
    ``report`` once the transaction committed."""
    done = Report()
    keys = [request_key(row) for row, _ in batch]
    with unit_of_work(url, Actor(actor, source_file=path.name)) as uow:
        seen = uow.seen_keys(keys)
        done.unchanged += sum(key in seen for key in keys)
        requests = [
            (row, registry.Request(registration, key, row.row))
            for (row, registration), key in zip(batch, keys, strict=True)
            if key not in seen
        ]
        outcomes = registry.apply_all(uow, [request for _, request in requests], policy)
        for (row, _), outcome in zip(requests, outcomes, strict=True):
            if outcome.status == "accepted":
                done.accepted += 1
            elif outcome.status == "unchanged":
                done.unchanged += 1
            else:
                done.rejected.append(RowError(row.row, None, "refused", outcome.reason))
    report.accepted += done.accepted
    report.unchanged += done.unchanged
    report.rejected += done.rejected


def request_key(row: RegistrationRow) -> str:
    """The row's content (all but its row number and 序号), hashed: the same row is the
    same request, whichever file or line it comes from."""
    content = row.model_dump(mode="json", exclude={"row", "seq"})
    if content["office_admdvs"] is None:  # the keys of forms without 受理机构 stay as they were
        del content["office_admdvs"]
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return f"registration:{digest}"


def to_registration(
    row: RegistrationRow,
    policy: Policy,
    year: int | None,
    title_year: int | None,
    office: str | None = None,
) -> Registration | RowError:
    """The registration a good row asks for (see the module's readings)."""
    if row.insuplc_admdvs is None:
        return RowError(row.row, "参保属地", "missing", "必填项为空")
    region = row.insuplc_admdvs
    newborn_without_number = row.psn_type == NEWBORN_PSN_TYPE and row.certno is None
    return Registration(
        chg_type=row.psn_chg_type,
        psn_name=row.psn_name,
        insuplc_admdvs=region,
        accepted_on=row.psn_insu_date,
        psn_type=row.psn_type or Registration.psn_type,
        psn_cert_type=row.psn_cert_type or Registration.psn_cert_type,
        certno=row.certno,
        gend=row.gend or Registration.gend,
        brdy=row.brdy,
        tel=row.tel,
        bank_acct=row.bank_acct,
        hukou_admdvs=hukou_region(row.hukou_address),
        stop_reason=stop_reason(row.stop_reason) if row.stop_reason else None,
        under_parent_name=newborn_without_number,
        year=year or collection_year(policy, region, row.psn_insu_date) or title_year,
        office_admdvs=row.office_admdvs or office,
    )


def stop_reason(text: str) -> str:
    """A 停保原因 as its refund reason code (see the module's readings)."""
    if text in REFUND_REASONS:
        return text
    return next((code for code, name in REFUND_REASONS.items() if name == text), "other")


def hukou_region(address: str | None) -> str | None:
    """The region a 户籍地址 begins with (see the module's readings), or None."""
    if not address:
        return None
    text = "".join(address.split())
    names = _region_names()
    found = [
        (len(code.rstrip("0")), code)
        for end in range(1, min(len(text), _LONGEST) + 1)
        for code in names.get(text[:end], ())
    ]
    if not found:
        return None
    deepest = max(depth for depth, _ in found)
    codes = {code for depth, code in found if depth == deepest}
    return codes.pop() if len(codes) == 1 else None


#: No region's name is longer than this many characters.
_LONGEST = 40


@cache
def _region_names() -> dict[str, tuple[str, ...]]:
    """Name → codes: each region's full name, and the name without its province."""
    names = address_codes()
    found: dict[str, list[str]] = {}
    for code, name in names.items():
        found.setdefault(name, []).append(code)
        province = names.get(code[:2] + "0000")
        if province and code[2:] != "0000" and name.startswith(province):
            found.setdefault(name[len(province) :], []).append(code)
    return {name: tuple(codes) for name, codes in found.items() if name}


__all__ = [
    "Report",
    "SheetError",
    "hukou_region",
    "import_registrations",
    "read_registrations",
    "request_key",
    "stop_reason",
    "to_registration",
]

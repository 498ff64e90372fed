"""The demo's collection year, loaded after the demo population on ``canbao serve``'s first
start so that the dashboard has something to show.

For each demo scope with local policy values (Guiyang 520100, Kaiping 440783), for the latest
year whose concentrated collection period the policy data gives for both:

* the year is assessed (W2, ``collection.assess``) and sent to the tax bureau
  (``collection.export_batch``);
* the tax bureau answers most sent persons: most paid on a day of the concentrated period (so
  the weekly trend rises), a few deductions failed (classified as a feedback import does: the
  policy data decides whether they are abandoned, to be sent again, or failed where the
  documents are silent), a few not answered yet;
* a target table is imported (T1, ``targets.import_targets``): Guiyang's has the rows and
  hierarchy of its published table in the policy data (``policy/data/targets``: 小计 heading
  its districts, 其中 parts, 总计), Kaiping's one row; the figures are the demo's, not the
  documents': each region's assessed persons times a factor of its own, parts split as the
  published table splits them, subtotals and totals the sums of their parts.

Every outcome is drawn from a fixed seed and the person's number, so the same demo gives the
same year on every machine. Assessment, export and targets go through their use cases; the
feedback is written in bulk. All in the caller's unit of work.
"""

from __future__ import annotations

import math
import random
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

from canbao.adapters import tables as t
from canbao.adapters.database import UnitOfWork
from canbao.adapters.sheets import write_xlsx
from canbao.adapters.tax_files import PAID, RESULT_CODES
from canbao.certno import RESIDENT_ID
from canbao.domain.decision import Decision
from canbao.domain.money import ZERO
from canbao.policy import Params, Policy, load_policy
from canbao.policy.store import TargetTable
from canbao.services import collection, targets
from canbao.services.demo import SEED

#: The demo scopes whose collection year is loaded.
SCOPES = ("520100", "440783")
TARGET_HEADER = ("序号", "地区", "约束目标（人）", "备注")
#: Shares of the sent persons by feedback: 结果代码 → share (the rest get no feedback yet).
FEEDBACK_SHARES = (("1", 0.93), ("2", 0.02), ("3", 0.02))


def demo_year(policy: Policy) -> int | None:
    """The latest year whose concentrated collection period every demo scope has."""
    found = [
        {v.year for v in policy.values if v.key == "collection.concentrated_period"
         and v.year and policy.within(scope, v.region)}
        for scope in SCOPES
    ]  # fmt: skip
    common = set.intersection(*found)
    return max(common) if common else None


def load(uow: UnitOfWork, policy: Policy | None = None) -> int | None:
    """Assess, send, answer and set targets for the demo year; the year, or None when the
    policy data has no year for the demo scopes (then nothing is written)."""
    policy = policy or load_policy()
    year = demo_year(policy)
    if year is None:
        return None
    with tempfile.TemporaryDirectory(prefix="canbao-demo-") as folder:
        for scope in SCOPES:
            collection.assess(uow, scope, year, policy)
            batch_id = collection.export_batch(
                uow, scope, year, Path(folder) / f"{scope}.csv", policy
            )
            if batch_id is not None:
                _answer(uow, policy, scope, year, batch_id)
            _targets(uow, policy, scope, year, Path(folder))
    return year


def _answer(uow: UnitOfWork, policy: Policy, scope: str, year: int, batch_id: str) -> None:
    """The tax bureau's answer to the batch, written in bulk (one change for the batch, as
    ``services.demo`` writes the population): a result per person drawn from the seed, each
    classified as ``collection.import_feedback`` classifies it, paid on a day of the scope's
    concentrated period."""
    period = Params(policy, scope, year).require("collection.concentrated_period")
    days = (period["end"] - period["start"]).days
    a, e, item, cert = t.assessment, t.enrollment, t.tax_batch_item, t.certificate
    sent = uow.connection.execute(
        select(a.c.id, a.c.payable, e.c.insuplc_admdvs, cert.c.certno)
        .select_from(
            item.join(a, a.c.id == item.c.assessment_id)
            .join(e, e.c.rlts_id == a.c.rlts_id)
            .join(cert, (cert.c.psn_no == a.c.psn_no) & (cert.c.psn_cert_type == RESIDENT_ID))
        )
        .where(item.c.batch_id == batch_id)
        .order_by(a.c.id)
    ).all()
    outcomes: dict[tuple[str, str], tuple[str, Decision | None]] = {}
    rows = []
    for assessment_id, payable, region, certno in sent:
        rng = random.Random(f"{SEED}:{year}:{certno}")
        code = _draw(rng.random())
        if code is None:
            continue
        meaning = RESULT_CODES[code][0]
        if (region, meaning) not in outcomes:
            outcomes[region, meaning] = collection.classify_feedback(policy, region, year, meaning)
        paid = meaning == PAID
        # Most pay early in the period: the trend rises steeply, then flattens.
        day = period["start"] + timedelta(days=int(days * rng.random() ** 2))
        rows.append(
            {
                "assessment_id": assessment_id,
                "result": outcomes[region, meaning][0],
                "paid_amount": payable if paid else ZERO,
                "paid_on": day if paid else None,
                "clct_way": collection.TAX_COLLECTION,
                "failure_reason": None if paid else RESULT_CODES[code][1],
                "batch_id": batch_id,
                "result_code": code,
            }
        )
    decisions = {id(d): d for _, d in outcomes.values() if d is not None}
    change_id = uow.record(
        "tax_feedback",
        reason=f"演示：批次{batch_id}的税务扣费反馈，{len(rows)}行",
        decisions=tuple(decisions.values()),
    )
    if rows:
        uow.connection.execute(insert(t.payment), [r | {"change_id": change_id} for r in rows])


def _draw(draw: float) -> str | None:
    """The 结果代码 a draw in [0, 1) falls on (``FEEDBACK_SHARES``), None for no answer yet."""
    for code, share in FEEDBACK_SHARES:
        if draw < share:
            return code
        draw -= share
    return None


def _targets(uow: UnitOfWork, policy: Policy, scope: str, year: int, folder: Path) -> None:
    assessed = {
        r.region: r.assessed
        for r in collection.collection_progress(
            uow.connection, collection.enrollment_regions(uow.connection, policy, scope), year
        )
    }
    published = next((x for x in policy.targets if x.region == scope and x.year == year), None)
    name = policy.region_name(scope)
    if published is None:
        rows: list[tuple[object, ...]] = [(1, name, _target(scope, year, assessed), "")]
        title = f"{name}{year}年度城乡居民医保参保目标数（演示）"
    else:
        rows = [(n, area, figure, "") for n, area, figure in _published(published, assessed)]
        title = f"{published.title}（演示）"
    path = folder / f"{scope}-targets.xlsx"
    write_xlsx(path, title, TARGET_HEADER, rows)
    targets.import_targets(uow, path, year, policy)


def _target(region: str, year: int, assessed: dict[str, int]) -> int:
    """A region's demo target: its assessed persons times a factor of its own (0.92–1.04)."""
    factor = random.Random(f"{SEED}:{year}:target:{region}").uniform(0.92, 1.04)
    return math.ceil(assessed.get(region, 0) * factor)


def _published(table: TargetTable, assessed: dict[str, int]) -> list[tuple[int, str, int]]:
    """The published table's rows with demo figures: a region without parts of regions gets
    its own target, split over its parts as the published figures split; a row whose parts
    are regions (a subtotal) and a total sum their parts."""
    rows = {row.number: row for row in table.rows}
    figures: dict[int, int] = {}

    def figure(number: int) -> int:
        if number in figures:
            return figures[number]
        row = rows[number]
        if row.region is not None and not any(rows[p].region for p in row.parts):
            own = _target(row.region, table.year, assessed)
            figures[number] = own
            left, weight = own, sum(rows[p].target for p in row.parts)
            for i, part in enumerate(row.parts):
                last = i == len(row.parts) - 1
                share = left if last else round(own * rows[part].target / weight)
                figures[part], left = share, left - share
        else:
            figures[number] = sum(figure(p) for p in row.parts)
        return figures[number]

    for number in rows:
        figure(number)
    return [(row.number, row.area, figures[row.number]) for row in table.rows]

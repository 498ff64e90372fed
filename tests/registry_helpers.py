"""Shared by the integration tests: the number of rows of every registry table (to assert
exactly what a use case wrote and that nothing else changed), a resident registered, and a
contribution paid."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select

from canbao.adapters import tables as t
from canbao.adapters.database import Actor, ready, unit_of_work
from canbao.domain.registry import NEW, Registration
from canbao.services import registry


def counts(url: str) -> dict[str, int]:
    with ready(url).connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }


def pay(url: str, actor: Actor, psn_no: str, rlts_id: str, year: int, paid_on: date) -> None:
    """The relation's ``year`` contribution of 320 yuan assessed and paid on ``paid_on``."""
    with unit_of_work(url, actor) as uow:
        change_id = uow.record("payment")
        assessed = uow.connection.execute(
            insert(t.assessment)
            .values(
                rlts_id=rlts_id,
                psn_no=psn_no,
                year=year,
                standard=Decimal("320.00"),
                subsidy=Decimal("0.00"),
                payable=Decimal("320.00"),
                declaration="normal",
                change_id=change_id,
            )
            .returning(t.assessment.c.id)
        ).scalar_one()
        uow.connection.execute(
            insert(t.payment).values(
                assessment_id=assessed,
                result="paid",
                paid_amount=Decimal("320.00"),
                paid_on=paid_on,
                clct_way="1",
                change_id=change_id,
            )
        )


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The tables whose row counts differ, with the difference."""
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


def register(url: str, actor: Actor, name: str, number: str, region: str) -> None:
    """A local resident registered (新参保) in ``region`` on 2021-10-15."""
    with unit_of_work(url, actor) as uow:
        outcome = registry.apply(
            uow,
            Registration(
                chg_type=NEW,
                psn_name=name,
                certno=number,
                gend="1",
                brdy=date(1985, 6, 15),
                insuplc_admdvs=region,
                hukou_admdvs=region,
                accepted_on=date(2021, 10, 15),
            ),
        )
    assert outcome.status == "accepted"

"""``canbao refund``: apply (the engine decides, F1–F6), confirm (another clerk), pay."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from canbao.cli.output import EXIT_CODES, FAILURE, fail, print_json
from canbao.contract.fields import MAX_YEAR, MIN_YEAR

app = typer.Typer(
    help="Refunds (退费): apply, confirm by another clerk, pay through the decided channel.",
    epilog="[bold]Examples[/bold]\n\n"
    "  canbao refund apply 440783198506151234 --year 2022 --reason joined_employee "
    "--paid-amount 350 --paid-on 2021-11-05 --event-on 2021-12-01 --applied-on 2021-12-20 "
    "--json\n\n"
    "  CANBAO_ACTOR=reviewer canbao refund confirm F0123456789abcdef0123\n\n"
    "  canbao refund pay F0123456789abcdef0123 --paid-on 2022-01-05\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} 应为 YYYY-MM-DD 格式的日期，得到 {text!r}")


Day = Annotated[str, typer.Option(help="YYYY-MM-DD.", show_default=False)]


@app.command()
def apply(
    certno: Annotated[str, typer.Argument(help="证件号码.", show_default=False)],
    year: Annotated[
        int,
        typer.Option(
            help=f"Enrollment year paid for, {MIN_YEAR}–{MAX_YEAR}.",
            min=MIN_YEAR,
            max=MAX_YEAR,
            show_default=False,
        ),
    ],
    reason: Annotated[str, typer.Option(help="Refund reason code (SPEC 6).", show_default=False)],
    paid_amount: Annotated[str, typer.Option(help="Yuan paid.", show_default=False)],
    paid_on: Day,
    applied_on: Day,
    event_on: Day,
    region: Annotated[str | None, typer.Option(help="Region of the relation.")] = None,
    scheme: Annotated[str, typer.Option(help="resident or employee.")] = "resident",
    employer_from: Annotated[
        str | None, typer.Option(help="F4: first month of employer contributions, YYYY-MM.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the case as JSON.")] = False,
) -> None:
    """Apply for a refund: the engine decides and the case is stored with its decision."""
    from canbao.adapters.database import Actor, unit_of_work
    from canbao.certno import check_certno
    from canbao.config import settings
    from canbao.domain.codes import Scheme
    from canbao.services import refunds
    from canbao.services.review import Refused

    checked = check_certno(certno)
    if not checked.valid or checked.certno18 is None:
        fail(f"证件号码无效：{checked.reason}")
    try:
        amount = Decimal(paid_amount)
    except InvalidOperation:
        fail(f"--paid-amount 应为金额（元），得到 {paid_amount!r}")
    if not amount.is_finite() or amount < 0:
        fail(f"--paid-amount 应为非负金额（元），得到 {paid_amount!r}")
    if scheme not in {s.value for s in Scheme}:
        fail("--scheme 应为 resident 或 employee")
    employer = _day(f"{employer_from}-01", "--employer-from") if employer_from else None
    try:
        with unit_of_work(settings().url(), Actor(settings().actor)) as uow:
            case = refunds.apply_refund(
                uow,
                checked.certno18,
                year,
                reason,
                amount,
                _day(paid_on, "--paid-on"),
                _day(applied_on, "--applied-on"),
                _day(event_on, "--event-on"),
                region=region,
                scheme=Scheme(scheme),
                employer_contribution_from=employer,
            )
    except Refused as refused:
        fail(str(refused))
    if as_json:
        print_json(case.as_json())
        return
    decision = case.decision
    sys.stdout.write(
        f"退费申请 {case.case_id}（{'新建' if case.created else '已存在'}）："
        f"{decision['status']} {' '.join(decision['rules'])}\n{decision['explanation']}\n"
    )


@app.command()
def confirm(case: Annotated[str, typer.Argument(help="Case id.", show_default=False)]) -> None:
    """Confirm a refund case (maker-checker: not by the clerk who applied)."""
    from canbao.adapters.database import Actor, unit_of_work
    from canbao.config import settings
    from canbao.services import refunds
    from canbao.services.review import Refused

    try:
        with unit_of_work(settings().url(), Actor(settings().actor)) as uow:
            refunds.confirm_refund(uow, case)
    except Refused as refused:
        fail(str(refused), code=FAILURE)
    sys.stdout.write(f"退费申请 {case} 已复核确认\n")


@app.command()
def pay(
    case: Annotated[str, typer.Argument(help="Case id.", show_default=False)],
    paid_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today.")] = None,
) -> None:
    """Pay a confirmed refund through the channel its decision names."""
    from canbao.adapters.database import Actor, unit_of_work
    from canbao.config import settings
    from canbao.services import refunds
    from canbao.services.review import Refused

    day = _day(paid_on, "--paid-on") if paid_on else date.today()
    try:
        with unit_of_work(settings().url(), Actor(settings().actor)) as uow:
            refunds.pay_refund(uow, case, day)
    except Refused as refused:
        fail(str(refused), code=FAILURE)
    sys.stdout.write(f"退费申请 {case} 已支付（{day}）\n")

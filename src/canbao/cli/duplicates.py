"""``canbao duplicates``: the duplicate clean-up on the registry (W7, D1–D8): detect, list,
consent (D4), confirm or reject (another clerk), apply, notices per region, a person's cases."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from canbao.cli.output import EXIT_CODES, FAILURE, fail, print_json

if TYPE_CHECKING:
    from canbao.adapters.database import Actor
    from canbao.services.duplicates import Case

app = typer.Typer(
    help="Duplicate enrollment clean-up (重复参保清理): detect, confirm by another clerk, apply, "
    "notify the other regions; nothing is deleted.",
    epilog="[bold]Examples[/bold]\n\n"
    "  canbao duplicates detect --region 440783 --as-of 2026-01-01\n\n"
    "  canbao duplicates list --status proposed --json\n\n"
    "  CANBAO_ACTOR=reviewer canbao duplicates confirm D0123456789abcdef0123\n\n"
    "  canbao duplicates apply --all-confirmed\n\n"
    "  canbao duplicates notices --region 441402 通知.xlsx\n\n"
    "  canbao duplicates show 440783198506151234\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)

ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Who acts (default CANBAO_ACTOR).", show_default=False)
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CaseId = Annotated[str, typer.Argument(help="Case id.", show_default=False)]


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} 应为 YYYY-MM-DD 格式的日期，得到 {text!r}")


def _actor(name: str | None) -> Actor:
    from canbao.adapters.database import Actor
    from canbao.config import settings

    return Actor(name or settings().actor)


def _url() -> str:
    from canbao.config import settings

    return settings().url()


def _line(case: Case) -> str:
    decision = case.decision
    line = (
        f"{case.case_id} {case.certno} {case.state} {'、'.join(case.records)} "
        f"{' '.join(decision['rules'])}\n  {decision['explanation']}\n"
    )
    if case.missing_facts:
        line += "  登记库缺少：" + "；".join(case.missing_facts) + "\n"
    return line


@app.command()
def detect(
    region: Annotated[
        str | None, typer.Option(help="Only duplicates with a relation here.")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today.")] = None,
    actor: ActorOption = None,
    as_json: Json = False,
) -> None:
    """Find duplicate enrollments as of a day and propose how to clear each (D1–D8).

    Open proposals are not proposed twice."""
    from canbao.adapters.database import unit_of_work
    from canbao.services import duplicates

    day = _day(as_of, "--as-of") or date.today()
    with unit_of_work(_url(), _actor(actor)) as uow:
        found = duplicates.detect(uow, day, region)
    if as_json:
        print_json(found.as_json())
        return
    sys.stdout.write(
        f"{day} 重复参保候选 {found.candidates} 人，新建议 {len(found.proposed)} 件，"
        f"已有建议 {len(found.existing)} 件\n"
    )
    for case in found.proposed:
        sys.stdout.write(_line(case))


@app.command("list")
def list_(
    status: Annotated[
        str | None,
        typer.Option(
            help="proposed, awaiting_consent, policy_gap, confirmed, rejected or applied."
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """The proposals with their state and decision."""
    from canbao.adapters.database import ready
    from canbao.services import duplicates

    if status is not None and status not in duplicates.STATES:
        fail(f"--status 应为 {'、'.join(duplicates.STATES)} 之一，得到 {status!r}")
    with ready(_url()).connect() as connection:
        cases = duplicates.list_cases(connection, status)
    if as_json:
        print_json({"cases": [c.as_json() for c in cases]})
        return
    for case in cases:
        sys.stdout.write(_line(case))
    sys.stdout.write(f"共 {len(cases)} 件\n")


@app.command()
def confirm(case: CaseId, actor: ActorOption = None) -> None:
    """Confirm a proposal (maker-checker: not by the clerk who proposed it)."""
    from canbao.adapters.database import unit_of_work
    from canbao.services import duplicates
    from canbao.services.review import Refused

    try:
        with unit_of_work(_url(), _actor(actor)) as uow:
            duplicates.confirm_case(uow, case)
    except Refused as refused:
        fail(str(refused), code=FAILURE)
    sys.stdout.write(f"重复参保处理建议 {case} 已复核确认\n")


@app.command()
def reject(
    case: CaseId,
    reason: Annotated[str, typer.Option(help="Why (recorded).", show_default=False)],
    actor: ActorOption = None,
) -> None:
    """Reject a proposal with a reason (not by the clerk who proposed it)."""
    from canbao.adapters.database import unit_of_work
    from canbao.services import duplicates
    from canbao.services.review import Refused

    try:
        with unit_of_work(_url(), _actor(actor)) as uow:
            duplicates.reject_case(uow, case, reason)
    except Refused as refused:
        fail(str(refused), code=FAILURE)
    sys.stdout.write(f"重复参保处理建议 {case} 已驳回\n")


@app.command()
def consent(
    case: CaseId,
    keep: Annotated[str, typer.Option(help="rlts_id of the relation chosen.", show_default=False)],
    document: Annotated[str, typer.Option(help="The 承诺书 (number or file).", show_default=False)],
    signed_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today.")] = None,
    actor: ActorOption = None,
    as_json: Json = False,
) -> None:
    """Record the person's written commitment (D4): the chosen relation is kept."""
    from canbao.adapters.database import unit_of_work
    from canbao.services import duplicates
    from canbao.services.review import Refused

    day = _day(signed_on, "--signed-on") or date.today()
    try:
        with unit_of_work(_url(), _actor(actor)) as uow:
            found = duplicates.record_consent(uow, case, keep, document, day)
    except Refused as refused:
        fail(str(refused), code=FAILURE)
    if as_json:
        print_json(found.as_json())
        return
    sys.stdout.write(_line(found))


@app.command()
def apply(
    case: Annotated[str | None, typer.Argument(help="Case id.", show_default=False)] = None,
    all_confirmed: Annotated[
        bool, typer.Option("--all-confirmed", help="Every confirmed proposal.")
    ] = False,
    on: Annotated[
        str | None, typer.Option(help="Effective day, YYYY-MM-DD; default today.")
    ] = None,
    actor: ActorOption = None,
    as_json: Json = False,
) -> None:
    """Carry out confirmed proposals: terminate or suspend, deduct subsidies (D6).

    The other relations end from the day given; the regions to notify are recorded."""
    from canbao.adapters.database import ready, unit_of_work
    from canbao.services import duplicates
    from canbao.services.review import Refused

    if (case is None) == (not all_confirmed):
        fail("请给出一个案件编号，或 --all-confirmed（二者取一）")
    day = _day(on, "--on") or date.today()
    if case is not None:
        ids = [case]
    else:
        with ready(_url()).connect() as connection:
            ids = duplicates.confirmed_cases(connection)
    done: list[dict[str, Any]] = []
    try:
        for case_id in ids:  # each case its own transaction
            with unit_of_work(_url(), _actor(actor)) as uow:
                done.append(duplicates.apply_case(uow, case_id, day).as_json())
    except Refused as refused:
        fail(str(refused), code=FAILURE)
    if as_json:
        print_json({"applied": done})
        return
    for applied in done:
        actions = "，".join(
            f"{duplicates.ACTION_NAMES[a['action']]}{a['id']}" for a in applied["actions"]
        )
        deducted = "、".join(
            f"{d['id']} {d['year']}年 " + ("待定" if d["amount"] is None else f"{d['amount']}元")
            for d in applied["deductions"]
        )
        sys.stdout.write(
            f"{applied['case_id']} 保留{applied['keep']}，{actions}（{day}起）"
            + (f"；扣减财政补助：{deducted}" if deducted else "")
            + "\n"
        )
    sys.stdout.write(f"已处理 {len(done)} 件\n")


@app.command()
def notices(
    region: Annotated[str, typer.Option(help="The other agency's region.", show_default=False)],
    out: Annotated[Path, typer.Argument(help="Output .xlsx.", show_default=False)],
) -> None:
    """The notification list for a region's agency (.xlsx, Chinese headers).

    Its relations to terminate or suspend, with the place kept and the documents cited."""
    from canbao.adapters.database import ready
    from canbao.policy import load_policy
    from canbao.services import duplicates

    if out.suffix.lower() != ".xlsx":
        fail(f"输出文件应为 .xlsx：{out}")
    policy = load_policy()
    with ready(_url()).connect() as connection:
        rows = duplicates.notices(connection, region)
    written = duplicates.write_notices(out, region, rows, policy)
    sys.stdout.write(f"已写出 {written} 条：{out}\n")


@app.command()
def show(
    certno: Annotated[str, typer.Argument(help="证件号码.", show_default=False)],
    as_json: Json = False,
) -> None:
    """A person's duplicate cases with their history (proposed, consent, review, applied)."""
    from canbao.adapters.database import ready
    from canbao.certno import check_certno
    from canbao.services import duplicates
    from canbao.services.review import Refused

    checked = check_certno(certno)
    if not checked.valid or checked.certno18 is None:
        fail(f"证件号码无效：{checked.reason}")
    try:
        with ready(_url()).connect() as connection:
            cases = duplicates.history(connection, checked.certno18)
    except Refused as refused:
        fail(str(refused), code=FAILURE)
    if as_json:
        print_json({"certno": checked.certno18, "cases": cases})
        return
    for case in cases:
        sys.stdout.write(
            f"{case['case_id']} {case['state']} {'、'.join(case['records'])} "
            f"{case['decision']['explanation']}\n"
        )
        for event in case["events"]:
            sys.stdout.write(
                f"  {event['recorded_at']} {event['actor']} {event['action']} {event['reason']}\n"
            )
    sys.stdout.write(f"共 {len(cases)} 件\n")

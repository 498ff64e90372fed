"""``canbao db`` and ``canbao person``: the registry's database, a person's status, and the
registrations of W1 (register, change, stop) one at a time."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated, Any

import typer

from canbao.certno import RESIDENT_ID
from canbao.cli.output import EXIT_CODES, FAILURE, fail, print_json

db = typer.Typer(
    help="The registry's database (CANBAO_DATABASE_URL; default: a SQLite file in the user's "
    "data folder).",
    epilog="[bold]Example[/bold]: canbao db upgrade\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)
person = typer.Typer(
    help="A person in the registry.",
    epilog="[bold]Examples[/bold]\n\n  canbao person show 440783198506151234 --json\n\n"
    "  canbao person show 440783198506151234 --as-of 2022-02-28 --json\n\n"
    "  canbao person register 441402198501011239 --name 张三 --region 441402 --hukou 441402 "
    "--on 2021-10-15 --office 441403 --json\n\n"
    "  canbao person stop 440783198506151234 --name 王小明 --region 440783 --on 2021-11-01 "
    "--reason 死亡\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)


@db.command()
def upgrade() -> None:
    """Bring the database's schema up to date (every command also does it itself)."""
    from canbao.adapters.database import upgrade as upgrade_schema
    from canbao.config import settings

    url = settings().url()
    upgrade_schema(url)
    sys.stdout.write(f"schema up to date: {shown(url)}\n")


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@person.command(
    epilog="[bold]Exit codes[/bold]: 0 found; 1 not in the registry (as of that date); "
    "2 invalid number or date."
)
def show(
    certno: Annotated[str, typer.Argument(help="证件号码 (18 or 15 digits).", show_default=False)],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the 1101 JSON.")] = False,
) -> None:
    """The person's status in the 1101 interface's shape (baseinfo, insuinfo, idetinfo)."""
    from canbao.adapters.database import ready
    from canbao.certno import check_certno
    from canbao.config import settings
    from canbao.services import registry

    checked = check_certno(certno)
    if not checked.valid or checked.certno18 is None:
        fail(f"证件号码无效：{checked.reason}")
    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        fail(f"--as-of 应为 YYYY-MM-DD 格式的日期，得到 {as_of!r}")
    with ready(settings().url()).connect() as connection:
        psn_no = registry.find_person(
            connection, checked.cert_type or RESIDENT_ID, checked.certno18
        )
        answer = registry.status(connection, psn_no, day) if psn_no else None
    if answer is None:
        fail(f"{checked.certno18} 截至 {day} 不在登记库中", code=1)
    if as_json:
        print_json(answer)
        return
    base = answer["baseinfo"]
    sys.stdout.write(f"{base['psn_name']} {base['certno']}（{base['psn_no']}）截至 {day}\n")
    for item in answer["insuinfo"]:
        sys.stdout.write(
            f"  险种 {item['insutype']} 参保地 {item['insuplc_admdvs']} 状态 "
            f"{item['psn_insu_stas']} 登记 {item['psn_insu_date']} "
            f"暂停/终止 {item['paus_insu_date'] or '-'}\n"
        )


Name = Annotated[str, typer.Option("--name", help="姓名.", show_default=False)]
Region = Annotated[
    str, typer.Option("--region", help="参保属地 (6-digit code).", show_default=False)
]
On = Annotated[str, typer.Option("--on", help="受理时间, YYYY-MM-DD.", show_default=False)]
Office = Annotated[
    str | None,
    typer.Option(
        "--office",
        help="受理机构: the office's region code (全市通办, K5); default the region's own agency.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")]
Certno = Annotated[str, typer.Argument(help="证件号码 (18 or 15 digits).", show_default=False)]
OUTCOME_CODES = (
    "[bold]Exit codes[/bold]: 0 accepted or unchanged; 1 refused (the reason, and the decision "
    "where one was made); 2 invalid number, date or region."
)


@person.command(epilog=OUTCOME_CODES)
def register(
    certno: Certno,
    name: Name,
    region: Region,
    on: On,
    hukou: Annotated[str | None, typer.Option(help="户籍地 region code.")] = None,
    psn_type: Annotated[str, typer.Option(help="人员类别 (1401 … 1501, 16xx).")] = "1501",
    office: Office = None,
    as_json: AsJson = False,
) -> None:
    """新参保: the person and a resident enrollment in the region (eligibility E1–E6)."""
    from canbao.domain.codes import NEW

    _registration(NEW, certno, name, region, on, office, as_json, psn_type=psn_type, hukou=hukou)


@person.command(epilog=OUTCOME_CODES)
def change(
    certno: Certno,
    name: Name,
    region: Region,
    on: On,
    tel: Annotated[str | None, typer.Option(help="联系电话.")] = None,
    bank_acct: Annotated[str | None, typer.Option(help="银行账号.")] = None,
    office: Office = None,
    as_json: AsJson = False,
) -> None:
    """变更: 姓名, 联系电话, 银行账号 as given, and a 参保属地 other than the relation's moves it
    (K2 deadlines, K6 before payment)."""
    from canbao.domain.codes import ENROLLMENT_INFO

    _registration(
        ENROLLMENT_INFO, certno, name, region, on, office, as_json, tel=tel, bank_acct=bank_acct
    )


@person.command(epilog=OUTCOME_CODES)
def stop(
    certno: Certno,
    name: Name,
    region: Region,
    on: On,
    reason: Annotated[
        str, typer.Option(help="停保原因: a refund reason code or its name.", show_default=False)
    ],
    office: Office = None,
    as_json: AsJson = False,
) -> None:
    """停保: the relation in the region suspended or terminated by its reason (K2 deadlines)."""
    from canbao.domain.codes import STOP
    from canbao.services.imports import stop_reason

    _registration(STOP, certno, name, region, on, office, as_json, stop_reason=stop_reason(reason))


def _registration(
    chg_type: str,
    certno: str,
    name: str,
    region: str,
    on: str,
    office: str | None,
    as_json: bool,
    hukou: str | None = None,
    **extra: Any,
) -> None:
    """One registration of the person commands, applied in one transaction and printed."""
    from canbao.adapters.database import Actor, unit_of_work
    from canbao.certno import check_certno
    from canbao.config import settings
    from canbao.domain.registry import Registration
    from canbao.services import registry

    checked = check_certno(certno)
    if not checked.valid or checked.certno18 is None:
        fail(f"证件号码无效：{checked.reason}")
    try:
        day = date.fromisoformat(on)
    except ValueError:
        fail(f"--on 应为 YYYY-MM-DD 格式的日期，得到 {on!r}")
    for option, code in (("--region", region), ("--office", office), ("--hukou", hukou)):
        if code is not None and not region_known(code):
            fail(f"{option} 应为6位医保区划代码，得到 {code!r}")
    registration = Registration(
        chg_type=chg_type,
        psn_name=name,
        insuplc_admdvs=region,
        accepted_on=day,
        psn_cert_type=checked.cert_type or RESIDENT_ID,
        certno=checked.certno18,
        gend=checked.sex or "0",
        brdy=checked.birth_date,
        hukou_admdvs=hukou,
        office_admdvs=office,
        **extra,
    )
    with unit_of_work(settings().url(), Actor(settings().actor)) as uow:
        outcome = registry.apply(uow, registration)
    if as_json:
        print_json(outcome.as_json())
    else:
        sys.stdout.write(f"{outcome.status}：{outcome.reason}\n")
    if outcome.status == "refused":
        raise typer.Exit(FAILURE)


def region_known(code: str) -> bool:
    """A GB/T 2260 code, or a region of the policy data (520190)."""
    from canbao.certno import is_region_code
    from canbao.policy import load_policy

    return is_region_code(code) or code in load_policy().regions

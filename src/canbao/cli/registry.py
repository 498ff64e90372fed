"""``canbao db`` and ``canbao person``: the registry's database and a person's status."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer

from canbao.cli.output import EXIT_CODES, fail, print_json

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
    "  canbao person show 440783198506151234 --as-of 2022-02-28 --json\n\n" + EXIT_CODES,
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
        psn_no = registry.find_person(connection, checked.cert_type or "01", checked.certno18)
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

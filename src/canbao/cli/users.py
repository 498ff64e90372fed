"""``canbao user``: the service's users (a role and a region scope)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from canbao.cli.output import EXIT_CODES, fail

app = typer.Typer(
    help="Users of the service: a role (clerk 经办员, reviewer 审核员, city_admin, tax, analyst) "
    "and a region scope (a city with its counties, or one county).",
    epilog="[bold]Example[/bold]\n\n"
    "  printf '%s' \"$PASSWORD\" | canbao user add wang --role clerk --region 440783 "
    "--password-stdin\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
)


@app.command(
    epilog="[bold]Example[/bold]: printf '%s' \"$PASSWORD\" | canbao user add wang --role clerk "
    "--region 440783 --password-stdin\n\n[bold]Exit codes[/bold]: 0 created; 2 refused (a name "
    "taken, an unknown role, a region that is not a city or county, a short password); "
    "1 failure."
)
def add(
    name: Annotated[str, typer.Argument(help="User name.", show_default=False)],
    role: Annotated[str, typer.Option(help="clerk, reviewer, city_admin, tax or analyst.")],
    region: Annotated[str, typer.Option(help="Scope: a city or county code, e.g. 440783.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
    ] = False,
) -> None:
    """Add a user; the password (at least 10 characters) is kept only as an argon2 hash."""
    from canbao.adapters.database import Actor, unit_of_work
    from canbao.config import settings
    from canbao.services import users
    from canbao.services.review import Refused

    if not password_stdin:
        fail("请用 --password-stdin 从标准输入提供密码（不在命令行中出现）")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with unit_of_work(settings().url(), Actor(settings().actor)) as uow:
            user = users.add_user(uow, name, role, region, password)
    except Refused as refused:
        fail(str(refused))
    sys.stdout.write(f"用户 {user.name} 已创建：{users.ROLES[user.role]}，区划 {user.region}\n")

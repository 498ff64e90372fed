"""The command line: thin entry points over the rules, the policy data and the ID checks.

Every command answers; none prints a traceback. ``main`` runs the Typer app and turns any
unexpected error into one Chinese line on stderr and exit code 1. Exit codes everywhere:
0 done, 1 failure (policy data with problems, or an unexpected error), 2 invalid input.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from canbao import __version__
from canbao.cli import (
    batch,
    bench,
    collection,
    decide,
    demo,
    duplicates,
    hardship,
    idcheck,
    imports,
    match,
    policy,
    refunds,
    registry,
    serve,
    targets,
    users,
    whatif,
)
from canbao.cli.output import EXIT_CODES

app = typer.Typer(
    name="canbao",
    help="canbao 参保 — 基本医疗保险参保登记与征缴：决定、证件号码校验、政策数据。\n\n"
    "Basic medical insurance enrollment and contribution collection (基本医疗保险参保登记与征缴): "
    "decisions with the rules and document sections they come from, ID number checks and "
    "the dated policy data.",
    epilog="[bold]Examples[/bold]\n\n"
    "  canbao decide examples/contribution_guiyang_dibao.json\n\n"
    "  canbao idcheck 440783198506151234\n\n"
    "  canbao policy diff 440783 2023\n\n" + EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"canbao {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """canbao 参保 — decisions, ID checks and policy data."""


app.command("decide", epilog=decide.EPILOG)(decide.decide)
app.command("idcheck", epilog=idcheck.EPILOG)(idcheck.idcheck)
app.add_typer(policy.app, name="policy")
app.add_typer(bench.app, name="bench")
app.add_typer(registry.db, name="db")
app.add_typer(registry.person, name="person")
app.add_typer(imports.app, name="import")
app.add_typer(hardship.app, name="hardship")
app.add_typer(refunds.app, name="refund")
app.add_typer(collection.app, name="collection")
app.add_typer(duplicates.app, name="duplicates")
app.command("demo", epilog=demo.EPILOG)(demo.demo)
app.command("serve", epilog=serve.EPILOG)(serve.serve)
app.add_typer(users.app, name="user")
app.command("match", epilog=match.EPILOG)(match.match)
app.add_typer(targets.app, name="targets")
app.command("whatif", epilog=whatif.EPILOG)(whatif.whatif)
app.command("dedup", epilog=batch.DEDUP_EPILOG)(batch.dedup)
app.command("synth", epilog=batch.SYNTH_EPILOG)(batch.synth)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return its exit code, never raise."""
    for stream in (sys.stdout, sys.stderr):
        # A number given as bytes that are not UTF-8 must not stop the output.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    try:
        typer.main.get_command(app)(args=argv, prog_name="canbao")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    except KeyboardInterrupt:
        sys.stderr.write("canbao: 已中断\n")
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``canbao decide … | head``): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:  # the one place that turns any failure into an exit code
        detail = " ".join(str(error).split())[:300]
        sys.stderr.write(f"canbao: 内部错误，命令未完成（{type(error).__name__}：{detail}）\n")
        return 1
    return 0

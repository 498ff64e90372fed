"""``canbao serve``: the service (REST API) on the configured database; on an empty one it
first loads the demo population and creates the demo users, printing their passwords once."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

EPILOG = (
    "[bold]Examples[/bold]\n\n  canbao serve\n\n  canbao serve --host 0.0.0.0 --port 8080\n\n"
    "The API is under /api/v1 (documentation at /docs, /openapi.json). CANBAO_DATABASE_URL "
    "selects the database (default: a SQLite file in the user's data folder); "
    "CANBAO_SECRET_KEY the key that signs tokens (default: one per process).\n\n"
    "[bold]Exit codes[/bold]: 0 stopped; 1 failure; 2 usage."
)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    demo_persons: Annotated[
        int,
        typer.Option("--demo-persons", min=1, help="Demo persons loaded into an empty database."),
    ] = 20_000,
) -> None:
    """Serve the web UI and the REST API. An empty database gets the schema, the demo
    population with its collection year, and one demo user per role and region (passwords
    printed once); one with data gets nothing."""
    import uvicorn

    from canbao.adapters.database import upgrade
    from canbao.api import create_app
    from canbao.api.settings import ApiSettings
    from canbao.cli.registry import shown
    from canbao.policy import load_policy
    from canbao.services import users

    settings = ApiSettings()
    url = settings.url()
    upgrade(url)
    policy = load_policy()
    created = users.first_start(url, demo_persons, policy)
    out = sys.stdout
    if created:
        out.write(f"空数据库：已加载演示数据（{demo_persons} 人）并创建演示用户：{shown(url)}\n")
        out.write("以下密码只显示这一次（库中只存其 argon2 散列）：\n")
        for user, password in created:
            out.write(f"  {user.name:<20} {users.ROLES[user.role]:<6} {user.region}  {password}\n")
    else:
        out.write(f"数据库已有数据，未加载任何数据：{shown(url)}\n")
    out.write(
        f"服务地址 http://{host}:{port}/ （网页界面，以上述演示用户登录；接口文档 /docs；"
        "Ctrl+C 停止）\n"
    )
    out.flush()
    uvicorn.run(create_app(settings), host=host, port=port, log_config=log_config())


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with long numbers (identity numbers in paths) masked."""
    from copy import deepcopy

    from uvicorn.config import LOGGING_CONFIG

    config = deepcopy(LOGGING_CONFIG)
    config["filters"] = {"mask": {"()": "canbao.api.masking.MaskingFilter"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["mask"]
    return config

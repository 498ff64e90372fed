"""What the routes share: the database URL, the actor of a user, JSON answers, pages."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from canbao.adapters.database import Actor
from canbao.api.errors import invalid
from canbao.api.settings import ApiSettings
from canbao.domain.decision import to_json
from canbao.services.users import User

Item = TypeVar("Item")

Limit = Annotated[int, Query(ge=1, le=100, description="每页条数")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="跳过的条数")]


class Page(BaseModel, Generic[Item]):
    """A page of a list: ``total`` items in all, these from ``offset``."""

    total: int = Field(description="符合条件的总条数")
    limit: int
    offset: int
    items: list[Item]


def database_url(request: Request) -> str:
    settings: ApiSettings = request.app.state.settings
    return settings.url()


def actor(user: User, source_file: str | None = None) -> Actor:
    """The user as the actor of the changes a request makes (change_log.actor)."""
    return Actor(user.name, source_file=source_file)


def answer(value: Any, status_code: int = 200) -> JSONResponse:
    """Plain JSON (amounts as numbers, dates as YYYY-MM-DD), as the command line prints it."""
    return JSONResponse(to_json(value), status_code=status_code)


@contextmanager
def saved(upload: UploadFile, data: bytes) -> Iterator[Path]:
    """An uploaded file on disk for the services that read files (its name kept: the rows'
    source in change_log), removed afterwards. Only .xlsx and .csv are accepted."""
    name = Path(upload.filename or "upload").name
    if Path(name).suffix.lower() not in (".xlsx", ".csv"):
        raise invalid(f"文件应为 .xlsx 或 .csv：{name}", "body.file")
    with tempfile.TemporaryDirectory(prefix="canbao-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path

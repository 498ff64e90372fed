"""What every page shares: the Jinja2 templates and their filters, the menu, ``render``, and
the error pages (a page never answers JSON: 401 goes to the login page, other errors to an
error page in Chinese)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from canbao.api.masking import mask_certno
from canbao.services.users import ROLES, UNMASKED, User
from canbao.web.session import CSRF_FIELD, csrf_token

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


@dataclass(frozen=True)
class MenuItem:
    path: str
    label: str
    #: The permissions (``services.users.PERMISSIONS``) of which a user needs one.
    permissions: tuple[str, ...]


#: The menu: a user sees the items of the permissions the role has.
MENU = (
    MenuItem("/", "首页", ("decide",)),
    MenuItem("/persons", "人员查询", ("person.list", "person.read")),
    MenuItem("/registrations/new", "参保登记", ("person.write",)),
    MenuItem("/refunds", "缴费与退费", ("refund.apply", "refund.confirm", "refund.pay")),
    MenuItem("/duplicates", "重复参保", ("duplicates.list",)),
    MenuItem("/hardship", "困难人员", ("hardship.import", "hardship.confirm", "hardship.funding")),
    MenuItem("/imports", "批量导入", ("person.write",)),
    MenuItem("/collection", "税务征缴", ("collection.exchange", "collection.assess")),
    MenuItem("/policy", "政策查看", ("decide",)),
)


def menu(user: User) -> list[MenuItem]:
    return [item for item in MENU if any(user.may(p) for p in item.permissions)]


# --- filters: how values look on a page ------------------------------------------------------


def money(value: Decimal | int | str | None) -> str:
    """An amount with two decimals and thousands separators ('' for none)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


def day(value: dt.date | dt.datetime | str | None) -> str:
    """A date as YYYY-MM-DD ('' for none); a timestamp as YYYY-MM-DD HH:MM."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def certno_for(user: User, certno: str | None) -> str:
    """An identity number as the role may see it in a list (masked for the analyst)."""
    return (certno if user.role in UNMASKED else mask_certno(certno)) or ""


templates.env.filters["money"] = money
templates.env.filters["day"] = day
templates.env.globals["ROLES"] = ROLES


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page: the template with the user, the menu and the CSRF value of the session."""
    user: User | None = getattr(request.state, "user", None)
    context.update(
        user=user,
        menu=menu(user) if user else [],
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request),
        path=request.url.path,
    )
    if user is not None:
        context.setdefault("certno_for", lambda value: certno_for(user, value))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def field_errors(error: ValidationError) -> dict[str, str]:
    """A form's validation errors, field → a plain Chinese reason (the first per field)."""
    found: dict[str, str] = {}
    for problem in error.errors():
        where = str(problem["loc"][0]) if problem["loc"] else ""
        found.setdefault(where, _reason(problem))
    return found


def _reason(problem: Any) -> str:
    kind = problem.get("type", "")
    if kind == "missing":
        return "必填。"
    if kind.startswith("date"):
        return "日期应为 YYYY-MM-DD。"
    if kind.startswith("decimal") or kind.startswith("float") or kind.startswith("int"):
        return "应为数字。"
    if kind == "string_pattern_mismatch":
        return "格式不对。"
    if kind == "value_error":
        return str(problem.get("ctx", {}).get("error", problem.get("msg", "")))
    return str(problem.get("msg", "无效。"))


# --- errors of pages -------------------------------------------------------------------------


def is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path in ("/docs", "/redoc", "/openapi.json"))


def page_error(request: Request, status: int, message: str) -> Response:
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return render(request, "error.html", status_code=status, status=status, message=message)


def install_errors(app: FastAPI) -> None:
    """Pages answer their errors as pages, with the message the API would give (``api.errors``
    decides status and message once); the API keeps its JSON."""
    for kind, api_handler in list(app.exception_handlers.items()):

        async def handler(
            request: Request, error: Exception, api_handler: Any = api_handler
        ) -> Response:
            response: Response = await api_handler(request, error)
            if not is_page(request):
                return response
            if isinstance(error, HTTPException) and error.status_code == 404:
                return page_error(request, 404, "没有这个页面。")
            body = json.loads(bytes(response.body))
            return page_error(request, response.status_code, str(body.get("message", "")))

        app.add_exception_handler(kind, handler)

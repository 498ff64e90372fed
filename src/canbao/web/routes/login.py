"""``/login`` (form fields ``username``, ``password``) and ``/logout``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from canbao.api.errors import ApiError
from canbao.api.security import Need, sign_in
from canbao.services.users import User
from canbao.web import session
from canbao.web.pages import render

router = APIRouter(include_in_schema=False)
signed_in = APIRouter(include_in_schema=False, route_class=session.PageRoute)


def _next(target: str | None) -> str:
    """Where to go after the login: a path of this site only (never another host)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_next(next), username="", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The login form: on success the session cookie and the page asked for; otherwise the
    form again with the reason (the username kept). A login needs no CSRF value: it changes
    nothing of a session that exists (login CSRF gains nothing under another's password)."""
    if not username.strip() or not password:
        status, error = 422, "请输入用户名和密码。"
    else:
        try:
            user = sign_in(request, username.strip(), password)
        except ApiError as refused:
            status, error = refused.status, refused.message
        else:
            response = RedirectResponse(_next(next), status_code=303)
            session.start(request, response, user)
            return response
    return render(
        request, "login.html", status_code=status, next=_next(next), username=username, error=error
    )


@signed_in.post("/logout")
def logout(_user: Annotated[User, Depends(Need("decide"))]) -> Response:
    """Sign out (a form with the CSRF value, like every change)."""
    response = RedirectResponse("/login", status_code=303)
    session.end(response)
    return response

"""``/persons``: person search by name and/or identity number within the user's scope (as the
API's ``GET /api/v1/persons``: ``access.persons_named``; numbers masked for the roles that
must not see them), and ``/persons/{certno}``: the person's base data and 1101 status as of a
date (``registry.status``), the enrollment timeline, every change with the decisions behind it
(rule ids, citations) and the household (``history.person_history``). Reading a person's page
is audited as the API's full-record read is (``access.record_read``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from canbao.adapters.database import ready
from canbao.api.deps import Limit, Offset, database_url
from canbao.api.masking import mask_account, mask_certno, mask_phone
from canbao.api.security import Need
from canbao.policy import load_policy
from canbao.services import access, history, registry
from canbao.services.users import User
from canbao.web.codes import identity_number, names
from canbao.web.pages import render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Text = Annotated[str, Query(max_length=64)]


@router.get("/persons", response_class=HTMLResponse)
def persons(
    request: Request,
    user: Annotated[User, Depends(Need("person.list"))],
    name: Text = "",
    certno: Text = "",
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    """The search form and a page of the persons found (sortable by column)."""
    name, certno = name.strip(), certno.strip()
    errors: dict[str, str] = {}
    wanted = None
    if certno:
        wanted, problem = identity_number(certno)
        if problem is not None:
            errors["certno"] = problem
    searched = bool(name or wanted) and not errors
    total, entries = 0, list[access.PersonEntry]()
    if searched:
        with ready(database_url(request)).connect() as connection:
            total, entries = access.persons_named(
                connection, load_policy(), name or None, user.region, limit, offset, certno=wanted
            )
    shown = user.unmasked
    rows = [
        {
            "entry": e,
            "certno": e.certno if shown else mask_certno(e.certno) or "",
            "tel": e.tel if shown else mask_phone(e.tel),
        }
        for e in entries
    ]
    return render(
        request,
        "persons/search.html",
        status_code=422 if errors else 200,
        psn_name=name,
        certno=certno,
        errors=errors,
        searched=searched,
        rows=rows,
        total=total,
        limit=limit,
        offset=offset,
        query={"name": name, "certno": certno},
        names=names(),
    )


@router.get("/persons/{certno}", response_class=HTMLResponse)
def person(
    request: Request,
    certno: str,
    user: Annotated[User, Depends(Need("person.read"))],
    as_of: Annotated[str, Query(max_length=10)] = "",
    saved: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The person's page as of a date (default today); ``saved``: the change just saved by
    the registration form. Audited."""
    errors: dict[str, str] = {}
    day = date.today()
    if as_of:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            errors["as_of"] = "日期应为 YYYY-MM-DD。"
    psn_no: str = request.state.psn_no
    with ready(database_url(request)).begin() as connection:
        status = registry.status(connection, psn_no, day)
        found = history.person_history(connection, psn_no, day)
        policy = load_policy()
        household = [  # members of another scope stay unseen, as everywhere
            member
            for member in found.household
            if access.within_scope(
                policy, access.person_regions(connection, member.psn_no), user.region
            )
        ]
        latest = registry.person_as_of(connection, psn_no, day) or registry.person_as_of(
            connection, psn_no, date.max
        )
        route = getattr(request.scope.get("route"), "path", request.url.path)
        client = request.client.host if request.client else None
        access.record_read(connection, user.name, psn_no, route, client)
    shown = user.unmasked
    contact = {
        "tel": (latest["tel"] if shown else mask_phone(latest["tel"])) if latest else None,
        "bank_acct": (
            (latest["bank_acct"] if shown else mask_account(latest["bank_acct"]))
            if latest
            else None
        ),
        "hukou_admdvs": latest["hukou_admdvs"] if latest else None,
        "resd_admdvs": latest["resd_admdvs"] if latest else None,
    }
    return render(
        request,
        "persons/person.html",
        status_code=422 if errors else 200,
        certno=request.state.certno,
        shown_certno=request.state.certno if shown else mask_certno(request.state.certno),
        psn_no=psn_no,
        psn_name=latest["psn_name"] if latest else "",
        day=day,
        as_of=as_of or day.isoformat(),
        errors=errors,
        status=status,
        contact=contact,
        history=found,
        household=household,
        saved=saved,
        names=names(),
    )

"""``/persons``: person search by name and/or identity number within the user's scope (as the
API's ``GET /api/v1/persons``: ``access.persons_named``; numbers masked for the roles that
must not see them), and ``/persons/{certno}``: the person's base data and 1101 status as of a
date (``registry.status``), the enrollment timeline, every change with the decisions behind it
(rule ids, citations) and the household (``history.person_history``); ``/persons/unnumbered/
{psn_no}``: the same page for a person without a number yet (a newborn under a parent's name,
B5), with the form that attaches the number (``registry.attach_certificate``). Reading a
person's page is audited as the API's full-record read is (``access.record_read``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from canbao.adapters.database import ready, unit_of_work
from canbao.api.deps import Limit, Offset, actor, database_url
from canbao.api.errors import not_found
from canbao.api.masking import mask_account, mask_certno, mask_phone
from canbao.api.security import Need
from canbao.certno import RESIDENT_ID
from canbao.policy import load_policy
from canbao.services import access, history, registry
from canbao.services.users import User
from canbao.web.codes import identity_number, names
from canbao.web.pages import render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Text = Annotated[str, Query(max_length=64)]
PsnNo = Annotated[str, Path(min_length=1, max_length=32)]
Reader = Annotated[User, Depends(Need("person.read"))]
AsOf = Annotated[str, Query(max_length=10)]
Saved = Annotated[int | None, Query(ge=1)]


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
    user: Reader,
    as_of: AsOf = "",
    saved: Saved = None,
) -> Response:
    """The person's page as of a date (default today); ``saved``: the change just saved by
    the registration form. Audited."""
    return _person_page(request, user, request.state.psn_no, request.state.certno, as_of, saved)


@router.get("/persons/unnumbered/{psn_no}", response_class=HTMLResponse)
def unnumbered(
    request: Request,
    psn_no: PsnNo,
    user: Reader,
    as_of: AsOf = "",
    saved: Saved = None,
) -> Response:
    """The page of a person without a number of their own yet (a newborn under a parent's
    name, B5), found by psn_no within the scope; once a number is attached, its page."""
    number = _unnumbered(request, user, psn_no)
    if number is not None:
        return RedirectResponse(f"/persons/{number}", status_code=303)
    return _person_page(request, user, psn_no, "", as_of, saved)


@router.post("/persons/unnumbered/{psn_no}/certificate", response_class=HTMLResponse)
def attach(
    request: Request,
    psn_no: PsnNo,
    user: Annotated[User, Depends(Need("person.write"))],
    certno: Annotated[str, Form(max_length=32)] = "",
    psn_name: Annotated[str, Form(max_length=64)] = "",
    valid_from: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The newborn's own number and name from ``valid_from`` on (registry.attach_certificate:
    the person keeps psn_no, relations and history); then the page under the number."""
    if _unnumbered(request, user, psn_no) is not None:
        raise not_found(f"人员 {psn_no} 已有证件号码。", "path.psn_no")
    typed = {"certno": certno, "psn_name": psn_name, "valid_from": valid_from}
    errors: dict[str, str] = {}
    number, problem = identity_number(certno) if certno.strip() else (None, "必填。")
    if problem is not None:
        errors["certno"] = problem
    try:
        day = date.fromisoformat(valid_from)
    except ValueError:
        errors["valid_from"] = "日期应为 YYYY-MM-DD。"
    if errors or number is None:
        return _person_page(request, user, psn_no, "", "", None, 422, errors, typed)
    with unit_of_work(database_url(request), actor(user)) as uow:
        outcome = registry.attach_certificate(
            uow, psn_no, RESIDENT_ID, number, day, psn_name.strip() or None, load_policy()
        )
    if outcome.status == "refused":
        return _person_page(request, user, psn_no, "", "", None, 409, {}, typed, outcome.reason)
    return RedirectResponse(f"/persons/{number}?saved={outcome.change_id}", status_code=303)


def _unnumbered(request: Request, user: User, psn_no: str) -> str | None:
    """Not found unless the person is enrolled within the user's scope; the number the
    person holds already, if any."""
    with ready(database_url(request)).connect() as connection:
        regions = access.person_regions(connection, psn_no)
        if not regions or not access.within_scope(load_policy(), regions, user.region):
            raise not_found(f"登记库中没有人员编号为 {psn_no} 的人员。", "path.psn_no")
        return access.certificate_of(connection, psn_no)


def _person_page(
    request: Request,
    user: User,
    psn_no: str,
    certno: str,
    as_of: str,
    saved: int | None,
    status_code: int = 200,
    attach_errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    refusal: str | None = None,
) -> Response:
    """The person's page (``certno`` empty: a person without a number yet, who gets the form
    to attach one), audited."""
    errors: dict[str, str] = {}
    day = date.today()
    if as_of:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            errors["as_of"] = "日期应为 YYYY-MM-DD。"
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
        status_code=422 if errors else status_code,
        certno=certno,
        shown_certno=(certno if shown else mask_certno(certno)) if certno else "（尚无证件号码）",
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
        attach_errors=attach_errors or {},
        typed=typed or {"valid_from": date.today().isoformat()},
        refusal=refusal,
        page_path=f"/persons/{certno}" if certno else f"/persons/unnumbered/{psn_no}",
    )

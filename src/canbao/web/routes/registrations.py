"""``/registrations/new``: the 登记表 (新参保, 变更, 停保) as a form. "预览" shows what the
engine answers before anything is saved (``registry.preview``: the use case run and rolled
back — eligibility, the proofs needed, when benefits start and the waiting period, and for a
新参保 what the person pays with which subsidy), each with its rule ids and citations; "保存"
stores it through the same use case as ``canbao person register|change|stop`` and the API
(``registry.apply``) and goes to the person's page. A 新参保 of a newborn registered under a
parent's name (新生儿, the box ticked) may come without a number (B5): its birth date is then
required, and its page is found by psn_no until the number is attached there."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Connection

from canbao.adapters.database import ready, unit_of_work
from canbao.api.deps import actor, database_url
from canbao.api.security import Need
from canbao.certno import RESIDENT_ID, check_certno
from canbao.domain.codes import (
    IDENTITIES,
    NEWBORN_PSN_TYPE,
    REFUND_REASONS,
    REGISTRATION_TYPES,
    RESIDENT_ADULT,
    RESIDENT_PSN_TYPES,
    UNKNOWN_SEX,
)
from canbao.domain.registry import Registration
from canbao.policy import Policy, load_policy
from canbao.services import access, registry
from canbao.services.users import User
from canbao.web.codes import identity_number, names
from canbao.web.pages import field_errors, render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Writer = Annotated[User, Depends(Need("person.write"))]

#: The form's 登记类型 (``?type=``) → its name on the 登记表 (``REGISTRATION_TYPES``).
TYPES = {"new": "新参保", "change": "变更", "stop": "停保"}
Region = Annotated[str | None, Field(default=None, pattern=r"^[0-9]{6}$")]


class RegistrationForm(BaseModel):
    """The posted 登记表; blank fields are None. Sex and birth date default to the number's."""

    type: Literal["new", "change", "stop"]
    #: None only for a newborn registered under a parent's name without a number yet (B5).
    certno: str | None = Field(default=None, max_length=32)
    psn_name: str | None = Field(default=None, max_length=64)
    insuplc_admdvs: str = Field(pattern=r"^[0-9]{6}$")
    accepted_on: date
    psn_type: str = Field(default=RESIDENT_ADULT, pattern=r"^[0-9]{4}$")
    brdy: date | None = None
    tel: str | None = Field(default=None, max_length=32)
    bank_acct: str | None = Field(default=None, max_length=64)
    hukou_admdvs: Region = None
    resd_admdvs: Region = None
    office_admdvs: Region = None
    identities: list[str] = Field(default=[], max_length=20)
    proofs: list[Annotated[str, Field(max_length=80)]] = Field(default=[], max_length=20)
    paid_on: date | None = None
    year: int | None = Field(default=None, ge=1990, le=2100)
    permit_expires_on: date | None = None
    under_parent_name: bool = False
    stop_reason: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _blank_is_none(cls, values: Any) -> Any:
        if isinstance(values, dict):
            return {k: (None if v == "" else v) for k, v in values.items() if v is not None}
        return values

    @field_validator("certno")
    @classmethod
    def _certno(cls, value: str | None) -> str | None:
        if value is None:
            return None
        number, problem = identity_number(value)
        if number is None:
            raise ValueError(problem)
        return number

    @field_validator("identities")
    @classmethod
    def _identities(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in IDENTITIES]
        if unknown:
            raise ValueError(f"资助参保身份不在代码表中：{'、'.join(unknown)}")
        return value

    @field_validator("stop_reason")
    @classmethod
    def _stop_reason(cls, value: str | None) -> str | None:
        if value is not None and value not in REFUND_REASONS:
            raise ValueError("停保原因不在代码表中。")
        return value

    def registration(self) -> Registration:
        checked = check_certno(self.certno or "")
        values: dict[str, Any] = {
            "chg_type": REGISTRATION_TYPES[TYPES[self.type]],
            "psn_name": (self.psn_name or "").strip(),
            "insuplc_admdvs": self.insuplc_admdvs,
            "accepted_on": self.accepted_on,
            "psn_cert_type": checked.cert_type or RESIDENT_ID,
            "certno": self.certno,
            "office_admdvs": self.office_admdvs,
            "year": self.year,
        }
        if self.type == "stop":
            return Registration(**values, stop_reason=self.stop_reason)
        values |= {
            "gend": checked.sex or UNKNOWN_SEX,
            "brdy": self.brdy or checked.birth_date,
            "tel": self.tel,
            "bank_acct": self.bank_acct,
            "hukou_admdvs": self.hukou_admdvs,
            "resd_admdvs": self.resd_admdvs,
        }
        if self.type == "change":
            return Registration(**values)
        return Registration(
            **values,
            psn_type=self.psn_type,
            identities=frozenset(self.identities),
            proofs=frozenset(self.proofs),
            paid_on=self.paid_on,
            permit_expires_on=self.permit_expires_on,
            under_parent_name=self.under_parent_name,
        )


def _parse(values: dict[str, Any]) -> tuple[RegistrationForm | None, dict[str, str]]:
    """The form, or the errors by field (the fields its 登记类型 requires included)."""
    errors: dict[str, str] = {}
    parsed = None
    try:
        parsed = RegistrationForm.model_validate(values)
    except ValidationError as error:
        errors = field_errors(error)
    if values.get("type") != "stop" and not str(values.get("psn_name") or "").strip():
        errors.setdefault("psn_name", "必填。")
    if values.get("type") == "stop" and not values.get("stop_reason"):
        errors.setdefault("stop_reason", "请选择停保原因。")
    if not str(values.get("certno") or "").strip():
        # Only a newborn under a parent's name may come without a number (B5): its birth date
        # cannot be read from one.
        newborn = values.get("under_parent_name") and values.get("psn_type") == NEWBORN_PSN_TYPE
        if values.get("type") != "new" or not newborn:
            errors.setdefault("certno", "必填（新生儿以父母名义登记时可暂缺）。")
        elif not values.get("brdy"):
            errors.setdefault("brdy", "无证件号码时必填。")
    return (None if errors else parsed), errors


def _scope_regions(policy: Policy, user: User) -> list[tuple[str, str]]:
    return [
        (code, f"{region.name}（{code}）")
        for code, region in policy.regions.items()
        if policy.within(code, user.region)
    ]


def _in_scope(connection: Connection, policy: Policy, user: User, certno: str) -> str | None:
    """The person of the identity number, when the registry holds them within the user's
    scope (as the API's guard finds a person in the path)."""
    psn_no = registry.find_person(connection, RESIDENT_ID, certno)
    if psn_no is None:
        return None
    regions = access.person_regions(connection, psn_no)
    return psn_no if access.within_scope(policy, regions, user.region) else None


def _page(
    request: Request,
    user: User,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    policy = load_policy()
    kind = values.get("type") if values.get("type") in TYPES else "new"
    decided = extra.get("preview") or extra.get("refused")
    outcome = getattr(decided, "outcome", decided)
    asked = [
        proof
        for d in (outcome.decisions if outcome is not None else ())
        if d.kind == "eligibility"
        for proof in d.answer.get("required_proofs") or ()
    ]
    proofs = list(dict.fromkeys([*asked, *values.get("proofs", [])]))
    return render(
        request,
        "registrations/form.html",
        status_code=status_code,
        kind=kind,
        types=TYPES,
        values={**values, "type": kind},
        errors=errors or {},
        regions=_scope_regions(policy, user),
        psn_types=list(RESIDENT_PSN_TYPES.items()),
        identities=list(IDENTITIES.items()),
        stop_reasons=[("", "请选择")] + list(REFUND_REASONS.items()),
        proofs=proofs,
        names=names(),
        **extra,
    )


@router.get("/registrations/new", response_class=HTMLResponse)
def blank(
    request: Request,
    user: Writer,
    type: Literal["new", "change", "stop"] = "new",
    certno: str = "",
) -> Response:
    """The empty form of a 登记类型; for a 变更 or 停保 of a person within the scope, the
    person's current data filled in."""
    values: dict[str, Any] = {"type": type, "accepted_on": date.today().isoformat()}
    number = identity_number(certno)[0] if certno else None
    if number is not None:
        values["certno"] = number
        policy = load_policy()
        with ready(database_url(request)).connect() as connection:
            psn_no = _in_scope(connection, policy, user, number)
            current = registry.person_as_of(connection, psn_no, date.today()) if psn_no else None
            relations = registry.enrollments_as_of(connection, psn_no, date.max) if psn_no else []
        if current is not None:
            values |= {
                k: current[k]
                for k in ("psn_name", "tel", "bank_acct", "hukou_admdvs", "resd_admdvs")
            }
        normal = [r for r in relations if r["psn_insu_stas"] == registry.NORMAL]
        if normal and policy.within(normal[0]["insuplc_admdvs"], user.region):
            values["insuplc_admdvs"] = normal[0]["insuplc_admdvs"]
    return _page(request, user, values)


@router.post("/registrations/new", response_class=HTMLResponse)
async def submit(request: Request, user: Writer) -> Response:
    """ "preview" (``step=preview``) or save (``step=save``) the posted form."""
    form = await request.form()
    values: dict[str, Any] = {
        key: str(value) for key, value in form.items() if key not in ("identities", "proofs")
    }
    values["identities"] = [str(v) for v in form.getlist("identities")]
    values["proofs"] = [str(v) for v in form.getlist("proofs")]
    values["under_parent_name"] = "under_parent_name" in form
    values.pop("csrf_token", None)
    step = values.pop("step", "preview")
    parsed, errors = _parse(values)
    if parsed is None:
        return _page(request, user, values, errors, 422)
    policy = load_policy()
    if not policy.within(parsed.insuplc_admdvs, user.region):
        message = f"区划 {parsed.insuplc_admdvs} 不在您的管辖范围（{user.region}）内。"
        return _page(request, user, values, {"insuplc_admdvs": message}, 422)
    registration = parsed.registration()
    with unit_of_work(database_url(request), actor(user)) as uow:
        if (
            parsed.type != "new"
            and parsed.certno is not None
            and registry.find_person(uow.connection, RESIDENT_ID, parsed.certno)
        ):
            if _in_scope(uow.connection, policy, user, parsed.certno) is None:
                message = f"登记库中没有证件号码为 {parsed.certno} 的人员。"
                return _page(request, user, values, {"certno": message}, 422)
        if step == "save":
            outcome = registry.apply(uow, registration, policy)
        else:
            preview = registry.preview(uow, registration, policy)
    if step != "save":
        return _page(request, user, values, preview=preview)
    if outcome.status == "refused":
        return _page(request, user, values, status_code=422, refused=outcome)
    target = (
        f"/persons/{parsed.certno}"
        if parsed.certno is not None
        else f"/persons/unnumbered/{outcome.psn_no}"
    )
    if outcome.change_id is not None:
        target += f"?saved={outcome.change_id}"
    return RedirectResponse(target, status_code=303)

"""The registry's workflows (W1, W4–W6) and the 登记表 import:

- ``POST /api/v1/persons/{certno}/enrollments/{admdvs}``: 新参保 in a region (W1; a student
  through a school unit, W4; a mid-year enrollee or a newborn paying on the spot, W5);
- ``POST …/enrollments/{admdvs}/changes`` (变更) and ``…/stop`` (停保);
- ``POST /api/v1/regions/{admdvs}/newborns``: 新参保 of a newborn under a parent's name,
  without a number of its own yet (B5): the answer's ``psn_no`` names it until then;
- ``POST …/enrollments/{admdvs}/certificate``: the number {certno} given later to the person
  ``psn_no`` enrolled in the region (a newborn registered under a parent's name, B5; a
  foreigner, E6), or a changed number (K5, K6);
- ``POST /api/v1/persons/{certno}/switches``: joining the other scheme (W6);
- ``POST /api/v1/regions/{admdvs}/permits/expiry``: the resident relations within the region
  of the persons whose residence permit expired stop the day after the expiry (B13);
- ``POST /api/v1/regions/{admdvs}/units``: an enrollment unit (a school, W4);
- ``POST /api/v1/regions/{admdvs}/imports/registrations``: a 登记表 file, every row within
  the region.

Each answers what the use case answers: the outcome (accepted, unchanged, refused with the
reason) and the engine's decisions behind it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from canbao.adapters.database import unit_of_work
from canbao.api.deps import actor, answer, database_url, saved
from canbao.api.errors import ERRORS, forbidden, not_found
from canbao.api.security import GuardedRoute, Need
from canbao.domain.codes import BASIC_INFO, NEW, NEWBORN_PSN_TYPE, RESIDENT_ADULT, STOP, Scheme
from canbao.domain.registry import Outcome, Registration
from canbao.policy import load_policy
from canbao.services import access, imports, registry
from canbao.services.users import User

router = APIRouter(prefix="/api/v1", tags=["registry"], route_class=GuardedRoute)
Writer = Annotated[User, Depends(Need("person.write"))]
Creator = Annotated[User, Depends(Need("person.write", creates=True))]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="6位区划代码")]
Year = Annotated[int, Field(ge=1990, le=2100)]
Text = Annotated[str, Field(min_length=1, max_length=64)]
RESPONSES: dict[int | str, dict[str, Any]] = {k: ERRORS[k] for k in (401, 403, 404, 422)}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegistrationIn(Strict):
    """新参保: the form's fields (登记表)."""

    psn_name: Text
    accepted_on: date = Field(description="受理时间：期限据此判断")
    gend: Literal["0", "1", "2", "9"] = "0"
    brdy: date | None = None
    psn_type: str = Field(default=RESIDENT_ADULT, pattern=r"^[0-9]{4}$", description="人员类别")
    tel: str | None = Field(default=None, max_length=32)
    bank_acct: str | None = Field(default=None, max_length=64)
    hukou_admdvs: RegionCode | None = None
    resd_admdvs: RegionCode | None = None
    categories: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=20)
    identities: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=20)
    proofs: list[Annotated[str, Field(max_length=80)]] = Field(default=[], max_length=20)
    year: Year | None = None
    paid_on: date | None = None
    permit_expires_on: date | None = None
    unit_id: str | None = Field(default=None, max_length=32)
    under_parent_name: bool = False


class ChangeIn(Strict):
    """变更: the person's data as the form gives it (blank: unchanged)."""

    psn_name: Text
    accepted_on: date
    gend: Literal["0", "1", "2", "9"]
    brdy: date | None = None
    tel: str | None = Field(default=None, max_length=32)
    bank_acct: str | None = Field(default=None, max_length=64)
    hukou_admdvs: RegionCode | None = None
    resd_admdvs: RegionCode | None = None
    year: Year | None = None


class StopIn(Strict):
    """停保: from the 受理时间; the reason decides suspension or termination."""

    accepted_on: date
    stop_reason: str | None = Field(default=None, max_length=32)
    year: Year | None = None


class SwitchIn(Strict):
    """Joining ``scheme`` in ``region`` (W6: B6–B11)."""

    scheme: Scheme
    region: RegionCode
    joined_on: date
    paid_on: date
    psn_type: str = Field(default=RESIDENT_ADULT, pattern=r"^[0-9]{4}$")
    categories: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=20)
    identities: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=20)


class NewbornIn(Strict):
    """新参保 of a newborn registered under a parent's name, without a number yet (B5)."""

    psn_name: Text = Field(description="父（母）姓名：以其名义登记")
    brdy: date = Field(description="出生日期")
    gend: Literal["0", "1", "2", "9"] = "0"
    accepted_on: date = Field(description="受理时间：期限据此判断")
    hukou_admdvs: RegionCode | None = None
    resd_admdvs: RegionCode | None = None
    tel: str | None = Field(default=None, max_length=32)
    bank_acct: str | None = Field(default=None, max_length=64)
    identities: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=20)
    proofs: list[Annotated[str, Field(max_length=80)]] = Field(default=[], max_length=20)
    year: Year | None = None
    paid_on: date | None = None


class CertificateIn(Strict):
    """The number in the path given to the person ``psn_no`` (from the person's 1101 status
    or the list of persons: a newborn under a parent's name has no number of its own)."""

    psn_no: str = Field(min_length=1, max_length=32, description="人员编号")
    valid_from: date = Field(description="自此日起使用该证件号码")
    psn_name: Text | None = Field(default=None, description="本人姓名（新生儿以父母名义登记时）")


class PermitExpiryIn(Strict):
    as_of: date = Field(description="截至此日已过期的居住证")


class UnitIn(Strict):
    kind: Literal["school", "employer", "village"]
    name: Annotated[str, Field(min_length=1, max_length=128)]


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {
        "status": outcome.status,
        "reason": outcome.reason,
        "psn_no": outcome.psn_no,
        "rlts_id": outcome.rlts_id,
        "change_id": outcome.change_id,
        "decisions": [d.as_json() for d in outcome.decisions],
    }


def _apply(request: Request, user: User, registration: Registration) -> Any:
    with unit_of_work(database_url(request), actor(user)) as uow:
        return answer(_outcome(registry.apply(uow, registration, load_policy())))


@router.post("/persons/{certno}/enrollments/{admdvs}", responses=RESPONSES)
def register(
    request: Request, certno: str, admdvs: str, body: RegistrationIn, user: Creator
) -> Any:
    """新参保 of the person in the region, decided by the engine (E1–E6; B1–B5 when paid)."""
    values = body.model_dump(exclude={"categories", "identities", "proofs"})
    registration = Registration(
        chg_type=NEW,
        insuplc_admdvs=admdvs,
        psn_cert_type=request.state.cert_type,
        certno=request.state.certno,
        categories=frozenset(body.categories),
        identities=frozenset(body.identities),
        proofs=frozenset(body.proofs),
        **values,
    )
    return _apply(request, user, registration)


@router.post("/regions/{admdvs}/newborns", responses=RESPONSES)
def newborn(request: Request, admdvs: str, body: NewbornIn, user: Writer) -> Any:
    """新参保 of a newborn under a parent's name without a number of its own yet (B5; B4 decides
    the benefit start when paid): the answer's ``psn_no`` names the newborn until its number
    is attached (``POST …/enrollments/{admdvs}/certificate``)."""
    registration = Registration(
        chg_type=NEW,
        insuplc_admdvs=admdvs,
        psn_type=NEWBORN_PSN_TYPE,
        under_parent_name=True,
        identities=frozenset(body.identities),
        proofs=frozenset(body.proofs),
        **body.model_dump(exclude={"identities", "proofs"}),
    )
    return _apply(request, user, registration)


@router.post("/persons/{certno}/enrollments/{admdvs}/changes", responses=RESPONSES)
def change(request: Request, certno: str, admdvs: str, body: ChangeIn, user: Writer) -> Any:
    """变更 of the person's data from the 受理时间 (K2 deadlines)."""
    values = {k: v for k, v in body.model_dump().items() if v is not None}
    registration = Registration(
        chg_type=BASIC_INFO,
        insuplc_admdvs=admdvs,
        psn_cert_type=request.state.cert_type,
        certno=request.state.certno,
        **values,
    )
    return _apply(request, user, registration)


@router.post("/persons/{certno}/enrollments/{admdvs}/stop", responses=RESPONSES)
def stop(request: Request, certno: str, admdvs: str, body: StopIn, user: Writer) -> Any:
    """停保 of the person's relation in the region (K2 deadlines)."""
    registration = Registration(
        chg_type=STOP,
        psn_name="",
        insuplc_admdvs=admdvs,
        psn_cert_type=request.state.cert_type,
        certno=request.state.certno,
        **body.model_dump(),
    )
    return _apply(request, user, registration)


@router.post("/persons/{certno}/enrollments/{admdvs}/certificate", responses=RESPONSES)
def certificate(
    request: Request, certno: str, admdvs: str, body: CertificateIn, user: Creator
) -> Any:
    """Attach the number to the person ``psn_no`` enrolled in the region: from
    ``valid_from`` the person has it (and the own name given); a person who had a number
    changes it (K5 office, K6 before payment)."""
    holder: str | None = request.state.psn_no
    if holder is not None and holder != body.psn_no:
        # Refused without naming the holder, who may be outside the user's scope.
        refused = Outcome("refused", f"证件号码{request.state.certno}已登记给另一人员。", None)
        return answer(_outcome(refused))
    policy = load_policy()
    with unit_of_work(database_url(request), actor(user)) as uow:
        regions = access.person_regions(uow.connection, body.psn_no)
        if not access.within_scope(policy, regions, admdvs):
            raise not_found(f"区划 {admdvs} 内没有人员编号为 {body.psn_no} 的人员。", "body.psn_no")
        outcome = registry.attach_certificate(
            uow,
            body.psn_no,
            request.state.cert_type,
            request.state.certno,
            body.valid_from,
            body.psn_name,
            policy,
        )
    return answer(_outcome(outcome))


@router.post("/persons/{certno}/switches", responses=RESPONSES)
def switch(request: Request, certno: str, body: SwitchIn, user: Writer) -> Any:
    """Join the other scheme in a region within your scope (B6–B11 decide the start)."""
    if not load_policy().within(body.region, user.region):
        raise forbidden(f"区划 {body.region} 不在您的管辖范围（{user.region}）内。")
    with unit_of_work(database_url(request), actor(user)) as uow:
        outcome = registry.switch_scheme(
            uow,
            request.state.psn_no,
            body.scheme,
            body.region,
            body.joined_on,
            body.paid_on,
            body.psn_type,
            frozenset(body.categories),
            frozenset(body.identities),
            load_policy(),
        )
    return answer(_outcome(outcome))


@router.post("/regions/{admdvs}/units", responses=RESPONSES)
def unit(request: Request, admdvs: str, body: UnitIn, user: Writer) -> Any:
    """An enrollment unit of the region (once per kind and name): its unit_id."""
    with unit_of_work(database_url(request), actor(user)) as uow:
        unit_id = registry.register_unit(uow, body.kind, body.name, admdvs)
    return answer({"unit_id": unit_id})


@router.post("/regions/{admdvs}/permits/expiry", responses=RESPONSES)
def permit_expiry(request: Request, admdvs: str, body: PermitExpiryIn, user: Writer) -> Any:
    """B13: each normal resident relation within the region of a person whose residence
    permit expired before ``as_of`` stops the day after the expiry where the engine says so
    (the paid year's benefits kept as it decides). Re-running stops nothing twice."""
    with unit_of_work(database_url(request), actor(user)) as uow:
        outcomes = registry.stop_expired_permits(uow, body.as_of, load_policy(), admdvs)
    return answer({"outcomes": [_outcome(o) for o in outcomes]})


@router.post("/regions/{admdvs}/imports/registrations", responses=RESPONSES)
async def import_registrations(
    request: Request,
    admdvs: str,
    user: Writer,
    file: Annotated[UploadFile, File(description="登记表 (.xlsx or .csv, UTF-8 or GBK)")],
    year: Annotated[int | None, Form(ge=1990, le=2100)] = None,
) -> Any:
    """新参保/变更/停保 rows of a 登记表, every row within the region; each row is its own
    transaction and a re-import accepts nothing new. Answer: accepted, unchanged, rejected
    (row, column, code, reason)."""
    data = await file.read()
    return await run_in_threadpool(_import, request, admdvs, user, file, data, year)


def _import(
    request: Request, admdvs: str, user: User, file: UploadFile, data: bytes, year: int | None
) -> Any:
    policy = load_policy()
    with saved(file, data) as path:
        rows, _errors, _year = imports.read_registrations(path)
        placed = ((r.row, r.insuplc_admdvs) for r in rows)
        refusal = access.file_outside_scope(policy, placed, admdvs, "参保属地")
        if refusal:
            raise forbidden(refusal)
        report = imports.import_registrations(database_url(request), path, user.name, year, policy)
    return answer(report.as_json())

"""What-if assessments (W11) for a region within the user's scope:
``POST /api/v1/regions/{admdvs}/what-if/{year}`` with ``{"set": {KEY: VALUE}}`` answers the
yearly assessment's totals with the policy as it is and with the changed values, and how many
persons pay a different amount (totals only: no person, no combination). Nothing is written.
A value is read by its key's type as ``canbao whatif --set KEY=VALUE`` reads it; a key the
schema lacks or a value it cannot hold answers 422 with ``field`` ``body.set.KEY``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from canbao.adapters.database import ready
from canbao.api.deps import answer, database_url
from canbao.api.errors import ERRORS, invalid
from canbao.api.security import GuardedRoute, Need
from canbao.batch import whatif
from canbao.policy import load_policy
from canbao.policy.override import OverrideError, parse_value
from canbao.services.users import User

router = APIRouter(prefix="/api/v1/regions/{admdvs}/what-if", tags=["what-if"],
                   route_class=GuardedRoute)  # fmt: skip
RESPONSES: dict[int | str, dict[str, Any]] = {k: ERRORS[k] for k in (401, 403, 422)}
Year = Annotated[int, PathParam(ge=1990, le=2100)]
Value = StrictBool | StrictStr | int | Decimal | list[StrictStr]


class WhatIfIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    values: dict[str, Value] = Field(
        alias="set",
        min_length=1,
        max_length=50,
        description='政策参数及其测算值，如 {"resident.individual_standard": 400}',
    )


def _text(value: Value) -> str:
    """The value as ``--set KEY=VALUE`` gives it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


@router.post("/{year}", responses=RESPONSES)
def what_if(
    request: Request,
    admdvs: str,
    year: Year,
    body: WhatIfIn,
    _user: Annotated[User, Depends(Need("whatif"))],
) -> Any:
    """The region's yearly assessment for the year, current and with the values set: persons,
    payable, subsidy and its funding by source, persons not decided, persons changed."""
    values = {}
    for key, value in body.values.items():
        try:
            values[key] = parse_value(key, _text(value))
        except OverrideError as error:
            raise invalid(str(error), f"body.set.{key}") from error
    with ready(database_url(request)).connect() as connection:
        report = whatif.run(connection, admdvs, year, values, load_policy())
    totals = report.as_json()
    del totals["changed"]["largest"]
    return answer(totals)

"""Roster matching (数据对碰, T4, W10) for a region within the user's scope:
``POST /api/v1/regions/{admdvs}/matches`` with a roster file (.xlsx or .csv) answers the match
report of SPEC section 7, one row per roster row.

The roster is matched against the registry of the region only (``match_file(...,
regions=...)``): a person with no relation within the region (nor, never enrolled, a hukou
there) is not in the registry the job sees, so a row naming them answers ``not_enrolled``
(``invalid_id`` without a usable number) and nobody outside the scope is revealed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from canbao.adapters.database import ready
from canbao.api.deps import answer, database_url, saved
from canbao.api.errors import ERRORS, invalid
from canbao.api.security import GuardedRoute, Need
from canbao.batch.match import MatchError, match_file
from canbao.policy import load_policy
from canbao.services import access
from canbao.services.users import User

router = APIRouter(prefix="/api/v1/regions/{admdvs}/matches", tags=["matches"],
                   route_class=GuardedRoute)  # fmt: skip
RESPONSES: dict[int | str, dict[str, Any]] = {k: ERRORS[k] for k in (401, 403, 422)}


@router.post("", responses=RESPONSES)
async def match(
    request: Request,
    admdvs: str,
    _user: Annotated[User, Depends(Need("match"))],
    file: Annotated[UploadFile, File(description="姓名, 证件号码, 性别, 出生日期, 户籍地")],
    as_of: Annotated[date | None, Query(description="比对日期 YYYY-MM-DD；默认今天")] = None,
) -> Any:
    """Match the roster against the registry of the region: each row enrolled,
    not_enrolled, disagrees, invalid_id, matched_by_name or ambiguous, with what was found."""
    data = await file.read()
    return await run_in_threadpool(_match, request, admdvs, file, data, as_of)


def _match(request: Request, admdvs: str, file: UploadFile, data: bytes, as_of: date | None) -> Any:
    url = database_url(request)
    with ready(url).connect() as connection:
        regions = access.scope_regions(connection, load_policy(), admdvs)
    with saved(file, data) as path:
        try:
            report = match_file(path, database_url=url, as_of=as_of, regions=regions)
        except MatchError as error:
            raise invalid(str(error), "body.file") from error
    return answer(report.as_json())

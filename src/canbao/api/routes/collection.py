"""The yearly collection with the tax bureau (W2), for a region within the user's scope:

- ``POST /api/v1/regions/{admdvs}/collection/{year}/assessment``: assess the year (K2, C6);
- ``POST …/collection/{year}/exports?format=xlsx|csv``: the 应征数据 file of a new batch (K1);
- ``POST /api/v1/regions/{admdvs}/collection/feedback``: the tax bureau's 扣费反馈 file, every
  batch in it within the region.

Each creates money records, so each honours an ``Idempotency-Key``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    File,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi import (
    Path as PathParam,
)
from fastapi.concurrency import run_in_threadpool

from canbao.adapters.database import UnitOfWork, ready
from canbao.adapters.tax_files import read_feedback
from canbao.api.deps import actor, answer, database_url, saved
from canbao.api.errors import ERRORS, forbidden
from canbao.api.idempotency import IdempotencyKey, fingerprint, once
from canbao.api.security import GuardedRoute, Need
from canbao.policy import load_policy
from canbao.services import access, collection
from canbao.services.users import User

router = APIRouter(prefix="/api/v1/regions/{admdvs}/collection", tags=["collection"],
                   route_class=GuardedRoute)  # fmt: skip
Year = Annotated[int, PathParam(ge=1990, le=2100, description="参保年度")]
RESPONSES: dict[int | str, dict[str, Any]] = {k: ERRORS[k] for k in (401, 403, 409, 422)}
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@router.post("/{year}/assessment", responses=RESPONSES)
def assess(
    request: Request,
    admdvs: str,
    year: Year,
    user: Annotated[User, Depends(Need("collection.assess"))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Assess the year for every active resident enrollee of the region; again: unchanged."""

    def work(uow: UnitOfWork) -> Response:
        return answer(collection.assess(uow, admdvs, year, load_policy()).as_json())

    key = fingerprint(request.url.path)
    return once(database_url(request), actor(user), idempotency_key, key, work)


@router.post(
    "/{year}/exports",
    responses={
        **RESPONSES,
        200: {"description": "应征数据文件", "content": {m: {} for m in MEDIA.values()}},
        204: {"description": "没有需要送税务的应征数据，未生成批次"},
    },
)
def export(
    request: Request,
    admdvs: str,
    year: Year,
    user: Annotated[User, Depends(Need("collection.exchange"))],
    file_format: Annotated[Literal["xlsx", "csv"], Query(alias="format")] = "xlsx",
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """The 应征数据 file of a new batch (assessments never sent, and those to resend); the
    batch id in the ``X-Batch-Id`` header. 204 when there is nothing to send."""

    def work(uow: UnitOfWork) -> Response:
        with tempfile.TemporaryDirectory(prefix="canbao-export-") as folder:
            path = Path(folder) / f"{admdvs}-{year}.{file_format}"
            batch_id = collection.export_batch(uow, admdvs, year, path, load_policy())
            if batch_id is None:
                return Response(status_code=204)
            return Response(
                path.read_bytes(),
                media_type=MEDIA[file_format],
                headers={
                    "X-Batch-Id": batch_id,
                    "Content-Disposition": f'attachment; filename="{batch_id}.{file_format}"',
                },
            )

    key = fingerprint(request.url.path, file_format)
    return once(database_url(request), actor(user), idempotency_key, key, work)


@router.post("/feedback", responses={**RESPONSES, 404: ERRORS[404]})
async def feedback(
    request: Request,
    admdvs: str,
    user: Annotated[User, Depends(Need("collection.exchange"))],
    file: Annotated[UploadFile, File(description="扣费反馈 (.xlsx or .csv)")],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """The tax bureau's deduction feedback: paid, resend, abandoned (K1); lines seen before
    change nothing. Every batch named in the file must be one of the region's."""
    data = await file.read()
    return await run_in_threadpool(_feedback, request, admdvs, user, file, data, idempotency_key)


def _feedback(
    request: Request,
    admdvs: str,
    user: User,
    file: UploadFile,
    data: bytes,
    idempotency_key: str | None,
) -> Response:
    policy = load_policy()
    url = database_url(request)
    with saved(file, data) as path:
        lines, _rejected = read_feedback(path)
        with ready(url).connect() as connection:
            refusal = access.feedback_outside_scope(connection, policy, lines, admdvs)
        if refusal:
            raise forbidden(refusal)

        def work(uow: UnitOfWork) -> Response:
            return answer(collection.import_feedback(uow, path, policy).as_json())

        key = fingerprint(request.url.path, data)
        return once(url, actor(user, path.name), idempotency_key, key, work)

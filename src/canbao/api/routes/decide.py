"""``POST /api/v1/decide``: a case (or a JSON list of cases) in, the engine's answer out —
the same body and the same answer as ``canbao decide`` (SPEC section 6). An ``invalid`` case
is an answer too (status ``invalid`` with its errors), as on the command line."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from canbao.api.errors import ERRORS
from canbao.api.security import GuardedRoute, Need
from canbao.contract import CASES
from canbao.contract.answers import ANSWERS
from canbao.contract.inputs import decide_input, parse
from canbao.domain.decision import Decision, to_json
from canbao.services.users import User

router = APIRouter(prefix="/api/v1", tags=["decide"], route_class=GuardedRoute)


def _one_of(models: list[Any]) -> dict[str, Any]:
    refs = [{"$ref": f"#/components/schemas/{model.__name__}"} for model in models]
    return {"oneOf": [*refs, {"type": "array", "items": {"oneOf": refs}}]}


#: The contract's models, which the app adds to the OpenAPI components.
CONTRACT_MODELS = [*CASES.values(), *ANSWERS.values()]


@router.post(
    "/decide",
    responses={
        200: {
            "description": "答案（列表输入则为答案列表）",
            "content": {"application/json": {"schema": _one_of(list(ANSWERS.values()))}},
        },
        401: ERRORS[401],
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _one_of(list(CASES.values()))}},
        }
    },
)
async def decide(request: Request, _user: Annotated[User, Depends(Need("decide"))]) -> JSONResponse:
    """Decide a case: kind ``contribution``, ``eligibility``, ``benefit_start``, ``duplicates``
    or ``refund`` with its facts; the answer names the rules applied and their sources."""
    return JSONResponse(await run_in_threadpool(_answer, await request.body()))


def _answer(body: bytes) -> Any:
    raw, error = parse(body, "(body)")
    answers: list[Decision] = []
    many = decide_input(raw, error, answers, False)
    bodies = [to_json(a.as_json()) for a in answers]
    return bodies if many else bodies[0]

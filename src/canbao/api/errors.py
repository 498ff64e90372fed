"""One error format for every 4xx and 5xx answer: ``{"code", "message", "field"}``.

``code`` is a machine code, ``message`` the Chinese reason a person reads, ``field`` where the
problem is (``body.paid_on``, ``query.limit``, ``path.certno``) or null. Validation errors,
unknown routes, refused use cases and unexpected failures all answer in it; an unexpected
failure is logged (identity numbers masked) and never shows a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from canbao.adapters.sheets import SheetError
from canbao.adapters.tax_files import TaxFileError
from canbao.services.review import Refused

log = logging.getLogger("canbao.api")


class ErrorBody(BaseModel):
    """The body of every error answer."""

    code: str = Field(description="错误代码，如 unauthorized、forbidden、not_found、invalid")
    message: str = Field(description="中文说明")
    field: str | None = Field(default=None, description="出错的字段，如 body.paid_on；无则为 null")


class ApiError(Exception):
    """An answer other than success, raised anywhere in a request."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers


def unauthorized(message: str = "未登录或登录已过期，请先取得访问令牌。") -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(message: str, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message, field)


def invalid(message: str, field: str | None = None) -> ApiError:
    return ApiError(422, "invalid", message, field)


#: The documented error answers of a route (OpenAPI), by status.
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "未登录或令牌无效"),
        (403, "角色或区划无权"),
        (404, "不存在，或不在本区划内"),
        (409, "业务上不能办理（如须另一人复核）"),
        (422, "请求有误"),
        (429, "登录尝试过多"),
    )
}

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}
_STATUS_MESSAGES = {
    404: "没有这个地址。",
    405: "该地址不支持这种请求方法。",
}


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(code=code, message=message, field=field).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Every error answers in the one format."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.field, error.headers)

    @app.exception_handler(Refused)
    async def _refused(_request: Request, error: Refused) -> JSONResponse:
        return error_response(409, "refused", str(error))

    @app.exception_handler(SheetError)
    async def _sheet(_request: Request, error: SheetError) -> JSONResponse:
        return error_response(422, error.code, error.reason, "body.file")

    @app.exception_handler(TaxFileError)
    async def _tax_file(_request: Request, error: TaxFileError) -> JSONResponse:
        return error_response(422, error.code, error.reason, "body.file")

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = list(error.errors())
        fields = [".".join(str(part) for part in problem.get("loc", ())) for problem in problems]
        message = "；".join(
            f"{where} {problem.get('msg', '')}".strip()
            for where, problem in zip(fields, problems, strict=True)
        )
        return error_response(
            422, "invalid", message or "请求有误。", fields[0] if fields else None
        )

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, error: HTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(error.status_code, "error")
        message = _STATUS_MESSAGES.get(error.status_code) or str(error.detail)
        return error_response(error.status_code, code, message, None, error.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("内部错误 %s %s：%s", request.method, request.url.path, type(error).__name__)
        return error_response(500, "internal", "内部错误，请求未完成；请联系管理员。")

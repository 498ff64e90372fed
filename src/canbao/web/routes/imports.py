"""``/imports``: the 登记表 import (W1, issue 6 item 5) in the browser — the blank form to
download, the upload (``static/imports.js`` shows its progress; without script the form is a
plain post), the result (accepted, unchanged, refused) and every refused row on screen and as
an .xlsx error report in the form's layout, to fix and upload again.

The same use case as ``canbao import registrations`` and ``POST /api/v1/regions/{admdvs}/
imports/registrations``: ``services.imports.import_registrations``, every row within the
user's scope (``services.access.file_outside_scope``, as the API). The error report is made
from the uploaded file while it is on disk and travels in the answer (a ``data:`` link), so
no clerk's file stays on the server after the request.
"""

from __future__ import annotations

import base64
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from canbao.api.deps import database_url, saved
from canbao.api.errors import ApiError
from canbao.api.security import Need
from canbao.policy import load_policy
from canbao.rules.registration import enrollment_year
from canbao.services import access, import_forms, imports
from canbao.services.users import User
from canbao.web.pages import render
from canbao.web.session import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Writer = Annotated[User, Depends(Need("person.write"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORM_NAME = "登记表.xlsx"
REPORT_NAME = "登记表-未导入行.xlsx"


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, user: Writer) -> Response:
    return render(request, "imports/index.html", errors={}, year="")


@router.get("/imports/form.xlsx")
def blank_form(request: Request, user: Writer) -> Response:
    """The blank 登记表 of the user's region and the enrollment year of today."""
    policy = load_policy()
    year = enrollment_year(policy, user.region, date.today())
    with tempfile.TemporaryDirectory(prefix="canbao-form-") as folder:
        path = Path(folder) / "form.xlsx"
        import_forms.write_blank_form(path, import_forms.form_title(policy, user.region, year))
        return xlsx(path.read_bytes(), FORM_NAME)


def xlsx(data: bytes, name: str) -> Response:
    """An .xlsx download under a Chinese file name (RFC 6266, with an ASCII fallback)."""
    disposition = f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})


@router.post("/imports", response_class=HTMLResponse)
def upload(
    request: Request,
    user: Writer,
    file: Annotated[UploadFile | None, File()] = None,
    year: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Import the uploaded 登记表; the page with the result, or with the reason beside the
    field (422) when the file cannot be imported at all."""

    def refused(field: str, message: str) -> Response:
        return render(
            request, "imports/index.html", status_code=422, errors={field: message}, year=year
        )

    chosen_year: int | None = None
    if year.strip():
        if not (year.strip().isdigit() and 1990 <= int(year) <= 2100):
            return refused("year", "参保年度应为 1990 至 2100 之间的四位年份。")
        chosen_year = int(year)
    if file is None or not file.filename:
        return refused("file", "请选择要上传的登记表文件（.xlsx 或 .csv）。")
    policy = load_policy()
    try:
        with saved(file, file.file.read()) as path:
            rows, _errors, _title_year = imports.read_registrations(path)
            placed = ((row.row, row.insuplc_admdvs) for row in rows)
            refusal = access.file_outside_scope(policy, placed, user.region, "参保属地")
            if refusal:
                return refused("file", refusal)
            report = imports.import_registrations(
                database_url(request), path, user.name, chosen_year, policy
            )
            error_report = None
            if report.rejected:
                written = path.with_name("errors.xlsx")
                import_forms.write_error_report(path, report.rejected, written)
                error_report = data_link(written.read_bytes())
    except ApiError as error:  # not .xlsx or .csv
        return refused("file", error.message)
    except imports.SheetError as error:
        return refused("file", f"{file.filename}：{error.reason}")
    return render(
        request,
        "imports/index.html",
        errors={},
        year=year,
        filename=file.filename,
        report=report,
        rejected=sorted(report.rejected, key=lambda e: (e.row, e.column or "")),
        error_report=error_report,
        report_name=REPORT_NAME,
    )


def data_link(data: bytes) -> str:
    return f"data:{XLSX};base64,{base64.b64encode(data).decode()}"

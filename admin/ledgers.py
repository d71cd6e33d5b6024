"""Spreadsheets in the panel: export any list, import the ledgers, with the API's service.

Export runs the API's export (`backend.spreadsheets.export.export_file`): the user's scope, the
list's masking, Chinese headers. Import pages call the same import service as
`POST /api/v1/<ledger>/import`: a template per ledger, a dry run that lists every bad row
(row, column, reason), an all-or-nothing write (or, when asked, the valid rows only), scope
checked row by row, every row audited, and a progress bar that polls the job (jobs live in the
database, so any worker can answer).
"""

from __future__ import annotations

from typing import Any

from sqladmin import expose
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from admin.auth import current_user
from admin.i18n import english, say
from admin.views import EntityView, parse_row_id
from backend.core.errors import ProblemError
from backend.imports import service as imports
from backend.imports.models import ImportMode
from backend.imports.router import attachment
from backend.spreadsheets.export import export_file
from backend.spreadsheets.limits import MAX_UPLOAD_MB

MODES = (
    (ImportMode.dry_run, "试运行: 只检查, 不写入", "Dry run: check only, write nothing"),
    (ImportMode.all_or_nothing, "全部导入: 任何一行有错则一行都不写入",
     "Import all: if any row is wrong, nothing is written"),
    (ImportMode.valid_only, "仅导入有效行: 跳过有错的行", "Valid rows only: skip the wrong ones"),
)


class ExportingView(EntityView):
    """Every view: export the user's list as .xlsx or .csv through the API's export."""

    export_types = ["xlsx", "csv"]

    async def get_model_objects(self, request: Request, limit: int | None = 0) -> list[Any]:
        # SQLAdmin loads the rows to export as ORM objects first; `export_data` streams them
        # through the API's export instead (its scope, masking and columns), so load nothing.
        return []

    # SQLAdmin sends back whatever Response this returns; its annotation names the
    # StreamingResponse its own export builds.
    async def export_data(  # type: ignore[override]
        self, data: list[Any], export_type: str = "xlsx", request: Request | None = None,
    ) -> Response:
        caller = current_user().caller

        def build():
            with self.database.session() as session:
                return export_file(session, self.spec.name, caller, None, export_type)

        try:
            content, media, name = await run_in_threadpool(build)
        except ProblemError as exc:
            raise HTTPException(exc.status, exc.detail) from None
        return Response(content, media_type=media, headers=attachment(name))


class LedgerView(ExportingView):
    """Buildings, households and residents: also imported from spreadsheets."""

    list_template = "gridlink/ledger_list.html"

    def _require_import(self) -> None:
        if not current_user().principal.can(self.spec.name, "create"):
            raise HTTPException(403)

    @expose("/import-file", methods=["GET", "POST"])
    async def import_page(self, request: Request) -> Response:
        self._require_import()
        error, status = None, 200
        if request.method == "POST":
            try:
                form = await request.form()
            except HTTPException as exc:  # the app's max_body_size stopped the upload
                if exc.status_code != 413:
                    raise
                error, status = say(f"文件超过 {MAX_UPLOAD_MB} MB 上限, 请拆分后再导入",
                                    f"File larger than {MAX_UPLOAD_MB} MB: split it"), 413
            else:
                submitted = await self._submit(request, form)
                if isinstance(submitted, Response):
                    return submitted
                error, status = submitted
        jobs = await run_in_threadpool(self._recent_jobs)
        context = {"model_view": self, "title": say(f"导入{self.spec.label}",
                                                    f"Import {self.spec.label_en}"),
                   "modes": [(m.value, en if english() else zh) for m, zh, en in MODES],
                   "error": error, "jobs": jobs, "english": english()}
        return await self.templates.TemplateResponse(request, "gridlink/import.html", context,
                                                     status_code=status)

    @expose("/import-file/{job_id}", methods=["GET"])
    async def import_job_page(self, request: Request) -> Response:
        self._require_import()
        job = await run_in_threadpool(self._job, parse_row_id(request.path_params["job_id"]))
        context = {"model_view": self, "job": job, "english": english(),
                   "title": say(f"导入{self.spec.label}: {job['file_name']}",
                                f"Import {self.spec.label_en}: {job['file_name']}"),
                   "status_url": str(request.url_for(
                       f"admin:view-{self.identity}-import_job_status", job_id=job["id"]))}
        return await self.templates.TemplateResponse(request, "gridlink/import_job.html", context)

    @expose("/import-file/{job_id}/status", methods=["GET"])
    async def import_job_status(self, request: Request) -> Response:
        """What the progress bar polls."""
        self._require_import()
        job = await run_in_threadpool(self._job, parse_row_id(request.path_params["job_id"]))
        return JSONResponse({k: job[k] for k in ("status", "percent", "finished", "checked",
                                                  "written", "rejected", "total", "error_count")})

    @expose("/import-template/{fmt}", methods=["GET"])
    async def import_template(self, request: Request) -> Response:
        self._require_import()
        fmt = request.path_params["fmt"]
        if fmt not in ("xlsx", "csv"):
            raise HTTPException(404)
        content, media, name = imports.template(self.spec.name, fmt)
        return Response(content, media_type=media, headers=attachment(name))

    async def _submit(self, request: Request, form) -> Response | tuple[str, int]:
        """Start the import the form asks for: its job's page, or (error, status)."""
        upload, mode = form.get("file"), str(form.get("mode") or ImportMode.dry_run.value)
        if not hasattr(upload, "read") or not getattr(upload, "filename", ""):
            return say("请选择要导入的文件", "Choose a file to import"), 400
        if mode not in {m.value for m, _, _ in MODES}:
            return say("请选择导入方式", "Choose how to import"), 400
        content = await upload.read()
        caller = current_user().caller
        try:
            job = await run_in_threadpool(
                imports.submit, self.database, self.spec.name, upload.filename, content, caller,
                mode, inline_rows=self.api_state.settings.import_inline_rows)
        except ProblemError as exc:
            return exc.detail, exc.status
        return RedirectResponse(self._job_url(request, job["id"]), status_code=302)

    def _job_url(self, request: Request, job_id: int) -> str:
        return str(request.url_for(f"admin:view-{self.identity}-import_job_page", job_id=job_id))

    def _job(self, job_id: int) -> dict[str, Any]:
        with self.database.session() as session:
            try:
                job = imports.get_job(session, job_id, current_user().caller)
            except ProblemError:
                raise HTTPException(404) from None
            if job.entity != self.spec.name:
                raise HTTPException(404)
            return imports.job_view(job)

    def _recent_jobs(self) -> list[dict[str, Any]]:
        with self.database.session() as session:
            return [imports.job_view(job) for job in
                    imports.list_jobs(session, current_user().caller, limit=10)
                    if job.entity == self.spec.name]

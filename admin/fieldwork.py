"""Reviewing a work log from the panel: the same service the API's review route calls.

A log's page offers "审阅" to those who review logs (the community's secretary); the page shows
the log and a 通过/退回 choice with the comment, and the review goes through
`backend.fieldwork.service.review_work_log`, which checks, writes and audits.
"""

from __future__ import annotations

from typing import Any

from sqladmin import Flash, action, expose
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin import forms
from admin.auth import current_user
from admin.i18n import Text, english, say
from admin.ledgers import ExportingView
from admin.views import VIEW_ACTIONS, PanelError, parse_row_id, problem_page, shown_value
from backend.core import crud
from backend.core.errors import ProblemError
from backend.fieldwork import service
from backend.fieldwork.models import WorkLogStatus
from backend.fieldwork.schemas import WorkLogReview

REVIEW_SLUG = "review"


def _may_review(principal) -> bool:
    return principal.can("work-logs", service.REVIEW)


VIEW_ACTIONS[("work-logs", REVIEW_SLUG)] = _may_review


class WorkLogView(ExportingView):
    def _review_form(self):
        return forms.build_form(self.spec, WorkLogReview, list(WorkLogReview.model_fields), {},
                                self.lookups)

    @action(name=REVIEW_SLUG, label=Text("审阅", "Review"), add_in_list=False,
            add_in_detail=True)
    async def open_review(self, request: Request) -> Response:
        pk = request.query_params.get("pks", "").split(",")[0]
        return RedirectResponse(request.url_for("admin:view-work-logs-review_page",
                                                pk=pk or "0"), status_code=302)

    def _load(self, log_id: int) -> Any:
        with self.database.session() as session:
            log = crud.get_row(session, self.spec, log_id, current_user().caller)
            session.expunge(log)
            return log

    @expose("/{pk}/review", methods=["GET", "POST"])
    async def review_page(self, request: Request) -> Response:
        if not _may_review(current_user().principal):
            raise HTTPException(status_code=403)
        log_id = parse_row_id(request.path_params["pk"])
        try:
            log = await run_in_threadpool(self._load, log_id)
        except ProblemError as exc:
            return await problem_page(self.templates, request, exc)
        form, error, status = self._review_form()(), None, 200
        if request.method == "POST":
            form = self._review_form()(await request.form())
            if form.validate():
                body = WorkLogReview.model_validate(
                    {k: v for k, v in form.data.items() if v not in (None, "")})
                try:
                    await run_in_threadpool(self._write, lambda session, caller:
                                            service.review_work_log(session, log_id, body,
                                                                    caller))
                    Flash.success(request, say(f"已审阅: {log.author_name} {log.log_date}",
                                               f"Reviewed: {log.author_name} {log.log_date}"))
                    return RedirectResponse(
                        request.url_for("admin:details", identity="work-logs", pk=log_id),
                        status_code=302)
                except PanelError as exc:
                    error = str(exc)
            status = 400
        context = {"model_view": self, "log": log, "form": form, "error": error,
                   "waiting": log.status is WorkLogStatus.submitted,
                   "status_label": shown_value(log.status), "english": english(),
                   "title": say(f"审阅工作日志: {log.author_name} {log.log_date}",
                                f"Review the work log of {log.author_name}, {log.log_date}")}
        return await self.templates.TemplateResponse(request, "gridlink/review.html", context,
                                                     status_code=status)

"""The steps of the small desks from the panel, as the API takes them: a resident's request
settled or referred (民情), an errand answered, finished or declined (代办), a meeting's task
reported done (会议交办).

A row's page offers "办理" (act): the row as the role reads it (personal data masked) and the
steps its status allows and the user may take, each with its API body's fields. The desk's
service decides everything (backend/requests_desk/service.py, backend/meetings/service.py);
this only asks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqladmin import Flash, action, expose
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin import forms
from admin.auth import current_user
from admin.i18n import Text, english, say
from admin.ledgers import ExportingView
from admin.views import (
    VIEW_ACTIONS,
    PanelError,
    form_version,
    light_badge,
    parse_row_id,
    problem_page,
    shown_value,
)
from backend.areas.models import Grid
from backend.cases.models import Department
from backend.core import crud
from backend.core.errors import ProblemError
from backend.kpi.live import code_names
from backend.meetings import service as meetings
from backend.meetings.models import ItemStatus
from backend.meetings.schemas import FinishBody
from backend.requests_desk import service as requests_desk
from backend.requests_desk.models import RequestStatus
from backend.requests_desk.schemas import ErrandStepBody, ReferBody, SettleBody

STEPS_SLUG = "steps"
Perform = Callable[..., Any]  # (session, row id, step, body, caller, if_match) -> the row


@dataclass(frozen=True)
class Step:
    label: str
    label_en: str
    body: type[BaseModel]
    open_from: Callable[[Any], bool]  # whether the row's status allows it


@dataclass(frozen=True)
class Desk:
    title_field: str
    steps: dict[str, Step]
    perform: Perform
    shown: tuple[str, ...]  # the fields the page shows, in order


def _errand_step(name: str, label_en: str) -> Step:
    allowed_from, _to, label = requests_desk.ERRAND_STEPS[name]
    return Step(label, label_en, ErrandStepBody, lambda row: row.status in allowed_from)


DESKS: dict[str, Desk] = {
    "resident-requests": Desk(
        "content",
        {"settle": Step("办结", "Settle", SettleBody,
                        lambda row: row.status is RequestStatus.open),
         "refer": Step("转案卷/纠纷", "Refer to a case or dispute", ReferBody,
                       lambda row: row.status is RequestStatus.open)},
        requests_desk.perform,
        ("requester_name", "phone", "grid_code", "kind", "content", "received_at", "due_at",
         "status", "light", "result", "case_id", "dispute_id")),
    "errands": Desk(
        "affair",
        {"answer": _errand_step("answer", "Answer"), "finish": _errand_step("finish", "Finish"),
         "decline": _errand_step("decline", "Decline")},
        requests_desk.perform_errand,
        ("requester_name", "phone", "grid_code", "kind", "affair", "office", "accepted_at",
         "answer_due_at", "answered_at", "status", "light", "progress", "done_at")),
    "meeting-items": Desk(
        "subject",
        {"finish": Step("办结", "Report done", FinishBody,
                        lambda row: row.status is ItemStatus.assigned)},
        lambda session, row_id, _step, body, caller, if_match: meetings.finish(
            session, row_id, body, caller, if_match),
        ("meeting_id", "case_id", "dispute_id", "decision", "department_code", "due_on",
         "status", "light", "result", "done_at")),
}


def _may_step(entity: str) -> Callable[[Any], bool]:
    return lambda principal: any(principal.can(entity, name) for name in DESKS[entity].steps)


for _entity in DESKS:
    VIEW_ACTIONS[(_entity, STEPS_SLUG)] = _may_step(_entity)


class DeskStepView(ExportingView):
    @property
    def desk(self) -> Desk:
        return DESKS[self.spec.name]

    def _step_form(self, name: str):
        body = self.desk.steps[name].body
        return forms.build_form(self.spec, body, list(body.model_fields), {}, self.lookups)

    def _page(self, row_id: int) -> dict[str, Any]:
        user = current_user()
        with self.database.session() as session:
            row = crud.get_row(session, self.spec, row_id, user.caller)  # 404 outside scope
            shown = crud.show(user.caller, self.spec, row)  # masked as the role reads it
            if self.spec.compute is not None:
                self.spec.compute(session, [shown])  # the live light
            # Names where codes would stand: the grid's, the department's.
            for field, model in (("grid_code", Grid), ("department_code", Department)):
                code = shown.get(field)
                if code:
                    name = code_names(session, model, {code}).get(code)
                    shown[field] = f"{name} ({code})" if name else code
            session.expunge_all()
        steps = [name for name, step in self.desk.steps.items()
                 if step.open_from(row) and user.principal.can(self.spec.name, name)]
        return {"row": row, "shown": shown, "steps": steps}

    @action(name=STEPS_SLUG, label=Text("办理", "Act on it"), add_in_list=False,
            add_in_detail=True)
    async def open_steps(self, request: Request) -> Response:
        pk = request.query_params.get("pks", "").split(",")[0]
        return RedirectResponse(request.url_for(f"admin:view-{self.identity}-steps_page",
                                                pk=pk or "0"), status_code=302)

    @expose("/{pk}/steps", methods=["GET", "POST"])
    async def steps_page(self, request: Request) -> Response:
        if not _may_step(self.spec.name)(current_user().principal):
            raise HTTPException(status_code=403)
        row_id = parse_row_id(request.path_params["pk"])
        try:
            page = await run_in_threadpool(self._page, row_id)
        except ProblemError as exc:
            return await problem_page(self.templates, request, exc)
        title = page["shown"].get(self.desk.title_field) or ""
        chosen, error, status, failed = None, None, 200, None
        if request.method == "POST":
            data = await request.form()
            chosen = str(data.get("action", ""))
            if chosen not in page["steps"]:
                error, status = say("当前不能执行该操作", "That action is not available now"), 409
            else:
                form = self._step_form(chosen)(data)
                if form.validate():
                    try:
                        await run_in_threadpool(self._perform, row_id, chosen, dict(form.data),
                                                form_version(data))
                        step = self.desk.steps[chosen]
                        Flash.success(request, say(f"已{step.label}: {title}",
                                                   f"Done ({step.label_en}): {title}"))
                        return RedirectResponse(request.url_for(
                            "admin:details", identity=self.identity, pk=row_id), status_code=302)
                    except PanelError as exc:
                        error = str(exc)
                status, failed = 400, form
        step_forms = [(name, self.desk.steps[name],
                       failed if name == chosen and failed is not None
                       else self._step_form(name)())
                      for name in page["steps"]]
        labels = self.spec.read_schema.model_fields
        fields = [(name, labels[name].title or name, page["shown"].get(name))
                  for name in self.desk.shown if name in labels]
        context = {**page, "model_view": self, "step_forms": step_forms, "error": error,
                   "chosen": chosen, "english": english(), "fields": fields,
                   "light_badge": light_badge, "shown_value": shown_value,
                   "title": say(f"办理{self.spec.label}: {title}",
                                f"{self.spec.label_en}: {title}")}
        return await self.templates.TemplateResponse(
            request, "gridlink/desk_steps.html", context, status_code=status)

    def _perform(self, row_id: int, name: str, values: dict[str, Any], version: str) -> None:
        body = {k: v for k, v in values.items() if v not in (None, "", [])}
        self._write(lambda session, caller: self.desk.perform(
            session, row_id, name, body, caller, version))

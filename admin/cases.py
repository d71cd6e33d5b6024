"""Working a case from the panel: the same workflow service the API and the CLI call.

A case's page offers "办理" (act); it lists the actions its status allows and the user's role
may take, each with the fields its API body has (a dispatch picks the department, a rework
needs its reason), and shows the timeline. Taking one calls `workflow.perform`, which checks,
logs the step, notifies and audits in one transaction; nothing here decides anything.
"""

from __future__ import annotations

from typing import Any

from sqladmin import Flash, action, expose
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import fields, validators

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
from backend.areas.maps import outline_svg
from backend.areas.models import Grid
from backend.cases import photos, workflow
from backend.cases.actions import allowed_actions
from backend.cases.models import CaseCategory, Department
from backend.cases.router import photo_response
from backend.core import crud
from backend.core.db import utcnow
from backend.core.errors import ProblemError
from backend.identity.models import User
from backend.kpi.live import code_names
from backend.kpi.tally import light_of

WORKFLOW_SLUG = "workflow"


def _may_work_cases(principal) -> bool:
    return any(principal.can("cases", name) for name in workflow.ACTIONS)


VIEW_ACTIONS[("cases", WORKFLOW_SLUG)] = _may_work_cases


class CaseWorkflowView(ExportingView):
    def __init__(self) -> None:
        super().__init__()
        # The actions' own pickers: the departments a case summons (several), and the case a
        # duplicate is merged into, found by its code or title and shown before merging.
        self.lookups |= {
            "department_codes": forms.ScopedLookup(self.database, crud.REGISTRY["departments"],
                                                   "code"),
            "original_case_id": forms.ScopedLookup(self.database, self.spec, "id")}

    def _action_form(self, name: str):
        body = workflow.ACTIONS[name].body
        form = forms.build_form(self.spec, body, list(body.model_fields), {}, self.lookups)
        if "photo_urls" in body.model_fields:  # photos are uploaded here, not typed as links
            form.photo_urls = fields.MultipleFileField(
                Text("现场照片", "Photos"), [validators.Optional()],
                description=say(f"JPEG、PNG 或 WebP, 每张不超过 {photos.MAX_PHOTO_MB} MB",
                                f"JPEG, PNG or WebP, up to {photos.MAX_PHOTO_MB} MB each"),
                render_kw={"class": "form-control", "accept": "image/jpeg,image/png,image/webp"})
        return form

    async def _uploaded(self, case_id: int, values: dict[str, Any]) -> None:
        """The photos chosen in the form, stored (photos.save checks each) and put in the
        action's body as their URLs."""
        files = [f for f in values.get("photo_urls") or [] if isinstance(f, UploadFile)
                 and f.filename]
        if len(files) > photos.MAX_PHOTOS:
            raise PanelError(say(f"最多上传 {photos.MAX_PHOTOS} 张照片",
                                 f"At most {photos.MAX_PHOTOS} photos"))
        urls = []
        for file in files:
            content = await file.read(photos.MAX_PHOTO_BYTES + 1)
            try:
                urls.append(await run_in_threadpool(
                    photos.save, self.api_state.settings.upload_dir, case_id, content,
                    "photo_urls"))
            except ProblemError as exc:
                photos.discard(self.api_state.settings.upload_dir, urls)
                reason = exc.errors[0].msg if exc.errors else exc.detail
                raise PanelError(f"{file.filename}: {reason}") from None
        values["photo_urls"] = urls

    @expose("/{pk}/photos/{name}", methods=["GET"])
    async def photo(self, request: Request) -> Response:
        """A case's photo, to those who may read the case (404 to everyone else)."""
        case_id = parse_row_id(request.path_params["pk"])
        caller = current_user().caller

        def find():
            with self.database.session() as session:
                crud.get_row(session, self.spec, case_id, caller)
            return photos.stored(self.api_state.settings.upload_dir, case_id,
                                 request.path_params["name"])

        try:
            path = await run_in_threadpool(find)
        except ProblemError:
            path = None
        if path is None:
            raise HTTPException(status_code=404)
        return photo_response(path)

    def _page(self, case_id: int) -> dict[str, Any]:
        """The case as its handler reads it: content (masked as the role reads it), its place
        in its grid, the timeline with people's and departments' names, and the actions."""
        user = current_user()
        caller, principal = user.caller, user.principal
        with self.database.session() as session:
            case = crud.get_row(session, self.spec, case_id, caller)  # 404 outside the scope
            steps = workflow.steps(session, case)
            shown = crud.show(caller, self.spec, case)
            grid = session.execute(select(Grid.name, Grid.boundary).where(
                Grid.code == case.grid_code)).first()
            departments = code_names(session, Department,
                                     {case.department_code, *(s.department_code for s in steps)})
            category = code_names(session, CaseCategory, {case.category_code})
            people = dict(session.execute(select(User.username, User.display_name).where(
                User.username.in_({s.actor for s in steps}))).tuples().all())
            session.expunge_all()
        names = [n for n in allowed_actions(case.status) if principal.can("cases", n)]
        point = (case.lng, case.lat) if case.lng is not None and case.lat is not None else None
        grid_name = grid.name if grid else case.grid_code
        return {"case": case, "steps": steps, "actions": names, "shown": shown,
                "grid_name": grid_name, "department_names": departments,
                "category_name": category.get(case.category_code, case.category_code),
                "people": people,
                "map": outline_svg(grid.boundary if grid else None, point,
                                   say(f"案卷位置: {grid_name}", f"Where: {grid_name}"))}

    @action(name=WORKFLOW_SLUG, label=Text("办理", "Act on it"), add_in_list=False,
            add_in_detail=True)
    async def open_workflow(self, request: Request) -> Response:
        pk = request.query_params.get("pks", "").split(",")[0]
        return RedirectResponse(request.url_for("admin:view-cases-workflow_page", pk=pk or "0"),
                                status_code=302)

    @expose("/{pk}/workflow", methods=["GET", "POST"])
    async def workflow_page(self, request: Request) -> Response:
        if not _may_work_cases(current_user().principal):
            raise HTTPException(status_code=403)
        case_id = parse_row_id(request.path_params["pk"])
        try:
            page = await run_in_threadpool(self._page, case_id)
        except ProblemError as exc:
            return await problem_page(self.templates, request, exc)
        chosen, error, status = None, None, 200
        if request.method == "POST":
            data = await request.form()
            chosen = str(data.get("action", ""))
            if chosen not in page["actions"]:
                error, status = say("当前不能执行该操作", "That action is not available now"), 409
            else:
                form = self._action_form(chosen)(data)
                if form.validate():
                    try:
                        values = dict(form.data)
                        await self._uploaded(case_id, values)
                        try:
                            await run_in_threadpool(self._perform, case_id, chosen, values,
                                                    form_version(data))
                        except PanelError:  # the step was not taken: its photos go too
                            photos.discard(self.api_state.settings.upload_dir,
                                           values.get("photo_urls") or [])
                            raise
                        label = workflow.ACTIONS[chosen].label
                        Flash.success(request, say(f"已{label}: {page['case'].code}",
                                                   f"Done ({chosen}): {page['case'].code}"))
                        return RedirectResponse(
                            request.url_for("admin:details", identity="cases", pk=case_id),
                            status_code=302)
                    except PanelError as exc:
                        error = str(exc)
                status = 400
                page["failed_form"] = form
        action_forms = [
            (name, workflow.ACTIONS[name],
             page.get("failed_form") if name == chosen and "failed_form" in page
             else self._action_form(name)())
            for name in page["actions"]
        ]
        context = {**page, "model_view": self, "case": page["case"], "steps": page["steps"],
                   "light": light_badge(light_of(page["case"].status, page["case"].light,
                                                 page["case"].due_at, utcnow())),
                   "action_forms": action_forms, "error": error, "chosen": chosen,
                   "title": say(f"办理案卷 {page['case'].code}", f"Case {page['case'].code}"),
                   "english": english(), "local_time": _local_time,
                   "own_photo": photos.own_photo,
                   "action_labels": {n: a.label for n, a in workflow.ACTIONS.items()} | {
                       "merged": "合并", "escalate": "督办", "handover": "AB岗代班"}}
        return await self.templates.TemplateResponse(request, "gridlink/workflow.html", context,
                                                     status_code=status)

    def _perform(self, case_id: int, name: str, values: dict[str, Any], version: str):
        body = {k: v for k, v in values.items() if v not in (None, "", [])}

        def act(session, caller):
            workflow.perform(session, case_id, name, body, caller, if_match=version)

        self._write(act)


def _local_time(moment) -> str:
    return shown_value(moment) if moment else ""

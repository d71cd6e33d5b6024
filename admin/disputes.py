"""Working a dispute from the panel: the disputes' workflow service, as the API calls it.

A dispute's page offers "办理" (act): the dispute with its parties (phones masked as the role
reads them), the mediation sessions, the timeline, and the actions its status allows and the
user may take at the dispute's level, each with its API body's fields (a hand-over picks the
office and its days, a settlement needs the agreement). `workflow.perform` decides everything.
"""

from __future__ import annotations

from typing import Any

from sqladmin import Flash, action, expose
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin import forms
from admin.auth import current_user
from admin.i18n import Text, english, say
from admin.ledgers import ExportingView
from admin.views import VIEW_ACTIONS, PanelError, form_version, parse_row_id, problem_page
from backend.areas.models import Grid
from backend.cases.models import Department
from backend.core import crud
from backend.core.db import BEIJING
from backend.core.errors import ProblemError
from backend.disputes import workflow
from backend.disputes.actions import DISPUTE_ACTIONS, allowed_actions
from backend.disputes.entities import DISPUTE_MEDIATIONS, DISPUTE_PARTIES, DISPUTE_STEPS
from backend.disputes.models import DisputeType
from backend.identity.models import User
from backend.kpi.live import code_names

WORKFLOW_SLUG = "workflow"


def _may_work_disputes(principal) -> bool:
    return any(principal.can("disputes", name) for name in DISPUTE_ACTIONS)


VIEW_ACTIONS[("disputes", WORKFLOW_SLUG)] = _may_work_disputes


class DisputeWorkflowView(ExportingView):
    def _action_form(self, name: str):
        body = workflow.HANDLERS[name][0]
        return forms.build_form(self.spec, body, list(body.model_fields), {}, self.lookups)

    def _page(self, dispute_id: int) -> dict[str, Any]:
        user = current_user()
        caller, principal = user.caller, user.principal
        with self.database.session() as session:
            dispute = crud.get_row(session, self.spec, dispute_id, caller)  # 404 outside scope

            def rows(spec: crud.EntitySpec) -> list[Any]:
                if not principal.can(spec.name, "read"):
                    return []
                table = spec.model.__table__
                return list(session.execute(select(spec.model).where(
                    table.c.dispute_id == dispute.id).order_by(table.c.id)).scalars())

            # The parties as the role reads them (phones masked without `pii`).
            parties = [crud.show(caller, DISPUTE_PARTIES, row) for row in rows(DISPUTE_PARTIES)]
            sessions, steps = rows(DISPUTE_MEDIATIONS), rows(DISPUTE_STEPS)
            grid = session.execute(select(Grid.name).where(
                Grid.code == dispute.grid_code)).scalar()
            kind = session.execute(select(DisputeType.name).where(
                DisputeType.code == dispute.type_code)).scalar()
            departments = code_names(session, Department, {
                dispute.department_code, *(s.department_code for s in steps)})
            people = dict(session.execute(select(User.username, User.display_name).where(
                User.username.in_({s.actor for s in steps}))).tuples().all())
            session.expunge_all()
        at_level = {name: workflow.caller_level(caller, name, dispute.grid_code)
                    >= workflow.LEVELS.index(dispute.level) or not DISPUTE_ACTIONS[name].at_level
                    for name in DISPUTE_ACTIONS}
        names = [n for n in allowed_actions(dispute.status)
                 if principal.can("disputes", n) and at_level[n]]
        return {"dispute": dispute, "parties": parties, "sessions": sessions, "steps": steps,
                "actions": names, "grid_name": grid or dispute.grid_code,
                "type_name": kind or dispute.type_code, "department_names": departments,
                "people": people}

    @action(name=WORKFLOW_SLUG, label=Text("办理", "Act on it"), add_in_list=False,
            add_in_detail=True)
    async def open_workflow(self, request: Request) -> Response:
        pk = request.query_params.get("pks", "").split(",")[0]
        return RedirectResponse(request.url_for("admin:view-disputes-workflow_page",
                                                pk=pk or "0"), status_code=302)

    @expose("/{pk}/workflow", methods=["GET", "POST"])
    async def workflow_page(self, request: Request) -> Response:
        if not _may_work_disputes(current_user().principal):
            raise HTTPException(status_code=403)
        dispute_id = parse_row_id(request.path_params["pk"])
        try:
            page = await run_in_threadpool(self._page, dispute_id)
        except ProblemError as exc:
            return await problem_page(self.templates, request, exc)
        chosen, error, status, failed = None, None, 200, None
        if request.method == "POST":
            data = await request.form()
            chosen = str(data.get("action", ""))
            if chosen not in page["actions"]:
                error, status = say("当前不能执行该操作", "That action is not available now"), 409
            else:
                form = self._action_form(chosen)(data)
                if form.validate():
                    try:
                        await run_in_threadpool(self._perform, dispute_id, chosen,
                                                dict(form.data), form_version(data))
                        label = DISPUTE_ACTIONS[chosen].label
                        Flash.success(request, say(f"已{label}: {page['dispute'].title}",
                                                   f"Done ({chosen}): {page['dispute'].title}"))
                        return RedirectResponse(
                            request.url_for("admin:details", identity="disputes", pk=dispute_id),
                            status_code=302)
                    except PanelError as exc:
                        error = str(exc)
                status, failed = 400, form
        action_forms = [(name, DISPUTE_ACTIONS[name],
                         failed if name == chosen and failed is not None
                         else self._action_form(name)())
                        for name in page["actions"]]
        dispute = page["dispute"]
        context = {**page, "model_view": self, "action_forms": action_forms, "error": error,
                   "chosen": chosen, "english": english(), "beijing": BEIJING,
                   "title": say(f"办理矛盾纠纷: {dispute.title}", f"Dispute: {dispute.title}"),
                   "action_labels": {n: a.label for n, a in DISPUTE_ACTIONS.items()}}
        return await self.templates.TemplateResponse(
            request, "gridlink/dispute_workflow.html", context, status_code=status)

    def _perform(self, dispute_id: int, name: str, values: dict[str, Any], version: str):
        body = {k: v for k, v in values.items() if v not in (None, "", [])}

        def act(session, caller):
            workflow.perform(session, dispute_id, name, body, caller, if_match=version)

        self._write(act)

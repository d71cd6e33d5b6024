"""The panel as a whole: its home page and what follows every save.

The home page is the user's workbench (backend/workbench), not SQLAdmin's empty page: the same
queues, figures and notifications as `GET /api/v1/workbench`, from the same service, as the
logged-in user; notifications are marked read with a POST of the page's own form (CSRF-checked
like every panel form). After a save the user sees the row they saved, with a word that it was
saved; after a delete, how many rows went.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlencode

from sqladmin import Admin, Flash, ModelView
from sqladmin.application import _save_button_clicked
from sqladmin.authentication import login_required
from sqladmin.authorization import Action
from sqladmin.helpers import get_object_identifier
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL, FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from admin.auth import current_user
from admin.i18n import english, say
from admin.views import EntityView, light_badge, problem_page, shown_value
from backend.cases.models import CaseStatus
from backend.core.db import Database
from backend.core.errors import ProblemError
from backend.disputes.models import DisputeStatus
from backend.identity.models import Role
from backend.kpi import coverage, supervision
from backend.kpi.periods import PeriodKind, beijing_today, parse_period
from backend.kpi.scope import Subject
from backend.notifications import service as notifications
from backend.notifications.models import NotificationKind
from backend.workbench.service import workbench


def list_url(admin: Admin, request: Request, queue: dict[str, Any]) -> str:
    """The panel's list of a queue, filtered by its own list query (admin/filters.py), sorted
    as the queue is where the list can sort so; a coverage queue's is its part of the
    coverage page."""
    if queue["entity"].startswith("kpi/coverage/"):
        return f"{request.url_for('admin:coverage')}#{queue['key']}"
    params = dict(queue["list_query"])
    sort = params.pop("sort", "")
    view = next((v for v in admin.views if getattr(v, "identity", None) == queue["entity"]),
                None)
    if isinstance(view, EntityView) and sort.lstrip("-") in view.column_sortable_list:
        params |= {"sortBy": sort.lstrip("-"), "sort": "desc" if sort.startswith("-") else "asc"}
    url = request.url_for("admin:list", identity=queue["entity"])
    return f"{url}?{urlencode(params)}"


def coverage_page(session, caller, offsets: dict[str, int]) -> dict[str, Any]:
    """The figures of this month and the four lists; the households only for those who may
    read them unmasked, the residents overdue for 帮教 only for those who may know who is
    under supervision (None otherwise). The two long lists page apart (`offsets`: their
    query parameters, PAGED)."""
    today = beijing_today()
    period = parse_period(PeriodKind.month, today, None, None)
    subject = Subject()
    principal = caller.principal
    may_see_households = principal is None or (principal.can("households", "read")
                                               and principal.can("households", "pii"))
    paged: dict[str, dict[str, Any] | None] = {
        "due_visits": (coverage.due_visits(session, caller, subject, limit=DUE_VISITS_PAGE,
                                           offset=offsets["offset"])
                       if may_see_households else None),
        "due_supervision": (coverage.due_supervision(
            session, caller, subject, limit=DUE_VISITS_PAGE,
            offset=offsets["supervision_offset"]) if supervision.may_know(caller) else None),
    }
    return {
        "figures": coverage.coverage(session, caller=caller, period=period, subject=subject),
        "unpatrolled": coverage.unpatrolled_grids(session, caller, subject),
        "work_logs": coverage.missing_work_logs(session, caller, subject, period),
        **paged,
        "pages": {param: _pages(offsets, param, paged[key]) for param, key in PAGED.items()},
        "page_size": DUE_VISITS_PAGE,
    }


DUE_VISITS_PAGE = 50
# The coverage page's paged lists: query parameter -> the list it pages.
PAGED = {"offset": "due_visits", "supervision_offset": "due_supervision"}


def coverage_offsets(query: Mapping[str, str]) -> dict[str, int]:
    """The paged lists' offsets from the query string (anything not a small number: 0)."""
    return {param: int(value) if (value := query.get(param, "0")).isdigit() and len(value) < 8
            else 0 for param in PAGED}


def _pages(offsets: dict[str, int], param: str, listed: dict[str, Any] | None
           ) -> dict[str, str | None]:
    """The previous and next pages' query strings of one list, the other list kept where it
    is."""
    if listed is None:
        return {"previous": None, "next": None}
    offset = offsets[param]

    def moved(to: int) -> str:
        return "?" + urlencode({**offsets, param: to})

    return {"previous": moved(max(offset - DUE_VISITS_PAGE, 0)) if offset > 0 else None,
            "next": (moved(offset + DUE_VISITS_PAGE)
                     if offset + DUE_VISITS_PAGE < listed["total"] else None)}


def _local_time(moment: Any) -> str:
    return shown_value(moment) if moment else ""


def _label(enum_cls, value: Any) -> str:
    return "" if value is None else shown_value(enum_cls(value))


class PanelAdmin(Admin):
    """SQLAdmin with GridLink's home page."""

    database: Database

    @login_required
    async def index(self, request: Request) -> Response:
        caller = current_user().caller

        def load() -> dict[str, Any]:
            with self.database.session() as session:
                return workbench(session, caller)

        context = {"bench": await run_in_threadpool(load), "english": english(),
                   "local_time": _local_time, "light_badge": light_badge,
                   "list_url": partial(list_url, self, request),
                   "status_label": lambda v: _label(CaseStatus, v),
                   "dispute_status": lambda v: _label(DisputeStatus, v),
                   "kind_label": lambda v: _label(NotificationKind, v),
                   "role_label": lambda v: _label(Role, v)}
        return await self.templates.TemplateResponse(request, "gridlink/home.html", context)

    @login_required
    async def coverage(self, request: Request) -> Response:
        """巡查走访覆盖: this month's coverage of the user's grids and its lists (backend/kpi/
        coverage.py), as GET /api/v1/kpi/coverage/... answer them."""
        caller = current_user().caller
        offsets = coverage_offsets(request.query_params)

        def load() -> dict[str, Any]:
            with self.database.session() as session:
                return coverage_page(session, caller, offsets)

        try:
            page = await run_in_threadpool(load)
        except ProblemError as exc:
            return await problem_page(self.templates, request, exc)
        context = {"page": page, "english": english(), "local_time": _local_time}
        return await self.templates.TemplateResponse(request, "gridlink/coverage.html", context)

    @login_required
    async def read_notifications(self, request: Request) -> Response:
        """Mark one notification (form field `id`) or all of them read, then back home."""
        user_id = current_user().caller.principal.user_id  # type: ignore[union-attr]
        form = await request.form()
        raw = str(form.get("id", ""))

        def mark() -> None:
            with self.database.session() as session:
                if raw == "all":
                    notifications.mark_all_read(session, user_id)
                elif raw.isdigit() and 0 < int(raw) < 2**31:
                    notifications.mark_read(session, user_id, int(raw))
                else:
                    raise ProblemError(404, f"通知 {raw[:20]} 不存在")

        try:
            await run_in_threadpool(mark)
        except ProblemError as exc:
            return await problem_page(self.templates, request, exc)
        return RedirectResponse(request.url_for("admin:index"), status_code=303)

    @login_required
    async def ajax_lookup(self, request: Request) -> Response:
        """The pickers' lookup, as SQLAdmin's (same checks) but also with nothing typed yet: a
        picker opens on its first page, so a grid chief sees their grids without typing."""
        model_view = self._find_model_view(request.path_params["identity"])
        if not model_view.is_accessible(request):
            raise HTTPException(status_code=403)
        may_use_form = (model_view.can_create and await model_view.check_can_create(request)) or (
            model_view.can_edit and model_view.has_permission(request, Action.EDIT))
        lookup = model_view._form_ajax_refs.get(request.query_params.get("name", ""))
        if not may_use_form or lookup is None:
            raise HTTPException(status_code=403 if not may_use_form else 400)
        rows = await lookup.get_list(request, request.query_params.get("term", ""))
        return JSONResponse({"results": [lookup.format(row) for row in rows]})

    @staticmethod
    def get_save_redirect_url(request: Request, form: FormData, model_view: ModelView,
                              obj: Any) -> str | URL:
        """After "save", the row just saved (not page 1 of a list of 20,000); the other two
        buttons as SQLAdmin has them. Each says what was saved."""
        Flash.success(request, say(f"已保存{model_view.name}: {row_title(obj)}",
                                   f"Saved {model_view.name}: {row_title(obj)}"))
        if _save_button_clicked(form, "Save"):
            return request.url_for("admin:details", identity=model_view.identity,
                                   pk=get_object_identifier(obj))
        return Admin.get_save_redirect_url(request, form, model_view, obj)

    @login_required
    async def delete(self, request: Request) -> Response:
        response = await super().delete(request)
        if response.status_code == 200:
            count = len([pk for pk in request.query_params.get("pks", "").split(",") if pk])
            Flash.success(request, say(f"已删除 {count} 条", f"Deleted {count}"))
        return response


def row_title(obj: Any) -> str:
    """What a person calls a row: its name, title or code (its number otherwise)."""
    for attribute in ("name", "title", "code", "room", "patroller_name", "author_name"):
        value = getattr(obj, attribute, None)
        if value:
            return str(value)
    return f"#{obj.id}"

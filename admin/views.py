"""One SQLAdmin view per registered entity, scoped, masked and written through the CRUD service.

SQLAdmin reaches rows along several paths (list and its count, search, sort, details, the edit
form and its POST, single and bulk delete, export, the pickers' lookups). Every one of them
goes through a query built here with the user's scope as a WHERE clause, so a row outside it
is simply not found (404), whatever id is typed into the URL. Writes never touch the session
SQLAdmin holds: they call `backend.core.crud` with the panel user as the caller, which checks,
validates, audits and commits exactly as the API does.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar, cast

from markupsafe import Markup
from sqladmin import ModelView
from sqladmin.authorization import Action, AuthorizationBackend
from sqladmin.pagination import Pagination
from sqlalchemy import JSON, ColumnElement, false, func, or_, select
from sqlalchemy import Text as TextType
from sqlalchemy.sql import Select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from wtforms import fields

from admin import filters, forms
from admin.auth import PanelUser, current_user
from admin.i18n import Text, english, humanize, say
from admin.names import AUDIT_COLUMNS, audit_words, named, prefetch, shows_a_name
from backend.areas.maps import outline_svg
from backend.cases.models import STATUS_ORDER, Light
from backend.core import area_codes, crud
from backend.core.db import BEIJING, MAX_ID, Database, TableBase, TagList, utcnow
from backend.core.errors import DATABASE_TROUBLE, ProblemError, database_problem
from backend.core.labels import LabeledEnum
from backend.kpi.sql import unindexed
from backend.kpi.tally import light_of
from rbac.masking import MASKS
from rbac.scope import row_in_scope, scope_condition, shown_condition

# SQLAdmin's actions, in the policy's words.
POLICY_ACTION: dict[str, str] = {
    Action.LIST: "read", Action.DETAILS: "read", Action.CREATE: "create", Action.EDIT: "update",
    Action.DELETE: "delete", Action.EXPORT: "export", Action.IMPORT: "create",
}

# Menu groups, in the order the people keeping the ledgers think of them.
CATEGORIES = {
    "areas": ("区域与网格", "Areas and grids"), "grids": ("区域与网格", "Areas and grids"),
    "buildings": ("人房信息", "People and houses"), "households": ("人房信息", "People and houses"),
    "residents": ("人房信息", "People and houses"),
    "organizations": ("组织与单位", "Organisations"),
    "cases": ("案卷办理", "Cases"), "webhooks": ("案卷办理", "Cases"),
    "webhook-deliveries": ("案卷办理", "Cases"), "hotspot-alerts": ("案卷办理", "Cases"),
    "patrols": ("巡查走访", "Field work"), "visits": ("巡查走访", "Field work"),
    "work-logs": ("巡查走访", "Field work"), "coverage-rules": ("巡查走访", "Field work"),
    "supervision-schedules": ("巡查走访", "Field work"),
    "meetings": ("会议", "Meetings"), "meeting-items": ("会议", "Meetings"),
    "grid-staff": ("区域与网格", "Areas and grids"),
    "party-contacts": ("区域与网格", "Areas and grids"),
    "staff-leaves": ("区域与网格", "Areas and grids"),
    "departments": ("基础数据", "Reference data"),
    "case-categories": ("基础数据", "Reference data"),
    "routing-rules": ("基础数据", "Reference data"),
    "calendar-days": ("基础数据", "Reference data"),
    "dispute-types": ("基础数据", "Reference data"),
    **dict.fromkeys(("disputes", "dispute-parties", "dispute-mediations", "dispute-steps",
                     "dispute-screenings"), ("矛盾纠纷", "Disputes")),
    "resident-requests": ("民情诉求", "Residents' requests"),
    "errands": ("民情诉求", "Residents' requests"),
    "users": ("用户与权限", "Users, roles and policy"),
    "role-assignments": ("用户与权限", "Users, roles and policy"),
    "policy-rules": ("用户与权限", "Users, roles and policy"),
    "audit-log": ("审计日志", "Audit log"),
    **dict.fromkeys(("assessment-runs", "assessment-scores", "assessment-entries",
                     "assessment-schemes", "assessment-items"), ("考核评价", "Assessment")),
}
ICONS = {
    "areas": "fa-solid fa-map", "grids": "fa-solid fa-border-all",
    "buildings": "fa-solid fa-building",
    "households": "fa-solid fa-house", "residents": "fa-solid fa-user",
    "organizations": "fa-solid fa-briefcase", "cases": "fa-solid fa-folder-open",
    "patrols": "fa-solid fa-person-walking", "visits": "fa-solid fa-handshake",
    "grid-staff": "fa-solid fa-id-badge",
    "disputes": "fa-solid fa-scale-balanced",
    "dispute-screenings": "fa-solid fa-list-check",
    "assessment-runs": "fa-solid fa-ranking-star", "assessment-scores": "fa-solid fa-medal",
    "assessment-entries": "fa-solid fa-pen-to-square",
    "audit-log": "fa-solid fa-clipboard-list",
}
LIST_COLUMNS = 8
# Where the first columns of the table are not what its users scan for.
LISTED = {
    "cases": ("code", "title", "status", "light", "grid_code", "department_code", "due_at",
              "reported_at"),
    "audit-log": ("created_at", "actor", "action", "entity", "entity_id", "scope_code"),
    "work-logs": ("log_date", "author_name", "status", "grid_code", "content", "hours",
                  "reviewed_by"),
    "patrols": ("started_at", "ended_at", "patroller_name", "grid_code", "issues_found",
                "findings", "distance_m"),
    "visits": ("visit_date", "visitor_name", "household_id", "kind", "purpose",
               "needs_follow_up", "grid_code"),
    "disputes": ("found_on", "title", "status", "level", "risk_level", "grid_code",
                 "type_code", "department_code"),
    "resident-requests": ("received_at", "requester_name", "content", "kind", "status",
                          "due_at", "grid_code", "recorded_by"),
    "dispute-screenings": ("period_first", "grid_code", "nil_report", "dispute_count", "late",
                           "filed_at", "filed_by"),
    "dispute-steps": ("created_at", "dispute_id", "action", "from_status", "to_status", "level",
                      "actor", "note"),
    "assessment-entries": ("period_first", "period_kind", "item_id", "unit_code", "points",
                           "vetoed", "reason", "entered_by"),
    "assessment-runs": ("period_label", "level", "status", "area_code", "units", "created_by",
                        "finalized_at"),
    "assessment-scores": ("run_id", "rank", "unit_name", "total", "grade", "vetoed",
                          "veto_reason", "star"),
}
# Searched besides the indexed columns: a case is looked up by its title or address too.
SEARCHED_ANYWHERE = {"cases": ("title", "address")}
CREATE_FORM, EDIT_FORM = ["__create__"], ["__edit__"]  # tells scaffold_form which one is asked


COUNT_CAP = 1000  # a search's matches counted at most


class AtLeast(int):
    """A count that stopped at its cap: "1,000+" on the page; a number to the pagination."""

    def __str__(self) -> str:
        return f"{int(self):,}+"


class PanelError(Exception):
    """What the create/edit page shows above the form (SQLAdmin renders str(exc))."""


class PolicyAuthorization(AuthorizationBackend):
    """SQLAdmin asks "may this user do X on view Y (and this row)?"; the Casbin policy answers,
    with the row's scope when there is a row."""

    def has_permission(self, request: Request, identity: str, action: str,
                       obj: Any | None = None) -> bool:
        user: PanelUser | None = getattr(request.state, "panel_user", None)
        spec = crud.REGISTRY.get(identity)
        if user is None or spec is None:
            return False
        principal = user.principal
        if action.startswith("action:"):
            return view_action_allowed(spec, action.removeprefix("action:"), principal)
        policy_action = POLICY_ACTION.get(action)
        if policy_action is None or not principal.can(spec.name, policy_action):
            return False
        if obj is not None:
            values = {c: getattr(obj, c, None) for c in (spec.scope_column, spec.department_column)
                      if c is not None}
            return row_in_scope(principal, spec, policy_action, values)
        return True


# Custom actions of a view (cases: the workflow) decide for themselves who may use them.
VIEW_ACTIONS: dict[tuple[str, str], Callable[[Any], bool]] = {}


def view_action_allowed(spec: crud.EntitySpec, slug: str, principal) -> bool:
    check = VIEW_ACTIONS.get((spec.name, slug))
    return check is not None and check(principal)


def _indexed(column) -> bool:
    """Sorting 500,000 rows on a column without an index takes seconds: offer only these."""
    if column.primary_key or column.index or column.unique:
        return True
    return any(next(iter(index.columns)) is column for index in column.table.indexes)


def _is_plain(column) -> bool:
    return not isinstance(column.type, JSON | TagList | TextType) or column.name == "key_groups"


class EntityView(ModelView):
    model: ClassVar[type[TableBase]]
    column_searchable_list: ClassVar[list[str]]  # column names (view_for)
    spec: ClassVar[crud.EntitySpec]
    database: ClassVar[Database]
    api_state: ClassVar[Any]  # the API app's state: its policy sync, shared with the panel
    sidebar: ClassVar[builtins.list[filters.SidebarFilter]]  # the list's filters

    page_size = 50
    page_size_options = [20, 50, 100, 200]
    export_max_rows = 100_000
    can_view_details = True
    form_create_rules = CREATE_FORM
    form_edit_rules = EDIT_FORM

    def __init__(self) -> None:
        super().__init__()
        # SQLAdmin's lookup route serves the pickers from here; each lookup is scoped to the
        # user asking when it runs.
        self.lookups = forms.lookups_for(self.database, self.spec)
        # SQLAdmin calls a lookup's get_list and format only, which a ScopedLookup has (its
        # own loaders are unscoped QueryAjaxModelLoaders, the type it declares here).
        self._form_ajax_refs = self.lookups  # type: ignore[assignment]

    # --- scope on every path ----------------------------------------------------------------

    def _scoped(self, stmt: Select, action: str) -> Select:
        principal = current_user().principal
        if not principal.can(self.spec.name, action):
            return stmt.where(false())
        condition = scope_condition(principal, self.spec, action)
        return stmt if condition is None else stmt.where(condition)

    def _stmt_by_identifier(self, identifier: str) -> Select:
        # Any text can be typed into the URL: a non-number or an id beyond the column's range
        # finds nothing (404), rather than reaching the database as an error.
        try:
            row_id = int(identifier)
        except (TypeError, ValueError):
            return select(self.model).where(false())
        if not 1 <= row_id <= MAX_ID:
            return select(self.model).where(false())
        return select(self.model).where(self.model.id == row_id)

    def list_query(self, request: Request) -> Select:
        """The user's rows, filtered as the page's address says (admin/filters.py)."""
        return select(self.model).where(*self._list_conditions(request))

    def _list_conditions(self, request: Request, page: bool = False
                         ) -> builtins.list[ColumnElement[bool]]:
        """Scope, the address's filters and the search, as WHERE clauses. For a page (`page`)
        the scope of an area above a grid is written so that SQLite walks the sort's index
        rather than the code's: a county's cases newest first, 1,030 ms -> 3 ms at a million
        (SQLite guesses a code range selective; `unindexed`). Its count keeps the code's index."""
        principal = current_user().principal
        if not principal.can(self.spec.name, "read"):
            return [false()]
        grants = principal.require(self.spec.name, "read")
        broad = page and self.spec.scope_column is not None and any(
            g.area_code is not None and not area_codes.is_grid_code(g.area_code) for g in grants)
        area_column = (unindexed(self.model.__table__.c[self.spec.scope_column])
                       if broad and self.spec.scope_column else None)
        scope = shown_condition(principal, grants, self.spec, area_column=area_column)
        found = [] if scope is None else [scope]
        params = filters.list_params(request.query_params)
        if params:
            try:
                found += filters.conditions(self.spec, params, current_user().caller, utcnow())
            except ProblemError as exc:
                raise HTTPException(400, exc.detail) from None
        term = forms.clean_term(request.query_params.get("search") or "")
        if term:
            found.append(self._search_condition(term))
        return found

    def get_filters(self) -> builtins.list[Any]:
        return filters.visible(self.sidebar, current_user().caller)

    async def _in_status_order(self, request: Request, skip: int, size: int
                               ) -> builtins.list[Any]:
        """A page of cases in workflow order (已上报 → … → 已结案, 已作废), a status at a time:
        each status's rows come from the status index in id order, and a status wholly before
        the page is only counted. Sorting a county's million cases by a CASE expression took
        420 ms; page one is now one indexed query."""
        order = builtins.list(STATUS_ORDER)
        descending = request.query_params.get("sort") == "desc"
        if descending:
            order.reverse()
        page = self._list_conditions(request, page=True)
        counted = self._list_conditions(request)
        status = self.model.__table__.c.status
        rows: builtins.list[Any] = []
        for each in order:
            if len(rows) == size:
                break
            by_id = self.model.id.desc() if descending else self.model.id.asc()
            found = await self._run_query(select(self.model).where(*page, status == each)
                                          .order_by(by_id).offset(skip).limit(size - len(rows)))
            if found:
                rows += found
                skip = 0
            elif skip:
                skip -= (await self._run_query(select(func.count()).select_from(self.model)
                                               .where(*counted, status == each)))[0]
        return rows

    def sort_query(self, stmt: Select, request: Request) -> Select:
        """A code looked up by its digits comes in the code's order (a case's code starts with
        its date: newest first), which its index answers (by time: 2,000 ms at a million);
        cases filtered by light come by deadline."""
        term = forms.clean_term(request.query_params.get("search") or "")
        if (not request.query_params.get("sortBy") and term.isdigit()
                and "code" in self.model.__table__.c):
            return stmt.order_by(self.model.__table__.c.code.desc(), self.model.id.desc())
        if (not request.query_params.get("sortBy") and self.spec.name == "cases"
                and request.query_params.get(filters.LIGHT)):
            # Cases by their light: the most urgent first, as the due-time index reads them.
            return stmt.order_by(self.model.__table__.c.due_at.asc(), self.model.id)
        sort_by = request.query_params.get("sortBy")
        if sort_by and sort_by not in self._sort_fields:  # SQLAdmin would say it in English
            raise HTTPException(400, say(f"sortBy: 不能按「{sort_by}」排序",
                                         f"sortBy: cannot sort by '{sort_by}'"))
        return super().sort_query(stmt, request)

    def validate_page_number(self, number: str | None, default: int) -> int:
        if not number:
            return default
        try:
            return int(number)
        except ValueError:
            raise HTTPException(400, say(f"页码或每页条数应为整数: {number[:20]}",
                                         f"page and pageSize are whole numbers: {number[:20]}")
                                ) from None

    def count_query(self, request: Request) -> Select:
        return self._scoped(select(func.count(self.model.id)).select_from(self.model), "read")

    def form_details_query(self, request: Request) -> Select:
        return self._scoped(self._stmt_by_identifier(request.path_params["pk"]), "read")

    def form_edit_query(self, request: Request) -> Select:
        return self._scoped(self._stmt_by_identifier(request.path_params["pk"]), "update")

    async def get_object_for_delete(self, value: Any) -> Any:
        return await self._get_object_by_pk(
            self._scoped(self._stmt_by_identifier(str(value)), "delete"))

    # A row the scoped query did not find is not the user's: not found (404), as over the API,
    # even where SQLAdmin would treat "no row" as "the page's buttons".
    async def check_can_view_details(self, request: Request, model: Any) -> bool:
        return _found(model) and await super().check_can_view_details(request, model)

    async def check_can_edit(self, request: Request, model: Any) -> bool:
        return _found(model) and await super().check_can_edit(request, model)

    async def check_can_delete(self, request: Request, model: Any) -> bool:
        # Who may delete nothing is refused (403) before any row is looked for.
        if not current_user().principal.can(self.spec.name, "delete"):
            return False
        return _found(model) and await super().check_can_delete(request, model)

    def _sees_pii(self) -> bool:
        principal = current_user().principal
        return not self.spec.pii or principal.sees_pii(self.spec.name)

    def _search_condition(self, term: str) -> ColumnElement[bool]:
        names = list(self.column_searchable_list)
        if self._sees_pii():  # who may see ID numbers may also look them up
            names += [n for n in self.spec.pii
                      if self.spec.pii[n] != "hide" and _indexed(self.spec.columns[n])]
        if term.isdigit():  # digits are a code, an ID number's start: not words of a title
            names = [n for n in names if n in forms.PREFIX_SEARCHED] or names
        table = self.model.__table__
        return or_(false(), *(forms.search_condition(table.c[n], term) for n in names))

    def search_query(self, stmt: Select, term: str) -> Select:
        term = forms.clean_term(term)
        return stmt.where(self._search_condition(term)) if term else stmt

    async def list(self, request: Request) -> Pagination:
        """A list page: SQLAdmin's, with the page and its count each written for its index
        (`_list_conditions`), a search's count capped (`COUNT_CAP`), and the names the page
        shows fetched in one go."""
        number = self.validate_page_number(request.query_params.get("page"), 1)
        size = self.validate_page_number(request.query_params.get("pageSize"), self.page_size)
        size = min(size, max(self.page_size_options))
        if size < 1:
            raise HTTPException(400, say("页码或每页条数无效", "Invalid page or page size"))
        counted = select(self.model.id).where(*self._list_conditions(request))
        if forms.clean_term(request.query_params.get("search") or ""):
            # Words searched anywhere in a title are read row by row: count the first
            # COUNT_CAP + 1 matches only, shown as "1,000+".
            found = (await self._run_query(select(func.count()).select_from(
                counted.limit(COUNT_CAP + 1).subquery())))[0]
            count: int = AtLeast(COUNT_CAP) if found > COUNT_CAP else found
        else:
            count = (await self._run_query(
                select(func.count()).select_from(counted.subquery())))[0]
        number = min(max(number, 1), Pagination.max_page(count, size))
        if request.query_params.get("sortBy") == "status" and self.spec.name == "cases":
            rows = await self._in_status_order(request, (number - 1) * size, size)
        else:
            stmt = self.sort_query(select(self.model).where(
                *self._list_conditions(request, page=True)), request)
            rows = await self._run_query(stmt.limit(size).offset((number - 1) * size))
        await run_in_threadpool(prefetch, self.database, rows)
        return Pagination(rows=rows, page=number, page_size=size, count=count)

    # --- what the user sees of a value --------------------------------------------------------

    async def get_prop_value(self, obj: Any, prop: str) -> Any:
        value = getattr(obj, prop, None)
        if prop in self.spec.pii and not self._sees_pii():
            return MASKS[self.spec.pii[prop]](value)
        if shows_a_name(prop):
            return named(self.database, prop, value)
        if self.spec.name == "audit-log" and prop in AUDIT_COLUMNS:
            return audit_words(self.database, prop, value)
        if prop == "boundary":  # a map of it, not its GeoJSON
            return outline_svg(value, None, str(getattr(obj, "name", "") or ""))
        if prop == "light" and self.spec.name == "cases":
            return light_badge(light_of(obj.status, value, obj.due_at, utcnow()))
        return shown_value(value)

    # --- forms --------------------------------------------------------------------------------

    def _form_names(self, editing: bool) -> builtins.list[str]:
        spec = self.spec
        names = [n for n in spec.create_schema.model_fields if n not in spec.derived]
        if editing:
            names = [n for n in names if n not in spec.immutable]
        if not self._sees_pii():
            names = [n for n in names if n not in spec.pii]
        return names

    def _defaults(self) -> dict[str, Any]:
        """A grid chief's new rows start in their own grid."""
        grids = [g.area_code for g in current_user().principal.grants_for(self.spec.name, "create")
                 if area_codes.is_grid_code(g.area_code)]
        return {"grid_code": grids[0]} if len(grids) == 1 else {}

    async def scaffold_form(self, rules: builtins.list[str] | None = None):
        editing = rules == EDIT_FORM
        names = self._form_names(editing)
        form_class = forms.build_form(self.spec, self.spec.create_schema, names,
                                      {} if editing else self._defaults(), self.lookups)
        if editing:
            form_class.version = fields.HiddenField()
        return form_class

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        data = {n: forms.form_value(getattr(obj, n, None)) for n in self._form_names(True)
                if n not in self.spec.hidden and n != "password"}
        data["version"] = obj.version
        return data

    # --- writes: the CRUD service, in a session of its own ------------------------------------

    def _write(self, work: Callable[[Any, crud.Caller], Any]) -> Any:
        caller = current_user().caller
        with self.database.session() as session:
            try:
                result = work(session, caller)
                if self.spec.changes_policy:  # roles and rules: this and every worker reload now
                    self.api_state.policy_sync.notify()
                return result
            except ProblemError as exc:
                session.rollback()
                unplaced = forms.report_errors([(e.field, e.msg) for e in exc.errors])
                if exc.errors and not unplaced:
                    raise PanelError(
                        say("请更正标出的字段", "Please correct the marked fields")) from None
                raise PanelError(exc.detail) from None
            except DATABASE_TROUBLE as exc:  # SQLAdmin would show the raw SQL error
                session.rollback()
                problem = database_problem(exc)
                if problem is None:
                    raise
                raise PanelError(problem.detail) from None

    async def insert_model(self, request: Request, data: dict) -> Any:
        payload = forms.to_payload(data, self._form_names(False))

        def create(session, caller):
            obj = crud.create_row(session, self.spec, validated(self.spec, payload), caller)
            session.expunge(obj)
            return obj

        return await run_in_threadpool(self._write, create)

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        names = self._form_names(True)
        patch = forms.to_payload(data, names)
        for name in names:  # secrets left blank stay as they are
            if (name == "password" or name in self.spec.hidden) and patch.get(name) is None:
                patch.pop(name)
        version = form_version(data)

        def update(session, caller):
            obj = crud.get_row(session, self.spec, parse_row_id(pk), caller, "update")
            obj = crud.update_row(session, self.spec, obj, patch, version, caller)
            session.expunge(obj)
            return obj

        return await run_in_threadpool(self._write, update)

    async def delete_model(self, request: Request, pk: Any) -> None:
        def delete(session, caller):
            obj = crud.get_row(session, self.spec, parse_row_id(pk), caller, "delete")
            crud.delete_row(session, self.spec, obj, None, caller)

        await run_in_threadpool(self._write, delete)


async def problem_page(templates: Any, request: Request, exc: ProblemError) -> Response:
    """A refusal (not found, out of scope, conflict) as the panel's error page, its status kept."""
    return await templates.TemplateResponse(
        request, "sqladmin/error.html", {"status_code": exc.status, "message": exc.detail},
        status_code=exc.status)


def form_version(data: Any) -> str:
    """The version of the row the form was built from, checked by the write (a stale form is
    refused). Required: a form without it, or with "*" (If-Match's "any"), would skip the check."""
    version = str(data.get("version") or "").strip()
    if not version.isdigit():
        raise PanelError(say("记录可能已被修改: 表单缺少版本号, 请刷新页面后重试",
                             "The record may have changed: the form has no version. "
                             "Reload the page and try again"))
    return version


def _found(model: Any) -> bool:
    """A row the user's scoped query did not find: 404, whether it is missing or not theirs."""
    if model is None:
        raise HTTPException(status_code=404)
    return True


def parse_row_id(pk: Any) -> int:
    try:
        row_id = int(pk)
    except (TypeError, ValueError):
        row_id = 0
    return row_id if 1 <= row_id <= MAX_ID else 0  # 0 is nobody's: the service answers 404


def validated(spec: crud.EntitySpec, payload: dict[str, Any]):
    """The API's input schema applied to a form's values: the same 422 as a JSON body gets."""
    return spec.create_schema.model_validate(crud.parse_new_row(spec, payload))


def shown_value(value: Any) -> Any:
    """Enumerations by their label in the user's language, tag lists joined, times in Beijing."""
    if isinstance(value, dt.datetime):
        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value.tzinfo else value
    if isinstance(value, LabeledEnum):
        return value.value if english() else value.label
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "、".join(str(shown_value(v)) for v in value)
    return value


LIGHT_COLOURS = {Light.green: "bg-green text-white", Light.yellow: "bg-yellow text-dark",
                 Light.red: "bg-red text-white"}


def light_badge(light: Light | str | None) -> Any:
    """A case's light as it shows now, in its colour (the word too: not by colour alone)."""
    if light is None:
        return ""
    light = Light(light)
    word = light.value if english() else light.label
    return Markup('<span class="badge {}" data-light="{}">{}</span>').format(
        LIGHT_COLOURS[light], light.value, word)


def view_for(spec: crud.EntitySpec, database: Database, api_state: Any,
             base: type[EntityView] = EntityView) -> type[EntityView]:
    columns = [c for name, c in spec.columns.items()]
    listed = [c.name for c in columns if _is_plain(c) and c.name not in ("version", "updated_at")]
    sortable = sorted(n for n in spec.sortable - set(spec.pii) if _indexed(spec.columns[n]))
    # Searched by prefix through an index: one unindexed column in the OR would scan the table.
    searchable = [n for n in forms.SEARCHED
                  if n in spec.columns and n not in spec.pii and _indexed(spec.columns[n])]
    searchable += [n for n in SEARCHED_ANYWHERE.get(spec.name, ()) if n not in searchable]
    descending = spec.default_sort.startswith("-")
    default_sort = [(spec.default_sort.lstrip("-"), descending)]
    if spec.default_sort == "id" and spec.scope_column == "grid_code":
        # Ledgers grid by grid: the order of the grid_code index, so a scoped page needs no sort.
        default_sort = [("grid_code", False), ("id", False)]
    category = CATEGORIES.get(spec.name, ("其他", "Other"))
    attrs = {
        "spec": spec,
        "database": database,
        "api_state": api_state,
        "name": Text(spec.label, spec.label_en),
        "name_plural": Text(spec.label, spec.label_en),
        "category": Text(*category),
        "icon": ICONS.get(spec.name, "fa-solid fa-table"),
        "column_list": list(LISTED.get(spec.name, listed[:LIST_COLUMNS])),
        "column_details_list": [c.name for c in columns],
        "column_export_list": [c.name for c in columns],
        "column_labels": {c.name: Text(c.comment or c.name, humanize(c.name)) for c in columns},
        "column_sortable_list": sortable,
        "column_searchable_list": searchable,
        "column_default_sort": default_sort,
        "sidebar": filters.sidebar_for(spec, database),
        "can_create": not spec.read_only,
        "can_edit": not spec.read_only,
        "can_delete": not spec.read_only,
    }
    view = cast(type[EntityView],
                type(f"{spec.model.__name__}Panel", (base,), attrs, model=spec.model))
    view.identity = spec.name  # SQLAdmin's metaclass names it after the model; ours is the API's
    return view

"""Lists people work from: filters kept in the URL, in the API's own list syntax.

A list's address carries its filters as `/api/v1/<entity>` takes them (`status=filed`,
`status__in=dispatched,processing`, `reported_at__gte=2026-11-01`, `grid_code__startswith=…`),
parsed by the same `parse_list_query` against what the user may filter on. So a filtered list
can be bookmarked, and the workbench's "show all" link is its queue's own list query.

Two things are the panel's own, because people read them so:
- `light=red` is the light a case shows now (the clock may have overtaken the light the SLA
  tick last stored), the light its badge shows;
- a bare date on a time column is a day in Beijing: `reported_at__lte=2026-11-30` takes in
  the whole of that day.

The sidebar offers the columns people scan: status (in workflow order), light, department,
category, grid, the dates, and key-group tags where the role may see them. Each option is a
link (or, for long lists, a choice) that sets its parameter and keeps the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy import Enum as SAEnum
from sqlalchemy.sql import Select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from admin.auth import current_user
from admin.i18n import Text, english, humanize, say
from admin.names import AUDIT_ACTIONS, OTHER_ENTITIES
from backend.areas.models import Area, Grid
from backend.cases.models import STATUS_ORDER, CaseCategory, Department, Light
from backend.core import crud
from backend.core.db import BEIJING, Database, TagList
from backend.core.errors import ProblemError
from backend.core.filtering import RESERVED, parse_list_query
from backend.core.labels import LabeledEnum
from backend.core.schemas import column_python_type
from backend.identity.models import User
from backend.kpi.tally import light_condition
from backend.ledgers.models import KeyGroup
from rbac.scope import scope_condition

# SQLAdmin's own parameters of a list page, and the panel's.
PANEL_PARAMS = {"page", "pageSize", "search", "sortBy", "sort", "lang"}
LIGHT = "light"
# Beyond this many grids the grid filter offers communities (a county has a thousand grids).
GRIDS_LISTED = 60


def list_params(params: Mapping[str, str] | Any) -> list[tuple[str, str]]:
    """The filters of a list page's address, in the API's syntax, blanks left out."""
    items = params.multi_items() if hasattr(params, "multi_items") else params.items()
    return [(k, v) for k, v in items
            if k not in PANEL_PARAMS and k not in RESERVED and v.strip() != ""]


def conditions(spec: crud.EntitySpec, params: list[tuple[str, str]], caller: crud.Caller,
               now: dt.datetime) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a list page's filters; a 400 naming the parameter when one is bad."""
    filterable, _ = spec.queryable(caller)
    found: list[ColumnElement[bool]] = []
    api_params = []
    for key, raw in params:
        if key == LIGHT and spec.name == "cases":
            try:
                found.append(light_condition(Light(raw), now))
            except ValueError:
                allowed = ", ".join(m.value for m in Light)
                raise ProblemError(400, f"{key}: 取值应为以下之一: {allowed}") from None
            continue
        api_params.append((key, _in_beijing(spec, key, raw)))
    query = parse_list_query(_Params(api_params), spec.columns, filterable, {"id"}, "id",
                             max_limit=1, default_limit=1)
    return found + query.conditions


class _Params(list):
    """Repeated parameters for `parse_list_query` (as Starlette's QueryParams give them)."""

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self)

    def get(self, key: str, default: Any = None) -> Any:
        return next((v for k, v in self if k == key), default)


def _in_beijing(spec: crud.EntitySpec, key: str, raw: str) -> str:
    """A bare date on a time column, as the day in Beijing it names (its end, for __lte)."""
    name, _, op = key.partition("__")
    column = spec.columns.get(name)
    if column is None or len(raw) != 10 or column_python_type(column) is not dt.datetime:
        return raw
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return raw  # parse_list_query names the parameter and the reason
    start = dt.datetime.combine(day, dt.time(), BEIJING)
    if op in ("lte", "gt"):
        start += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return start.isoformat()


# --- the sidebar ------------------------------------------------------------------------------


@dataclass
class Option:
    label: str
    params: dict[str, str]  # what choosing it sets (other filters kept)
    code: str = ""          # shown on hover where the label is a name


class SidebarFilter:
    """One block of the filter sidebar (SQLAdmin renders `template` for each)."""

    has_operator = False
    template = "gridlink/filter.html"
    kind = "links"  # links | choice | dates | active

    def __init__(self, spec: crud.EntitySpec, name: str, title: Any) -> None:
        self.spec, self.parameter_name, self.title = spec, name, title
        self.keys = {name}  # the parameters it sets; a choice clears them all first

    async def lookups(self, request: Request, model: Any, run_query: Any) -> list[Option]:
        return await run_in_threadpool(self.options, current_user())

    def options(self, user: Any) -> list[Option]:
        return []

    def usable_by(self, caller: crud.Caller) -> bool:
        return True

    async def get_filtered_query(self, query: Select, value: Any, model: Any) -> Select:
        return query  # the list query applies every filter (EntityView.list_query)

    def chosen(self, request: Request) -> dict[str, str]:
        return {k: v for k, v in request.query_params.items() if k in self.keys}

    def url_with(self, request: Request, params: dict[str, str]):
        return request.url.remove_query_params([*self.keys, "page"]).include_query_params(
            **params)

    def url_without(self, request: Request):
        return request.url.remove_query_params([*self.keys, "page"])


class EnumFilter(SidebarFilter):
    def __init__(self, spec: crud.EntitySpec, name: str, title: Any,
                 members: Iterable[LabeledEnum]) -> None:
        super().__init__(spec, name, title)
        self.members = list(members)
        self.keys |= {f"{name}__in", f"{name}__ne"}

    def options(self, user: Any) -> list[Option]:
        return [Option(m.value if english() else m.label, {self.parameter_name: m.value})
                for m in self.members]


class ValuesFilter(SidebarFilter):
    """A column of plain text with known values, each with its words (the audit log's action
    and entity)."""

    kind = "choice"

    def __init__(self, spec: crud.EntitySpec, name: str, title: Any,
                 values: dict[str, tuple[str, str]]) -> None:
        super().__init__(spec, name, title)
        self.values = values

    def options(self, user: Any) -> list[Option]:
        return [Option(en if english() else zh, {self.parameter_name: value}, value)
                for value, (zh, en) in self.values.items()]


class PeopleFilter(SidebarFilter):
    """Who did it, by name: the accounts the user may read (an audit log's actor)."""

    kind = "choice"

    def __init__(self, spec: crud.EntitySpec, name: str, title: Any, database: Database) -> None:
        super().__init__(spec, name, title)
        self.database = database

    def usable_by(self, caller: crud.Caller) -> bool:
        return caller.principal is None or caller.principal.can("users", "read")

    def options(self, user: Any) -> list[Option]:
        stmt = select(User.username, User.display_name).order_by(User.display_name)
        scope = scope_condition(user.principal, crud.REGISTRY["users"], "read")
        if scope is not None:
            stmt = stmt.where(scope)
        with self.database.session() as session:
            return [Option(name, {self.parameter_name: login}, login)
                    for login, name in session.execute(stmt)]


class TagFilter(EnumFilter):
    """Key-group tags: rows holding the tag."""

    def options(self, user: Any) -> list[Option]:
        return [Option(m.value if english() else m.label,
                       {f"{self.parameter_name}__contains": m.value}) for m in self.members]


class NameFilter(SidebarFilter):
    """A reference code by name (环卫处, not HW01): the rows of `model` the user may read."""

    kind = "choice"

    def __init__(self, spec: crud.EntitySpec, name: str, title: Any, model: Any,
                 database: Database) -> None:
        super().__init__(spec, name, title)
        self.model, self.database = model, database
        self.keys |= {f"{name}__in", f"{name}__startswith"}

    def usable_by(self, caller: crud.Caller) -> bool:
        """Names are offered from the user's own reading of the table (a department does not
        read the grids: it filters its cases by status, light and dates)."""
        target = crud.spec_for_model(self.model)
        return caller.principal is None or caller.principal.can(target.name, "read")

    def options(self, user: Any) -> list[Option]:
        if self.model is Grid:
            return self._grids(user)
        target = crud.spec_for_model(self.model)
        stmt = select(self.model.code, self.model.name).order_by(self.model.code)
        scope = scope_condition(user.principal, target, "read")
        if scope is not None:
            stmt = stmt.where(scope)
        with self.database.session() as session:
            rows = session.execute(stmt).all()
        return [Option(name, {self.parameter_name: code}, code) for code, name in rows]

    def _grids(self, user: Any) -> list[Option]:
        grids = crud.REGISTRY["grids"]
        scope = scope_condition(user.principal, grids, "read")
        stmt = select(Grid.code, Grid.name, Grid.community_code).order_by(Grid.code)
        if scope is not None:
            stmt = stmt.where(scope)
        with self.database.session() as session:
            rows = session.execute(stmt).all()
            if len(rows) <= GRIDS_LISTED:
                return [Option(name, {self.parameter_name: code}, code) for code, name, _ in rows]
            communities = sorted({c for _, _, c in rows if c})
            names = dict(session.execute(select(Area.code, Area.name).where(
                Area.code.in_(communities))).tuples().all())
        return [Option(names.get(c, c), {f"{self.parameter_name}__startswith": c}, c)
                for c in communities]


class DatesFilter(SidebarFilter):
    """A date range (from, to: days in Beijing), with today, the last 7 days and this month."""

    kind = "dates"

    def __init__(self, spec: crud.EntitySpec, name: str, title: Any) -> None:
        super().__init__(spec, name, title)
        self.keys = {f"{name}__{op}" for op in ("gte", "gt", "lte", "lt")}
        self.since, self.until = f"{name}__gte", f"{name}__lte"

    def options(self, user: Any) -> list[Option]:
        today = dt.datetime.now(BEIJING).date()
        month = today.replace(day=1)
        last_month = (month - dt.timedelta(days=1)).replace(day=1)
        ranges = ((say("今天", "Today"), today, today),
                  (say("近7天", "Last 7 days"), today - dt.timedelta(days=6), today),
                  (say("本月", "This month"), month, today),
                  (say("上月", "Last month"), last_month, month - dt.timedelta(days=1)))
        return [Option(label, {self.since: start.isoformat(), self.until: end.isoformat()})
                for label, start, end in ranges]


class ActiveFilters(SidebarFilter):
    """What the list is filtered by now, in words, each with a way to drop it."""

    kind = "active"

    def __init__(self, spec: crud.EntitySpec) -> None:
        super().__init__(spec, "", Text("当前筛选", "Filtered by"))
        self.keys = set()
        self.siblings: list[SidebarFilter] = []  # whose options put a value into words

    def _words_of_options(self, params: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """环卫处 for department_code=HW01: the label of the sidebar's option that sets it."""
        user = current_user()
        words: dict[tuple[str, str], str] = {}
        for sibling in self.siblings:
            if not any(key in sibling.keys or key.startswith(f"{sibling.parameter_name}__")
                       for key, _ in params) or not sibling.usable_by(user.caller):
                continue
            for option in sibling.options(user):
                if len(option.params) == 1:
                    ((key, raw),) = option.params.items()
                    words[(key, raw)] = option.label
        return words

    def active(self, request: Request) -> list[tuple[str, Any]]:
        shown = []
        params = list_params(request.query_params)
        words = self._words_of_options(params)
        for key, raw in params:
            name, _, op = key.partition("__")
            column = self.spec.columns.get(name)
            label = str(column.comment or name) if column is not None and not english() else name
            operator = OPERATOR_WORDS.get(op or "eq", ("", ""))
            value = words.get((key, raw)) or _value_in_words(column, raw)
            shown.append((f"{label} {operator[1] if english() else operator[0]} "
                          f"{value}".replace("  ", " "),
                          request.url.remove_query_params([key, "page"])))
        return shown

    def cleared(self, request: Request):
        keep = [(k, v) for k, v in request.query_params.multi_items()
                if k in PANEL_PARAMS and k != "page"]
        return request.url.replace(query="").include_query_params(**dict(keep))


OPERATOR_WORDS = {
    "eq": ("=", "="), "ne": ("≠", "≠"), "gt": (">", ">"), "gte": ("从", "from"),
    "lt": ("早于", "before"), "lte": ("至", "to"), "in": ("为", "in"),
    "contains": ("含", "contains"), "startswith": ("属于", "within"),
    "isnull": ("为空:", "is empty:"),
}


def _value_in_words(column: Any, raw: str) -> str:
    enum_class = getattr(getattr(column, "type", None), "enum_class", None)
    if column is not None and column.name == LIGHT:
        enum_class = Light
    if enum_class is not None and issubclass(enum_class, LabeledEnum) and not english():
        labels = {m.value: m.label for m in enum_class}
        return "、".join(labels.get(part, part) for part in raw.split(","))
    if isinstance(getattr(column, "type", None), TagList) and not english():
        return {m.value: m.label for m in KeyGroup}.get(raw, raw)
    if raw in ("true", "false") and not english():
        return "是" if raw == "true" else "否"
    return raw


# Reference codes a list is filtered by, by name.
NAMED = {"department_code": Department, "category_code": CaseCategory, "grid_code": Grid}
DATE_COLUMNS = ("reported_at", "due_at", "closed_at", "started_at", "log_date", "visited_at",
                "created_at")
SIDEBAR_LIMIT = 10


def sidebar_for(spec: crud.EntitySpec, database: Database) -> list[SidebarFilter]:
    """The sidebar of an entity's list: status and light first, then the names, the tags, the
    dates, then the other choices (source, priority...)."""
    filterable = spec.filterable
    enums: list[SidebarFilter] = []
    for name, column in spec.columns.items():
        enum_class = column.type.enum_class if isinstance(column.type, SAEnum) else None
        if name not in filterable or enum_class is None or not issubclass(enum_class, LabeledEnum):
            continue
        members = STATUS_ORDER if name == "status" and spec.name == "cases" else list(enum_class)
        enums.append(EnumFilter(spec, name, _title(column), members))
    first = [f for f in enums if f.parameter_name in ("status", LIGHT)]
    named = [NameFilter(spec, name, _title(spec.columns[name]), model, database)
             for name, model in NAMED.items() if name in filterable]
    tags = [TagFilter(spec, "key_groups", _title(spec.columns["key_groups"]), list(KeyGroup))
            ] if "key_groups" in filterable else []
    dates = [DatesFilter(spec, name, _title(spec.columns[name]))
             for name in DATE_COLUMNS if name in filterable and name in spec.columns]
    rest = [f for f in enums if f not in first]
    if spec.name == "audit-log":
        first = [PeopleFilter(spec, "actor", _title(spec.columns["actor"]), database),
                 ValuesFilter(spec, "entity", _title(spec.columns["entity"]), {
                     name: (s.label, s.label_en) for name, s in crud.REGISTRY.items()}
                     | OTHER_ENTITIES),
                 ValuesFilter(spec, "action", _title(spec.columns["action"]), AUDIT_ACTIONS)]
    active = ActiveFilters(spec)
    active.siblings = (first + named + tags + dates + rest)[:SIDEBAR_LIMIT]
    return [active, *active.siblings]


def _title(column: Any) -> Any:
    return Text(column.comment or column.name, humanize(column.name))


def visible(filters: list[SidebarFilter], caller: crud.Caller) -> list[SidebarFilter]:
    """The sidebar as this user may use it: no filter on what their role does not see."""
    filterable, _ = filters[0].spec.queryable(caller) if filters else (set(), set())
    return [f for f in filters if isinstance(f, ActiveFilters)
            or (f.parameter_name in filterable and f.usable_by(caller))]

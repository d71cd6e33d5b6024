"""The workbench (工作台): what waits for the user, by deadline, and what they should know.

Each queue is a list query of the one CRUD registry (the API's own list syntax), asked as the
user: what it counts is exactly what its list shows them (`list_query`, for `/api/v1/<entity>`
and the panel), within their scope, masked as their role reads it. Which queues stand on whose
desk follows the plans' duties, by role:

- 指挥中心 dispatcher: reports to file, filed cases to dispatch, approvals to review, extension
  requests to decide, handled cases to verify and close, and the red lights;
- 职能部门 department: the cases dispatched (or summoned) to it still running;
- 网格长 / 网格员: their grids' open cases and today's patrols, grid by grid; the chief also
  the grids not yet walked today, the households overdue for a visit and the residents
  overdue for their 帮教 visit (backend/kpi/coverage.py: those queues are the coverage
  lists, not a list query);
- 社区书记 secretary: reports to file, approvals to review, work logs awaiting review, the
  grids not yet walked today, the households overdue for a visit and 帮教 overdue;
- disputes: the grid chief those at the grid level, the secretary those raised to the
  community, the dispatcher those raised to the street; an office (and the secretary and
  dispatcher who follow them) those handed over, soonest due first;
- 民情 and 代办: the grid's staff and the secretary the requests open and the errands under way;
- meetings: the tasks their decisions opened, to the department tasked, and to the secretary
  and the dispatcher who follow those of their area, soonest due first;
- 领导小组 leader: the headline figures of this month (backend/kpi) and the red lights.

Everyone: who they are, their scope by name, and their unread notifications.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.areas.models import Grid
from backend.cases.entities import RUNNING_STATUSES
from backend.cases.models import OPEN_STATUSES, Department
from backend.core import crud
from backend.core.crud import Caller
from backend.core.db import BEIJING, utcnow
from backend.core.filtering import parse_list_query
from backend.disputes.actions import WORKING
from backend.identity.models import Role
from backend.identity.service import scope_names
from backend.kpi import coverage
from backend.kpi import service as kpi
from backend.kpi.live import code_names
from backend.kpi.periods import parse_period
from backend.kpi.scope import Subject
from backend.notifications.models import NEWEST_FIRST, Notification

ITEMS_PER_QUEUE = 10
OPEN = ",".join(s.value for s in OPEN_STATUSES)
RUNNING = ",".join(s.value for s in RUNNING_STATUSES)
WORKING_DISPUTES = ",".join(s.value for s in WORKING)


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    label_en: str
    entity: str
    roles: frozenset[Role]
    query: dict[str, str]  # the list query; "{now}" and "{today}" are filled in when asked

    def params(self, now: dt.datetime) -> dict[str, str]:
        today = now.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
        return {k: v.format(now=_iso(now), today=_iso(today)) for k, v in self.query.items()}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


D, S, C, M, L, A = (Role.dispatcher, Role.secretary, Role.grid_chief, Role.grid_member,
                    Role.leader, Role.admin)
QUEUES = (
    Queue("to_file", "待立案", "Reports to file", "cases", frozenset({D, S, A}),
          {"status": "reported", "sort": "reported_at"}),
    Queue("to_dispatch", "待派遣", "Filed, to dispatch", "cases", frozenset({D, A}),
          {"status": "filed", "handling_type__ne": "approval", "sort": "filed_at"}),
    Queue("to_approve", "待审批事项", "Approvals to review", "cases", frozenset({D, S, A}),
          {"status": "filed", "handling_type": "approval", "sort": "filed_at"}),
    Queue("extensions", "待审批延期", "Extension requests", "cases", frozenset({D, A}),
          {"status__in": RUNNING, "extension_requested_due_at__isnull": "false",
           "sort": "due_at"}),
    Queue("to_verify", "待核查结案", "Handled, to verify and close", "cases",
          frozenset({D, A}), {"status": "handled", "sort": "handled_at"}),
    Queue("my_tasks", "待处置案卷", "Cases to handle", "cases", frozenset({Role.department}),
          {"status__in": RUNNING, "sort": "due_at"}),
    Queue("red", "红灯超期", "Overdue (red)", "cases", frozenset({D, L, A}),
          {"status__in": RUNNING, "due_at__lt": "{now}", "sort": "due_at"}),
    Queue("grid_open", "本网格在办案卷", "Open cases of my grids", "cases", frozenset({C, M}),
          {"status__in": OPEN, "sort": "-reported_at"}),
    Queue("patrols_today", "今日巡查", "Today's patrols", "patrols", frozenset({C, M, S}),
          {"started_at__gte": "{today}", "sort": "-started_at"}),
    Queue("logs_to_review", "待审阅工作日志", "Work logs to review", "work-logs",
          frozenset({S}), {"status": "submitted", "sort": "log_date"}),
    # 矛盾纠纷: each level the disputes at its level (backend/disputes/workflow.py), the office
    # those handed to it, soonest due first.
    Queue("disputes_grid", "本网格待化解纠纷", "Disputes to settle in my grids", "disputes",
          frozenset({C}), {"status__in": WORKING_DISPUTES, "level": "grid", "sort": "found_on"}),
    Queue("disputes_community", "上报社区的纠纷", "Disputes raised to the community",
          "disputes", frozenset({S}),
          {"status__in": WORKING_DISPUTES, "level": "community", "sort": "found_on"}),
    Queue("disputes_street", "上报街道的纠纷", "Disputes raised to the street", "disputes",
          frozenset({D}),
          {"status__in": WORKING_DISPUTES, "level": "street", "sort": "found_on"}),
    Queue("disputes_handed", "移交待办结纠纷", "Disputes handed to us", "disputes",
          frozenset({Role.department, S, D}), {"status": "handed_over", "sort": "due_at"}),
    # 民情 and 代办: the grid's open requests by their answer deadline, its errands not yet done
    # (those still to be answered first).
    Queue("requests_open", "待办民情诉求", "Residents' requests open", "resident-requests",
          frozenset({C, M, S}), {"status": "open", "sort": "due_at"}),
    Queue("errands_open", "在办代办事项", "Errands under way", "errands", frozenset({C, M, S}),
          {"status__in": "accepted,in_progress", "sort": "status,answer_due_at"}),
    # 会议交办: the tasks meetings gave a department, soonest due first; the community and the
    # command center follow those of their area.
    Queue("meeting_tasks", "会议交办事项", "Tasks from meetings", "meeting-items",
          frozenset({Role.department, S, D}), {"status": "assigned", "sort": "due_at"}),
)
FIGURES_ROLES = frozenset({L})


@dataclass(frozen=True)
class CoverageQueue:
    """A queue that is one of the coverage lists (GET /api/v1/kpi/coverage/...)."""

    key: str
    label: str
    label_en: str
    roles: frozenset[Role]
    path: str  # under /api/v1/kpi/coverage
    needs: tuple[tuple[str, str], ...]  # (object, action) the caller must hold

    def allowed(self, caller: Caller) -> bool:
        principal = caller.principal
        return principal is None or all(principal.can(o, a) for o, a in self.needs)

    def ask(self, session: Session, caller: Caller, now: dt.datetime,
            limit: int = ITEMS_PER_QUEUE) -> dict[str, Any]:
        if self.path == "unpatrolled":
            items = coverage.unpatrolled_grids(session, caller, Subject(), now)
            count, items = len(items), items[:limit]
        else:
            due = coverage.due_visits if self.path == "due-visits" else coverage.due_supervision
            found = due(session, caller, Subject(), limit=limit, now=now)
            count, items = found["total"], found["items"]
        return {"key": self.key, "label": self.label, "label_en": self.label_en,
                "entity": f"kpi/coverage/{self.path}", "count": count, "items": items,
                "list_query": {}}


COVERAGE_QUEUES = (
    CoverageQueue("unpatrolled", "今日未巡查网格", "Grids not patrolled today",
                  frozenset({C, S}), "unpatrolled", (("kpi", "read"),)),
    CoverageQueue("visits_due", "逾期未走访户", "Households overdue for a visit",
                  frozenset({C, S}), "due-visits",
                  (("kpi", "read"), ("households", "read"), ("households", "pii"))),
    # 帮教: who is overdue is who is under supervision, for those who may know it.
    CoverageQueue("supervision_due", "帮教逾期对象", "Residents overdue for 帮教",
                  frozenset({C, S}), "due-supervision",
                  (("kpi", "read"), ("residents", "read"), ("visits", "pii"))),
)


def roles_of(caller: Caller) -> set[Role]:
    if caller.principal is None:
        return {Role.admin}
    return {Role(g.role) for g in caller.principal.grants}


def queues_for(roles: set[Role]) -> list[Queue]:
    return [q for q in QUEUES if q.roles & roles]


def ask(session: Session, queue: Queue, caller: Caller, now: dt.datetime,
        limit: int = ITEMS_PER_QUEUE) -> dict[str, Any]:
    """One queue as the caller's list shows it: the total and the first rows."""
    spec = crud.REGISTRY[queue.entity]
    params = queue.params(now)
    filterable, sortable = spec.queryable(caller)
    query = parse_list_query({**params, "limit": str(limit)}, spec.columns, filterable, sortable,
                             spec.default_sort, max_limit=limit, default_limit=limit)
    rows, total = crud.list_rows(session, spec, query, caller)
    return {"key": queue.key, "label": queue.label, "label_en": queue.label_en,
            "entity": queue.entity, "count": total or 0, "items": rows,
            "list_query": params}


def _named(session: Session, rows: list[dict[str, Any]]) -> None:
    """Names beside the codes of the rows' grids and departments (a screen reads names)."""
    grid_names = code_names(session, Grid, {r.get("grid_code") for r in rows})
    department_names = code_names(session, Department, {r.get("department_code") for r in rows})
    for row in rows:
        if "grid_code" in row:
            row["grid_name"] = grid_names.get(row["grid_code"])
        if "department_code" in row:
            row["department_name"] = department_names.get(row["department_code"])


def workbench(session: Session, caller: Caller, now: dt.datetime | None = None
              ) -> dict[str, Any]:
    now = now or utcnow()
    roles = roles_of(caller)
    queues = []
    for queue in queues_for(roles):
        if caller.principal is not None and not caller.principal.can(queue.entity, "read"):
            continue  # a policy changed by an admin may take a list away from a role
        asked = ask(session, queue, caller, now)
        _named(session, asked["items"])
        queues.append(asked)
    for extra in COVERAGE_QUEUES:
        if extra.roles & roles and extra.allowed(caller):
            queues.append(extra.ask(session, caller, now))
    figures = None
    if roles & FIGURES_ROLES and (caller.principal is None or caller.principal.can("kpi", "read")):
        period = parse_period(None, now.astimezone(BEIJING).date(), None, None)
        figures = kpi.summary(session, caller=caller, subject=Subject(), period=period, now=now)
    return {"as_of": now, "user": _who(session, caller), "queues": queues, "figures": figures,
            "notifications": _notifications(session, caller),
            # Whether the coverage figures of the user's grids are theirs to read.
            "coverage": _reads_coverage(caller)}


def _reads_coverage(caller: Caller) -> bool:
    """Coverage is of grids: for area roles with the figures (departments have no grids)."""
    principal = caller.principal
    return principal is None or (principal.can("kpi", "read") and any(
        g.department_code is None for g in principal.grants))


def _who(session: Session, caller: Caller) -> dict[str, Any]:
    principal = caller.principal
    if principal is None:
        return {"username": caller.actor.name, "display_name": caller.actor.name, "roles": []}
    names = scope_names(session, principal.grants)
    return {"username": principal.username, "display_name": principal.display_name,
            "roles": [{"role": g.role, "role_label": Role(g.role).label,
                       "scope_code": g.area_code or g.department_code,
                       "scope_name": names.get(g.area_code or g.department_code or "")}
                      for g in principal.grants]}


def _notifications(session: Session, caller: Caller, limit: int = 5) -> dict[str, Any]:
    if caller.principal is None:
        return {"unread": 0, "items": []}
    mine = (Notification.user_id == caller.principal.user_id, Notification.read_at.is_(None))
    unread = session.execute(select(func.count()).select_from(Notification).where(*mine)
                             ).scalar_one()
    items = session.execute(select(Notification.id, Notification.kind, Notification.case_id,
                                   Notification.title, Notification.created_at)
                            .where(*mine).order_by(*NEWEST_FIRST).limit(limit)).all()
    return {"unread": unread, "items": [row._asdict() for row in items]}

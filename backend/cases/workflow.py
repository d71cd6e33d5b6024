"""The case workflow: every transition of every case, for the API, the admin panel and the CLI.

    reported ─file─▶ filed ─dispatch─▶ dispatched ─accept─▶ processing ─feedback─▶ handled
        │              │  ▲                 │                   │                    │
        │            cancel└────return──────┴───────────────────┘          close ◀──┤ rework
        ├─cancel/merge─▶ cancelled                                           ▼       ▼
        └─handle-on-site (general cases, by the grid chief) ──────────────▶ closed  dispatched

Who may take which action is the Casbin policy's business (object "cases", the action's name);
where is the scope's (a department acts on the cases it holds a task of). Which actions the
case's status allows is decided here, and nowhere else. Each action writes its CaseStep, its
audit entry, its notifications and its webhook events in one transaction with the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.audit import writer as audit
from backend.cases import webhooks
from backend.cases.actions import CASE_ACTIONS, allowed_actions
from backend.cases.entities import CASES
from backend.cases.models import (
    OPEN_STATUSES,
    ApprovalStage,
    Case,
    CaseCategory,
    CaseStatus,
    CaseStep,
    CaseTask,
    DeadlineUnit,
    Department,
    HandlingType,
    Light,
    RoutingRule,
    TaskStatus,
    WebhookEvent,
)
from backend.cases.sla import deadlines
from backend.core import area_codes, crud
from backend.core.db import MAX_ID, once_per_session, utcnow
from backend.core.errors import FieldError, ProblemError, field_error, invalid_input, not_found
from backend.core.labels import LabeledEnum
from backend.core.schemas import AwareTimes
from backend.notifications import service as notify
from backend.notifications.models import NotificationKind

S = CaseStatus
OPEN_TASK = (TaskStatus.dispatched, TaskStatus.processing, TaskStatus.handled)


# --- what each action carries ----------------------------------------------------------------


class ActionBody(AwareTimes):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Annotated[str | None, Field(max_length=2000, description="意见/备注")] = None


class NoteRequired(ActionBody):
    note: Annotated[str, Field(min_length=1, max_length=2000, description="原因/意见 (必填)")]


class DispatchBody(ActionBody):
    department_code: Annotated[str | None, Field(
        max_length=20, description="处置部门; 省略时按派遣规则和分类默认部门")] = None
    instructions: Annotated[str | None, Field(max_length=2000)] = None


# The task acted on: a department's own; for whoever acts with no department (the command
# centre, an admin, the seed) the primary one unless named.
TaskId = Annotated[int | None, Field(ge=1, le=MAX_ID, description="任务 (默认: 本部门的任务)")]


class TaskBody(ActionBody):
    task_id: TaskId = None


class ReturnBody(NoteRequired):
    task_id: TaskId = None


class FeedbackBody(NoteRequired):
    task_id: TaskId = None
    photo_urls: Annotated[list[Annotated[str, Field(max_length=500)]], Field(max_length=20)] = []


class ExtensionBody(NoteRequired):
    requested_due_at: Annotated[dt.datetime, Field(description="申请延期至")]


class EvaluateBody(ActionBody):
    satisfaction: Annotated[int, Field(ge=1, le=5, description="满意度 1-5")]


class SummonBody(ActionBody):
    department_codes: Annotated[list[Annotated[str, Field(max_length=20)]],
                                Field(min_length=1, max_length=20, description="报到部门")]
    instructions: Annotated[str | None, Field(max_length=2000)] = None


class MergeBody(ActionBody):
    original_case_id: Annotated[int, Field(ge=1, le=MAX_ID, description="合并至(原案卷)")]


class Decision(LabeledEnum):
    approve = ("approve", "批准")
    reject = ("reject", "驳回")


class ReviewBody(ActionBody):
    decision: Annotated[Decision, Field(description="审批意见: approve 批准 或 reject 驳回")]
    publish: Annotated[bool, Field(description="审批通过后结果公示")] = True


# --- the actions -------------------------------------------------------------------------


@dataclass
class Context:
    session: Session
    caller: crud.Caller
    case: Case
    body: Any
    now: dt.datetime
    to_status: CaseStatus | None = None  # set by the handler when it decides the outcome
    step_details: dict[str, Any] | None = None
    task: CaseTask | None = None
    task_list: list[CaseTask] | None = None  # the case's tasks, read once per action
    # (event, department) to tell once the action is done: an event describes the case as
    # the action left it (a dispatch event says "dispatched", with the department and due time).
    events: list[tuple[WebhookEvent, str]] = field(default_factory=list)


    def stay(self) -> None:
        """The action leaves the case's status as it is (e.g. one of several tasks done)."""
        self.to_status = self.case.status

    def move_to(self, status: CaseStatus) -> None:
        """Of the statuses the action may lead to, this one (the table lists them)."""
        self.to_status = status


@dataclass(frozen=True)
class Action:
    """A row of the table (backend/cases/actions.py) with what runs it."""

    name: str
    label: str
    allowed_from: tuple[CaseStatus, ...]
    leads_to: tuple[CaseStatus, ...]
    body: type[BaseModel]
    apply: Callable[[Context], None]

    def outcome(self, before: CaseStatus, decided: CaseStatus | None) -> CaseStatus:
        """The status after the action: the handler's choice, else the one the table gives."""
        if decided is None:
            decided = self.leads_to[0] if len(self.leads_to) == 1 else before
        if decided is not before and decided not in self.leads_to:
            raise RuntimeError(f"{self.name} may not lead to {decided}")  # a bug of ours
        return decided


def _department_of(ctx: Context) -> str | None:
    """The department the caller acts for: its department grant, if it has one."""
    principal = ctx.caller.principal
    if principal is None:
        return None
    codes = [g.department_code for g in principal.grants_for("cases", "read") if g.department_code]
    return codes[0] if codes else None


def _tasks(ctx: Context) -> list[CaseTask]:
    if ctx.task_list is None:
        ctx.task_list = tasks(ctx.session, ctx.case)
    return ctx.task_list


def _my_task(ctx: Context, statuses: tuple[TaskStatus, ...]) -> CaseTask:
    """The task the caller acts on: its department's, or the one named, or the primary one."""
    wanted = getattr(ctx.body, "task_id", None)
    department = _department_of(ctx)
    for task in _tasks(ctx):
        if task.status not in statuses:
            continue
        if wanted is not None and task.id != wanted:
            continue
        if department is not None and task.department_code != department:
            continue
        if wanted is None and department is None and not task.is_primary:
            continue
        return task
    raise ProblemError(409, "没有可执行此操作的处置任务")


def _deadline(ctx: Context, start: dt.datetime, category: CaseCategory) -> dt.datetime:
    return deadlines(ctx.session).due_at(start, category.deadline_value,
                                         DeadlineUnit(category.deadline_unit))


def category_of(session: Session, code: str) -> CaseCategory:
    return once_per_session(session, ("category", code), lambda: session.execute(
        select(CaseCategory).where(CaseCategory.code == code)).scalar_one())


def _category(ctx: Context) -> CaseCategory:
    return category_of(ctx.session, ctx.case.category_code)


def route(session: Session, case: Case) -> str | None:
    """The department for a case: the routing rule with the longest area prefix matching the
    case's grid, else one with no area, else the category's default department."""
    rules = once_per_session(session, ("routing", case.category_code), lambda: list(
        session.execute(select(RoutingRule.area_code, RoutingRule.department_code)
                        .where(RoutingRule.category_code == case.category_code))))
    matching = [r for r in rules if r.area_code is None or case.grid_code.startswith(r.area_code)]
    if matching:
        return max(matching, key=lambda r: len(r.area_code or "")).department_code
    return category_of(session, case.category_code).default_department_code


def _active_department(ctx: Context, code: str, field: str) -> Department:
    session = ctx.session
    department = once_per_session(session, ("department", code), lambda: session.execute(
        select(Department).where(Department.code == code)).scalar_one_or_none())
    if department is None or not department.is_active:
        raise field_error(422, field, f"部门 '{code}' 不存在或已停用")
    return department


def _open_task(ctx: Context, department: Department, primary: bool, instructions: str | None):
    category = _category(ctx)
    task = CaseTask(case_id=ctx.case.id, grid_code=ctx.case.grid_code,
                    department_code=department.code, is_primary=primary,
                    status=TaskStatus.dispatched, instructions=instructions,
                    due_at=_deadline(ctx, ctx.now, category), created_at=ctx.now,
                    updated_at=ctx.now)
    known = _tasks(ctx)  # read before the new one is written, so that it is listed once
    ctx.session.add(task)
    # Its id, for the step. Tasks are opened before the handler changes the case, so this
    # does not write the case: it is written once, at the end of the action.
    ctx.session.flush()
    known.append(task)
    return task


def do_file(ctx: Context) -> None:
    ctx.case.filed_at = ctx.now


def do_cancel(ctx: Context) -> None:
    ctx.case.cancel_reason = ctx.body.note
    ctx.case.closed_at = ctx.now


def do_dispatch(ctx: Context) -> None:
    case = ctx.case
    code = ctx.body.department_code or route(ctx.session, case)
    if code is None:
        raise field_error(422, "department_code", "该分类没有派遣规则或默认部门, 请指定处置部门")
    department = _active_department(ctx, code, "department_code")
    task = _open_task(ctx, department, True, ctx.body.instructions)
    case.department_code = department.code
    case.dispatched_at = case.dispatched_at or ctx.now
    case.sla_started_at = ctx.now
    case.due_at = task.due_at
    case.light = Light.green
    case.escalation_level = 0
    ctx.task = task
    ctx.step_details = {"department_code": department.code, "due_at": task.due_at.isoformat()}
    notify.department(ctx.session, department.code, NotificationKind.dispatch, case,
                      f"新派遣案卷 {case.code}: {case.title}", at=ctx.now)
    _webhook(ctx, WebhookEvent.dispatch, department.code)


def do_accept(ctx: Context) -> None:
    task = _my_task(ctx, (TaskStatus.dispatched,))
    task.status, task.accepted_at = TaskStatus.processing, ctx.now
    ctx.task = task
    if not task.is_primary:
        ctx.stay()


def do_return(ctx: Context) -> None:
    task = _my_task(ctx, (TaskStatus.dispatched, TaskStatus.processing))
    task.status = TaskStatus.returned
    ctx.task = task
    if task.is_primary:  # a wrong dispatch: back to the dispatcher, the clock stops
        case = ctx.case
        for other in _tasks(ctx):
            if other.status in OPEN_TASK:
                other.status = TaskStatus.returned
        case.department_code, case.due_at, case.sla_started_at, case.light = None, None, None, None
        case.extension_requested_due_at = None
    else:
        ctx.stay()


def do_feedback(ctx: Context) -> None:
    task = _my_task(ctx, (TaskStatus.processing,))
    task.status, task.handled_at, task.result = TaskStatus.handled, ctx.now, ctx.body.note
    ctx.task = task
    ctx.step_details = {"photo_urls": ctx.body.photo_urls} if ctx.body.photo_urls else None
    if all(t.status in (TaskStatus.handled, TaskStatus.verified, TaskStatus.returned)
           for t in _tasks(ctx)):
        ctx.case.handled_at = ctx.now
    else:
        ctx.stay()  # other departments are still at work


MAX_EXTENSION = dt.timedelta(days=366)


def do_request_extension(ctx: Context) -> None:
    case = ctx.case
    if case.extension_requested_due_at is not None:
        raise ProblemError(409, "已有待审批的延期申请")
    if case.due_at is None or ctx.body.requested_due_at <= case.due_at:
        raise field_error(422, "requested_due_at", "申请的时限应晚于当前处置时限")
    if ctx.body.requested_due_at > case.due_at + MAX_EXTENSION:
        # A case's light is counted on the working calendar up to its due time: years away
        # would make every read of it slow, and no real extension runs that long.
        raise field_error(422, "requested_due_at",
                          f"延期不能超过当前处置时限后 {MAX_EXTENSION.days} 天")
    case.extension_requested_due_at = ctx.body.requested_due_at
    ctx.step_details = {"requested_due_at": ctx.body.requested_due_at.isoformat()}
    notify.dispatchers(ctx.session, case, NotificationKind.extension,
                       f"延期申请 {case.code}: {ctx.body.note}", at=ctx.now)


def _decide_extension(ctx: Context, approve: bool) -> None:
    case = ctx.case
    if case.extension_requested_due_at is None:
        raise ProblemError(409, "没有待审批的延期申请")
    requested = case.extension_requested_due_at
    ctx.step_details = {"requested_due_at": requested.isoformat(), "approved": approve}
    case.extension_requested_due_at = None
    if approve:
        case.due_at = requested
        case.extension_count += 1
        case.light = Light.green
        for task in _tasks(ctx):
            if task.is_primary and task.status in OPEN_TASK:
                task.due_at = requested


def do_approve_extension(ctx: Context) -> None:
    _decide_extension(ctx, True)


def do_reject_extension(ctx: Context) -> None:
    _decide_extension(ctx, False)


def do_verify(ctx: Context) -> None:
    """Verify one department's handled task; the case closes when every task is verified."""
    task = _my_task(ctx, (TaskStatus.handled,))
    task.status, task.verified_at = TaskStatus.verified, ctx.now
    ctx.task = task
    if all(t.status in (TaskStatus.verified, TaskStatus.returned) for t in _tasks(ctx)):
        ctx.case.closed_at = ctx.now
    else:
        ctx.stay()


def do_close(ctx: Context) -> None:
    """核查结案: the dispatcher verifies every handled task and closes the case."""
    tasks = _tasks(ctx)
    unfinished = [t.department_code for t in tasks if t.status in (TaskStatus.dispatched,
                                                                     TaskStatus.processing)]
    if unfinished:
        raise ProblemError(409, f"部门 {', '.join(unfinished)} 尚未处置完毕, 不能结案")
    for task in tasks:
        if task.status is TaskStatus.handled:
            task.status, task.verified_at = TaskStatus.verified, ctx.now
    ctx.case.closed_at = ctx.now


def do_rework(ctx: Context) -> None:
    case = ctx.case
    case.rework_count += 1
    case.handled_at = None
    for task in _tasks(ctx):
        if task.status is TaskStatus.handled:  # back to the department, to accept again
            task.status, task.handled_at, task.accepted_at = TaskStatus.dispatched, None, None
    notify.department(ctx.session, case.department_code, NotificationKind.rework, case,
                      f"案卷 {case.code} 核查未通过, 需返工: {ctx.body.note}", at=ctx.now)
    _webhook(ctx, WebhookEvent.rework, case.department_code)


def do_handle_on_site(ctx: Context) -> None:
    case = ctx.case
    if case.handling_type is not HandlingType.general:
        raise ProblemError(409, "只有一般类案卷可由网格员现场处置")
    case.filed_at = case.handled_at = case.closed_at = ctx.now


def do_evaluate(ctx: Context) -> None:
    if ctx.case.satisfaction is not None:
        raise ProblemError(409, "该案卷已评价")
    ctx.case.satisfaction = ctx.body.satisfaction
    ctx.step_details = {"satisfaction": ctx.body.satisfaction}


def do_summon(ctx: Context) -> None:
    """社区吹哨、部门报到: several departments, each with its own task and deadline."""
    case = ctx.case
    held = {t.department_code for t in _tasks(ctx) if t.status in OPEN_TASK}
    codes = list(dict.fromkeys(ctx.body.department_codes))
    departments = [_active_department(ctx, code, f"department_codes.{n}")
                   for n, code in enumerate(codes)]
    first = case.status is S.filed
    opened = [(department, _open_task(ctx, department, primary=first and n == 0,
                                      instructions=ctx.body.instructions))
              for n, department in enumerate(departments) if department.code not in held]
    for department, task in opened:  # the tasks first, then the case
        notify.department(ctx.session, department.code, NotificationKind.summons, case,
                          f"吹哨报到 {case.code}: {case.title}", at=ctx.now)
        _webhook(ctx, WebhookEvent.summon, department.code)
        if task.is_primary:
            case.department_code, case.dispatched_at = department.code, ctx.now
            case.sla_started_at, case.due_at, case.light = ctx.now, task.due_at, Light.green
    ctx.step_details = {"department_codes": codes}
    if not first:
        ctx.stay()


def do_merge(ctx: Context) -> None:
    case = ctx.case
    # The original must be one the dispatcher may merge into: a case outside their scope is as
    # unknown as one that does not exist (no learning other areas' case codes this way).
    try:
        original = crud.get_row(ctx.session, CASES, ctx.body.original_case_id, ctx.caller, "merge")
    except ProblemError:
        original = None
    if original is None or original.id == case.id:
        raise field_error(422, "original_case_id", "原案卷不存在")
    if original.status in (S.cancelled, S.closed):
        raise field_error(422, "original_case_id", "只能合并到未办结的案卷")
    case.duplicate_of_id = original.id
    case.cancel_reason = f"重复案卷, 已合并至 {original.code}"
    case.closed_at = ctx.now
    ctx.step_details = {"original_case_id": original.id}
    # The original's timeline shows what was merged into it: linked both ways.
    ctx.session.add(CaseStep(case_id=original.id, grid_code=original.grid_code, action="merged",
                             from_status=original.status, to_status=original.status,
                             actor=ctx.caller.actor.name, created_at=ctx.now, updated_at=ctx.now,
                             note=f"合并重复案卷 {case.code}",
                             details={"duplicate_case_id": case.id}))


APPROVAL_STAGES = (ApprovalStage.pending, ApprovalStage.community_accepted,
                   ApprovalStage.street_reviewed, ApprovalStage.approved)
# Which stage a reviewer's grant may decide: community (12 digits) accepts, street (9) reviews,
# district (6) approves; the whole system may decide any.
STAGE_FOR_CODE_LENGTH = {area_codes.COMMUNITY_LENGTH: ApprovalStage.pending,
                         area_codes.STREET_LENGTH: ApprovalStage.community_accepted,
                         area_codes.COUNTY_LENGTH: ApprovalStage.street_reviewed}


def do_review_approval(ctx: Context) -> None:
    case = ctx.case
    if case.handling_type is not HandlingType.approval:
        raise ProblemError(409, "只有审批类案卷需要逐级审批")
    stage = case.approval_stage or ApprovalStage.pending
    principal = ctx.caller.principal
    if principal is not None:
        grants = principal.grants_for("cases", "review-approval")
        if not any(g.is_global or STAGE_FOR_CODE_LENGTH.get(len(g.area_code or "")) is stage
                   for g in grants):
            raise ProblemError(403, f"当前环节 ({stage.label}) 不由您审批")
    if ctx.body.decision == "reject":
        case.cancel_reason, case.closed_at = f"审批未通过: {ctx.body.note or ''}", ctx.now
        ctx.move_to(S.cancelled)
        return
    case.approval_stage = APPROVAL_STAGES[APPROVAL_STAGES.index(stage) + 1]
    ctx.step_details = {"approval_stage": case.approval_stage.value}
    if case.approval_stage is ApprovalStage.approved:
        case.public_notice = ctx.body.publish
        case.closed_at = ctx.now
        ctx.move_to(S.closed)
    else:
        ctx.stay()


def _webhook(ctx: Context, event: WebhookEvent, department_code: str | None) -> None:
    """Tell the department once the action is done (`perform` queues ctx.events last)."""
    if department_code is not None:
        ctx.events.append((event, department_code))


# Each action's body and handler; its statuses, label and who takes it are in the table.
HANDLERS: dict[str, tuple[type[BaseModel], Callable[[Context], None]]] = {
    "file": (ActionBody, do_file),
    "cancel": (NoteRequired, do_cancel),
    "dispatch": (DispatchBody, do_dispatch),
    "accept": (TaskBody, do_accept),
    "return": (ReturnBody, do_return),
    "feedback": (FeedbackBody, do_feedback),
    "request-extension": (ExtensionBody, do_request_extension),
    "approve-extension": (ActionBody, do_approve_extension),
    "reject-extension": (ActionBody, do_reject_extension),
    "verify": (TaskBody, do_verify),
    "close": (ActionBody, do_close),
    "rework": (NoteRequired, do_rework),
    "handle-on-site": (NoteRequired, do_handle_on_site),
    "evaluate": (EvaluateBody, do_evaluate),
    "summon": (SummonBody, do_summon),
    "merge": (MergeBody, do_merge),
    "review-approval": (ReviewBody, do_review_approval),
}
if set(HANDLERS) != set(CASE_ACTIONS):
    raise RuntimeError(f"actions without a handler or a row: {set(HANDLERS) ^ set(CASE_ACTIONS)}")
ACTIONS: dict[str, Action] = {
    name: Action(row.name, row.label, row.from_statuses, row.to_statuses, *HANDLERS[name])
    for name, row in CASE_ACTIONS.items()}


def parse_body(action: Action, raw: dict[str, Any] | None) -> BaseModel:
    try:
        return action.body.model_validate(raw or {})
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None


def perform(
    session: Session, case_id: int, action_name: str, raw_body: dict[str, Any] | None,
    caller: crud.Caller, if_match: str | None = None, now: dt.datetime | None = None,
    commit: bool = True, flush: bool = True,
) -> Case:
    """Take one action on one case: check, change, log, notify — all or nothing.

    `now` is the action's time (default: the clock): the steps, tasks, audit entries,
    notifications and webhook events it writes carry it, and due times count from it. The
    demo seed plays a year of cases through here at their own times. `commit` False leaves
    the transaction to the caller (the seed's is one for the whole year); `flush` False even
    the flush, to a caller that flushes before anything reads what was written (the seed
    writes the steps of many cases in one flush).
    """
    action = ACTIONS.get(action_name)
    if action is None:
        raise ProblemError(404, f"未知的操作 '{action_name}', 可用: {', '.join(ACTIONS)}")
    if caller.principal is None:  # the system itself (CLI, seed): no scope, the loaded row
        case = session.get(Case, case_id)
        if case is None:
            raise not_found(CASES.label, case_id)
    else:
        case = crud.get_row(session, CASES, case_id, caller, action.name)
    crud.check_if_match(case, if_match)
    if case.status not in action.allowed_from:
        allowed = allowed_actions(case.status)
        raise ProblemError(
            409, f"案卷当前状态为{case.status.label}, 不能{action.label}; "
                 f"可执行: {', '.join(allowed)}",
            [FieldError("action", f"allowed: {', '.join(allowed)}")])
    body = parse_body(action, raw_body)
    ctx = Context(session, caller, case, body, now or utcnow())
    before = case.status
    # The handler's lookups must not write the case half-changed: it is written once, in the
    # flush below, so that each action moves its version by one.
    with session.no_autoflush:
        action.apply(ctx)
    after = action.outcome(before, ctx.to_status)
    case.status = after
    case.updated_at = ctx.now  # every step is an edit of the case: its version moves
    for event, department_code in ctx.events:  # the case as the action left it
        webhooks.enqueue(session, event, case, department_code=department_code, at=ctx.now)
    for task in ctx.task_list or ():  # and of the tasks it moved on, at the same time
        if session.is_modified(task):
            task.updated_at = ctx.now
    session.add(CaseStep(
        case_id=case.id, grid_code=case.grid_code, action=action.name, from_status=before,
        to_status=after, actor=caller.actor.name,
        department_code=ctx.task.department_code if ctx.task else case.department_code,
        task_id=ctx.task.id if ctx.task else None, note=getattr(body, "note", None),
        details=ctx.step_details or {}, created_at=ctx.now, updated_at=ctx.now,
    ))
    audit.record(session, caller.actor, action.name, CASES.name, case.id, case.grid_code,
                 {"status": (before.value, after.value)} | {
                     k: (None, v) for k, v in (ctx.step_details or {}).items()}, at=ctx.now)
    if flush or commit:
        session.flush()
    if commit:
        session.commit()
    return case


def steps(session: Session, case: Case) -> list[CaseStep]:
    return list(session.execute(
        select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.id)).scalars())


def count_open(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Case)
                           .where(Case.status.in_(OPEN_STATUSES))).scalar_one()


def tasks(session: Session, case: Case) -> list[CaseTask]:
    return list(session.execute(
        select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.id)).scalars())


WORKFLOW_START = "<!-- workflow:start (generated by `gridlink policy matrix --write`) -->"
WORKFLOW_END = "<!-- workflow:end -->"


def actions_markdown() -> str:
    """The README's workflow table: the action table with what each action's body carries."""
    def statuses(values: tuple[CaseStatus, ...]) -> str:
        return " / ".join(f"{s.label} `{s.value}`" for s in values)

    lines = [WORKFLOW_START, "",
             "| action | 操作 | from 自 | to 至 | body 字段 | who 默认由 |",
             "|---|---|---|---|---|---|"]
    for action in ACTIONS.values():
        fields = ", ".join(f"`{name}`" + ("" if info.is_required() else "?")
                           for name, info in action.body.model_fields.items()) or "–"
        who = "、".join(role.label for role in CASE_ACTIONS[action.name].who)
        lines.append(f"| `{action.name}` | {action.label} | {statuses(action.allowed_from)} | "
                     f"{statuses(action.leads_to) or '不变 same'} | {fields} | {who} |")
    lines += ["", WORKFLOW_END]
    return "\n".join(lines)

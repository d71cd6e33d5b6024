"""An assessment run: a scheme applied to a period and an area, every unit's score stored.

The inputs are the KPI module's figures of the period (backend/assessment/figures.py), the
hand scores and vetoes entered for it (assessment-entries). Per item:

- computed: `proportional` points × rate; `inverse` points × (1 − rate); `target` full points
  at or above the target, none at or below the floor (default 0), in between in proportion.
  No figure (nothing due, no household to visit) takes the full points: nothing to answer for.
- manual: the points entered; none entered takes the full points (the office enters its
  deductions, 扣分, with the reason).
- veto: worth nothing; one entered makes the unit 不合格 whatever its points, ranked after
  every unit not vetoed.

Units with the same total share a rank (1, 2, 2, 4). Grade by the scheme's thresholds. A
grid-chief run marks the top `star_share` of its ranking 星级网格员; a quarterly community run
counts the quarters each community has been in the bottom two (this and the final runs of the
quarters before) and flags three running.

A run is a draft until finalized (only once its period has ended); a final run is never
changed. Running a period again makes a new run, which records what differs from the last.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.areas.models import Area, Grid
from backend.assessment.entities import ASSESSMENT_RUNS, ASSESSMENT_SCORES
from backend.assessment.figures import CASE_FIGURES, COVERAGE_FIGURES, DISPUTE_FIGURES
from backend.assessment.models import (
    FULL_MARKS,
    AssessmentEntry,
    AssessmentItem,
    AssessmentLevel,
    AssessmentRun,
    AssessmentScheme,
    AssessmentScore,
    Grade,
    ItemKind,
    RunStatus,
    ScoringRule,
)
from backend.assessment.schemas import AssessmentRunCreate
from backend.audit import writer as audit
from backend.cases.models import Department
from backend.core import area_codes, crud
from backend.core.db import utcnow
from backend.core.errors import ProblemError, field_error
from backend.core.filtering import ListQuery
from backend.kpi import coverage as kpi_coverage
from backend.kpi import disputes as kpi_disputes
from backend.kpi import service as kpi
from backend.kpi.periods import Period, PeriodKind, beijing_today, period_of
from backend.kpi.rates import work_log_rate_of
from backend.kpi.scope import Subject
from backend.team.models import GridStaff, TeamRole
from rbac.scope import row_in_scope

POINT_DIGITS = 2
MAX_UNITS = 100_000  # a run's scores read at once: every grid of a city
RUN = "run"  # the policy's action on assessment-runs that makes one
FINALIZE = "finalize"
BOTTOM = 2  # the bottom-two rule
BOTTOM_QUARTERS = 3  # ... three quarters running


@dataclass
class Unit:
    code: str
    name: str
    area_code: str
    department_code: str | None
    inputs: dict[str, float | None]


# --- the units and their figures, from the KPI module ------------------------------------------

def _case_inputs(row: dict[str, Any] | None) -> dict[str, float | None]:
    if row is None:  # nothing reported, nothing due: no rate
        return dict.fromkeys(CASE_FIGURES)
    inputs = {name: row["rates"].get(name) for name in CASE_FIGURES if name != "kpi_score"}
    inputs["kpi_score"] = None if row["score"] is None else row["score"] / 100
    return inputs


def _coverage_inputs(row: dict[str, Any]) -> dict[str, float | None]:
    return {name: row["rates"][name] for name in COVERAGE_FIGURES}


def _dispute_inputs(row: dict[str, Any] | None) -> dict[str, float | None]:
    if row is None:
        return dict.fromkeys(DISPUTE_FIGURES)
    return {name: row["rates"][name] for name in DISPUTE_FIGURES}


def units_of(session: Session, caller: crud.Caller, level: AssessmentLevel, period: Period,
             subject: Subject, now: dt.datetime) -> list[Unit]:
    """The units of `level` in the subject's area, each with its figures of the period."""
    if level is AssessmentLevel.department:
        ranked = {row["code"]: row for row in kpi.rankings(
            session, caller=caller, period=period, subject=subject, by="department", now=now)}
        departments = session.execute(
            select(Department.code, Department.name, Department.area_code)
            .where(Department.is_active.is_(True)).order_by(Department.code)).tuples()
        return [Unit(code, name, area, code, _case_inputs(ranked.get(code)))
                for code, name, area in departments]
    by = "community" if level is AssessmentLevel.community else "grid"
    ranked = {row["code"]: row for row in kpi.rankings(
        session, caller=caller, period=period, subject=subject, by=by, now=now)}
    covered = kpi_coverage.coverage(session, caller=caller, period=period, subject=subject,
                                    by=by, now=now)["by"]
    disputed = {row["code"]: row for row in kpi_disputes.dispute_figures(
        session, caller=caller, period=period, subject=subject, by=by, now=now)["by"]}
    if level is not AssessmentLevel.grid_chief:
        return [Unit(row["code"], row["name"] or row["code"], row["code"], None,
                     _case_inputs(ranked.get(row["code"])) | _coverage_inputs(row)
                     | _dispute_inputs(disputed.get(row["code"])))
                for row in covered]
    # A grid chief answers for the grid's figures, and for their own work logs.
    grids = {row["code"]: row for row in covered}
    scope = kpi_coverage.coverage_scope(session, caller, subject)
    logs = {row["staff_id"]: row for row in kpi_coverage.work_log_rows(
        session, scope, period, now)}
    chiefs = session.execute(
        select(GridStaff.id, GridStaff.name, GridStaff.grid_code)
        .where(GridStaff.grid_code.in_(list(grids)), GridStaff.team_role == TeamRole.grid_chief,
               GridStaff.is_active.is_(True)).order_by(GridStaff.grid_code, GridStaff.id))
    units = []
    for staff_id, name, grid_code in chiefs.tuples():
        grid = grids[grid_code]
        inputs = (_case_inputs(ranked.get(grid_code)) | _coverage_inputs(grid)
                  | _dispute_inputs(disputed.get(grid_code)))
        log = logs.get(staff_id)
        inputs["work_log_rate"] = work_log_rate_of(log) if log is not None else None
        units.append(Unit(str(staff_id), f"{name} ({grid['name'] or grid_code})", grid_code,
                          None, inputs))
    return units


# --- scoring ----------------------------------------------------------------------------------

def snapshot(scheme: AssessmentScheme, items: list[AssessmentItem]) -> dict[str, Any]:
    """The scheme as it stands: what a run's scores are computed by, kept with the run."""
    return {
        "id": scheme.id, "name": scheme.name, "level": scheme.level.value,
        "excellent_min": scheme.excellent_min, "qualified_min": scheme.qualified_min,
        "basic_min": scheme.basic_min, "star_share": scheme.star_share,
        "items": [{"id": item.id, "position": item.position, "name": item.name,
                   "kind": item.kind.value, "points": item.points, "figure": item.figure,
                   "rule": item.rule.value if item.rule else None, "target": item.target,
                   "floor": item.floor, "standard": item.standard} for item in items]}


def computed_points(item: dict[str, Any], value: float | None) -> tuple[float, str | None]:
    full = item["points"]
    if value is None:
        return full, "无考核数据, 按满分计"
    match ScoringRule(item["rule"]):
        case ScoringRule.proportional:
            share = value
        case ScoringRule.inverse:
            share = 1 - value
        case ScoringRule.target:
            floor, target = item["floor"] or 0.0, item["target"]
            share = min(max((value - floor) / (target - floor), 0.0), 1.0)
    return round(full * min(max(share, 0.0), 1.0), POINT_DIGITS), None


def grade_of(total: float, vetoed: bool, scheme: dict[str, Any]) -> Grade:
    if vetoed:
        return Grade.unqualified
    if total >= scheme["excellent_min"]:
        return Grade.excellent
    if total >= scheme["qualified_min"]:
        return Grade.qualified
    if total >= scheme["basic_min"]:
        return Grade.basic
    return Grade.unqualified


def score_unit(unit: Unit, scheme: dict[str, Any],
               entries: dict[tuple[int, str], AssessmentEntry]) -> dict[str, Any]:
    items, vetoes = [], []
    for item in scheme["items"]:
        entry = entries.get((item["id"], unit.code))
        kind = ItemKind(item["kind"])
        note: str | None
        if kind is ItemKind.computed:
            points, note = computed_points(item, unit.inputs.get(item["figure"]))
        elif kind is ItemKind.manual:
            points = item["points"] if entry is None or entry.points is None else entry.points
            note = entry.reason if entry is not None else None
        else:
            points, note = 0.0, None
            if entry is not None and entry.vetoed:
                vetoes.append(f"{item['name']}: {entry.reason}")
                note = entry.reason
        items.append({"item": item["id"], "name": item["name"], "kind": kind.value,
                      "max": item["points"], "points": points, "note": note})
    total = round(sum(i["points"] for i in items), POINT_DIGITS)
    vetoed = bool(vetoes)
    return {"unit_code": unit.code, "unit_name": unit.name, "area_code": unit.area_code,
            "department_code": unit.department_code, "inputs": unit.inputs, "items": items,
            "total": total, "vetoed": vetoed, "veto_reason": "; ".join(vetoes) or None,
            "grade": grade_of(total, vetoed, scheme), "star": False, "bottom_streak": 0,
            "flagged": False}


def rank(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best first; the vetoed after all others; equal totals share a rank (1, 2, 2, 4)."""
    ordered = sorted(scores, key=lambda s: (s["vetoed"], -s["total"], s["unit_code"]))
    for position, score in enumerate(ordered, start=1):
        before = ordered[position - 2] if position > 1 else None
        tied = before is not None and (before["vetoed"], before["total"]) == (
            score["vetoed"], score["total"])
        score["rank"] = before["rank"] if tied and before is not None else position
    return ordered


def mark_stars(scores: list[dict[str, Any]], share: float) -> None:
    standing = [s for s in scores if not s["vetoed"]]
    if not standing or share <= 0:
        return
    cutoff = max(1, math.ceil(len(standing) * share))
    for score in standing:
        score["star"] = score["rank"] <= cutoff


def _previous_quarter(period: Period) -> Period:
    return period_of(PeriodKind.quarter, period.first - dt.timedelta(days=1))


def mark_bottom_two(session: Session, run: AssessmentRun, scores: list[dict[str, Any]]) -> None:
    """Quarters running in the bottom two, carried on from the previous quarter's final run of
    the same scheme and area."""
    if len(scores) <= BOTTOM:
        return  # two communities are always the bottom two: no rule to apply
    before = session.execute(
        select(AssessmentRun.id).where(
            AssessmentRun.scheme_id == run.scheme_id, AssessmentRun.area_code == run.area_code,
            AssessmentRun.period_first == _previous_quarter(run_period(run)).first,
            AssessmentRun.period_kind == PeriodKind.quarter,
            AssessmentRun.status == RunStatus.final)
        .order_by(AssessmentRun.id.desc()).limit(1)).scalar()
    streaks: dict[str, int] = {}
    if before is not None:
        streaks = dict(session.execute(select(AssessmentScore.unit_code,
                                              AssessmentScore.bottom_streak)
                                       .where(AssessmentScore.run_id == before)).tuples().all())
    last_rank = len(scores) - BOTTOM + 1
    for score in scores:
        if score["rank"] >= last_rank:
            score["bottom_streak"] = streaks.get(score["unit_code"], 0) + 1
            score["flagged"] = score["bottom_streak"] >= BOTTOM_QUARTERS


def run_period(run: AssessmentRun) -> Period:
    return Period(PeriodKind(run.period_kind), run.period_first, run.period_last)


def changes_from(session: Session, previous_run_id: int, scores: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    """What a re-run changed: per unit, the total, grade or rank that differ (or the unit
    that came or went). Of the previous run only what is compared is read, not the JSON."""
    before = {row.unit_code: row for row in session.execute(
        select(AssessmentScore.unit_code, AssessmentScore.unit_name, AssessmentScore.total,
               AssessmentScore.grade, AssessmentScore.rank)
        .where(AssessmentScore.run_id == previous_run_id))}
    changes = []
    for score in scores:
        old = before.pop(score["unit_code"], None)
        if old is None:
            changes.append({"unit_code": score["unit_code"], "unit_name": score["unit_name"],
                            "field": "unit", "before": None, "after": "新增"})
            continue
        for field in ("total", "grade", "rank"):
            was = getattr(old, field)
            was = was.value if field == "grade" else was
            now = score[field].value if field == "grade" else score[field]
            if was != now:
                changes.append({"unit_code": score["unit_code"], "unit_name": score["unit_name"],
                                "field": field, "before": was, "after": now})
    for old in before.values():
        changes.append({"unit_code": old.unit_code, "unit_name": old.unit_name,
                        "field": "unit", "before": "原有", "after": None})
    return changes


# --- runs -------------------------------------------------------------------------------------

def _run_area(session: Session, caller: crud.Caller, area_code: str | None) -> str:
    """The area a run is of: the one given, or the caller's only area; 404 for one outside
    the caller's grants, as for a missing one."""
    principal = caller.principal
    if area_code is None:
        if principal is None:
            raise field_error(422, "area_code", "请给出考核区域")
        areas = {g.area_code for g in principal.require(ASSESSMENT_RUNS.name, RUN)
                 if g.area_code is not None}
        if len(areas) != 1:
            raise field_error(422, "area_code", "请给出考核区域 (您的辖区不止一个或不按区域)")
        area_code = areas.pop()
    model, column = ((Grid, Grid.code) if area_codes.is_grid_code(area_code)
                     else (Area, Area.code))
    exists = session.execute(select(model.id).where(column == area_code)).first() is not None
    if not exists or (principal is not None and not row_in_scope(
            principal, ASSESSMENT_RUNS, RUN, {"area_code": area_code})):
        raise field_error(404, "area_code", f"区域 {area_code} 不存在")
    return area_code


def _scheme(session: Session, scheme_id: int) -> tuple[AssessmentScheme, list[AssessmentItem]]:
    scheme = session.get(AssessmentScheme, scheme_id)
    if scheme is None:
        raise field_error(422, "scheme_id", f"考核方案 {scheme_id} 不存在")
    if not scheme.is_active:
        raise field_error(422, "scheme_id", f"考核方案 {scheme.name} 已停用")
    items = list(session.execute(select(AssessmentItem).where(
        AssessmentItem.scheme_id == scheme.id).order_by(AssessmentItem.position,
                                                         AssessmentItem.id)).scalars())
    total = sum(item.points for item in items if item.kind is not ItemKind.veto)
    if total != FULL_MARKS:
        raise field_error(422, "scheme_id",
                          f"考核方案 {scheme.name} 的分值合计 {total} 分, 应为 {FULL_MARKS} 分")
    return scheme, items


def start_run(session: Session, body: AssessmentRunCreate, caller: crud.Caller,
              now: dt.datetime | None = None, commit: bool = True) -> AssessmentRun:
    """Compute and store a draft run of the scheme for the period holding `date` (`commit`
    False: flushed, in the caller's transaction, as the demo seed's)."""
    now = now or utcnow()
    if caller.principal is not None:
        caller.principal.require(ASSESSMENT_RUNS.name, RUN)
    area_code = _run_area(session, caller, body.area_code)
    scheme, items = _scheme(session, body.scheme_id)
    period = period_of(PeriodKind(body.period), body.date)
    if period.first > beijing_today(now):
        raise field_error(422, "date", f"{period.label} 尚未开始")
    frozen = snapshot(scheme, items)
    units = units_of(session, caller, scheme.level, period, Subject(area_code=area_code), now)
    entries = {(entry.item_id, entry.unit_code): entry for entry in session.execute(
        select(AssessmentEntry).where(
            AssessmentEntry.item_id.in_([item.id for item in items]),
            AssessmentEntry.period_kind == period.kind,
            AssessmentEntry.period_first == period.first)).scalars()}
    scores = rank([score_unit(unit, frozen, entries) for unit in units])
    previous = session.execute(select(AssessmentRun).where(
        AssessmentRun.scheme_id == scheme.id, AssessmentRun.area_code == area_code,
        AssessmentRun.period_kind == period.kind, AssessmentRun.period_first == period.first)
        .order_by(AssessmentRun.id.desc()).limit(1)).scalar()
    run = AssessmentRun(
        scheme_id=scheme.id, level=scheme.level, period_kind=period.kind,
        period_first=period.first, period_last=period.last, period_label=period.label,
        area_code=area_code, status=RunStatus.draft, scheme_snapshot=frozen, computed_at=now,
        created_by=caller.person, previous_run_id=previous.id if previous else None,
        units=len(scores), created_at=now, updated_at=now)
    if scheme.level is AssessmentLevel.grid_chief:
        mark_stars(scores, scheme.star_share)
    if scheme.level is AssessmentLevel.community and period.kind is PeriodKind.quarter:
        mark_bottom_two(session, run, scores)
    if previous is not None:
        run.changes = changes_from(session, previous.id, scores)
    session.add(run)
    session.flush()
    # One multi-row INSERT: a thousand grids' ORM objects took twice as long (benchmarks/
    # RESULTS.md, "Assessment run").
    if scores:
        session.execute(insert(AssessmentScore.__table__), [
            {"run_id": run.id, "created_at": now, "updated_at": now, "version": 1, **score}
            for score in scores])
    audit.record(session, caller.actor, RUN, ASSESSMENT_RUNS.name, run.id, area_code,
                 {"scheme_id": (None, scheme.id), "period": (None, period.label),
                  "units": (None, len(scores))}, at=now)
    if commit:
        session.commit()
    else:
        session.flush()
    return run


def get_run(session: Session, run_id: int, caller: crud.Caller, action: str = "read"
            ) -> AssessmentRun:
    run: AssessmentRun = crud.get_row(session, ASSESSMENT_RUNS, run_id, caller, action)
    return run


def finalize(session: Session, run_id: int, caller: crud.Caller,
             now: dt.datetime | None = None, commit: bool = True) -> AssessmentRun:
    """A draft run becomes the period's result, never to change again."""
    now = now or utcnow()
    run = get_run(session, run_id, caller, FINALIZE)
    if run.status is RunStatus.final:
        raise ProblemError(409, f"考核批次 {run.id} 已定稿, 不能再改; 如需更正请重新考核")
    if run.period_last >= beijing_today(now):
        raise ProblemError(409, f"{run.period_label} 尚未结束, 不能定稿")
    run.status, run.finalized_at, run.finalized_by = RunStatus.final, now, caller.person
    run.updated_at = now
    audit.record(session, caller.actor, FINALIZE, ASSESSMENT_RUNS.name, run.id, run.area_code,
                 {"status": (RunStatus.draft.value, RunStatus.final.value)}, at=now)
    if commit:
        session.commit()
    else:
        session.flush()
    return run


def area_name(session: Session, code: str) -> str:
    model, column = (Grid, Grid.code) if area_codes.is_grid_code(code) else (Area, Area.code)
    return session.execute(select(model.name).where(column == code)).scalar() or code


def ranking(session: Session, run: AssessmentRun, caller: crud.Caller) -> list[dict[str, Any]]:
    """The run's scores the caller may read, best first."""
    table = AssessmentScore.__table__
    query = ListQuery(conditions=[table.c.run_id == run.id],
                      order_by=[table.c.rank, table.c.unit_code], limit=MAX_UNITS, count=False)
    rows, _total = crud.list_rows(session, ASSESSMENT_SCORES, query, caller)
    return rows

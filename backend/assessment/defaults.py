"""The schemes an office starts from: the plans' 千分制 for grids, grid chiefs and communities,
and the published department formula on 1,000 points; vetoes as the plans name them (计划生育,
安全生产, 信访维稳). Installed by `gridlink assessment defaults` and the demo; edited after
that like any reference data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.assessment.entities import ASSESSMENT_ITEMS, ASSESSMENT_SCHEMES
from backend.assessment.models import AssessmentScheme
from backend.assessment.schemas import AssessmentItemCreate, AssessmentSchemeCreate
from backend.core import crud


def _computed(name: str, points: int, figure: str, rule: str, target: float | None = None,
              floor: float | None = None, standard: str | None = None) -> dict[str, Any]:
    return {"name": name, "kind": "computed", "points": points, "figure": figure, "rule": rule,
            "target": target, "floor": floor, "standard": standard}


def _manual(name: str, points: int, standard: str) -> dict[str, Any]:
    return {"name": name, "kind": "manual", "points": points, "standard": standard}


def _veto(name: str, standard: str) -> dict[str, Any]:
    return {"name": name, "kind": "veto", "points": 0, "standard": standard}


VETOES = [
    _veto("计划生育", "发生违反计划生育政策的重大问题, 年度考核不合格"),
    _veto("安全生产", "辖区发生较大及以上安全生产事故, 年度考核不合格"),
    _veto("信访维稳", "发生越级集体上访或重大不稳定事件, 年度考核不合格"),
]
GRID_WORK = [
    _computed("按期结案率", 200, "on_time_closure_rate", "target", 0.95, 0.6,
              "95%及以上得满分, 60%及以下不得分, 其间按比例计分"),
    _computed("处置率", 50, "handling_rate", "proportional", standard="按处置率比例计分"),
    _computed("返工率", 50, "rework_rate", "inverse", standard="按 (1 − 返工率) 比例计分"),
    _computed("群众满意率", 100, "satisfaction_rate", "target", 0.9, 0.5,
              "90%及以上得满分, 50%及以下不得分"),
    _computed("巡查覆盖率", 150, "patrol_rate", "target", 1.0, 0.8,
              "每个网格每天巡查; 全覆盖得满分, 80%及以下不得分"),
    _computed("重点户走访覆盖率", 100, "key_visit_rate", "target", 1.0, 0.7,
              "重点户、困难户每季度走访; 全覆盖得满分, 70%及以下不得分"),
    _computed("走访覆盖率", 50, "visit_rate", "proportional", standard="每户每年至少走访一次"),
    _computed("日志完整率", 50, "work_log_rate", "target", 1.0, 0.8,
              "每个工作日一篇; 缺一篇按比例扣分, 80%及以下不得分"),
    _computed("矛盾纠纷排查上报", 50, "screening_on_time_rate", "target", 1.0, 0.5,
              "半月一排查一上报 (含零报告); 按时上报率100%得满分, 50%及以下不得分"),
    _computed("矛盾纠纷化解率", 50, "settlement_rate", "target", 0.9, 0.5,
              "发现的矛盾纠纷化解90%及以上得满分, 50%及以下不得分"),
    _manual("台账管理", 50, "八类台账齐全、更新及时; 督查发现缺项、错项每项扣5分"),
    _manual("双向点评", 100, "社区、居民代表评议; 按评议结果计分"),
]
DEFAULT_SCHEMES: list[dict[str, Any]] = [
    {"name": "网格千分制考核", "level": "grid", "items": GRID_WORK + VETOES,
     "note": "按季度考核, 结果与月度绩效、年终奖励挂钩"},
    {"name": "网格长千分制考核", "level": "grid_chief", "items": GRID_WORK + VETOES,
     "star_share": 0.1, "note": "排名前10%评为星级网格员"},
    {"name": "社区千分制考核", "level": "community", "items": GRID_WORK + VETOES,
     "note": "季度排名连续三次后两位的社区通报批评"},
    {"name": "职能部门千分制考核", "level": "department", "items": [
        _computed("处置率", 300, "handling_rate", "proportional"),
        _computed("按期处置率", 200, "on_time_handling_rate", "proportional"),
        _computed("返工率", 200, "rework_rate", "inverse"),
        _computed("超期率", 200, "overdue_rate", "inverse"),
        _computed("延期率", 100, "extension_rate", "inverse"),
        _veto("安全生产", "职责范围内发生较大及以上安全生产事故, 年度考核不合格"),
    ], "note": "即公布的部门考核公式: 处置率30 + 按期处置率20 + (1−返工率)20 + (1−超期率)20 + "
               "(1−延期率)10, 折算为千分"},
]


def install_defaults(session: Session, caller: crud.Caller, at: dt.datetime | None = None
                     ) -> list[AssessmentScheme]:
    """The default schemes not yet there (by name), with their items; returns those added.
    `at`: when (default now; the demo seed's own clock)."""
    taken = set(session.execute(select(AssessmentScheme.name)).scalars())
    added = []
    for plan in DEFAULT_SCHEMES:
        if plan["name"] in taken:
            continue
        fields = {k: v for k, v in plan.items() if k != "items"}
        scheme = crud.create_row(session, ASSESSMENT_SCHEMES,
                                 AssessmentSchemeCreate.model_validate(fields), caller,
                                 at=at, commit=False)
        for position, item in enumerate(plan["items"], start=1):
            crud.create_row(session, ASSESSMENT_ITEMS, AssessmentItemCreate.model_validate(
                item | {"scheme_id": scheme.id, "position": position}), caller, at=at,
                commit=False)
        added.append(scheme)
    return added

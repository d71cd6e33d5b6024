"""The figures an assessment item may be computed from, per level: rates of backend/kpi only.

The assessment divides nothing itself. The case rates come from kpi.service.rankings (per
grid, community or department), the field-work rates from kpi.coverage (per grid or
community; a grid chief's own work-log completeness from the roster's rows), the disputes'
from kpi.disputes (per grid or community), and the KPI score (0–100) is read as a share of 100.
"""

from __future__ import annotations

from backend.assessment.models import AssessmentLevel
from backend.kpi.rates import FIGURE_LABELS

CASE_FIGURES = ("on_time_closure_rate", "closure_rate", "handling_rate",
                "on_time_handling_rate", "rework_rate", "extension_rate", "overdue_rate",
                "satisfaction_rate", "kpi_score")
COVERAGE_FIGURES = ("patrol_rate", "visit_rate", "key_visit_rate", "work_log_rate")
# 矛盾纠纷排查化解 (backend/kpi/disputes.py): late and missing screenings cost points.
DISPUTE_FIGURES = ("settlement_rate", "low_level_share", "screening_on_time_rate")
GRID_FIGURES = CASE_FIGURES + COVERAGE_FIGURES + DISPUTE_FIGURES

FIGURES_BY_LEVEL = {
    AssessmentLevel.grid: GRID_FIGURES,
    AssessmentLevel.grid_chief: GRID_FIGURES,
    AssessmentLevel.community: GRID_FIGURES,
    AssessmentLevel.department: CASE_FIGURES,  # departments walk no grid
}


def figure_label(name: str) -> str:
    return FIGURE_LABELS[name][0]


def figures_note(level: AssessmentLevel) -> str:
    return ", ".join(f"{name} ({figure_label(name)})" for name in FIGURES_BY_LEVEL[level])

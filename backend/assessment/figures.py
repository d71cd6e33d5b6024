"""The figures an assessment item may be computed from, per level: rates of backend/kpi only.

The assessment divides nothing itself. The case rates come from kpi.service.rankings (per
grid, community or department), the field-work rates from kpi.coverage (per grid or
community; a grid chief's own work-log completeness from the roster's rows), and the KPI
score (0–100) is read as a share of 100.
"""

from __future__ import annotations

from backend.assessment.models import AssessmentLevel
from backend.kpi.rates import FIGURE_LABELS

CASE_FIGURES = ("on_time_closure_rate", "closure_rate", "handling_rate",
                "on_time_handling_rate", "rework_rate", "extension_rate", "overdue_rate",
                "satisfaction_rate", "kpi_score")
COVERAGE_FIGURES = ("patrol_rate", "visit_rate", "key_visit_rate", "work_log_rate")

FIGURES_BY_LEVEL = {
    AssessmentLevel.grid: CASE_FIGURES + COVERAGE_FIGURES,
    AssessmentLevel.grid_chief: CASE_FIGURES + COVERAGE_FIGURES,
    AssessmentLevel.community: CASE_FIGURES + COVERAGE_FIGURES,
    AssessmentLevel.department: CASE_FIGURES,  # departments walk no grid
}


def figure_label(name: str) -> str:
    return FIGURE_LABELS[name][0]


def figures_note(level: AssessmentLevel) -> str:
    return ", ".join(f"{name} ({figure_label(name)})" for name in FIGURES_BY_LEVEL[level])

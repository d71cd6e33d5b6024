"""The rates and the department score from the counts: the one place each is divided.

Rates are fractions (0–1), None when their denominator is 0 (nothing due: no rate, not 0).
The score weighs the unrounded rates with the published weights (settings: GRIDLINK_KPI_*).
"""

from __future__ import annotations

from typing import Any

from backend.core.config import Settings

RATE_DIGITS = 4
SCORE_DIGITS = 1

# What each figure is called, for every client (GET /api/v1/labels): zh-CN, English.
FIGURE_LABELS = {
    "reported": ("上报数", "reported"),
    "filed": ("立案数", "filed"),
    "dispatched": ("派遣数", "dispatched"),
    "closed": ("结案数", "closed"),
    "cancelled": ("作废数", "cancelled"),
    "due": ("应结案数", "due"),
    "closed_on_time": ("按期结案数", "closed on time"),
    "handled": ("处置数", "handled"),
    "handled_on_time": ("按期处置数", "handled on time"),
    "reworked": ("返工案卷数", "reworked cases"),
    "reworks": ("返工次数", "reworks"),
    "extended": ("延期案卷数", "extended cases"),
    "open": ("未办结数", "open"),
    "overdue": ("超期未处置数", "overdue"),
    "evaluated": ("评价数", "evaluated"),
    "satisfied": ("满意数", "satisfied"),
    "average": ("平均满意度", "average satisfaction"),
    "closure_rate": ("结案率", "closure rate"),
    "on_time_closure_rate": ("按期结案率", "on-time closure rate"),
    "handling_rate": ("处置率", "handling rate"),
    "on_time_handling_rate": ("按期处置率", "on-time handling rate"),
    "rework_rate": ("返工率", "rework rate"),
    "extension_rate": ("延期率", "extension rate"),
    "overdue_rate": ("超期率", "overdue rate"),
    "satisfaction_rate": ("满意率", "satisfaction rate"),
    "score": ("综合得分", "score"),
    # The score as a share of its 100 points: what an assessment item reads (backend/assessment).
    "kpi_score": ("综合得分率", "score share"),
    # Field-work coverage (backend/kpi/coverage.py).
    "grids": ("网格数", "grids"),
    "grid_days": ("应巡查网格天数", "grid-days to patrol"),
    "covered_grid_days": ("已巡查网格天数", "grid-days patrolled"),
    "unpatrolled_today": ("今日未巡查网格数", "grids not patrolled today"),
    "households": ("户数", "households"),
    "visited": ("走访覆盖户数", "households visited in time"),
    "key_households": ("重点户数", "key households"),
    "key_visited": ("重点户走访覆盖数", "key households visited in time"),
    "staff": ("应写日志人数", "staff keeping logs"),
    "owed": ("应交日志数", "logs due"),
    "written": ("已交日志数", "logs written"),
    "missing": ("缺交日志数", "logs missing"),
    "awaiting_review": ("待审阅日志数", "logs awaiting review"),
    "returned": ("退回日志数", "logs returned"),
    "missing_today": ("今日未交日志人数", "logs missing today"),
    "patrol_rate": ("巡查覆盖率", "patrol coverage"),
    "visit_rate": ("走访覆盖率", "visit coverage"),
    "key_visit_rate": ("重点户走访覆盖率", "key-household visit coverage"),
    "work_log_rate": ("日志完整率", "work-log completeness"),
    "grade": ("等级", "grade"),
    # Disputes (backend/kpi/disputes.py).
    "found": ("发现纠纷数", "disputes found"),
    "found_settled": ("其中已化解", "of which settled"),
    "settled": ("化解数", "disputes settled"),
    "settled_grid": ("网格化解数", "settled in the grid"),
    "settled_community": ("社区化解数", "settled in the community"),
    "settled_street": ("街道化解数", "settled in the street"),
    "settled_office": ("移交办结数", "concluded by an office"),
    "unsettled": ("未化解数", "unsettled"),
    "high_risk_open": ("高风险未化解数", "high-risk unsettled"),
    "handover_overdue": ("移交超期数", "hand-overs overdue"),
    "screenings_due": ("应报排查数", "screenings due"),
    "screenings_on_time": ("按时排查上报数", "screenings on time"),
    "screenings_late": ("逾期排查上报数", "screenings late"),
    "screenings_missing": ("未报排查数", "screenings missing"),
    "settlement_rate": ("化解率", "settlement rate"),
    "low_level_share": ("基层化解占比", "share settled in grid or community"),
    "screening_on_time_rate": ("排查按时上报率", "screenings on time"),
    # 帮教 (backend/kpi/supervision.py, in the coverage).
    "supervised": ("帮教对象数", "residents under 帮教"),
    "supervision_overdue": ("帮教逾期人数", "overdue for 帮教"),
    "supervision_rate": ("帮教按期率", "帮教 on schedule"),
    # 民情 and 代办 (backend/kpi/requests.py).
    "requests": ("受理诉求数", "requests received"),
    "requests_closed": ("办结诉求数", "requests closed"),
    "requests_closed_in_time": ("按时办结诉求数", "requests closed in time"),
    "requests_open": ("在办诉求数", "requests open"),
    "requests_overdue": ("超时未办结诉求数", "requests overdue"),
    "errands": ("受理代办数", "errands accepted"),
    "errands_answered_in_time": ("按时应答代办数", "errands answered in time"),
    "errands_done": ("代办办结数", "errands done"),
    "errands_declined": ("不予代办数", "errands declined"),
    "errands_unanswered_overdue": ("超时未应答代办数", "errands unanswered past time"),
    "request_on_time_rate": ("诉求按时办结率", "requests closed in time"),
    "errand_answer_rate": ("代办应答及时率", "errands answered in time"),
    "errand_done_rate": ("代办办结率", "errands done"),
}


def _fraction(part: int | None, whole: int | None) -> float | None:
    """part / whole; None when there is no whole (nothing due, nothing open, none evaluated)."""
    return (part or 0) / whole if whole else None


def _fractions(figures: dict[str, Any]) -> dict[str, float | None]:
    """The standard rates from the counts, unrounded: the one place each is divided."""
    due = figures["due"]
    return {
        "closure_rate": _fraction(figures["closed"], due),  # 结案率
        "on_time_closure_rate": _fraction(figures["closed_on_time"], due),  # 按期结案率
        "handling_rate": _fraction(figures["handled"], due),  # 处置率
        "on_time_handling_rate": _fraction(figures["handled_on_time"], due),  # 按期处置率
        "rework_rate": _fraction(figures["reworked"], due),  # 返工率
        "extension_rate": _fraction(figures["extended"], due),  # 延期率
        "overdue_rate": _fraction(figures["overdue"], figures["open"]),  # 超期率
        # 满意率
        "satisfaction_rate": _fraction(figures.get("satisfied"), figures.get("evaluated")),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, RATE_DIGITS)


def rates_of(figures: dict[str, Any]) -> dict[str, float | None]:
    """The rates as shown: fractions rounded to RATE_DIGITS, None where nothing to divide."""
    return {name: _rounded(value) for name, value in _fractions(figures).items()}


def coverage_rates_of(figures: dict[str, Any]) -> dict[str, float | None]:
    """Field-work coverage rates (backend/kpi/coverage.py), rounded as the others."""
    fractions = {
        "patrol_rate": _fraction(figures["covered_grid_days"], figures["grid_days"]),  # 巡查覆盖率
        "visit_rate": _fraction(figures["visited"], figures["households"]),  # 走访覆盖率
        "key_visit_rate": _fraction(figures["key_visited"], figures["key_households"]),
        "work_log_rate": _fraction(figures["written"], figures["owed"]),  # 日志完整率
        # 帮教按期率: the supervised whose 帮教 visit is not overdue.
        "supervision_rate": _fraction(figures["supervised"] - figures["supervision_overdue"],
                                      figures["supervised"]),
    }
    return {name: _rounded(value) for name, value in fractions.items()}


def dispute_rates_of(figures: dict[str, Any]) -> dict[str, float | None]:
    """The disputes' rates (backend/kpi/disputes.py), rounded as the others."""
    fractions = {
        "settlement_rate": _fraction(figures["found_settled"], figures["found"]),  # 化解率
        "low_level_share": _fraction(figures["settled_grid"] + figures["settled_community"],
                                     figures["settled"]),  # 小事不出社区
        "screening_on_time_rate": _fraction(figures["screenings_on_time"],
                                            figures["screenings_due"]),
    }
    return {name: _rounded(value) for name, value in fractions.items()}


def request_rates_of(figures: dict[str, Any]) -> dict[str, float | None]:
    """民情 and 代办 rates (backend/kpi/requests.py), rounded as the others."""
    fractions = {
        "request_on_time_rate": _fraction(figures["requests_closed_in_time"],
                                          figures["requests"]),
        "errand_answer_rate": _fraction(figures["errands_answered_in_time"], figures["errands"]),
        "errand_done_rate": _fraction(figures["errands_done"], figures["errands"]),
    }
    return {name: _rounded(value) for name, value in fractions.items()}


def work_log_rate_of(row: dict[str, Any]) -> float | None:
    """One team member's 日志完整率 (a row of coverage.work_log_rows), as the grids' is."""
    return _rounded(_fraction(row["written"], row["owed"]))


def score_of(figures: dict[str, Any], settings: Settings) -> tuple[float | None, str | None]:
    """The department score (0–100) with the published weights, from the unrounded rates, and
    its grade; (None, None) when nothing was due. With nothing open, nothing is overdue:
    1 − 超期率 counts whole."""
    rates = _fractions(figures)
    # The due-based rates share their denominator: all known, or nothing was due.
    handled, on_time, reworked, extended = (rates[name] for name in (
        "handling_rate", "on_time_handling_rate", "rework_rate", "extension_rate"))
    if handled is None or on_time is None or reworked is None or extended is None:
        return None, None
    overdue = rates["overdue_rate"] or 0.0
    score = (settings.kpi_weight_handled * handled
             + settings.kpi_weight_handled_on_time * on_time
             + settings.kpi_weight_not_reworked * (1 - reworked)
             + settings.kpi_weight_not_overdue * (1 - overdue)
             + settings.kpi_weight_not_extended * (1 - extended))
    score = round(score, SCORE_DIGITS)
    return score, grade_of(score, settings)


def grade_of(score: float, settings: Settings) -> str:
    if score >= settings.kpi_grade_a:
        return "A"
    if score >= settings.kpi_grade_b:
        return "B"
    if score >= settings.kpi_grade_c:
        return "C"
    return "D"

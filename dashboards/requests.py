"""民情 and 代办 on the leader view: the period's requests and errands, answered in time, open
and overdue, and per unit a level down. Everything from /api/v1/kpi/requests."""

from __future__ import annotations

from dashboards.disputes import may_see, period_figures
from dashboards.session import Viewer, t

HEADLINE = ("requests", "request_on_time_rate", "requests_open", "requests_overdue",
            "errands", "errand_answer_rate", "errand_done_rate", "errands_unanswered_overdue")
UNIT_COLUMNS = ("requests", "requests_closed_in_time", "request_on_time_rate",
                "requests_open", "requests_overdue", "errands", "errand_answer_rate",
                "errands_done", "errands_unanswered_overdue")


def request_summary(viewer: Viewer, area: str | None, by: str, period: dict[str, str]) -> None:
    """民情诉求与代办 on the leader view (for who reads the areas' figures, as the disputes)."""
    if may_see(viewer):
        period_figures(viewer, "/kpi/requests", t("requests"), HEADLINE, UNIT_COLUMNS, area,
                       by, period)

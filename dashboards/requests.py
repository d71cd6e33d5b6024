"""民情 and 代办 on the leader view: the period's requests and errands, answered in time, open
and overdue, and per unit a level down. Everything from /api/v1/kpi/requests."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.disputes import may_see, shown
from dashboards.session import Viewer, t

HEADLINE = ("requests", "request_on_time_rate", "requests_open", "requests_overdue",
            "errands", "errand_answer_rate", "errand_done_rate", "errands_unanswered_overdue")
UNIT_COLUMNS = ("requests", "requests_closed_in_time", "request_on_time_rate",
                "requests_open", "requests_overdue", "errands", "errand_answer_rate",
                "errands_done", "errands_unanswered_overdue")


def request_summary(viewer: Viewer, area: str | None, by: str, period: dict[str, str]) -> None:
    """民情诉求与代办 on the leader view (for who reads the areas' figures, as the disputes)."""
    if not may_see(viewer):
        return
    figures = viewer.client.get("/kpi/requests", area=area, by=by, **period)
    st.subheader(t("requests"))
    for row in (HEADLINE[:4], HEADLINE[4:]):
        for column, name in zip(st.columns(4), row, strict=True):
            column.metric(viewer.figure(name), shown(figures, name))
    rows = [{t("unit"): unit["name"] or unit["code"],
             **{viewer.figure(name): shown(unit, name) for name in UNIT_COLUMNS}}
            for unit in figures.get("by", [])]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

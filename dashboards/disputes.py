"""The disputes as the dashboards show them: the leader view's figures of a period (found,
settled, 化解率, settled low, high risk open, screenings) per unit, and the command center's
half-monthly screening: which grids have not reported. Everything from /api/v1/kpi/disputes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.session import Viewer, language, t

HEADLINE = ("found", "settled", "settlement_rate", "low_level_share", "high_risk_open",
            "handover_overdue", "screenings_missing", "screening_on_time_rate")
UNIT_COLUMNS = ("found", "settled", "settlement_rate", "settled_grid", "settled_community",
                "settled_street", "settled_office", "unsettled", "high_risk_open",
                "screenings_late", "screenings_missing", "screening_on_time_rate")


def may_see(viewer: Viewer) -> bool:
    """Areas' figures: for who reads the screenings (not a department, which reads only the
    disputes handed to it)."""
    return viewer.can("kpi") and viewer.can("dispute-screenings")


def shown(figures: dict[str, Any], name: str) -> str:
    if name in figures["rates"]:
        value = figures["rates"][name]
        return "—" if value is None else f"{value * 100:.1f}%"
    return f"{figures[name]:,}"


def dispute_summary(viewer: Viewer, area: str | None, by: str, period: dict[str, str]) -> None:
    """矛盾纠纷排查化解 on the leader view: the period's figures, and per unit a level down."""
    if may_see(viewer):
        period_figures(viewer, "/kpi/disputes", t("disputes"), HEADLINE, UNIT_COLUMNS, area,
                       by, period)


def period_figures(viewer: Viewer, path: str, title: str, headline: tuple[str, ...],
                   unit_columns: tuple[str, ...], area: str | None, by: str,
                   period: dict[str, str]) -> None:
    """A section of per-grid figures summed (backend/kpi/coverage.py `summed`): its headline in
    rows of four, then a table of the units a level down."""
    figures = viewer.client.get(path, area=area, by=by, **period)
    st.subheader(title)
    for start in range(0, len(headline), 4):
        for column, name in zip(st.columns(4), headline[start:start + 4], strict=False):
            column.metric(viewer.figure(name), shown(figures, name))
    rows = [{t("unit"): unit["name"] or unit["code"],
             **{viewer.figure(name): shown(unit, name) for name in unit_columns}}
            for unit in figures.get("by", [])]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def day_name(value: str) -> str:
    day = dt.date.fromisoformat(value)
    return str(day) if language() == "en" else f"{day.month}月{day.day}日"


def screening_panel(viewer: Viewer, area: str | None = None) -> None:
    """半月排查上报 on the command center: the last half month due, who is late or missing."""
    if not may_see(viewer):
        return
    status = viewer.client.get("/kpi/disputes/screenings", area=area)
    st.subheader(t("screenings"))
    st.caption(t("screenings_of", first=day_name(status["period_first"]),
                 last=day_name(status["period_last"]), due=day_name(status["due_on"]),
                 on_time=status["on_time"], late=status["late"], missing=status["missing"],
                 waiting=status["waiting"]))
    behind = [item for item in status["items"] if item["status"] in ("missing", "late")]
    if not behind:
        st.caption(t("screenings_all_in"))
        return
    st.dataframe(pd.DataFrame([{
        t("col_grid"): item["grid_name"] or item["grid_code"],
        t("col_screening"): t(f"screening_{item['status']}"),
        t("col_filed_by"): item["filed_by"] or "",
    } for item in behind]), hide_index=True, width="stretch")

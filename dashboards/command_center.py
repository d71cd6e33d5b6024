"""The command center's panels, drawn from one refresh of the API.

A refresh is `load()`: one /kpi/command-center call and, for viewers who may read them, one
/hotspot-alerts call; the grid map's boundaries come once per session (`grid_map`). The page
(views/command_center.py) shows every panel; the big screen (views/big_screen.py) rotates
through the same ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.maps import grid_deck
from dashboards.session import Viewer, beijing_time, t

HOTSPOT_LIMIT = 20


@dataclass
class Refresh:
    live: dict[str, Any]
    hotspots: list[dict[str, Any]] | None  # None: the viewer may not read them
    hotspot_total: int = 0  # all the open ones (the list above: the newest HOTSPOT_LIMIT)


def load(viewer: Viewer, area: str | None = None) -> Refresh:
    live = viewer.client.get("/kpi/command-center", area=area)
    hotspots, total = None, 0
    if viewer.can("hotspot-alerts"):
        params: dict[str, Any] = {"status": "open", "sort": "-last_reported_at",
                                  "limit": HOTSPOT_LIMIT}
        if area:
            params["area_code__startswith"] = area
        page = viewer.client.get("/hotspot-alerts", **params)
        hotspots, total = page["items"], page["total"]
    return Refresh(live, hotspots, total)


def grid_map(viewer: Viewer) -> dict[str, Any]:
    """The boundaries of every grid in scope: fetched once per session (they rarely change)."""
    cached = st.session_state.get("grid_map")
    if cached is None:
        cached = viewer.client.get("/kpi/map")
        st.session_state["grid_map"] = cached
    return cached


def grid_names(viewer: Viewer) -> dict[str, str]:
    return {f["properties"]["code"]: f["properties"]["name"]
            for f in grid_map(viewer)["features"]}


def headline(viewer: Viewer, refresh: Refresh) -> None:
    live = refresh.live
    figures = [(t("open_cases"), live["open"])]
    figures += [(viewer.label("light", light), live["by_light"][light])
                for light in ("red", "yellow", "green")]
    figures.append((t("escalated"), live["escalated"]))
    if refresh.hotspots is not None:
        figures.append((t("hotspots"), refresh.hotspot_total))
    for column, (name, value) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(name, f"{value:,}")


def _table(rows: list[dict[str, Any]], columns: dict[str, Callable[[dict[str, Any]], Any]],
           height: int | None = None) -> None:
    if not rows:
        st.caption(t("nothing"))
        return
    frame = pd.DataFrame([{t(name): get(row) for name, get in columns.items()} for row in rows])
    st.dataframe(frame, hide_index=True, width="stretch", height=height or "auto")


def red_list(viewer: Viewer, refresh: Refresh) -> None:
    st.subheader(t("red_list"))
    _table(refresh.live["red_list"], {
        "col_code": lambda r: r["code"],
        "col_title": lambda r: r["title"],
        "col_department": lambda r: r["department_name"] or viewer.department(
            r["department_code"]),
        "col_grid": lambda r: r["grid_name"] or r["grid_code"],
        "col_hours_overdue": lambda r: r["hours_overdue"],
        "col_escalation": lambda r: (t("escalation_level", level=r["escalation_level"])
                                     if r["escalation_level"] else ""),
    })


def newest(viewer: Viewer, refresh: Refresh) -> None:
    st.subheader(t("newest"))
    _table(refresh.live["newest"], {
        "col_reported_at": lambda r: beijing_time(r["reported_at"]),
        "col_code": lambda r: r["code"],
        "col_title": lambda r: r["title"],
        "col_category": lambda r: r["category_name"] or viewer.category(r["category_code"]),
        "col_grid": lambda r: r["grid_name"] or r["grid_code"],
        "col_status": lambda r: viewer.label("case_status", r["status"]),
        "col_source": lambda r: viewer.label("source", r["source"]),
    })


def by_department(viewer: Viewer, refresh: Refresh) -> None:
    st.subheader(t("by_department"))
    _table(refresh.live["by_department"], {
        "col_department": lambda r: r["name"] or viewer.department(r["code"]),
        "col_open": lambda r: r["open"],
        "col_red": lambda r: r["red"],
    })


def alerts(viewer: Viewer, refresh: Refresh) -> None:
    names = grid_names(viewer)
    if refresh.hotspots is not None:
        st.subheader(t("hotspots"))
        _table(refresh.hotspots, {
            "col_category": lambda r: viewer.category(r["category_code"]),
            "col_area": lambda r: names.get(r["area_code"], r["area_code"]),
            "col_cases": lambda r: r["case_count"],
            "col_last_report": lambda r: beijing_time(r["last_reported_at"]),
        })
    st.subheader(t("emergencies"))
    _table(refresh.live["emergencies"], {
        "col_reported_at": lambda r: beijing_time(r["reported_at"]),
        "col_code": lambda r: r["code"],
        "col_title": lambda r: r["title"],
        "col_grid": lambda r: r["grid_name"] or r["grid_code"],
        "col_alerted_grids": lambda r: "、".join(names.get(c, c) for c in r["neighbour_grids"]),
    })


def grid_map_panel(viewer: Viewer, refresh: Refresh, height: int = 520) -> None:
    st.subheader(t("map"))
    live = refresh.live
    deck = grid_deck(grid_map(viewer), live["grids"], live["points"],
                     tooltip=f"{{name}}\n{t('col_open')} {{open}} · {t('col_red')} {{red}}",
                     height=height)
    if deck is None:
        st.caption(t("no_boundaries"))
        return
    st.pydeck_chart(deck, height=height)
    if live["points_truncated"]:
        st.caption(t("map_points_truncated", count=len(live["points"].get("id", []))))


PANELS: list[Callable[[Viewer, Refresh], None]] = [
    grid_map_panel, red_list, newest, by_department, alerts]

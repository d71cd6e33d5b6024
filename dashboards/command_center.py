"""The command center's panels, drawn from one refresh of the API.

A refresh is `load()`: one /kpi/command-center call and, for viewers who may read them, one
/hotspot-alerts call (the newest open alerts, and how many are open in all); the grid map's
boundaries come once per session (`grid_map`). The page (views/command_center.py) shows every
panel; the big screen (views/big_screen.py) rotates through the same ones.
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
    # The newest open alerts (HOTSPOT_LIMIT at most); None: the viewer may not read them.
    hotspots: list[dict[str, Any]] | None
    hotspots_open: int = 0  # how many alerts are open in scope, listed or not


def load(viewer: Viewer, area: str | None = None) -> Refresh:
    live = viewer.client.get("/kpi/command-center", area=area)
    if not viewer.can("hotspot-alerts"):
        return Refresh(live, None)
    params: dict[str, Any] = {"status": "open", "sort": "-last_reported_at",
                              "limit": HOTSPOT_LIMIT}
    if area:
        params["area_code__startswith"] = area
    page = viewer.client.get("/hotspot-alerts", **params)
    return Refresh(live, page["items"], page["total"])


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
        figures.append((t("hotspots"), refresh.hotspots_open))
    for column, (name, value) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(name, f"{value:,}")


def _table(rows: list[dict[str, Any]], columns: dict[str, Callable[[dict[str, Any]], Any]],
           wall: bool = False) -> None:
    """A list as a table: interactive on a desk, plain HTML on the wall (styled dark and large
    by the big screen's CSS, which the interactive grid, drawn on a canvas, would ignore)."""
    if not rows:
        st.caption(t("nothing"))
        return
    frame = pd.DataFrame([{t(name): get(row) for name, get in columns.items()} for row in rows])
    if wall:
        st.table(frame.set_index(frame.columns[0]))
    else:
        st.dataframe(frame, hide_index=True, width="stretch")


def red_list(viewer: Viewer, refresh: Refresh, wall: bool = False) -> None:
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
    }, wall)


def newest(viewer: Viewer, refresh: Refresh, wall: bool = False) -> None:
    st.subheader(t("newest"))
    _table(refresh.live["newest"], {
        "col_reported_at": lambda r: beijing_time(r["reported_at"]),
        "col_code": lambda r: r["code"],
        "col_title": lambda r: r["title"],
        "col_category": lambda r: r["category_name"] or viewer.category(r["category_code"]),
        "col_grid": lambda r: r["grid_name"] or r["grid_code"],
        "col_status": lambda r: viewer.label("case_status", r["status"]),
        "col_source": lambda r: viewer.label("source", r["source"]),
    }, wall)


def by_department(viewer: Viewer, refresh: Refresh, wall: bool = False) -> None:
    st.subheader(t("by_department"))
    _table(refresh.live["by_department"], {
        "col_department": lambda r: r["name"] or viewer.department(r["code"]),
        "col_open": lambda r: r["open"],
        "col_red": lambda r: r["red"],
    }, wall)


def hotspot_grids(names: dict[str, str], alert: dict[str, Any]) -> str:
    """Where an alert is, in words: the grids of its reports. (Its area_code is the smallest
    area holding them all: a community's or a street's code when they span grids.)"""
    codes = list(dict.fromkeys(case["grid_code"] for case in alert.get("cases") or []))
    return "、".join(names.get(code, code) for code in codes or [alert["area_code"]])


def alerts(viewer: Viewer, refresh: Refresh, wall: bool = False) -> None:
    names = grid_names(viewer)
    if refresh.hotspots is not None:
        st.subheader(t("hotspots"))
        _table(refresh.hotspots, {
            "col_category": lambda r: viewer.category(r["category_code"]),
            "col_area": lambda r: hotspot_grids(names, r),
            "col_cases": lambda r: r["case_count"],
            "col_last_report": lambda r: beijing_time(r["last_reported_at"]),
        }, wall)
        if refresh.hotspots_open > len(refresh.hotspots):
            st.caption(t("hotspots_truncated", total=refresh.hotspots_open,
                         count=len(refresh.hotspots)))
    st.subheader(t("emergencies"))
    _table(refresh.live["emergencies"], {
        "col_reported_at": lambda r: beijing_time(r["reported_at"]),
        "col_code": lambda r: r["code"],
        "col_title": lambda r: r["title"],
        "col_grid": lambda r: r["grid_name"] or r["grid_code"],
        "col_alerted_grids": lambda r: "、".join(names.get(c, c) for c in r["neighbour_grids"]),
    }, wall)


def grid_map_panel(viewer: Viewer, refresh: Refresh, wall: bool = False) -> None:
    height = 700 if wall else 520
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


# The big screen's turns, in order (each panel takes `wall=True` there).
PANELS: list[Callable[..., None]] = [
    grid_map_panel, red_list, newest, by_department, alerts]

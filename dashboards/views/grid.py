"""网格: one grid at a glance: its boundary with the open cases, its staff, its ledgers, its
open cases and today's patrols."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from dashboards import command_center as panels
from dashboards.ledgers import ledger_counts
from dashboards.maps import grid_deck
from dashboards.session import BEIJING, Viewer, beijing_time, beijing_today, render, t


def choose_grid(viewer: Viewer) -> str | None:
    names = panels.grid_names(viewer)
    if not names:
        st.info(t("no_grids"))
        return None
    codes = list(names)
    own = [c for c in viewer.area_codes() if c in names]
    default = codes.index(own[0]) if own else 0
    return st.selectbox(t("choose_grid"), codes, index=default, key="grid_code",
                        format_func=lambda c: f"{names[c]} ({c})", placeholder=t("choose"))


def staff(viewer: Viewer, grid: dict[str, Any]) -> None:
    """The grid's team from its roster (grid-staff): each member's role, name and phone, and
    how many party members it has; nothing for whom the roster is not theirs to read."""
    st.subheader(t("staff"))
    if not viewer.can("grid-staff"):
        st.caption(t("no_staff"))
        return
    team = viewer.client.rows("grid-staff", grid_code=grid["code"], is_active="true",
                              sort="id", limit=100)
    if not team:
        st.caption(t("no_staff"))
        return
    # In the roles' own order (the chief first), as the public notice lists them.
    order = [entry["value"] for entry in viewer.labels["enums"]["team_role"]]
    st.dataframe([{t("col_team_role"): viewer.label("team_role", m["team_role"]),
                   t("col_name"): m["name"], t("phone"): m.get("phone") or ""}
                  for m in sorted(team, key=lambda m: (order.index(m["team_role"]), m["id"]))],
                 hide_index=True, width="stretch")
    party = sum(1 for m in team if m["team_role"] in ("party_member", "branch_secretary"))
    st.caption(t("party_members", count=party))


def todays_patrols(viewer: Viewer, code: str) -> None:
    st.subheader(t("todays_patrols"))
    midnight = dt.datetime.combine(beijing_today(), dt.time(), BEIJING).astimezone(dt.UTC)
    patrols = viewer.client.rows(
        "patrols", grid_code=code, started_at__gte=midnight.isoformat().replace("+00:00", "Z"),
        sort="-started_at", limit=20)
    if not patrols:
        st.warning(t("no_patrol_today"))
        return
    st.dataframe([{
        t("col_patroller"): p["patroller_name"],
        t("col_started"): beijing_time(p["started_at"], "%H:%M"),
        t("col_ended"): beijing_time(p["ended_at"], "%H:%M") or t("in_progress"),
        t("col_distance"): round(p["distance_m"]) if p.get("distance_m") else None,
        t("col_findings"): p.get("findings") or "",
    } for p in patrols], hide_index=True, width="stretch")


def page(viewer: Viewer) -> None:
    st.title(t("page_grid"))
    if not viewer.can("grids"):
        st.info(t("no_permission"))
        return
    code = choose_grid(viewer)
    if code is None:
        return
    grid = viewer.client.rows("grids", code=code, limit=1)[0]
    refresh = panels.load(viewer, area=code)
    panels.headline(viewer, refresh)
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("map"))
        outline = {"type": "FeatureCollection", "features": [
            f for f in panels.grid_map(viewer)["features"] if f["properties"]["code"] == code]}
        deck = grid_deck(outline, refresh.live["grids"], refresh.live["points"],
                         tooltip=f"{{name}}\n{t('col_open')} {{open}} · {t('col_red')} {{red}}",
                         height=420)
        if deck is not None:
            st.pydeck_chart(deck, height=420)
        else:
            st.caption(t("no_boundaries"))
    with right:
        staff(viewer, grid)
        if viewer.can("patrols"):
            todays_patrols(viewer, code)
    if viewer.can("residents") or viewer.can("households"):
        ledger_counts(viewer, code, "ledger_summary", ("buildings", "households",
                      "rental_households", "residents", "organizations"))
    left, right = st.columns(2)
    with left:
        panels.red_list(viewer, refresh)
    with right:
        panels.newest(viewer, refresh)


render(page)

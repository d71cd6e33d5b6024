"""指挥中心: the live command center, refreshing itself without reloading the page."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboards import command_center as panels
from dashboards.config import REFRESH_SECONDS
from dashboards.disputes import screening_panel
from dashboards.session import BEIJING, Viewer, render, t


def page(viewer: Viewer) -> None:
    st.title(t("page_command_center"))
    st.caption(viewer.who())
    if not viewer.can("kpi"):
        st.info(t("no_permission"))
        return
    live_view()


@st.fragment(run_every=REFRESH_SECONDS)
def live_view() -> None:
    render(show)


def show(viewer: Viewer) -> None:
    refresh = panels.load(viewer)
    st.caption(t("updated_at", time=dt.datetime.now(BEIJING).strftime("%H:%M:%S"),
                 seconds=REFRESH_SECONDS))
    panels.headline(viewer, refresh)
    left, right = st.columns([3, 2])
    with left:
        panels.grid_map_panel(viewer, refresh)
    with right:
        panels.red_list(viewer, refresh)
        panels.by_department(viewer, refresh)
    left, right = st.columns([3, 2])
    with left:
        panels.newest(viewer, refresh)
    with right:
        panels.alerts(viewer, refresh)
        screening_panel(viewer)


render(page)

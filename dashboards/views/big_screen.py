"""大屏: the command center on a wall display. Wide, dark, large figures, no sidebar; the
headline figures stay while the panels below take turns, one every ROTATE_SECONDS."""

from __future__ import annotations

import datetime as dt
import time

import streamlit as st

from dashboards import command_center as panels
from dashboards.config import REFRESH_SECONDS, ROTATE_SECONDS
from dashboards.session import BEIJING, Viewer, render, t

DARK = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stElementToolbar"] { display: none !important; }
  .stApp { background: #0b1220; color: #e2e8f0; }
  .stApp h1, .stApp h2, .stApp h3, .stApp p, .stApp span, .stApp label { color: #e2e8f0; }
  .block-container { padding-top: 1rem; max-width: 100%; }
  [data-testid="stMetricValue"] { font-size: 4.5rem; color: #f8fafc; }
  [data-testid="stMetricLabel"] p { font-size: 1.6rem; color: #94a3b8; }
  .stApp h1 { font-size: 3rem; }
  .stApp table { color: #e2e8f0; font-size: 1.35rem; }
  .stApp table th { color: #94a3b8; }
</style>
"""


def page(viewer: Viewer) -> None:
    st.html(DARK)
    if not viewer.can("kpi"):
        st.info(t("no_permission"))
        return
    wall()


@st.fragment(run_every=REFRESH_SECONDS)
def wall() -> None:
    render(show)


def show(viewer: Viewer) -> None:
    refresh = panels.load(viewer)
    now = dt.datetime.now(BEIJING)
    st.title(f"{t('app_title')} · {t('page_command_center')}  {now:%H:%M}")
    panels.headline(viewer, refresh)
    # The panel on screen follows the clock, so every wall showing the page shows the same one.
    turn = int(time.time() // ROTATE_SECONDS) % len(panels.PANELS)
    panels.PANELS[turn](viewer, refresh, wall=True)


render(page)

"""GridLink dashboards: the command center, the leader view, a grid at a glance and the wall
screen, as a Streamlit multipage app.

Run with `gridlink dashboards` (or `gridlink demo`). The viewer logs in with their GridLink
account, or a wall screen uses a service account's key (GRIDLINK_DASHBOARD_API_KEY); every
figure comes from the REST API with those credentials, so each sees exactly their scope.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards.client import ApiUnavailable, SessionExpired
from dashboards.session import (
    LANGUAGES,
    login_form,
    show_unavailable,
    sign_out,
    signed_in,
    t,
    viewer,
)

VIEWS = Path(__file__).resolve().parent / "views"

# The tab's icon drawn here (a 3x3 grid, one cell lit): Streamlit inlines an SVG as a data
# URL, where a ":material/...:" icon would be fetched from fonts.gstatic.com, and an emoji
# needs an emoji font the wall screen's machine may lack.
ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
        '<rect x="1" y="1" width="22" height="22" rx="3" fill="#0f766e"/>'
        '<rect x="9" y="9" width="6" height="6" fill="#dc2626"/>'
        '<path d="M9 2v20M15 2v20M2 9h20M2 15h20" stroke="#f8fafc" stroke-width="1.5"/></svg>')

st.set_page_config(page_title="网格联动 GridLink", page_icon=ICON, layout="wide")


def language_switch() -> None:
    st.sidebar.radio(t("language"), list(LANGUAGES), key="lang", horizontal=True,
                     format_func=LANGUAGES.get)


def pages() -> list:
    """The pages this viewer may open (the big screen last: wall displays link to it)."""
    me = viewer()
    found = [st.Page(VIEWS / "command_center.py", title=t("page_command_center"),
                     icon=":material/emergency:", url_path="command-center", default=True),
             st.Page(VIEWS / "leader.py", title=t("page_leader"), icon=":material/monitoring:",
                     url_path="leader")]
    if me.can("assessment-runs"):
        found.append(st.Page(VIEWS / "assessment.py", title=t("page_assessment"),
                             icon=":material/military_tech:", url_path="assessment"))
    if me.can("grids"):
        found.append(st.Page(VIEWS / "grid.py", title=t("page_grid"), icon=":material/grid_on:",
                             url_path="grid"))
    found.append(st.Page(VIEWS / "big_screen.py", title=t("page_big_screen"), icon=":material/tv:",
                         url_path="big-screen"))
    return found


def login_pages() -> list:
    """The login form, at its own address and at every page's: a bookmarked /leader or
    /big-screen shows the form there, then that page once logged in (rather than Streamlit's
    English "Page not found" and the first page)."""
    return [st.Page(login_form, title=t("login"), url_path="login", default=True),
            *(st.Page(login_form, title=t("login"), url_path=path)
              for path in ("command-center", "leader", "assessment", "grid", "big-screen"))]


def main() -> None:
    language_switch()
    if not signed_in():
        st.navigation(login_pages(), position="hidden").run()
        return
    try:
        navigation = st.navigation(pages())
    except SessionExpired:
        if not st.session_state.get("token"):  # the wall screen's key: nobody to log in
            st.error(t("key_refused"))
            return
        sign_out()
        st.warning(t("session_expired"))
        st.navigation(login_pages(), position="hidden").run()
        return
    except ApiUnavailable as exc:
        show_unavailable(exc)
        st.button(t("retry"))
        return
    me = viewer()
    st.sidebar.markdown(f"**{me.me['display_name']}**  \n{me.scope()}")
    if st.session_state.get("token") and st.sidebar.button(t("logout")):
        sign_out()
        st.rerun()
    navigation.run()


main()

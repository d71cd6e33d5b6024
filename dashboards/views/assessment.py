"""考核排名: a run of the 1,000-point assessment: grades, vetoes, stars and flags, the ranking
with each item's points, and the run as the office prints it (xlsx)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards.assessment import grade_counts, ranking_frame, run_name, runs
from dashboards.session import Viewer, render, t


def choose_run(viewer: Viewer, all_runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    assessed = {run["level"] for run in all_runs}
    levels = [entry["value"] for entry in viewer.labels["enums"]["assessment_level"]
              if entry["value"] in assessed]  # grid, grid chief, community, department
    left, right = st.columns([1, 3])
    level = left.selectbox(t("assessment_level"), levels, key="assessment_level",
                           format_func=lambda v: viewer.label("assessment_level", v),
                           placeholder=t("choose"))
    of_level = {run["id"]: run for run in all_runs if run["level"] == level}
    chosen = right.selectbox(t("assessment_run"), list(of_level), key=f"assessment_run_{level}",
                             format_func=lambda run_id: run_name(viewer, of_level[run_id]),
                             placeholder=t("choose"))
    return of_level.get(chosen) if chosen is not None else None


def headline(viewer: Viewer, run: dict[str, Any]) -> None:
    counts = grade_counts(viewer, run)
    columns = st.columns(2 + len(counts))
    columns[0].metric(t("units"), run["units"])
    columns[1].metric(t("vetoed"), sum(s["vetoed"] for s in run["scores"]))
    for column, (grade, count) in zip(columns[2:], counts.items(), strict=True):
        column.metric(viewer.label("assessment_grade", grade), count)
    if run["status"] != "final":
        st.info(t("draft_run"))
    if run["level"] == "grid_chief":
        stars = [s["unit_name"] for s in run["scores"] if s["star"]]
        st.markdown(f"**{t('stars')}**: " + ("、".join(stars) or "—"))
    flagged = [s["unit_name"] for s in run["scores"] if s["flagged"]]
    if flagged:
        st.warning(t("flagged_communities", names="、".join(flagged)))


def page(viewer: Viewer) -> None:
    st.title(t("page_assessment"))
    st.caption(viewer.who())
    if not viewer.can("assessment-runs"):
        st.info(t("no_permission"))
        return
    all_runs = runs(viewer)
    if not all_runs:
        st.info(t("no_runs"))
        return
    chosen = choose_run(viewer, all_runs)
    if chosen is None:
        return
    run = viewer.client.get(f"/assessments/runs/{chosen['id']}")
    headline(viewer, run)
    frame = ranking_frame(viewer, run)
    if frame.empty:
        st.caption(t("nothing"))
    else:
        st.dataframe(frame, hide_index=True, width="stretch")
    if viewer.can("assessment-runs", "export"):
        st.download_button(
            t("download_xlsx"),
            viewer.client.download(f"/assessments/runs/{run['id']}/export.xlsx"),
            file_name=f"{run['period_label']}{run['scheme_snapshot']['name']}结果.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if run["changes"]:
        st.subheader(t("changes"))
        st.dataframe(pd.DataFrame([{
            t("unit"): c["unit_name"], t("changed_field"): t(f"field_{c['field']}"),
            t("before"): str(c["before"]), t("after"): str(c["after"])}
            for c in run["changes"]]), hide_index=True)


render(page)

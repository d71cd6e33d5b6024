"""The assessment as the dashboards show it: the runs a viewer may read, a run's ranking with
each item's points, and the leading group's short list (flags and stars) for the leader view.
Everything from the API (/api/v1/assessment-runs, /api/v1/assessments/runs/{id})."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards.session import Viewer, language, t

MAX_RUNS = 200  # the newest runs offered: several years of quarters for every level


def runs(viewer: Viewer) -> list[dict[str, Any]]:
    """The runs the viewer may read, newest period first, final before draft."""
    found = viewer.client.rows("assessment-runs", limit=MAX_RUNS, sort="-period_first,-id")
    return sorted(found, key=lambda r: (r["period_first"], r["status"] == "final", r["id"]),
                  reverse=True)


def latest_final(all_runs: list[dict[str, Any]], level: str) -> dict[str, Any] | None:
    return next((r for r in all_runs if r["level"] == level and r["status"] == "final"), None)


def run_name(viewer: Viewer, run: dict[str, Any]) -> str:
    scheme = run["scheme_snapshot"]["name"]
    status = viewer.label("run_status", run["status"])
    if language() == "en":
        return f"{run['period_first']} – {run['period_last']} · {scheme} · {status}"
    return f"{run['period_label']} · {scheme} · {status}"


def ranking_frame(viewer: Viewer, run: dict[str, Any]) -> pd.DataFrame:
    """One row per unit as the office prints it: rank, unit, each item's points, total,
    grade, veto reason (and the stars or the bottom-two streak of the level)."""
    items = [i for i in run["scheme_snapshot"]["items"] if i["kind"] != "veto"]
    rows = []
    for score in run["scores"]:
        points = {entry["item"]: entry["points"] for entry in score["items"]}
        row = {t("rank"): str(score["rank"]), t("unit"): score["unit_name"]}
        row |= {f"{item['name']} ({item['points']})": _points(points.get(item["id"]))
                for item in items}
        row |= {t("total"): _points(score["total"]),
                t("grade"): viewer.label("assessment_grade", score["grade"]),
                t("veto_reason"): score["veto_reason"] or ""}
        if run["level"] == "grid_chief":
            row[t("star")] = "★" if score["star"] else ""
        if run["level"] == "community":
            row[t("bottom_streak")] = str(score["bottom_streak"] or "")
            row[t("flagged")] = t("flag") if score["flagged"] else ""
        rows.append(row)
    return pd.DataFrame(rows)


def _points(value: float | None) -> str:
    """Points as text, as printed (a table of numbers would align 980 and 97.5 apart)."""
    if value is None:
        return "—"
    return f"{value:g}"


def grade_counts(viewer: Viewer, run: dict[str, Any]) -> dict[str, int]:
    counts = {entry["value"]: 0 for entry in viewer.labels["enums"]["assessment_grade"]}
    for score in run["scores"]:
        counts[score["grade"]] += 1
    return counts


def leader_summary(viewer: Viewer) -> None:
    """考核结果 on the leader view: the latest final community and grid-chief runs' flags,
    bottom two and stars, with a pointer to the assessment page."""
    if not viewer.can("assessment-runs"):
        return
    st.subheader(t("assessment_results"))
    all_runs = runs(viewer)
    shown = False
    community = latest_final(all_runs, "community")
    if community is not None:
        run = viewer.client.get(f"/assessments/runs/{community['id']}")
        scores = run["scores"]
        last_rank = len(scores) - 1
        bottom = [s["unit_name"] for s in scores if len(scores) > 2 and s["rank"] >= last_rank]
        flagged = [s["unit_name"] for s in scores if s["flagged"]]
        top = [s["unit_name"] for s in scores if s["rank"] == 1]
        st.markdown(t("community_summary", period=run_name(viewer, run),
                      top="、".join(top) or "—", bottom="、".join(bottom) or "—"))
        if flagged:
            st.warning(t("flagged_communities", names="、".join(flagged)))
        shown = True
    chiefs = latest_final(all_runs, "grid_chief")
    if chiefs is not None:
        run = viewer.client.get(f"/assessments/runs/{chiefs['id']}")
        stars = [s["unit_name"] for s in run["scores"] if s["star"]]
        st.markdown(t("stars_summary", period=run_name(viewer, run),
                      names="、".join(stars) or "—"))
        shown = True
    if not shown:
        st.caption(t("no_runs"))

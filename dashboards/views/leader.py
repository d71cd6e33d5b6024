"""领导驾驶舱: the rates of a period against the one before, rankings with scores and grades,
trends, and drill-down from the county to a street, a community and a grid."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.assessment import leader_summary
from dashboards.disputes import dispute_summary
from dashboards.ledgers import ledger_counts
from dashboards.requests import request_summary
from dashboards.session import Viewer, beijing_today, language, render, t

KINDS = ("month", "quarter", "year", "custom")
RATES = ("closure_rate", "on_time_closure_rate", "handling_rate", "on_time_handling_rate",
         "rework_rate", "extension_rate", "overdue_rate", "satisfaction_rate")
# Rates where less is better: their delta is shown green when it falls.
LOWER_IS_BETTER = {"rework_rate", "extension_rate", "overdue_rate"}
FLOW = ("reported", "filed", "dispatched", "closed", "due", "open", "overdue")
# The level below an area code of each length: what its ranking and drill-down list.
LEVEL_BELOW = {6: "street", 9: "community", 12: "grid"}


def period_params(kind: str, day: dt.date, first: dt.date | None, last: dt.date | None
                  ) -> dict[str, str]:
    if kind == "custom":
        return {"period": "custom", "from": str(first), "to": str(last)}
    return {"period": kind, "date": str(day)}


def previous_params(period: dict[str, Any]) -> dict[str, str]:
    """The period just before the API's `period` (same kind; custom: as many days)."""
    first, last = dt.date.fromisoformat(period["from"]), dt.date.fromisoformat(period["to"])
    before = first - dt.timedelta(days=1)
    if period["kind"] == "custom":
        return {"period": "custom", "from": str(first - (last - first) - dt.timedelta(days=1)),
                "to": str(before)}
    return {"period": period["kind"], "date": str(before)}


def period_label(period: dict[str, Any]) -> str:
    """The API's name of a period (2026年11月), or its dates in English."""
    if language() == "en":
        return f"{period['from']} – {period['to']}"
    return period["label"]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# How many periods back the picker offers, newest first.
CHOICES = {"month": 24, "quarter": 8, "year": 5}


def period_starts(kind: str, today: dt.date) -> list[dt.date]:
    """The first days of this period and the ones before it (a month, a quarter or a year):
    the leader picks a period by its name, not a day in a calendar (Streamlit's calendar
    names its months and weekdays in English only)."""
    if kind == "year":
        return [dt.date(today.year - n, 1, 1) for n in range(CHOICES["year"])]
    months = 1 if kind == "month" else 3
    index = today.year * 12 + (today.month - 1) // months * months  # months since year 0
    return [dt.date(m // 12, m % 12 + 1, 1)
            for m in range(index, index - months * CHOICES[kind], -months)]


def period_name(kind: str, first: dt.date) -> str:
    return t(f"period_{kind}", year=first.year, month=first.month,
             quarter=(first.month - 1) // 3 + 1)


def picker(viewer: Viewer) -> dict[str, str] | None:
    columns = st.columns([1, 2, 3])
    kind = columns[0].selectbox(t("period"), KINDS, key="leader_kind",
                                format_func=lambda k: viewer.label("period", k),
                                placeholder=t("choose"))
    if kind == "custom":
        today = beijing_today()
        chosen = columns[1].date_input(
            t("custom_range"), value=(today.replace(day=1), today), key="leader_range",
            max_value=today)
        if not isinstance(chosen, tuple) or len(chosen) != 2:
            st.info(t("custom_needs_both"))
            return None
        return period_params(kind, today, chosen[0], chosen[1])
    first = columns[1].selectbox(t("period_shown"), period_starts(kind, beijing_today()),
                                 key=f"leader_{kind}",
                                 format_func=lambda day: period_name(kind, day),
                                 placeholder=t("choose"))
    return period_params(kind, first, None, None)


def drill_path() -> list[tuple[str, str]]:
    return st.session_state.setdefault("leader_path", [])


def breadcrumb(viewer: Viewer) -> str | None:
    """The area being looked at (None: the viewer's whole scope), with buttons back up."""
    path = drill_path()
    if path:
        names = [t("whole_scope"), *(name for _, name in path)]
        st.markdown(" › ".join(f"**{n}**" if i == len(names) - 1 else n
                               for i, n in enumerate(names)))
        up = path[-2][1] if len(path) > 1 else t("whole_scope")
        if st.button(t("back_to", name=up), key="leader_up"):
            path.pop()
            st.rerun()
    return path[-1][0] if path else None


def level_below(viewer: Viewer, area: str | None) -> str:
    if area is not None:
        return LEVEL_BELOW.get(len(area), "grid")
    codes = viewer.area_codes()
    if len(codes) == 1:
        return LEVEL_BELOW.get(len(codes[0]), "grid")
    return "street"


def headline(viewer: Viewer, now: dict[str, Any], before: dict[str, Any]) -> None:
    st.subheader(f"{period_label(now['period'])} · "
                 + t("compare_previous", label=period_label(before["period"])))
    score_column, grade_column, *flow_columns = st.columns(2 + len(FLOW))
    delta = (None if now["score"] is None or before["score"] is None
             else round(now["score"] - before["score"], 1))
    score_column.metric(viewer.figure("score"),
                        "—" if now["score"] is None else f"{now['score']:.1f}", delta)
    grade_column.metric(viewer.figure("grade"), now["grade"] or "—")
    counts = {**now["counts"], **now["due"], **now["open"]}
    counts_before = {**before["counts"], **before["due"], **before["open"]}
    for column, name in zip(flow_columns, FLOW, strict=True):
        column.metric(viewer.figure(name), f"{counts[name]:,}",
                      counts[name] - counts_before[name], delta_color="off")
    if now["score"] is None:
        st.info(t("no_due"))
    for row in (RATES[:4], RATES[4:]):
        for column, name in zip(st.columns(4), row, strict=True):
            value, previous = now["rates"][name], before["rates"][name]
            points = None if value is None or previous is None else (value - previous) * 100
            # Unchanged (to the tenth shown) gets no arrow: "+0.0" would read as a rise.
            moved = points is not None and round(points, 1) != 0
            column.metric(viewer.figure(name), percent(value),
                          None if points is None else t("points_change", value=points),
                          delta_color=("off" if not moved else
                                       "inverse" if name in LOWER_IS_BETTER else "normal"),
                          delta_arrow="auto" if moved else "off")


def ranking_table(viewer: Viewer, ranking: dict[str, Any]) -> None:
    rows = [{
        # Text, always: a column of numbers and "—" (a unit with nothing due) is shown as
        # text by the table anyway, so that the same rank reads alike in every table.
        t("rank"): str(row["rank"]) if row["rank"] is not None else "—",
        t("unit"): row["name"] or row["code"],
        viewer.figure("score"): "—" if row["score"] is None else f"{row['score']:.1f}",
        viewer.figure("grade"): row["grade"] or "—",
        viewer.figure("due"): row["due"],
        viewer.figure("on_time_closure_rate"): percent(row["rates"]["on_time_closure_rate"]),
        viewer.figure("handling_rate"): percent(row["rates"]["handling_rate"]),
        viewer.figure("rework_rate"): percent(row["rates"]["rework_rate"]),
        viewer.figure("overdue_rate"): percent(row["rates"]["overdue_rate"]),
        viewer.figure("open"): row["open"],
    } for row in ranking["items"]]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.caption(t("nothing"))


def trends_chart(viewer: Viewer, trends: dict[str, Any]) -> None:
    st.subheader(t("trends"))
    # Up to today: the API lists every bucket of the period, the days to come with zeros.
    today = beijing_today()
    points = [p for p in trends["items"] if dt.date.fromisoformat(p["bucket"]) <= today]
    counts, rate = [t("trend_reported"), t("trend_closed")], t("trend_on_time")
    # Dates as text (月-日): a date axis would be labelled in English (December, Wed 09).
    frame = pd.DataFrame([{
        t("day_in_period"): dt.date.fromisoformat(p["bucket"]).strftime("%m-%d"),
        counts[0]: p["reported"],
        counts[1]: p["closed"],
        rate: (None if p["rates"]["on_time_closure_rate"] is None
               else round(p["rates"]["on_time_closure_rate"] * 100, 1)),
    } for p in points], columns=[t("day_in_period"), *counts, rate]).set_index(
        t("day_in_period"))
    left, right = st.columns(2)
    # Bars: a line through a single day (the first of a month) draws nothing. A series with
    # nothing in it gets a sentence: its chart would be empty, on an axis labelled "0.000000",
    # or "null" for rates that do not exist.
    if frame[counts].to_numpy().sum():
        left.bar_chart(frame[counts], stack=False)
    else:
        left.caption(t("trend_no_cases"))
    if frame[rate].notna().any():
        right.bar_chart(frame[[rate]])
    else:
        right.caption(t("trend_no_due"))


def drill_down(ranking: dict[str, Any], by: str) -> None:
    """A picker of the units ranked: choosing one looks at it (its own ranking one level down).
    The picker empties itself once used, so coming back up does not go straight down again."""
    if by == "department":
        return
    units = [(row["code"], row["name"] or row["code"]) for row in ranking["items"]]
    if not units:
        return

    def go() -> None:
        choice = st.session_state["leader_drill"]
        if choice is not None:
            drill_path().append(choice)
            st.session_state["leader_drill"] = None

    st.selectbox(t("drill_down"), [None, *units], key="leader_drill", on_change=go,
                 format_func=lambda u: t("drill_choose") if u is None else u[1],
                 placeholder=t("choose"))


def page(viewer: Viewer) -> None:
    st.title(t("page_leader"))
    st.caption(viewer.who())
    if not viewer.can("kpi"):
        st.info(t("no_permission"))
        return
    period = picker(viewer)
    if period is None:
        return
    area = breadcrumb(viewer)
    get = viewer.client.get
    now = get("/kpi/summary", area=area, **period)
    before = get("/kpi/summary", area=area, **previous_params(now["period"]))
    headline(viewer, now, before)
    by = level_below(viewer, area)
    ranking = get("/kpi/rankings", area=area, by=by, **period)
    left, right = st.columns(2)
    with left:
        st.subheader(t(f"ranking_{by}"))
        ranking_table(viewer, ranking)
        drill_down(ranking, by)
    with right:
        if area is None or len(area) == 6:
            st.subheader(t("ranking_department"))
            ranking_table(viewer, get("/kpi/rankings", area=area, by="department", **period))
    days = (dt.date.fromisoformat(now["period"]["to"])
            - dt.date.fromisoformat(now["period"]["from"])).days + 1
    trends_chart(viewer, get("/kpi/trends", area=area, interval="day" if days <= 62 else "week",
                             **period))
    dispute_summary(viewer, area, by, period)
    request_summary(viewer, area, by, period)
    leader_summary(viewer)
    if viewer.can("residents") or viewer.can("households"):
        ledger_counts(viewer, area, "ledgers", (
            "grids", "buildings", "households", "rental_households", "residents",
            "organizations", "key_supervised_organizations"))


render(page)

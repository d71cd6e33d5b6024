"""Ledger counts of an area (never names), as the leader view and the grid view show them."""

from __future__ import annotations

import streamlit as st

from dashboards.session import Viewer, t


def ledger_counts(viewer: Viewer, area: str | None, heading: str,
                  names: tuple[str, ...]) -> None:
    """`names`: which of /kpi/ledgers' counts to show, in order; then the key groups'."""
    ledgers = viewer.client.get("/kpi/ledgers", area=area)
    st.subheader(t(heading))
    for column, name in zip(st.columns(len(names)), names, strict=True):
        column.metric(t(name), f"{ledgers[name]:,}")
    groups = {viewer.label("key_group", k): v for k, v in ledgers["key_groups"].items() if v}
    if groups:
        st.caption(t("key_groups") + ": " + " · ".join(f"{k} {v:,}" for k, v in groups.items()))

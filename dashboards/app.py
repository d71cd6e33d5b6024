"""GridLink dashboards (thin for now): the command center's live view of cases.

Run with `gridlink dashboards`; every figure comes from the REST API.
"""

from __future__ import annotations

import httpx
import streamlit as st

from dashboards.client import API_URL, ApiClient

STATUS_LABELS = {
    "reported": "已上报", "filed": "已立案", "dispatched": "已派遣", "processing": "处理中",
    "handled": "已处置", "closed": "已结案", "cancelled": "已作废",
}
OPEN = "reported,filed,dispatched,processing,handled"

st.set_page_config(page_title="GridLink 网格联动 指挥中心", layout="wide")
st.title("网格联动 指挥中心 Command center")

client = ApiClient()
try:
    by_status = {label: client.total("cases", status=status) for status, label in STATUS_LABELS.items()}
except httpx.HTTPError as exc:
    st.error(f"无法连接 API ({API_URL}): {exc}")
    st.stop()

cols = st.columns(len(by_status))
for col, (label, count) in zip(cols, by_status.items(), strict=True):
    col.metric(label, f"{count:,}")

st.subheader("待办案卷 (按处置时限) Open cases by deadline")
open_cases = client.rows(
    "cases", status__in=OPEN, sort="due_at", limit=50,
    fields="code,title,grid_code,department_code,status,due_at",
)
st.dataframe(open_cases, use_container_width=True, hide_index=True)

st.subheader("台账概况 Ledgers")
ledger_cols = st.columns(4)
for col, (entity, label) in zip(
    ledger_cols,
    (("grids", "网格"), ("buildings", "楼栋"), ("households", "户"), ("residents", "居民")),
    strict=True,
):
    col.metric(label, f"{client.total(entity):,}")

"""GridLink dashboards (thin for now): the command center's live view of cases.

Run with `gridlink dashboards`. The viewer logs in with their GridLink account; every figure
comes from the REST API with their token, so each viewer sees exactly their scope.
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


def login_form() -> None:
    st.title("网格联动 登录 Log in")
    with st.form("login"):
        username = st.text_input("用户名 Username")
        password = st.text_input("密码 Password", type="password")
        if st.form_submit_button("登录 Log in"):
            try:
                st.session_state["token"] = ApiClient().login(username, password)["access_token"]
                st.rerun()
            except httpx.HTTPStatusError as exc:
                detail = exc.response.json().get("detail", "") if exc.response.content else ""
                st.error(f"登录失败: {detail}")
            except httpx.HTTPError as exc:
                st.error(f"无法连接 API ({API_URL}): {exc}")


def command_center(client: ApiClient) -> None:
    me = client.me()
    st.title("网格联动 指挥中心 Command center")
    roles = (f"{r['role_label']} {r['area_code'] or r['department_code'] or '全域'}"
             for r in me["roles"])
    st.caption(f"{me['display_name']} · " + ", ".join(roles))
    if "read" not in me["permissions"].get("cases", []):
        st.info("您的账号无权查看案卷。")
        return
    by_status = {label: client.total("cases", status=status)
                 for status, label in STATUS_LABELS.items()}
    for col, (label, count) in zip(st.columns(len(by_status)), by_status.items(), strict=True):
        col.metric(label, f"{count:,}")

    st.subheader("待办案卷 (按处置时限) Open cases by deadline")
    open_cases = client.rows(
        "cases", status__in=OPEN, sort="due_at", limit=50,
        fields="code,title,grid_code,department_code,status,due_at",
    )
    st.dataframe(open_cases, use_container_width=True, hide_index=True)

    ledgers = [(e, label) for e, label in (("grids", "网格"), ("buildings", "楼栋"),
                                            ("households", "户"), ("residents", "居民"))
               if "read" in me["permissions"].get(e, [])]
    if ledgers:
        st.subheader("台账概况 Ledgers")
        for col, (entity, label) in zip(st.columns(len(ledgers)), ledgers, strict=True):
            col.metric(label, f"{client.total(entity):,}")


token = st.session_state.get("token")
if token is None:
    login_form()
else:
    if st.sidebar.button("退出 Log out"):
        del st.session_state["token"]
        st.rerun()
    try:
        command_center(ApiClient(token))
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 401:  # the token expired: log in again
            del st.session_state["token"]
            st.rerun()
        st.error(f"API 错误: {exc.response.status_code}")
    except httpx.HTTPError as exc:
        st.error(f"无法连接 API ({API_URL}): {exc}")

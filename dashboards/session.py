"""The viewer of a dashboards session: who they are, how they reach the API, their language,
and what a page shows when the API is down or no longer accepts them.

`render(body)` runs a page body with the viewer; any failure of the API becomes a sentence and
a retry button, never a stack trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from dashboards import config
from dashboards.client import ApiClient, ApiRefused, ApiUnavailable, SessionExpired
from dashboards.texts import TEXTS

BEIJING = ZoneInfo("Asia/Shanghai")
LANGUAGES = {"zh": "中文", "en": "English"}


def language() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **values: Any) -> str:
    zh, en = TEXTS[key]
    text = en if language() == "en" else zh
    return text.format(**values) if values else text


def beijing_time(value: str | None, fmt: str = "%m-%d %H:%M") -> str:
    """An API timestamp (ISO 8601, UTC) as Beijing time."""
    if not value:
        return ""
    return dt.datetime.fromisoformat(value).astimezone(BEIJING).strftime(fmt)


def beijing_today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def _name(entry: dict[str, str]) -> str:
    """A label's name in the viewer's language ("on-time closure rate" as a heading: capital)."""
    if language() == "en":
        return entry["en"][:1].upper() + entry["en"][1:]
    return entry["zh"]


@dataclass
class Viewer:
    """The signed-in account (or the wall screen's service account) and what the API says of
    it: fetched once per session, then reused by every page and refresh."""

    client: ApiClient
    me: dict[str, Any]
    labels: dict[str, Any]

    def can(self, entity: str, action: str = "read") -> bool:
        return action in self.me["permissions"].get(entity, [])

    def label(self, kind: str, value: str | None) -> str:
        if value is None:
            return ""
        for entry in self.labels["enums"].get(kind, []):
            if entry["value"] == value:
                return _name(entry)
        return value

    def figure(self, name: str) -> str:
        entry = self.labels["figures"][name]
        return _name(entry)

    def department(self, code: str | None) -> str:
        if code is None:
            return t("not_dispatched")
        names = {d["code"]: d["name"] for d in self.labels["departments"]}
        return names.get(code, code)

    def category(self, code: str | None) -> str:
        names = {c["code"]: c["name"] for c in self.labels["categories"]}
        return names.get(code or "", code or "")

    def scope(self) -> str:
        """Role and scope in words: 社区书记 · 红旗社区, 职能部门 · 鹤山区环境卫生管理处."""
        return ", ".join(
            f"{self.label('role', r['role'])} · {r.get('scope_name') or t('whole_scope')}"
            for r in self.me["roles"])

    def who(self) -> str:
        """The caption under a page's title: name, role and scope (李明 · 领导小组 · 鹤山区), the
        name left out when it is only the role's (the demo's 领导小组 account)."""
        name = self.me["display_name"]
        roles = {self.label("role", r["role"]) for r in self.me["roles"]}
        return self.scope() if name in roles else f"{name} · {self.scope()}"

    def area_codes(self) -> list[str]:
        return [r["area_code"] for r in self.me["roles"] if r["area_code"]]


def _credentials() -> tuple[str | None, str | None]:
    return st.session_state.get("token"), config.SERVICE_API_KEY


def signed_in() -> bool:
    token, key = _credentials()
    return bool(token or key)


def viewer() -> Viewer:
    cached = st.session_state.get("viewer")
    if cached is not None:
        return cached
    token, key = _credentials()
    client = ApiClient(token=token, api_key=None if token else key)
    found = Viewer(client, client.me(), client.get("/labels"))
    st.session_state["viewer"] = found
    return found


def sign_out() -> None:
    for name in ("token", "viewer", "grid_map"):
        st.session_state.pop(name, None)


def login_form() -> None:
    st.title(t("login_title"))
    with st.form("login"):
        username = st.text_input(t("username"))
        password = st.text_input(t("password"), type="password")
        submitted = st.form_submit_button(t("login"), type="primary")
    if not submitted:
        return
    if not username or not password:
        st.warning(t("login_missing"))
        return
    try:
        st.session_state["token"] = ApiClient().login(username, password)
    except ApiRefused as exc:
        st.error(t("login_failed", detail=exc.detail))
        return
    except ApiUnavailable as exc:
        show_unavailable(exc)
        return
    st.session_state.pop("viewer", None)
    st.rerun()


def show_unavailable(exc: ApiUnavailable) -> None:
    st.error(t("api_down", url=config.API_URL))
    st.caption(t("api_down_detail", detail=str(exc)))


def render(body: Callable[[Viewer], None]) -> None:
    """Run a page (or a fragment's) body for the viewer, turning API failures into words."""
    try:
        body(viewer())
    except SessionExpired:
        if st.session_state.get("token"):
            sign_out()
            st.warning(t("session_expired"))
            st.button(t("login"), key="relogin", on_click=lambda: None)
        else:
            st.error(t("key_refused"))
    except ApiUnavailable as exc:
        show_unavailable(exc)
        st.button(t("retry"), key=f"retry-{body.__name__}")
    except ApiRefused as exc:
        st.warning(t("refused", detail=exc.detail))

"""The dashboards as their viewers see them: Streamlit's AppTest runs the pages of
dashboards/app.py against a live API over a seeded county (tests/live_county.py), as the demo
accounts leader (the county), secretary (a community) and dept-sanitation (the sanitation
department) and as a wall screen's service key. Every figure on screen is checked against what
the API answers that account, and every word on screen is Chinese: no English, no code where a
name belongs. Also: what a viewer reads when the API is down, a login has expired or a key is
revoked, what the English switch does, and what a refresh costs in API calls.

Each account has one dashboards session for the whole module, logged in through the login form
once; each test switches it to the page it looks at. Before the first test the secretary
reports a hot spot (three reports of one class across the border of two grids), so the hot-spot
figures are not all nought.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from shapely.geometry import LineString, Point, shape
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.core.db import Database
from backend.identity import security
from backend.identity.models import User
from dashboards import config
from dashboards.session import beijing_today
from tests.builders import DEMO_PASSWORD
from tests.live_county import SECRET, LiveCounty
from tests.servers import eventually, free_port

APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
# How long one run of a page may take: a safety net for a loaded machine, not a timing.
TIMEOUT = 300.0

# What the viewer reads (zh): the command center's headline, the leader view's figures and the
# ledger counts, by the API's names for them.
LIGHTS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
FLOW = {"reported": "上报数", "filed": "立案数", "dispatched": "派遣数", "closed": "结案数",
        "due": "应结案数", "open": "未办结数", "overdue": "超期未处置数"}
RATES = {"closure_rate": "结案率", "on_time_closure_rate": "按期结案率",
         "handling_rate": "处置率", "on_time_handling_rate": "按期处置率",
         "rework_rate": "返工率", "extension_rate": "延期率", "overdue_rate": "超期率",
         "satisfaction_rate": "满意率"}
LEDGERS = {"grids": "网格", "buildings": "楼栋", "households": "户",
           "rental_households": "出租户", "residents": "居民", "organizations": "组织",
           "key_supervised_organizations": "重点监管组织"}
# The leader view's disputes (矛盾纠纷排查化解): the headline, and each unit's columns.
DISPUTES = {"found": "发现纠纷数", "settled": "化解数", "settlement_rate": "化解率",
            "low_level_share": "基层化解占比", "high_risk_open": "高风险未化解数",
            "handover_overdue": "移交超期数", "screenings_missing": "未报排查数",
            "screening_on_time_rate": "排查按时上报率"}
DISPUTE_UNITS = {"found": "发现纠纷数", "settled": "化解数", "settlement_rate": "化解率",
                 "settled_grid": "网格化解数", "settled_community": "社区化解数",
                 "settled_street": "街道化解数", "settled_office": "移交办结数",
                 "unsettled": "未化解数", "high_risk_open": "高风险未化解数",
                 "screenings_late": "逾期排查上报数", "screenings_missing": "未报排查数",
                 "screening_on_time_rate": "排查按时上报率"}
REQUESTS = {"requests": "受理诉求数", "request_on_time_rate": "诉求按时办结率",
            "requests_open": "在办诉求数", "requests_overdue": "超时未办结诉求数",
            "errands": "受理代办数", "errand_answer_rate": "代办应答及时率",
            "errand_done_rate": "代办办结率", "errands_unanswered_overdue": "超时未应答代办数"}
REQUEST_UNITS = {"requests": "受理诉求数", "requests_closed_in_time": "按时办结诉求数",
                 "request_on_time_rate": "诉求按时办结率", "requests_open": "在办诉求数",
                 "requests_overdue": "超时未办结诉求数", "errands": "受理代办数",
                 "errand_answer_rate": "代办应答及时率", "errands_done": "代办办结数",
                 "errands_unanswered_overdue": "超时未应答代办数"}
GRID_LEDGERS = {k: v for k, v in LEDGERS.items()
                if k not in ("grids", "key_supervised_organizations")}
HOTSPOT_CATEGORY = "积存垃圾渣土"


# --- the API, as each account reads it -----------------------------------------------------


class Api:
    """What the API answers each account (one login each): the figures a page must show."""

    def __init__(self, county: LiveCounty) -> None:
        self.county = county
        self.base = f"{county.api_url}/api/v1"
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = self.county.token(username)
        return self.tokens[username]

    def request(self, username: str, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, self.base + path, timeout=TIMEOUT, headers={
            "Authorization": f"Bearer {self.token(username)}"}, **kwargs)
        response.raise_for_status()
        return response.json()

    def get(self, username: str, path: str, **params: Any) -> Any:
        return self.request(username, "GET", path,
                            params={k: v for k, v in params.items() if v is not None})


def metres_to_degrees(at: Point, east_m: float, north_m: float) -> tuple[float, float]:
    return (east_m / (111_320.0 * math.cos(math.radians(at.y))), north_m / 111_320.0)


def report_hot_spot(api: Api) -> None:
    """The secretary reports rubbish three times where two of the community's grids meet:
    40 m into one grid, 40 m into the other, 110 m into the first (each more than 50 m from
    the others, or intake would take it for a repeat call; all within 200 m). The alert holds
    reports of both grids, so its area is the community's code, not a grid's."""
    features = api.get("secretary", "/kpi/map")["features"]
    grids = {f["properties"]["code"]: shape(f["geometry"]) for f in features if f["geometry"]}
    first, second = next((a, b) for a, b in itertools.combinations(grids, 2)
                         if isinstance(grids[a].intersection(grids[b]), LineString))
    border = grids[first].intersection(grids[second])
    middle = border.interpolate(0.5, normalized=True)
    (x0, y0), (x1, y1) = border.coords[0], border.coords[-1]  # the border's ends
    east, north = (x1 - x0) * 111_320 * math.cos(math.radians(y0)), (y1 - y0) * 111_320
    length = math.hypot(east, north)
    normal = (-north / length, east / length)  # across the border, in metres
    step = metres_to_degrees(middle, *normal)
    if not grids[first].contains(Point(middle.x + step[0], middle.y + step[1])):
        normal = (-normal[0], -normal[1])

    def across(metres: float) -> Point:
        dx, dy = metres_to_degrees(middle, normal[0] * metres, normal[1] * metres)
        return Point(middle.x + dx, middle.y + dy)

    points = [across(40), across(-40), across(110)]
    assert [grids[first].contains(points[0]), grids[second].contains(points[1]),
            grids[first].contains(points[2])] == [True, True, True]
    category = next(c["code"] for c in api.get("secretary", "/labels")["categories"]
                    if c["name"] == HOTSPOT_CATEGORY)
    for point in points:
        api.request("secretary", "POST", "/cases", json={
            "source": "hotline_12345", "category_code": category, "title": "路边积存垃圾",
            "address": "两网格交界处", "lat": round(point.y, 7), "lng": round(point.x, 7)})
    alerts = api.get("secretary", "/hotspot-alerts", status="open")["items"]
    assert any({c["grid_code"] for c in a["cases"]} >= {first, second} for a in alerts), alerts


@pytest.fixture(scope="module")
def api(live_county: LiveCounty) -> Iterator[Api]:
    """The dashboards pointed at the live API, with no wall-screen key; the hot spot reported."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "API_URL", live_county.api_url)
        patch.setattr(config, "SERVICE_API_KEY", None)
        county = Api(live_county)
        report_hot_spot(county)
        yield county


# --- dashboards sessions ---------------------------------------------------------------------


def new_session() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def widget(elements: Any, label: str) -> Any:
    found = [e for e in elements if e.label == label]
    assert len(found) == 1, f"{label}: {[e.label for e in elements]}"
    return found[0]


def log_in(at: AppTest, username: str) -> AppTest:
    """Through the login form, as the viewer does; lands on the command center."""
    widget(at.text_input, "用户名").input(username)
    widget(at.text_input, "密码").input(DEMO_PASSWORD)
    widget(at.button, "登录").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["指挥中心"]
    return at


@pytest.fixture(scope="module")
def screen(api: Api) -> Callable[[str], AppTest]:
    """screen("leader") → that account's dashboards session (logged in on first use)."""
    opened: dict[str, AppTest] = {}

    def open_for(username: str) -> AppTest:
        if username not in opened:
            opened[username] = log_in(new_session().run(), username)
        return opened[username]

    return open_for


def settled(at: AppTest, answer: Callable[[], Any], shown: Callable[[AppTest], Any]
            ) -> tuple[Any, Any]:
    """(what the page shows, what the API answers) from one run of the page between two reads
    of the API that agree. Lights are as of now (a case turns red the moment its due time
    passes): when the API's answer changed meanwhile, page and API are read again."""
    for _ in range(5):
        before = answer()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if answer() == before:
            return shown(at), before
    raise AssertionError("the API's answer changed at every read")


# --- what is on screen -----------------------------------------------------------------------


LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
NAMES = {"APP", "Open311"}  # 市民APP and the Open311 channel: names of sources, not English
# Columns that name places, departments, categories and units: never a code.
NAME_COLUMNS = ("网格", "部门", "区域", "类别", "单位", "已通知的相邻网格")
CODE = re.compile(r"\d{5,}")


def texts_on_screen(at: AppTest) -> list[str]:
    texts = [e.value for kind in (at.title, at.header, at.subheader, at.caption, at.markdown,
                                  at.info, at.warning, at.error) for e in kind]
    texts += [part for m in at.metric for part in (m.label, m.value, m.delta or "")]
    texts += [b.label for b in at.button]
    texts += [part for s in at.selectbox for part in (s.label, *s.options)]
    texts += [d.label for d in at.date_input]
    for table in at.dataframe:
        frame = table.value
        texts += [str(c) for c in frame.columns]
        texts += [v for v in frame.to_numpy().ravel() if isinstance(v, str)]
    return texts


def english_on_screen(at: AppTest) -> set[str]:
    """Latin words on screen other than names (a grade's single letter is no word)."""
    return {word for text in texts_on_screen(at) for word in LATIN_WORD.findall(text)
            if len(word) > 1 and word not in NAMES}


def codes_on_screen(at: AppTest) -> list[str]:
    """Codes shown where a name belongs."""
    return [str(v) for table in at.dataframe for column in NAME_COLUMNS
            if column in table.value.columns for v in table.value[column]
            if CODE.search(str(v))]


def assert_chinese(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert english_on_screen(at) == set()
    assert codes_on_screen(at) == []


def metrics(at: AppTest, labels: Any) -> dict[str, str]:
    return {m.label: m.value for m in at.metric if m.label in labels}


def table(at: AppTest, column: str) -> Any:
    """The one table with this column (None: the page shows 暂无 instead of an empty table)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) <= 1, column
    return found[0] if found else None


def column_of(at: AppTest, marker: str, column: str) -> list[Any]:
    found = table(at, marker)
    return [] if found is None else found[column].tolist()


def records(frame: Any) -> list[dict[str, Any]]:
    return [] if frame is None else frame.to_dict("records")


def number(value: int) -> str:
    return f"{value:,}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


# --- the command center ----------------------------------------------------------------------


HEADLINE = ("未办结", *LIGHTS.values(), "督办中", "聚集性预警")


def command_center_answer(api: Api, username: str, area: str | None = None) -> dict[str, Any]:
    live = api.get(username, "/kpi/command-center", area=area)
    figures = {"未办结": live["open"], **{LIGHTS[k]: v for k, v in live["by_light"].items()},
               "督办中": live["escalated"]}
    if "hotspot-alerts" in api.get(username, "/auth/me")["permissions"]:
        figures["聚集性预警"] = api.get(username, "/hotspot-alerts", status="open", limit=1,
                                   area_code__startswith=area)["total"]
    return {"figures": {k: number(v) for k, v in figures.items()},
            "red list": [r["code"] for r in live["red_list"]],
            "by department": [{"部门": d["name"], "未办结": d["open"], "红灯": d["red"]}
                              for d in live["by_department"]],
            "newest": [r["code"] for r in live["newest"]]}


def command_center_shown(at: AppTest) -> dict[str, Any]:
    return {"figures": metrics(at, HEADLINE),
            "red list": column_of(at, "超期小时", "案卷编号"),
            "by department": records(table(at, "红灯")),
            "newest": column_of(at, "来源", "案卷编号")}


def scope_caption(api: Api, username: str) -> str:
    """Name, role and scope; a name that is only the role's (the demo's accounts) left out."""
    me = api.get(username, "/auth/me")
    scope = ", ".join(f"{r['role_label']} · {r['scope_name']}" for r in me["roles"])
    named = me["display_name"] not in {r["role_label"] for r in me["roles"]}
    return f"{me['display_name']} · {scope}" if named else scope


def grid_names(api: Api, username: str) -> dict[str, str]:
    return {f["properties"]["code"]: f["properties"]["name"]
            for f in api.get(username, "/kpi/map")["features"]}


def test_the_leader_sees_the_county_figures_the_api_gives(api, screen):
    at = screen("leader").switch_page("views/command_center.py")
    shown, answered = settled(at, lambda: command_center_answer(api, "leader"),
                              command_center_shown)
    assert shown == answered
    assert answered["figures"]["聚集性预警"] != "0"  # the secretary's hot spot
    assert at.caption[0].value == scope_caption(api, "leader") == "领导小组 · 鹤山区"
    # Each hot spot where its reports are: the names of their grids (the alert's own area is
    # the community's code when they span two grids).
    names = grid_names(api, "leader")
    alerts = api.get("leader", "/hotspot-alerts", status="open", sort="-last_reported_at",
                     limit=20)
    assert column_of(at, "案卷数", "区域") == [
        "、".join(dict.fromkeys(names[c["grid_code"]] for c in a["cases"]))
        for a in alerts["items"]]
    assert any("、" in where for where in column_of(at, "案卷数", "区域"))
    # The half-monthly dispute screening: who is late or has not reported, as the API says.
    status = api.get("leader", "/kpi/disputes/screenings")
    behind = [(item["grid_name"], {"late": "逾期上报", "missing": "未报"}[item["status"]])
              for item in status["items"] if item["status"] in ("late", "missing")]
    assert "半月排查上报" in [s.value for s in at.subheader]
    assert list(zip(column_of(at, "上报情况", "网格"), column_of(at, "上报情况", "上报情况"),
                    strict=True)) == behind
    assert any(f"未报 {status['missing']}" in c.value for c in at.caption)
    assert_chinese(at)


# --- the leader view -------------------------------------------------------------------------


def last_month() -> dt.date:
    """A day of last month (Beijing): the seed's cases are of the past year up to now, so the
    month before this one has cases due, rates and a score."""
    return beijing_today().replace(day=1) - dt.timedelta(days=1)


def ranking_rows(ranking: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"名次": "—" if r["rank"] is None else str(r["rank"]), "单位": r["name"],
             "综合得分": score(r["score"]), "等级": r["grade"] or "—", "应结案数": r["due"],
             "按期结案率": percent(r["rates"]["on_time_closure_rate"]),
             "处置率": percent(r["rates"]["handling_rate"]),
             "返工率": percent(r["rates"]["rework_rate"]),
             "超期率": percent(r["rates"]["overdue_rate"]), "未办结数": r["open"]}
            for r in ranking["items"]]


def leader_answer(api: Api, username: str, day: dt.date, area: str | None = None,
                  rankings: tuple[str, ...] = ("street", "department"),
                  ledgers: bool = True) -> dict[str, Any]:
    """The leader view of the month of `day` over `area` (None: the viewer's whole scope);
    `ledgers`: whether the viewer may read the ledgers (a department may not)."""
    period = {"period": "month", "date": str(day)}
    now = api.get(username, "/kpi/summary", area=area, **period)
    counts = {**now["counts"], **now["due"], **now["open"]}
    counted = api.get(username, "/kpi/ledgers", area=area) if ledgers else {}
    # Areas' disputes: not a department's (it reads only the disputes handed to it).
    disputes = (api.get(username, "/kpi/disputes", area=area, by=rankings[0], **period)
                if ledgers else None)
    requests = (api.get(username, "/kpi/requests", area=area, by=rankings[0], **period)
                if ledgers else None)
    return {
        "period": now["period"]["label"],
        "figures": {"综合得分": score(now["score"]), "等级": now["grade"] or "—",
                    **{FLOW[k]: number(counts[k]) for k in FLOW},
                    **{RATES[k]: percent(now["rates"][k]) for k in RATES}},
        "rankings": [ranking_rows(api.get(username, "/kpi/rankings", area=area, by=by,
                                          **period)) for by in rankings],
        "ledgers": {v: number(counted[k]) for k, v in LEDGERS.items() if counted},
        "disputes": {} if disputes is None else {
            label: dispute_value(disputes, name) for name, label in DISPUTES.items()},
        "dispute units": [] if disputes is None else [
            {"单位": unit["name"], **{label: dispute_value(unit, name)
                                    for name, label in DISPUTE_UNITS.items()}}
            for unit in disputes["by"]],
        "requests": {} if requests is None else {
            label: dispute_value(requests, name) for name, label in REQUESTS.items()},
        "request units": [] if requests is None else [
            {"单位": unit["name"], **{label: dispute_value(unit, name)
                                    for name, label in REQUEST_UNITS.items()}}
            for unit in requests["by"]],
    }


def dispute_value(figures: dict[str, Any], name: str) -> str:
    return percent(figures["rates"][name]) if name in figures["rates"] else number(figures[name])


def leader_shown(at: AppTest) -> dict[str, Any]:
    return {
        "period": at.subheader[0].value.split(" · ")[0],
        "figures": metrics(at, ("综合得分", "等级", *FLOW.values(), *RATES.values())),
        "rankings": [records(d.value) for d in at.dataframe
                     if not {"发现纠纷数", "受理诉求数"} & set(d.value.columns)],
        "ledgers": metrics(at, LEDGERS.values()),
        "disputes": metrics(at, DISPUTES.values()),
        "dispute units": records(table(at, "发现纠纷数")),
        "requests": metrics(at, REQUESTS.values()),
        "request units": records(table(at, "受理诉求数")),
    }


def test_the_leader_view_gives_last_months_score_flow_and_rankings_as_the_api(api, screen):
    at = screen("leader").switch_page("views/leader.py").run()
    day = last_month()
    # It opens on this month (Beijing), the API's default period, against the one before.
    this_month = api.get("leader", "/kpi/summary")["period"]["label"]
    before = api.get("leader", "/kpi/summary", period="month", date=str(day))["period"]["label"]
    assert at.subheader[0].value == f"{this_month} · 与上一时段 ({before}) 相比"
    assert widget(at.selectbox, "时段").value == "month"
    # Last month has cases due: its figures, its streets' and departments' rankings.
    widget(at.selectbox, "统计期").set_value(day.replace(day=1))
    shown, answered = settled(at, lambda: leader_answer(api, "leader", day), leader_shown)
    assert shown == answered
    assert answered["figures"]["综合得分"] != "—"  # a month with cases due
    assert [s.value for s in at.subheader][1:3] == ["街道排名", "部门排名"]
    assert "矛盾纠纷排查化解" in [s.value for s in at.subheader]
    assert answered["disputes"]["发现纠纷数"] != "0"  # a month of the seed's disputes
    assert "民情诉求与代办" in [s.value for s in at.subheader]
    assert answered["requests"]["受理诉求数"] != "0"  # and of its requests
    assert at.caption[0].value == scope_caption(api, "leader")
    assert_chinese(at)

    # Down to the street ranked first: its figures and its communities' ranking.
    streets = api.get("leader", "/kpi/rankings", by="street", period="month", date=str(day))
    street = streets["items"][0]
    widget(at.selectbox, "下钻到").set_value((street["code"], street["name"]))
    shown, answered = settled(
        at, lambda: leader_answer(api, "leader", day, street["code"], ("community",)),
        leader_shown)
    assert shown == answered
    assert "社区排名" in [s.value for s in at.subheader]
    assert_chinese(at)

    widget(at.button, "返回 全部辖区").click().run()
    assert [s.value for s in at.subheader][1:3] == ["街道排名", "部门排名"]


# --- the assessment ---------------------------------------------------------------------------


GRADES = {"excellent": "优秀", "qualified": "合格", "basic": "基本合格", "unqualified": "不合格"}


def assessment_answer(api: Api, username: str, run_id: int) -> dict[str, Any]:
    run = api.get(username, f"/assessments/runs/{run_id}")
    grades = dict.fromkeys(GRADES.values(), 0)
    for score in run["scores"]:
        grades[GRADES[score["grade"]]] += 1
    return {"units": [s["unit_name"] for s in run["scores"]],
            "ranks": [str(s["rank"]) for s in run["scores"]],
            "totals": [f"{s['total']:g}" for s in run["scores"]],
            "grades": [GRADES[s["grade"]] for s in run["scores"]],
            "counts": {"考核对象数": str(run["units"]), **{k: str(v) for k, v in grades.items()}}}


def assessment_shown(at: AppTest) -> dict[str, Any]:
    ranking = table(at, "总分")
    return {"units": ranking["单位"].tolist(), "ranks": ranking["名次"].tolist(),
            "totals": ranking["总分"].tolist(), "grades": ranking["等级"].tolist(),
            "counts": metrics(at, ("考核对象数", *GRADES.values()))}


def test_the_assessment_page_ranks_as_the_api_and_the_leader_view_names_flags_and_stars(
        api, screen):
    at = screen("leader").switch_page("views/assessment.py").run()
    assert not at.exception, [e.value for e in at.exception]
    runs = api.get("leader", "/assessment-runs", limit=200, sort="-period_first,-id")["items"]
    level = widget(at.selectbox, "考核对象")
    assert level.options == ["网格", "网格长", "社区", "职能部门"]
    newest = next(r for r in runs if r["level"] == "grid")  # the newest quarter's final run
    shown, answered = settled(at, lambda: assessment_answer(api, "leader", newest["id"]),
                              assessment_shown)
    assert shown == answered and answered["units"]
    assert widget(at.selectbox, "考核批次").value == newest["id"]
    assert_chinese(at)

    # The community ranking, as printed, and the grid chiefs' stars.
    level.set_value("community").run()
    community = next(r for r in runs if r["level"] == "community")
    assert widget(at.selectbox, "考核批次").value == community["id"]
    shown, answered = settled(at, lambda: assessment_answer(api, "leader", community["id"]),
                              assessment_shown)
    assert shown == answered
    assert "连续末两位季度" in table(at, "总分").columns
    assert_chinese(at)
    widget(at.selectbox, "考核对象").set_value("grid_chief").run()
    chief_run = next(r for r in runs if r["level"] == "grid_chief")
    chiefs = api.get("leader", f"/assessments/runs/{chief_run['id']}")
    stars = [s["unit_name"] for s in chiefs["scores"] if s["star"]]
    assert f"**星级网格员**: {'、'.join(stars)}" in [m.value for m in at.markdown]

    # The leader view sums it up under the figures.
    at.switch_page("views/leader.py").run()
    assert "考核结果" in [s.value for s in at.subheader]
    assert any(m.value.startswith("**星级网格员**") and stars[0] in m.value
               for m in at.markdown)
    assert_chinese(at)


# --- the secretary: one community ------------------------------------------------------------


def grid_answer(api: Api, code: str) -> dict[str, Any]:
    ledgers = api.get("secretary", "/kpi/ledgers", area=code)
    return {"grid": code,
            "figures": command_center_answer(api, "secretary", code)["figures"],
            "ledgers": {v: number(ledgers[k]) for k, v in GRID_LEDGERS.items()},
            "team": sorted((m["name"], m.get("phone") or "") for m in api.get(
                "secretary", "/grid-staff", grid_code=code, is_active="true", sort="id",
                limit=100)["items"])}


def grid_shown(at: AppTest) -> dict[str, Any]:
    team = table(at, "职务")
    return {"grid": widget(at.selectbox, "网格").value,
            "figures": metrics(at, HEADLINE),
            "ledgers": metrics(at, GRID_LEDGERS.values()),
            # The roster, whoever leads first: compared as a set of (name, phone).
            "team": sorted(zip(team["姓名"], team["电话"], strict=True)) if team is not None
            else []}


def test_the_secretary_sees_their_community_and_its_grids_only(api, screen):
    at = screen("secretary").switch_page("views/command_center.py")
    shown, answered = settled(at, lambda: command_center_answer(api, "secretary"),
                              command_center_shown)
    assert shown == answered
    me = api.get("secretary", "/auth/me")
    assert at.caption[0].value == scope_caption(api, "secretary")
    assert me["roles"][0]["scope_name"] in at.caption[0].value  # 中山社区
    names = grid_names(api, "secretary")
    assert all(code.startswith(me["roles"][0]["area_code"]) for code in names)
    assert set(column_of(at, "来源", "网格")) <= set(names.values())
    assert answered["figures"]["聚集性预警"] != "0"  # the hot spot they reported
    assert_chinese(at)

    # The grid page: the community's grids to choose from, each with its own figures.
    at.switch_page("views/grid.py")
    codes = list(names)
    shown, answered = settled(at, lambda: grid_answer(api, codes[0]), grid_shown)
    assert shown == answered
    assert widget(at.selectbox, "网格").options == [f"{names[c]} ({c})" for c in codes]
    assert_chinese(at)
    widget(at.selectbox, "网格").set_value(codes[1])
    shown, answered = settled(at, lambda: grid_answer(api, codes[1]), grid_shown)
    assert shown == answered


# --- a department: its own cases --------------------------------------------------------------


def test_the_sanitation_department_sees_its_own_cases_only(api, screen):
    at = screen("dept-sanitation").switch_page("views/command_center.py")
    shown, answered = settled(at, lambda: command_center_answer(api, "dept-sanitation"),
                              command_center_shown)
    assert shown == answered
    department = api.get("dept-sanitation", "/auth/me")["roles"][0]["scope_name"]
    assert at.caption[0].value == scope_caption(api, "dept-sanitation") == (
        "环卫处 · 职能部门 · 鹤山区环境卫生管理处")
    assert department in at.caption[0].value  # 鹤山区环境卫生管理处
    county = api.get("leader", "/kpi/command-center")["open"]
    assert 0 < int(shown["figures"]["未办结"].replace(",", "")) < county
    assert "聚集性预警" not in shown["figures"]  # hot spots are not a department's to read
    # Its own cases, and those it was summoned to (吹哨报到), under the department that holds
    # them: every one of them the API gives it (shown == answered above).
    assert department in column_of(at, "红灯", "部门")
    summoned = {d["部门"] for d in answered["by department"]}
    assert set(column_of(at, "超期小时", "部门")) <= summoned
    assert_chinese(at)

    with pytest.raises(ValueError, match="navigation page"):  # no grid page: grids are not theirs
        at.switch_page("views/grid.py")

    at.switch_page("views/leader.py").run()
    day = last_month()
    widget(at.selectbox, "统计期").set_value(day.replace(day=1))
    shown, answered = settled(
        at, lambda: leader_answer(api, "dept-sanitation", day, ledgers=False), leader_shown)
    assert shown == answered
    # Its own department ranked, and no other: not those holding cases it was summoned to.
    assert [row["单位"] for row in shown["rankings"][1]] == [department]
    assert shown["ledgers"] == answered["ledgers"] == {}  # ledgers are not theirs either
    assert_chinese(at)


# --- what a refresh costs --------------------------------------------------------------------


def test_a_refresh_of_the_command_center_costs_one_call_for_the_figures_and_one_for_hot_spots(
        screen):
    """The viewer's me and labels and the grid map come once per session; each refresh
    (the fragment re-running every REFRESH_SECONDS) reads /kpi/command-center and, for viewers
    who may read them, /hotspot-alerts and the dispute screening's state: 3 calls for the
    leader, 1 for a department (at most 5 allowed). A run of the whole page costs the same: the
    rest of it calls nothing."""
    for username, calls in (("leader", 3), ("dept-sanitation", 1)):
        at = screen(username).switch_page("views/command_center.py").run()
        viewer = at.session_state["viewer"]
        before = viewer.client.calls
        at.run()
        assert not at.exception
        assert at.session_state["viewer"] is viewer
        assert viewer.client.calls - before == calls <= 5


# --- the English switch ----------------------------------------------------------------------


def test_the_language_switch_turns_the_pages_english(api):
    # A session of its own: AppTest formats a selectbox's value outside the page's run, where
    # the language is the default, so the English leader view is the last page it runs.
    at = log_in(new_session().run(), "leader")
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Command center"]
    figures = [m.label for m in at.metric]
    assert figures == ["Open", "Red", "Yellow", "Green", "Escalated", "Hot-spot alerts"]
    assert widget(at.button, "Log out")
    at.switch_page("views/leader.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Leader view"]
    assert "Street ranking" in [s.value for s in at.subheader]
    assert widget(at.selectbox, "Period").options == ["Month", "Quarter", "Year", "Custom"]


def test_the_assessment_page_in_english(api):
    at = log_in(new_session().run(), "leader")  # a session of its own, as above
    at.radio(key="lang").set_value("en").run()
    at.switch_page("views/assessment.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Assessment"]
    assert widget(at.selectbox, "Assessed").options == [
        "Grid", "Grid chief", "Community", "Department"]
    assert [m.label for m in at.metric] == ["Units", "Vetoed", "Excellent", "Qualified",
                                            "Basic", "Unqualified"]
    assert {"Rank", "Unit", "Total", "Grade", "Veto reason"} <= set(table(at, "Total").columns)


# --- when things go wrong --------------------------------------------------------------------


def test_when_the_api_does_not_answer_the_viewer_reads_why_and_can_retry(api, monkeypatch):
    at = new_session()
    at.session_state["token"] = api.token("leader")
    monkeypatch.setattr(config, "API_URL", f"http://127.0.0.1:{free_port()}")  # nobody there
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "无法连接" in at.error[0].value
    retry = widget(at.button, "重试")
    assert not at.metric

    monkeypatch.setattr(config, "API_URL", api.county.api_url)  # the API is back
    retry.click().run()
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["指挥中心"]
    assert list(metrics(at, HEADLINE)) == list(HEADLINE)


def expired_token(api: Api, username: str) -> str:
    """An access token of this account that expired a minute ago (signed with the API's key)."""
    database = Database(api.county.database_url)
    try:
        with database.session() as session:
            user = session.execute(select(User).where(User.username == username)).scalar_one()
            stamp = security.account_stamp(user.password_hash, user.is_active)
            return security.issue_token(SECRET, user.id, "access", stamp,
                                        dt.timedelta(minutes=-1))
    finally:
        database.dispose()


def test_an_expired_login_brings_back_the_login_form(api):
    expired = expired_token(api, "leader")

    # Coming back to the dashboards with it.
    at = new_session()
    at.session_state["token"] = expired
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["登录已过期, 请重新登录。"]
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert "token" not in at.session_state
    log_in(at, "leader")

    # Expiring while the page is open: its next refresh says so.
    at.session_state["viewer"].client.http.headers["Authorization"] = f"Bearer {expired}"
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["登录已过期, 请重新登录。"]
    assert not at.metric
    assert "token" not in at.session_state
    at.run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]


def test_a_wall_screen_with_the_leaders_key_shows_the_leaders_figures_until_it_is_revoked(
        api, monkeypatch):
    leader = api.get("leader", "/auth/me")["id"]
    created = api.request("admin", "POST", "/api-keys",
                          json={"user_id": leader, "name": "指挥大厅大屏"})
    monkeypatch.setattr(config, "SERVICE_API_KEY", created["key"])

    at = new_session()  # nobody logs in: the key is the viewer
    shown, answered = settled(at, lambda: command_center_answer(api, "leader"),
                              command_center_shown)
    assert shown == answered
    assert "token" not in at.session_state
    assert "退出登录" not in [b.label for b in at.button]
    assert_chinese(at)
    at.switch_page("views/big_screen.py")
    shown, answered = settled(at, lambda: command_center_answer(api, "leader")["figures"],
                              lambda at: metrics(at, HEADLINE))
    assert shown == answered
    assert at.title[0].value.startswith("网格联动 · 指挥中心")

    api.request("admin", "DELETE", f"/api-keys/{created['id']}")
    eventually(lambda: httpx.get(f"{api.base}/auth/me", headers={
        "X-API-Key": created["key"]}).status_code == 401)
    at.run()  # the wall's next refresh
    assert not at.exception
    assert len(at.error) == 1 and "服务账号密钥无效" in at.error[0].value
    assert not at.metric

    at = new_session().run()  # a wall switched on with the revoked key
    assert not at.exception
    assert len(at.error) == 1 and "服务账号密钥无效" in at.error[0].value
    assert not at.text_input  # no login form: there is nobody to log in

"""The 1,000-point assessment as the leading group runs it each quarter: a scheme of items, the
secretary's hand scores and vetoes with their reasons, a run with grades and ranks, ties, the
bottom-two rule, star grid workers, and a stored run that never changes
(backend/assessment/service.py)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from backend.cases import workflow
from backend.core.crud import Caller
from backend.core.db import BEIJING
from tests.builders import COMMUNITY, COUNTY, GRID, OTHER_COMMUNITY, OTHER_GRID, STREET, ok
from tests.test_admin_panel import panel_login
from tests.test_case_photos import picture
from tests.world import make_world

BJ = dt.timezone(dt.timedelta(hours=8))
Q3 = {"period": "quarter", "date": "2026-08-15"}  # 2026-07-01 .. 2026-09-30, long closed


def bj(month: int, day: int, hour: int) -> str:
    moment = dt.datetime(2026, month, day, hour, tzinfo=BJ).astimezone(dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


def make_scheme(leader, name: str, level: str, items: list[dict], **extra) -> dict:
    scheme = ok(leader.post("/api/v1/assessment-schemes",
                            json={"name": name, "level": level} | extra), 201)
    scheme["items"] = [ok(leader.post("/api/v1/assessment-items", json={
        "scheme_id": scheme["id"], "position": n} | item), 201) for n, item in enumerate(items)]
    return scheme


GRID_ITEMS = [
    {"name": "按期结案率", "kind": "computed", "points": 400, "figure": "on_time_closure_rate",
     "rule": "target", "target": 0.9, "floor": 0.5,
     "standard": "按期结案率90%及以上得满分, 50%及以下不得分, 其间按比例计分"},
    {"name": "巡查覆盖率", "kind": "computed", "points": 300, "figure": "patrol_rate",
     "rule": "proportional"},
    {"name": "台账管理", "kind": "manual", "points": 300, "standard": "台账每缺一项扣10分"},
    {"name": "重大安全事故", "kind": "veto"},
]


class Quarter:
    """Q3 2026 in two grids: 新华街第七网格 closed its one case on site and was walked every
    month (a patrol covers 31 days here); 红旗第一网格 let its one case run overdue and was
    never walked."""

    def __init__(self, app, client, as_user) -> None:
        self.client, self.leader, self.secretary = client, as_user("leader"), as_user("secretary")
        make_world(client)
        ok(client.post("/api/v1/coverage-rules", json={"area_code": COUNTY,
                                                      "patrol_every_days": 31}), 201)
        for month in (7, 8, 9):
            ok(client.post("/api/v1/patrols", json={
                "grid_code": GRID, "patroller_name": "王建国", "started_at": bj(month, 1, 9)}),
                201)
        on_site = self._report(GRID, bj(8, 3, 8))
        overdue = self._report(OTHER_GRID, bj(8, 3, 8))
        with app.state.db.session() as session:
            workflow.perform(session, on_site, "handle-on-site", {"note": "已现场处置"},
                             Caller.system("chief"),
                             now=dt.datetime(2026, 8, 3, 9, tzinfo=BJ))
            for action in ("file", "dispatch"):
                workflow.perform(session, overdue, action, {}, Caller.system("dispatcher"),
                                 now=dt.datetime(2026, 8, 3, 9, tzinfo=BJ))
        self.scheme = make_scheme(self.leader, "网格千分制考核", "grid", GRID_ITEMS)
        self.items = {item["name"]: item for item in self.scheme["items"]}

    def _report(self, grid: str, at: str) -> int:
        return ok(self.client.post("/api/v1/cases", json={
            "source": "patrol", "category_code": "07011", "title": "积存垃圾", "grid_code": grid,
            "reported_at": at}), 201)["id"]

    def enter(self, user, item: str, unit: str, **body) -> dict:
        return ok(user.post("/api/v1/assessment-entries", json={
            "item_id": self.items[item]["id"], "period_kind": "quarter",
            "period_first": "2026-08-15", "unit_code": unit} | body), 201)

    def run(self, user=None, **extra) -> dict:
        return ok((user or self.leader).post("/api/v1/assessments/runs", json={
            "scheme_id": self.scheme["id"], "area_code": COUNTY} | Q3 | extra), 201)


@pytest.fixture
def quarter(app, client, as_user) -> Quarter:
    return Quarter(app, client, as_user)


def _by_unit(run: dict) -> dict[str, dict]:
    return {score["unit_code"]: score for score in run["scores"]}


def _points(score: dict) -> dict[str, float]:
    return {item["name"]: item["points"] for item in score["items"]}


def test_a_quarter_is_scored_item_by_item_graded_and_ranked(quarter):
    entry = quarter.enter(quarter.secretary, "台账管理", GRID, points=280,
                          reason="流动人口台账缺2项, 扣20分")
    assert entry["period_first"] == "2026-07-01" and entry["entered_by"] == "社区书记"
    run = quarter.run()
    assert run["status"] == "draft" and run["period_label"] == "2026年第3季度"
    assert run["units"] == 2 and run["level"] == "grid"
    seventh, hongqi = _by_unit(run)[GRID], _by_unit(run)[OTHER_GRID]
    assert seventh["inputs"]["on_time_closure_rate"] == 1.0
    assert seventh["inputs"]["patrol_rate"] == 1.0
    assert _points(seventh) == {"按期结案率": 400, "巡查覆盖率": 300, "台账管理": 280,
                                "重大安全事故": 0}
    assert (seventh["total"], seventh["grade"], seventh["rank"]) == (980, "excellent", 1)
    assert hongqi["inputs"]["on_time_closure_rate"] == 0.0 and hongqi["inputs"]["patrol_rate"] == 0
    # Nothing entered by hand: no deduction, the full 300.
    assert _points(hongqi) == {"按期结案率": 0, "巡查覆盖率": 0, "台账管理": 300, "重大安全事故": 0}
    assert (hongqi["total"], hongqi["grade"], hongqi["rank"]) == (300, "unqualified", 2)
    assert [s["unit_code"] for s in run["scores"]] == [GRID, OTHER_GRID]  # best first
    assert seventh["unit_name"] == "新华街第七网格"


def test_a_veto_makes_the_best_grid_unqualified_and_last(quarter):
    quarter.enter(quarter.secretary, "重大安全事故", GRID, vetoed=True,
                  reason="8月12日辖区发生较大火灾事故")
    run = quarter.run()
    seventh, hongqi = _by_unit(run)[GRID], _by_unit(run)[OTHER_GRID]
    assert seventh["total"] == 1000 and seventh["vetoed"]
    assert seventh["grade"] == "unqualified" and seventh["rank"] == 2
    assert seventh["veto_reason"] == "重大安全事故: 8月12日辖区发生较大火灾事故"
    assert hongqi["rank"] == 1 and not hongqi["vetoed"]


def test_a_stored_run_is_reproducible_and_never_changes(quarter):
    first = quarter.run()
    again = quarter.run()
    assert again["previous_run_id"] == first["id"] and again["changes"] == []
    assert [(s["unit_code"], s["total"], s["rank"]) for s in again["scores"]] == [
        (s["unit_code"], s["total"], s["rank"]) for s in first["scores"]]

    final = ok(quarter.leader.post(f"/api/v1/assessments/runs/{first['id']}/finalize"))
    assert final["status"] == "final" and final["finalized_by"] == "领导小组"
    twice = quarter.leader.post(f"/api/v1/assessments/runs/{first['id']}/finalize")
    assert twice.status_code == 409 and "已定稿" in twice.text

    # A deduction entered afterwards, and the scheme edited: the final run stays as it was;
    # a new run shows the difference.
    quarter.enter(quarter.leader, "台账管理", OTHER_GRID, points=250, reason="督查扣50分")
    ok(quarter.leader.patch(f"/api/v1/assessment-items/{quarter.items['台账管理']['id']}",
                            json={"standard": "台账每缺一项扣5分"}))
    stored = ok(quarter.leader.get(f"/api/v1/assessments/runs/{first['id']}"))
    assert [(s["unit_code"], s["total"]) for s in stored["scores"]] == [
        (GRID, 1000), (OTHER_GRID, 300)]
    assert stored["scheme_snapshot"]["items"][2]["standard"] == "台账每缺一项扣10分"
    rerun = quarter.run()
    assert rerun["previous_run_id"] == again["id"]
    assert rerun["changes"] == [{"unit_code": OTHER_GRID, "unit_name": "红旗第一网格",
                                 "field": "total", "before": 300, "after": 250}]
    # The runs are listed like any entity, newest first.
    listed = ok(quarter.leader.get("/api/v1/assessment-runs"))["items"]
    assert [r["id"] for r in listed] == [rerun["id"], again["id"], first["id"]]


def test_a_period_not_yet_over_is_not_finalized(quarter):
    current = quarter.run(period="quarter", date=dt.datetime.now(BEIJING).date().isoformat())
    refused = quarter.leader.post(f"/api/v1/assessments/runs/{current['id']}/finalize")
    assert refused.status_code == 409 and "尚未结束" in refused.text
    future = quarter.leader.post("/api/v1/assessments/runs", json={
        "scheme_id": quarter.scheme["id"], "period": "year", "date": "2099-01-01"})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "date"


def test_each_role_sees_the_scores_of_its_own_area(quarter, as_user):
    run = quarter.run()
    secretary = ok(as_user("secretary").get(f"/api/v1/assessments/runs/{run['id']}"))
    assert [s["unit_code"] for s in secretary["scores"]] == [GRID]
    chief2 = ok(as_user("chief2").get(f"/api/v1/assessments/runs/{run['id']}"))
    assert [s["unit_code"] for s in chief2["scores"]] == [OTHER_GRID]
    assert as_user("member").get(f"/api/v1/assessments/runs/{run['id']}").status_code == 403
    # Only the leading group runs and finalizes.
    refused = as_user("secretary").post("/api/v1/assessments/runs", json={
        "scheme_id": quarter.scheme["id"], "area_code": COMMUNITY} | Q3)
    assert refused.status_code == 403
    assert as_user("dispatcher").post(
        f"/api/v1/assessments/runs/{run['id']}/finalize").status_code == 403


def test_the_secretary_scores_only_her_own_communitys_grids(quarter):
    elsewhere = quarter.secretary.post("/api/v1/assessment-entries", json={
        "item_id": quarter.items["台账管理"]["id"], "period_kind": "quarter",
        "period_first": "2026-07-01", "unit_code": OTHER_GRID, "points": 100, "reason": "扣分"})
    assert elsewhere.status_code == 403
    unknown = quarter.secretary.post("/api/v1/assessment-entries", json={
        "item_id": quarter.items["台账管理"]["id"], "period_kind": "quarter",
        "period_first": "2026-07-01", "unit_code": COMMUNITY + "099", "points": 100,
        "reason": "扣分"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "unit_code"


@pytest.mark.parametrize(("item", "body", "field"), [
    ("按期结案率", {"points": 100}, "item_id"),  # computed: not entered by hand
    ("台账管理", {"points": 301}, "points"),  # more than the item is worth
    ("台账管理", {}, "points"),
    ("台账管理", {"points": 10, "vetoed": True}, "vetoed"),
    ("重大安全事故", {"vetoed": False}, "vetoed"),
])
def test_a_hand_score_is_refused_naming_what_is_wrong(quarter, item, body, field):
    refused = quarter.secretary.post("/api/v1/assessment-entries", json={
        "item_id": quarter.items[item]["id"], "period_kind": "quarter",
        "period_first": "2026-07-01", "unit_code": GRID, "reason": "理由"} | body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == field


def test_a_scheme_must_add_up_to_a_thousand_points(quarter):
    ok(quarter.leader.patch(f"/api/v1/assessment-items/{quarter.items['台账管理']['id']}",
                            json={"points": 250}))
    refused = quarter.leader.post("/api/v1/assessments/runs", json={
        "scheme_id": quarter.scheme["id"], "area_code": COUNTY} | Q3)
    assert refused.status_code == 422 and "合计 950 分, 应为 1000 分" in refused.text
    wrong = quarter.leader.post("/api/v1/assessment-items", json={
        "scheme_id": quarter.scheme["id"], "name": "走访覆盖率", "kind": "computed",
        "points": 50, "figure": "no_such_rate", "rule": "proportional"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "figure"
    untargeted = quarter.leader.post("/api/v1/assessment-items", json={
        "scheme_id": quarter.scheme["id"], "name": "走访覆盖率", "kind": "computed",
        "points": 50, "figure": "visit_rate", "rule": "target"})
    assert untargeted.status_code == 422
    assert untargeted.json()["errors"][0]["field"] == "target"


def test_star_grid_workers_are_the_top_of_the_grid_chief_ranking(quarter, client):
    for grid, name in ((GRID, "王建国"), (OTHER_GRID, "赵敏")):
        ok(client.post("/api/v1/grid-staff", json={
            "grid_code": grid, "name": name, "team_role": "grid_chief"}), 201)
    items = [{**item, "name": f"网格长{item['name']}"} for item in GRID_ITEMS]
    scheme = make_scheme(quarter.leader, "网格长千分制考核", "grid_chief", items, star_share=0.5)
    run = ok(quarter.leader.post("/api/v1/assessments/runs", json={
        "scheme_id": scheme["id"], "area_code": COUNTY} | Q3), 201)
    ranked = [(s["unit_name"], s["rank"], s["star"]) for s in run["scores"]]
    assert ranked == [("王建国 (新华街第七网格)", 1, True), ("赵敏 (红旗第一网格)", 2, False)]


# --- communities: ties and the bottom-two rule ------------------------------------------------

EXTRA_COMMUNITIES = (("410602001004", "建设社区"), ("410602001005", "光明社区"))


@pytest.fixture
def communities(client, as_user) -> dict:
    """Four communities, each with a grid; a community scheme scored by hand."""
    make_world(client)
    for code, name in EXTRA_COMMUNITIES:
        ok(client.post("/api/v1/areas", json={"code": code, "name": name, "level": "community",
                                              "parent_code": STREET}), 201)
        ok(client.post("/api/v1/grids", json={"code": code + "001", "name": f"{name}第一网格",
                                              "community_code": code}), 201)
    leader = as_user("leader")
    scheme = make_scheme(leader, "社区千分制考核", "community", [
        {"name": "工作实绩", "kind": "manual", "points": 1000},
        {"name": "信访稳定", "kind": "veto"}])
    return {"leader": leader, "scheme": scheme, "item": scheme["items"][0]["id"]}


def _quarter_of(communities, first: str, points: dict[str, float]) -> dict:
    leader = communities["leader"]
    for unit, score in points.items():
        ok(leader.post("/api/v1/assessment-entries", json={
            "item_id": communities["item"], "period_kind": "quarter", "period_first": first,
            "unit_code": unit, "points": score, "reason": "季度考评"}), 201)
    run = ok(leader.post("/api/v1/assessments/runs", json={
        "scheme_id": communities["scheme"]["id"], "area_code": COUNTY, "period": "quarter",
        "date": first}), 201)
    return ok(leader.post(f"/api/v1/assessments/runs/{run['id']}/finalize"))


def test_equal_totals_share_a_rank(communities):
    run = _quarter_of(communities, "2026-01-01", {
        COMMUNITY: 950, OTHER_COMMUNITY: 900, "410602001004": 950, "410602001005": 800})
    assert [(s["unit_code"], s["rank"]) for s in run["scores"]] == [
        (COMMUNITY, 1), ("410602001004", 1), (OTHER_COMMUNITY, 3), ("410602001005", 4)]


def test_three_quarters_running_in_the_bottom_two_raise_the_flag(communities):
    low = {COMMUNITY: 980, OTHER_COMMUNITY: 950}
    q1 = _quarter_of(communities, "2026-01-01", low | {"410602001004": 700,
                                                      "410602001005": 650})
    q2 = _quarter_of(communities, "2026-04-01", low | {"410602001004": 720,
                                                      "410602001005": 800})
    q3 = _quarter_of(communities, "2026-07-01", low | {"410602001004": 690,
                                                      "410602001005": 990})
    streaks = [{s["unit_code"]: (s["bottom_streak"], s["flagged"]) for s in run["scores"]}
               for run in (q1, q2, q3)]
    assert streaks[0]["410602001004"] == (1, False) and streaks[0]["410602001005"] == (1, False)
    assert streaks[1]["410602001004"] == (2, False) and streaks[1]["410602001005"] == (2, False)
    # 光明社区 climbed out in the third quarter; 建设社区 stayed: flagged.
    assert streaks[2]["410602001004"] == (3, True)
    assert streaks[2]["410602001005"] == (0, False)
    assert streaks[2][COMMUNITY] == (0, False)


# --- evidence and the printed result -----------------------------------------------------------

def test_a_veto_carries_its_evidence_for_those_who_read_the_entry(quarter, as_user):
    entry = quarter.enter(quarter.secretary, "重大安全事故", GRID, vetoed=True,
                          reason="8月12日辖区发生较大火灾事故")
    url = f"/api/v1/assessments/entries/{entry['id']}/evidence"
    assert quarter.secretary.get(url).status_code == 404  # none yet
    uploaded = quarter.secretary.post(url, files={"file": ("现场.jpg", picture("JPEG"),
                                                           "image/jpeg")})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["evidence"].endswith(".jpg")
    shown = quarter.leader.get(url)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    # The other community's chief cannot read the entry at all.
    assert as_user("chief2").get(url).status_code in (403, 404)
    refused = quarter.secretary.post(url, files={"file": ("x.gif", picture("GIF"), "image/gif")})
    assert refused.status_code == 422


def test_a_run_exports_as_the_office_prints_it(quarter):
    quarter.enter(quarter.secretary, "台账管理", GRID, points=280, reason="扣20分")
    quarter.enter(quarter.secretary, "重大安全事故", GRID, vetoed=True, reason="较大火灾事故")
    run = quarter.run()
    response = quarter.leader.get(f"/api/v1/assessments/runs/{run['id']}/export.xlsx")
    assert response.status_code == 200
    assert "2026%E5%B9%B4" in response.headers["content-disposition"]  # 2026年...
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "鹤山区2026年第3季度网格千分制考核结果"
    assert "草稿" in rows[1][0]
    assert rows[2] == ("名次", "考核对象 (网格)", "按期结案率\n(400分)", "巡查覆盖率\n(300分)",
                       "台账管理\n(300分)", "总分", "等级", "否决理由")
    assert rows[3] == (1, "红旗第一网格", 0, 0, 300, 300, "不合格", None)
    assert rows[4] == (2, "新华街第七网格", 400, 300, 280, 980, "不合格",
                       "重大安全事故: 较大火灾事故")
    assert sheet.page_setup.orientation == "landscape"
    # A secretary's copy holds her community's grid only.
    mine = quarter.secretary.get(f"/api/v1/assessments/runs/{run['id']}/export.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(mine.content)).worksheets[0].iter_rows(
        values_only=True))
    assert [row[1] for row in rows[3:]] == ["新华街第七网格"]


# --- the panel: the secretary enters a deduction with its evidence ------------------------------

def test_the_secretary_enters_a_deduction_with_its_photo_in_the_panel(app, quarter, client):
    secretary = panel_login(app, "secretary")
    form = secretary.get("/admin/assessment-entries/create")
    assert form.status_code == 200 and "佐证材料" in form.text
    fields = {"item_id": str(quarter.items["台账管理"]["id"]), "period_kind": "quarter",
              "period_first": "2026-08-15", "unit_code": GRID, "points": "285",
              "reason": "出租房屋台账缺3项, 扣15分", "save": "保存"}
    gif = secretary.post("/admin/assessment-entries/create", data=fields,
                         files={"evidence_file": ("x.gif", picture("GIF"), "image/gif")})
    assert gif.status_code == 400 and "只接受 JPEG、PNG 或 WebP" in gif.text
    assert ok(client.get("/api/v1/assessment-entries"))["total"] == 0  # nothing written
    saved = secretary.post("/admin/assessment-entries/create", data=fields,
                           files={"evidence_file": ("督查.jpg", picture("JPEG"), "image/jpeg")})
    assert saved.status_code == 302, saved.text
    [entry] = ok(client.get("/api/v1/assessment-entries"))["items"]
    assert entry["points"] == 285 and entry["evidence"] and entry["entered_by"] == "社区书记"
    assert entry["period_first"] == "2026-07-01"
    details = secretary.get(saved.headers["location"]).text
    assert "查看照片" in details
    photo = secretary.get(f"/admin/assessment-entries/{entry['id']}/evidence")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    # A grid chief enters no scores and sees none of them.
    assert panel_login(app, "chief2").get(
        f"/admin/assessment-entries/{entry['id']}/evidence").status_code == 403
    # The run takes it.
    assert _points(_by_unit(quarter.run())[GRID])["台账管理"] == 285


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"period": "week"}, 422, "period"),
    ({"date": "1900-01-01"}, 422, "date"),
    ({"date": "2026-02-30"}, 422, "date"),
    ({"scheme_id": 0}, 422, "scheme_id"),
    ({"scheme_id": 2**40}, 422, "scheme_id"),
    ({"scheme_id": 99999}, 422, "scheme_id"),
    ({"area_code": "41060"}, 422, "area_code"),
    ({"area_code": "410699"}, 404, "area_code"),
    ({"area_code": "410602\u0000"}, 422, "area_code"),
])
def test_a_bad_run_request_is_refused_naming_the_field(quarter, change, status, field):
    refused = quarter.leader.post("/api/v1/assessments/runs", json={
        "scheme_id": quarter.scheme["id"], "area_code": COUNTY} | Q3 | change)
    assert refused.status_code == status, refused.text
    assert refused.json()["errors"][0]["field"] == field
    assert ok(quarter.leader.get("/api/v1/assessment-runs"))["total"] == 0


def test_a_secretary_runs_nothing_and_sees_no_run_of_an_area_above_hers_but_its_scores(
        quarter, as_user):
    run = quarter.run()
    # The county's run is listed for her (runs of the areas above), her grid's score only.
    listed = ok(as_user("secretary").get("/api/v1/assessment-runs"))["items"]
    assert [r["id"] for r in listed] == [run["id"]]
    scores = ok(as_user("secretary").get("/api/v1/assessment-scores",
                                         params={"run_id": run["id"]}))["items"]
    assert [s["unit_code"] for s in scores] == [GRID]
    other = as_user("chief2").get(f"/api/v1/assessment-scores/{_by_unit(run)[GRID]['id']}")
    assert other.status_code == 404  # out of scope: as if missing

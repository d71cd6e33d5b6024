"""GET /api/v1/labels: the one source of the names the dashboards show."""

from __future__ import annotations

from tests.builders import COUNTY, SANITATION, ok
from tests.world import make_world


def by_value(entries: list[dict]) -> dict[str, dict]:
    return {e["value"]: e for e in entries}


def test_statuses_lights_and_roles_come_in_chinese_and_english(as_user):
    labels = ok(as_user("member").get("/api/v1/labels"))
    statuses = by_value(labels["enums"]["case_status"])
    assert [e["value"] for e in labels["enums"]["case_status"]] == [
        "reported", "filed", "cancelled", "dispatched", "processing", "handled", "closed"]
    assert statuses["processing"] == {"value": "processing", "zh": "处理中", "en": "processing"}
    assert by_value(labels["enums"]["light"])["red"]["zh"] == "红灯"
    assert by_value(labels["enums"]["role"])["grid_chief"] == {
        "value": "grid_chief", "zh": "网格长", "en": "grid chief"}
    assert by_value(labels["enums"]["source"])["hotline_12345"]["zh"] == "12345热线"
    assert by_value(labels["enums"]["priority"])["urgent"]["zh"] == "紧急"
    # Key-group tags are stored in Chinese; their English is the member's name.
    assert by_value(labels["enums"]["key_group"])["低保"]["en"] == "subsistence"
    assert labels["figures"]["on_time_closure_rate"] == {
        "value": "on_time_closure_rate", "zh": "按期结案率", "en": "on-time closure rate"}


def test_departments_are_those_the_caller_may_read(client, as_user):
    make_world(client)
    ok(client.post("/api/v1/departments", json={
        "code": "YL01", "name": "园林绿化所", "kind": "greening", "area_code": COUNTY}), 201)
    everyone = ok(as_user("leader").get("/api/v1/labels"))["departments"]
    assert everyone == [{"code": SANITATION, "name": "鹤山区环境卫生管理处"},
                        {"code": "YL01", "name": "园林绿化所"}]
    own = ok(as_user("dept-sanitation").get("/api/v1/labels"))["departments"]
    assert own == [{"code": SANITATION, "name": "鹤山区环境卫生管理处"}]


def test_categories_are_named_for_every_viewer_with_their_big_class(client, as_user):
    make_world(client)
    categories = ok(client.get("/api/v1/case-categories", params={"sort": "code"}))["items"]
    expected = [{"code": c["code"], "name": c["name"], "big_class_name": c["big_class_name"]}
                for c in categories]
    assert expected  # the world has categories to name
    for user in ("leader", "dept-sanitation", "member"):
        assert ok(as_user(user).get("/api/v1/labels"))["categories"] == expected


def test_labels_need_a_login(anonymous):
    assert anonymous.get("/api/v1/labels").status_code == 401

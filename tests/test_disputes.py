"""The dispute register as a grid works it: what the grid chief finds on a visit, with the
parties (a resident of the ledger, an outsider), seen by the community and the command center
and by no other grid; the types the plans name installed with the database."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.builders import GRID, OTHER_GRID, ok
from tests.world import make_world


@pytest.fixture
def world(client):
    return make_world(client)


def test_a_fresh_install_knows_the_plans_dispute_types(as_user):
    types = ok(as_user("chief").get("/api/v1/dispute-types", params={"limit": 20}))["items"]
    assert [t["name"] for t in types][:3] == ["邻里纠纷", "婚姻家庭纠纷", "物业纠纷"]
    assert len(types) == 9


def test_the_chief_registers_a_dispute_found_on_a_visit_with_its_parties(world, as_user):
    chief = as_user("chief")
    dispute = ok(chief.post("/api/v1/disputes", json={
        "grid_code": GRID, "type_code": "03", "title": "物业停水引发业主与物业公司争执",
        "place": "新华街88号院", "risk_level": "medium", "found_how": "visit",
        "found_on": "2026-11-28"}), 201)
    assert (dispute["status"], dispute["level"]) == ("registered", "grid")
    assert dispute["found_by"] == "网格长"  # the login's name, none given
    ok(chief.post("/api/v1/dispute-parties", json={
        "dispute_id": dispute["id"], "name": "刘志强", "resident_id": world.resident["id"],
        "phone": "13512345678", "side": "申请人"}), 201)
    party = ok(chief.post("/api/v1/dispute-parties", json={
        "dispute_id": dispute["id"], "name": "鹤山物业公司", "side": "被申请人"}), 201)
    assert party["grid_code"] == GRID  # the dispute's

    parties = ok(as_user("secretary").get("/api/v1/dispute-parties",
                                          params={"dispute_id": dispute["id"]}))["items"]
    assert [p["phone"] for p in parties] == ["13512345678", None]
    masked = ok(as_user("leader").get("/api/v1/dispute-parties",
                                      params={"dispute_id": dispute["id"]}))["items"]
    assert masked[0]["phone"] == "135****5678"
    assert as_user("chief2").get(f"/api/v1/disputes/{dispute['id']}").status_code == 404
    assert as_user("dept-sanitation").get("/api/v1/disputes").status_code == 403


@pytest.mark.parametrize(("change", "field"), [
    ({"type_code": "77"}, "type_code"),
    ({"found_on": (dt.date.today() + dt.timedelta(days=3)).isoformat()}, "found_on"),
    ({"risk_level": "extreme"}, "risk_level"),
    ({"title": ""}, "title"),
    ({"grid_code": OTHER_GRID}, None),  # another community's grid: not hers
])
def test_a_bad_dispute_is_refused_naming_the_field(world, as_user, change, field):
    refused = as_user("secretary").post("/api/v1/disputes", json={
        "grid_code": GRID, "type_code": "01", "title": "邻里纠纷", "found_on": "2026-11-28",
        } | change)
    assert refused.status_code in (403, 422), refused.text
    if field is not None:
        assert refused.json()["errors"][0]["field"] == field
    listed = ok(as_user("secretary").get("/api/v1/disputes"))["items"]
    assert [d["id"] for d in listed] == [world.dispute["id"]]  # nothing new written

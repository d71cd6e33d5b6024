"""Who may take which case action, through the HTTP API with the demo accounts.

For each of the 17 actions: every role tries it on a case in the state the action needs, in its
own area; those the policy (rbac/policy.csv) allows succeed, the others get 403. Then each role
that may take it tries it on a case outside its scope, which answers 404 as if the case did not
exist. The table below is the expectation written out, so that a change of the policy shows up
here as a change of who may do what.

Accounts (tests/builders.py TEST_LAYOUT): dispatcher and leader of the county, secretary of
community 002, chief and member of grid 007, dept-sanitation of 环卫 (HW01), admin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.builders import COUNTY, GRID, OTHER_GRID, SANITATION, ok, square
from tests.world import make_world

ROLES = ("dispatcher", "dept-sanitation", "chief", "secretary", "leader", "member", "admin")

# Another county, for a case beyond the county dispatcher's reach.
FAR_COUNTY, FAR_GRID = "410603", "410603001001001"
GREENING = "YL01"


@dataclass(frozen=True)
class Rule:
    state: str  # what the case must have gone through (see `Cases.make`)
    allowed: tuple[str, ...]  # who may, besides the admin
    body: dict | None = None


# Later than any due time these cases get, and near enough that lights stay cheap to count.
LATER = (dt.datetime.now(dt.UTC) + dt.timedelta(days=60)).isoformat()
RULES: dict[str, Rule] = {
    "file": Rule("reported", ("dispatcher", "secretary")),
    "cancel": Rule("reported", ("dispatcher", "secretary"), {"note": "无效上报"}),
    "merge": Rule("reported", ("dispatcher",)),  # body: the original, made per case
    "handle-on-site": Rule("reported", ("chief", "secretary"), {"note": "已现场处置"}),
    "dispatch": Rule("filed", ("dispatcher",)),
    "summon": Rule("filed", ("dispatcher", "secretary"), {"department_codes": [SANITATION]}),
    "review-approval": Rule("approval", ("dispatcher", "secretary"), {"decision": "approve"}),
    "accept": Rule("dispatched", ("dept-sanitation",)),
    "return": Rule("dispatched", ("dept-sanitation",), {"note": "非本部门职责"}),
    "request-extension": Rule("dispatched", ("dept-sanitation",),
                              {"note": "需协调产权单位", "requested_due_at": LATER}),
    "approve-extension": Rule("extension asked", ("dispatcher",)),
    "reject-extension": Rule("extension asked", ("dispatcher",)),
    "feedback": Rule("processing", ("dept-sanitation",), {"note": "已清运"}),
    "verify": Rule("handled", ("dispatcher",)),
    "close": Rule("handled", ("dispatcher",)),
    "rework": Rule("handled", ("dispatcher",), {"note": "现场仍有垃圾"}),
    "evaluate": Rule("closed", ("dispatcher", "secretary"), {"satisfaction": 5}),
}

# Where each role's scope ends: a case there is not theirs to see.
OUT_OF_SCOPE = {
    "dispatcher": {"grid": FAR_GRID},  # another county
    "secretary": {"grid": OTHER_GRID},  # another community
    "chief": {"grid": OTHER_GRID},  # another grid
    "dept-sanitation": {"department": GREENING},  # dispatched to another department
}


def test_the_table_covers_every_action():
    from backend.cases.workflow import ACTIONS

    assert set(RULES) == set(ACTIONS)


class Cases:
    """Cases in a given state, moved there by the admin through the API."""

    def __init__(self, admin) -> None:
        self.admin = admin

    def act(self, case: dict, action: str, **body) -> dict:
        return ok(self.admin.post(f"/api/v1/cases/{case['id']}/actions/{action}", json=body))

    def report(self, grid: str, **extra) -> dict:
        return ok(self.admin.post("/api/v1/cases", json={
            "source": "patrol", "category_code": "07011", "title": "88号院门口积存垃圾",
            "grid_code": grid} | extra), 201)

    def make(self, state: str, role: str, grid: str = GRID, department: str = SANITATION
             ) -> dict:
        if state == "approval":
            case = self.act(self.report(grid, handling_type="approval"), "file")
            if role == "dispatcher":  # the county decides last: after community and street
                for _ in range(2):
                    case = self.act(case, "review-approval", decision="approve")
            return case
        case = self.report(grid)
        steps: list[tuple[str, dict]] = {
            "reported": [],
            "filed": [("file", {})],
            "dispatched": [("file", {}), ("dispatch", {"department_code": department})],
            "extension asked": [("file", {}), ("dispatch", {"department_code": department}),
                                ("request-extension",
                                 {"note": "需协调", "requested_due_at": LATER})],
            "processing": [("file", {}), ("dispatch", {"department_code": department}),
                           ("accept", {})],
            "handled": [("file", {}), ("dispatch", {"department_code": department}),
                        ("accept", {}), ("feedback", {"note": "已处理"})],
            "closed": [("file", {}), ("dispatch", {"department_code": department}),
                       ("accept", {}), ("feedback", {"note": "已处理"}), ("close", {})],
        }[state]
        for action, body in steps:
            case = self.act(case, action, **body)
        return case


@pytest.fixture
def cases(client) -> Cases:
    make_world(client)
    ok(client.post("/api/v1/departments", json={
        "code": GREENING, "name": "园林绿化所", "kind": "greening", "area_code": COUNTY}), 201)
    ok(client.post("/api/v1/areas", json={"code": FAR_COUNTY, "name": "山城区",
                                          "level": "county"}), 201)
    ok(client.post("/api/v1/areas", json={"code": FAR_COUNTY + "001", "name": "红旗街道",
                                          "level": "street", "parent_code": FAR_COUNTY}), 201)
    ok(client.post("/api/v1/areas", json={"code": FAR_COUNTY + "001001", "name": "红旗社区",
                                          "level": "community",
                                          "parent_code": FAR_COUNTY + "001"}), 201)
    ok(client.post("/api/v1/grids", json={"code": FAR_GRID, "name": "红旗第一网格",
                                          "community_code": FAR_COUNTY + "001001",
                                          "boundary": square(114.30, 35.90)}), 201)
    return Cases(client)


def body_for(action: str, case: dict, cases: Cases, grid: str) -> dict:
    if action == "merge":  # the original: an open report of the same problem nearby
        return {"original_case_id": cases.report(grid)["id"], "note": "重复上报"}
    return RULES[action].body or {}


def attempt(user, action: str, case: dict, body: dict):
    return user.post(f"/api/v1/cases/{case['id']}/actions/{action}", json=body)


@pytest.mark.parametrize("action", list(RULES))
def test_who_may_take_each_action_in_their_own_area(action, as_user, cases):
    rule = RULES[action]
    outcomes: dict[str, int] = {}
    for role in ROLES:
        case = cases.make(rule.state, role)
        response = attempt(as_user(role), action, case, body_for(action, case, cases, GRID))
        outcomes[role] = response.status_code
        if response.status_code == 200:
            assert response.json()["version"] == case["version"] + 1  # it did happen
    expected = {role: 200 if role == "admin" or role in rule.allowed else 403 for role in ROLES}
    assert outcomes == expected


@pytest.mark.parametrize("action", list(RULES))
def test_a_case_outside_the_scope_answers_404_to_those_who_may_take_the_action(
        action, as_user, cases):
    rule = RULES[action]
    outcomes, expected = {}, {}
    for role in rule.allowed:
        where = OUT_OF_SCOPE[role]
        case = cases.make(rule.state, role, **where)
        grid = where.get("grid", GRID)
        response = attempt(as_user(role), action, case, body_for(action, case, cases, grid))
        outcomes[role], expected[role] = response.status_code, 404
        assert "不存在" in response.json()["detail"] or response.status_code != 404
    assert outcomes == expected


def test_a_chief_of_another_grid_may_not_even_see_the_case(as_user, cases):
    case = cases.make("reported", "chief")
    chief2 = as_user("chief2")
    assert chief2.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert attempt(chief2, "handle-on-site", case, {"note": "x"}).status_code == 404
    assert attempt(chief2, "file", case, {}).status_code == 403  # not a chief's action at all

"""The permission matrix, generated from the policy: every role x entity x action over HTTP.

Each role acts through its demo account's real token, on rows inside its own scope, so that a
refusal here is the policy speaking, not the scope (scope has tests of its own).
"""

from __future__ import annotations

import pytest

from backend.entities import ENTITIES
from rbac.enforcer import PolicyEngine
from tests.builders import COMMUNITY, id_number, ok
from tests.world import DOMAIN_ENTITIES, make_world, new_row

ROLE_ACCOUNTS = {
    "admin": "admin", "leader": "leader", "dispatcher": "dispatcher", "secretary": "secretary",
    "grid_chief": "chief", "grid_member": "member", "department": "dept-sanitation",
}
ACTIONS = ("read", "export", "create", "update", "delete")
DENIED = 403


def expected(app, role: str, entity: str, action: str) -> bool:
    engine: PolicyEngine = app.state.policy
    return engine.allowed(role, entity, action)


# A second row of each entity must not collide with the first on its unique codes.
SECOND_ROW = {
    "areas": {"code": "410602003"}, "grids": {"code": COMMUNITY + "009"},
    "case-categories": {"code": "04002"}, "residents": {"id_number": id_number(3)},
    "departments": {"code": "HW02"},
}


def in_scope_row(client, world, entity: str) -> dict:
    """A fresh row made by the admin, inside every demo account's scope (grid 007, HW01)."""
    body, _ = new_row(entity, world)
    return ok(client.post(f"/api/v1/{entity}", json=body | SECOND_ROW.get(entity, {})), 201)


@pytest.mark.parametrize("role", sorted(ROLE_ACCOUNTS))
@pytest.mark.parametrize("entity", DOMAIN_ENTITIES)
def test_each_role_may_do_exactly_what_the_policy_says(app, client, as_user, role, entity):
    world = make_world(client)
    user = as_user(ROLE_ACCOUNTS[role])
    outcomes = {}

    listed = user.get(f"/api/v1/{entity}")
    outcomes["read"] = listed.status_code
    outcomes["export"] = user.get(f"/api/v1/{entity}", params={"format": "csv"}).status_code

    body, patch = new_row(entity, world)
    created = user.post(f"/api/v1/{entity}", json=body)
    outcomes["create"] = created.status_code

    target = in_scope_row(client, world, entity)
    if entity == "cases" and role == "department":
        # A department sees cases dispatched to it: give it one (the workflow comes later).
        from backend.cases.models import Case

        with app.state.db.session() as session:
            session.get(Case, target["id"]).department_code = "HW01"
            session.commit()
    outcomes["update"] = user.patch(f"/api/v1/{entity}/{target['id']}", json=patch).status_code
    outcomes["delete"] = user.delete(f"/api/v1/{entity}/{target['id']}").status_code

    success = {"read": 200, "export": 200, "create": 201, "update": 200, "delete": 204}
    for action in ACTIONS:
        allowed = expected(app, role, entity, action)
        if not allowed:
            assert outcomes[action] == DENIED, (role, entity, action, outcomes)
        elif action == "update" and not expected(app, role, entity, "read"):
            assert outcomes[action] in (success[action], 404), (role, entity, action, outcomes)
        else:
            assert outcomes[action] == success[action], (role, entity, action, outcomes)


def test_the_matrix_covers_every_role_and_entity():
    assert set(ROLE_ACCOUNTS) == {"admin", "leader", "dispatcher", "secretary", "grid_chief",
                                  "grid_member", "department"}
    assert set(DOMAIN_ENTITIES) <= set(ENTITIES)


def test_sensible_defaults(app):
    allowed = app.state.policy.allowed
    # The leader reads everything and writes nothing.
    assert all(allowed("leader", e, "read") for e in DOMAIN_ENTITIES)
    assert not any(allowed("leader", e, a) for e in DOMAIN_ENTITIES
                   for a in ("create", "update", "delete"))
    # The grid chief keeps its ledgers but deletes nothing.
    assert allowed("grid_chief", "residents", "update")
    assert not any(allowed("grid_chief", e, "delete") for e in DOMAIN_ENTITIES)
    # A department sees no residents, households or personal data.
    assert not allowed("department", "residents", "read")
    assert not allowed("department", "households", "read")
    assert not any(allowed("department", e, "pii") for e in DOMAIN_ENTITIES)
    # Personal data: the secretary and chief see it, the member and the leader do not.
    assert allowed("secretary", "residents", "pii") and allowed("grid_chief", "residents", "pii")
    assert not allowed("grid_member", "residents", "pii")
    assert not allowed("leader", "residents", "pii")

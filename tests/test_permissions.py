"""Who may do what, over HTTP: every role x every registered entity x read, export, create,
update, delete and personal data, against a table written out below by hand.

The table was read off rbac/policy.csv and the README's permission matrix; it is never taken
from the policy engine or the policy file, so that a changed rule shows up here as a changed
outcome. (The README's matrix is checked against the policy in tests/test_readme.py; the case
workflow's actions have a table of their own in tests/test_case_roles.py.)

Each role acts through its demo account's real token, on rows inside its own scope, so that a
refusal here is the policy speaking, not the scope (scope has tests of its own).
"""

from __future__ import annotations

import pytest

from backend.entities import ENTITIES
from backend.identity.models import Role
from tests.builders import (
    COMMUNITY,
    GRID,
    OTHER_GRID,
    SANITATION,
    STREET,
    dispatch_case,
    id_number,
    ok,
)
from tests.world import DOMAIN_ENTITIES, World, make_world, new_row

ROLES = ("admin", "leader", "dispatcher", "secretary", "grid_chief", "grid_member", "department")
ROLE_ACCOUNTS = {
    "admin": "admin", "leader": "leader", "dispatcher": "dispatcher", "secretary": "secretary",
    "grid_chief": "chief", "grid_member": "member", "department": "dept-sanitation",
}

# R read · C create · U update · D delete · E export · P personal data unmasked · - nothing.
# One column per role, in the order of ROLES.
EXPECTED: dict[str, tuple[str, ...]] = {
    #                      admin     leader dispatcher secretary  grid_chief grid_member department
    "areas":              ("RCUDE",  "RE",  "R",       "R",       "R",       "R",        "-"),
    "grids":              ("RCUDE",  "RE",  "R",       "RUE",     "R",       "R",        "-"),
    "buildings":          ("RCUDE",  "RE",  "-",       "RCUDE",   "RCUE",    "R",        "-"),
    "households":         ("RCUDEP", "RE",  "-",       "RCUDEP",  "RCUEP",   "R",        "-"),
    "residents":          ("RCUDEP", "RE",  "-",       "RCUDEP",  "RCUEP",   "R",        "-"),
    "organizations":      ("RCUDE",  "RE",  "R",       "RCUDE",   "RCUE",    "R",        "-"),
    "departments":        ("RCUDE",  "RE",  "R",       "R",       "R",       "R",        "R"),
    "case-categories":    ("RCUDE",  "RE",  "RCU",     "R",       "R",       "R",        "R"),
    "calendar-days":      ("RCUDE",  "RE",  "R",       "-",       "-",       "-",        "-"),
    "routing-rules":      ("RCUDE",  "-",   "RCU",     "-",       "-",       "-",        "-"),
    "cases":              ("RCUDEP", "RE",  "RCUEP",   "RCEP",    "RCP",     "RC",       "RE"),
    "hotspot-alerts":     ("RE",     "RE",  "RE",      "R",       "R",       "-",        "-"),
    "webhooks":           ("RCUDE",  "-",   "-",       "-",       "-",       "-",        "-"),
    "webhook-deliveries": ("RE",     "-",   "R",       "-",       "-",       "-",        "R"),
    "grid-staff":         ("RCUDE",  "RE",  "R",       "RCUDE",   "R",       "R",        "-"),
    "party-contacts":     ("RCUDE",  "RE",  "-",       "RCUDE",   "RCUE",    "R",        "-"),
    "staff-leaves":       ("RCUDE",  "RE",  "-",       "RCUDE",   "RCU",     "RC",       "-"),
    "patrols":            ("RCUDE",  "RE",  "-",       "RCUDE",   "RCUE",    "RC",       "-"),
    "visits":             ("RCUDE",  "RE",  "-",       "RCUDE",   "RCUE",    "RC",       "-"),
    "work-logs":          ("RCUDE",  "RE",  "-",       "RCUDE",   "RCUE",    "RCU",      "-"),
    "coverage-rules":     ("RCUDE",  "RE",  "R",       "R",       "R",       "R",        "-"),
    "supervision-schedules": ("RCUDE", "RE", "-",      "R",       "R",       "R",        "-"),
    "users":              ("RCUDE",  "-",   "-",       "-",       "-",       "-",        "-"),
    "role-assignments":   ("RCUDE",  "-",   "-",       "-",       "-",       "-",        "-"),
    "policy-rules":       ("RCUDE",  "-",   "-",       "-",       "-",       "-",        "-"),
    "audit-log":          ("RE",     "RE",  "-",       "-",       "-",       "-",        "-"),
    "dispute-types":      ("RCUDE",  "R",   "R",       "R",       "R",       "R",        "-"),
    "disputes":           ("RCUDE",  "RE",  "RE",      "RCUDE",   "RCUE",    "RC",       "R"),
    "dispute-parties":    ("RCUDEP", "RE",  "REP",     "RCUDEP",  "RCUEP",   "RC",       "R"),
    "dispute-steps":      ("RE",     "R",   "R",       "R",       "R",       "R",        "R"),
    "dispute-mediations": ("RE",     "R",   "R",       "R",       "R",       "R",        "R"),
    "dispute-screenings": ("RCUDE",  "RE",  "RE",      "RCUDE",   "RCUE",    "RC",       "-"),
    "resident-requests":  ("RCUDEP", "RE",  "RE",      "RCUDEP",  "RCUEP",   "RC",       "-"),
    "errands":            ("RCUDEP", "RE",  "RE",      "RCUDEP",  "RCUEP",   "RC",       "-"),
    "meetings":           ("RCUDE",  "RE",  "RCUE",    "RCUDE",   "RCUE",    "R",        "R"),
    "meeting-items":      ("RCUDE",  "RE",  "RCUE",    "RCUDE",   "RCUE",    "R",        "R"),
    "assessment-schemes": ("RCUDE",  "RCUDE", "RE",    "RE",      "R",       "-",        "R"),
    "assessment-items":   ("RCUDE",  "RCUDE", "RE",    "RE",      "R",       "-",        "R"),
    "assessment-entries": ("RCUDE",  "RCUDE", "-",     "RCUDE",   "-",       "-",        "-"),
    "assessment-runs":    ("RE",     "RE",  "RE",      "RE",      "R",       "-",        "-"),
    "assessment-scores":  ("RE",     "RE",  "RE",      "RE",      "R",       "-",        "R"),
}
# Written by the system alone (the webhook sender, the audit trail, intake's hot spots): no
# route creates, changes or deletes them, whatever the policy grants (the admin's `*`): 405
# for everyone.
READ_ONLY = {"webhook-deliveries", "audit-log", "hotspot-alerts", "assessment-runs",
             "assessment-scores", "dispute-steps", "dispute-mediations"}

# A personal field of each entity that has them, and the value the admin's row holds: shown
# as is to a role with P, masked to the other roles that read the entity.
PERSONAL_DATA = {
    "dispute-parties": ("phone", "13700009999"),
    "resident-requests": ("phone", "13700008888"),
    "errands": ("phone", "13700007777"),
    "residents": ("id_number", id_number(3)),
    "households": ("landlord_phone", "13600001234"),
    "cases": ("reporter_phone", "13900009999"),
}

WEBHOOK_SECRET = "hw01-secret-7f3c9a1e5b2d4f60"


def letters_of(role: str, entity: str) -> str:
    row = EXPECTED.get(entity)
    if row is None:
        pytest.fail(f"EXPECTED has no row for the registered entity '{entity}': add one")
    return row[ROLES.index(role)]


def new_rows(client, entity: str, world: World) -> tuple[dict, dict, dict]:
    """(a body the role creates, the body of the admin's target row, a patch for that row).

    The target differs from the first on its unique codes and carries the personal data."""
    if entity == "calendar-days":
        body = {"day": "2026-10-10", "is_working_day": True, "note": "国庆调休上班"}
        return body, body | {"day": "2026-10-11"}, {"note": "调休"}
    if entity == "routing-rules":
        body = {"category_code": world.category["code"], "area_code": STREET,
                "department_code": SANITATION}
        return body, body | {"area_code": COMMUNITY}, {"note": "社区的积存垃圾由区环卫处处置"}
    if entity == "webhooks":
        body = {"department_code": SANITATION, "url": "https://huanwei.example.gov.cn/events",
                "secret": WEBHOOK_SECRET}
        return body, body | {"url": "https://huanwei.example.gov.cn/copy"}, {"is_active": False}
    if entity == "users":
        body = {"username": "wangjg", "password": "换成至少10位的口令", "display_name": "王建国"}
        return body, body | {"username": "lixy", "display_name": "李秀英"}, {"phone": "13812345678"}
    if entity == "party-contacts":
        member = ok(client.post("/api/v1/grid-staff", json={
            "grid_code": GRID, "name": "党员张三", "team_role": "party_member"}), 201)
        other = ok(client.post("/api/v1/households", json={
            "building_id": world.building["id"], "room": "1单元102"}), 201)
        body = {"staff_id": member["id"], "household_id": world.household["id"],
                "since": "2026-01-01"}
        return body, body | {"household_id": other["id"]}, {"note": "每月走访"}
    if entity == "role-assignments":
        account = ok(client.post("/api/v1/users", json={
            "username": "zhaomin", "password": "换成至少10位的口令", "display_name": "赵敏"}), 201)
        body = {"user_id": account["id"], "role": "grid_member", "area_code": GRID}
        return body, body | {"area_code": OTHER_GRID}, {"area_code": COMMUNITY}
    if entity == "policy-rules":
        # Rules the admin's `*` already grants: the test changes nobody's permissions.
        body = {"role": "admin", "obj": "cases", "act": "read"}
        return body, body | {"obj": "grids"}, {"act": "export"}
    body, patch = new_row(entity, world)
    target = body | {
        "areas": {"code": "410602003"}, "grids": {"code": COMMUNITY + "009"},
        "case-categories": {"code": "04002"}, "residents": {"id_number": id_number(3)},
        "departments": {"code": "HW02"},
        "households": {"is_rental": True, "landlord_name": "张三", "landlord_phone": "13600001234"},
        "cases": {"reporter_name": "市民", "reporter_phone": "13900009999"},
        "grid-staff": {"name": "钱进"}, "coverage-rules": {"area_code": STREET},
        "supervision-schedules": {"key_group": "刑释解教"},
        "dispute-types": {"code": "11"}, "dispute-parties": {"phone": "13700009999"},
        "assessment-schemes": {"name": "社区千分制考核 (二)"},
        "assessment-items": {"name": "群众评议 (二)"},
        "assessment-entries": {"period_first": "2026-07-01"},
        "dispute-screenings": {"period_first": "2026-11-01", "nil_report": True},
        "resident-requests": {"phone": "13700008888"}, "errands": {"phone": "13700007777"},
    }.get(entity, {})
    return body, target, patch


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("entity", list(ENTITIES))
def test_each_role_may_do_exactly_what_the_table_says(client, as_user, role, entity):
    letters = letters_of(role, entity)
    world = make_world(client)
    user = as_user(ROLE_ACCOUNTS[role])
    url = f"/api/v1/{entity}"
    outcomes = {"read": user.get(url).status_code,
                "export": user.get(url, params={"format": "csv"}).status_code}

    if entity in READ_ONLY:
        outcomes["create"] = user.post(url, json={}).status_code
        outcomes["update"] = user.patch(f"{url}/1", json={}).status_code
        outcomes["delete"] = user.delete(f"{url}/1").status_code
    else:
        body, target_body, patch = new_rows(client, entity, world)
        outcomes["create"] = user.post(url, json=body).status_code
        target = ok(client.post(url, json=target_body), 201)
        if entity == "cases" and role == "department":
            # A department reads the cases dispatched to it: the 指挥中心 dispatches this one.
            dispatch_case(as_user("dispatcher"), target, SANITATION)
        if entity == "dispute-parties" and role == "department":
            # ... and the parties of the disputes handed to it: the community hands this one.
            ok(client.post(f"/api/v1/disputes/{target['dispute_id']}/actions/hand-over",
                           json={"department_code": SANITATION, "note": "移交"}))
        if entity in PERSONAL_DATA:
            field, value = PERSONAL_DATA[entity]
            shown = user.get(f"{url}/{target['id']}")
            outcomes["row"] = shown.status_code
            if shown.status_code == 200:
                outcomes["pii"] = shown.json()[field] == value
        outcomes["update"] = user.patch(f"{url}/{target['id']}", json=patch).status_code
        outcomes["delete"] = user.delete(f"{url}/{target['id']}").status_code

    def status(letter: str, success: int) -> int:
        if entity in READ_ONLY and letter in "CUD":
            return 405
        return success if letter in letters else 403

    expected = {"read": status("R", 200), "export": status("E", 200),
                "create": status("C", 201), "update": status("U", 200),
                "delete": status("D", 204)}
    if entity in PERSONAL_DATA:
        expected["row"] = status("R", 200)
        if "R" in letters:
            expected["pii"] = "P" in letters
    assert outcomes == expected, f"{role} on {entity} (table: {letters})"


def test_the_table_has_a_row_for_every_registered_entity_and_no_other():
    missing = [entity for entity in ENTITIES if entity not in EXPECTED]
    assert not missing, f"EXPECTED has no row for the registered entities {missing}"
    unknown = [entity for entity in EXPECTED if entity not in ENTITIES]
    assert not unknown, f"EXPECTED has rows for entities nobody registers: {unknown}"


def test_the_table_has_a_column_for_every_role_and_only_letters_it_can_check():
    assert set(ROLES) == {role.value for role in Role}, "one column per role in EXPECTED"
    for entity, row in EXPECTED.items():
        assert len(row) == len(ROLES), f"{entity}: {len(row)} columns for {len(ROLES)} roles"
        for role, letters in zip(ROLES, row, strict=True):
            assert letters == "-" or set(letters) <= set("RCUDEP"), (entity, role, letters)
            assert "P" not in letters or entity in PERSONAL_DATA, (entity, role, "P")
            assert not set(letters) & set("CUDEP") or "R" in letters, (entity, role, letters)


def test_every_entity_with_personal_data_has_a_field_checked_here():
    with_personal_data = [name for name, spec in ENTITIES.items() if spec.pii]
    missing = [name for name in with_personal_data if name not in PERSONAL_DATA]
    assert not missing, f"add a personal field of {missing} to PERSONAL_DATA"
    for entity, (field, _) in PERSONAL_DATA.items():
        assert field in ENTITIES[entity].pii, (entity, field)


def test_each_demo_account_holds_exactly_the_role_its_column_stands_for(as_user):
    for role, account in ROLE_ACCOUNTS.items():
        me = ok(as_user(account).get("/api/v1/auth/me"))
        assert [grant["role"] for grant in me["roles"]] == [role], account


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

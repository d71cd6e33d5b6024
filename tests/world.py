"""A small county with one of everything, and a valid new row for every entity."""

from __future__ import annotations

from dataclasses import dataclass

from tests.builders import COMMUNITY, COUNTY, GRID, SANITATION, id_number, make_areas, ok

# The domain's entities: the generic CRUD, scope, permission and fuzz tests make a new row of
# each with new_row() below.
DOMAIN_ENTITIES = sorted({
    "areas", "grids", "buildings", "households", "residents", "organizations",
    "departments", "case-categories", "cases", "grid-staff", "staff-leaves", "patrols",
    "visits", "work-logs", "coverage-rules", "dispute-types", "disputes", "dispute-parties",
    "dispute-screenings", "resident-requests", "errands", "supervision-schedules", "meetings",
    "meeting-items",
})
# Entities whose rows need more than a body to make (reference data with rules of its own,
# accounts, what the system writes): each has tests of its own, here.
OWN_TESTS = {
    "calendar-days": "test_sla.py", "routing-rules": "test_workflow.py",
    "hotspot-alerts": "test_hotspots.py",
    "webhooks": "test_webhooks.py", "webhook-deliveries": "test_webhooks.py",
    "users": "test_auth.py", "role-assignments": "test_auth.py",
    "policy-rules": "test_policy_changes.py", "audit-log": "test_audit.py",
    "assessment-schemes": "test_assessment.py", "assessment-items": "test_assessment.py",
    "assessment-entries": "test_assessment.py", "assessment-runs": "test_assessment.py",
    "assessment-scores": "test_assessment.py", "party-contacts": "test_fieldwork.py",
    "dispute-steps": "test_disputes.py", "dispute-mediations": "test_disputes.py",
}


@dataclass
class World:
    building: dict
    household: dict
    resident: dict
    department: dict
    category: dict
    patrol: dict
    staff: dict
    scheme: dict  # a grid assessment scheme with one hand-scored item
    item: dict
    dispute: dict  # a neighbours' dispute in the grid
    meeting: dict  # the grid's work meeting, the sanitation office attending


def make_world(client) -> World:
    make_areas(client)
    building = ok(client.post("/api/v1/buildings", json={
        "grid_code": GRID, "name": "3号楼", "address": "新华街88号院3号楼", "floors": 6}), 201)
    household = ok(client.post("/api/v1/households", json={
        "building_id": building["id"], "room": "2单元301", "head_name": "刘志强"}), 201)
    resident = ok(client.post("/api/v1/residents", json={
        "household_id": household["id"], "name": "刘志强", "id_number": id_number(1),
        "phone": "13512345678", "key_groups": ["低保"]}), 201)
    department = ok(client.post("/api/v1/departments", json={
        "code": SANITATION, "name": "鹤山区环境卫生管理处", "kind": "sanitation",
        "area_code": COUNTY}), 201)
    category = ok(client.post("/api/v1/case-categories", json={
        "code": "07011", "kind": "event", "big_class_code": "07", "big_class_name": "市容环境",
        "name": "积存垃圾渣土", "default_department_code": "HW01", "deadline_value": 6,
        "deadline_unit": "working_hours"}), 201)
    patrol = ok(client.post("/api/v1/patrols", json={
        "grid_code": GRID, "patroller_name": "李秀英", "started_at": "2026-11-02T01:00:00Z"}), 201)
    staff = ok(client.post("/api/v1/grid-staff", json={
        "grid_code": GRID, "name": "李秀英", "team_role": "full_time"}), 201)
    scheme = ok(client.post("/api/v1/assessment-schemes", json={
        "name": "网格考核细则 (试行)", "level": "grid"}), 201)
    item = ok(client.post("/api/v1/assessment-items", json={
        "scheme_id": scheme["id"], "name": "台账管理", "kind": "manual", "points": 200}), 201)
    dispute = ok(client.post("/api/v1/disputes", json={
        "grid_code": GRID, "type_code": "01", "title": "楼上漏水引发邻里纠纷",
        "risk_level": "low", "found_how": "visit", "found_by": "李秀英",
        "found_on": "2026-11-20"}), 201)
    meeting = ok(client.post("/api/v1/meetings", json={
        "area_code": GRID, "kind": "grid", "title": "新华街第七网格11月例会",
        "held_on": "2026-11-25", "chair": "王建国", "attendees": ["王建国", "李秀英"],
        "department_codes": [SANITATION]}), 201)
    return World(building, household, resident, department, category, patrol, staff, scheme,
                 item, dispute, meeting)


def new_row(entity: str, world: World) -> tuple[dict, dict]:
    """(a valid create body, a valid patch) for each entity."""
    return {
        "areas": ({"code": "410602002", "name": "鹤山街街道", "level": "street",
                   "parent_code": COUNTY}, {"name": "鹤山街道"}),
        "grids": ({"code": COMMUNITY + "008", "name": "新华街第八网格", "community_code": COMMUNITY,
                   "household_target": 350}, {"household_target": 380}),
        "departments": ({"code": "YL01", "name": "园林绿化所", "kind": "greening",
                         "area_code": COUNTY}, {"phone": "0392-2611111"}),
        "case-categories": ({"code": "04001", "kind": "component", "big_class_code": "04",
                             "big_class_name": "园林绿化", "name": "行道树", "deadline_value": 3,
                             "deadline_unit": "working_days"}, {"deadline_value": 2}),
        "buildings": ({"grid_code": GRID, "name": "1号楼", "address": "新华街1号"},
                      {"floors": 7}),
        "households": ({"building_id": world.building["id"], "room": "1单元101"},
                       {"is_rental": True, "landlord_name": "张三"}),
        "residents": ({"household_id": world.household["id"], "name": "王芳",
                       "id_number": id_number(2, "female")}, {"phone": "13900001111"}),
        "organizations": ({"grid_code": GRID, "name": "新华超市", "kind": "shop"},
                          {"employees": 12}),
        "cases": ({"source": "hotline_12345", "category_code": world.category["code"],
                   "title": "88号院门口积存垃圾", "grid_code": GRID}, {"priority": "urgent"}),
        "grid-staff": ({"grid_code": GRID, "name": "赵敏", "team_role": "part_time"},
                       {"phone": "13700001111"}),
        "staff-leaves": ({"staff_id": world.staff["id"], "first_day": "2026-12-07",
                          "last_day": "2026-12-09", "reason": "参加区网格员培训"},
                         {"reason": "区培训"}),
        "coverage-rules": ({"area_code": COMMUNITY, "patrol_every_days": 2},
                           {"note": "试点社区"}),
        "meetings": ({"area_code": GRID, "kind": "grid", "title": "新华街第七网格12月例会",
                      "held_on": "2026-11-30", "chair": "王建国", "attendees": ["李秀英"]},
                     {"minutes": "通报本月巡查情况"}),
        "meeting-items": ({"meeting_id": world.meeting["id"], "subject": "88号院积存垃圾反复",
                           "decision": "环卫处一周内清运并加密巡查", "department_code": SANITATION,
                           "due_on": "2026-12-04"}, {"discussion": "网格员通报三次上报情况"}),
        "supervision-schedules": ({"key_group": "社区矫正", "every_days": 14},
                                  {"note": "县综治办: 每半月走访一次"}),
        "patrols": ({"grid_code": GRID, "patroller_name": "王建国",
                     "started_at": "2026-11-03T01:00:00Z"}, {"findings": "无异常"}),
        "visits": ({"household_id": world.household["id"], "visitor_name": "李秀英",
                    "visit_date": "2026-11-04", "kind": "key_group"}, {"needs_follow_up": True}),
        "work-logs": ({"grid_code": GRID, "author_name": "王建国", "log_date": "2026-11-05",
                       "content": "巡查一次"}, {"hours": 7.5}),
        "dispute-types": ({"code": "10", "name": "宅基地纠纷"}, {"name": "宅基地权属纠纷"}),
        "disputes": ({"grid_code": GRID, "type_code": "03", "title": "物业费纠纷",
                      "found_on": "2026-11-21", "found_by": "王建国"}, {"risk_level": "medium"}),
        "dispute-parties": ({"dispute_id": world.dispute["id"], "name": "刘志强",
                             "resident_id": world.resident["id"], "side": "申请人"},
                            {"side": "被申请人"}),
        "resident-requests": ({"grid_code": GRID, "requester_name": "刘志强",
                               "content": "楼道灯坏了一周", "resident_id": world.resident["id"]},
                              {"content": "3号楼2单元楼道灯坏了一周"}),
        "errands": ({"grid_code": GRID, "requester_name": "刘志强", "kind": "pension",
                     "affair": "代办养老保险资格认证"}, {"office": "区社保中心"}),
        # The half month of the world's dispute (found 2026-11-20): not a nil report.
        "dispute-screenings": ({"grid_code": GRID, "period_first": "2026-11-16",
                                "note": "排查 126 户"}, {"note": "排查 126 户, 发现 1 起"}),
        "assessment-schemes": ({"name": "社区千分制考核", "level": "community"},
                               {"note": "2026年试行"}),
        "assessment-items": ({"scheme_id": world.scheme["id"], "name": "群众评议",
                              "kind": "manual", "points": 100}, {"points": 150}),
        "assessment-entries": ({"item_id": world.item["id"], "period_kind": "quarter",
                                "period_first": "2026-04-01", "unit_code": GRID, "points": 180,
                                "reason": "台账更新不及时, 扣20分"}, {"points": 190}),
    }[entity]

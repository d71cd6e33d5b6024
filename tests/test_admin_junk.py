"""Whatever a browser (or someone with curl and a session cookie) sends the panel, it answers
4xx or a page, never a 500, and writes nothing."""

from __future__ import annotations

import pytest

from tests.builders import GRID, ok
from tests.test_admin_panel import panel_login, world  # noqa: F401

BAD_FORMS = [
    ("residents", {"household_id": "abc", "name": "x", "id_number": "1", "residence_type": "nope"}),
    ("residents", {"household_id": "99999999999999999999", "name": "x" * 500,
                   "id_number": "4106\x00"}),
    ("buildings", {"grid_code": "'; drop table building", "name": "楼", "address": "a",
                   "floors": "99999999999999", "lat": "abc"}),
    ("grids", {"code": "410602001002999", "name": "g", "community_code": "410602001002",
               "boundary": "{not json"}),
    ("grids", {"code": "410602001002998", "name": "g", "community_code": "410602001002",
               "boundary": '{"type":"Polygon","coordinates":[[[1,2]]]}'}),
    ("patrols", {"grid_code": GRID, "patroller_name": "a", "started_at": "2026-13-45T99:99"}),
    ("cases", {"source": "patrol", "category_code": "zz", "title": "t", "grid_code": GRID,
               "lat": "1e999"}),
    ("role-assignments", {"user_id": "1", "role": "superuser"}),
    ("policy-rules", {"role": "x", "obj": "y", "act": "z", "ptype": "q"}),
    ("calendar-days", {"day": "2026-02-30", "is_working_day": "y"}),
]


@pytest.mark.parametrize(("entity", "data"), BAD_FORMS, ids=[f"{e}-{i}" for i, (e, _) in
                                                              enumerate(BAD_FORMS)])
def test_bad_forms_answer_400_and_write_nothing(world, app, client, entity, data):  # noqa: F811
    before = ok(client.get(f"/api/v1/{entity}", params={"limit": 1}))["total"]
    response = panel_login(app, "admin").post(f"/admin/{entity}/create",
                                              data=data | {"save": "保存"})
    assert response.status_code == 400, response.text[-500:]
    assert ok(client.get(f"/api/v1/{entity}", params={"limit": 1}))["total"] == before


def test_junk_in_urls_searches_and_lookups_is_never_a_500(world, app):  # noqa: F811
    admin = panel_login(app, "admin")
    for params in ({"name": "nope", "term": "x"}, {"name": "grid_code", "term": "x" * 10000},
                   {"name": "grid_code"}, {"name": "household_id", "term": "%_\\"},
                   {"name": "household_id", "term": "a\x00b"}):
        assert admin.get("/admin/residents/ajax/lookup", params=params).status_code < 500, params
    for path in ("/admin/residents/list?page=-1", "/admin/residents/list?pageSize=abc",
                 "/admin/residents/list?sortBy=nope", "/admin/residents/list?search=%00",
                 "/admin/residents/list?search=" + "9" * 5000, "/admin/cases/abc/workflow",
                 "/admin/cases/99999999999999999999/workflow", "/admin/residents/export/pdf",
                 "/admin/residents/import-file/abc", "/admin/residents/import-template/pdf",
                 "/admin/residents/edit/1.5", "/admin/residents/details/%00"):
        assert admin.get(path).status_code < 500, path
    upload = admin.post("/admin/residents/import-file", data={"mode": "dry_run"},
                        files={"file": ("a\x00b/../名单.csv", b"\xff\xfe\x00garbage")})
    assert upload.status_code < 500

"""The grid locator: which grid a point lies in, which grids are next door, and case intake."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from backend.areas import geometry
from backend.areas.geometry import GridIndex, grid_index
from backend.areas.models import Grid
from tests.builders import COMMUNITY, GRID, OTHER_GRID, ok, square
from tests.world import make_world


def box(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


# A 3x3 tiling of 0.01° squares, codes row by row from the south-west: 001 002 003 / 004 ...
# Edges from one list, so that neighbours share them exactly, as a drawn tiling does.
XS, YS = [114.0, 114.01, 114.02, 114.03], [35.0, 35.01, 35.02, 35.03]
TILES = [(f"{COMMUNITY}{row * 3 + col + 1:03d}", box(XS[col], YS[row], XS[col + 1], YS[row + 1]))
         for row in range(3) for col in range(3)]
SW, S, SE, W, CENTRE, E, NW, N, NE = (code for code, _ in TILES)


@pytest.fixture(scope="module")
def tiling() -> GridIndex:
    return GridIndex.build(TILES)


def test_a_point_lands_in_the_grid_that_contains_it(tiling):
    assert tiling.grid_at(114.015, 35.015) == CENTRE
    assert tiling.grid_at(114.025, 35.005) == SE
    assert tiling.grid_at(114.000001, 35.029999) == NW


def test_a_point_on_a_shared_edge_or_corner_lands_in_the_lowest_code(tiling):
    assert tiling.grid_at(114.01, 35.005) == SW  # edge of SW and S
    assert tiling.grid_at(114.015, 35.02) == CENTRE  # edge of CENTRE and N
    assert tiling.grid_at(114.02, 35.02) == CENTRE  # corner of CENTRE, E, N and NE
    # The same answer whatever order the grids came in.
    assert GridIndex.build(TILES[::-1]).grid_at(114.01, 35.005) == SW


def test_a_point_outside_every_grid_lands_nowhere(tiling):
    assert tiling.grid_at(114.05, 35.015) is None
    assert tiling.grid_at(113.9999, 35.0) is None
    assert GridIndex.build([]).grid_at(114.0, 35.0) is None


def test_neighbours_share_an_edge_or_a_corner(tiling):
    assert tiling.neighbours(CENTRE) == sorted(code for code, _ in TILES if code != CENTRE)
    assert tiling.neighbours(SW) == [S, W, CENTRE]
    assert tiling.neighbours(N) == [W, CENTRE, E, NW, NE]
    assert tiling.neighbours("410602001002999") == []


def test_grids_without_a_boundary_are_not_on_the_map():
    index = GridIndex.build([(GRID, square(114.17, 35.93)), (OTHER_GRID, None)])
    assert GRID in index and OTHER_GRID not in index and len(index) == 1
    assert index.neighbours(OTHER_GRID) == []


def test_overlapping_grids_are_neighbours():
    # Hand-drawn maps overlap a little where two grids meet; `touches` would miss these.
    index = GridIndex.build([(GRID, square(114.17, 35.93)), (OTHER_GRID, square(114.1799, 35.93))])
    assert index.neighbours(GRID) == [OTHER_GRID]


# --- the process-wide index, over the database ----------------------------------------------


def locate(app, lng: float, lat: float) -> str | None:
    with app.state.db.session() as session:
        return grid_index(session).grid_at(lng, lat)


def test_the_index_is_cached_and_rebuilt_when_a_boundary_changes(app, client):
    make_world(client)
    with app.state.db.session() as session:
        first = grid_index(session)
        assert grid_index(session) is first  # nothing changed: no rebuild
    assert locate(app, 114.175, 35.935) == GRID
    grid = ok(client.get("/api/v1/grids", params={"code": GRID}))["items"][0]
    ok(client.patch(f"/api/v1/grids/{grid['id']}", json={"boundary": square(114.17, 35.95)}))
    assert locate(app, 114.175, 35.935) is None
    assert locate(app, 114.175, 35.955) == GRID
    eighth = ok(client.post("/api/v1/grids", json={
        "code": COMMUNITY + "008", "name": "新华街第八网格", "community_code": COMMUNITY,
        "boundary": square(114.17, 35.93)}), 201)
    assert locate(app, 114.175, 35.935) == COMMUNITY + "008"
    assert client.delete(f"/api/v1/grids/{eighth['id']}").status_code == 204
    assert locate(app, 114.175, 35.935) is None


def test_changes_from_another_worker_are_found_by_the_stamp(app, client, monkeypatch):
    make_world(client)
    monkeypatch.setattr(geometry, "RECHECK_SECONDS", 3600)
    assert locate(app, 114.175, 35.935) == GRID
    # Another worker, or a bulk insert: no session of this process saw the write.
    with app.state.db.engine.begin() as conn:
        conn.execute(update(Grid.__table__).where(Grid.__table__.c.code == GRID)
                     .values(boundary=square(114.17, 35.95)))
    assert locate(app, 114.175, 35.935) == GRID  # trusted until the next check
    monkeypatch.setattr(geometry, "RECHECK_SECONDS", 0)
    assert locate(app, 114.175, 35.935) is None
    assert locate(app, 114.175, 35.955) == GRID


# --- case intake ------------------------------------------------------------------------------


def case_body(**fields) -> dict:
    return {"source": "app", "category_code": "07011", "title": "门口积存垃圾"} | fields


def problem_fields(response, status: int) -> list[str]:
    assert response.status_code == status, response.text
    return [e["field"] for e in response.json()["errors"]]


def test_a_case_with_a_point_gets_its_grid_from_the_map(client):
    make_world(client)
    case = ok(client.post("/api/v1/cases", json=case_body(lat=35.935, lng=114.185)), 201)
    assert case["grid_code"] == OTHER_GRID
    # A point on the edge GRID and OTHER_GRID share: the lower code, every time.
    case = ok(client.post("/api/v1/cases", json=case_body(lat=35.935, lng=114.18)), 201)
    assert case["grid_code"] == GRID
    # A grid that agrees with the point is fine.
    ok(client.post("/api/v1/cases", json=case_body(lat=35.935, lng=114.175, grid_code=GRID)), 201)


def test_a_grid_that_disagrees_with_the_point_is_refused(client):
    make_world(client)
    response = client.post("/api/v1/cases",
                           json=case_body(lat=35.935, lng=114.185, grid_code=GRID))
    assert problem_fields(response, 422) == ["grid_code"]
    assert OTHER_GRID in response.json()["detail"]


def test_a_point_outside_every_grid_is_refused(client):
    make_world(client)
    response = client.post("/api/v1/cases", json=case_body(lat=36.5, lng=114.175))
    assert problem_fields(response, 422) == ["lat", "lng"]
    assert "不在任何网格内" in response.json()["detail"]
    response = client.post("/api/v1/cases", json=case_body(lat=36.5, lng=114.175, grid_code=GRID))
    assert problem_fields(response, 422) == ["lat", "lng"]
    assert ok(client.get("/api/v1/cases"))["total"] == 0


def test_without_a_point_the_grid_is_required(client):
    make_world(client)
    assert problem_fields(client.post("/api/v1/cases", json=case_body()), 422) == ["grid_code"]
    assert problem_fields(client.post("/api/v1/cases", json=case_body(lat=35.935)),
                          422) == ["grid_code"]
    ok(client.post("/api/v1/cases", json=case_body(grid_code=GRID)), 201)


def test_a_grid_not_yet_on_the_map_takes_the_callers_word(client):
    make_world(client)
    unmapped = COMMUNITY + "008"
    ok(client.post("/api/v1/grids", json={"code": unmapped, "name": "新华街第八网格",
                                          "community_code": COMMUNITY}), 201)
    case = ok(client.post("/api/v1/cases",
                          json=case_body(lat=36.5, lng=114.175, grid_code=unmapped)), 201)
    assert case["grid_code"] == unmapped


def test_moving_a_cases_point_is_checked_against_its_grid(client):
    make_world(client)
    case = ok(client.post("/api/v1/cases", json=case_body(lat=35.935, lng=114.175)), 201)
    url = f"/api/v1/cases/{case['id']}"
    assert problem_fields(client.patch(url, json={"lng": 114.185}), 422) == ["grid_code"]
    moved = ok(client.patch(url, json={"lng": 114.185, "grid_code": OTHER_GRID}))
    assert moved["grid_code"] == OTHER_GRID
    assert ok(client.patch(url, json={"priority": "urgent"}))["priority"] == "urgent"


def test_a_scoped_reporter_names_the_grid_with_the_point(client, as_user):
    make_world(client)
    case = ok(as_user("member").post("/api/v1/cases", json=case_body(
        lat=35.935, lng=114.175, grid_code=GRID)), 201)
    assert case["grid_code"] == GRID
    response = as_user("member").post("/api/v1/cases", json=case_body(
        lat=35.935, lng=114.185, grid_code=GRID))
    assert problem_fields(response, 422) == ["grid_code"]


def test_a_scoped_reporter_may_leave_the_grid_to_the_map(client, as_user):
    make_world(client)
    case = ok(as_user("member").post("/api/v1/cases", json=case_body(lat=35.935, lng=114.175)), 201)
    assert case["grid_code"] == GRID
    # ... but the map does not let it report into a grid it does not keep.
    response = as_user("member").post("/api/v1/cases", json=case_body(lat=35.935, lng=114.185))
    assert response.status_code == 403

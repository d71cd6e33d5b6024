"""The grid's public notice (网格公示) as a resident sees it: no login, the team and how to
reach them, never anything about the residents."""

from __future__ import annotations

import io

from PIL import Image

from tests.builders import GRID, id_number, make_household, make_resident, ok
from tests.test_fieldwork import team  # noqa: F401


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), colour).save(out, format="PNG")
    return out.getvalue()


def test_anyone_reads_who_works_the_grid_and_nothing_about_its_residents(
        client, anonymous, team):  # noqa: F811
    household = make_household(client, GRID, room="1单元101")
    make_resident(client, household, seq=31, phone="13511112222", key_groups=["低保"])
    ok(client.patch("/api/v1/grid-staff/" + str(team["volunteer"]["id"]),
                    json={"is_public": False}))
    community = ok(client.get("/api/v1/areas", params={"code": "410602001002"}))["items"][0]
    ok(client.patch(f"/api/v1/areas/{community['id']}", json={"phone": "0392-2612345"}))

    party = ok(client.post("/api/v1/grid-staff", json={
        "grid_code": GRID, "name": "党员刘红", "team_role": "party_member", "is_public": False}),
        201)
    ok(client.post("/api/v1/party-contacts", json={
        "staff_id": party["id"], "household_id": household["id"], "since": "2026-01-01"}), 201)

    notice = ok(anonymous.get(f"/public/grids/{GRID}.json"))
    assert notice["name"] == "新华街第七网格" and notice["community"] == "新华街社区"
    # Counts of the team's party members and the households they keep in touch with; not who.
    assert (notice["party_members"], notice["party_contacts"]) == (1, 1)
    assert notice["supervision_phone"] == "0392-2612345"
    assert (notice["households"], notice["residents"]) == (1, 1)
    assert [(m["name"], m["team_role_label"]) for m in notice["staff"]] == [
        ("王建国", "网格长"), ("李秀英", "专职网格员")]
    assert notice["staff"][0]["phone"] == "13812345678"
    assert set(notice["staff"][0]) == {"name", "team_role", "team_role_label", "phone",
                                       "duties", "photo_url"}

    page = anonymous.get(f"/public/grids/{GRID}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "王建国" in text and "监督电话" in text and "新华街第七网格" in text
    assert '<dd id="party-members">1</dd>' in text
    for secret in ("孙志愿", id_number(31), "13511112222", "低保", "刘志强", "刘红"):
        assert secret not in text and secret not in str(notice), secret


def test_a_grid_that_is_not_there_is_not_found(anonymous):
    assert anonymous.get("/public/grids/410602001002999.json").status_code == 404
    assert anonymous.get("/public/grids/410602001002999").status_code == 404
    assert anonymous.get("/public/grids/41060x.json").status_code in (404, 422)


def test_the_secretary_puts_up_a_photo_and_the_old_one_comes_down(
        client, anonymous, as_user, team):  # noqa: F811
    url = f"/api/v1/grid-staff/{team['chief']['id']}/photo"
    assert as_user("chief").post(url, files={"file": ("me.png", png())}).status_code == 403
    first = ok(as_user("secretary").post(url, files={"file": ("me.png", png())}))
    shown = ok(anonymous.get(f"/public/grids/{GRID}.json"))["staff"][0]["photo_url"]
    assert shown.endswith(first["photo"])
    picture = anonymous.get(shown)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"

    ok(as_user("secretary").post(url, files={"file": ("new.png", png("blue"))}))
    assert anonymous.get(shown).status_code == 404  # the old photo is gone
    refused = as_user("secretary").post(url, files={"file": ("x.png", b"not an image")})
    assert refused.status_code == 422

    # A member taken off the board takes their photo along.
    newest = ok(anonymous.get(f"/public/grids/{GRID}.json"))["staff"][0]["photo_url"]
    ok(client.patch(f"/api/v1/grid-staff/{team['chief']['id']}", json={"is_public": False}))
    assert anonymous.get(newest).status_code == 404
    # Another community's secretary does not reach our staff at all.
    assert as_user("chief2").post(url, files={"file": ("me.png", png())}).status_code in (
        403, 404)

"""Grid chiefs and secretaries work disputes in the panel: the same workflow, the same levels."""

from __future__ import annotations

import pytest

from tests.builders import SANITATION, ok
from tests.test_admin_panel import panel_login
from tests.world import make_world


@pytest.fixture
def world(client):
    return make_world(client)


def take(browser, dispute_id: int, action: str, version: int, **fields):
    return browser.post(f"/admin/disputes/{dispute_id}/workflow",
                        data={"action": action, "version": str(version)} | fields)


def current(client, dispute: dict) -> dict:
    return ok(client.get(f"/api/v1/disputes/{dispute['id']}"))


def test_the_chief_mediates_and_raises_a_dispute_and_the_secretary_hands_it_over(
        world, app, client):
    dispute = world.dispute
    chief = panel_login(app, "chief")
    assert "办理" in chief.get(f"/admin/disputes/details/{dispute['id']}").text
    page = chief.get(f"/admin/disputes/{dispute['id']}/workflow")
    assert page.status_code == 200
    assert 'data-action="mediate"' in page.text and 'data-action="hand-over"' not in page.text

    refused = take(chief, dispute["id"], "mediate", 1, mediators="李秀英")  # no date, no result
    assert refused.status_code == 400 and current(client, dispute)["status"] == "registered"
    assert take(chief, dispute["id"], "mediate", 1, held_on="2026-11-21", mediators="李秀英",
                place="3号楼", agreed="双方各执一词").status_code == 302
    assert take(chief, dispute["id"], "escalate", 2,
                note="网格调解未果, 提请社区").status_code == 302
    raised = current(client, dispute)
    assert (raised["status"], raised["level"]) == ("registered", "community")
    # Above the grid now: nothing left for its chief to take, though the page still reads.
    page = chief.get(f"/admin/disputes/{dispute['id']}/workflow")
    assert "当前状态或层级没有您可执行的操作" in page.text and "双方各执一词" in page.text

    secretary = panel_login(app, "secretary")
    page = secretary.get(f"/admin/disputes/{dispute['id']}/workflow").text
    assert 'data-action="hand-over"' in page and "移交部门" in page
    assert take(secretary, dispute["id"], "hand-over", raised["version"],
                department_code=SANITATION, days="5",
                note="涉及垃圾清运, 移交环卫").status_code == 302
    handed = current(client, dispute)
    assert (handed["status"], handed["department_code"]) == ("handed_over", SANITATION)
    page = secretary.get(f"/admin/disputes/{dispute['id']}/workflow").text
    assert "鹤山区环境卫生管理处" in page  # the office by its name
    assert [s["action"] for s in ok(client.get(
        "/api/v1/dispute-steps", params={"dispute_id": dispute["id"]}))["items"]] == [
        "mediate", "escalate", "hand-over"]


def test_a_stale_page_or_a_wrong_role_changes_nothing(world, app, client):
    dispute = world.dispute
    chief = panel_login(app, "chief")
    assert take(chief, dispute["id"], "settle", 99, agreement="和解").status_code == 400
    assert take(chief, dispute["id"], "reopen", 1, note="?").status_code == 409
    assert current(client, dispute)["version"] == 1
    assert panel_login(app, "member").get(
        f"/admin/disputes/{dispute['id']}/workflow").status_code == 403
    assert panel_login(app, "chief2").get(
        f"/admin/disputes/{dispute['id']}/workflow").status_code == 404
    assert chief.get("/admin/disputes/junk/workflow").status_code == 404

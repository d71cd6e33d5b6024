"""The workbench: each role opens GridLink and sees what waits for it, most urgent first.

The month of test_kpi.py (cases A-J, played through the real workflow) plus a few cases of
this week at each step of the workflow: a report to file, a filed case to dispatch, an
approval to review, an extension asked for, a handled case to verify. Every queue must count
exactly what the list it links to shows the same user.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from backend.cases import workflow
from backend.core.crud import Caller
from backend.core.db import BEIJING
from backend.notifications.models import Notification, NotificationKind
from tests.builders import GRID, SANITATION, ok
from tests.test_admin_panel import page_token, panel_login
from tests.test_kpi import March

USERS = ("admin", "leader", "dispatcher", "secretary", "chief", "chief2", "member",
         "dept-sanitation", "dept-justice")


class Week(March):
    """The month, then this week's cases, each left at one step."""

    def recent(self, name: str, *steps: str, **extra) -> None:
        now = dt.datetime.now(dt.UTC)
        self.report(name, now - dt.timedelta(hours=3), title=f"本周{name}", **extra)
        self.play(name, *((step, now - dt.timedelta(hours=2, minutes=-i), body)
                          for i, (step, body) in enumerate(steps)))

    def build_week(self) -> Week:
        self.build()
        self.recent("K")  # reported: to file
        self.recent("L", ("file", {}))  # filed: to dispatch
        self.recent("M", ("file", {}), ("dispatch", {}), ("accept", {}),
                    ("request-extension", {"note": "需协调产权单位", "requested_due_at": (
                        dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).isoformat()}))
        self.recent("N", ("file", {}), ("dispatch", {}), ("accept", {}),
                    ("feedback", {"note": "已清理"}))  # handled: to verify
        return self

    def play(self, name: str, *steps) -> None:  # steps as (action, at, body)
        with self.app.state.db.session() as session:
            for action, at, body in steps:
                workflow.perform(session, self.ids[name], action, body,
                                 Caller.system("dispatcher"), now=at)


@pytest.fixture
def week(app, client) -> Week:
    return Week(app, client).build_week()


def queues(response: dict) -> dict[str, dict]:
    return {q["key"]: q for q in response["queues"]}


def codes(queue: dict) -> list[str]:
    return [item["title"] for item in queue["items"]]


def test_the_dispatcher_sees_each_step_waiting_for_the_command_center(week, as_user):
    desk = queues(ok(as_user("dispatcher").get("/api/v1/workbench")))
    assert list(desk) == ["to_file", "to_dispatch", "to_approve", "extensions", "to_verify",
                          "red", "disputes_street", "disputes_handed", "meeting_tasks"]
    assert codes(desk["to_file"]) == ["案卷H", "本周K"]  # the oldest report first
    assert codes(desk["to_dispatch"]) == ["本周L"]
    assert codes(desk["extensions"]) == ["本周M"]
    assert codes(desk["to_verify"]) == ["本周N"]
    assert codes(desk["red"]) == ["案卷E"]  # due 25 March, never handled
    red = desk["red"]["items"][0]
    assert red["light"] == "red" and red["grid_name"]
    assert red["department_name"] == "鹤山区环境卫生管理处"


def test_the_department_sees_the_cases_it_must_handle_by_deadline(week, as_user):
    desk = queues(ok(as_user("dept-sanitation").get("/api/v1/workbench")))
    assert list(desk) == ["my_tasks", "disputes_handed", "meeting_tasks"]
    assert codes(desk["my_tasks"]) == ["案卷E", "本周M"]  # the overdue one first
    assert desk["my_tasks"]["items"][0]["light"] == "red"


def test_the_grid_chief_sees_the_grids_open_cases_and_todays_patrols(week, as_user, client):
    chief = as_user("chief")
    desk = queues(ok(chief.get("/api/v1/workbench")))
    assert list(desk) == ["grid_open", "patrols_today", "disputes_grid", "requests_open",
                          "errands_open", "unpatrolled", "visits_due", "supervision_due"]
    assert desk["grid_open"]["count"] == 6  # E, H and this week's K-N, all in GRID
    assert desk["patrols_today"]["count"] == 0  # the world's patrol was on 2 November
    assert [g["grid_code"] for g in desk["unpatrolled"]["items"]] == [GRID]
    ok(chief.post("/api/v1/patrols", json={
        "grid_code": GRID, "patroller_name": "王建国",
        "started_at": dt.datetime.now(dt.UTC).isoformat()}), 201)
    desk = queues(ok(chief.get("/api/v1/workbench")))
    assert desk["patrols_today"]["count"] == 1 and desk["unpatrolled"]["count"] == 0
    # The other community's chief: its grid's one case (I) is closed, and this patrol not his.
    other = queues(ok(as_user("chief2").get("/api/v1/workbench")))
    assert other["grid_open"]["count"] == 0 and other["patrols_today"]["count"] == 0


def test_the_secretary_sees_reports_and_work_logs_to_review(week, as_user):
    secretary = as_user("secretary")
    ok(secretary.post("/api/v1/work-logs", json={
        "grid_code": GRID, "author_name": "王建国", "log_date": "2026-11-30",
        "content": "入户走访三户"}), 201)
    desk = queues(ok(secretary.get("/api/v1/workbench")))
    assert list(desk) == ["to_file", "to_approve", "patrols_today", "logs_to_review",
                          "disputes_community", "disputes_handed", "requests_open",
                          "errands_open", "meeting_tasks", "unpatrolled", "visits_due",
                          "supervision_due"]
    assert codes(desk["to_file"]) == ["案卷H", "本周K"]
    assert [log["content"] for log in desk["logs_to_review"]["items"]] == ["入户走访三户"]


def test_the_leader_reads_this_months_figures_and_the_red_lights(week, as_user):
    bench = ok(as_user("leader").get("/api/v1/workbench"))
    assert list(queues(bench)) == ["red"]
    summary = ok(as_user("leader").get("/api/v1/kpi/summary"))
    figures = bench["figures"]
    assert figures["counts"] == summary["counts"] and figures["rates"] == summary["rates"]
    first = dt.date.fromisoformat(summary["period"]["from"])  # a Beijing day
    since = dt.datetime(first.year, first.month, first.day, tzinfo=BEIJING)
    reported = ok(as_user("leader").get("/api/v1/cases", params={
        "reported_at__gte": since.isoformat()}))["total"]
    assert figures["counts"]["reported"] == reported >= 1  # this week's (A-J: March)
    assert figures["open"] == summary["open"]


@pytest.mark.parametrize("user", USERS)
def test_every_queue_counts_what_its_list_shows_the_same_user(week, as_user, user):
    reader = as_user(user)
    bench = ok(reader.get("/api/v1/workbench"))
    assert bench["user"]["username"] == user
    assert bench["queues"], "every role has something on its desk"
    for queue in bench["queues"]:
        listed = ok(reader.get(f"/api/v1/{queue['entity']}", params=queue["list_query"]))
        assert queue["count"] == listed["total"], queue["key"]
        if queue["entity"].startswith("kpi/coverage/"):  # a coverage list: rows without ids
            assert queue["items"] == listed["items"][:10], queue["key"]
        else:
            assert [r["id"] for r in queue["items"]] == [r["id"] for r in listed["items"][:10]]
    unread = ok(reader.get("/api/v1/notifications", params={"unread": "true"}))["unread"]
    assert bench["notifications"]["unread"] == unread


def test_who_i_am_names_my_role_and_scope(week, as_user):
    me = ok(as_user("dept-sanitation").get("/api/v1/workbench"))["user"]
    assert me["display_name"] == "环卫处"
    assert me["roles"] == [{"role": "department", "role_label": "职能部门",
                            "scope_code": SANITATION, "scope_name": "鹤山区环境卫生管理处"}]


def test_the_workbench_needs_a_login(anonymous):
    assert anonymous.get("/api/v1/workbench").status_code == 401


# The panel's home page: the same workbench, as each role lands on it after logging in.

def home(app, user: str) -> tuple[TestClient, str]:
    browser = panel_login(app, user)
    page = browser.get("/admin/")
    assert page.status_code == 200
    return browser, page.text


def test_the_dispatcher_lands_on_the_queues_with_names_lights_and_beijing_times(week, app):
    _, html = home(app, "dispatcher")
    assert "您好, 指挥中心坐席" in html and "指挥中心 · " in html
    for label in ("待立案", "待派遣", "待审批延期", "待核查结案", "红灯超期"):
        assert label in html
    assert 'data-queue="red"' in html and 'data-count="1"' in html
    assert "本周K" in html and "案卷E" in html and "鹤山区环境卫生管理处" in html
    assert '<span class="badge bg-red text-white" data-light="red">红灯</span>' in html
    assert "时限 2026-03-25 18:00" in html  # E's deadline, Beijing time
    shown = re.sub(r"<[^>]+>", " ", html.split('id="gridlink-home"')[1])
    assert "reported" not in shown  # labels, not values


def test_the_department_lands_on_its_cases_and_reads_its_notifications(week, app, as_user):
    browser, html = home(app, "dept-sanitation")
    unread = ok(as_user("dept-sanitation").get("/api/v1/notifications",
                                               params={"unread": "true"}))
    assert unread["unread"] >= 2  # the dispatches of E and M, at least
    assert f'data-unread="{unread["unread"]}"' in html and "待处置案卷" in html
    first = unread["items"][0]["id"]
    token = page_token(html)
    answer = browser.post("/admin/notifications/read", data={"id": first, "csrf_token": token})
    assert answer.status_code == 303
    assert ok(as_user("dept-sanitation").get("/api/v1/notifications", params={
        "unread": "true"}))["unread"] == unread["unread"] - 1
    browser.post("/admin/notifications/read", data={"id": "all", "csrf_token": token})
    assert 'data-unread="0"' in browser.get("/admin/").text


def test_notices_come_newest_first_whatever_order_they_were_written_in(app, accounts, as_user):
    """The demo's year writes an office's hand-over notices dispute by dispute, not in the
    order of their times: the desk and the list still put the latest first."""
    written = [dt.datetime(2026, 8, 17, 4, 50, tzinfo=dt.UTC),
               dt.datetime(2026, 7, 8, 11, 32, tzinfo=dt.UTC),
               dt.datetime(2026, 11, 26, 6, 15, tzinfo=dt.UTC)]
    with app.state.db.session() as session:
        for n, at in enumerate(written):
            session.add(Notification(user_id=accounts["dept-justice"],
                                     kind=NotificationKind.dispute_sent, title=f"移交矛盾纠纷{n}",
                                     dedupe_key=f"order-{n}", created_at=at, updated_at=at))
        session.commit()
    newest_first = ["移交矛盾纠纷2", "移交矛盾纠纷0", "移交矛盾纠纷1"]
    justice = as_user("dept-justice")
    listed = ok(justice.get("/api/v1/notifications"))["items"]
    assert [n["title"] for n in listed] == newest_first
    desk = ok(justice.get("/api/v1/workbench"))["notifications"]["items"]
    assert [n["title"] for n in desk] == newest_first


def test_nobody_marks_anothers_notification_read(week, app, as_user):
    theirs = ok(as_user("dept-sanitation").get("/api/v1/notifications"))["items"][0]["id"]
    browser, html = home(app, "chief")
    for raw in (str(theirs), "0", "-1", "abc", "9" * 30, "1\x00"):
        answer = browser.post("/admin/notifications/read",
                              data={"id": raw, "csrf_token": page_token(html)})
        assert answer.status_code in (400, 404), raw
    assert ok(as_user("dept-sanitation").get("/api/v1/notifications"))["items"][0][
        "read_at"] is None
    forged = TestClient(app, follow_redirects=False, cookies=browser.cookies).post(
        "/admin/notifications/read", data={"id": "all"})
    assert forged.status_code == 403  # no token: refused before anything runs


def test_the_leader_lands_on_this_months_figures(week, app):
    _, html = home(app, "leader")
    assert 'id="gridlink-figures"' in html and "结案率" in html and "按期结案率" in html


def test_the_home_page_speaks_english_on_the_switch(week, app):
    browser = panel_login(app, "dispatcher")
    html = browser.get("/admin/", params={"lang": "en"}).text
    assert "Reports to file" in html and "Overdue (red)" in html and "Hello, " in html
    assert "待立案" not in html

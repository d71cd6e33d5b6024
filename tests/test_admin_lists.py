"""Lists people work from: a dispatcher, a department clerk and a grid chief narrow the panel's
lists to what they are looking for, and bookmark them.

The month of test_kpi.py and this week's cases of test_workbench.py, through the real
workflow. Filters are the API's list syntax in the page's address, so each filtered panel list
must count exactly what `/api/v1/cases` answers the same user for the same parameters.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from backend.core.db import BEIJING
from tests.builders import GRID, ok
from tests.test_admin_panel import panel_login
from tests.test_workbench import USERS, Week


@pytest.fixture
def week(app, client) -> Week:
    return Week(app, client).build_week()


def listed(browser, path: str, **params) -> tuple[int, str]:
    page = browser.get(path, params=params) if params else browser.get(path)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r"共 (\d+) 条", page.text)
    return (int(found.group(1)) if found else 0), page.text


def codes(page: str) -> list[str]:
    return re.findall(r"<td>(\d{16})</td>", page)


def test_the_dispatcher_filters_cases_as_the_api_does_and_the_address_keeps_it(week, app,
                                                                                 as_user):
    browser = panel_login(app, "dispatcher")
    api = as_user("dispatcher")
    for params in ({"status": "filed"}, {"status__in": "dispatched,processing"},
                   {"status": "closed", "department_code": "HW01"},
                   {"grid_code__startswith": GRID[:12]},
                   {"reported_at__gte": "2026-03-10T00:00:00+08:00"}):
        count, page = listed(browser, "/admin/cases/list", **params)
        assert count == ok(api.get("/api/v1/cases", params=params))["total"], params
        assert 'data-filter="active"' in page
    _, page = listed(browser, "/admin/cases/list", status="closed")
    assert "状态 = 已结案" in html.unescape(page)  # the filter in words, with a way to drop it
    assert "清除全部筛选" in page
    _, page = listed(browser, "/admin/cases/list", department_code="HW01")
    active = html.unescape(page.split('data-filter="active"')[1].split("清除全部筛选")[0])
    assert "= 鹤山区环境卫生管理处" in active  # a name, where the address holds the code


def test_statuses_are_offered_and_sorted_in_the_order_a_case_goes_through_them(week, app):
    browser = panel_login(app, "dispatcher")
    _, page = listed(browser, "/admin/cases/list")
    sidebar = page.split('data-filter="status"')[1].split("data-filter=")[0]
    offered = re.findall(r">\s*(已[^<\s]+|处理中)\s*<", sidebar)
    assert offered == ["已上报", "已立案", "已派遣", "处理中", "已处置", "已结案", "已作废"]
    _, page = listed(browser, "/admin/cases/list", sortBy="status", sort="asc", pageSize="100")
    shown = re.findall(r"<td>(已上报|已立案|已派遣|处理中|已处置|已结案|已作废)</td>", page)
    order = {s: i for i, s in enumerate(offered)}
    assert shown and [order[s] for s in shown] == sorted(order[s] for s in shown)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_pages_sorted_by_status_hold_every_case_once_in_workflow_order(week, app, direction):
    """Small pages, so that pages start and end inside a status and skip whole statuses."""
    browser = panel_login(app, "dispatcher")
    total, _ = listed(browser, "/admin/cases/list")
    order = ["已上报", "已立案", "已派遣", "处理中", "已处置", "已结案", "已作废"]
    cells = re.compile(rf"<td>(\d{{16}})</td>.*?<td>({'|'.join(order)})</td>", re.S)
    seen: list[tuple[str, str]] = []
    for number in range(1, total // 3 + 2):
        _, page = listed(browser, "/admin/cases/list", sortBy="status", sort=direction,
                         pageSize="3", page=str(number))
        rows = page.split("<tbody>")[1].split("</tbody>")[0]
        seen += cells.findall(rows)
    ranks = [order.index(status) for _, status in seen]
    assert ranks == sorted(ranks, reverse=direction == "desc")
    assert len(seen) == total == len({code for code, _ in seen})


def test_the_light_filter_and_badge_show_the_light_of_now_not_the_last_tick(week, app, as_user):
    """E ran past its deadline in March; no SLA tick ran since: its stored light is not red."""
    browser = panel_login(app, "dispatcher")
    stored = ok(as_user("dispatcher").get(f"/api/v1/cases/{week.ids['E']}"))
    count, page = listed(browser, "/admin/cases/list", light="red")
    assert count >= 1 and stored["code"] in codes(page)
    assert '<span class="badge bg-red text-white" data-light="red">红灯</span>' in page
    _, page = listed(browser, "/admin/cases/list", light="green")
    assert stored["code"] not in codes(page)


def test_a_day_on_a_time_column_is_the_day_in_beijing(week, app, as_user):
    """K was reported three hours ago: it belongs to today in Beijing, whatever UTC says."""
    browser = panel_login(app, "dispatcher")
    today = dt.datetime.now(BEIJING).date().isoformat()
    count, page = listed(browser, "/admin/cases/list", reported_at__gte=today,
                         reported_at__lte=today)
    def beijing_day(case: dict) -> str:
        reported = dt.datetime.fromisoformat(case["reported_at"].replace("Z", "+00:00"))
        return reported.astimezone(BEIJING).date().isoformat()

    k = ok(as_user("dispatcher").get(f"/api/v1/cases/{week.ids['K']}"))
    assert (k["code"] in codes(page)) == (beijing_day(k) == today)
    # Exactly the cases reported on today's Beijing date, whatever the hour (just after
    # Beijing's midnight, K of three hours ago is yesterday's).
    every = ok(as_user("dispatcher").get("/api/v1/cases", params={"limit": 500}))["items"]
    assert count == sum(1 for case in every if beijing_day(case) == today)


def test_cases_are_found_by_title_and_address_as_well_as_code(week, app, client):
    created = ok(client.post("/api/v1/cases", json={
        "source": "patrol", "category_code": "04001", "title": "槐树倒伏压住自行车棚",
        "address": "红旗街88号院北门", "grid_code": GRID}), 201)
    browser = panel_login(app, "dispatcher")
    for term in ("自行车棚", "红旗街88号", created["code"][:10]):
        _, page = listed(browser, "/admin/cases/list", search=term)
        assert created["code"] in codes(page), term
    assert "标题" in page.split('placeholder="')[1].split('"')[0]  # the box says what it finds


@pytest.mark.parametrize("params", [
    {"light": "purple"}, {"status": "lost"}, {"due_at__gte": "yesterday"},
    {"no_such_column": "1"}, {"reported_at__lte": "2026-02-30"},
])
def test_a_bad_filter_is_refused_naming_the_parameter(week, app, params):
    page = panel_login(app, "dispatcher").get("/admin/cases/list", params=params)
    assert page.status_code == 400
    assert next(iter(params)) in html.unescape(page.text)


def test_who_may_not_see_key_groups_may_not_filter_by_them(week, app, client):
    browser = panel_login(app, "dept-sanitation")
    page = browser.get("/admin/residents/list", params={"key_groups__contains": "低保"})
    assert page.status_code in (400, 403, 404)
    secretary = panel_login(app, "secretary")
    _, page = listed(secretary, "/admin/residents/list")
    assert 'data-filter="key_groups"' in page  # the secretary reads them


def test_a_department_filters_its_own_cases_without_a_grid_list(week, app):
    browser = panel_login(app, "dept-sanitation")
    count, page = listed(browser, "/admin/cases/list", status__in="dispatched,processing")
    assert count >= 1
    assert 'data-filter="grid_code"' not in page  # it does not read the grids
    assert 'data-filter="light"' in page


@pytest.mark.parametrize("user", USERS)
def test_every_workbench_queue_opens_its_list_with_the_same_count(week, app, user):
    browser = panel_login(app, user)
    home = browser.get("/admin/").text
    links = re.findall(r'data-count="(\d+)"[^<]*</span>\s*<a class="ms-auto" href="([^"]+)"',
                       home)
    assert links, "every role has a queue with a list behind it"
    for count, url in links:
        path, _, part = html.unescape(url).partition("#")
        if part:  # a coverage list: its part of the coverage page, with its own count
            page = browser.get(path)
            assert page.status_code == 200, page.text[:500]
            found = re.search(rf'data-count="{part}">(\d+)<', page.text)
            assert found and int(found.group(1)) == int(count), url
            continue
        shown, _ = listed(browser, path)
        assert shown == int(count), url


def test_a_search_counts_its_matches_up_to_a_cap(week, app, monkeypatch):
    """Words are searched anywhere in a title, row by row: past the cap the page says "N+"
    and still pages through every match."""
    from admin import views

    monkeypatch.setattr(views, "COUNT_CAP", 3)
    browser = panel_login(app, "dispatcher")
    page = browser.get("/admin/cases/list", params={"search": "案卷"}).text
    assert "共 3+ 条" in page
    _, exact = listed(browser, "/admin/cases/list", search="本周K")
    assert "共 1 条" in exact


@pytest.mark.parametrize(("params", "words"), [
    ({"sortBy": "nothing"}, "不能按「nothing」排序"), ({"page": "abc"}, "应为整数"),
    ({"pageSize": "0"}, "无效"),
])
def test_a_bad_page_or_sort_is_refused_in_chinese(week, app, params, words):
    page = panel_login(app, "dispatcher").get("/admin/cases/list", params=params)
    assert page.status_code == 400 and words in html.unescape(page.text)


def test_a_page_beyond_the_last_leads_back_to_the_list(week, app):
    browser = panel_login(app, "dispatcher")
    total, _ = listed(browser, "/admin/cases/list")
    moved = browser.get("/admin/cases/list", params={"page": "9" * 30, "pageSize": "9" * 30})
    assert moved.status_code == 302 and "page=1" in moved.headers["location"]
    shown, page = listed(browser, moved.headers["location"])
    assert shown == total and page.count("<tr") > 1
